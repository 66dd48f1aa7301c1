"""Validate a boto3 response against its operation's output shape in botocore's model.

Reusable by any test: ``assert_valid_response("personalize", "DescribeCampaign", response)``.
Checks required members, no members the model does not define, types, enums, string lengths
and list/map sizes, recursively.
"""

from __future__ import annotations

import datetime
from functools import lru_cache
from typing import Any

import botocore.session
from botocore.model import Shape


@lru_cache(maxsize=None)
def _model(service: str) -> Any:
    return botocore.session.get_session().get_service_model(service)


def shape_errors(shape: Shape | None, value: Any, path: str = "") -> list[str]:
    """Every way ``value`` breaks ``shape`` (empty when it conforms)."""
    if shape is None:
        return [] if value in (None, {}) else [f"{path or '<root>'}: no output shape, got {value!r}"]
    errors: list[str] = []
    kind = shape.type_name
    where = path or "<root>"
    meta = shape.metadata
    if kind == "structure":
        if not isinstance(value, dict):
            return [f"{where}: expected a structure, got {type(value).__name__}"]
        for name in shape.required_members:
            if name not in value:
                errors.append(f"{where}: required member {name} is missing")
        for name, member in value.items():
            if name not in shape.members:
                errors.append(f"{where}: member {name} is not in the model")
            else:
                errors += shape_errors(shape.members[name], member, f"{path}.{name}" if path else name)
    elif kind == "list":
        if not isinstance(value, list):
            return [f"{where}: expected a list, got {type(value).__name__}"]
        errors += _size(meta, len(value), where)
        for index, item in enumerate(value):
            errors += shape_errors(shape.member, item, f"{where}[{index}]")
    elif kind == "map":
        if not isinstance(value, dict):
            return [f"{where}: expected a map, got {type(value).__name__}"]
        errors += _size(meta, len(value), where)
        for key, item in value.items():
            errors += shape_errors(shape.key, key, f"{where}.<key>")
            errors += shape_errors(shape.value, item, f"{where}[{key}]")
    elif kind == "string":
        if not isinstance(value, str):
            return [f"{where}: expected a string, got {type(value).__name__}"]
        if getattr(shape, "enum", None) and value not in shape.enum:
            errors.append(f"{where}: {value!r} is not one of {shape.enum}")
        errors += _size(meta, len(value), where)
    elif kind in ("integer", "long"):
        if not isinstance(value, int) or isinstance(value, bool):
            errors.append(f"{where}: expected an integer, got {value!r}")
    elif kind in ("double", "float"):
        if not isinstance(value, (int, float)) or isinstance(value, bool):
            errors.append(f"{where}: expected a number, got {value!r}")
    elif kind == "boolean":
        if not isinstance(value, bool):
            errors.append(f"{where}: expected a boolean, got {value!r}")
    elif kind == "timestamp":
        if not isinstance(value, datetime.datetime):
            errors.append(f"{where}: expected a timestamp, got {value!r}")
    return errors


def _size(meta: dict[str, Any], size: int, where: str) -> list[str]:
    errors = []
    if "min" in meta and size < meta["min"]:
        errors.append(f"{where}: size {size} is below the minimum {meta['min']}")
    if "max" in meta and size > meta["max"]:
        errors.append(f"{where}: size {size} is above the maximum {meta['max']}")
    return errors


def assert_valid_response(service: str, operation: str, response: dict[str, Any]) -> None:
    body = {k: v for k, v in response.items() if k != "ResponseMetadata"}
    errors = shape_errors(_model(service).operation_model(operation).output_shape, body)
    assert not errors, f"{service}:{operation} response breaks its output shape:\n" + "\n".join(errors)
