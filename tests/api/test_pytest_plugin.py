"""The pytest plugin as a user gets it: loaded through the ``pytest11`` entry point.

The inner test files never import personalize_mock; they only name its fixtures and marker.
They run in a subprocess (``runpytest_subprocess``) so the entry point is what loads the plugin.
"""

from __future__ import annotations

import pytest

pytest_plugins = ["pytester"]

INNER_TESTS = '''
import json

import pytest
from botocore.exceptions import ClientError

SCHEMA = json.dumps({
    "type": "record",
    "name": "Interactions",
    "namespace": "com.amazonaws.personalize.schema",
    "fields": [
        {"name": "USER_ID", "type": "string"},
        {"name": "ITEM_ID", "type": "string"},
        {"name": "TIMESTAMP", "type": "long"},
    ],
    "version": "1.0",
})


def statuses(personalize, arn, reads):
    return [
        personalize.describe_dataset_group(datasetGroupArn=arn)["datasetGroup"]["status"]
        for _ in range(reads)
    ]


def test_clients_are_mocked_with_fake_credentials(personalize, personalize_events, personalize_runtime, s3):
    import os

    # The plugin's fake credentials, or moto's own while its mock is active: never real ones.
    assert os.environ["AWS_ACCESS_KEY_ID"] in {"testing", "FOOBARKEY"}
    assert os.environ["AWS_DEFAULT_REGION"] == "us-east-1"
    for client in (personalize, personalize_events, personalize_runtime, s3):
        assert client.meta.region_name == "us-east-1"
    s3.create_bucket(Bucket="bucket")
    assert [b["Name"] for b in s3.list_buckets()["Buckets"]] == ["bucket"]
    arn = personalize.create_dataset_group(name="plugin")["datasetGroupArn"]
    assert statuses(personalize, arn, 1) == ["ACTIVE"]  # instant by default
    with pytest.raises(ClientError) as excinfo:
        personalize_runtime.get_recommendations(
            campaignArn=arn.replace("dataset-group/plugin", "campaign/none"), userId="u"
        )
    assert excinfo.value.response["Error"]["Code"] == "ResourceNotFoundException"
    with pytest.raises(ClientError) as excinfo:
        personalize_events.put_events(
            trackingId="unknown", sessionId="s", eventList=[{"eventType": "click", "sentAt": 1}]
        )
    assert "unknown" in excinfo.value.response["Error"]["Message"]


def test_leak_first(personalize, s3):
    personalize.create_dataset_group(name="leaky")
    personalize.create_schema(name="leaky", schema=SCHEMA)
    s3.create_bucket(Bucket="leaky")


def test_leak_second(personalize, s3):
    # Runs after test_leak_first (file order): nothing it made is left.
    assert personalize.list_dataset_groups()["datasetGroups"] == []
    assert personalize.list_schemas()["schemas"] == []
    assert s3.list_buckets()["Buckets"] == []
    personalize.create_dataset_group(name="leaky")  # the name is free


@pytest.mark.personalize_transition(progression="manual", times=1)
def test_manual_times_1_advances_one_step_per_read(personalize):
    arn = personalize.create_dataset_group(name="manual-1")["datasetGroupArn"]
    # moto's manual progression: the read that reaches `times` shows the next status.
    assert statuses(personalize, arn, 3) == ["CREATE IN_PROGRESS", "ACTIVE", "ACTIVE"]


@pytest.mark.personalize_transition(progression="manual", times=2)
def test_manual_times_2_shows_create_pending_first(personalize):
    arn = personalize.create_dataset_group(name="manual-2")["datasetGroupArn"]
    assert statuses(personalize, arn, 5) == [
        "CREATE PENDING",
        "CREATE IN_PROGRESS",
        "CREATE IN_PROGRESS",
        "ACTIVE",
        "ACTIVE",
    ]


def test_transitions_are_back_to_immediate_after_a_marked_test(personalize):
    arn = personalize.create_dataset_group(name="after-manual")["datasetGroupArn"]
    assert statuses(personalize, arn, 1) == ["ACTIVE"]


def test_personalize_server_fixture(personalize_server):
    import boto3

    client = boto3.client("personalize", region_name="us-east-1", endpoint_url=personalize_server)
    assert client.list_dataset_groups()["datasetGroups"] == []
    client.create_dataset_group(name="served")
    assert len(client.list_dataset_groups()["datasetGroups"]) == 1


def test_personalize_server_is_reset_per_test(personalize_server):
    import boto3

    client = boto3.client("personalize", region_name="us-east-1", endpoint_url=personalize_server)
    assert client.list_dataset_groups()["datasetGroups"] == []
'''


def test_plugin_fixtures_and_marker_from_the_entry_point(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(test_inner=INNER_TESTS)
    result = pytester.runpytest_subprocess("-p", "no:cacheprovider", "-p", "no:randomly", "-v")
    result.assert_outcomes(passed=8)
    result.stdout.fnmatch_lines(["*test_leak_first PASSED*", "*test_leak_second PASSED*"])


def test_marker_is_registered(pytestconfig: pytest.Config) -> None:
    # This very session loaded the plugin from the entry point too (``pytest --markers``).
    assert pytestconfig.pluginmanager.has_plugin("personalize_mock")
    markers = pytestconfig.getini("markers")
    assert any(line.startswith("personalize_transition(") for line in markers), markers


def test_plugin_can_be_disabled(pytester: pytest.Pytester) -> None:
    """``-p no:personalize_mock`` turns the fixtures off (the entry point's name)."""
    pytester.makepyfile(test_inner="def test_uses_fixture(personalize):\n    pass\n")
    result = pytester.runpytest_subprocess("-p", "no:personalize_mock")
    result.assert_outcomes(errors=1)
    result.stdout.fnmatch_lines(["*fixture 'personalize' not found*"])
