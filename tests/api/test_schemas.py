"""CreateSchema / DescribeSchema / ListSchemas / DeleteSchema through boto3.

The schema's own syntax (valid Avro, flat, primitive types) is checked at CreateSchema; the
rules of a dataset type (required fields, their types, nullability) at CreateDataset, when
the type is known.
"""

import json

import pytest

from tests.conftest import (
    INTERACTIONS_SCHEMA,
    ITEMS_SCHEMA,
    USERS_SCHEMA,
    arn,
    avro,
    error_code,
    error_message,
)

ECOMMERCE_ITEMS = avro(
    "Items",
    {"name": "ITEM_ID", "type": "string"},
    {"name": "PRICE", "type": "float"},
    {"name": "CATEGORY_L1", "type": "string", "categorical": True},
)
VOD_ITEMS = avro(
    "Items",
    {"name": "ITEM_ID", "type": "string"},
    {"name": "GENRES", "type": "string", "categorical": True},
    {"name": "CREATION_TIMESTAMP", "type": "long"},
)


def _interactions(*fields):
    return avro("Interactions", *fields)


USER_ID = {"name": "USER_ID", "type": "string"}
ITEM_ID = {"name": "ITEM_ID", "type": "string"}
TIMESTAMP = {"name": "TIMESTAMP", "type": "long"}


@pytest.mark.parametrize(
    "name, body",
    [("interactions", INTERACTIONS_SCHEMA), ("items", ITEMS_SCHEMA), ("users", USERS_SCHEMA)],
    ids=["interactions", "items", "users"],
)
def test_create_describe_and_list(api, name, body):
    p = api.personalize
    schema_arn = p.create_schema(name=name, schema=body)["schemaArn"]
    assert schema_arn == arn(f"schema/{name}")

    described = p.describe_schema(schemaArn=schema_arn)["schema"]
    assert described["name"] == name
    assert described["schemaArn"] == schema_arn
    assert json.loads(described["schema"]) == json.loads(body)
    assert described["creationDateTime"] <= described["lastUpdatedDateTime"]
    assert "domain" not in described

    (summary,) = p.list_schemas()["schemas"]
    assert summary["name"] == name and summary["schemaArn"] == schema_arn
    assert "schema" not in summary  # summaries carry no body


def test_schema_body_is_returned_as_stored(api):
    body = '{"type":"record","name":"Users","fields":[{"name":"USER_ID","type":"string"},' \
           '{"name":"AGE","type":"int"}],"version":"1.0"}'
    schema_arn = api.personalize.create_schema(name="compact", schema=body)["schemaArn"]
    assert api.personalize.describe_schema(schemaArn=schema_arn)["schema"]["schema"] == body


@pytest.mark.parametrize(
    "domain, body", [("ECOMMERCE", ECOMMERCE_ITEMS), ("VIDEO_ON_DEMAND", VOD_ITEMS)], ids=["ecommerce", "vod"]
)
def test_domain_schema(api, domain, body):
    p = api.personalize
    schema_arn = p.create_schema(name=f"{domain.lower().replace('_', '-')}-items", schema=body, domain=domain)[
        "schemaArn"
    ]
    assert p.describe_schema(schemaArn=schema_arn)["schema"]["domain"] == domain
    assert p.list_schemas()["schemas"][0]["domain"] == domain

    # ... and it fits an Items dataset of a group of the same domain.
    group = p.create_dataset_group(name="domain-group", domain=domain)["datasetGroupArn"]
    p.create_dataset(name="items", schemaArn=schema_arn, datasetGroupArn=group, datasetType="Items")


INVALID_SCHEMAS = {
    "not-json": "{not json",
    "empty": "",
    "not-an-object": json.dumps(["Interactions"]),
    "not-a-record": json.dumps({"type": "enum", "name": "X", "symbols": ["A"]}),
    "no-fields": avro("Interactions"),
    "record-without-name": json.dumps({"type": "record", "fields": [USER_ID]}),
    "nested-array": avro("Items", ITEM_ID, {"name": "TAGS", "type": {"type": "array", "items": "string"}}),
    "nested-record": avro(
        "Items", ITEM_ID, {"name": "R", "type": {"type": "record", "name": "R", "fields": [ITEM_ID]}}
    ),
    "map-type": avro("Items", ITEM_ID, {"name": "M", "type": {"type": "map", "values": "string"}}),
    "bytes-type": avro("Items", ITEM_ID, {"name": "PIC", "type": "bytes"}),
    "null-only": avro("Items", ITEM_ID, {"name": "X", "type": "null"}),
    "wide-union": avro("Items", ITEM_ID, {"name": "X", "type": ["null", "string", "long"]}),
    "categorical-long": avro("Items", ITEM_ID, {"name": "N", "type": "long", "categorical": True}),
    "categorical-and-textual": avro(
        "Items", ITEM_ID, {"name": "D", "type": "string", "categorical": True, "textual": True}
    ),
    "names-conflict": avro(
        "Items", ITEM_ID, {"name": "GENRES_FIELD_1", "type": "string"}, {"name": "GENRESFIELD1", "type": "string"}
    ),
    "bad-default": avro("Items", ITEM_ID, {"name": "N", "type": "long", "default": "x"}),
}


def test_invalid_schemas_are_refused(api):
    accepted = []
    for case, body in INVALID_SCHEMAS.items():
        try:
            api.personalize.create_schema(name=case, schema=body)
            accepted.append(case)
        except api.personalize.exceptions.InvalidInputException as error:
            assert error.response["Error"]["Message"].startswith("Invalid schema"), case
    assert accepted == []
    assert api.personalize.list_schemas()["schemas"] == []


def test_field_name_must_be_an_avro_name(api):
    with pytest.raises(api.personalize.exceptions.InvalidInputException):
        api.personalize.create_schema(
            name="badname", schema=avro("Items", ITEM_ID, {"name": "BAD-NAME", "type": "string"})
        )


@pytest.mark.parametrize(
    "kwargs, fragment",
    [
        ({"name": "-leading-dash", "schema": INTERACTIONS_SCHEMA}, "name"),
        ({"name": "x" * 64, "schema": INTERACTIONS_SCHEMA}, "name"),
        ({"name": "toolong", "schema": " " * 20001}, "schema"),
        ({"name": "dom", "schema": INTERACTIONS_SCHEMA, "domain": "BOOKS"}, "domain"),
    ],
    ids=["name-pattern", "name-length", "schema-length", "domain-enum"],
)
def test_model_constraints_are_enforced_by_the_server(api, kwargs, fragment):
    with pytest.raises(api.personalize.exceptions.InvalidInputException) as excinfo:
        api.personalize.create_schema(**kwargs)
    assert f"at '{fragment}'" in error_message(excinfo)


BROKEN_INTERACTIONS = {
    "no-timestamp": _interactions(USER_ID, ITEM_ID),
    "no-user-id": _interactions(ITEM_ID, TIMESTAMP),
    "no-item-id": _interactions(USER_ID, TIMESTAMP),
    "timestamp-string": _interactions(USER_ID, ITEM_ID, {"name": "TIMESTAMP", "type": "string"}),
    "timestamp-int": _interactions(USER_ID, ITEM_ID, {"name": "TIMESTAMP", "type": "int"}),
    "item-id-int": _interactions(USER_ID, {"name": "ITEM_ID", "type": "int"}, TIMESTAMP),
    "event-value-string": _interactions(USER_ID, ITEM_ID, TIMESTAMP, {"name": "EVENT_VALUE", "type": "string"}),
    "nullable-user-id": _interactions({"name": "USER_ID", "type": ["null", "string"]}, ITEM_ID, TIMESTAMP),
    "nullable-timestamp": _interactions(USER_ID, ITEM_ID, {"name": "TIMESTAMP", "type": ["null", "long"]}),
    "categorical-event-type": _interactions(
        USER_ID, ITEM_ID, TIMESTAMP, {"name": "EVENT_TYPE", "type": "string", "categorical": True}
    ),
    "textual-field": _interactions(USER_ID, ITEM_ID, TIMESTAMP, {"name": "NOTE", "type": "string", "textual": True}),
    "six-metadata-fields": _interactions(
        USER_ID, ITEM_ID, TIMESTAMP, *({"name": f"M{i}", "type": "int"} for i in range(6))
    ),
}


def test_schemas_breaking_interactions_rules_are_refused_for_the_dataset(api):
    p = api.personalize
    group = p.create_dataset_group(name="g")["datasetGroupArn"]
    accepted = []
    for case, body in BROKEN_INTERACTIONS.items():
        schema_arn = p.create_schema(name=case, schema=body)["schemaArn"]  # syntax alone is fine
        try:
            p.create_dataset(name="ds", schemaArn=schema_arn, datasetGroupArn=group, datasetType="Interactions")
            accepted.append(case)
        except p.exceptions.InvalidInputException:
            pass
    assert accepted == []
    assert p.list_datasets(datasetGroupArn=group)["datasets"] == []


def test_nullable_optional_fields_are_fine(api):
    body = _interactions(
        USER_ID,
        ITEM_ID,
        TIMESTAMP,
        {"name": "EVENT_VALUE", "type": ["null", "float"]},
        {"name": "IMPRESSION", "type": ["null", "string"]},
        {"name": "DEVICE", "type": ["string", "null"], "categorical": True},
    )
    p = api.personalize
    schema_arn = p.create_schema(name="nullable-extras", schema=body)["schemaArn"]
    group = p.create_dataset_group(name="g")["datasetGroupArn"]
    p.create_dataset(name="ds", schemaArn=schema_arn, datasetGroupArn=group, datasetType="Interactions")


def test_duplicate_name(api):
    api.personalize.create_schema(name="dup", schema=INTERACTIONS_SCHEMA)
    with pytest.raises(api.personalize.exceptions.ResourceAlreadyExistsException) as excinfo:
        api.personalize.create_schema(name="dup", schema=USERS_SCHEMA)
    assert arn("schema/dup") in error_message(excinfo)
    # The first one is unchanged.
    kept = api.personalize.describe_schema(schemaArn=arn("schema/dup"))["schema"]["schema"]
    assert json.loads(kept) == json.loads(INTERACTIONS_SCHEMA)


@pytest.mark.parametrize("operation", ["describe_schema", "delete_schema"])
def test_unknown_schema(api, operation):
    with pytest.raises(api.personalize.exceptions.ResourceNotFoundException) as excinfo:
        getattr(api.personalize, operation)(schemaArn=arn("schema/nope"))
    assert error_code(excinfo) == "ResourceNotFoundException"


def test_delete_refused_while_a_dataset_uses_it(api):
    p = api.personalize
    schema_arn = p.create_schema(name="used", schema=INTERACTIONS_SCHEMA)["schemaArn"]
    group = p.create_dataset_group(name="g")["datasetGroupArn"]
    dataset = p.create_dataset(name="ds", schemaArn=schema_arn, datasetGroupArn=group, datasetType="Interactions")[
        "datasetArn"
    ]
    with pytest.raises(p.exceptions.ResourceInUseException) as excinfo:
        p.delete_schema(schemaArn=schema_arn)
    assert dataset in error_message(excinfo)
    p.describe_schema(schemaArn=schema_arn)  # still there

    p.delete_dataset(datasetArn=dataset)
    p.delete_schema(schemaArn=schema_arn)
    with pytest.raises(p.exceptions.ResourceNotFoundException):
        p.describe_schema(schemaArn=schema_arn)


def test_delete_then_describe_and_reuse_name(api):
    p = api.personalize
    schema_arn = p.create_schema(name="gone", schema=USERS_SCHEMA)["schemaArn"]
    assert p.delete_schema(schemaArn=schema_arn)["ResponseMetadata"]["HTTPStatusCode"] == 200
    with pytest.raises(p.exceptions.ResourceNotFoundException):
        p.describe_schema(schemaArn=schema_arn)
    assert p.list_schemas()["schemas"] == []
    assert p.create_schema(name="gone", schema=ITEMS_SCHEMA)["schemaArn"] == schema_arn
