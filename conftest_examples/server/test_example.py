"""Tests written in server style (see conftest.py next to this file)."""

from __future__ import annotations

import boto3
import pytest

REGION = "us-east-1"


def create_shop(name: str) -> str:
    """Stand-in for your own code: it knows nothing about the server and makes a plain client.

    botocore reads ``AWS_ENDPOINT_URL_<SERVICE>`` (or ``AWS_ENDPOINT_URL``) from the
    environment, so configuration alone points it at the server.
    """
    personalize = boto3.client("personalize", region_name=REGION)
    return personalize.create_dataset_group(name=name)["datasetGroupArn"]


def test_with_a_client_on_the_server(personalize_client):
    arn = personalize_client.create_dataset_group(name="shop")["datasetGroupArn"]
    group = personalize_client.describe_dataset_group(datasetGroupArn=arn)["datasetGroup"]
    assert group["status"] == "ACTIVE"


def test_each_test_starts_empty(personalize_client):
    assert personalize_client.list_dataset_groups()["datasetGroups"] == []


def test_code_configured_by_environment(endpoint_url, personalize_client, monkeypatch):
    monkeypatch.setenv("AWS_ENDPOINT_URL_PERSONALIZE", endpoint_url)
    arn = create_shop("configured")
    assert [g["datasetGroupArn"] for g in personalize_client.list_dataset_groups()["datasetGroups"]] == [arn]


def test_runtime_on_the_same_server(personalize_runtime_client):
    campaign = "arn:aws:personalize:us-east-1:123456789012:campaign/missing"
    with pytest.raises(personalize_runtime_client.exceptions.ResourceNotFoundException):
        personalize_runtime_client.get_recommendations(campaignArn=campaign, userId="user-1")


def test_plugin_server_fixture(personalize_server):
    # The plugin's ready-made alternative to this conftest's server: same kind of URL.
    personalize = boto3.client("personalize", region_name=REGION, endpoint_url=personalize_server)
    personalize.create_dataset_group(name="shop")
    assert len(personalize.list_dataset_groups()["datasetGroups"]) == 1
