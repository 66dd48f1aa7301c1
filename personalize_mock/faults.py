"""Fault injection: make the mock fail the way the real service can, on demand.

Three kinds of fault, all cleared by ``clear()`` and by moto's reset (``mock_aws`` starting,
``POST /moto-api/reset``) together with the rest of the state:

- ``fail_creates(kind, reason, count=1)``: the next ``count`` creates of a resource kind
  (``"solution-version"``, ``"dataset-import-job"``, ``"campaign"``, ... — the ARN resource
  types) end in ``CREATE FAILED`` (``FAILED`` for data deletion jobs) with ``failureReason``
  ``reason``. The work a create would do (importing, training, writing job output) is
  skipped, so nothing stored before is touched.
- ``raise_error(operation, error, count=1, message=None)``: the next ``count`` calls of an
  operation (``"CreateSolution"``, ``"GetRecommendations"``, ...) answer one of that
  operation's modelled errors, e.g. ``LimitExceededException`` or ``ResourceInUseException``.
- ``add_latency(seconds, operations=None, count=None)``: runtime calls (or the named
  operations) wait ``seconds`` before they are answered, ``count`` times or until cleared.

In server mode the same faults are set over HTTP at ``/personalize/faults`` (see ``web``).
Faults apply to every account and region of the process.

Faults count calls, not HTTP attempts. botocore sends every attempt of one call with the same
``amz-sdk-invocation-id`` header; a fault that took a call keeps answering that call's retries
(an error fails them all, latency delays them all) without using up its count, so
``count=1`` fails exactly one boto3 call whatever the client's retry mode. A request without
the header (another SDK, curl) counts as one call.
"""

from __future__ import annotations

import threading
import time
from collections import OrderedDict
from dataclasses import asdict, dataclass, field
from typing import Any

RUNTIME_OPERATIONS = ("GetRecommendations", "GetPersonalizedRanking", "GetActionRecommendations")
INVOCATION_HEADER = "amz-sdk-invocation-id"  # botocore: one per call, the same on every retry
REMEMBERED_CALLS = 1024  # calls whose retries a fault still answers


@dataclass
class CreateFailure:
    kind: str
    reason: str
    count: int


@dataclass
class OperationError:
    operation: str
    error: str
    message: str
    count: int


@dataclass
class Latency:
    seconds: float
    operations: tuple[str, ...]
    count: int | None = None


@dataclass
class _Faults:
    creates: list[CreateFailure] = field(default_factory=list)
    errors: list[OperationError] = field(default_factory=list)
    latencies: list[Latency] = field(default_factory=list)
    # invocation id -> (operation, delay, error) a fault gave that call: its retries get the same
    taken: OrderedDict[str, tuple[str, float, OperationError | None]] = field(default_factory=OrderedDict)

    @property
    def armed(self) -> bool:
        return bool(self.errors or self.latencies or self.taken)


_lock = threading.Lock()
_faults = _Faults()


# ---- setting ---------------------------------------------------------------------------------


def fail_creates(kind: str, reason: str, count: int = 1) -> None:
    """The next ``count`` creates of ``kind`` end in CREATE FAILED with ``reason``."""
    from .states import KINDS

    if kind not in KINDS:
        raise ValueError(f"Unknown resource kind {kind!r}; use one of: {', '.join(sorted(KINDS))}.")
    if not reason:
        raise ValueError("A failure reason is required.")
    with _lock:
        _faults.creates.append(CreateFailure(kind, reason, _positive(count)))


def raise_error(operation: str, error: str, count: int = 1, message: str | None = None) -> None:
    """The next ``count`` calls of ``operation`` answer ``error`` (one of its modelled errors)."""
    allowed = modelled_errors(operation)
    if error not in allowed:
        raise ValueError(f"{operation} does not model {error}; its errors are: {', '.join(allowed)}.")
    with _lock:
        _faults.errors.append(OperationError(operation, error, message or f"Injected {error} for {operation}.",
                                             _positive(count)))


def add_latency(seconds: float, operations: list[str] | tuple[str, ...] | None = None,
                count: int | None = None) -> None:
    """Runtime calls (or ``operations``) wait ``seconds`` first, ``count`` times or until cleared."""
    if not 0 <= seconds <= 60:
        raise ValueError("Latency must be between 0 and 60 seconds.")
    names = tuple(operations or RUNTIME_OPERATIONS)
    from .service_models import service_of

    for name in names:
        service_of(name)
    with _lock:
        _faults.latencies.append(Latency(float(seconds), names, None if count is None else _positive(count)))


def clear() -> None:
    """Remove every fault."""
    with _lock:
        _faults.creates.clear()
        _faults.errors.clear()
        _faults.latencies.clear()
        _faults.taken.clear()


def active() -> dict[str, list[dict[str, Any]]]:
    """The faults still pending, as plain data."""
    with _lock:
        return {
            "createFailures": [asdict(f) for f in _faults.creates],
            "errors": [asdict(f) for f in _faults.errors],
            "latencies": [dict(asdict(f), operations=list(f.operations)) for f in _faults.latencies],
        }


def _positive(count: int) -> int:
    if not isinstance(count, int) or isinstance(count, bool) or count < 1:
        raise ValueError(f"count must be a positive integer, not {count!r}.")
    return count


# ---- the model -----------------------------------------------------------------------------


def modelled_errors(operation: str) -> list[str]:
    from .service_models import service_model, service_of

    model = service_model(service_of(operation)).operation_model(operation)
    return sorted(shape.name for shape in model.error_shapes)


# ---- applying (called by the API layer and resources) -----------------------------------------


def before_call(operation: str, invocation: str | None = None) -> None:
    """Sleep for a latency fault, raise an error fault; called before an operation runs.
    ``invocation`` identifies the call across its retries (``INVOCATION_HEADER``)."""
    if not _faults.armed:
        return
    with _lock:
        taken = _faults.taken.get(invocation) if invocation else None
        if taken is not None and taken[0] == operation:
            _, delay, error = taken  # a retry of a call a fault already took
        else:
            delay, error = _take(operation)
            if invocation and (delay or error is not None):
                _faults.taken[invocation] = (operation, delay, error)
                while len(_faults.taken) > REMEMBERED_CALLS:
                    _faults.taken.popitem(last=False)
    if delay:
        time.sleep(delay)
    if error is not None:
        from .exceptions import modelled_error

        raise modelled_error(error.error, error.message)


def _take(operation: str) -> tuple[float, OperationError | None]:
    """Use up one call of every latency fault and of the first error fault for ``operation``."""
    delay = 0.0
    for latency in list(_faults.latencies):
        if operation in latency.operations:
            delay += latency.seconds
            if latency.count is not None:
                latency.count -= 1
                if latency.count == 0:
                    _faults.latencies.remove(latency)
    for fault in _faults.errors:
        if fault.operation == operation:
            fault.count -= 1
            if fault.count == 0:
                _faults.errors.remove(fault)
            return delay, fault
    return delay, None


def take_create_failure(kind: str) -> str | None:
    """The injected failure reason for a create of ``kind``, consuming one; None if there is none."""
    if not _faults.creates:
        return None
    with _lock:
        for fault in _faults.creates:
            if fault.kind == kind:
                fault.count -= 1
                if fault.count == 0:
                    _faults.creates.remove(fault)
                return fault.reason
    return None
