"""CreateEventTracker / DescribeEventTracker / ListEventTrackers / DeleteEventTracker, and
PutEvents with a tracking id that belongs to no tracker."""

import re
import uuid
from datetime import datetime, timezone

import pytest

from tests.conftest import ACCOUNT, arn, error_message

TRACKER_ARN = re.compile(re.escape(arn("event-tracker/")) + r"[0-9a-f]{8}")
SUMMARY_KEYS = {"name", "eventTrackerArn", "status", "creationDateTime", "lastUpdatedDateTime"}


def test_create_and_describe(api):
    p = api.personalize
    group = p.create_dataset_group(name="g")["datasetGroupArn"]
    created = p.create_event_tracker(name="clicks", datasetGroupArn=group)
    # The ARN carries a generated id, not the name; the tracking id is a UUID.
    assert TRACKER_ARN.fullmatch(created["eventTrackerArn"]), created["eventTrackerArn"]
    assert str(uuid.UUID(created["trackingId"])) == created["trackingId"]

    tracker = p.describe_event_tracker(eventTrackerArn=created["eventTrackerArn"])["eventTracker"]
    assert tracker["name"] == "clicks"
    assert tracker["eventTrackerArn"] == created["eventTrackerArn"]
    assert tracker["trackingId"] == created["trackingId"]
    assert tracker["accountId"] == ACCOUNT
    assert tracker["datasetGroupArn"] == group
    assert tracker["status"] == "ACTIVE"
    assert tracker["creationDateTime"] <= tracker["lastUpdatedDateTime"]


def test_ids_are_unique(api):
    p = api.personalize
    made = [
        p.create_event_tracker(name=f"t{i}", datasetGroupArn=p.create_dataset_group(name=f"g{i}")["datasetGroupArn"])
        for i in range(3)
    ]
    assert len({m["eventTrackerArn"] for m in made}) == 3
    assert len({m["trackingId"] for m in made}) == 3


def test_one_tracker_per_group(api):
    p = api.personalize
    group = p.create_dataset_group(name="g")["datasetGroupArn"]
    first = p.create_event_tracker(name="first", datasetGroupArn=group)["eventTrackerArn"]
    with pytest.raises(p.exceptions.ResourceAlreadyExistsException):
        p.create_event_tracker(name="second", datasetGroupArn=group)
    assert [t["eventTrackerArn"] for t in p.list_event_trackers(datasetGroupArn=group)["eventTrackers"]] == [first]

    # Once the first is gone, the group takes a new one.
    p.delete_event_tracker(eventTrackerArn=first)
    p.create_event_tracker(name="second", datasetGroupArn=group)


def test_tracker_names_are_unique(api):
    p = api.personalize
    g1 = p.create_dataset_group(name="g1")["datasetGroupArn"]
    g2 = p.create_dataset_group(name="g2")["datasetGroupArn"]
    p.create_event_tracker(name="same", datasetGroupArn=g1)
    with pytest.raises(p.exceptions.ResourceAlreadyExistsException):
        p.create_event_tracker(name="same", datasetGroupArn=g2)


def test_unknown_group(api):
    with pytest.raises(api.personalize.exceptions.ResourceNotFoundException) as excinfo:
        api.personalize.create_event_tracker(name="t", datasetGroupArn=arn("dataset-group/nope"))
    assert arn("dataset-group/nope") in error_message(excinfo)
    assert api.personalize.list_event_trackers()["eventTrackers"] == []


@pytest.mark.personalize_transition(progression="manual", times=1)
def test_group_must_be_active(api):
    p = api.personalize
    group = p.create_dataset_group(name="g")["datasetGroupArn"]
    with pytest.raises(p.exceptions.ResourceInUseException):
        p.create_event_tracker(name="t", datasetGroupArn=group)


def test_list_all_and_by_group(api):
    p = api.personalize
    trackers = {}
    for name in ("a", "b", "c"):
        group = p.create_dataset_group(name=f"group-{name}")["datasetGroupArn"]
        trackers[name] = (group, p.create_event_tracker(name=name, datasetGroupArn=group)["eventTrackerArn"])

    listed = p.list_event_trackers()["eventTrackers"]
    assert [t["name"] for t in listed] == ["c", "b", "a"]  # newest first
    for summary in listed:
        assert set(summary) <= SUMMARY_KEYS
        assert summary["eventTrackerArn"] == trackers[summary["name"]][1]
        assert summary["status"] == "ACTIVE"

    group_b, tracker_b = trackers["b"]
    assert [t["eventTrackerArn"] for t in p.list_event_trackers(datasetGroupArn=group_b)["eventTrackers"]] == [
        tracker_b
    ]


def test_delete(api):
    p = api.personalize
    group = p.create_dataset_group(name="g")["datasetGroupArn"]
    tracker = p.create_event_tracker(name="t", datasetGroupArn=group)["eventTrackerArn"]
    assert p.delete_event_tracker(eventTrackerArn=tracker)["ResponseMetadata"]["HTTPStatusCode"] == 200
    with pytest.raises(p.exceptions.ResourceNotFoundException):
        p.describe_event_tracker(eventTrackerArn=tracker)
    with pytest.raises(p.exceptions.ResourceNotFoundException):
        p.delete_event_tracker(eventTrackerArn=tracker)
    assert p.list_event_trackers()["eventTrackers"] == []
    # Deleting the tracker leaves its group alone.
    assert p.describe_dataset_group(datasetGroupArn=group)["datasetGroup"]["status"] == "ACTIVE"


@pytest.mark.personalize_transition(progression="manual", times=1)
def test_delete_states(api):
    p = api.personalize
    group = p.create_dataset_group(name="g")["datasetGroupArn"]
    p.describe_dataset_group(datasetGroupArn=group)
    p.describe_dataset_group(datasetGroupArn=group)  # now ACTIVE
    tracker = p.create_event_tracker(name="t", datasetGroupArn=group)["eventTrackerArn"]
    statuses = [p.describe_event_tracker(eventTrackerArn=tracker)["eventTracker"]["status"] for _ in range(2)]
    assert statuses == ["CREATE IN_PROGRESS", "ACTIVE"]
    p.delete_event_tracker(eventTrackerArn=tracker)
    assert p.describe_event_tracker(eventTrackerArn=tracker)["eventTracker"]["status"] == "DELETE IN_PROGRESS"
    with pytest.raises(p.exceptions.ResourceInUseException):
        p.delete_event_tracker(eventTrackerArn=tracker)
    with pytest.raises(p.exceptions.ResourceNotFoundException):
        p.describe_event_tracker(eventTrackerArn=tracker)


@pytest.mark.parametrize("operation", ["describe_event_tracker", "delete_event_tracker"])
def test_unknown_tracker(api, operation):
    with pytest.raises(api.personalize.exceptions.ResourceNotFoundException):
        getattr(api.personalize, operation)(eventTrackerArn=arn("event-tracker/0badc0de"))


EVENT = {"eventType": "click", "itemId": "item-1", "sentAt": datetime(2024, 1, 1, tzinfo=timezone.utc)}


@pytest.mark.parametrize(
    "tracking_id", ["5c8f3d3e-2b1a-4c55-9d0e-7a6b1f2e3d4c", "deleted"], ids=["never-issued", "deleted"]
)
def test_put_events_with_unknown_tracking_id(api, tracking_id):
    """botocore models only InvalidInputException for PutEvents, so an unknown tracking id is
    reported with it (HTTP 400), not with ResourceNotFoundException."""
    if tracking_id == "deleted":  # a tracking id whose tracker is gone is unknown too
        group = api.personalize.create_dataset_group(name="g")["datasetGroupArn"]
        created = api.personalize.create_event_tracker(name="t", datasetGroupArn=group)
        api.personalize.delete_event_tracker(eventTrackerArn=created["eventTrackerArn"])
        tracking_id = created["trackingId"]
    with pytest.raises(api.events.exceptions.InvalidInputException) as excinfo:
        api.events.put_events(trackingId=tracking_id, userId="u1", sessionId="s1", eventList=[EVENT])
    response = excinfo.value.response
    assert response["ResponseMetadata"]["HTTPStatusCode"] == 400
    assert tracking_id in response["Error"]["Message"]
