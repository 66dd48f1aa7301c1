"""Fault injection through personalize_mock.faults (in-process) and /personalize/faults (server)."""

from __future__ import annotations

import json
import time
import urllib.error
import urllib.request

import pytest
from botocore.exceptions import ClientError

from personalize_mock import faults
from tests.api.test_runtime import NO_EXPLORATION, campaign
from tests.conftest import INTERACTIONS_SCHEMA, error_code, error_message


def http(url: str, method: str, path: str, body: dict | None = None) -> tuple[int, dict]:
    data = None if body is None else json.dumps(body).encode()
    request = urllib.request.Request(f"{url}/personalize/faults{path}", data=data, method=method,
                                     headers={"Content-Type": "application/json"})
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read())


class Inject:
    """Sets faults the way each mode's users do: Python in-process, HTTP against the server."""

    def __init__(self, api) -> None:
        self.url = api.personalize.meta.endpoint_url if api.mode == "server" else None

    def fail_creates(self, kind: str, reason: str, count: int = 1) -> None:
        if self.url is None:
            faults.fail_creates(kind, reason, count)
        else:
            status, body = http(self.url, "POST", "/create-failures", {"kind": kind, "reason": reason, "count": count})
            assert status == 201, body

    def raise_error(self, operation: str, error: str, count: int = 1, message: str | None = None) -> None:
        if self.url is None:
            faults.raise_error(operation, error, count, message)
        else:
            body = {"operation": operation, "error": error, "count": count, "message": message}
            status, answer = http(self.url, "POST", "/errors", body)
            assert status == 201, answer

    def add_latency(self, seconds: float, count: int | None = None) -> None:
        if self.url is None:
            faults.add_latency(seconds, count=count)
        else:
            status, body = http(self.url, "POST", "/latency", {"seconds": seconds, "count": count})
            assert status == 201, body

    def active(self) -> dict:
        if self.url is None:
            return faults.active()
        status, body = http(self.url, "GET", "")
        assert status == 200
        return body


@pytest.fixture
def inject(api) -> Inject:
    return Inject(api)


def test_next_creates_of_a_kind_fail_with_the_reason(api, inject):
    inject.fail_creates("dataset-group", "Injected: account is being migrated", count=2)
    arns = [api.personalize.create_dataset_group(name=f"g{n}")["datasetGroupArn"] for n in range(3)]
    groups = [api.personalize.describe_dataset_group(datasetGroupArn=arn)["datasetGroup"] for arn in arns]
    assert [g["status"] for g in groups] == ["CREATE FAILED", "CREATE FAILED", "ACTIVE"]
    assert groups[0]["failureReason"] == "Injected: account is being migrated"
    assert "failureReason" not in groups[2]
    assert inject.active()["createFailures"] == []


def test_an_injected_import_failure_stores_nothing(api, inject, shop):
    p = api.personalize
    dataset = shop["datasets"]["Interactions"]
    api.s3.put_object(Bucket="shop-data", Key="more.csv", Body="USER_ID,ITEM_ID,TIMESTAMP,EVENT_TYPE\nzz,i1,1700000000,view\n")
    inject.fail_creates("dataset-import-job", "Injected: S3 throttled")
    job = p.create_dataset_import_job(jobName="more", datasetArn=dataset, importMode="INCREMENTAL",
                                      dataSource={"dataLocation": "s3://shop-data/more.csv"})["datasetImportJobArn"]
    described = p.describe_dataset_import_job(datasetImportJobArn=job)["datasetImportJob"]
    assert described["status"] == "CREATE FAILED"
    assert described["failureReason"] == "Injected: S3 throttled"
    # The user "zz" was not stored: a campaign trained now does not know them.
    arn = campaign(api, shop, config=NO_EXPLORATION)
    known = api.runtime.get_recommendations(campaignArn=arn, userId="u1", numResults=3)["itemList"]
    assert len(known) == 3


def test_an_injected_training_failure(api, inject, shop):
    p = api.personalize
    inject.fail_creates("solution-version", "Injected: internal training error")
    solution = p.create_solution(name="s", datasetGroupArn=shop["group"],
                                 recipeArn="arn:aws:personalize:::recipe/aws-user-personalization")["solutionArn"]
    failed = p.create_solution_version(solutionArn=solution)["solutionVersionArn"]
    version = p.describe_solution_version(solutionVersionArn=failed)["solutionVersion"]
    assert (version["status"], version["failureReason"]) == ("CREATE FAILED", "Injected: internal training error")
    with pytest.raises(ClientError) as excinfo:
        p.create_campaign(name="c", solutionVersionArn=failed)
    assert error_code(excinfo) == "ResourceInUseException"
    ok = p.create_solution_version(solutionArn=solution)["solutionVersionArn"]
    assert p.describe_solution_version(solutionVersionArn=ok)["solutionVersion"]["status"] == "ACTIVE"


def test_an_operation_raises_its_modelled_error_n_times(api, inject):
    p = api.personalize
    inject.raise_error("CreateSchema", "LimitExceededException", count=2, message="Too many schemas today.")
    for _ in range(2):
        with pytest.raises(ClientError) as excinfo:
            p.create_schema(name="s", schema=INTERACTIONS_SCHEMA)
        assert error_code(excinfo) == "LimitExceededException"
        assert error_message(excinfo) == "Too many schemas today."
    assert p.create_schema(name="s", schema=INTERACTIONS_SCHEMA)["schemaArn"].endswith("schema/s")


def test_runtime_and_events_errors(api, inject, shop):
    arn = campaign(api, shop, config=NO_EXPLORATION)
    inject.raise_error("GetRecommendations", "ResourceNotFoundException")
    with pytest.raises(ClientError) as excinfo:
        api.runtime.get_recommendations(campaignArn=arn, userId="u1")
    assert error_code(excinfo) == "ResourceNotFoundException"
    assert excinfo.value.response["ResponseMetadata"]["HTTPStatusCode"] == 404
    assert api.runtime.get_recommendations(campaignArn=arn, userId="u1")["itemList"]
    inject.raise_error("PutEvents", "InvalidInputException")
    with pytest.raises(ClientError) as excinfo:
        api.events.put_events(trackingId=shop["tracking"], sessionId="s", userId="u1",
                              eventList=[{"eventType": "view", "itemId": "i1", "sentAt": 1_700_000_000}])
    assert error_code(excinfo) == "InvalidInputException"


def test_runtime_latency(api, inject, shop):
    arn = campaign(api, shop, config=NO_EXPLORATION)
    api.runtime.get_recommendations(campaignArn=arn, userId="u1")
    inject.add_latency(0.3, count=1)
    started = time.perf_counter()
    api.runtime.get_recommendations(campaignArn=arn, userId="u1")
    assert time.perf_counter() - started >= 0.3
    assert inject.active()["latencies"] == []
    # Control-plane calls are not slowed by a runtime latency fault.
    inject.add_latency(5.0)
    started = time.perf_counter()
    api.personalize.list_campaigns()
    assert time.perf_counter() - started < 5.0


def test_a_reset_clears_the_faults(api, inject):
    inject.fail_creates("campaign", "x")
    inject.raise_error("ListSchemas", "InvalidNextTokenException")
    inject.add_latency(0.01)
    assert all(inject.active().values())
    if api.mode == "server":
        urllib.request.urlopen(urllib.request.Request(f"{inject.url}/moto-api/reset", method="POST")).read()
    else:
        from personalize_mock.backend import personalize_backends

        personalize_backends.reset()
    assert inject.active() == {"createFailures": [], "errors": [], "latencies": []}


def test_faults_are_refused_when_they_make_no_sense():
    with pytest.raises(ValueError, match="Unknown resource kind 'widget'"):
        faults.fail_creates("widget", "x")
    with pytest.raises(ValueError, match="CreateSchema does not model ResourceInUseException"):
        faults.raise_error("CreateSchema", "ResourceInUseException")
    with pytest.raises(ValueError, match="Unknown operation 'Frobnicate'"):
        faults.raise_error("Frobnicate", "LimitExceededException")
    with pytest.raises(ValueError, match="count must be a positive integer"):
        faults.fail_creates("campaign", "x", count=0)
    assert faults.active() == {"createFailures": [], "errors": [], "latencies": []}


def test_http_faults_api_validates_and_clears(personalize_server):
    status, body = http(personalize_server, "POST", "/errors", {"operation": "CreateSchema", "error": "Nope"})
    assert status == 400 and "CreateSchema does not model Nope" in body["message"]
    status, body = http(personalize_server, "POST", "/create-failures", {"kind": "campaign"})
    assert status == 400 and body["message"] == "reason is required."
    status, body = http(personalize_server, "POST", "/latency", {"seconds": "slow"})
    assert status == 400 and body["message"] == "seconds must be a number."
    status, body = http(personalize_server, "POST", "/create-failures", {"kind": "campaign", "reason": "r", "count": 3})
    assert status == 201 and body["createFailures"] == [{"kind": "campaign", "reason": "r", "count": 3}]
    status, body = http(personalize_server, "DELETE", "")
    assert status == 200 and body["createFailures"] == []
    status, body = http(personalize_server, "PUT", "")
    assert status == 405
