"""Server style: copy this conftest.py when the code under test must talk HTTP to an endpoint.

Use it for code that takes an endpoint URL from configuration, for another process or
language, or for the AWS CLI (``aws personalize ... --endpoint-url <url>``). One server
runs for the whole session; each test starts from a reset state.

Two ways to get the server:
- the pytest plugin's ``personalize_server`` fixture (already there, nothing to write), or
- your own ``moto.server.ThreadedMotoServer``, as below, when you want to control it
  (host, port, lifetime). ``import personalize_mock`` must come before the server starts:
  moto's server builds its Personalize app on the first request and keeps it.
  ``personalize_mock.web.SandboxServer(host, port).start()`` (``.url``, ``.stop()``) is the
  same server plus the sandbox routes: the console at ``/personalize/`` and fault injection
  at ``/personalize/faults``.
"""

from __future__ import annotations

import urllib.request

import boto3
import pytest
from moto.server import ThreadedMotoServer

import personalize_mock  # noqa: F401  registers Personalize with moto before the server starts

REGION = "us-east-1"


@pytest.fixture(autouse=True)
def aws_credentials(monkeypatch: pytest.MonkeyPatch) -> None:
    """The server accepts any credentials; fake ones guarantee nothing reaches real AWS."""
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    monkeypatch.setenv("AWS_SESSION_TOKEN", "testing")
    monkeypatch.setenv("AWS_DEFAULT_REGION", REGION)
    monkeypatch.setenv("AWS_CONFIG_FILE", "/dev/null")
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", "/dev/null")
    monkeypatch.delenv("AWS_PROFILE", raising=False)


@pytest.fixture(scope="session")
def moto_server_url():
    """One server for the session, on a free port of the loopback interface only."""
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    try:
        yield f"http://{host}:{port}"
    finally:
        server.stop()


@pytest.fixture
def endpoint_url(moto_server_url: str) -> str:
    """The server's URL, after clearing everything the previous test left there."""
    request = urllib.request.Request(f"{moto_server_url}/moto-api/reset", method="POST")
    urllib.request.urlopen(request).read()
    return moto_server_url


@pytest.fixture
def personalize_client(endpoint_url: str):
    return boto3.client("personalize", region_name=REGION, endpoint_url=endpoint_url)


@pytest.fixture
def personalize_runtime_client(endpoint_url: str):
    # All three Personalize APIs (and S3, ...) are served on the same URL.
    return boto3.client("personalize-runtime", region_name=REGION, endpoint_url=endpoint_url)
