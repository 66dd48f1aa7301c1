"""What every Personalize resource shares: ARN, timestamps, a ManagedState lifecycle, and a
typed store that turns "no such ARN" and "name taken" into the modelled errors."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import datetime, timezone
from functools import wraps
from typing import Any, ClassVar, Generic, TypeVar

from moto.core.exceptions import InvalidToken
from moto.moto_api._internal import mock_random
from moto.moto_api._internal.managed_state_model import ManagedState
from moto.utilities.paginator import paginate

from .. import states
from ..exceptions import (
    InvalidNextTokenException,
    ResourceAlreadyExistsException,
    not_found,
)
from ..faults import take_create_failure


def now() -> datetime:
    return datetime.now(timezone.utc)


class Lifecycle:
    """A status driven by a ``ManagedState``; ``lastUpdatedDateTime`` follows its changes."""

    kind: ClassVar[str]
    failed_status: ClassVar[str] = states.CREATE_FAILED
    settled: ClassVar[str] = states.GONE  # what the status reads once the table has run out
    _state: ManagedState
    _seen: str
    _final: set[str]
    _failure_reason: str | None
    last_updated_date_time: datetime

    def _enter(self, phase: str, table: states.Table) -> None:
        self._state = ManagedState(states.model_name(self.kind, phase), list(table))
        self._seen = table[0][0]
        # Statuses the table never leaves: once reached, no need to ask the state manager.
        self._final = {after for _, after in table} - {before for before, _ in table}

    @property
    def status(self) -> str:
        if self._seen in self._final:
            return self._seen
        current = self._state.status or self.settled
        if current != self._seen:
            self._seen = current
            self.last_updated_date_time = now()
        return current

    @property
    def failure_reason(self) -> str | None:
        return self._failure_reason if self.status == self.failed_status else None

    def advance(self) -> None:
        self._state.advance()


class Resource(Lifecycle):
    """A named resource with an ARN and a status driven by moto's state manager.

    ``kind`` is both the ARN resource type and the state-manager model name suffix.
    The serializer finds ``<className>Arn`` in ``arn`` (moto's class-prefix alias), every
    other output member in the snake_case attribute of the same name.
    """

    create_table: ClassVar[states.Table] = states.CREATE
    failing_table: ClassVar[states.Table] = states.CREATE_FAILING
    delete_table: ClassVar[states.Table] = states.DELETE

    def __init__(self, arn: str, name: str, failure_reason: str | None = None) -> None:
        self.arn = arn
        self.name = name
        self.creation_date_time = self.last_updated_date_time = now()
        if failure_reason is None:
            failure_reason = take_create_failure(self.kind)
        self._failure_reason = failure_reason
        self._enter("create", self.failing_table if failure_reason else self.create_table)

    def touch(self) -> None:
        self.last_updated_date_time = now()

    def start_update(self) -> None:
        self._enter("update", states.UPDATE)
        self.last_updated_date_time = now()

    def start_delete(self) -> None:
        self._enter("delete", self.delete_table)
        self.last_updated_date_time = now()

    @property
    def deleting(self) -> bool:
        return self.status in (states.DELETE_PENDING, states.DELETE_IN_PROGRESS)


class UpdateRecord(Lifecycle):
    """A ``latest…Update`` summary (solution, campaign, recommender): its own CREATE
    lifecycle, model ``personalize::<kind>-update``, while the resource itself stays ACTIVE."""

    settled = states.ACTIVE

    def __init__(self, kind: str, failure_reason: str | None = None) -> None:
        self.kind = kind  # type: ignore[misc]
        self.creation_date_time = self.last_updated_date_time = now()
        self._failure_reason = failure_reason
        self._enter("update", states.CREATE_FAILING if failure_reason else states.CREATE)


R = TypeVar("R", bound=Resource)


class Store(Generic[R]):
    """Resources of one kind, keyed by ARN, oldest first. Deleted ones vanish on first sight."""

    def __init__(self, label: str, on_remove: Callable[[str], None] = lambda arn: None) -> None:
        self.label = label
        self._items: dict[str, R] = {}
        self._on_remove = on_remove  # e.g. forget the resource's tags

    def _live(self, resource: R) -> bool:
        if resource.status == states.GONE:
            self.remove(resource.arn)
            return False
        return True

    def get(self, arn: str) -> R:
        resource = self._items.get(arn)
        if resource is None or not self._live(resource):
            raise not_found(arn)
        return resource

    def __contains__(self, arn: object) -> bool:
        return arn in self._items

    def find(self, arn: str) -> R | None:
        resource = self._items.get(arn)
        return resource if resource is not None and self._live(resource) else None

    def describe(self, arn: str) -> R:
        """A client's read: advances the resource's lifecycle (manual progression counts it)."""
        resource = self._items.get(arn)
        if resource is not None:
            resource.advance()
        return self.get(arn)

    def ensure_new(self, arn: str) -> None:
        """Refuse an ARN that is taken, before any work is done for the new resource."""
        if self.find(arn) is not None:
            raise ResourceAlreadyExistsException(f"{self.label} {arn} already exists.")

    def add(self, resource: R) -> R:
        self.ensure_new(resource.arn)
        self._items[resource.arn] = resource
        return resource

    def remove(self, arn: str) -> None:
        if self._items.pop(arn, None) is not None:
            self._on_remove(arn)

    def __iter__(self) -> Iterator[R]:
        return (r for r in list(self._items.values()) if self._live(r))

    def listed(self, keep: Callable[[R], bool] = lambda r: True) -> list[R]:
        """A client's listing: newest first, each entry advanced like a describe."""
        chosen = []
        for resource in reversed(list(self._items.values())):
            resource.advance()
            if self._live(resource) and keep(resource):
                chosen.append(resource)
        return chosen


def unused(draw: Callable[[], str], taken: Callable[[str], bool], first: str | None = None) -> str:
    """A generated id (``first``, else ``draw()``) that no stored resource holds yet: a restored
    state plus the seed switch replays moto's random ids, so a drawn one can already be taken.
    Redrawing is deterministic too."""
    value = draw() if first is None else first
    while taken(value):
        value = draw()
    return value


def _rid() -> str:
    """``RID-`` + a version-4 UUID from moto's (seedable) random source, formatted directly: the
    runtime's hot path makes one per call."""
    h = "%032x" % ((mock_random.getrandbits(128) & ~(0xF000 << 64) & ~(0xC << 60)) | (0x4000 << 64) | (0x8 << 60))
    return f"RID-{h[:8]}-{h[8:12]}-{h[12:16]}-{h[16:20]}-{h[20:]}"


def recommendation_id(taken: Callable[[str], bool]) -> str:
    """A fresh recommendation id that ``taken`` does not hold yet."""
    return unused(_rid, taken)


def paginated(result_key: str) -> Callable[[Callable[..., list[Any]]], Callable[..., dict[str, Any]]]:
    """Page a backend list method with moto's paginator; wrap the page as the output shape."""

    def decorate(func: Callable[..., list[Any]]) -> Callable[..., dict[str, Any]]:
        model = {
            func.__name__: {
                "input_token": "next_token",
                "limit_key": "max_results",
                "limit_default": 100,
                "unique_attribute": "arn",
                "fail_on_invalid_token": InvalidNextTokenException,
            }
        }
        paged = paginate(model)(func)

        @wraps(func)
        def wrapper(*args: Any, **kwargs: Any) -> dict[str, Any]:
            try:
                page, token = paged(*args, **kwargs)
            except InvalidToken:  # a token issued for other filters, or for a deleted entry
                raise InvalidNextTokenException() from None
            return {result_key: page, "nextToken": token}

        return wrapper

    return decorate
