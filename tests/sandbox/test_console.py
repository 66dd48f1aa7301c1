"""The console in server mode: its JSON endpoints (urllib against the server). The page itself,
in a headless Chromium, is tested in test_console_browser.py on the world built here."""

from __future__ import annotations

import json
import re
import urllib.error
import urllib.request
from datetime import datetime
from typing import Any

import pytest

from personalize_mock import faults, inspect
from tests.api.test_recommenders import domain_group, events_csv
from tests.api.test_runtime import (
    NO_EXPLORATION,
    NOW,
    RECIPE,
    campaign,
    group_of,
    make_filter,
)
from tests.api.test_runtime import shop as trained_shop
from tests.conftest import make_clients

@pytest.fixture
def api(personalize_server: str) -> Any:
    """boto3 clients against the server (this module's tests need the server, not in-process)."""
    return make_clients("server", personalize_server)


@pytest.fixture
def shop(api: Any) -> dict[str, Any]:
    """The runtime tests' trained dataset group, built on the server."""
    return trained_shop.__wrapped__(api)


def get(url: str, path: str) -> Any:
    with urllib.request.urlopen(f"{url}/personalize{path}") as response:
        return json.loads(response.read())


def post(url: str, path: str, body: Any) -> tuple[int, Any]:
    data = body if isinstance(body, bytes) else json.dumps(body).encode()
    request = urllib.request.Request(f"{url}/personalize{path}", data=data, method="POST",
                                     headers={"Content-Type": "application/json"})
    try:
        with urllib.request.urlopen(request) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read())


def failed_import(api: Any, shop: dict[str, Any]) -> str:
    """An import job into the Interactions dataset that fails (too few records)."""
    api.s3.put_object(Bucket="shop-data", Key="few.csv", Body=f"USER_ID,ITEM_ID,TIMESTAMP,EVENT_TYPE\nu1,i1,{NOW},view\n")
    return api.personalize.create_dataset_import_job(
        jobName="import-few", datasetArn=shop["datasets"]["Interactions"],
        dataSource={"dataLocation": "s3://shop-data/few.csv"}, importMode="INCREMENTAL",
    )["datasetImportJobArn"]


def the_group(overview: dict[str, Any], name: str) -> dict[str, Any]:
    [group] = [g for b in overview["backends"] for g in b["datasetGroups"] if g["name"] == name]
    return group


def is_iso(value: str) -> bool:
    return datetime.fromisoformat(value).tzinfo is not None


# ---- JSON endpoints ----------------------------------------------------------------------
def test_page_is_one_self_contained_file(personalize_server):
    for path in ("/personalize/", "/personalize"):
        with urllib.request.urlopen(personalize_server + path) as response:
            html = response.read().decode()
            assert response.headers["Content-Type"].startswith("text/html")
            assert "connect-src 'self'" in response.headers["Content-Security-Policy"]
    assert 'id="recommend-form"' in html and 'data-testid="refresh"' in html
    assert not re.findall(r"(?:src|href)\s*=\s*[\"']?(?:https?:)?//", html)  # no CDN, no external asset
    assert not re.findall(r"https?://", html)


def test_overview_is_empty_on_a_fresh_server(personalize_server):
    overview = get(personalize_server, "/api/overview")
    assert overview["backends"] == [] and is_iso(overview["generatedAt"])
    assert get(personalize_server, "/api/events") == {
        "limit": 50, "events": [], "eventsTotal": 0, "records": [], "recordsTotal": 0}


def test_overview_shows_groups_datasets_jobs_versions_and_campaigns(api, shop):
    url = api.personalize.meta.endpoint_url
    arn = campaign(api, shop, config=NO_EXPLORATION)
    job = failed_import(api, shop)
    overview = get(url, "/api/overview")
    [backend] = overview["backends"]
    assert (backend["accountId"], backend["region"]) == ("123456789012", "us-east-1")
    group = the_group(overview, "shop")
    assert group["arn"] == shop["group"] and group["status"] == "ACTIVE" and is_iso(group["creationDateTime"])
    rows = {d["datasetType"]: d["rows"] for d in group["datasets"]}
    assert rows == {"INTERACTIONS": 1600, "ITEMS": 65, "USERS": 200}
    assert all(d["status"] == "ACTIVE" for d in group["datasets"])
    assert group["eventTrackers"][0]["trackingId"] == shop["tracking"]

    jobs = {j["jobName"]: j for j in group["importJobs"]}
    assert {n: j["status"] for n, j in jobs.items()} == {
        "import-Interactions": "ACTIVE", "import-Items": "ACTIVE", "import-Users": "ACTIVE", "import-few": "CREATE FAILED",
    }
    failed = jobs["import-few"]
    assert failed["arn"] == job and failed["datasetType"] == "INTERACTIONS" and failed["importMode"] == "INCREMENTAL"
    assert failed["failureReason"] == api.personalize.describe_dataset_import_job(
        datasetImportJobArn=job)["datasetImportJob"]["failureReason"]
    assert "at least 1000" in failed["failureReason"]
    assert jobs["import-Items"]["failureReason"] is None

    [solution] = group["solutions"]
    [version] = solution["versions"]
    assert solution["recipe"] == "aws-user-personalization" and version["status"] == "ACTIVE"
    reported = api.personalize.get_solution_metrics(solutionVersionArn=version["arn"])["metrics"]
    assert version["metrics"] == pytest.approx(reported) and "coverage" in version["metrics"]

    [served] = group["campaigns"]
    assert served["arn"] == arn and served["status"] == "ACTIVE" and served["solutionVersionArn"] == version["arn"]
    assert served["recipeType"] == "USER_PERSONALIZATION"
    assert group["recommenders"] == [] and group["filters"] == []


@pytest.mark.personalize_transition(progression="manual", times=1)
def test_console_reads_do_not_advance_lifecycles(personalize_server):
    client = make_clients("server", personalize_server).personalize
    arn = client.create_dataset_group(name="slow")["datasetGroupArn"]
    for _ in range(3):
        assert the_group(get(personalize_server, "/api/overview"), "slow")["status"] == "CREATE PENDING"
        assert get(personalize_server, "/api/events")["events"] == []
        with urllib.request.urlopen(personalize_server + "/personalize/") as page:  # the page itself reads nothing
            assert page.status == 200
    # One client read moves it one step: the console's reads were not counted.
    assert client.describe_dataset_group(datasetGroupArn=arn)["datasetGroup"]["status"] == "CREATE IN_PROGRESS"
    assert the_group(get(personalize_server, "/api/overview"), "slow")["status"] == "CREATE IN_PROGRESS"


def test_recommendations_answer_like_the_runtime_api(api, shop):
    url = api.personalize.meta.endpoint_url
    arn = campaign(api, shop, config=NO_EXPLORATION)
    status, answer = post(url, "/api/recommendations", {"campaignArn": arn, "userId": "u1", "numResults": 5})
    assert status == 200 and answer["operation"] == "GetRecommendations"
    expected = api.runtime.get_recommendations(campaignArn=arn, userId="u1", numResults=5)["itemList"]
    assert [i["itemId"] for i in answer["items"]] == [i["itemId"] for i in expected]
    assert [i["score"] for i in answer["items"]] == pytest.approx([i["score"] for i in expected])
    # Remembered like an API response: a later event naming it records these items as shown.
    assert inspect.recommendation(answer["recommendationId"])["items"] == [i["itemId"] for i in answer["items"]]

    flt = make_filter(api, shop, "EXCLUDE ItemID WHERE Items.GENRES IN ($G)")
    status, answer = post(url, "/api/recommendations", {
        "campaignArn": arn, "userId": "u1", "numResults": 10, "filterArn": flt, "filterValues": {"G": '"g1"'},
        "itemId": "", "inputList": [],  # empty form fields are left out
    })
    assert status == 200 and len(answer["items"]) == 10
    assert all(group_of(i["itemId"]) != 1 for i in answer["items"])


def test_personalized_ranking_through_the_form_endpoint(api, shop):
    url = api.personalize.meta.endpoint_url
    arn = campaign(api, shop, recipe="aws-personalized-ranking", name="rank")
    status, answer = post(url, "/api/recommendations", {"campaignArn": arn, "userId": "u2", "inputList": ["i5", "zzz", "i31"]})
    assert status == 200 and answer["operation"] == "GetPersonalizedRanking"
    assert [i["itemId"] for i in answer["items"]] == ["i31", "i5", "zzz"]
    assert "score" in answer["items"][0] and "score" not in answer["items"][-1]
    # Without an inputList the form still asks what the recipe serves: the client's check answers.
    status, error = post(url, "/api/recommendations", {"campaignArn": arn, "userId": "u2"})
    assert (status, error["code"]) == (400, "ParamValidationError") and "inputList" in error["message"]


def test_recommendation_errors_carry_the_modelled_code_and_message(api, shop):
    url = api.personalize.meta.endpoint_url
    arn = campaign(api, shop)
    cases = [
        ({"campaignArn": arn}, 400, "InvalidInputException", "userId is required"),
        ({"campaignArn": arn, "userId": "u1", "numResults": 501}, 400, "InvalidInputException", "500"),
        ({"campaignArn": arn + "x", "userId": "u1"}, 404, "ResourceNotFoundException", arn + "x"),
        ({"campaignArn": arn.replace("123456789012", "999999999999"), "userId": "u1"}, 404, "ResourceNotFoundException", "999999999999"),
        ({"campaignArn": arn, "inputList": ["i1"]}, 400, "ParamValidationError", 'Missing required parameter in input: "userId"'),
        ({"campaignArn": arn, "userId": "u1", "numResults": "five"}, 400, "ParamValidationError", "numResults"),
    ]
    for body, status, code, fragment in cases:
        got_status, error = post(url, "/api/recommendations", body)
        assert (got_status, error["code"]) == (status, code), error
        assert fragment in error["message"]
    # Injected faults reach console calls as they reach API calls.
    faults.raise_error("GetRecommendations", "ResourceNotFoundException", message="Injected: gone.")
    assert post(url, "/api/recommendations", {"campaignArn": arn, "userId": "u1"}) == (
        404, {"code": "ResourceNotFoundException", "message": "Injected: gone."})
    assert post(url, "/api/recommendations", {"campaignArn": arn, "userId": "u1"})[0] == 200
    status, error = post(url, "/api/recommendations", {"campaignArn": arn, "userID": "u1"})
    assert status == 400 and "userID" in error["message"]
    assert post(url, "/api/recommendations", b"not json")[0] == 400
    assert post(url, "/api/recommendations", b"[]")[0] == 400


def test_recommenders_show_their_metrics_and_answer(api, monkeypatch):
    monkeypatch.setenv("PERSONALIZE_MOCK_RELAXED_DATA", "1")  # a small data set is enough here
    url = api.personalize.meta.endpoint_url
    group = domain_group(api, name="store", body=events_csv(users=40, per_user=6))
    arn = api.personalize.create_recommender(
        name="popular", datasetGroupArn=group, recipeArn=RECIPE + "aws-ecomm-popular-items-by-views",
    )["recommenderArn"]
    [shown] = the_group(get(url, "/api/overview"), "store")["recommenders"]
    described = api.personalize.describe_recommender(recommenderArn=arn)["recommender"]
    assert (shown["arn"], shown["status"], shown["recipe"]) == (arn, "ACTIVE", "aws-ecomm-popular-items-by-views")
    assert shown["modelMetrics"] == pytest.approx(described["modelMetrics"])
    status, answer = post(url, "/api/recommendations", {"recommenderArn": arn, "userId": "u1", "numResults": 3})
    assert status == 200 and len(answer["items"]) == 3
    expected = api.runtime.get_recommendations(recommenderArn=arn, userId="u1", numResults=3)["itemList"]
    assert [i["itemId"] for i in answer["items"]] == [i["itemId"] for i in expected]


def test_events_newest_first_with_their_impressions(api, shop):
    url = api.personalize.meta.endpoint_url
    arn = campaign(api, shop, config=NO_EXPLORATION)
    response = api.runtime.get_recommendations(campaignArn=arn, userId="u1", numResults=3)
    shown = [i["itemId"] for i in response["itemList"]]
    send = {"trackingId": shop["tracking"], "userId": "u1", "sessionId": "s"}
    api.events.put_events(**send, eventList=[
        {"eventType": "click", "itemId": shown[0], "sentAt": NOW, "recommendationId": response["recommendationId"]}])
    api.events.put_events(**send, eventList=[{"eventType": "view", "itemId": "i1", "sentAt": NOW + 60, "impression": ["i1", "i2"]}])
    events = get(url, "/api/events")["events"]
    assert [(e["eventType"], e["itemId"], e["impression"]) for e in events] == [
        ("view", "i1", ["i1", "i2"]), ("click", shown[0], shown),
    ]
    first = events[0]
    assert first["userId"] == "u1" and first["datasetGroupArn"] == shop["group"] and first["datasetType"] == "INTERACTIONS"
    assert datetime.fromisoformat(first["sentAt"]).timestamp() == NOW + 60
    assert events[1]["recommendationId"] == response["recommendationId"]
    assert [e["itemId"] for e in get(url, "/api/events?limit=1")["events"]] == ["i1"]
    with pytest.raises(urllib.error.HTTPError) as excinfo:
        get(url, "/api/events?limit=0")
    assert excinfo.value.code == 400


def test_events_of_two_datasets_come_newest_first_together(api):
    """PutEvents (Interactions) and PutActionInteractions (Action_Interactions) interleaved in
    time: the latest N are the newest across both datasets, not the first dataset's."""
    from tests.api.data_helpers import ACTION_INTERACTIONS_SCHEMA, make_dataset, make_group

    p = api.personalize
    url = p.meta.endpoint_url
    group = make_group(p, "mixed")
    make_dataset(p, group, "INTERACTIONS")
    actions = make_dataset(p, group, "ACTION_INTERACTIONS", ACTION_INTERACTIONS_SCHEMA)
    tracking = p.create_event_tracker(name="mixed", datasetGroupArn=group)["trackingId"]
    action_tracking = p.describe_dataset(datasetArn=actions)["dataset"]["trackingId"]
    for sent, item in ((NOW, "i1"), (NOW + 20, "i2")):
        api.events.put_events(trackingId=tracking, userId="u1", sessionId="s",
                              eventList=[{"eventType": "view", "itemId": item, "sentAt": sent}])
    for sent, action in ((NOW + 10, "a1"), (NOW + 30, "a2")):
        api.events.put_action_interactions(trackingId=action_tracking, actionInteractions=[
            {"actionId": action, "userId": "u1", "sessionId": "s", "timestamp": sent, "eventType": "Taken"}])
    answer = get(url, "/api/events")
    assert [(e["operation"], e["itemId"]) for e in answer["events"]] == [
        ("PutActionInteractions", "a2"), ("PutEvents", "i2"), ("PutActionInteractions", "a1"), ("PutEvents", "i1")]
    assert [datetime.fromisoformat(e["sentAt"]).timestamp() for e in answer["events"]] == [NOW + 30, NOW + 20, NOW + 10, NOW]
    assert answer["eventsTotal"] == 4
    assert [e["itemId"] for e in get(url, "/api/events?limit=2")["events"]] == ["a2", "i2"]


# ---- every resource kind -------------------------------------------------------------------
ROLE = "arn:aws:iam::123456789012:role/console"
EXPLORING = {"itemExplorationConfig": {"explorationWeight": "0.3", "explorationItemAgeCutOff": "30"}}


def train(api: Any, shop: dict[str, Any], name: str, recipe: str, **options: Any) -> tuple[str, str]:
    """A solution and one ACTIVE version of it."""
    p = api.personalize
    solution = p.create_solution(name=name, datasetGroupArn=shop["group"], recipeArn=RECIPE + recipe, **options)["solutionArn"]
    return solution, version_of(api, solution)


def version_of(api: Any, solution: str) -> str:
    version = api.personalize.create_solution_version(solutionArn=solution)["solutionVersionArn"]
    described = api.personalize.describe_solution_version(solutionVersionArn=version)["solutionVersion"]
    assert described["status"] == "ACTIVE", described.get("failureReason")
    return version


def world(api: Any, shop: dict[str, Any]) -> dict[str, Any]:
    """The shop with one of every resource kind a Personalize user looks at: two versions of a
    user-personalization solution (HPO, a hyperparameter), a campaign that explores and was
    updated, ranking and SIMS campaigns, a failed campaign and filter, a filter with a
    placeholder, export / deletion / batch inference / batch segment jobs, a metric
    attribution, tags, and a second group whose events carry every field."""
    p, s3 = api.personalize, api.s3
    up, v1 = train(api, shop, "up", "aws-user-personalization", performHPO=True,
                   solutionConfig={"algorithmHyperParameters": {"hidden_dimension": "32"}})
    v2 = version_of(api, up)
    explore = p.create_campaign(name="explore", solutionVersionArn=v1, campaignConfig=EXPLORING,
                                tags=[{"tagKey": "team", "tagValue": "recs"}])["campaignArn"]
    p.update_campaign(campaignArn=explore, solutionVersionArn=v2, minProvisionedTPS=3)
    _, ranking = train(api, shop, "rank", "aws-personalized-ranking")
    rank = p.create_campaign(name="rank", solutionVersionArn=ranking)["campaignArn"]
    _, similar = train(api, shop, "sims", "aws-sims")
    sims = p.create_campaign(name="sims", solutionVersionArn=similar)["campaignArn"]
    faults.fail_creates("campaign", "Injected: no capacity in this zone.")
    broken = p.create_campaign(name="broken", solutionVersionArn=v1)["campaignArn"]
    by_genre = make_filter(api, shop, "INCLUDE ItemID WHERE Items.GENRES IN ($GENRE)", name="by-genre")
    promo = make_filter(api, shop, 'INCLUDE ItemID WHERE Items.GENRES IN ("g3")', name="promo")
    faults.fail_creates("filter", "Injected: filter store unavailable.")
    bad_filter = make_filter(api, shop, 'EXCLUDE ItemID WHERE Items.GENRES IN ("g0")', name="bad")

    s3.put_object(Bucket="shop-data", Key="batch/in/users.json", Body='{"userId": "u1"}\n{"userId": "u2"}\n')
    batch = p.create_batch_inference_job(
        jobName="batch", solutionVersionArn=v1, roleArn=ROLE, numResults=5,
        jobInput={"s3DataSource": {"path": "s3://shop-data/batch/in/users.json"}},
        jobOutput={"s3DataDestination": {"path": "s3://shop-data/batch/out/"}})["batchInferenceJobArn"]
    _, affinity = train(api, shop, "affinity", "aws-item-affinity")
    s3.put_object(Bucket="shop-data", Key="segments/in/items.json", Body='{"itemId": "i31"}\n')
    segments = p.create_batch_segment_job(
        jobName="segments", solutionVersionArn=affinity, roleArn=ROLE, numResults=10,
        jobInput={"s3DataSource": {"path": "s3://shop-data/segments/in/items.json"}},
        jobOutput={"s3DataDestination": {"path": "s3://shop-data/segments/out/"}})["batchSegmentJobArn"]
    export = p.create_dataset_export_job(
        jobName="export", datasetArn=shop["datasets"]["Items"], roleArn=ROLE, ingestionMode="ALL",
        jobOutput={"s3DataDestination": {"path": "s3://shop-data/export/"}})["datasetExportJobArn"]
    s3.put_object(Bucket="shop-data", Key="delete/users.csv", Body="USER_ID\nu199\n")
    deletion = p.create_data_deletion_job(
        jobName="forget-u199", datasetGroupArn=shop["group"], roleArn=ROLE,
        dataSource={"dataLocation": "s3://shop-data/delete/users.csv"})["dataDeletionJobArn"]
    attribution = p.create_metric_attribution(
        name="revenue", datasetGroupArn=shop["group"],
        metrics=[{"eventType": "buy", "metricName": "BUYS", "expression": "SAMPLECOUNT()"}],
        metricsOutputConfig={"roleArn": ROLE, "s3DataDestination": {"path": "s3://shop-data/metrics/"}},
    )["metricAttributionArn"]
    for job, describe in ((batch, p.describe_batch_inference_job), (segments, p.describe_batch_segment_job)):
        key = "batchInferenceJobArn" if describe == p.describe_batch_inference_job else "batchSegmentJobArn"
        assert describe(**{key: job})[key[:-3]]["status"] == "ACTIVE"
    assert p.describe_dataset_export_job(datasetExportJobArn=export)["datasetExportJob"]["status"] == "ACTIVE"
    p.describe_data_deletion_job(dataDeletionJobArn=deletion)
    api.events.put_items(datasetArn=shop["datasets"]["Items"], items=[
        {"itemId": "i900", "properties": json.dumps({"genres": "g1", "price": 9.5, "creationTimestamp": NOW})}])
    api.events.put_users(datasetArn=shop["datasets"]["Users"], users=[{"userId": "u900", "properties": json.dumps({"tier": "gold"})}])
    return {"up": up, "v1": v1, "v2": v2, "explore": explore, "rank": rank, "sims": sims, "broken": broken,
            "by_genre": by_genre, "promo": promo, "bad_filter": bad_filter, "batch": batch, "segments": segments,
            "export": export, "deletion": deletion, "attribution": attribution, "stream": stream(api)}


def stream(api: Any) -> dict[str, Any]:
    """A second dataset group whose Interactions schema takes eventValue and properties."""
    from tests.api.data_helpers import RICH_INTERACTIONS_SCHEMA

    p = api.personalize
    group = p.create_dataset_group(name="stream")["datasetGroupArn"]
    schema = p.create_schema(name="stream-interactions", schema=RICH_INTERACTIONS_SCHEMA)["schemaArn"]
    p.create_dataset(name="stream-interactions", schemaArn=schema, datasetGroupArn=group, datasetType="Interactions")
    tracking = p.create_event_tracker(name="stream", datasetGroupArn=group)["trackingId"]
    return {"group": group, "tracking": tracking}


def send_rich_event(api: Any, stream: dict[str, Any], event_id: str, sent_at: int = NOW) -> None:
    api.events.put_events(trackingId=stream["tracking"], userId="reader", sessionId="session-7", eventList=[{
        "eventId": event_id, "eventType": "rate", "itemId": "i3", "eventValue": 4.5, "sentAt": sent_at,
        "properties": json.dumps({"device": "phone", "numRatings": 12})}])


def s3_objects(api: Any, prefix: str, suffix: str = "") -> list[dict[str, Any]]:
    listed = api.s3.list_objects_v2(Bucket="shop-data", Prefix=prefix).get("Contents", [])
    return [{"url": f"s3://shop-data/{o['Key']}", "size": o["Size"]} for o in listed if o["Key"].endswith(suffix)]


def test_overview_shows_every_resource_kind(api, shop):
    url = api.personalize.meta.endpoint_url
    made = world(api, shop)
    p = api.personalize
    [backend] = get(url, "/api/overview")["backends"]
    shown = the_group({"backends": [backend]}, "shop")
    schemas = {s["name"]: s for s in backend["schemas"]}
    assert [f["name"] for f in schemas["shop-Items"]["fields"]] == ["ITEM_ID", "GENRES", "PRICE", "CREATION_TIMESTAMP"]
    assert schemas["shop-Items"]["fields"][1] == {"name": "GENRES", "type": "string", "nullable": False,
                                                  "categorical": True, "textual": False}
    assert {d["datasetType"]: d["schemaName"] for d in shown["datasets"]}["ITEMS"] == "shop-Items"

    solutions = {s["name"]: s for s in shown["solutions"]}
    up = solutions["up"]
    described = p.describe_solution(solutionArn=made["up"])["solution"]
    assert up["performHPO"] is True and up["performAutoTraining"] == described["performAutoTraining"]
    assert up["solutionConfig"] == described["solutionConfig"] and up["hyperparameters"]["hidden_dimension"] == "32"
    assert [v["arn"] for v in up["versions"]] == [made["v1"], made["v2"]]
    version = p.describe_solution_version(solutionVersionArn=made["v2"])["solutionVersion"]
    assert up["versions"][1]["trainingHours"] == version["trainingHours"]
    assert up["versions"][1]["tunedHPOParams"] == version["tunedHPOParams"]

    campaigns = {c["name"]: c for c in shown["campaigns"]}
    explore = p.describe_campaign(campaignArn=made["explore"])["campaign"]
    assert campaigns["explore"]["minProvisionedTPS"] == explore["minProvisionedTPS"] == 3
    assert campaigns["explore"]["campaignConfig"] == explore["campaignConfig"]
    update = campaigns["explore"]["latestCampaignUpdate"]
    assert (update["status"], update["solutionVersionArn"], update["minProvisionedTPS"]) == (
        explore["latestCampaignUpdate"]["status"], made["v2"], 3)
    assert campaigns["explore"]["tags"] == {"team": "recs"}
    assert campaigns["broken"]["status"] == "CREATE FAILED"
    assert campaigns["broken"]["failureReason"] == "Injected: no capacity in this zone."
    assert campaigns["rank"]["form"]["operation"] == "GetPersonalizedRanking"
    assert campaigns["rank"]["form"]["fields"] == ["userId", "inputList", "filter"]
    assert campaigns["sims"]["form"]["fields"][:2] == ["itemId", "userId"] and campaigns["sims"]["form"]["scores"] is False

    filters = {f["name"]: f for f in shown["filters"]}
    assert filters["bad"]["status"] == "CREATE FAILED" and filters["bad"]["failureReason"] == "Injected: filter store unavailable."
    [placeholder] = filters["by-genre"]["placeholders"]
    # Real values from the Items dataset, most frequent first: "all" (60 items), g1 (15 + i900 from
    # PutItems), then g0, g2, g3 (15 each).
    assert placeholder == {"name": "GENRE", "dataset": "Items", "field": "GENRES", "operator": "IN",
                           "examples": ["all", "g1", "g0", "g2", "g3"], "numeric": False, "required": True}

    [batch] = shown["batchInferenceJobs"]
    assert batch["arn"] == made["batch"] and batch["status"] == "ACTIVE" and batch["numResults"] == 5
    assert batch["outputs"] == s3_objects(api, "batch/out/", ".out") != []
    [segments] = shown["batchSegmentJobs"]
    assert segments["arn"] == made["segments"] and segments["outputs"] == s3_objects(api, "segments/out/", ".out") != []
    [export] = shown["exportJobs"]
    assert (export["arn"], export["status"], export["ingestionMode"]) == (made["export"], "ACTIVE", "ALL")
    assert export["outputs"] == s3_objects(api, "export/") != []
    [deletion] = shown["deletionJobs"]
    described = p.describe_data_deletion_job(dataDeletionJobArn=made["deletion"])["dataDeletionJob"]
    assert deletion["status"] == described["status"] and deletion["numDeleted"] == described.get("numDeleted")
    assert deletion["inputs"] == [{"url": "s3://shop-data/delete/users.csv", "size": len("USER_ID\nu199\n")}]
    [attribution] = shown["metricAttributions"]
    assert attribution["metrics"] == [{"eventType": "buy", "metricName": "BUYS", "expression": "SAMPLECOUNT()"}]
    assert attribution["metricsOutputConfig"]["s3DataDestination"]["path"] == "s3://shop-data/metrics/"


def test_events_carry_every_field_and_put_records_show(api, shop):
    url = api.personalize.meta.endpoint_url
    streamed = stream(api)
    send_rich_event(api, streamed, "e-1")
    api.events.put_items(datasetArn=shop["datasets"]["Items"], items=[
        {"itemId": "i900", "properties": json.dumps({"genres": "g1|all", "price": 9.5, "creationTimestamp": NOW})},
        {"itemId": "i901", "properties": json.dumps({"genres": "g2", "price": 1.5, "creationTimestamp": NOW})}])
    api.events.put_users(datasetArn=shop["datasets"]["Users"], users=[{"userId": "u900", "properties": json.dumps({"tier": "gold"})}])
    answer = get(url, "/api/events")
    [event] = answer["events"]
    assert {k: event[k] for k in ("operation", "eventId", "sessionId", "userId", "eventType", "itemId", "eventValue", "properties")} == {
        "operation": "PutEvents", "eventId": "e-1", "sessionId": "session-7", "userId": "reader", "eventType": "rate",
        "itemId": "i3", "eventValue": 4.5, "properties": {"device": "phone", "numRatings": 12}}
    assert answer["eventsTotal"] == 1 and answer["recordsTotal"] == 3
    records = [(r["operation"], r["idMember"], r["id"], r["properties"]) for r in answer["records"]]
    assert ("PutItems", "itemId", "i901", {"genres": "g2", "price": 1.5, "creationTimestamp": NOW}) in records
    assert ("PutUsers", "userId", "u900", {"tier": "gold"}) in records
    items = [r for r in records if r[0] == "PutItems"]
    assert [r[2] for r in items] == ["i901", "i900"]  # newest first
    assert len(get(url, "/api/events?limit=1")["records"]) == 1


def test_recommendations_mark_exploration_and_name_their_operation(api, shop):
    url = api.personalize.meta.endpoint_url
    arn = campaign(api, shop, config=EXPLORING)
    status, answer = post(url, "/api/recommendations", {"operation": "GetRecommendations", "campaignArn": arn, "userId": "u1",
                                                        "numResults": 10})
    assert status == 200
    ids = [i["itemId"] for i in answer["items"]]
    expected = api.runtime.get_recommendations(campaignArn=arn, userId="u1", numResults=10)["itemList"]
    assert ids == [i["itemId"] for i in expected]
    # The shop's five items created yesterday are the cold items exploration mixes in: round(0.3 * 10 / 2) = 2.
    assert answer["exploration"]["items"] == [i for i in ids if i.startswith("new")] and len(answer["exploration"]["items"]) == 2
    assert answer["exploration"]["settings"] == {"explorationWeight": 0.3, "explorationItemAgeCutOff": 30.0}
    status, error = post(url, "/api/recommendations", {"operation": "GetEverything", "campaignArn": arn, "userId": "u1"})
    assert status == 400 and "GetRecommendations" in error["message"]
    # A ranking request named as such: numResults is not one of its members (the client's check).
    status, error = post(url, "/api/recommendations", {"operation": "GetPersonalizedRanking", "campaignArn": arn,
                                                       "userId": "u1", "inputList": ["i1"], "numResults": 5})
    assert (status, error["code"]) == (400, "ParamValidationError") and "numResults" in error["message"]


def test_exploration_marks_nothing_when_its_weight_gives_no_slot(api, shop):
    """The runtime mixes cold items in only when round(explorationWeight * numResults / 2) > 0:
    below that, cold items the model ranks on its own are not exploration's."""
    url = api.personalize.meta.endpoint_url
    arn = campaign(api, shop, config={"itemExplorationConfig": {"explorationWeight": "0.01",
                                                                "explorationItemAgeCutOff": "30"}})
    status, answer = post(url, "/api/recommendations", {"campaignArn": arn, "userId": "u1", "numResults": 80})
    ids = [i["itemId"] for i in answer["items"]]
    assert status == 200 and ids == [i["itemId"] for i in api.runtime.get_recommendations(
        campaignArn=arn, userId="u1", numResults=80)["itemList"]]
    assert [i for i in ids if i.startswith("new")] != []  # the whole catalogue: the cold items are listed
    assert answer["exploration"] == {"items": [], "settings": {"explorationWeight": 0.01, "explorationItemAgeCutOff": 30.0}}


def test_action_recommendations_through_the_form_endpoint(api):
    """A next-best-action campaign: the form asks GetActionRecommendations and gets actionIds."""
    from tests.api.data_helpers import nba_campaign

    url = api.personalize.meta.endpoint_url
    arn = nba_campaign(api)
    [shown] = [c for b in get(url, "/api/overview")["backends"] for g in b["datasetGroups"] for c in g["campaigns"]]
    assert shown["form"] == {"operation": "GetActionRecommendations", "fields": ["userId", "numResults", "filter"],
                             "required": ["userId"], "maxResults": 100, "scores": True, "exploration": True}
    expected = api.runtime.get_action_recommendations(campaignArn=arn, userId="u1", numResults=3)["actionList"]
    for body in ({"campaignArn": arn, "userId": "u1", "numResults": 3},  # inferred from the recipe
                 {"operation": "GetActionRecommendations", "campaignArn": arn, "userId": "u1", "numResults": 3}):
        status, answer = post(url, "/api/recommendations", body)
        assert status == 200 and answer["operation"] == "GetActionRecommendations"
        assert answer["items"] == expected
