"""Contextual recommendations (issue 14, point 14).

Developer guide, *Increasing recommendation relevance with contextual metadata*: the
Interactions schema has a metadata field for the context (e.g. DEVICE), the campaign's
solution version uses a USER_PERSONALIZATION or PERSONALIZED_RANKING recipe, and ``context``
maps that field to the user's current value. *Interactions datasets* (Contextual metadata):
"if customers shop differently when accessing your catalog from a phone compared to a
computer, include contextual metadata about the user's device. Recommendations will then be
more relevant based on how they are browsing." The guide documents no error for a context key
that is not such a field; the mock answers as without it.
"""

from __future__ import annotations

import datetime as dt
import json

import numpy as np
import pytest

from tests.api.data_helpers import import_job, make_bucket, make_dataset, make_group, put
from tests.conftest import avro

RECIPE = "arn:aws:personalize:::recipe/"
SCHEMA = avro(
    "Interactions",
    {"name": "USER_ID", "type": "string"},
    {"name": "ITEM_ID", "type": "string"},
    {"name": "TIMESTAMP", "type": "long"},
    {"name": "EVENT_TYPE", "type": "string"},
    {"name": "DISCOUNT", "type": ["null", "string"], "categorical": True},
)
ITEMS = 60
ON_SALE = {f"i{i}" for i in range(0, ITEMS, 2)}  # half the items: bought mostly with DISCOUNT=Yes


def purchases_csv(with_context: bool = True, users: int = 200, per_user: int = 10) -> str:
    rng = np.random.default_rng(14)
    lines = ["USER_ID,ITEM_ID,TIMESTAMP,EVENT_TYPE,DISCOUNT"]
    stamp = 1_700_000_000
    for user in range(users):
        for item in rng.choice(ITEMS, per_user, replace=False).tolist():
            stamp += 1
            discounted = (rng.random() < 0.85) == (f"i{item}" in ON_SALE)
            value = ("Yes" if discounted else "No") if with_context else ""
            lines.append(f"u{user},i{item},{stamp},purchase,{value}")
    return "\n".join(lines) + "\n"


def setup_group(api, body: str) -> dict[str, str]:
    p = api.personalize
    make_bucket(api.s3)
    group = make_group(p, "context")
    dataset = make_dataset(p, group, "INTERACTIONS", SCHEMA)
    status = import_job(p, "bulk", dataset, put(api.s3, "interactions.csv", body))
    assert status["status"] == "ACTIVE", status.get("failureReason")
    return {"group": group}


def train(api, group: str, recipe: str, name: str) -> tuple[str, str]:
    p = api.personalize
    solution = p.create_solution(name=name, datasetGroupArn=group, recipeArn=RECIPE + recipe)["solutionArn"]
    version = p.create_solution_version(solutionArn=solution)["solutionVersionArn"]
    status = p.describe_solution_version(solutionVersionArn=version)["solutionVersion"]
    assert status["status"] == "ACTIVE", status.get("failureReason")
    return solution, version


def campaign(api, group: str, recipe: str, name: str) -> str:
    _, version = train(api, group, recipe, name)
    config = {"itemExplorationConfig": {"explorationWeight": "0", "explorationItemAgeCutOff": "30"}}
    kwargs = {"campaignConfig": config} if recipe == "aws-user-personalization" else {}
    return api.personalize.create_campaign(name=name, solutionVersionArn=version, **kwargs)["campaignArn"]


def mean_rank_on_sale(api, arn: str, user: str, **kwargs) -> float:
    """Mean position (0 best) of the on-sale items in the user's ranking of the whole catalogue."""
    items = [f"i{i}" for i in range(ITEMS)]
    ranking = api.runtime.get_personalized_ranking(campaignArn=arn, userId=user, inputList=items,
                                                   **kwargs)["personalizedRanking"]
    order = [entry["itemId"] for entry in ranking]
    return float(np.mean([order.index(item) for item in ON_SALE]))


USERS = [f"u{u}" for u in range(0, 200, 20)]


def test_ranking_context_moves_items_bought_under_that_value_up(api):
    group = setup_group(api, purchases_csv())["group"]
    arn = campaign(api, group, "aws-personalized-ranking", "rank")
    plain = [mean_rank_on_sale(api, arn, user) for user in USERS]
    discount = [mean_rank_on_sale(api, arn, user, context={"DISCOUNT": "Yes"}) for user in USERS]
    full_price = [mean_rank_on_sale(api, arn, user, context={"DISCOUNT": "No"}) for user in USERS]
    # How far they move depends on how sure the model is of the user's taste: the context
    # multiplies each item's probability by its lift, it does not override the user.
    assert np.mean(discount) < np.mean(plain) - 1 < np.mean(full_price) - 2
    assert sum(d < p for d, p in zip(discount, plain)) >= len(USERS) - 1
    # Scores are still a softmax over the input list.
    ranking = api.runtime.get_personalized_ranking(campaignArn=arn, userId="u1", inputList=sorted(ON_SALE),
                                                   context={"DISCOUNT": "Yes"})["personalizedRanking"]
    assert sum(entry["score"] for entry in ranking) == pytest.approx(1.0, abs=1e-3)


def test_unknown_context_keys_and_values_change_nothing(api):
    group = setup_group(api, purchases_csv())["group"]
    arn = campaign(api, group, "aws-personalized-ranking", "rank")
    items = [f"i{i}" for i in range(ITEMS)]
    rank = lambda **kw: api.runtime.get_personalized_ranking(  # noqa: E731
        campaignArn=arn, userId="u3", inputList=items, **kw)["personalizedRanking"]
    plain = rank()
    assert rank(context={"DEVICE": "mobile"}) == plain  # not a field of the interactions
    assert rank(context={"DISCOUNT": "Maybe"}) == plain  # a value never recorded


def test_recommendations_follow_the_context(api):
    group = setup_group(api, purchases_csv())["group"]
    arn = campaign(api, group, "aws-user-personalization", "up")
    share = {}
    for value in ("Yes", None, "No"):
        hits = []
        for user in USERS:
            kwargs = {"context": {"DISCOUNT": value}} if value else {}
            items = api.runtime.get_recommendations(campaignArn=arn, userId=user, numResults=10,
                                                    **kwargs)["itemList"]
            hits.append(sum(entry["itemId"] in ON_SALE for entry in items) / len(items))
        share[value] = np.mean(hits)
    assert share["Yes"] > share[None] > share["No"], share
    # Without context the head cache answers as before, and repeated context requests agree.
    first = api.runtime.get_recommendations(campaignArn=arn, userId="u5", context={"DISCOUNT": "Yes"})["itemList"]
    again = api.runtime.get_recommendations(campaignArn=arn, userId="u5", context={"DISCOUNT": "Yes"})["itemList"]
    assert first == again
    plain = api.runtime.get_recommendations(campaignArn=arn, userId="u5")["itemList"]
    assert plain != first and sum(entry["score"] for entry in first) <= 1.0 + 1e-6
    # *Interactions datasets*: "contextual metadata helps decrease the cold-start phase for new
    # or unidentified users": a user without history gets what sells under their context.
    new = api.runtime.get_recommendations(campaignArn=arn, userId="new-user", numResults=10,
                                          context={"DISCOUNT": "Yes"})["itemList"]
    assert sum(entry["itemId"] in ON_SALE for entry in new) >= 8


def test_context_recorded_with_events_feeds_the_next_training(api):
    # Imported without context: nothing to learn, the context has no effect yet.
    group = setup_group(api, purchases_csv(with_context=False))["group"]
    p = api.personalize
    solution, version = train(api, group, "aws-personalized-ranking", "rank")
    arn = p.create_campaign(name="rank", solutionVersionArn=version)["campaignArn"]
    assert mean_rank_on_sale(api, arn, "u7", context={"DISCOUNT": "Yes"}) == mean_rank_on_sale(api, arn, "u7")

    # PutEvents records the context in properties (camelCase of the DISCOUNT field).
    tracking = p.create_event_tracker(name="tracker", datasetGroupArn=group)["trackingId"]
    rng = np.random.default_rng(7)
    sent = dt.datetime(2024, 1, 1, tzinfo=dt.timezone.utc)
    for batch in range(40):
        events = []
        for k in range(10):
            item = int(rng.integers(ITEMS))
            value = "Yes" if (rng.random() < 0.9) == (f"i{item}" in ON_SALE) else "No"
            events.append({"eventType": "purchase", "itemId": f"i{item}", "eventId": f"e{batch}-{k}",
                           "sentAt": sent + dt.timedelta(minutes=batch * 10 + k),
                           "properties": json.dumps({"discount": value})})
        p_user = f"u{batch % 200}"
        api.events.put_events(trackingId=tracking, userId=p_user, sessionId=f"s{batch}", eventList=events)

    version = p.create_solution_version(solutionArn=solution)["solutionVersionArn"]
    assert p.describe_solution_version(solutionVersionArn=version)["solutionVersion"]["status"] == "ACTIVE"
    p.update_campaign(campaignArn=arn, solutionVersionArn=version)
    p.describe_campaign(campaignArn=arn)
    with_context = np.mean([mean_rank_on_sale(api, arn, u, context={"DISCOUNT": "Yes"}) for u in USERS])
    without = np.mean([mean_rank_on_sale(api, arn, u) for u in USERS])
    assert with_context < without - 1
