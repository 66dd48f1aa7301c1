"""Issue 14 (points 2-7, 10, 11): data rules that follow the developer guide, the API
reference or botocore's model. Each test names its source; every test runs in-process and
against the server (the ``api`` fixture). Issue 15 (point 4), import failures that name the
data row and the file's line, is BAD_USERS in tests/api/test_import_jobs.py."""

from __future__ import annotations

import json

import botocore
import pytest
from botocore.config import Config

from tests.api.data_helpers import (
    ACTION_INTERACTIONS_SCHEMA,
    ACTIONS_SCHEMA,
    RICH_INTERACTIONS_SCHEMA,
    USERS_SCHEMA,
    export,
    import_job,
    interactions_csv,
    make_bucket,
    make_dataset,
    make_group,
    nba_campaign,
    put,
    wait_status,
)
from tests.conftest import INTERACTIONS_SCHEMA, ITEMS_SCHEMA, avro, boto_session, error_code, error_message

RECIPE = "arn:aws:personalize:::recipe/"
KMS = "arn:aws:kms:us-east-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab"
ROLE = "arn:aws:iam::123456789012:role/personalize-kms"


def refused(call, **kwargs):
    with pytest.raises(botocore.exceptions.ClientError) as excinfo:
        call(**kwargs)
    return excinfo


# ---- point 2: PutEvents properties may carry itemId and eventValue --------------------------


def test_put_events_properties_carry_item_id_and_event_value(api):
    # Event.properties (botocore's documentation of PutEvents): keys are the schema's columns in
    # camelCase; only userId, sessionId, eventType, timestamp, recommendationId and impression
    # are barred. Older SDKs had no top-level itemId and sent it here.
    p = api.personalize
    group = make_group(p)
    interactions = make_dataset(p, group, "INTERACTIONS", RICH_INTERACTIONS_SCHEMA)
    tracking = p.create_event_tracker(name="t", datasetGroupArn=group)["trackingId"]
    api.events.put_events(trackingId=tracking, userId="u1", sessionId="s", eventList=[
        {"eventType": "click", "sentAt": 1_700_000_000, "properties": json.dumps({"itemId": "3", "eventValue": 4.5})},
        # A top-level member wins over the same key in properties.
        {"eventType": "click", "sentAt": 1_700_000_001, "itemId": "7", "properties": json.dumps({"itemId": "3"})},
    ])
    rows = export(api, interactions, "PUT")[1]
    assert [(row[1], row[4]) for row in rows] == [("3", "4.5"), ("7", "")]
    excinfo = refused(api.events.put_events, trackingId=tracking, sessionId="s", eventList=[
        {"eventType": "click", "sentAt": 1, "itemId": "1", "properties": json.dumps({"recommendationId": "r"})}])
    assert error_code(excinfo) == "InvalidInputException"
    assert "recommendationId" in error_message(excinfo)


# ---- points 3 and 4: action interactions have no minimum; NBA trains without them ----------


def test_action_interactions_import_has_no_minimum(api):
    # *Action interactions datasets*: "There is no minimum requirement for action interactions
    # data." (The 1000-record rule is for item interactions, which still fail below it.)
    p, s3 = api.personalize, api.s3
    make_bucket(s3)
    group = make_group(p)
    actions = make_dataset(p, group, "ACTION_INTERACTIONS", ACTION_INTERACTIONS_SCHEMA)
    interactions = make_dataset(p, group, "INTERACTIONS")
    rows = "".join(f"u{n % 40},a{n % 5},{1_700_000_000 + n},{'TAKEN' if n % 3 else 'NOT_TAKEN'},\n" for n in range(400))
    text = "USER_ID,ACTION_ID,TIMESTAMP,EVENT_TYPE,RECOMMENDATION_ID\n" + rows
    job = import_job(p, "actions", actions, put(s3, "ai.csv", text))
    assert job["status"] == "ACTIVE", job.get("failureReason")
    job = import_job(p, "items", interactions, put(s3, "i.csv", interactions_csv(400)))
    assert job["status"] == "CREATE FAILED" and "at least 1000" in job["failureReason"]


def test_next_best_action_trains_before_any_action_interactions(api):
    # *Action interactions datasets* / *Next-Best-Action recipe*: "Until you import action
    # interaction data, Amazon Personalize recommends actions in your [catalog] without
    # personalization, and propensity scores are 0.0."
    campaign = nba_campaign(api)  # Interactions and Actions imported, no action interactions
    answer = api.runtime.get_action_recommendations(campaignArn=campaign, userId="u1", numResults=10)
    # Unpersonalised: every action, score 0.0, the more valuable first (VALUE breaks ties).
    assert [(a["actionId"], a["score"]) for a in answer["actionList"]] == [
        ("a3", 0.0), ("a2", 0.0), ("a1", 0.0), ("a0", 0.0)]


# ---- point 5: the schema's record name must match the dataset type ------------------------


SCHEMAS_BY_TYPE = {
    "Interactions": INTERACTIONS_SCHEMA,
    "Items": ITEMS_SCHEMA,
    "Users": USERS_SCHEMA,
    "Actions": ACTIONS_SCHEMA,
    "Action_Interactions": ACTION_INTERACTIONS_SCHEMA,
}


def renamed(schema: str, name: str) -> str:
    document = json.loads(schema)
    document["name"] = name
    return json.dumps(document)


@pytest.mark.parametrize("dataset_type", list(SCHEMAS_BY_TYPE))
def test_schema_record_name_must_match_the_dataset_type(api, dataset_type):
    # *Dataset schemas*: "A schema has a name key whose value must match the dataset type."
    p = api.personalize
    group = make_group(p)
    wrong = "Users" if dataset_type != "Users" else "Items"
    schema = p.create_schema(name="wrong", schema=renamed(SCHEMAS_BY_TYPE[dataset_type], wrong))["schemaArn"]
    excinfo = refused(p.create_dataset, name="d", schemaArn=schema, datasetGroupArn=group, datasetType=dataset_type)
    assert error_code(excinfo) == "InvalidInputException"
    assert f"record name is '{wrong}'" in error_message(excinfo)
    # The guide's own spelling of each type is accepted (ActionInteractions for Action_Interactions).
    right = p.create_schema(name="right", schema=SCHEMAS_BY_TYPE[dataset_type])["schemaArn"]
    p.create_dataset(name="d", schemaArn=right, datasetGroupArn=group, datasetType=dataset_type)


def test_domain_schema_record_name_must_match_the_dataset_type(api):
    # *Dataset schemas* applies to Domain dataset groups' schemas too.
    p = api.personalize
    group = p.create_dataset_group(name="shop", domain="ECOMMERCE")["datasetGroupArn"]
    body = avro("Items", {"name": "USER_ID", "type": "string"}, {"name": "ITEM_ID", "type": "string"},
                {"name": "TIMESTAMP", "type": "long"}, {"name": "EVENT_TYPE", "type": "string"})
    schema = p.create_schema(name="items-named", schema=body, domain="ECOMMERCE")["schemaArn"]
    excinfo = refused(p.create_dataset, name="d", schemaArn=schema, datasetGroupArn=group, datasetType="Interactions")
    assert error_code(excinfo) == "InvalidInputException"
    assert "must match the type of the dataset" in error_message(excinfo)


# ---- point 6: CSV columns follow the schema's field order ----------------------------------


def test_csv_columns_out_of_schema_order_fail_the_import(api):
    # *Dataset schemas*: "The schema fields can appear in any order, but they must match the
    # order of the corresponding column headers in your CSV file."
    p, s3 = api.personalize, api.s3
    make_bucket(s3)
    users = make_dataset(p, make_group(p), "USERS")
    location = put(s3, "u.csv", "MEMBERSHIP,USER_ID\ngold,u1\n")
    job = import_job(p, "reordered", users, location)
    assert job["status"] == "CREATE FAILED"
    assert job["failureReason"] == (
        f"{location}: the CSV columns are in the order ['MEMBERSHIP', 'USER_ID'] but the schema's fields "
        "are in the order ['USER_ID', 'MEMBERSHIP']; the column headers must follow the schema's field order."
    )
    assert import_job(p, "ordered", users, put(s3, "v.csv", "USER_ID,MEMBERSHIP\nu1,gold\n"))["status"] == "ACTIVE"


# ---- point 7: optional interaction fields + distinct event types <= 10 --------------------


def interactions_with_types(types: int) -> str:
    lines = ["USER_ID,ITEM_ID,TIMESTAMP,EVENT_TYPE,EVENT_VALUE,DEVICE"]
    lines += [f"u{n % 50},i{n % 100},{1_700_000_000 + n},type{n % types},1.0,mobile" for n in range(1000)]
    return "\n".join(lines) + "\n"


def test_interaction_fields_plus_event_types_at_most_ten(api):
    # *Interactions dataset requirements*: "The maximum total number of optional metadata fields
    # you can add to an Item interactions dataset, combined with total number of distinct event
    # types in your Item interaction data, is 10" (EVENT_TYPE and EVENT_VALUE count as fields).
    # The count needs the data, so the import job is where it fails.
    p, s3 = api.personalize, api.s3
    make_bucket(s3)
    schema = avro("Interactions", {"name": "USER_ID", "type": "string"}, {"name": "ITEM_ID", "type": "string"},
                  {"name": "TIMESTAMP", "type": "long"}, {"name": "EVENT_TYPE", "type": "string"},
                  {"name": "EVENT_VALUE", "type": "float"}, {"name": "DEVICE", "type": "string", "categorical": True})
    interactions = make_dataset(p, make_group(p), "INTERACTIONS", schema)
    job = import_job(p, "nine", interactions, put(s3, "nine.csv", interactions_with_types(9)))
    assert job["status"] == "CREATE FAILED"
    assert "3 optional metadata field(s) (EVENT_TYPE, EVENT_VALUE, DEVICE) and 9 distinct event type(s)" in job["failureReason"]
    assert "make 12, more than the 10 allowed" in job["failureReason"]
    job = import_job(p, "seven", interactions, put(s3, "seven.csv", interactions_with_types(7)))
    assert job["status"] == "ACTIVE", job.get("failureReason")
    # An incremental import that brings the total over 10 fails too, and keeps what was there.
    extra = "USER_ID,ITEM_ID,TIMESTAMP,EVENT_TYPE,EVENT_VALUE,DEVICE\n" + "".join(
        f"u{n},i{n},{1_800_000_000 + n},new{n},1.0,web\n" for n in range(1000))
    job = import_job(p, "more", interactions, put(s3, "more.csv", extra), mode="INCREMENTAL")
    assert job["status"] == "CREATE FAILED" and "more than the 10 allowed" in job["failureReason"]
    assert len(export(api, interactions, "BULK")[1]) == 1000


def test_events_streamed_past_the_limit_fail_training(api, monkeypatch):
    # Same page. PutEvents records what it is sent; a solution version trained on more than 10
    # optional fields + distinct event types fails with the reason.
    monkeypatch.setenv("PERSONALIZE_MOCK_RELAXED_DATA", "1")
    p, s3 = api.personalize, api.s3
    make_bucket(s3)
    group = make_group(p)
    interactions = make_dataset(p, group, "INTERACTIONS")  # one optional field: EVENT_TYPE
    assert import_job(p, "i", interactions, put(s3, "i.csv", interactions_csv(200)))["status"] == "ACTIVE"
    tracking = p.create_event_tracker(name="t", datasetGroupArn=group)["trackingId"]
    api.events.put_events(trackingId=tracking, userId="u1", sessionId="s", eventList=[
        {"eventType": f"kind{n}", "sentAt": 1_800_000_000 + n, "itemId": "i1"} for n in range(9)])
    solution = p.create_solution(name="s", datasetGroupArn=group, recipeArn=RECIPE + "aws-user-personalization")
    arn = p.create_solution_version(solutionArn=solution["solutionArn"])["solutionVersionArn"]
    version = wait_status(lambda: p.describe_solution_version(solutionVersionArn=arn)["solutionVersion"],
                          ("ACTIVE", "CREATE FAILED"))
    assert version["status"] == "CREATE FAILED"
    assert "1 optional metadata field(s) (EVENT_TYPE) and 10 distinct event type(s)" in version["failureReason"]


# ---- point 10: roleArn only with kmsKeyArn --------------------------------------------------


def test_role_arn_without_kms_key_is_refused(api):
    # API reference, CreateDatasetGroup roleArn: "Supplying an IAM role is only valid when also
    # specifying a KMS key."
    p = api.personalize
    excinfo = refused(p.create_dataset_group, name="g", roleArn=ROLE)
    assert error_code(excinfo) == "InvalidInputException"
    assert "kmsKeyArn" in error_message(excinfo)
    arn = p.create_dataset_group(name="g", roleArn=ROLE, kmsKeyArn=KMS)["datasetGroupArn"]
    assert p.describe_dataset_group(datasetGroupArn=arn)["datasetGroup"]["roleArn"] == ROLE


# ---- point 11: maxResults out of 1..100 is an input validation failure --------------------


def list_operations():
    model = boto_session().client("personalize").meta.service_model
    for name in model.operation_names:
        operation = model.operation_model(name)
        if name.startswith("List") and "maxResults" in operation.input_shape.members:
            yield name, {error.name for error in operation.error_shapes}


@pytest.mark.parametrize("max_results", [0, 101])
@pytest.mark.parametrize(("operation", "modelled"), list(list_operations()), ids=lambda v: v if isinstance(v, str) else "")
def test_max_results_out_of_range_is_invalid_input(api, operation, modelled, max_results):
    # botocore's model: maxResults is 1..100 on every List operation. 16 of the 18 model
    # InvalidInputException (the service's validation error) and answer it. ListSchemas and
    # ListDatasetGroups model only InvalidNextTokenException: the closest modelled error, and
    # the only one a client of those operations can expect by their model (botocore would
    # still map an InvalidInputException code to client.exceptions.InvalidInputException).
    client = boto_session().client("personalize", endpoint_url=getattr(api, "endpoint_url", None),
                                   config=Config(parameter_validation=False))
    kwargs = {"maxResults": max_results}
    if operation == "ListMetricAttributionMetrics":
        kwargs["metricAttributionArn"] = "arn:aws:personalize:us-east-1:123456789012:metric-attribution/m"
    excinfo = refused(getattr(client, botocore.xform_name(operation)), **kwargs)
    expected = "InvalidInputException" if "InvalidInputException" in modelled else "InvalidNextTokenException"
    assert error_code(excinfo) == expected
    assert "at 'maxResults' failed to satisfy constraint" in error_message(excinfo)
