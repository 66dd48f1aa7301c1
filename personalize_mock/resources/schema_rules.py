"""Personalize's rules for dataset schemas: flat Avro records, per dataset type and domain.

``parse_schema`` runs at CreateSchema (valid Avro, flat, allowed types and attributes);
``check_dataset_schema`` runs at CreateDataset / UpdateDataset, when the dataset type is
known (required and reserved fields, metadata limits, domain requirements).
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from typing import Any

from ..exceptions import InvalidInputException

AVRO_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
PRIMITIVES = {"string", "int", "long", "float", "double", "boolean", "null"}
NUMERIC = {"int", "long", "float", "double"}

# Dataset types as CreateDataset accepts them (case-insensitive) and as responses show them.
DATASET_TYPES = ("INTERACTIONS", "ITEMS", "USERS", "ACTIONS", "ACTION_INTERACTIONS")
# How the guide spells each type in CreateDataset and in its schema examples' record names.
TYPE_NAMES = {
    "INTERACTIONS": "Interactions", "ITEMS": "Items", "USERS": "Users", "ACTIONS": "Actions",
    "ACTION_INTERACTIONS": "Action_Interactions",
}


@dataclass(frozen=True)
class Field:
    name: str
    type: str  # the non-null primitive
    nullable: bool
    categorical: bool = False
    textual: bool = False
    item_name: bool = False


@dataclass
class Rules:
    required: dict[str, set[str]]  # field -> allowed types
    reserved: dict[str, set[str]] = field(default_factory=dict)
    max_metadata: int = 0
    min_metadata: int = 0
    textual_allowed: bool = False
    non_categorical: tuple[str, ...] = ()  # reserved strings that must not be categorical


STRING = {"string"}
LONG = {"long"}
FLOATING = {"float", "double"}

BASE_RULES: dict[str, Rules] = {
    "INTERACTIONS": Rules(
        required={"USER_ID": STRING, "ITEM_ID": STRING, "TIMESTAMP": LONG},
        reserved={
            "EVENT_TYPE": STRING,
            "EVENT_VALUE": FLOATING,
            "IMPRESSION": STRING,
            "RECOMMENDATION_ID": STRING,
            "EVENT_ATTRIBUTION_SOURCE": STRING,
        },
        max_metadata=5,
        non_categorical=("EVENT_TYPE", "RECOMMENDATION_ID", "EVENT_ATTRIBUTION_SOURCE"),
    ),
    "USERS": Rules(required={"USER_ID": STRING}, max_metadata=25, min_metadata=1),
    "ITEMS": Rules(
        required={"ITEM_ID": STRING},
        reserved={"CREATION_TIMESTAMP": LONG},
        max_metadata=100,
        min_metadata=1,
        textual_allowed=True,
    ),
    "ACTIONS": Rules(
        required={"ACTION_ID": STRING},
        reserved={
            "CREATION_TIMESTAMP": LONG,
            "VALUE": LONG,
            "TYPE": STRING,
            "EXPIRATION_TIMESTAMP": LONG,
            "ACTION_EXPIRATION_TIMESTAMP": LONG,
            "REPEAT_FREQUENCY": LONG,
        },
        max_metadata=10,
        min_metadata=1,
    ),
    "ACTION_INTERACTIONS": Rules(
        required={"USER_ID": STRING, "ACTION_ID": STRING, "TIMESTAMP": LONG, "EVENT_TYPE": STRING},
        reserved={"IMPRESSION": STRING, "RECOMMENDATION_ID": STRING},
        max_metadata=5,
        non_categorical=("EVENT_TYPE",),
    ),
}

# Extra requirements of the domain dataset groups, per dataset type.
DOMAIN_REQUIRED: dict[str, dict[str, dict[str, set[str]]]] = {
    "ECOMMERCE": {
        "INTERACTIONS": {"EVENT_TYPE": STRING},
        "ITEMS": {"PRICE": FLOATING, "CATEGORY_L1": STRING},
    },
    "VIDEO_ON_DEMAND": {
        "INTERACTIONS": {"EVENT_TYPE": STRING},
        "ITEMS": {"GENRES": STRING, "CREATION_TIMESTAMP": LONG},
    },
}
DOMAIN_CATEGORICAL: dict[str, tuple[str, ...]] = {
    "ECOMMERCE": ("CATEGORY_L1", "CATEGORY_L2", "CATEGORY_L3", "AGE_GROUP", "ADULT", "GENDER"),
    "VIDEO_ON_DEMAND": ("GENRES", "GENRE_L2", "GENRE_L3", "CONTENT_OWNER", "CONTENT_CLASSIFICATION"),
}


def _invalid(message: str) -> InvalidInputException:
    return InvalidInputException(f"Invalid schema: {message}")


def _field(raw: Any) -> Field:
    if not isinstance(raw, dict) or not isinstance(raw.get("name"), str):
        raise _invalid("every field must be an object with a string \"name\".")
    name, avro_type = raw["name"], raw.get("type")
    if not AVRO_NAME.fullmatch(name):
        raise _invalid(
            f"field name {name!r} is not a valid Avro name (letters, digits and underscores, "
            "not starting with a digit)."
        )
    members = avro_type if isinstance(avro_type, list) else [avro_type]
    if any(not isinstance(m, str) or m not in PRIMITIVES for m in members):
        raise _invalid(
            f"field {name} has type {json.dumps(avro_type)}; only the primitive types "
            f"{sorted(PRIMITIVES - {'null'})} and unions of one of them with \"null\" are supported."
        )
    non_null = [m for m in members if m != "null"]
    if len(non_null) != 1:
        raise _invalid(f"field {name} must have exactly one non-null type, not {json.dumps(avro_type)}.")
    result = Field(
        name=name,
        type=non_null[0],
        nullable=len(members) > 1,
        categorical=raw.get("categorical") is True,
        textual=raw.get("textual") is True,
        item_name=raw.get("itemName") is True,
    )
    if (result.categorical or result.textual or result.item_name) and result.type != "string":
        raise _invalid(f"field {name}: categorical, textual and itemName apply to string fields only.")
    if result.categorical and result.textual:
        raise _invalid(f"field {name} cannot be both categorical and textual.")
    return result


def parse_schema(text: str) -> list[Field]:
    """Check a CreateSchema body; return its fields. Raises InvalidInputException."""
    try:
        document = json.loads(text)
    except ValueError as error:
        raise _invalid(f"the schema is not valid JSON ({error}).") from None
    if not isinstance(document, dict) or document.get("type") != "record":
        raise _invalid("the schema must be an Avro record (\"type\": \"record\").")
    if not isinstance(document.get("fields"), list) or not document["fields"]:
        raise _invalid("the record must have a non-empty \"fields\" list.")
    fields = [_field(raw) for raw in document["fields"]]
    seen: dict[str, str] = {}
    for f in fields:
        key = re.sub(r"[^0-9A-Za-z]", "", f.name).upper()
        if key in seen:
            raise _invalid(
                f"field names {seen[key]} and {f.name} conflict (names must stay unique "
                "after removing non-alphanumeric characters)."
            )
        seen[key] = f.name
    import fastavro  # the authority on Avro syntax (names, namespaces, defaults)

    try:
        fastavro.parse_schema(document)
    except Exception as error:  # fastavro raises several unrelated types
        raise _invalid(f"not a valid Avro schema ({error}).") from None
    return fields


def _squashed(name: str) -> str:
    return re.sub(r"[^0-9A-Za-z]", "", name).upper()


def check_record_name(text: str, dataset_type: str) -> None:
    """*Dataset schemas*: "A schema has a name key whose value must match the dataset type".
    Compared ignoring case, a namespace prefix and underscores, so ``ActionInteractions`` (the
    guide's own example) matches Action_Interactions."""
    name = str(json.loads(text).get("name", "")).rsplit(".", 1)[-1]
    if _squashed(name) != _squashed(dataset_type):
        raise _invalid(
            f"the schema's record name is {name!r}, but the dataset type is "
            f"{TYPE_NAMES[dataset_type]}; a schema's name must match the type of the dataset that "
            f"uses it (\"name\": \"{TYPE_NAMES[dataset_type].replace('_', '')}\")."
        )


def check_dataset_schema(fields: list[Field], dataset_type: str, domain: str | None) -> None:
    """Check a schema's fields against a dataset type (and the group's domain)."""
    rules = BASE_RULES[dataset_type]
    by_name = {f.name: f for f in fields}
    required = dict(rules.required)
    required.update(DOMAIN_REQUIRED.get(domain or "", {}).get(dataset_type, {}))
    for name, types in required.items():
        f = by_name.get(name)
        if f is None:
            raise _invalid(f"a {dataset_type} schema requires the field {name}.")
        if f.type not in types:
            raise _invalid(f"field {name} must be of type {' or '.join(sorted(types))}, not {f.type}.")
    for name, types in rules.reserved.items():
        f = by_name.get(name)
        if f is not None and f.type not in types:
            raise _invalid(f"reserved field {name} must be of type {' or '.join(sorted(types))}, not {f.type}.")
    for id_name in ("USER_ID", "ITEM_ID", "ACTION_ID", "TIMESTAMP"):
        if id_name in rules.required and by_name[id_name].nullable:
            raise _invalid(f"field {id_name} cannot be nullable.")
    for name in rules.non_categorical:
        if name in by_name and by_name[name].categorical:
            raise _invalid(f"reserved field {name} cannot be categorical.")
    for name in DOMAIN_CATEGORICAL.get(domain or "", ()) if dataset_type == "ITEMS" else ():
        if name in by_name and not by_name[name].categorical:
            raise _invalid(f"reserved field {name} must be categorical.")
    textual = [f.name for f in fields if f.textual]
    if textual and not rules.textual_allowed:
        raise _invalid(f"textual fields are allowed only in Items schemas ({', '.join(textual)}).")
    if len(textual) > 1:
        raise _invalid(f"an Items schema can have at most 1 textual field, not {len(textual)}.")
    metadata = [f.name for f in fields if f.name not in rules.required and f.name not in rules.reserved]
    if len(metadata) < rules.min_metadata:
        raise _invalid(f"a {dataset_type} schema needs at least {rules.min_metadata} metadata field besides {', '.join(rules.required)}.")
    if len(metadata) > rules.max_metadata:
        raise _invalid(
            f"a {dataset_type} schema can have at most {rules.max_metadata} metadata fields, not {len(metadata)}."
        )


MAX_INTERACTION_FIELDS_AND_TYPES = 10


def interactions_limit_problem(fields: list[Field], event_types: set[str]) -> str | None:
    """*Interactions dataset requirements*: "The maximum total number of optional metadata
    fields you can add to an Item interactions dataset, combined with total number of distinct
    event types in your Item interaction data, is 10. The metadata fields included in this
    count are EVENT_TYPE, EVENT_VALUE fields along with any custom metadata fields". The count
    needs the data: import jobs check it, and training checks it again for streamed events.
    Returns the problem (a sentence) or None."""
    rules = BASE_RULES["INTERACTIONS"]
    counted = [
        f.name for f in fields
        if f.name in ("EVENT_TYPE", "EVENT_VALUE") or (f.name not in rules.required and f.name not in rules.reserved)
    ]
    total = len(counted) + len(event_types)
    if total <= MAX_INTERACTION_FIELDS_AND_TYPES:
        return None
    shown = ", ".join(sorted(event_types)[:20]) + (", ..." if len(event_types) > 20 else "")
    return (
        f"The Interactions dataset's {len(counted)} optional metadata field(s) "
        f"({', '.join(counted)}) and {len(event_types)} distinct event type(s) ({shown}) make "
        f"{total}, more than the {MAX_INTERACTION_FIELDS_AND_TYPES} allowed (optional metadata "
        "fields, EVENT_TYPE and EVENT_VALUE included, plus distinct event types)."
    )
