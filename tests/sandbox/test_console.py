"""The console in server mode: its JSON endpoints (urllib against the server) and the page
itself in a headless Chromium driven by Playwright."""

from __future__ import annotations

import json
import os
import re
import tempfile
import urllib.error
import urllib.request
from collections.abc import Iterator
from datetime import datetime
from typing import Any
from urllib.parse import urlparse

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

CHROMIUM = "/usr/bin/chromium"
# Without the background-networking flags Chromium's own connections are refused by a closed
# network, and it stalls; the page itself must not need anything but the server.
CHROMIUM_ARGS = [
    "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
    "--disable-component-update", "--disable-sync",
]


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


# ---- the page in a browser ---------------------------------------------------------------
@pytest.fixture(scope="module")
def chromium() -> Iterator[Any]:
    """One headless Chromium for the module, with a fresh profile."""
    from playwright.sync_api import sync_playwright

    with tempfile.TemporaryDirectory() as profile, sync_playwright() as playwright:
        context = playwright.chromium.launch_persistent_context(
            profile, executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS,
        )
        try:
            yield context
        finally:
            context.close()


def open_browser(request: pytest.FixtureRequest) -> Any:
    """The module's browser; a clear failure (not a skip) when Chromium is not installed."""
    if not os.access(CHROMIUM, os.X_OK):
        pytest.fail(f"{CHROMIUM} is missing: the console test needs Debian's chromium (apt-get install chromium); CI installs it.")
    return request.getfixturevalue("chromium")


def test_console_page_in_chromium(request, api, shop):
    from playwright.sync_api import expect

    url = api.personalize.meta.endpoint_url
    arn = campaign(api, shop, config=NO_EXPLORATION)
    failed_import(api, shop)
    version = api.personalize.describe_campaign(campaignArn=arn)["campaign"]["solutionVersionArn"]
    metrics = api.personalize.get_solution_metrics(solutionVersionArn=version)["metrics"]

    page = open_browser(request).new_page()
    requested: list[str] = []
    problems: list[str] = []
    page.on("request", lambda r: requested.append(r.url))
    # Script errors and policy violations; the 400 the form is made to provoke is expected.
    page.on("console", lambda m: problems.append(m.text)
            if m.type == "error" and not m.text.startswith("Failed to load resource") else None)
    page.on("pageerror", lambda e: problems.append(str(e)))
    try:
        page.goto(f"{url}/personalize/")
        group = page.get_by_test_id("dataset-group").filter(has_text="shop")
        expect(group.get_by_test_id("group-name")).to_have_text("shop")
        for kind, rows in (("INTERACTIONS", "1600"), ("ITEMS", "65"), ("USERS", "200")):
            row = group.get_by_test_id("dataset").filter(has=page.get_by_test_id("dataset-type").get_by_text(kind, exact=True))
            expect(row.get_by_test_id("dataset-rows")).to_have_text(rows)
        expect(group.get_by_test_id("import-job")).to_have_count(4)
        failed = group.get_by_test_id("import-job").filter(has_text="import-few")
        expect(failed.get_by_test_id("job-status")).to_have_text("CREATE FAILED")
        expect(failed.get_by_test_id("failure-reason")).to_contain_text("at least 1000")
        expect(group.get_by_test_id("import-job").filter(has_text="import-Items").get_by_test_id("job-status")).to_have_text("ACTIVE")

        shown = group.locator(f'[data-testid="solution-version"][data-arn="{version}"]')
        expect(shown.get_by_test_id("status")).to_have_text("ACTIVE")
        for name in ("coverage", "normalized_discounted_cumulative_gain_at_10"):
            expect(shown.locator(f'dd[data-metric="{name}"]')).to_have_text(str(round(metrics[name], 4)).rstrip("0").rstrip("."))
        expect(group.get_by_test_id("campaign").get_by_test_id("endpoint-name")).to_have_text("c")
        expect(group.get_by_test_id("campaign").get_by_test_id("status")).to_have_text("ACTIVE")

        # The form: a modelled error first, then recommendations with scores.
        expect(page.locator("#rec-endpoint")).to_have_value(arn)
        page.get_by_test_id("rec-submit").click()
        expect(page.get_by_test_id("rec-error-code")).to_have_text("InvalidInputException")
        expect(page.get_by_test_id("rec-error-message")).to_contain_text("userId is required")
        page.get_by_test_id("rec-user").fill("u1")
        page.get_by_test_id("rec-num").fill("5")
        page.get_by_test_id("rec-submit").click()
        expect(page.get_by_test_id("result-item")).to_have_count(5)
        expected = api.runtime.get_recommendations(campaignArn=arn, userId="u1", numResults=5)["itemList"]
        expect(page.get_by_test_id("result-item-id")).to_have_text([i["itemId"] for i in expected])
        scores = [float(s) for s in page.get_by_test_id("result-score").all_text_contents()]
        assert scores == pytest.approx([i["score"] for i in expected]) and scores == sorted(scores, reverse=True)
        rid = page.get_by_test_id("rec-id").text_content()
        assert rid and rid.startswith("RID-")

        # An event naming that recommendation shows, after a refresh, with its impression.
        expect(page.get_by_test_id("event")).to_have_count(0)
        api.events.put_events(trackingId=shop["tracking"], userId="u1", sessionId="s",
                              eventList=[{"eventType": "click", "itemId": expected[1]["itemId"], "sentAt": NOW, "recommendationId": rid}])
        page.get_by_test_id("refresh").click()
        event = page.get_by_test_id("event")
        expect(event).to_have_count(1)
        expect(event.get_by_test_id("event-type")).to_have_text("click")
        expect(event.get_by_test_id("event-item")).to_have_text(expected[1]["itemId"])
        expect(event.get_by_test_id("event-impression")).to_have_text(", ".join(i["itemId"] for i in expected))
    finally:
        page.close()
    outside = [u for u in requested if urlparse(u).scheme != "data" and urlparse(u).hostname != "127.0.0.1"]
    assert outside == [] and requested, requested
    assert problems == []
