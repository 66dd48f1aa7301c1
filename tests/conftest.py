"""Shared fixtures: every API test runs twice, in-process and against the standalone server."""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import cached_property
from typing import Any

import boto3
import pytest

REGION = "us-east-1"
ACCOUNT = "123456789012"


_SESSIONS: dict[str, boto3.Session] = {}


def boto_session() -> boto3.Session:
    """One boto3 session for the whole run: service models load once, clients come cheap."""
    if "session" not in _SESSIONS:
        _SESSIONS["session"] = boto3.Session(
            aws_access_key_id="testing", aws_secret_access_key="testing", region_name=REGION
        )
    return _SESSIONS["session"]


@dataclass
class Clients:
    """boto3 clients for the three APIs and S3, created on first use."""

    mode: str  # "inprocess" or "server"
    endpoint_url: str | None = None

    def _client(self, service: str) -> Any:
        return boto_session().client(service, endpoint_url=self.endpoint_url)

    @cached_property
    def personalize(self) -> Any:
        return self._client("personalize")

    @cached_property
    def events(self) -> Any:
        return self._client("personalize-events")

    @cached_property
    def runtime(self) -> Any:
        return self._client("personalize-runtime")

    @cached_property
    def s3(self) -> Any:
        return self._client("s3")


def make_clients(mode: str, endpoint_url: str | None = None) -> Clients:
    return Clients(mode, endpoint_url)


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
ACTIONS_SCHEMA = avro(
    "Actions",
    {"name": "ACTION_ID", "type": "string"},
    {"name": "VALUE", "type": ["null", "long"]},
    {"name": "CATEGORY", "type": "string", "categorical": True},
)
ACTION_INTERACTIONS_SCHEMA = avro(
    "ActionInteractions",
    {"name": "USER_ID", "type": "string"},
    {"name": "ACTION_ID", "type": "string"},
    {"name": "TIMESTAMP", "type": "long"},
    {"name": "EVENT_TYPE", "type": "string"},
    {"name": "RECOMMENDATION_ID", "type": ["null", "string"]},
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
