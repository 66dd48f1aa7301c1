"""personalize-events through boto3: PutEvents, PutUsers, PutItems, PutActions,
PutActionInteractions. What they store is read back with export jobs (ingestionMode PUT)."""

import json
from datetime import datetime, timezone

import pytest
from botocore.config import Config
from botocore.exceptions import ClientError

from tests.api.data_helpers import (
    ACTION_INTERACTIONS_SCHEMA,
    ACTIONS_SCHEMA,
    RICH_INTERACTIONS_SCHEMA,
    RICH_ITEMS_SCHEMA,
    RICH_USERS_SCHEMA,
    export,
    make_dataset,
    make_group,
    wait_status,
)
from tests.conftest import arn, boto_session, error_code, error_message

T0 = 1700000000


@pytest.fixture
def world(api):
    """A group with every dataset type (rich schemas) and an event tracker."""
    p = api.personalize
    api.group = make_group(p)
    api.interactions = make_dataset(p, api.group, "INTERACTIONS", RICH_INTERACTIONS_SCHEMA)
    api.users = make_dataset(p, api.group, "USERS", RICH_USERS_SCHEMA)
    api.items = make_dataset(p, api.group, "ITEMS", RICH_ITEMS_SCHEMA)
    api.actions = make_dataset(p, api.group, "ACTIONS", ACTIONS_SCHEMA)
    api.action_interactions = make_dataset(p, api.group, "ACTION_INTERACTIONS", ACTION_INTERACTIONS_SCHEMA)
    api.tracking_id = p.create_event_tracker(name="tracker", datasetGroupArn=api.group)["trackingId"]
    return api


def event(item="i1", sent=T0, **extra):
    return {"eventType": "click", "sentAt": sent, "itemId": item, **extra}


def refused(call, **kwargs):
    """The ClientError of a call that must fail."""
    with pytest.raises(ClientError) as excinfo:
        call(**kwargs)
    return excinfo


def invalid(call, **kwargs):
    excinfo = refused(call, **kwargs)
    assert error_code(excinfo) == "InvalidInputException", error_message(excinfo)
    assert excinfo.value.response["ResponseMetadata"]["HTTPStatusCode"] == 400
    return error_message(excinfo)


def put_rows(api, dataset):
    return export(api, dataset, "PUT")[1]


# ---- PutEvents -------------------------------------------------------------------------------


def test_put_events_stores_every_member(world):
    world.events.put_events(
        trackingId=world.tracking_id, sessionId="session-1", userId="u1",
        eventList=[
            event("i1", T0, eventId="e1", eventValue=2.5, properties=json.dumps({"device": "ios|web", "numRatings": 3}),
                  recommendationId="RID-1", impression=["i1", "i2", "i3"],
                  metricAttribution={"eventAttributionSource": "campaign-a"}),
            event("i2", datetime(2024, 1, 1, tzinfo=timezone.utc), eventType="buy"),
        ],
    )
    header, rows = export(world, world.interactions, "PUT")
    assert header == ["USER_ID", "ITEM_ID", "TIMESTAMP", "EVENT_TYPE", "EVENT_VALUE", "IMPRESSION",
                      "RECOMMENDATION_ID", "EVENT_ATTRIBUTION_SOURCE", "DEVICE", "NUM_RATINGS"]
    assert rows == [
        ["u1", "i1", str(T0), "click", "2.5", "i1|i2|i3", "RID-1", "campaign-a", "ios|web", "3"],
        ["u1", "i2", "1704067200", "buy", "", "", "", "", "", ""],
    ]
    assert export(world, world.interactions, "BULK")[1] == []


def test_session_id_is_the_user_when_no_user_id(world):
    world.events.put_events(trackingId=world.tracking_id, sessionId="anon-7", eventList=[event("i9")])
    assert put_rows(world, world.interactions) == [["anon-7", "i9", str(T0), "click", "", "", "", "", "", ""]]


def test_ten_events_per_call(world):
    world.events.put_events(trackingId=world.tracking_id, sessionId="s", userId="u",
                            eventList=[event(f"i{n}", T0 + n) for n in range(10)])
    assert [r[1] for r in put_rows(world, world.interactions)] == [f"i{n}" for n in range(10)]
    message = invalid(world.events.put_events, trackingId=world.tracking_id, sessionId="s",
                      eventList=[event(f"i{n}", T0 + n) for n in range(11)])
    assert "Member must have length less than or equal to 10" in message
    assert len(put_rows(world, world.interactions)) == 10


def test_repeated_event_id_is_stored_once(world):
    put = world.events.put_events
    put(trackingId=world.tracking_id, sessionId="s", userId="u", eventList=[event("i1", eventId="e1")])
    put(trackingId=world.tracking_id, sessionId="s", userId="u",
        eventList=[event("i2", T0 + 1, eventId="e1"), event("i3", T0 + 2, eventId="e2")])
    assert [r[1] for r in put_rows(world, world.interactions)] == ["i1", "i3"]


def test_repeated_event_id_within_one_call_is_stored_once(world):
    world.events.put_events(trackingId=world.tracking_id, sessionId="s", userId="u",
                            eventList=[event("i1", eventId="e1"), event("i2", T0 + 1, eventId="e1")])
    assert [r[1] for r in put_rows(world, world.interactions)] == ["i1"]


def test_put_events_with_only_repeated_event_ids_succeeds(world):
    # No retries: the server answers this with a 500, which botocore would retry for seconds.
    put = boto_session().client("personalize-events", endpoint_url=world.endpoint_url,
                                config=Config(retries={"total_max_attempts": 1})).put_events
    put(trackingId=world.tracking_id, sessionId="s", userId="u", eventList=[event("i1", eventId="e1")])
    put(trackingId=world.tracking_id, sessionId="s", userId="u", eventList=[event("i2", eventId="e1")])
    assert [r[1] for r in put_rows(world, world.interactions)] == ["i1"]


def test_identical_events_are_exported_once(world):
    for _ in range(2):
        world.events.put_events(trackingId=world.tracking_id, sessionId="s", userId="u", eventList=[event("i1")])
    assert len(put_rows(world, world.interactions)) == 1


def test_event_size_limits(world):
    put = world.events.put_events
    # Every member at its model maximum, ASCII: about 9.5 KB, accepted.
    largest = event(
        "i" * 256, eventType="t" * 256, eventId="e" * 256, recommendationId="r" * 40,
        impression=["m" * 256] * 25, metricAttribution={"eventAttributionSource": "s" * 1024},
        properties=json.dumps({"device": "d" * 1000}),
    )
    put(trackingId=world.tracking_id, sessionId="s", userId="u", eventList=[largest])
    assert len(put_rows(world, world.interactions)) == 1
    # The same event with two-byte characters in its impressions is over 10 KB.
    over = dict(largest, eventId="other", impression=["é" * 256] * 25)
    message = invalid(put, trackingId=world.tracking_id, sessionId="s", userId="u", eventList=[event("ok"), over])
    assert message == "eventList.2 is larger than the 10 KB an event may take."
    # properties longer than 1024 characters: the model's maximum.
    message = invalid(put, trackingId=world.tracking_id, sessionId="s",
                      eventList=[event(properties=json.dumps({"device": "d" * 1020}))])
    assert "Member must have length less than or equal to 1024" in message
    # Nothing of a refused call is stored.
    assert len(put_rows(world, world.interactions)) == 1


BAD_PROPERTIES = [
    ("{not json", "eventList.1.properties is not valid JSON: {not json"),
    ("[1, 2]", "eventList.1.properties must be a JSON object."),
    ('{"color": "red"}', "eventList.1.properties has the key color, which is not a field of the dataset's schema"),
    ('{"DEVICE": "ios"}', "eventList.1.properties has the key DEVICE"),  # keys are camelCase
    ('{"userId": "u2"}', "eventList.1.properties may not contain the key userId."),
    ('{"Timestamp": 5}', "eventList.1.properties may not contain the key Timestamp."),
    ('{"impression": "i1"}', "eventList.1.properties may not contain the key impression."),
    ('{"numRatings": "five"}', "eventList.1.properties.numRatings must be a int for the field NUM_RATINGS; got 'five'."),
    ('{"numRatings": 2.5}', "eventList.1.properties.numRatings must be a int"),
    ('{"numRatings": true}', "eventList.1.properties.numRatings must be a int"),
    ('{"device": 7}', "eventList.1.properties.device must be a string for the field DEVICE; got 7."),
    ('{"device": "' + "d" * 1001 + '"}', "eventList.1.properties.device has a categorical value longer than 1000"),
]


def test_bad_event_properties(world):
    for properties, expected in BAD_PROPERTIES:
        message = invalid(world.events.put_events, trackingId=world.tracking_id, sessionId="s",
                          eventList=[event(properties=properties)])
        assert message.startswith(expected), message
    assert put_rows(world, world.interactions) == []


def test_event_value_may_come_through_properties(world):
    # Event.properties (botocore's documentation) bars only userId, sessionId, eventType,
    # timestamp, recommendationId and impression: eventValue maps to EVENT_VALUE by camelCase.
    # (This test asserted the opposite before issue 14, point 2.)
    world.events.put_events(trackingId=world.tracking_id, sessionId="s", userId="u1",
                            eventList=[event(properties='{"eventValue": 1.5}')])
    assert [row[4] for row in put_rows(world, world.interactions)] == ["1.5"]


def test_required_columns_must_be_given(world):
    message = invalid(world.events.put_events, trackingId=world.tracking_id, sessionId="s",
                      eventList=[{"eventType": "click", "sentAt": T0}])
    assert message == "eventList.1 lacks required fields of the dataset's schema: ITEM_ID."


def test_unknown_tracking_id(world):
    message = invalid(world.events.put_events, trackingId="00000000-0000-0000-0000-000000000000",
                      sessionId="s", eventList=[event()])
    assert "00000000-0000-0000-0000-000000000000" in message


def test_tracker_of_a_group_without_interactions(api):
    p = api.personalize
    group = make_group(p, "empty")
    tracking_id = p.create_event_tracker(name="t", datasetGroupArn=group)["trackingId"]
    assert "no Interactions dataset" in invalid(api.events.put_events, trackingId=tracking_id, sessionId="s",
                                                eventList=[event()])


@pytest.mark.personalize_transition(progression="manual", times=3)
def test_tracker_not_active(api):
    p = api.personalize
    group = make_group(p)
    make_dataset(p, group, "INTERACTIONS", RICH_INTERACTIONS_SCHEMA)
    created = p.create_event_tracker(name="t", datasetGroupArn=group)
    assert "must be ACTIVE" in invalid(api.events.put_events, trackingId=created["trackingId"], sessionId="s",
                                       eventList=[event()])
    wait_status(lambda: p.describe_event_tracker(eventTrackerArn=created["eventTrackerArn"])["eventTracker"])
    api.events.put_events(trackingId=created["trackingId"], sessionId="s", eventList=[event()])


# ---- PutUsers / PutItems / PutActions --------------------------------------------------------


def test_put_users_upserts_by_id(world):
    put = world.events.put_users
    put(datasetArn=world.users, users=[
        {"userId": "u1", "properties": json.dumps({"membership": "gold", "age": 30})},
        {"userId": "u2", "properties": '{"membership": "silver"}'},
    ])
    put(datasetArn=world.users, users=[{"userId": "u1", "properties": '{"membership": "platinum", "age": null}'}])
    header, rows = export(world, world.users, "PUT")
    assert header == ["USER_ID", "MEMBERSHIP", "AGE"]
    assert rows == [["u2", "silver", ""], ["u1", "platinum", ""]]
    assert export(world, world.users, "BULK")[1] == []


def test_put_items_every_type(world):
    world.events.put_items(datasetArn=world.items, items=[
        {"itemId": "i1", "properties": json.dumps({
            "genres": "Comedy|Drama", "price": 9.5, "creationTimestamp": T0, "isNew": True,
            "description": "A \"quoted\", multi-part\ndescription",
        })},
        {"itemId": "i2", "properties": json.dumps({"price": 3, "isNew": False})},
        {"itemId": "i3"},
    ])
    header, rows = export(world, world.items, "PUT")
    assert header == ["ITEM_ID", "GENRES", "PRICE", "CREATION_TIMESTAMP", "IS_NEW", "DESCRIPTION"]
    assert rows == [
        ["i1", "Comedy|Drama", "9.5", str(T0), "true", "A \"quoted\", multi-part\ndescription"],
        ["i2", "", "3.0", "", "false", ""],
        ["i3", "", "", "", "", ""],
    ]


def test_put_actions(world):
    world.events.put_actions(datasetArn=world.actions, actions=[
        {"actionId": "a1", "properties": '{"value": 10, "category": "upsell"}'},
        {"actionId": "a2", "properties": '{"category": "survey"}'},
    ])
    header, rows = export(world, world.actions, "PUT")
    assert header == ["ACTION_ID", "VALUE", "CATEGORY"]
    assert rows == [["a1", "10", "upsell"], ["a2", "", "survey"]]


def test_put_records_checks(world):
    ev = world.events
    # Required fields of the schema.
    assert invalid(ev.put_users, datasetArn=world.users, users=[{"userId": "u1", "properties": '{"age": 3}'}]) == (
        "users.1 lacks required fields of the dataset's schema: MEMBERSHIP."
    )
    assert "lacks required fields" in invalid(ev.put_users, datasetArn=world.users, users=[{"userId": "u1"}])
    assert invalid(ev.put_actions, datasetArn=world.actions, actions=[{"actionId": "a", "properties": '{"value": 1}'}]) == (
        "actions.1 lacks required fields of the dataset's schema: CATEGORY."
    )
    # Types, keys and JSON.
    assert invalid(ev.put_users, datasetArn=world.users,
                   users=[{"userId": "u1", "properties": '{"membership": "a", "age": "old"}'}]).startswith(
        "users.1.properties.age must be a int for the field AGE"
    )
    assert "not valid JSON" in invalid(ev.put_items, datasetArn=world.items,
                                       items=[{"itemId": "i", "properties": "{'genres': 'x'}"}])
    assert "has the key colour" in invalid(ev.put_items, datasetArn=world.items,
                                           items=[{"itemId": "i", "properties": '{"colour": "x"}'}])
    assert "must be a boolean" in invalid(ev.put_items, datasetArn=world.items,
                                          items=[{"itemId": "i2", "properties": '{"isNew": "true"}'}])
    assert "may not be null" in invalid(ev.put_users, datasetArn=world.users,
                                        users=[{"userId": "u1", "properties": '{"membership": null}'}])
    assert "categorical value longer than 1000" in invalid(
        ev.put_items, datasetArn=world.items,
        items=[{"itemId": "i", "properties": json.dumps({"genres": "g" * 1001})}])
    # The record id may not be set through properties either.
    assert "may not contain the key userId" in invalid(
        ev.put_users, datasetArn=world.users, users=[{"userId": "u", "properties": '{"userId": "v", "membership": "m"}'}])
    # A bad record anywhere refuses the whole call.
    invalid(ev.put_users, datasetArn=world.users, users=[
        {"userId": "ok", "properties": '{"membership": "a"}'}, {"userId": "bad", "properties": '{"age": 1}'},
    ])
    for dataset in (world.users, world.items, world.actions):
        assert put_rows(world, dataset) == []


def test_put_records_limits(world):
    ev = world.events
    eleven = [{"userId": f"u{n}", "properties": '{"membership": "m"}'} for n in range(11)]
    assert "less than or equal to 10" in invalid(ev.put_users, datasetArn=world.users, users=eleven)
    ev.put_users(datasetArn=world.users, users=eleven[:10])
    assert len(put_rows(world, world.users)) == 10
    assert "less than or equal to 10" in invalid(
        ev.put_items, datasetArn=world.items, items=[{"itemId": f"i{n}"} for n in range(11)])
    assert "less than or equal to 10" in invalid(
        ev.put_actions, datasetArn=world.actions,
        actions=[{"actionId": f"a{n}", "properties": '{"category": "c"}'} for n in range(11)])
    # properties: users up to 24000 characters, items and actions up to 32000.
    long_users = json.dumps({"membership": "m", "pad": "x" * 24000})
    assert "less than or equal to 24000" in invalid(ev.put_users, datasetArn=world.users,
                                                    users=[{"userId": "u", "properties": long_users}])
    long_items = json.dumps({"description": "x" * 32000})
    assert "less than or equal to 32000" in invalid(ev.put_items, datasetArn=world.items,
                                                    items=[{"itemId": "i", "properties": long_items}])
    assert "less than or equal to 256" in invalid(ev.put_items, datasetArn=world.items, items=[{"itemId": "i" * 257}])
    assert put_rows(world, world.items) == []


def test_put_items_truncates_textual_values_like_imports(world):
    world.events.put_items(datasetArn=world.items,
                           items=[{"itemId": "long", "properties": json.dumps({"description": "x" * 31000})}])
    assert put_rows(world, world.items)[0][5] == "x" * 20000


def test_put_records_unknown_and_wrong_datasets(world):
    ev = world.events
    excinfo = refused(ev.put_users, datasetArn=arn("dataset/nope/USERS"), users=[{"userId": "u"}])
    assert error_code(excinfo) == "ResourceNotFoundException"
    assert excinfo.value.response["ResponseMetadata"]["HTTPStatusCode"] == 404
    assert error_code(refused(ev.put_items, datasetArn=arn("dataset/nope/ITEMS"), items=[{"itemId": "i"}])) == (
        "ResourceNotFoundException"
    )
    assert error_code(refused(ev.put_actions, datasetArn=arn("dataset/nope/ACTIONS"),
                              actions=[{"actionId": "a"}])) == "ResourceNotFoundException"
    # The right kind of dataset for each operation.
    assert "USERS datasets" in invalid(ev.put_users, datasetArn=world.items, users=[{"userId": "u"}])
    assert "ITEMS datasets" in invalid(ev.put_items, datasetArn=world.interactions, items=[{"itemId": "i"}])
    assert "ACTIONS datasets" in invalid(ev.put_actions, datasetArn=world.users, actions=[{"actionId": "a"}])


@pytest.mark.personalize_transition(progression="manual", times=3)
def test_put_records_into_a_dataset_not_active(api):
    p = api.personalize
    group = make_group(p)
    schema = p.create_schema(name="users", schema=RICH_USERS_SCHEMA)["schemaArn"]
    dataset = p.create_dataset(name="users", schemaArn=schema, datasetGroupArn=group, datasetType="USERS")["datasetArn"]
    users = [{"userId": "u", "properties": '{"membership": "m"}'}]
    excinfo = refused(api.events.put_users, datasetArn=dataset, users=users)
    assert error_code(excinfo) == "ResourceInUseException"
    assert excinfo.value.response["ResponseMetadata"]["HTTPStatusCode"] == 409
    wait_status(lambda: p.describe_dataset(datasetArn=dataset)["dataset"])
    api.events.put_users(datasetArn=dataset, users=users)


# ---- PutActionInteractions -------------------------------------------------------------------


def test_put_action_interactions(world):
    p, ev = world.personalize, world.events
    tracking_id = p.describe_dataset(datasetArn=world.action_interactions)["dataset"]["trackingId"]
    assert tracking_id != world.tracking_id
    ev.put_action_interactions(trackingId=tracking_id, actionInteractions=[
        {"actionId": "a1", "userId": "u1", "sessionId": "s1", "timestamp": T0, "eventType": "Taken",
         "recommendationId": "RID-9", "eventId": "x1"},
        {"actionId": "a2", "sessionId": "s2", "timestamp": datetime(2024, 1, 1, tzinfo=timezone.utc),
         "eventType": "Viewed", "impression": ["a1", "a2"]},
    ])
    ev.put_action_interactions(trackingId=tracking_id, actionInteractions=[
        {"actionId": "a3", "userId": "u1", "sessionId": "s1", "timestamp": T0 + 5, "eventType": "Taken",
         "eventId": "x1"},  # repeated eventId: dropped
        {"actionId": "a4", "userId": "u1", "sessionId": "s1", "timestamp": T0 + 6, "eventType": "Not taken"},
    ])
    header, rows = export(world, world.action_interactions, "PUT")
    assert header == ["USER_ID", "ACTION_ID", "TIMESTAMP", "EVENT_TYPE", "RECOMMENDATION_ID"]
    assert rows == [
        ["u1", "a1", str(T0), "Taken", "RID-9"],
        ["s2", "a2", "1704067200", "Viewed", ""],
        ["u1", "a4", str(T0 + 6), "Not taken", ""],
    ]
    # PutEvents' tracker feeds the item Interactions dataset, not this one.
    assert put_rows(world, world.interactions) == []


def test_put_action_interactions_errors(world):
    p, ev = world.personalize, world.events
    tracking_id = p.describe_dataset(datasetArn=world.action_interactions)["dataset"]["trackingId"]
    entry = {"actionId": "a1", "sessionId": "s1", "timestamp": T0, "eventType": "Taken"}
    excinfo = refused(ev.put_action_interactions, trackingId=world.tracking_id, actionInteractions=[entry])
    assert error_code(excinfo) == "ResourceNotFoundException"  # an event tracker's id is not an action tracker
    assert "less than or equal to 10" in invalid(ev.put_action_interactions, trackingId=tracking_id,
                                                 actionInteractions=[entry] * 11)
    assert "has the key color" in invalid(ev.put_action_interactions, trackingId=tracking_id,
                                          actionInteractions=[dict(entry, properties='{"color": "red"}')])
    assert "less than or equal to 40" in invalid(ev.put_action_interactions, trackingId=tracking_id,
                                                 actionInteractions=[dict(entry, recommendationId="r" * 41)])
    over = dict(entry, eventId="e" * 256, impression=["é" * 256] * 25)
    assert "larger than the 10 KB" in invalid(ev.put_action_interactions, trackingId=tracking_id,
                                              actionInteractions=[over])
    assert put_rows(world, world.action_interactions) == []
