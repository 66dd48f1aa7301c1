"""Input constraints: min and max lengths, sizes and values, patterns and enums, checked against botocore's own model of each operation.

botocore's client checks required members, types and minimums, but any SDK (or a client
with validation turned off) may skip them; the service answers them all with a "validation error detected" ``InvalidInputException``.
"""

from __future__ import annotations

from functools import lru_cache
from typing import Any

from botocore.model import Shape

from .exceptions import InvalidInputException, InvalidNextTokenException


@lru_cache(maxsize=None)
def _compiled(pattern: str) -> Any:
    import regex  # supports the \p{L} / \p{ASCII} classes that AWS patterns use

    return regex.compile(pattern)


@lru_cache(maxsize=4096)
def _matches(pattern: str, value: str) -> bool:
    """Whether ``value`` matches in full; the same ARNs and names come back on every call."""
    return _compiled(pattern).fullmatch(value) is not None


def _show(value: Any) -> str:
    text = str(value)
    return text if len(text) <= 200 else text[:200] + "..."


def _check(shape: Shape, value: Any, where: str, errors: list[str]) -> None:
    if value is None:
        return
    meta = shape.metadata
    kind = shape.type_name

    def fail(constraint: str) -> None:
        errors.append(
            f"Value '{_show(value)}' at '{where}' failed to satisfy constraint: {constraint}"
        )

    if kind == "structure":
        for name, member in shape.members.items():
            if isinstance(value, dict) and name in value:
                _check(member, value[name], f"{where}.{name}" if where else name, errors)
        return
    if kind in ("string", "list", "map") and "min" in meta and len(value) < meta["min"]:
        fail(f"Member must have length greater than or equal to {meta['min']}")
    if kind in ("integer", "long", "double", "float") and "min" in meta and value < meta["min"]:
        fail(f"Member must have value greater than or equal to {meta['min']}")
    if kind in ("string", "list", "map") and "max" in meta and len(value) > meta["max"]:
        fail(f"Member must have length less than or equal to {meta['max']}")
    if kind in ("integer", "long", "double", "float") and "max" in meta and value > meta["max"]:
        fail(f"Member must have value less than or equal to {meta['max']}")
    if kind == "string":
        if shape.enum and value not in shape.enum:
            fail(f"Member must satisfy enum value set: [{', '.join(shape.enum)}]")
        elif "pattern" in meta and not _matches(meta["pattern"], value):
            fail(f"Member must satisfy regular expression pattern: {meta['pattern']}")
    elif kind == "list":
        for index, item in enumerate(value, start=1):
            _check(shape.member, item, f"{where}.{index}.member", errors)
    elif kind == "map":
        for key, item in value.items():
            _check(shape.key, key, f"{where}.key", errors)
            _check(shape.value, item, f"{where}.{key}", errors)


@lru_cache(maxsize=None)
def _next_token_only() -> frozenset[str]:
    """Input shapes of the operations whose model declares InvalidNextTokenException but no
    InvalidInputException (ListDatasetGroups, ListSchemas): their only inputs are the
    paging pair, so a broken constraint is answered with the error they do declare."""
    from .service_models import SERVICES, service_model

    names = set()
    for service in SERVICES:
        model = service_model(service)
        for name in model.operation_names:
            operation = model.operation_model(name)
            errors = {error.name for error in operation.error_shapes}
            if operation.input_shape is not None and errors == {"InvalidNextTokenException"}:
                names.add(operation.input_shape.name)
    return frozenset(names)


def validate_input(shape: Shape | None, params: dict[str, Any]) -> None:
    """Raise ``InvalidInputException`` (``InvalidNextTokenException`` for an operation that
    declares only that) listing every constraint ``params`` breaks."""
    if shape is None:
        return
    errors: list[str] = []
    _check(shape, params, "", errors)
    if errors:
        count = len(errors)
        noun = "error" if count == 1 else "errors"
        error = InvalidNextTokenException if shape.name in _next_token_only() else InvalidInputException
        raise error(f"{count} validation {noun} detected: " + "; ".join(errors))
