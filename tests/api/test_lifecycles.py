"""Status progressions under moto's state manager: immediate (default), manual and time,
set in Python (the pytest marker / ``state_manager``) or over HTTP against the server."""

from __future__ import annotations

import json
import time
import urllib.request

import pytest
from moto.moto_api import state_manager

from personalize_mock.states import MODEL_NAMES
from tests.conftest import INTERACTIONS_SCHEMA, error_code


def group_status(api, arn):
    return api.personalize.describe_dataset_group(datasetGroupArn=arn)["datasetGroup"]["status"]


def dataset_status(api, arn):
    return api.personalize.describe_dataset(datasetArn=arn)["dataset"]["status"]


def make_dataset(api):
    group = api.personalize.create_dataset_group(name="life")["datasetGroupArn"]
    schema = api.personalize.create_schema(name="life", schema=INTERACTIONS_SCHEMA)["schemaArn"]
    dataset = api.personalize.create_dataset(
        name="life", schemaArn=schema, datasetGroupArn=group, datasetType="Interactions"
    )["datasetArn"]
    return group, schema, dataset


def test_immediate_by_default(api):
    group, schema, dataset = make_dataset(api)
    assert group_status(api, group) == "ACTIVE"
    assert dataset_status(api, dataset) == "ACTIVE"
    api.personalize.delete_dataset(datasetArn=dataset)
    with pytest.raises(api.personalize.exceptions.ResourceNotFoundException):
        api.personalize.describe_dataset(datasetArn=dataset)


@pytest.mark.personalize_transition(progression="manual", times=2)
def test_manual_create_then_delete(api):
    """Under ``manual``, every read counts one step; a status moves on after ``times`` reads."""
    group = api.personalize.create_dataset_group(name="manual")["datasetGroupArn"]
    seen = [group_status(api, group) for _ in range(5)]
    assert seen == ["CREATE PENDING", "CREATE IN_PROGRESS", "CREATE IN_PROGRESS", "ACTIVE", "ACTIVE"]
    api.personalize.delete_dataset_group(datasetGroupArn=group)
    statuses = []
    for _ in range(3):
        try:
            statuses.append(group_status(api, group))
        except api.personalize.exceptions.ResourceNotFoundException:
            statuses.append("gone")
    # Dataset groups document no DELETE IN_PROGRESS state.
    assert statuses == ["DELETE PENDING", "gone", "gone"]


@pytest.mark.personalize_transition(progression="manual", times=1)
def test_manual_progression_counts_list_reads_too(api):
    group = api.personalize.create_dataset_group(name="listed")["datasetGroupArn"]
    seen = []
    for _ in range(3):
        (summary,) = api.personalize.list_dataset_groups()["datasetGroups"]
        assert summary["datasetGroupArn"] == group
        seen.append(summary["status"])
    assert seen[-1] == "ACTIVE" and "CREATE IN_PROGRESS" in seen


def test_dataset_update_and_delete_lifecycle(api):
    group, schema, dataset = make_dataset(api)
    for name in MODEL_NAMES:
        if "dataset-update" in name or "dataset-delete" in name:
            state_manager.set_transition(name, {"progression": "manual", "times": 1})
    api.personalize.update_dataset(datasetArn=dataset, schemaArn=schema)
    described = api.personalize.describe_dataset(datasetArn=dataset)["dataset"]
    assert described["status"].startswith("UPDATE")
    assert described["latestDatasetUpdate"]["status"].startswith("UPDATE")
    assert described["latestDatasetUpdate"]["schemaArn"] == schema
    while described["status"] != "ACTIVE":
        described = api.personalize.describe_dataset(datasetArn=dataset)["dataset"]
    assert described["latestDatasetUpdate"]["status"] == "ACTIVE"

    api.personalize.delete_dataset(datasetArn=dataset)
    seen = []
    while True:
        try:
            seen.append(dataset_status(api, dataset))
        except api.personalize.exceptions.ResourceNotFoundException:
            break
        assert len(seen) < 10
    assert {"DELETE IN_PROGRESS"} <= set(seen) <= {"DELETE PENDING", "DELETE IN_PROGRESS"}


@pytest.mark.personalize_transition(progression="time", seconds=1)
def test_time_progression(api):
    group = api.personalize.create_dataset_group(name="timed")["datasetGroupArn"]
    assert group_status(api, group) in ("CREATE PENDING", "CREATE IN_PROGRESS")
    deadline = time.monotonic() + 10
    while group_status(api, group) != "ACTIVE":
        assert time.monotonic() < deadline, "dataset group never became ACTIVE"
        time.sleep(0.2)


@pytest.mark.personalize_transition(progression="manual", times=1)
def test_dataset_needs_an_active_group(api):
    group = api.personalize.create_dataset_group(name="young")["datasetGroupArn"]
    schema = api.personalize.create_schema(name="young", schema=INTERACTIONS_SCHEMA)["schemaArn"]
    with pytest.raises(api.personalize.exceptions.ResourceInUseException) as excinfo:
        api.personalize.create_dataset(
            name="young", schemaArn=schema, datasetGroupArn=group, datasetType="Interactions"
        )
    assert error_code(excinfo) == "ResourceInUseException"


def set_transition_over_http(base_url: str, model_name: str, transition: dict) -> None:
    body = json.dumps({"model_name": model_name, "transition": transition}).encode()
    request = urllib.request.Request(
        f"{base_url}/moto-api/state-manager/set-transition", data=body, method="POST"
    )
    urllib.request.urlopen(request).read()


def test_server_transition_set_over_http(personalize_server):
    from tests.conftest import make_clients

    api = make_clients("server", personalize_server)
    set_transition_over_http(
        personalize_server, "personalize::event-tracker", {"progression": "manual", "times": 2}
    )
    group = api.personalize.create_dataset_group(name="http")["datasetGroupArn"]
    tracker = api.personalize.create_event_tracker(name="http", datasetGroupArn=group)[
        "eventTrackerArn"
    ]
    seen = [
        api.personalize.describe_event_tracker(eventTrackerArn=tracker)["eventTracker"]["status"]
        for _ in range(5)
    ]
    assert seen[0] == "CREATE PENDING" and seen[-1] == "ACTIVE"
    assert "CREATE IN_PROGRESS" in seen
    assert group_status(api, group) == "ACTIVE"  # other models keep their own progression
