"""Faults count boto3 calls, not HTTP attempts (issue 11): botocore retries some errors
(LimitExceededException among them from botocore 1.44 on) and sends every attempt of one call
with the same ``amz-sdk-invocation-id``; a fault that took a call answers all its attempts."""

from __future__ import annotations

import pytest
from botocore.config import Config
from botocore.exceptions import ClientError

from personalize_mock import faults
from tests.api.test_faults import Inject  # noqa: F401  (the inject fixture's class)
from tests.conftest import INTERACTIONS_SCHEMA, boto_session, error_code

RETRY_MODES = [None, Config(retries={"mode": "standard"}), Config(retries={"mode": "adaptive"}),
               Config(retries={"mode": "legacy", "max_attempts": 4})]


@pytest.fixture
def inject(api):
    return Inject(api)


def client(api, config):
    return boto_session().client("personalize", endpoint_url=api.endpoint_url, config=config)


@pytest.mark.parametrize("config", RETRY_MODES, ids=["default", "standard", "adaptive", "legacy"])
@pytest.mark.parametrize("error", ["LimitExceededException", "ResourceAlreadyExistsException"])
def test_count_one_fails_exactly_one_call(api, inject, config, error):
    p = client(api, config)
    inject.raise_error("CreateSchema", error, count=1)
    with pytest.raises(ClientError) as excinfo:
        p.create_schema(name="s", schema=INTERACTIONS_SCHEMA)
    assert error_code(excinfo) == error
    assert p.create_schema(name="s", schema=INTERACTIONS_SCHEMA)["schemaArn"].endswith("schema/s")
    assert faults.active()["errors"] == [] if api.mode == "inprocess" else True


@pytest.mark.parametrize("error", ["LimitExceededException", "ResourceAlreadyExistsException"])
def test_count_two_fails_two_calls(api, inject, error):
    p = client(api, None)
    inject.raise_error("CreateDatasetGroup", error, count=2)
    for _ in range(2):
        with pytest.raises(ClientError) as excinfo:
            p.create_dataset_group(name="g")
        assert error_code(excinfo) == error
    assert p.create_dataset_group(name="g")["datasetGroupArn"].endswith("dataset-group/g")


def test_a_retried_call_is_answered_the_same_on_every_attempt(api, inject):
    p = client(api, Config(retries={"mode": "standard", "max_attempts": 3}))
    inject.raise_error("CreateSchema", "LimitExceededException", count=1)
    with pytest.raises(ClientError) as excinfo:
        p.create_schema(name="s", schema=INTERACTIONS_SCHEMA)
    # standard mode retries LimitExceededException: the attempts all failed, one fault was used
    assert excinfo.value.response["ResponseMetadata"]["RetryAttempts"] >= 1
    assert p.create_schema(name="s", schema=INTERACTIONS_SCHEMA)


def test_requests_without_an_invocation_id_count_one_each():
    faults.clear()
    try:
        faults.raise_error("CreateSchema", "LimitExceededException", count=2)
        for _ in range(2):
            with pytest.raises(Exception, match="Injected LimitExceededException"):
                faults.before_call("CreateSchema")
        faults.before_call("CreateSchema")  # the third passes
        faults.raise_error("CreateSchema", "LimitExceededException", count=1)
        for _ in range(3):  # one call, three attempts
            with pytest.raises(Exception, match="Injected"):
                faults.before_call("CreateSchema", "call-1")
        faults.before_call("CreateSchema", "call-2")
    finally:
        faults.clear()


def test_latency_counts_calls(monkeypatch):
    slept = []
    monkeypatch.setattr(faults.time, "sleep", slept.append)
    faults.clear()
    try:
        faults.add_latency(0.5, count=1)
        faults.before_call("GetRecommendations", "call-1")
        faults.before_call("GetRecommendations", "call-1")  # a retry of the same call waits again
        faults.before_call("GetRecommendations", "call-2")  # the next call does not
        assert slept == [0.5, 0.5]
    finally:
        faults.clear()
