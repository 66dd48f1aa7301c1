"""CreateDataset / DescribeDataset / ListDatasets / UpdateDataset / DeleteDataset."""

import uuid

import pytest

from tests.conftest import (
    ACTION_INTERACTIONS_SCHEMA,
    ACTIONS_SCHEMA,
    INTERACTIONS_SCHEMA,
    ITEMS_SCHEMA,
    USERS_SCHEMA,
    arn,
    avro,
    error_message,
)

SCHEMAS = {
    "INTERACTIONS": INTERACTIONS_SCHEMA,
    "ITEMS": ITEMS_SCHEMA,
    "USERS": USERS_SCHEMA,
    "ACTIONS": ACTIONS_SCHEMA,
    "ACTION_INTERACTIONS": ACTION_INTERACTIONS_SCHEMA,
}
SUMMARY_KEYS = {"name", "datasetArn", "datasetType", "status", "creationDateTime", "lastUpdatedDateTime"}


def setup_group(p, group="g", *types, domain=None):
    """A dataset group and one schema per requested dataset type; returns (group ARN, schema ARNs)."""
    kwargs = {"domain": domain} if domain else {}
    group_arn = p.create_dataset_group(name=group, **kwargs)["datasetGroupArn"]
    schemas = {}
    for kind in types:
        name = f"{group}-{kind.lower().replace('_', '-')}"
        schemas[kind] = p.create_schema(name=name, schema=SCHEMAS[kind], **kwargs)["schemaArn"]
    return group_arn, schemas


def wait_active(describe, attempts=10):
    """Poll a Describe (each call is one tick of manual progression) until ACTIVE."""
    for _ in range(attempts):
        if describe()["status"] == "ACTIVE":
            return
    raise AssertionError(f"not ACTIVE after {attempts} describes")


@pytest.mark.parametrize(
    "dataset_type",
    ["Interactions", "Items", "Users", "Actions", "Action_Interactions"]
    + ["interactions", "ITEMS", "action_interactions"],  # any case
)
def test_create_and_describe_each_type(api, dataset_type):
    p = api.personalize
    kind = dataset_type.upper()
    group, schemas = setup_group(p, "movies", kind)
    created = p.create_dataset(
        name="my-dataset", schemaArn=schemas[kind], datasetGroupArn=group, datasetType=dataset_type
    )
    # The dataset's own name is not part of its ARN: group name and upper-cased type are.
    assert created["datasetArn"] == arn(f"dataset/movies/{kind}")

    dataset = p.describe_dataset(datasetArn=created["datasetArn"])["dataset"]
    assert dataset["name"] == "my-dataset"
    assert dataset["datasetArn"] == created["datasetArn"]
    assert dataset["datasetGroupArn"] == group
    assert dataset["datasetType"] == kind
    assert dataset["schemaArn"] == schemas[kind]
    assert dataset["status"] == "ACTIVE"
    assert dataset["creationDateTime"] <= dataset["lastUpdatedDateTime"]
    assert "latestDatasetUpdate" not in dataset
    if kind == "ACTION_INTERACTIONS":  # the service creates its tracker itself
        assert str(uuid.UUID(dataset["trackingId"])) == dataset["trackingId"]
    else:
        assert "trackingId" not in dataset


def test_all_five_types_in_one_group_and_list(api):
    p = api.personalize
    group, schemas = setup_group(p, "all", *SCHEMAS)
    for kind, schema in schemas.items():
        p.create_dataset(name=kind.lower(), schemaArn=schema, datasetGroupArn=group, datasetType=kind)
    listed = p.list_datasets(datasetGroupArn=group)["datasets"]
    assert [d["datasetType"] for d in listed] == list(reversed(list(SCHEMAS)))  # newest first
    for summary in listed:
        assert set(summary) <= SUMMARY_KEYS
        assert summary["datasetArn"] == arn(f"dataset/all/{summary['datasetType']}")
        assert summary["status"] == "ACTIVE"


def test_one_dataset_per_type_per_group(api):
    p = api.personalize
    group, schemas = setup_group(p, "g", "INTERACTIONS")
    other_group = p.create_dataset_group(name="other")["datasetGroupArn"]
    p.create_dataset(name="first", schemaArn=schemas["INTERACTIONS"], datasetGroupArn=group, datasetType="Interactions")
    with pytest.raises(p.exceptions.ResourceAlreadyExistsException):
        p.create_dataset(
            name="second", schemaArn=schemas["INTERACTIONS"], datasetGroupArn=group, datasetType="INTERACTIONS"
        )
    # The same type in another group, with the same name, is fine.
    created = p.create_dataset(
        name="first", schemaArn=schemas["INTERACTIONS"], datasetGroupArn=other_group, datasetType="Interactions"
    )
    assert created["datasetArn"] == arn("dataset/other/INTERACTIONS")
    assert [d["name"] for d in p.list_datasets(datasetGroupArn=group)["datasets"]] == ["first"]


@pytest.mark.parametrize("missing", ["schema", "group"])
def test_unknown_schema_or_group(api, missing):
    p = api.personalize
    group, schemas = setup_group(p, "g", "INTERACTIONS")
    kwargs = {"schemaArn": schemas["INTERACTIONS"], "datasetGroupArn": group}
    kwargs["schemaArn" if missing == "schema" else "datasetGroupArn"] = arn(
        "schema/nope" if missing == "schema" else "dataset-group/nope"
    )
    with pytest.raises(p.exceptions.ResourceNotFoundException) as excinfo:
        p.create_dataset(name="d", datasetType="Interactions", **kwargs)
    assert "nope" in error_message(excinfo)


@pytest.mark.parametrize("dataset_type", ["Bogus", "Interaction", "Inter-actions", "Action Interactions"])
def test_invalid_dataset_type(api, dataset_type):
    p = api.personalize
    group, schemas = setup_group(p, "g", "INTERACTIONS")
    with pytest.raises(p.exceptions.InvalidInputException):
        p.create_dataset(name="d", schemaArn=schemas["INTERACTIONS"], datasetGroupArn=group, datasetType=dataset_type)
    assert p.list_datasets()["datasets"] == []


def test_schema_must_fit_the_dataset_type(api):
    p = api.personalize
    group, schemas = setup_group(p, "g", "USERS", "ACTIONS")
    for schema, dataset_type in ((schemas["USERS"], "Interactions"), (schemas["ACTIONS"], "Items")):
        with pytest.raises(p.exceptions.InvalidInputException):
            p.create_dataset(name="d", schemaArn=schema, datasetGroupArn=group, datasetType=dataset_type)


def test_domain_group_rules(api):
    p = api.personalize
    group, schemas = setup_group(p, "shop", "INTERACTIONS", domain="ECOMMERCE")
    custom = p.create_schema(name="custom", schema=INTERACTIONS_SCHEMA)["schemaArn"]
    actions = p.create_schema(name="actions", schema=ACTIONS_SCHEMA, domain="ECOMMERCE")["schemaArn"]

    # A schema without the group's domain does not fit ...
    with pytest.raises(p.exceptions.InvalidInputException):
        p.create_dataset(name="d", schemaArn=custom, datasetGroupArn=group, datasetType="Interactions")
    # ... nor do Actions datasets in a Domain dataset group.
    with pytest.raises(p.exceptions.InvalidInputException):
        p.create_dataset(name="a", schemaArn=actions, datasetGroupArn=group, datasetType="Actions")

    created = p.create_dataset(
        name="d", schemaArn=schemas["INTERACTIONS"], datasetGroupArn=group, datasetType="Interactions"
    )
    assert created["datasetArn"] == arn("dataset/shop/INTERACTIONS")

    # And a domain schema does not fit a Custom group.
    plain, _ = setup_group(p, "plain")
    with pytest.raises(p.exceptions.InvalidInputException):
        p.create_dataset(name="d", schemaArn=schemas["INTERACTIONS"], datasetGroupArn=plain, datasetType="Interactions")


def test_list_datasets_by_group(api):
    p = api.personalize
    g1, s1 = setup_group(p, "g1", "INTERACTIONS", "ITEMS")
    g2, s2 = setup_group(p, "g2", "USERS")
    p.create_dataset(name="i", schemaArn=s1["INTERACTIONS"], datasetGroupArn=g1, datasetType="Interactions")
    p.create_dataset(name="u", schemaArn=s2["USERS"], datasetGroupArn=g2, datasetType="Users")
    p.create_dataset(name="t", schemaArn=s1["ITEMS"], datasetGroupArn=g1, datasetType="Items")

    assert [d["name"] for d in p.list_datasets(datasetGroupArn=g1)["datasets"]] == ["t", "i"]
    assert [d["name"] for d in p.list_datasets(datasetGroupArn=g2)["datasets"]] == ["u"]
    assert [d["name"] for d in p.list_datasets()["datasets"]] == ["t", "u", "i"]


def test_update_dataset(api):
    p = api.personalize
    group, schemas = setup_group(p, "g", "ITEMS", "USERS")
    dataset = p.create_dataset(name="items", schemaArn=schemas["ITEMS"], datasetGroupArn=group, datasetType="Items")[
        "datasetArn"
    ]
    wider = p.create_schema(
        name="items-v2",
        schema=avro(
            "Items",
            {"name": "ITEM_ID", "type": "string"},
            {"name": "GENRES", "type": ["null", "string"], "categorical": True},
            {"name": "CREATION_TIMESTAMP", "type": "long"},
            {"name": "PRICE", "type": ["null", "float"]},
        ),
    )["schemaArn"]
    assert p.update_dataset(datasetArn=dataset, schemaArn=wider)["datasetArn"] == dataset

    described = p.describe_dataset(datasetArn=dataset)["dataset"]
    assert described["schemaArn"] == wider
    assert described["status"] == "ACTIVE"
    update = described["latestDatasetUpdate"]
    assert update["schemaArn"] == wider
    assert update["status"] == "ACTIVE"
    assert described["creationDateTime"] <= update["creationDateTime"] <= update["lastUpdatedDateTime"]
    assert "failureReason" not in update

    # A schema that does not fit the dataset type is refused; the dataset keeps its schema.
    with pytest.raises(p.exceptions.InvalidInputException):
        p.update_dataset(datasetArn=dataset, schemaArn=schemas["USERS"])
    assert p.describe_dataset(datasetArn=dataset)["dataset"]["schemaArn"] == wider


@pytest.mark.parametrize("missing", ["dataset", "schema"])
def test_update_unknown(api, missing):
    p = api.personalize
    group, schemas = setup_group(p, "g", "ITEMS")
    dataset = p.create_dataset(name="items", schemaArn=schemas["ITEMS"], datasetGroupArn=group, datasetType="Items")[
        "datasetArn"
    ]
    kwargs = {"datasetArn": dataset, "schemaArn": schemas["ITEMS"]}
    kwargs[f"{missing}Arn"] = arn(f"{missing}/nope" if missing == "schema" else "dataset/g/USERS")
    with pytest.raises(p.exceptions.ResourceNotFoundException):
        p.update_dataset(**kwargs)


@pytest.mark.personalize_transition(progression="manual", times=1)
def test_update_goes_through_update_states(api):
    p = api.personalize
    group = p.create_dataset_group(name="g")["datasetGroupArn"]
    # A dataset group still being created takes no datasets.
    schema = p.create_schema(name="s", schema=INTERACTIONS_SCHEMA)["schemaArn"]
    with pytest.raises(p.exceptions.ResourceInUseException):
        p.create_dataset(name="d", schemaArn=schema, datasetGroupArn=group, datasetType="Interactions")
    wait_active(lambda: p.describe_dataset_group(datasetGroupArn=group)["datasetGroup"])

    dataset = p.create_dataset(name="d", schemaArn=schema, datasetGroupArn=group, datasetType="Interactions")[
        "datasetArn"
    ]
    wait_active(lambda: p.describe_dataset(datasetArn=dataset)["dataset"])
    p.update_dataset(datasetArn=dataset, schemaArn=schema)
    described = p.describe_dataset(datasetArn=dataset)["dataset"]
    assert described["status"] == "UPDATE IN_PROGRESS"
    assert described["latestDatasetUpdate"]["status"] == "UPDATE IN_PROGRESS"
    # No second update while one is running.
    with pytest.raises(p.exceptions.ResourceInUseException):
        p.update_dataset(datasetArn=dataset, schemaArn=schema)
    described = p.describe_dataset(datasetArn=dataset)["dataset"]
    assert described["status"] == "ACTIVE"
    assert described["latestDatasetUpdate"]["status"] == "ACTIVE"


def test_delete_dataset(api):
    p = api.personalize
    group, schemas = setup_group(p, "g", "USERS")
    dataset = p.create_dataset(name="users", schemaArn=schemas["USERS"], datasetGroupArn=group, datasetType="Users")[
        "datasetArn"
    ]
    assert p.delete_dataset(datasetArn=dataset)["ResponseMetadata"]["HTTPStatusCode"] == 200
    with pytest.raises(p.exceptions.ResourceNotFoundException):
        p.describe_dataset(datasetArn=dataset)
    with pytest.raises(p.exceptions.ResourceNotFoundException):
        p.delete_dataset(datasetArn=dataset)
    assert p.list_datasets(datasetGroupArn=group)["datasets"] == []
    # The type's slot in the group is free again.
    again = p.create_dataset(name="users2", schemaArn=schemas["USERS"], datasetGroupArn=group, datasetType="Users")
    assert again["datasetArn"] == dataset


@pytest.mark.personalize_transition(progression="manual", times=1)
def test_delete_dataset_states(api):
    p = api.personalize
    group, schemas = setup_group(p, "g", "USERS")
    wait_active(lambda: p.describe_dataset_group(datasetGroupArn=group)["datasetGroup"])
    dataset = p.create_dataset(name="users", schemaArn=schemas["USERS"], datasetGroupArn=group, datasetType="Users")[
        "datasetArn"
    ]
    wait_active(lambda: p.describe_dataset(datasetArn=dataset)["dataset"])
    p.delete_dataset(datasetArn=dataset)
    assert p.describe_dataset(datasetArn=dataset)["dataset"]["status"] == "DELETE IN_PROGRESS"
    with pytest.raises(p.exceptions.ResourceInUseException):
        p.delete_dataset(datasetArn=dataset)
    with pytest.raises(p.exceptions.ResourceNotFoundException):
        p.describe_dataset(datasetArn=dataset)
