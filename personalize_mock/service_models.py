"""botocore's models of the three Personalize APIs: the lowest layer every other reads from."""

from __future__ import annotations

from functools import lru_cache
from typing import Any

# The three Personalize APIs (botocore service names; also their endpoint host names).
SERVICES = ("personalize", "personalize-events", "personalize-runtime")


@lru_cache(maxsize=None)
def service_model(service: str) -> Any:
    import botocore.session

    return botocore.session.get_session().get_service_model(service)


def service_of(operation: str) -> str:
    """The API an operation belongs to; ValueError naming the operation if none has it."""
    for service in SERVICES:
        if operation in service_model(service).operation_names:
            return service
    raise ValueError(f"Unknown operation {operation!r}: not an operation of {', '.join(SERVICES)}.")
