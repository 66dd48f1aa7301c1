"""CreateDatasetGroup / DescribeDatasetGroup / ListDatasetGroups / DeleteDatasetGroup."""

from datetime import datetime

import pytest

from tests.conftest import INTERACTIONS_SCHEMA, arn, error_message

ROLE = "arn:aws:iam::123456789012:role/PersonalizeRole"
KMS_KEY = "arn:aws:kms:us-east-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab"
SUMMARY_KEYS = {
    "name", "datasetGroupArn", "status", "creationDateTime", "lastUpdatedDateTime", "failureReason", "domain"
}


def test_create_and_describe_custom_group(api):
    p = api.personalize
    created = p.create_dataset_group(name="custom")
    assert created["datasetGroupArn"] == arn("dataset-group/custom")
    assert "domain" not in created

    group = p.describe_dataset_group(datasetGroupArn=created["datasetGroupArn"])["datasetGroup"]
    assert group["name"] == "custom"
    assert group["datasetGroupArn"] == arn("dataset-group/custom")
    assert group["status"] == "ACTIVE"
    assert isinstance(group["creationDateTime"], datetime)
    assert group["creationDateTime"] <= group["lastUpdatedDateTime"]
    for absent in ("domain", "roleArn", "kmsKeyArn", "failureReason"):
        assert absent not in group


@pytest.mark.parametrize("domain", ["ECOMMERCE", "VIDEO_ON_DEMAND"])
def test_create_domain_group(api, domain):
    p = api.personalize
    created = p.create_dataset_group(name="shop", domain=domain)
    assert created["domain"] == domain
    group = p.describe_dataset_group(datasetGroupArn=created["datasetGroupArn"])["datasetGroup"]
    assert group["domain"] == domain and group["status"] == "ACTIVE"
    assert p.list_dataset_groups()["datasetGroups"][0]["domain"] == domain


def test_kms_key_requires_role(api):
    p = api.personalize
    with pytest.raises(p.exceptions.InvalidInputException) as excinfo:
        p.create_dataset_group(name="enc", kmsKeyArn=KMS_KEY)
    assert "roleArn" in error_message(excinfo)
    assert p.list_dataset_groups()["datasetGroups"] == []

    arn_ = p.create_dataset_group(name="enc", kmsKeyArn=KMS_KEY, roleArn=ROLE)["datasetGroupArn"]
    group = p.describe_dataset_group(datasetGroupArn=arn_)["datasetGroup"]
    assert group["kmsKeyArn"] == KMS_KEY and group["roleArn"] == ROLE
    (summary,) = p.list_dataset_groups()["datasetGroups"]
    assert set(summary) <= SUMMARY_KEYS  # summaries do not carry the role or key


@pytest.mark.parametrize(
    "kwargs, where",
    [
        ({"name": "bad name"}, "name"),
        ({"name": "g", "domain": "BOOKS"}, "domain"),
        ({"name": "g", "roleArn": "not-an-arn", "kmsKeyArn": KMS_KEY}, "roleArn"),
        ({"name": "g", "roleArn": ROLE, "kmsKeyArn": "arn:aws:kms:us-east-1:1:key/x"}, "kmsKeyArn"),
    ],
    ids=["name", "domain", "role", "kms"],
)
def test_invalid_input(api, kwargs, where):
    with pytest.raises(api.personalize.exceptions.InvalidInputException) as excinfo:
        api.personalize.create_dataset_group(**kwargs)
    assert f"at '{where}'" in error_message(excinfo)


def test_list_newest_first_with_summary_fields(api):
    p = api.personalize
    for name in ("first", "second", "third"):
        p.create_dataset_group(name=name)
    groups = p.list_dataset_groups()["datasetGroups"]
    assert [g["name"] for g in groups] == ["third", "second", "first"]
    assert [g["datasetGroupArn"] for g in groups] == [arn(f"dataset-group/{n}") for n in ("third", "second", "first")]
    for g in groups:
        assert set(g) <= SUMMARY_KEYS
        assert g["status"] == "ACTIVE"
    assert "nextToken" not in p.list_dataset_groups()


def test_duplicate_name(api):
    p = api.personalize
    p.create_dataset_group(name="dup")
    with pytest.raises(p.exceptions.ResourceAlreadyExistsException) as excinfo:
        p.create_dataset_group(name="dup", domain="ECOMMERCE")
    assert arn("dataset-group/dup") in error_message(excinfo)
    assert len(p.list_dataset_groups()["datasetGroups"]) == 1


def test_limit_of_five_groups(api):
    p = api.personalize
    for i in range(5):
        p.create_dataset_group(name=f"g{i}")
    with pytest.raises(p.exceptions.LimitExceededException):
        p.create_dataset_group(name="g5")
    assert len(p.list_dataset_groups()["datasetGroups"]) == 5

    p.delete_dataset_group(datasetGroupArn=arn("dataset-group/g0"))
    p.create_dataset_group(name="g5")
    assert {g["name"] for g in p.list_dataset_groups()["datasetGroups"]} == {"g1", "g2", "g3", "g4", "g5"}


def test_delete_then_describe(api):
    p = api.personalize
    group = p.create_dataset_group(name="short-lived")["datasetGroupArn"]
    assert p.delete_dataset_group(datasetGroupArn=group)["ResponseMetadata"]["HTTPStatusCode"] == 200
    with pytest.raises(p.exceptions.ResourceNotFoundException):
        p.describe_dataset_group(datasetGroupArn=group)
    with pytest.raises(p.exceptions.ResourceNotFoundException):
        p.delete_dataset_group(datasetGroupArn=group)
    assert p.list_dataset_groups()["datasetGroups"] == []
    # The name is free again.
    assert p.create_dataset_group(name="short-lived")["datasetGroupArn"] == group


@pytest.mark.parametrize("operation", ["describe_dataset_group", "delete_dataset_group"])
def test_unknown_group(api, operation):
    with pytest.raises(api.personalize.exceptions.ResourceNotFoundException):
        getattr(api.personalize, operation)(datasetGroupArn=arn("dataset-group/nope"))


def test_delete_refused_while_a_dataset_exists(api):
    p = api.personalize
    group = p.create_dataset_group(name="parent")["datasetGroupArn"]
    schema = p.create_schema(name="s", schema=INTERACTIONS_SCHEMA)["schemaArn"]
    dataset = p.create_dataset(name="d", schemaArn=schema, datasetGroupArn=group, datasetType="Interactions")[
        "datasetArn"
    ]
    with pytest.raises(p.exceptions.ResourceInUseException) as excinfo:
        p.delete_dataset_group(datasetGroupArn=group)
    assert dataset in error_message(excinfo)
    assert p.describe_dataset_group(datasetGroupArn=group)["datasetGroup"]["status"] == "ACTIVE"

    p.delete_dataset(datasetArn=dataset)
    p.delete_dataset_group(datasetGroupArn=group)
    with pytest.raises(p.exceptions.ResourceNotFoundException):
        p.describe_dataset_group(datasetGroupArn=group)


def test_delete_refused_while_an_event_tracker_exists(api):
    p = api.personalize
    group = p.create_dataset_group(name="parent")["datasetGroupArn"]
    tracker = p.create_event_tracker(name="t", datasetGroupArn=group)["eventTrackerArn"]
    with pytest.raises(p.exceptions.ResourceInUseException) as excinfo:
        p.delete_dataset_group(datasetGroupArn=group)
    assert tracker in error_message(excinfo)

    p.delete_event_tracker(eventTrackerArn=tracker)
    p.delete_dataset_group(datasetGroupArn=group)
    assert p.list_dataset_groups()["datasetGroups"] == []


@pytest.mark.personalize_transition(progression="manual", times=2)
def test_lifecycle_under_manual_progression(api):
    """Each Describe is one tick; with times=2 every status is seen twice."""
    p = api.personalize
    group = p.create_dataset_group(name="slow")["datasetGroupArn"]
    seen = [p.describe_dataset_group(datasetGroupArn=group)["datasetGroup"]["status"] for _ in range(5)]
    assert seen == ["CREATE PENDING", "CREATE IN_PROGRESS", "CREATE IN_PROGRESS", "ACTIVE", "ACTIVE"]

    p.delete_dataset_group(datasetGroupArn=group)
    assert p.describe_dataset_group(datasetGroupArn=group)["datasetGroup"]["status"] == "DELETE PENDING"
    with pytest.raises(p.exceptions.ResourceNotFoundException):
        p.describe_dataset_group(datasetGroupArn=group)
