"""The user-personalization model's behaviour through boto3: scores that sum to 1 over the
catalogue, recent events that move the next recommendations (known users and anonymous
sessions, without retraining), and distinct lists for distinct users on skewed data."""

from __future__ import annotations

import numpy as np
import pytest

from tests.api.data_helpers import import_job, make_bucket, make_dataset, make_group, put, wait_status

RECIPE = "arn:aws:personalize:::recipe/aws-user-personalization"
NOW = 1_700_000_000
CLUSTERS = 4
PER_CLUSTER = 120  # items c0-0 .. c3-119
NO_EXPLORATION = {"itemExplorationConfig": {"explorationWeight": "0", "explorationItemAgeCutOff": "30"}}


def item(cluster: int, n: int) -> str:
    return f"c{cluster}-{n}"


def cluster_of(item_id: str) -> int:
    return int(item_id[1:].split("-")[0])


def tastes_csv(seed: int = 0) -> str:
    """300 users, 25 interactions each, 85 % from their cluster (user u: cluster u % 4), and
    "heavy": 100 distinct items of cluster 0, all older than anything sent later."""
    rng = np.random.default_rng(seed)
    lines = ["USER_ID,ITEM_ID,TIMESTAMP,EVENT_TYPE"]
    stamp = NOW - 100_000
    for user in range(300):
        for _ in range(25):
            cluster = user % CLUSTERS if rng.random() < 0.85 else int(rng.integers(CLUSTERS))
            n = int((rng.zipf(1.4) - 1) % PER_CLUSTER)
            stamp += 1
            lines.append(f"u{user},{item(cluster, n)},{stamp},click")
    for n in range(100):
        stamp += 1
        lines.append(f"heavy,{item(0, n)},{stamp},click")
    return "\n".join(lines) + "\n"


def deploy(api, name: str, body: str) -> tuple[str, str]:
    """Import ``body`` as Interactions, train user-personalization, deploy: (campaign, tracking id)."""
    p = api.personalize
    make_bucket(api.s3, f"{name}-data")
    location = put(api.s3, "interactions.csv", body, bucket=f"{name}-data")
    group = make_group(p, name)
    dataset = make_dataset(p, group, "INTERACTIONS")
    assert import_job(p, f"{name}-import", dataset, location)["status"] == "ACTIVE"
    solution = p.create_solution(name=name, datasetGroupArn=group, recipeArn=RECIPE)["solutionArn"]
    version = p.create_solution_version(solutionArn=solution)["solutionVersionArn"]
    status = wait_status(lambda: p.describe_solution_version(solutionVersionArn=version)["solutionVersion"],
                         ("ACTIVE", "CREATE FAILED"))
    assert status["status"] == "ACTIVE", status.get("failureReason")
    campaign = p.create_campaign(name=name, solutionVersionArn=version, campaignConfig=NO_EXPLORATION)["campaignArn"]
    wait_status(lambda: p.describe_campaign(campaignArn=campaign)["campaign"])
    tracking = p.create_event_tracker(name=name, datasetGroupArn=group)["trackingId"]
    return campaign, tracking


@pytest.fixture
def clustered(api):
    return deploy(api, "clustered", tastes_csv())


def top_ids(api, campaign: str, user: str, k: int = 10) -> list[str]:
    listed = api.runtime.get_recommendations(campaignArn=campaign, userId=user, numResults=k)["itemList"]
    return [entry["itemId"] for entry in listed]


def test_scores_sum_to_one_over_the_catalogue_and_stay_below_one(api, clustered):
    campaign, _ = clustered
    listed = api.runtime.get_recommendations(campaignArn=campaign, userId="u1", numResults=500)["itemList"]
    scores = [entry["score"] for entry in listed]
    assert len(listed) == len({entry["itemId"] for entry in listed})  # the whole catalogue, once
    assert sum(scores) == pytest.approx(1.0, abs=1e-4)
    assert scores == sorted(scores, reverse=True)
    assert scores[0] < 0.5  # calibrated: no single item is near certain on this data
    assert sum(1 for s in scores if s >= scores[0] / 2) >= 2


def test_five_fresh_clicks_outweigh_a_hundred_older_interactions(api, clustered):
    campaign, tracking = clustered
    before = top_ids(api, campaign, "heavy")
    assert sum(cluster_of(i) == 2 for i in before) < 3
    clicks = [{"eventType": "click", "itemId": item(2, n), "sentAt": NOW + n} for n in range(5)]
    api.events.put_events(trackingId=tracking, userId="heavy", sessionId="s-heavy", eventList=clicks)
    after = top_ids(api, campaign, "heavy")  # no retraining
    assert sum(cluster_of(i) == 2 for i in after) >= 3
    fresh = [i for i in after if i not in {c["itemId"] for c in clicks}]
    assert any(cluster_of(i) == 2 for i in fresh)  # not only the clicked items themselves


def test_an_anonymous_session_gets_its_clicks_taste(api, clustered):
    campaign, tracking = clustered
    clicks = [{"eventType": "click", "itemId": item(3, n), "sentAt": NOW + n} for n in range(3)]
    api.events.put_events(trackingId=tracking, sessionId="anonymous-1", eventList=clicks)
    listed = top_ids(api, campaign, "anonymous-1")
    assert sum(cluster_of(i) == 3 for i in listed) >= 5


def skewed_csv(n_users: int = 400, n_items: int = 3000, per_user: int = 40, seed: int = 7) -> str:
    """Zipf item popularity over 3,000 items (more than the item-item model takes: the
    factor model serves) and a taste cluster per user."""
    rng = np.random.default_rng(seed)
    clusters = 20
    lines = ["USER_ID,ITEM_ID,TIMESTAMP,EVENT_TYPE"]
    stamp = NOW - 1_000_000
    for user in range(n_users):
        pool = np.arange(user % clusters, n_items, clusters)
        for _ in range(per_user):
            stamp += 1
            if rng.random() < 0.6:
                chosen = pool[(rng.zipf(1.3) - 1) % len(pool)]
            else:
                chosen = (rng.zipf(1.1) - 1) % n_items
            lines.append(f"u{user},i{chosen},{stamp},click")
    return "\n".join(lines) + "\n"


def test_distinct_users_get_distinct_lists_on_skewed_data(api):
    campaign, _ = deploy(api, "skewed", skewed_csv())
    lists = {tuple(top_ids(api, campaign, f"u{user}")) for user in range(400)}
    assert len(lists) == 400
