"""Known-answer tests of parse_schema and check_dataset_schema, called directly (no moto)."""

import json

import pytest

from personalize_mock.exceptions import InvalidInputException
from personalize_mock.resources.schema_rules import (
    Field,
    check_dataset_schema,
    check_record_name,
    interactions_limit_problem,
    parse_schema,
)
from tests.conftest import INTERACTIONS_SCHEMA, ITEMS_SCHEMA, USERS_SCHEMA, avro


def s(name, **attrs):
    """A non-null string field."""
    return Field(name, "string", False, **attrs)


def of(name, avro_type, nullable=False, **attrs):
    return Field(name, avro_type, nullable, **attrs)


def invalid(call, *args):
    with pytest.raises(InvalidInputException) as excinfo:
        call(*args)
    return excinfo.value.message


# ---- parse_schema: known answers -------------------------------------------------------------


def test_parse_interactions():
    assert parse_schema(INTERACTIONS_SCHEMA) == [
        s("USER_ID"),
        s("ITEM_ID"),
        of("TIMESTAMP", "long"),
        s("EVENT_TYPE"),
    ]


def test_parse_items_and_users():
    assert parse_schema(ITEMS_SCHEMA) == [
        s("ITEM_ID"),
        Field("GENRES", "string", True, categorical=True),
        of("CREATION_TIMESTAMP", "long"),
    ]
    assert parse_schema(USERS_SCHEMA) == [s("USER_ID"), s("MEMBERSHIP", categorical=True)]


def test_parse_attributes_unions_and_primitives():
    body = avro(
        "Items",
        {"name": "ITEM_ID", "type": "string"},
        {"name": "TITLE", "type": "string", "itemName": True},
        {"name": "DESCRIPTION", "type": ["null", "string"], "textual": True},
        {"name": "PRICE", "type": ["float", "null"], "default": 0.0},
        {"name": "RATING", "type": "double"},
        {"name": "STOCK", "type": "int"},
        {"name": "ADULT", "type": "boolean"},
        {"name": "PLAIN", "type": "string", "categorical": False},
    )
    assert parse_schema(body) == [
        s("ITEM_ID"),
        s("TITLE", item_name=True),
        Field("DESCRIPTION", "string", True, textual=True),
        Field("PRICE", "float", True),
        of("RATING", "double"),
        of("STOCK", "int"),
        of("ADULT", "boolean"),
        s("PLAIN"),
    ]


def test_parse_accepts_minimal_record():
    body = json.dumps({"type": "record", "name": "Users", "fields": [{"name": "USER_ID", "type": "string"}]})
    assert parse_schema(body) == [s("USER_ID")]


@pytest.mark.parametrize(
    "body, fragment",
    [
        ("{oops", "not valid JSON"),
        ("[]", "Avro record"),
        (json.dumps({"type": "enum", "name": "E", "symbols": ["A"]}), "Avro record"),
        (avro("Items"), "non-empty \"fields\""),
        (json.dumps({"type": "record", "name": "Items", "fields": "ITEM_ID"}), "non-empty \"fields\""),
        (avro("Items", "ITEM_ID"), "string \"name\""),
        (avro("Items", {"type": "string"}), "string \"name\""),
        (avro("Items", {"name": "A", "type": {"type": "array", "items": "string"}}), "only the primitive types"),
        (avro("Items", {"name": "A", "type": "bytes"}), "only the primitive types"),
        (avro("Items", {"name": "A"}), "only the primitive types"),
        (avro("Items", {"name": "A", "type": "null"}), "exactly one non-null type"),
        (avro("Items", {"name": "A", "type": ["null", "int", "string"]}), "exactly one non-null type"),
        (avro("Items", {"name": "A", "type": "int", "categorical": True}), "string fields only"),
        (avro("Items", {"name": "A", "type": "long", "textual": True}), "string fields only"),
        (avro("Items", {"name": "A", "type": "float", "itemName": True}), "string fields only"),
        (
            avro("Items", {"name": "A", "type": "string", "categorical": True, "textual": True}),
            "both categorical and textual",
        ),
        (
            avro("Items", {"name": "GENRES_FIELD_1", "type": "string"}, {"name": "GENRESFIELD1", "type": "string"}),
            "GENRES_FIELD_1 and GENRESFIELD1 conflict",
        ),
        (avro("Items", {"name": "A", "type": "string"}, {"name": "A", "type": "long"}), "conflict"),
        (json.dumps({"type": "record", "fields": [{"name": "A", "type": "string"}]}), "not a valid Avro schema"),
        (avro("Items", {"name": "N", "type": "long", "default": "x"}), "not a valid Avro schema"),
    ],
    ids=[
        "json",
        "list",
        "enum",
        "no-fields",
        "fields-not-list",
        "field-not-object",
        "field-without-name",
        "array",
        "bytes",
        "missing-type",
        "null-only",
        "wide-union",
        "categorical-int",
        "textual-long",
        "item-name-float",
        "categorical-and-textual",
        "stripped-conflict",
        "duplicate",
        "record-without-name",
        "bad-default",
    ],
)
def test_parse_rejects(body, fragment):
    message = invalid(parse_schema, body)
    assert message.startswith("Invalid schema: ")
    assert fragment in message


@pytest.mark.parametrize("name", ["BAD-NAME", "1ST", "HAS SPACE"])
def test_parse_rejects_non_avro_field_names(name):
    invalid(parse_schema, avro("Items", {"name": "ITEM_ID", "type": "string"}, {"name": name, "type": "string"}))


# ---- check_dataset_schema: accepted ----------------------------------------------------------

INTERACTIONS = [s("USER_ID"), s("ITEM_ID"), of("TIMESTAMP", "long")]
ITEMS = [s("ITEM_ID"), s("GENRES", categorical=True)]
USERS = [s("USER_ID"), of("AGE", "int")]
ACTIONS = [s("ACTION_ID"), of("VALUE", "long", True), s("CAT", categorical=True)]
ACTION_INTERACTIONS = [s("USER_ID"), s("ACTION_ID"), of("TIMESTAMP", "long"), s("EVENT_TYPE")]


@pytest.mark.parametrize(
    "fields, dataset_type, domain",
    [
        (INTERACTIONS, "INTERACTIONS", None),
        (
            INTERACTIONS
            + [
                s("EVENT_TYPE"),
                of("EVENT_VALUE", "float", True),
                of("EVENT_VALUE_D", "double"),
                Field("IMPRESSION", "string", True),
                Field("RECOMMENDATION_ID", "string", True),
                Field("EVENT_ATTRIBUTION_SOURCE", "string", True),
            ]
            + [of(f"M{i}", "int") for i in range(4)],
            "INTERACTIONS",
            None,
        ),
        (INTERACTIONS + [of(f"M{i}", "float") for i in range(5)], "INTERACTIONS", None),
        (ITEMS, "ITEMS", None),
        ([s("ITEM_ID"), of("CREATION_TIMESTAMP", "long"), s("DESC", textual=True)], "ITEMS", None),
        ([s("ITEM_ID")] + [of(f"M{i}", "int") for i in range(100)], "ITEMS", None),
        (USERS, "USERS", None),
        ([s("USER_ID")] + [s(f"M{i}", categorical=True) for i in range(25)], "USERS", None),
        (ACTIONS, "ACTIONS", None),
        (
            [s("ACTION_ID"), of("CREATION_TIMESTAMP", "long"), Field("TYPE", "string", True),
             of("EXPIRATION_TIMESTAMP", "long", True), of("REPEAT_FREQUENCY", "long", True)]
            + [of(f"M{i}", "int") for i in range(10)],
            "ACTIONS",
            None,
        ),
        (ACTION_INTERACTIONS, "ACTION_INTERACTIONS", None),
        (ACTION_INTERACTIONS + [Field("IMPRESSION", "string", True)], "ACTION_INTERACTIONS", None),
        (INTERACTIONS + [s("EVENT_TYPE")], "INTERACTIONS", "ECOMMERCE"),
        (INTERACTIONS + [s("EVENT_TYPE")], "INTERACTIONS", "VIDEO_ON_DEMAND"),
        ([s("ITEM_ID"), of("PRICE", "float"), s("CATEGORY_L1", categorical=True)], "ITEMS", "ECOMMERCE"),
        ([s("ITEM_ID"), of("PRICE", "double"), s("CATEGORY_L1", categorical=True),
          s("CATEGORY_L2", categorical=True)], "ITEMS", "ECOMMERCE"),
        ([s("ITEM_ID"), s("GENRES", categorical=True), of("CREATION_TIMESTAMP", "long")], "ITEMS", "VIDEO_ON_DEMAND"),
        (USERS, "USERS", "ECOMMERCE"),
    ],
    ids=[
        "interactions",
        "interactions-reserved-and-4-metadata",
        "interactions-5-metadata",
        "items",
        "items-textual",
        "items-100-metadata",
        "users",
        "users-25-metadata",
        "actions",
        "actions-reserved-and-10-metadata",
        "action-interactions",
        "action-interactions-impression",
        "ecommerce-interactions",
        "vod-interactions",
        "ecommerce-items",
        "ecommerce-items-double-price",
        "vod-items",
        "ecommerce-users",
    ],
)
def test_check_accepts(fields, dataset_type, domain):
    assert check_dataset_schema(fields, dataset_type, domain) is None


# ---- check_dataset_schema: refused -----------------------------------------------------------


@pytest.mark.parametrize(
    "fields, dataset_type, domain, fragment",
    [
        ([s("USER_ID"), s("ITEM_ID")], "INTERACTIONS", None, "requires the field TIMESTAMP"),
        ([s("ITEM_ID"), of("TIMESTAMP", "long")], "INTERACTIONS", None, "requires the field USER_ID"),
        ([s("USER_ID"), s("ITEM_ID"), of("TIMESTAMP", "int")], "INTERACTIONS", None,
         "field TIMESTAMP must be of type long, not int"),
        ([s("USER_ID"), of("ITEM_ID", "long"), of("TIMESTAMP", "long")], "INTERACTIONS", None,
         "field ITEM_ID must be of type string, not long"),
        ([Field("USER_ID", "string", True), s("ITEM_ID"), of("TIMESTAMP", "long")], "INTERACTIONS", None,
         "USER_ID cannot be nullable"),
        ([s("USER_ID"), s("ITEM_ID"), of("TIMESTAMP", "long", True)], "INTERACTIONS", None,
         "TIMESTAMP cannot be nullable"),
        (INTERACTIONS + [s("EVENT_VALUE")], "INTERACTIONS", None,
         "reserved field EVENT_VALUE must be of type double or float, not string"),
        (INTERACTIONS + [of("EVENT_TYPE", "int")], "INTERACTIONS", None, "reserved field EVENT_TYPE"),
        (INTERACTIONS + [s("EVENT_TYPE", categorical=True)], "INTERACTIONS", None,
         "EVENT_TYPE cannot be categorical"),
        (INTERACTIONS + [s("DESC", textual=True)], "INTERACTIONS", None, "textual fields are allowed only in Items"),
        (INTERACTIONS + [of(f"M{i}", "int") for i in range(6)], "INTERACTIONS", None,
         "at most 5 metadata fields, not 6"),
        ([s("ITEM_ID")], "ITEMS", None, "at least 1 metadata field"),
        ([s("ITEM_ID"), of("CREATION_TIMESTAMP", "int"), of("N", "int")], "ITEMS", None,
         "reserved field CREATION_TIMESTAMP must be of type long"),
        ([s("ITEM_ID"), s("A", textual=True), s("B", textual=True)], "ITEMS", None, "at most 1 textual field, not 2"),
        ([s("ITEM_ID")] + [of(f"M{i}", "int") for i in range(101)], "ITEMS", None,
         "at most 100 metadata fields, not 101"),
        ([Field("ITEM_ID", "string", True), of("N", "int")], "ITEMS", None, "ITEM_ID cannot be nullable"),
        ([s("USER_ID")], "USERS", None, "at least 1 metadata field"),
        ([s("USER_ID")] + [of(f"M{i}", "int") for i in range(26)], "USERS", None,
         "at most 25 metadata fields, not 26"),
        ([s("USER_ID"), s("BIO", textual=True)], "USERS", None, "textual fields are allowed only in Items"),
        ([of("USER_ID", "int"), of("AGE", "int")], "USERS", None, "field USER_ID must be of type string"),
        ([s("ACTION_ID")], "ACTIONS", None, "at least 1 metadata field"),
        ([s("ACTION_ID"), s("VALUE"), of("N", "int")], "ACTIONS", None, "reserved field VALUE must be of type long"),
        ([s("ACTION_ID")] + [of(f"M{i}", "int") for i in range(11)], "ACTIONS", None,
         "at most 10 metadata fields, not 11"),
        ([Field("ACTION_ID", "string", True), of("N", "int")], "ACTIONS", None, "ACTION_ID cannot be nullable"),
        ([s("USER_ID"), s("ACTION_ID"), of("TIMESTAMP", "long")], "ACTION_INTERACTIONS", None,
         "requires the field EVENT_TYPE"),
        (ACTION_INTERACTIONS[:3] + [s("EVENT_TYPE", categorical=True)], "ACTION_INTERACTIONS", None,
         "EVENT_TYPE cannot be categorical"),
        (INTERACTIONS, "INTERACTIONS", "ECOMMERCE", "requires the field EVENT_TYPE"),
        (INTERACTIONS, "INTERACTIONS", "VIDEO_ON_DEMAND", "requires the field EVENT_TYPE"),
        ([s("ITEM_ID"), s("CATEGORY_L1", categorical=True)], "ITEMS", "ECOMMERCE", "requires the field PRICE"),
        ([s("ITEM_ID"), of("PRICE", "float")], "ITEMS", "ECOMMERCE", "requires the field CATEGORY_L1"),
        ([s("ITEM_ID"), of("PRICE", "int"), s("CATEGORY_L1", categorical=True)], "ITEMS", "ECOMMERCE",
         "field PRICE must be of type double or float, not int"),
        ([s("ITEM_ID"), of("PRICE", "float"), s("CATEGORY_L1")], "ITEMS", "ECOMMERCE",
         "CATEGORY_L1 must be categorical"),
        ([s("ITEM_ID"), of("PRICE", "float"), s("CATEGORY_L1", categorical=True), s("GENDER")], "ITEMS", "ECOMMERCE",
         "GENDER must be categorical"),
        ([s("ITEM_ID"), of("CREATION_TIMESTAMP", "long")], "ITEMS", "VIDEO_ON_DEMAND", "requires the field GENRES"),
        ([s("ITEM_ID"), s("GENRES", categorical=True)], "ITEMS", "VIDEO_ON_DEMAND",
         "requires the field CREATION_TIMESTAMP"),
        ([s("ITEM_ID"), s("GENRES"), of("CREATION_TIMESTAMP", "long")], "ITEMS", "VIDEO_ON_DEMAND",
         "GENRES must be categorical"),
    ],
    ids=[
        "int-no-timestamp",
        "int-no-user",
        "int-timestamp-int",
        "int-item-id-long",
        "int-nullable-user",
        "int-nullable-timestamp",
        "int-event-value-string",
        "int-event-type-int",
        "int-event-type-categorical",
        "int-textual",
        "int-6-metadata",
        "items-no-metadata",
        "items-creation-int",
        "items-2-textual",
        "items-101-metadata",
        "items-nullable-id",
        "users-no-metadata",
        "users-26-metadata",
        "users-textual",
        "users-id-int",
        "actions-no-metadata",
        "actions-value-string",
        "actions-11-metadata",
        "actions-nullable-id",
        "ai-no-event-type",
        "ai-event-type-categorical",
        "ecommerce-int-no-event-type",
        "vod-int-no-event-type",
        "ecommerce-items-no-price",
        "ecommerce-items-no-category",
        "ecommerce-items-price-int",
        "ecommerce-items-category-not-categorical",
        "ecommerce-items-gender-not-categorical",
        "vod-items-no-genres",
        "vod-items-no-creation",
        "vod-items-genres-not-categorical",
    ],
)
def test_check_rejects(fields, dataset_type, domain, fragment):
    message = invalid(check_dataset_schema, fields, dataset_type, domain)
    assert message.startswith("Invalid schema: ")
    assert fragment in message


def test_rules_apply_per_dataset_type():
    """The same fields can suit one dataset type and not another."""
    check_dataset_schema(USERS, "USERS", None)
    assert "requires the field ITEM_ID" in invalid(check_dataset_schema, USERS, "ITEMS", None)
    assert "requires the field ACTION_ID" in invalid(check_dataset_schema, USERS, "ACTIONS", None)
    # A domain's extra requirements do not reach other dataset types.
    check_dataset_schema(INTERACTIONS, "INTERACTIONS", None)
    check_dataset_schema(USERS, "USERS", "VIDEO_ON_DEMAND")


def test_parse_then_check_round_trip():
    check_dataset_schema(parse_schema(INTERACTIONS_SCHEMA), "INTERACTIONS", None)
    check_dataset_schema(parse_schema(ITEMS_SCHEMA), "ITEMS", None)
    check_dataset_schema(parse_schema(USERS_SCHEMA), "USERS", None)


# ---- the record name and the interactions limit (issue 14, points 5 and 7) -------------------


@pytest.mark.parametrize(("name", "dataset_type"), [
    ("Interactions", "INTERACTIONS"), ("items", "ITEMS"), ("com.amazonaws.personalize.schema.Users", "USERS"),
    ("ActionInteractions", "ACTION_INTERACTIONS"), ("Action_Interactions", "ACTION_INTERACTIONS"),
    ("Actions", "ACTIONS"),
])
def test_record_name_matching_the_dataset_type(name, dataset_type):
    check_record_name(json.dumps({"type": "record", "name": name, "fields": []}), dataset_type)


def test_record_name_of_another_type_is_refused():
    message = invalid(check_record_name, json.dumps({"type": "record", "name": "Interactions"}), "USERS")
    assert message == (
        "Invalid schema: the schema's record name is 'Interactions', but the dataset type is Users; a "
        "schema's name must match the type of the dataset that uses it (\"name\": \"Users\")."
    )


def test_interactions_limit_counts_event_type_event_value_custom_fields_and_event_types():
    fields = parse_schema(avro(
        "Interactions", {"name": "USER_ID", "type": "string"}, {"name": "ITEM_ID", "type": "string"},
        {"name": "TIMESTAMP", "type": "long"}, {"name": "EVENT_TYPE", "type": "string"},
        {"name": "EVENT_VALUE", "type": "float"}, {"name": "IMPRESSION", "type": ["null", "string"]},
        {"name": "DEVICE", "type": "string", "categorical": True},
    ))
    # IMPRESSION is reserved and not counted: 3 fields + 7 types = 10 is allowed, 11 is not.
    assert interactions_limit_problem(fields, {f"t{n}" for n in range(7)}) is None
    assert interactions_limit_problem(fields, {f"t{n}" for n in range(8)}) == (
        "The Interactions dataset's 3 optional metadata field(s) (EVENT_TYPE, EVENT_VALUE, DEVICE) and 8 "
        "distinct event type(s) (t0, t1, t2, t3, t4, t5, t6, t7) make 11, more than the 10 allowed (optional "
        "metadata fields, EVENT_TYPE and EVENT_VALUE included, plus distinct event types)."
    )
