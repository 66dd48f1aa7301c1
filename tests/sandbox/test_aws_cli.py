"""The AWS CLI (v1, this interpreter's) against the server: what a user types at a shell.

Each CLI run costs half a second or more, so the tests make few of them.
"""

from __future__ import annotations

import json
import subprocess
import sys
from typing import Any

import pytest

from tests.api.test_runtime import NO_EXPLORATION, campaign, group_of, shop  # noqa: F401  (shop: a fixture)
from tests.api.test_server import fake_env
from tests.conftest import INTERACTIONS_SCHEMA, Clients, arn, make_clients


@pytest.fixture
def api(personalize_server: str) -> Clients:
    """boto3 against the server (the ``shop`` fixture builds its trained data with these)."""
    return make_clients("server", personalize_server)


def aws(url: str, *args: str) -> subprocess.CompletedProcess[str]:
    """``aws ARGS`` against ``url``: fake credentials, config and credentials files os.devnull."""
    command = [sys.executable, "-m", "awscli", *args, "--endpoint-url", url, "--region", "us-east-1",
               "--output", "json"]
    return subprocess.run(command, check=False, env=fake_env(), capture_output=True, text=True, timeout=60)


def aws_json(url: str, *args: str) -> Any:
    done = aws(url, *args)
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)


def test_cli_creates_describes_and_lists(personalize_server):
    url = personalize_server
    schema = aws_json(url, "personalize", "create-schema", "--name", "cli-interactions",
                      "--schema", INTERACTIONS_SCHEMA)["schemaArn"]
    group = aws_json(url, "personalize", "create-dataset-group", "--name", "cli")["datasetGroupArn"]
    assert group == arn("dataset-group/cli")

    described = aws_json(url, "personalize", "describe-dataset-group", "--dataset-group-arn", group)
    assert described["datasetGroup"]["name"] == "cli"
    assert described["datasetGroup"]["status"] == "ACTIVE"
    listed = aws_json(url, "personalize", "list-dataset-groups")["datasetGroups"]
    assert [(g["name"], g["datasetGroupArn"]) for g in listed] == [("cli", group)]

    dataset = aws_json(url, "personalize", "create-dataset", "--name", "events", "--schema-arn", schema,
                       "--dataset-group-arn", group, "--dataset-type", "Interactions")["datasetArn"]
    datasets = aws_json(url, "personalize", "list-datasets", "--dataset-group-arn", group)["datasets"]
    assert [(d["datasetArn"], d["datasetType"]) for d in datasets] == [(dataset, "INTERACTIONS")]


def test_cli_error_is_the_modelled_one_with_a_failing_exit(personalize_server):
    missing = arn("dataset-group/nowhere")
    done = aws(personalize_server, "personalize", "describe-dataset-group", "--dataset-group-arn", missing)

    assert done.returncode != 0  # 255: the CLI's exit status for a service error
    assert done.stdout == ""
    assert done.stderr.strip().startswith(
        "An error occurred (ResourceNotFoundException) when calling the DescribeDatasetGroup operation: "
    )
    assert missing in done.stderr


def test_cli_gets_recommendations_from_a_trained_campaign(api, shop):  # noqa: F811
    campaign_arn = campaign(api, shop, config=NO_EXPLORATION)

    answer = aws_json(api.endpoint_url, "personalize-runtime", "get-recommendations",
                      "--campaign-arn", campaign_arn, "--user-id", "u1", "--num-results", "5")

    assert answer["recommendationId"].startswith("RID-")
    items = answer["itemList"]
    assert len(items) == 5
    assert all(group_of(item["itemId"]) == 1 for item in items)  # u1 is in group 1
    scores = [item["score"] for item in items]
    assert scores == sorted(scores, reverse=True) and all(0 < s <= 1 for s in scores)
