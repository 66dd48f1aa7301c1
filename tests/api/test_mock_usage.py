"""Every documented way of turning the mock on, driven through boto3.

``mock_personalize`` as a decorator (with and without ``()``), as a class decorator, as a
context manager (with and without ``()``), nested with ``moto.mock_aws`` in both orders, and
plain ``moto.mock_aws`` once the package is imported (checked in a fresh interpreter).
"""

from __future__ import annotations

import functools
import os
import subprocess
import sys
import textwrap
import unittest

import boto3
import botocore.session
import moto
import moto.backend_index
import moto.personalize
import moto.personalize.models
import pytest
from botocore.exceptions import ClientError
from moto.core.models import MockAWS

import personalize_mock
from personalize_mock import _registration, mock_personalize

REGION = "us-east-1"
ACCOUNT = "123456789012"
CAMPAIGN_ARN = f"arn:aws:personalize:{REGION}:{ACCOUNT}:campaign/nobody-made-this"


@functools.cache
def client(service: str):
    """One client per service for the whole module (creating clients is the slow part).

    Explicit fake credentials: a client outlives the mock it was made in, and must never
    find real ones. The mock intercepts its requests whichever mock is active when it sends.
    """
    session = boto3.session.Session(
        aws_access_key_id="testing", aws_secret_access_key="testing", region_name=REGION
    )
    return session.client(service)


def group_names() -> list[str]:
    groups = client("personalize").list_dataset_groups()["datasetGroups"]
    return sorted(g["name"] for g in groups)


def create_group(name: str) -> str:
    return client("personalize").create_dataset_group(name=name)["datasetGroupArn"]


def describe_status(arn: str) -> str:
    return client("personalize").describe_dataset_group(datasetGroupArn=arn)["datasetGroup"]["status"]


def error_code(excinfo: pytest.ExceptionInfo[ClientError]) -> str:
    return excinfo.value.response["Error"]["Code"]


@pytest.fixture(autouse=True)
def _no_mock_left_running():
    """Every test here starts and ends with no moto mock active (nesting counter at zero)."""
    assert MockAWS._nested_count == 0
    yield
    assert MockAWS._nested_count == 0


# ---- decorator on functions --------------------------------------------------------------


@mock_personalize
def test_bare_decorator_serves_personalize():
    arn = create_group("bare")
    assert describe_status(arn) == "ACTIVE"
    assert group_names() == ["bare"]


@mock_personalize()
def test_called_decorator_serves_personalize():
    arn = create_group("called")
    assert describe_status(arn) == "ACTIVE"
    assert group_names() == ["called"]


def test_decorated_function_keeps_name_arguments_and_result_and_resets_per_call():
    @mock_personalize
    def make(name: str) -> list[str]:
        """Create one group, list them all."""
        create_group(name)
        return group_names()

    @mock_personalize()
    def make_called(name: str) -> list[str]:
        create_group(name)
        return group_names()

    assert make.__name__ == "make"
    assert make.__doc__ == "Create one group, list them all."
    # Each call is a fresh mock: nothing from the previous call is left.
    assert make("one") == ["one"]
    assert make("two") == ["two"]
    assert make_called("three") == ["three"]
    assert make_called("three") == ["three"]


def test_called_decorator_accepts_config():
    @mock_personalize(config={"core": {"reset_boto3_session": True}})
    def make() -> str:
        return describe_status(create_group("configured"))

    assert make() == "ACTIVE"


# ---- class decorator ---------------------------------------------------------------------


@mock_personalize
class TestClassDecoratorWithoutSetup:
    """No setup method: moto starts every test method on fresh state."""

    def test_first(self):
        create_group("same-name")
        assert group_names() == ["same-name"]

    def test_second(self):
        # Succeeds (no ResourceAlreadyExistsException) whichever method ran first.
        create_group("same-name")
        assert group_names() == ["same-name"]

    def helper_is_wrapped_too(self):  # not a test; moto wraps it without resetting
        return group_names()

    def test_methods_see_the_mock(self):
        create_group("seen")
        assert self.helper_is_wrapped_too() == ["seen"]


@mock_personalize()
class TestClassDecoratorWithSetupMethod:
    """With ``setup_method`` moto resets there, and the test method keeps what it created."""

    def setup_method(self, method):
        self.group_arn = create_group("from-setup")

    def test_setup_data_is_visible(self):
        assert describe_status(self.group_arn) == "ACTIVE"
        create_group("extra")
        assert group_names() == ["extra", "from-setup"]

    def test_nothing_leaks_from_the_other_method(self):
        assert group_names() == ["from-setup"]


@mock_personalize
class TestUnittestStyle(unittest.TestCase):
    """``unittest.TestCase``: moto resets in ``setUp``, test methods keep its data."""

    def setUp(self):
        self.group_arn = create_group("from-setUp")

    def test_setup_data_is_visible(self):
        self.assertEqual(describe_status(self.group_arn), "ACTIVE")
        create_group("extra")
        self.assertEqual(group_names(), ["extra", "from-setUp"])

    def test_nothing_leaks_from_the_other_method(self):
        self.assertEqual(group_names(), ["from-setUp"])


# ---- context manager ---------------------------------------------------------------------


def test_context_manager_without_call():
    with mock_personalize as mock:
        assert mock is mock_personalize
        arn = create_group("cm-bare")
        assert describe_status(arn) == "ACTIVE"
    assert MockAWS._nested_count == 0


def test_context_manager_with_call():
    with mock_personalize() as mock:
        assert isinstance(mock, personalize_mock.MockPersonalize)
        arn = create_group("cm-called")
        assert describe_status(arn) == "ACTIVE"


def test_same_object_nested_with_itself():
    with mock_personalize:
        outer = create_group("outer")
        with mock_personalize:
            assert group_names() == ["outer"]
            create_group("inner")
        assert describe_status(outer) == "ACTIVE"
        assert group_names() == ["inner", "outer"]


def test_start_and_stop():
    mock = personalize_mock.MockPersonalize()
    mock.start()
    try:
        assert describe_status(create_group("started")) == "ACTIVE"
    finally:
        mock.stop()


# ---- nesting with moto.mock_aws ------------------------------------------------------------


def test_mock_aws_outside_mock_personalize_inside():
    with moto.mock_aws():
        outer = create_group("outer")
        with mock_personalize():
            # Entering the inner mock does not wipe the outer one's data.
            assert group_names() == ["outer"]
            inner = create_group("inner")
        # Leaving it neither stops the outer mock nor drops any data.
        assert describe_status(outer) == "ACTIVE"
        assert describe_status(inner) == "ACTIVE"
        assert group_names() == ["inner", "outer"]
        create_group("after")
        assert group_names() == ["after", "inner", "outer"]


def test_mock_personalize_outside_mock_aws_inside():
    with mock_personalize():
        outer = create_group("outer")
        with moto.mock_aws():
            assert group_names() == ["outer"]
            inner = create_group("inner")
        assert describe_status(outer) == "ACTIVE"
        assert describe_status(inner) == "ACTIVE"
        assert group_names() == ["inner", "outer"]
        create_group("after")
        assert group_names() == ["after", "inner", "outer"]


@moto.mock_aws
def test_mock_personalize_decorator_inside_mock_aws_decorator():
    create_group("outer")

    @mock_personalize
    def inner() -> None:
        assert group_names() == ["outer"]
        create_group("inner")

    inner()
    assert group_names() == ["inner", "outer"]


# ---- S3 and Personalize share one mock ----------------------------------------------------


def test_s3_and_personalize_share_one_mock():
    with mock_personalize():
        s3 = client("s3")
        s3.create_bucket(Bucket="training-data")
        s3.put_object(Bucket="training-data", Key="interactions.csv", Body=b"USER_ID,ITEM_ID\n")
        arn = create_group("with-s3")
        body = s3.get_object(Bucket="training-data", Key="interactions.csv")["Body"].read()
        assert body == b"USER_ID,ITEM_ID\n"
        assert describe_status(arn) == "ACTIVE"


def test_s3_from_outer_mock_aws_is_visible_inside_mock_personalize():
    with moto.mock_aws():
        client("s3").create_bucket(Bucket="outer-bucket")
        with mock_personalize():
            buckets = [b["Name"] for b in client("s3").list_buckets()["Buckets"]]
            assert buckets == ["outer-bucket"]
            create_group("inner")
        assert [b["Name"] for b in client("s3").list_buckets()["Buckets"]] == ["outer-bucket"]
        assert group_names() == ["inner"]


# ---- reset ---------------------------------------------------------------------------------


def test_state_is_reset_when_a_new_mock_starts():
    with mock_personalize():
        create_group("first")
        assert group_names() == ["first"]
    with mock_personalize():
        assert group_names() == []
        create_group("first")  # the name is free again
    with moto.mock_aws():
        assert group_names() == []


def test_reset_happens_on_start_even_if_the_previous_mock_kept_its_data():
    kept = moto.mock_aws()
    kept.start()
    try:
        create_group("kept")
    finally:
        kept.stop(remove_data=False)
    with mock_personalize():
        assert group_names() == []


# ---- register() ----------------------------------------------------------------------------


def _host_patterns(host: str) -> list[str]:
    return [
        pattern.pattern
        for _, pattern in moto.backend_index.backend_url_patterns
        if host in pattern.pattern
    ]


def test_register_is_idempotent(monkeypatch):
    from personalize_mock.backend import personalize_backends

    personalize_mock.register()
    personalize_mock.register()
    # Also run the registration body again, as if the flag had been lost.
    monkeypatch.setattr(_registration, "_registered", False)
    personalize_mock.register()
    personalize_mock.register()

    for host in ("personalize-events", "personalize-runtime"):
        assert len(_host_patterns(rf"//{host}\.")) == 1, host
    control = [
        p.pattern
        for name, p in moto.backend_index.backend_url_patterns
        if name == "personalize" and r"//personalize\." in p.pattern
    ]
    assert len(control) == 1
    assert moto.personalize.personalize_backends is personalize_backends
    assert moto.personalize.models.personalize_backends is personalize_backends

    with mock_personalize():
        assert describe_status(create_group("after-register")) == "ACTIVE"
        with pytest.raises(ClientError) as excinfo:
            client("personalize-runtime").get_recommendations(campaignArn=CAMPAIGN_ARN, userId="u")
        assert error_code(excinfo) == "ResourceNotFoundException"
        assert_put_events_reached_backend("unknown")


# ---- plain moto.mock_aws in a fresh interpreter ------------------------------------------

FRESH_SCRIPT = textwrap.dedent(
    """
    import personalize_mock  # the only thing the user does
    import boto3
    import moto

    with moto.mock_aws():
        client = boto3.client("personalize", region_name="us-east-1")
        arn = client.create_dataset_group(name="plain-moto")["datasetGroupArn"]
        status = client.describe_dataset_group(datasetGroupArn=arn)["datasetGroup"]["status"]
        try:
            boto3.client("personalize-runtime", region_name="us-east-1").get_recommendations(
                campaignArn=arn.replace("dataset-group/plain-moto", "campaign/none"), userId="u"
            )
        except client.exceptions.ClientError as error:
            runtime = error.response["Error"]["Code"]
        print(arn, status, runtime)
    """
)


def fake_credentials_env() -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
    env.update(
        AWS_ACCESS_KEY_ID="testing",
        AWS_SECRET_ACCESS_KEY="testing",
        AWS_SESSION_TOKEN="testing",
        AWS_DEFAULT_REGION=REGION,
        AWS_CONFIG_FILE=os.devnull,
        AWS_SHARED_CREDENTIALS_FILE=os.devnull,
    )
    return env


def test_plain_mock_aws_serves_personalize_in_a_fresh_interpreter(tmp_path):
    result = subprocess.run(
        [sys.executable, "-c", FRESH_SCRIPT],
        check=False,
        env=fake_credentials_env(),
        cwd=tmp_path,  # the installed package, not whatever the current directory holds
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == [
        f"arn:aws:personalize:{REGION}:{ACCOUNT}:dataset-group/plain-moto",
        "ACTIVE",
        "ResourceNotFoundException",
    ]


# ---- personalize-events and personalize-runtime reach the backend -------------------------


def modelled_errors(service: str, operation: str) -> set[str]:
    model = botocore.session.get_session().get_service_model(service)
    return {shape.name for shape in model.operation_model(operation).error_shapes}


def assert_put_events_reached_backend(tracking_id: str) -> None:
    """PutEvents with an unknown tracking id is refused by *our* backend.

    botocore models only ``InvalidInputException`` for PutEvents, so that is what an unknown
    tracking id gets; a request that missed the backend would get moto's 404 instead.
    """
    with pytest.raises(ClientError) as excinfo:
        client("personalize-events").put_events(
            trackingId=tracking_id,
            sessionId="session-1",
            eventList=[{"eventType": "click", "sentAt": 1700000000}],
        )
    assert error_code(excinfo) in modelled_errors("personalize-events", "PutEvents")
    assert tracking_id in excinfo.value.response["Error"]["Message"]
    assert excinfo.value.response["ResponseMetadata"]["HTTPStatusCode"] == 400


@mock_personalize
def test_events_client_reaches_the_backend():
    assert_put_events_reached_backend("no-such-tracker")


@mock_personalize
def test_events_client_reaches_the_backend_for_other_operations():
    # No such dataset: PutUsers models ResourceNotFoundException.
    with pytest.raises(ClientError) as excinfo:
        client("personalize-events").put_users(
            datasetArn=f"arn:aws:personalize:{REGION}:{ACCOUNT}:dataset/none/USERS",
            users=[{"userId": "u1"}],
        )
    assert error_code(excinfo) in modelled_errors("personalize-events", "PutUsers") | {
        "NotImplementedException"  # answered by our backend while ingestion is not emulated yet
    }


@mock_personalize
def test_runtime_client_reaches_the_backend():
    with pytest.raises(ClientError) as excinfo:
        client("personalize-runtime").get_recommendations(campaignArn=CAMPAIGN_ARN, userId="user-1")
    assert error_code(excinfo) == "ResourceNotFoundException"
    assert CAMPAIGN_ARN in excinfo.value.response["Error"]["Message"]


@moto.mock_aws
def test_events_and_runtime_under_plain_mock_aws():
    assert_put_events_reached_backend("no-such-tracker")
    with pytest.raises(ClientError) as runtime_error:
        client("personalize-runtime").get_recommendations(campaignArn=CAMPAIGN_ARN, userId="u")
    assert error_code(runtime_error) == "ResourceNotFoundException"
