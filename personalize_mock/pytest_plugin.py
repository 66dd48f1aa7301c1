"""pytest fixtures, registered through the ``pytest11`` entry point.

- ``personalize``, ``personalize_events``, ``personalize_runtime``, ``s3``: boto3 clients with
  fake credentials in ``us-east-1``, running under ``mock_personalize``, made with the
  botocore ``Config`` of ``personalize_client_config`` (None, boto3's defaults, unless a
  conftest.py overrides that fixture, e.g. to turn retries off).
- Lifecycles are instant unless the test says otherwise with
  ``@pytest.mark.personalize_transition(progression="manual", times=2)`` (any moto
  transition config), or by calling ``moto.moto_api.state_manager`` itself: either way the
  transitions are put back after the test (moto's reset does not do that).
- ``personalize_server``: a session-wide standalone server on a free local port; its value
  is the endpoint URL. Each test that uses it starts from a reset state.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from typing import Any

import pytest

REGION = "us-east-1"
FAKE_CREDENTIALS = {
    "AWS_ACCESS_KEY_ID": "testing",
    "AWS_SECRET_ACCESS_KEY": "testing",
    "AWS_SESSION_TOKEN": "testing",
    "AWS_DEFAULT_REGION": REGION,
}


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers",
        "personalize_transition(**transition): moto state-manager transition for every "
        "personalize_mock lifecycle in this test (default: immediate)",
    )


@pytest.fixture
def personalize_credentials(monkeypatch: pytest.MonkeyPatch) -> None:
    """Fake credentials and region, so no test can reach real AWS."""
    for name, value in FAKE_CREDENTIALS.items():
        monkeypatch.setenv(name, value)


@pytest.fixture
def personalize_transitions(request: pytest.FixtureRequest) -> Iterator[None]:
    """Instant lifecycles unless the test's marker asks for another progression."""
    from moto.moto_api import state_manager

    from .states import MODEL_NAMES

    marker = request.node.get_closest_marker("personalize_transition")
    transition: dict[str, Any] = dict(marker.kwargs) if marker else {"progression": "immediate"}
    for name in MODEL_NAMES:
        state_manager.set_transition(name, transition)
    try:
        yield
    finally:
        for name in MODEL_NAMES:
            state_manager.unset_transition(name)


@pytest.fixture
def personalize_mocked(personalize_credentials: None, personalize_transitions: None) -> Iterator[None]:
    from . import mock_personalize

    with mock_personalize():
        yield


@pytest.fixture
def personalize_client_config() -> Any:
    """The botocore ``Config`` the fixture clients are made with; None means boto3's defaults.
    Override it in a conftest.py, e.g. ``return Config(retries={"total_max_attempts": 1})``."""
    return None


def _client(service: str, config: Any) -> Any:
    import boto3

    return boto3.client(service, region_name=os.environ.get("AWS_DEFAULT_REGION", REGION), config=config)


@pytest.fixture
def personalize(personalize_mocked: None, personalize_client_config: Any) -> Any:
    return _client("personalize", personalize_client_config)


@pytest.fixture
def personalize_events(personalize_mocked: None, personalize_client_config: Any) -> Any:
    return _client("personalize-events", personalize_client_config)


@pytest.fixture
def personalize_runtime(personalize_mocked: None, personalize_client_config: Any) -> Any:
    return _client("personalize-runtime", personalize_client_config)


@pytest.fixture
def s3(personalize_mocked: None, personalize_client_config: Any) -> Any:
    return _client("s3", personalize_client_config)


@pytest.fixture(scope="session")
def _personalize_server_process() -> Iterator[str]:
    from .web import SandboxServer

    server = SandboxServer().start()
    try:
        yield server.url
    finally:
        server.stop()


@pytest.fixture
def personalize_server(_personalize_server_process: str, personalize_credentials: None, personalize_transitions: None) -> str:
    """Endpoint URL of a standalone server, reset for this test."""
    import urllib.request

    urllib.request.urlopen(
        urllib.request.Request(f"{_personalize_server_process}/moto-api/reset", method="POST")
    ).read()
    return _personalize_server_process
