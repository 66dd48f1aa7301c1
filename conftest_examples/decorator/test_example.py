"""Tests written in decorator style (see conftest.py next to this file)."""

from __future__ import annotations

import boto3

from personalize_mock import mock_personalize

REGION = "us-east-1"


def create_shop(name: str) -> str:
    """Stand-in for your own code: it makes its own client, as production code does."""
    personalize = boto3.client("personalize", region_name=REGION)
    return personalize.create_dataset_group(name=name)["datasetGroupArn"]


@mock_personalize
def test_decorated_function():
    arn = create_shop("shop")

    personalize = boto3.client("personalize", region_name=REGION)
    group = personalize.describe_dataset_group(datasetGroupArn=arn)["datasetGroup"]
    assert group["status"] == "ACTIVE"  # lifecycles are instant unless you configure them


@mock_personalize
class TestDecoratedClass:
    """Every test method runs under the mock, each starting from empty state."""

    def test_one_group(self):
        create_shop("shop")
        personalize = boto3.client("personalize", region_name=REGION)
        assert len(personalize.list_dataset_groups()["datasetGroups"]) == 1

    def test_same_name_again(self):
        create_shop("shop")  # no "already exists": the other method's group is gone


def test_context_manager_with_s3():
    with mock_personalize():
        s3 = boto3.client("s3", region_name=REGION)
        s3.create_bucket(Bucket="training-data")
        s3.put_object(Bucket="training-data", Key="interactions.csv", Body=b"USER_ID,ITEM_ID\n")
        create_shop("shop")
        assert s3.list_objects_v2(Bucket="training-data")["KeyCount"] == 1


def test_fixture(personalize_client):
    create_shop("shop")
    assert [g["name"] for g in personalize_client.list_dataset_groups()["datasetGroups"]] == ["shop"]
