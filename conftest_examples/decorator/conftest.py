"""Decorator style: copy this conftest.py next to tests that use ``@mock_personalize``.

Use this style when your tests (or the code they call) create their own boto3 clients and
you want the mock to be visible right on each test, as a decorator or a ``with`` block.

    @mock_personalize                 # on a test function or a test class
    def test_something(): ...

    with mock_personalize():          # around any block
        ...

``mock_personalize`` is ``moto.mock_aws`` with personalize_mock registered first: S3, IAM and
every other moto service are mocked by the same decorator, and it nests with ``mock_aws``.
"""

from __future__ import annotations

import boto3
import pytest

from personalize_mock import mock_personalize

REGION = "us-east-1"


@pytest.fixture(autouse=True)
def aws_credentials(monkeypatch: pytest.MonkeyPatch) -> None:
    """Fake credentials and a region for every test in this directory.

    moto swaps in its own fake credentials while a mock is active, but a client created or a
    call made *outside* the mock by mistake must still never find real ones (from the
    environment or ~/.aws): point the config files nowhere and set dummies.
    """
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    monkeypatch.setenv("AWS_SESSION_TOKEN", "testing")
    monkeypatch.setenv("AWS_DEFAULT_REGION", REGION)
    monkeypatch.setenv("AWS_CONFIG_FILE", "/dev/null")
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", "/dev/null")
    monkeypatch.delenv("AWS_PROFILE", raising=False)


@pytest.fixture
def mocked_aws(aws_credentials: None):
    """The same mock as the decorator, for tests that prefer asking for a fixture.

    Every mock that starts (decorator, ``with`` block or this fixture) starts from empty
    state, and everything is dropped when it stops: tests cannot see each other's data.
    """
    with mock_personalize():
        yield


@pytest.fixture
def personalize_client(mocked_aws: None):
    """A Personalize client that only ever talks to the mock.

    Named ``personalize_client`` (not ``personalize``) so it does not shadow the fixture of
    the same name that personalize_mock's pytest plugin provides.
    """
    return boto3.client("personalize", region_name=REGION)
