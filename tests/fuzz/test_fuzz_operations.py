"""Fuzzing: random requests to all 79 operations, in-process through boto3.

Each operation gets ``EXAMPLES`` requests drawn from its botocore input shape
(``strategies.request``), aimed at a populated account (``world``). Every answer must be a
success that validates against the operation's output shape, or a ``ClientError`` whose code
is one of the operation's modelled errors, with a message and a status below 500 — never an
unmodelled error, a Python exception, or a call that hangs. Deterministic (derandomized, no
example database); destructive operations run last so the others meet a full world.
"""

from __future__ import annotations

import os
import threading
import time
import traceback
from collections import Counter
from collections.abc import Iterator
from typing import Any

import botocore.session
import pytest
from botocore import xform_name
from botocore.config import Config
from botocore.exceptions import ClientError
from hypothesis import HealthCheck, given, seed, settings

from personalize_mock import mock_personalize
from personalize_mock.api.base import SERVICES
from tests.conftest import boto_session, make_clients
from tests.fuzz import strategies, world
from tests.shape_validator import shape_errors

# Per operation: 79 x 32 = 2,528 requests in CI. For a longer hunt, raise the count and pick
# another seed: PERSONALIZE_MOCK_FUZZ_EXAMPLES=500 PERSONALIZE_MOCK_FUZZ_SEED=7 pytest tests/fuzz
EXAMPLES = int(os.environ.get("PERSONALIZE_MOCK_FUZZ_EXAMPLES", "32"))
SEED = os.environ.get("PERSONALIZE_MOCK_FUZZ_SEED")
MINIMUM_REQUESTS = min(2000, 60 * EXAMPLES)  # 2,000 in CI
HANG_SECONDS = 20
CONFIG = Config(parameter_validation=False, retries={"max_attempts": 0})
_session = botocore.session.get_session()
MODELS = {service: _session.get_service_model(service) for service in SERVICES}


def _phase(operation: str) -> int:
    """Reads and runtime calls first, then creates and updates, then stops, then deletes."""
    for phase, prefixes in enumerate((("Describe", "List", "Get", "Put"), ("Create", "Update", "Tag", "Untag"),
                                      ("Stop", "Start"), ("Delete",))):
        if operation.startswith(prefixes):
            return phase
    return 1


OPERATIONS = sorted(((service, op) for service, model in MODELS.items() for op in model.operation_names),
                    key=lambda pair: (_phase(pair[1]), pair))
SENT: Counter[str] = Counter()
OUTCOMES: Counter[tuple[str, str]] = Counter()  # (operation, "ok" or error code)


class Hung(BaseException):
    """A call gave no answer within ``HANG_SECONDS`` (BaseException: nothing may swallow it)."""


@pytest.fixture(scope="module")
def fuzz_world() -> Iterator[dict[str, Any]]:
    """A seeded account under the mock, shared by every operation's fuzz test, with clients
    that send whatever they are given and never retry."""
    from moto.moto_api import state_manager

    from personalize_mock.states import MODEL_NAMES

    with pytest.MonkeyPatch.context() as env:
        for name, value in {"AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing",
                            "AWS_DEFAULT_REGION": "us-east-1", "PERSONALIZE_MOCK_RELAXED_DATA": "1"}.items():
            env.setenv(name, value)
        for name in MODEL_NAMES:
            state_manager.set_transition(name, {"progression": "immediate"})
        try:
            with mock_personalize(seed=2026):  # IDs and ARNs too; the switch is put back after
                api = make_clients("inprocess")
                known = world.known_values(api, world.seed(api))
                clients = {service: boto_session().client(service, config=CONFIG) for service in SERVICES}
                yield {"known": known, "clients": clients}
        finally:
            for name in MODEL_NAMES:
                state_manager.unset_transition(name)


def _show(value: Any, limit: int = 2000) -> str:
    text = repr(value)
    return text if len(text) <= limit else text[:limit] + f"... ({len(text)} characters)"


def _within(seconds: float, call: Any, **params: Any) -> Any:
    """``call(**params)`` in a daemon thread, its answer or exception brought back, or ``Hung``
    after ``seconds``. A thread rather than SIGALRM: pytest-xdist may run a test outside the main
    thread, where signals cannot be set."""
    outcome: dict[str, Any] = {}

    def run() -> None:
        try:
            outcome["answer"] = call(**params)
        except BaseException as error:  # brought back to the test's thread below
            outcome["error"] = error

    worker = threading.Thread(target=run, daemon=True)
    worker.start()
    worker.join(seconds)
    if worker.is_alive():
        raise Hung()
    if "error" in outcome:
        raise outcome["error"]
    return outcome["answer"]


def send(client: Any, service: str, operation: str, params: dict[str, Any]) -> None:
    """Send one request and check its answer; fail naming the operation, input and response."""
    where = f"{service}:{operation}\ninput: {_show(params)}"
    model = MODELS[service].operation_model(operation)
    started = time.monotonic()
    try:
        SENT[f"{service}:{operation}"] += 1
        response = _within(HANG_SECONDS, getattr(client, xform_name(operation)), **params)
    except ClientError as error:
        answer = error.response
        code = answer.get("Error", {}).get("Code")
        status = answer.get("ResponseMetadata", {}).get("HTTPStatusCode", 0)
        allowed = sorted(shape.name for shape in model.error_shapes)
        OUTCOMES[operation, str(code)] += 1
        assert code in allowed, f"{where}\nunmodelled error {code} (modelled: {allowed})\nresponse: {_show(answer)}"
        assert status < 500, f"{where}\nHTTP {status}\nresponse: {_show(answer)}"
        assert answer["Error"].get("Message"), f"{where}\n{code} without a message\nresponse: {_show(answer)}"
        return
    except Hung:
        pytest.fail(f"{where}\nno answer after {HANG_SECONDS} s", pytrace=False)
    except Exception:  # a traceback from the mock, or an answer botocore cannot parse
        pytest.fail(f"{where}\nraised instead of answering:\n{traceback.format_exc()}", pytrace=False)
    OUTCOMES[operation, "ok"] += 1
    body = {k: v for k, v in response.items() if k != "ResponseMetadata"}
    errors = shape_errors(model.output_shape, body)
    assert not errors, f"{where}\nresponse breaks the output shape:\n" + "\n".join(errors) + f"\nresponse: {_show(body)}"
    elapsed = time.monotonic() - started
    assert elapsed < HANG_SECONDS, f"{where}\ntook {elapsed:.1f} s"


@pytest.mark.parametrize("service,operation", OPERATIONS, ids=[f"{s}:{o}" for s, o in OPERATIONS])
def test_random_requests_get_modelled_answers(fuzz_world, service, operation):
    client = fuzz_world["clients"][service]
    requests = strategies.request(MODELS[service].operation_model(operation), known=fuzz_world["known"])

    @settings(max_examples=EXAMPLES, derandomize=SEED is None, database=None, deadline=None, print_blob=False,
              suppress_health_check=list(HealthCheck))
    @given(requests)
    def fuzz(params: dict[str, Any]) -> None:
        send(client, service, operation, params)

    if SEED is not None:
        fuzz = seed(int(SEED))(fuzz)
    fuzz()


class _Client:
    """Stands in for a boto3 client whose DescribeCampaign call does ``behaviour``."""

    def __init__(self, behaviour: Any) -> None:
        self.describe_campaign = behaviour


@pytest.mark.parametrize("behaviour,expected", [
    (lambda **_: time.sleep(5), r"no answer after 0.2 s"),
    (lambda **_: {}.pop("missing"), r"raised instead of answering:\n.*KeyError: 'missing'"),
    (lambda **_: {"campaign": {"name": 5}}, r"response breaks the output shape:\n\s*campaign.name: expected a string"),
    (lambda **_: _raise("NotImplementedException", 400), r"unmodelled error NotImplementedException"),
    (lambda **_: _raise("ResourceNotFoundException", 500), r"HTTP 500"),
], ids=["hang", "traceback", "invalid-success", "unmodelled-error", "server-error"])
def test_a_bad_answer_fails_naming_the_operation_input_and_response(monkeypatch, behaviour, expected):
    monkeypatch.setitem(globals(), "HANG_SECONDS", 0.2)
    monkeypatch.setitem(globals(), "SENT", Counter())  # not a fuzzed request
    monkeypatch.setitem(globals(), "OUTCOMES", Counter())
    with pytest.raises((AssertionError, pytest.fail.Exception), match=r"(?s)personalize:DescribeCampaign\n\s*"
                       r"input: \{'campaignArn': 'x'\}\n.*" + expected):
        send(_Client(behaviour), "personalize", "DescribeCampaign", {"campaignArn": "x"})


def _raise(code: str, status: int) -> None:
    raise ClientError({"Error": {"Code": code, "Message": "m"}, "ResponseMetadata": {"HTTPStatusCode": status}},
                      "DescribeCampaign")


def test_thousands_of_requests_were_sent():
    """Runs last: the fuzz tests above sent at least ``MINIMUM_REQUESTS`` between them."""
    ran = {f"{s}:{o}" for s, o in OPERATIONS} & set(SENT)
    if len(ran) < len(OPERATIONS) and not os.environ.get("CI"):
        pytest.skip(f"only {len(ran)} of {len(OPERATIONS)} operations were fuzzed in this process")
    assert len(ran) == len(OPERATIONS) == 79
    total = sum(SENT.values())
    for operation in sorted({op for op, _ in OUTCOMES}):
        answers = {outcome: n for (op, outcome), n in sorted(OUTCOMES.items()) if op == operation}
        print(f"{operation}: {answers}")
    print(f"{total} requests")
    assert total >= MINIMUM_REQUESTS, f"only {total} requests sent: {dict(SENT)}"
