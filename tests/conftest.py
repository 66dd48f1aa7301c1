"""Shared fixtures: every API test runs twice, in-process and against the standalone server."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

import boto3
import pytest

REGION = "us-east-1"
ACCOUNT = "123456789012"


@dataclass
class Clients:
    personalize: Any
    events: Any
    runtime: Any
    s3: Any
    mode: str  # "inprocess" or "server"


def make_clients(mode: str, endpoint_url: str | None = None) -> Clients:
    def client(service: str) -> Any:
        return boto3.client(service, region_name=REGION, endpoint_url=endpoint_url)

    return Clients(
        client("personalize"),
        client("personalize-events"),
        client("personalize-runtime"),
        client("s3"),
        mode,
    )


@pytest.fixture(params=["inprocess", "server"])
def api(request: pytest.FixtureRequest) -> Clients:
    """boto3 clients for the three APIs (and S3), in-process under the mock or via the server."""
    if request.param == "inprocess":
        request.getfixturevalue("personalize_mocked")
        return make_clients("inprocess")
    return make_clients("server", request.getfixturevalue("personalize_server"))


def arn(tail: str) -> str:
    return f"arn:aws:personalize:{REGION}:{ACCOUNT}:{tail}"


def avro(record: str, *fields: dict[str, Any]) -> str:
    return json.dumps(
        {
            "type": "record",
            "name": record,
            "namespace": "com.amazonaws.personalize.schema",
            "fields": list(fields),
            "version": "1.0",
        }
    )


INTERACTIONS_SCHEMA = avro(
    "Interactions",
    {"name": "USER_ID", "type": "string"},
    {"name": "ITEM_ID", "type": "string"},
    {"name": "TIMESTAMP", "type": "long"},
    {"name": "EVENT_TYPE", "type": "string"},
)
ITEMS_SCHEMA = avro(
    "Items",
    {"name": "ITEM_ID", "type": "string"},
    {"name": "GENRES", "type": ["null", "string"], "categorical": True},
    {"name": "CREATION_TIMESTAMP", "type": "long"},
)
USERS_SCHEMA = avro(
    "Users",
    {"name": "USER_ID", "type": "string"},
    {"name": "MEMBERSHIP", "type": "string", "categorical": True},
)


def error_code(excinfo: pytest.ExceptionInfo[Any]) -> str:
    return excinfo.value.response["Error"]["Code"]


def error_message(excinfo: pytest.ExceptionInfo[Any]) -> str:
    return excinfo.value.response["Error"]["Message"]
