"""Filter expressions: runtime filterValues and evaluation over the caller's data."""

from __future__ import annotations

import math
import re
from typing import Any

import numpy as np

from .syntax import (  # noqa: F401
    _EVENT_DATASETS,
    _NUMBER_RE,
    _PLACEHOLDER_NAME_RE,
    COMPARISONS,
    INCLUDE,
    MAX_FILTER_VALUE_LENGTH,
    MAX_FILTER_VALUES,
    MAX_PLACEHOLDER_NAME,
    NOT_IN,
    USER_ID,
    AllEvents,
    And,
    Condition,
    CurrentItemRef,
    Expression,
    Filter,
    FilterData,
    Literal,
    MissingFilterValues,
    Node,
    Placeholder,
    _read_string,
)


# ---------------------------------------------------------------------------------------------
# Runtime filter values
# ---------------------------------------------------------------------------------------------
class _ValueFormatError(ValueError):
    def __init__(self, reason: str, position: int) -> None:
        super().__init__(reason, position)
        self.reason, self.position = reason, position


def parse_filter_values(values: dict[str, str] | None) -> dict[str, list[str]]:
    """``{"GENRES": "\\"Comedy\\",\\"Drama\\""}`` -> ``{"GENRES": ["Comedy", "Drama"]}``.

    Each value is a comma-separated list of double-quoted strings (backslash escapes the next
    character) or bare numbers (kept as their text). At most 25 keys; keys ``[A-Za-z0-9_]{1,50}``;
    values at most 1000 characters and not empty. Raises ``ValueError``."""
    if values is None:
        return {}
    if not isinstance(values, dict):
        raise ValueError("filterValues must be a map of placeholder name to values")  # noqa: TRY004
    if len(values) > MAX_FILTER_VALUES:
        raise ValueError(f"filterValues has {len(values)} keys; at most {MAX_FILTER_VALUES} are allowed")
    parsed: dict[str, list[str]] = {}
    for key, raw in values.items():
        if not isinstance(key, str) or not _PLACEHOLDER_NAME_RE.fullmatch(key) or len(key) > MAX_PLACEHOLDER_NAME:
            raise ValueError(
                f"filterValues key {key!r} is not a placeholder name (1-{MAX_PLACEHOLDER_NAME} letters, "
                "digits or underscores, without '$')"
            )
        if not isinstance(raw, str):
            raise ValueError(f"filterValues[{key!r}] must be a string")  # noqa: TRY004
        if len(raw) > MAX_FILTER_VALUE_LENGTH:
            raise ValueError(
                f"filterValues[{key!r}] is {len(raw)} characters long; at most {MAX_FILTER_VALUE_LENGTH} are allowed"
            )
        try:
            parsed[key] = _split_values(raw)
        except _ValueFormatError as error:
            raise ValueError(
                f"filterValues[{key!r}] at position {error.position}: {error.reason}; expected "
                'comma-separated double-quoted values such as "\\"Comedy\\",\\"Drama\\""'
            ) from None
    return parsed


def _split_values(raw: str) -> list[str]:
    out: list[str] = []
    i, n = 0, len(raw)
    if not raw.strip():
        raise _ValueFormatError("the value is empty", 0)
    while True:
        while i < n and raw[i].isspace():
            i += 1
        if i >= n:
            raise _ValueFormatError("expected a value", i)
        if raw[i] == '"':
            value, i = _read_string(raw, i, _ValueFormatError)
            out.append(value)
        else:
            match = _NUMBER_RE.match(raw, i)
            end = match.end() if match else i
            if match is None or (end < n and not (raw[end].isspace() or raw[end] == ",")):
                word = re.match(r"[^,]*", raw[i:]).group().strip()  # type: ignore[union-attr]
                raise _ValueFormatError(f"value {word!r} is not double-quoted", i)
            out.append(match.group())
            i = end
        while i < n and raw[i].isspace():
            i += 1
        if i >= n:
            return out
        if raw[i] != ",":
            raise _ValueFormatError(f"expected ',' between values, found {raw[i]!r}", i)
        i += 1


# ---------------------------------------------------------------------------------------------
# Evaluation
# ---------------------------------------------------------------------------------------------
_NUM_CACHE: dict[str, float | None] = {}


def _num(value: Any) -> float | None:
    """A float for numbers and numeric-looking strings, else None (NaN -> None)."""
    if isinstance(value, str):
        try:
            return _NUM_CACHE[value]
        except KeyError:
            pass
        text = value.strip()
        result = float(text) if _NUMBER_RE.fullmatch(text) else None
        if len(_NUM_CACHE) < 100_000:
            _NUM_CACHE[value] = result
        return result
    if isinstance(value, bool) or value is None:
        return None
    if isinstance(value, (int, float, np.integer, np.floating)):
        number = float(value)
        return None if math.isnan(number) else number
    return None


def _is_number(value: Any) -> bool:
    return isinstance(value, (int, float, np.integer, np.floating)) and not isinstance(value, bool)


class _Matcher:
    """Tests one entity value against a condition's resolved operands."""

    def __init__(self, operator: str, operands: list[str | float]) -> None:
        self.operator = operator
        self.strings = {o for o in operands if isinstance(o, str)}
        self.typed_numbers = {float(o) for o in operands if _is_number(o) and _num(o) is not None}
        numbers = set(self.typed_numbers)
        numbers.update(n for n in map(_num, self.strings) if n is not None)
        self.numbers = numbers
        self.number_list = sorted(numbers)

    def _equal(self, value: Any) -> bool:
        if isinstance(value, str):
            if value in self.strings:
                return True
            return bool(self.typed_numbers) and _num(value) in self.typed_numbers
        number = _num(value)
        return number is not None and number in self.numbers

    def _compare(self, value: Any) -> bool:
        number = _num(value)
        if number is None or not self.number_list:
            return False
        op = self.operator
        if op == "<":
            return number < self.number_list[-1]
        if op == "<=":
            return number <= self.number_list[-1]
        if op == ">":
            return number > self.number_list[0]
        return number >= self.number_list[0]  # ">="

    def _single(self, value: Any) -> bool:
        if value is None:
            return False
        if isinstance(value, (set, frozenset, list, tuple)):
            return any(self._single(v) for v in value)
        if self.operator in COMPARISONS:
            return self._compare(value)
        return self._equal(value)

    def test(self, value: Any) -> bool:
        if self.operator == NOT_IN:
            return not self._positive(value)
        return self._single(value)

    def _positive(self, value: Any) -> bool:
        if value is None:
            return False
        if isinstance(value, (set, frozenset, list, tuple)):
            return any(self._equal(v) for v in value if v is not None)
        return self._equal(value)

    def mask(self, values: list[Any]) -> np.ndarray:
        """The test over a whole column. Numeric columns go through numpy, string / categorical
        columns through C-level set operations; anything else is memoised per distinct value."""
        n = len(values)
        if n == 0:
            return np.zeros(0, bool)
        types = set(map(type, values))
        if self.operator in COMPARISONS:
            if types <= _NUMERIC_TYPES:
                if not self.number_list:
                    return np.zeros(n, bool)
                column = np.array(values, dtype=float)  # None -> NaN, which never compares
                op = self.operator
                with np.errstate(invalid="ignore"):
                    if op == "<":
                        return column < self.number_list[-1]
                    if op == "<=":
                        return column <= self.number_list[-1]
                    if op == ">":
                        return column > self.number_list[0]
                    return column >= self.number_list[0]
            return self._slow_mask(values, self._single)
        negate = self.operator == NOT_IN
        if not self.typed_numbers and types <= _STRING_TYPES:
            strings = self.strings
            out = np.fromiter(
                ((v in strings) if type(v) is str else (v is not None and not strings.isdisjoint(v))
                 for v in values),
                bool, n,
            )
        elif types <= _NUMERIC_TYPES:
            column = np.array(values, dtype=float)
            out = np.isin(column, np.fromiter(self.numbers, float)) if self.numbers else np.zeros(n, bool)
        else:
            out = self._slow_mask(values, self._positive)
        return ~out if negate else out

    @staticmethod
    def _slow_mask(values: list[Any], single: Any) -> np.ndarray:
        memo: dict[Any, bool] = {}
        out = np.empty(len(values), bool)
        for k, value in enumerate(values):
            if isinstance(value, (set, frozenset, list, tuple)):
                out[k] = single(value)
                continue
            try:
                result = memo[value]
            except KeyError:
                result = memo[value] = single(value)
            except TypeError:  # unhashable oddity
                result = single(value)
            out[k] = result
        return out


_NUMERIC_TYPES = {float, int, type(None), np.float64, np.float32, np.int64, np.int32}
_STRING_TYPES = {str, set, frozenset, type(None)}


class _Context:
    """Per-call evaluation state: candidates, data, filter values and small caches."""

    def __init__(self, target: str, candidates: np.ndarray, data: FilterData,
                 values: dict[str, list[str]], user: int | None) -> None:
        self.target = target
        self.candidates = candidates
        self.data = data
        self.values = values
        self.user = user
        self._events: dict[tuple[str, int | None], dict[str, np.ndarray]] = {}
        self._fields: dict[tuple[str, str], list[Any]] = {}

    def events(self, dataset: str, user: int | None) -> dict[str, np.ndarray]:
        key = (dataset, user)
        if key not in self._events:
            found = self.data.event_entities(dataset, user) or {}
            self._events[key] = {str(k).lower(): np.asarray(v) for k, v in found.items()}
        return self._events[key]

    def field_values(self, dataset: str, name: str) -> list[Any]:
        key = (dataset, name)
        if key not in self._fields:
            found = list(self.data.field_values(dataset, name, self.candidates))
            if len(found) != len(self.candidates):
                raise ValueError(
                    f"field_values({dataset!r}, {name!r}) returned {len(found)} values for "
                    f"{len(self.candidates)} codes"
                )
            self._fields[key] = found
        return self._fields[key]

    def operands(self, cond: Condition) -> list[Any] | None:
        """Resolved right-hand values; None when a placeholder has no value (EXCLUDE only --
        INCLUDE placeholders are checked before evaluation)."""
        out: list[Any] = []
        for v in cond.values:
            if isinstance(v, Literal):
                out.append(v.value)
            elif isinstance(v, Placeholder):
                if v.name not in self.values:
                    return None
                out.extend(self.values[v.name])
            elif isinstance(v, AllEvents):
                out.append(_STAR)
            else:  # CurrentItemRef
                current = self.data.current_item(v.field)
                if current is None:
                    continue
                if isinstance(current, (set, frozenset, list, tuple)):
                    out.extend(current)
                else:
                    out.append(current)
        return out

    def node(self, node: Node) -> np.ndarray | None:
        if isinstance(node, Condition):
            return self.condition(node)
        masks = [m for m in (self.node(child) for child in node.operands) if m is not None]
        if not masks:
            return None
        result = masks[0].copy()
        for m in masks[1:]:
            if isinstance(node, And):
                result &= m
            else:
                result |= m
        return result

    def condition(self, cond: Condition) -> np.ndarray | None:
        operands = self.operands(cond)
        if operands is None:
            return None
        if cond.dataset in _EVENT_DATASETS:
            return self.event_condition(cond, operands)
        return _Matcher(cond.operator, operands).mask(self.field_values(cond.dataset, cond.field))

    def event_condition(self, cond: Condition, operands: list[Any]) -> np.ndarray:
        wanted = {_event_text(o).lower() for o in operands if o is not _STAR}
        every = any(o is _STAR or o == "*" for o in operands)
        negate = cond.operator == NOT_IN

        def chosen(event_type: str) -> bool:
            hit = every or event_type in wanted
            return not hit if negate else hit

        if self.target == USER_ID:
            out = np.zeros(len(self.candidates), bool)
            for k, code in enumerate(self.candidates.tolist()):
                events = self.events(cond.dataset, int(code))
                out[k] = any(len(codes) and chosen(t) for t, codes in events.items())
            return out
        events = self.events(cond.dataset, self.user)
        parts = [np.asarray(codes).ravel() for t, codes in events.items() if chosen(t) and len(codes)]
        if not parts:
            return np.zeros(len(self.candidates), bool)
        return np.isin(self.candidates, np.concatenate(parts))


class _Star:
    def __repr__(self) -> str:  # pragma: no cover
        return "*"


_STAR = _Star()


def _event_text(value: Any) -> str:
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def evaluate_expression(expr: Expression, ctx: _Context) -> np.ndarray | None:
    """Mask of entities selected by this expression, or None when it does not take part
    (IF false, or every condition dropped for lack of placeholder values)."""
    for cond in expr.condition_if:
        operands = ctx.operands(cond)
        if operands is None:  # EXCLUDE with an omitted placeholder: condition dropped
            continue
        if not _Matcher(cond.operator, operands).test(ctx.data.current_user(cond.field)):
            return None
    return ctx.node(expr.where)


def allowed(
    flt: Filter,
    candidates: np.ndarray,
    data: FilterData,
    values: dict[str, list[str]] | None = None,
    user: int | None = None,
) -> np.ndarray:
    """Boolean mask over ``candidates`` (entity codes of the filter's target): True where the
    filter lets the entity through -- the chain's INCLUDE union minus its EXCLUDE union.
    ``user`` is the request user's code (for Interactions conditions on item/action filters).
    Raises :class:`MissingFilterValues`."""
    values = values or {}
    missing = flt.missing_values(values)
    if missing:
        raise MissingFilterValues(missing)
    candidates = np.asarray(candidates).ravel()
    ctx = _Context(flt.target, candidates, data, values, user)
    include: np.ndarray | None = None
    exclude: np.ndarray | None = None
    for expr in flt.expressions:
        mask = evaluate_expression(expr, ctx)
        if mask is None:
            continue
        if expr.action == INCLUDE:
            include = mask if include is None else include | mask
        else:
            exclude = mask if exclude is None else exclude | mask
    result = np.ones(len(candidates), bool) if include is None else include.copy()
    if exclude is not None:
        result &= ~exclude
    return result
