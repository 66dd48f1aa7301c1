"""In-process fast path for the runtime API.

Runtime calls are what application code makes most, and moto's generic dispatch (request
routing, parameter parsing, model-driven serialisation) costs several times botocore's own
signing and parsing. Under an active mock this botocore ``before-send`` handler, which
``_registration`` installs just ahead of moto's, answers personalize-runtime requests
itself: the JSON body goes straight to the same backend methods (same validation, same
errors) and the result is written as JSON. Everything else, and the standalone server, takes
moto's normal path.
"""

from __future__ import annotations

import re
from typing import Any, Callable

import orjson  # ~15x faster than json for these responses; runtime calls are the hot path
from botocore.awsrequest import AWSResponse
from moto.core.exceptions import ServiceException

from ..backend import existing_backend, personalize_backends
from ..faults import INVOCATION_HEADER
from .base import call_operation, service_model

RUNTIME_URL = re.compile(r"^https?://personalize-runtime\.([a-z0-9-]+)\.amazonaws\.com(/[a-z-]+)/?$")
OPERATIONS = {
    "/recommendations": "GetRecommendations",
    "/personalize-ranking": "GetPersonalizedRanking",
    "/action-recommendations": "GetActionRecommendations",
}
JSON_HEADERS = {"Content-Type": "application/json"}


class _Body:
    """The raw response body botocore streams from."""

    def __init__(self, data: bytes) -> None:
        self.data = data

    def stream(self, **_: Any) -> Any:
        yield self.data


def answer(request: Any, account_for: Callable[[Any], str]) -> Any:
    """The response for a runtime request under an active mock, or None to pass it on;
    ``account_for(headers)`` decides the account as moto does (``_registration`` calls this)."""
    match = RUNTIME_URL.match(request.url)
    operation = OPERATIONS.get(match.group(2)) if match else None
    if operation is None:
        return None
    params = orjson.loads(request.body or b"{}")
    account, region = account_for(request.headers), match.group(1)
    backend = existing_backend(account, region) or personalize_backends[account][region]
    try:
        invocation = request.headers.get(INVOCATION_HEADER)
        if isinstance(invocation, bytes):
            invocation = invocation.decode()
        result = call_operation("personalize-runtime", operation, backend, params, invocation)
    except ServiceException as error:
        shape = service_model("personalize-runtime").shape_for(error.code)
        status = shape.metadata.get("error", {}).get("httpStatusCode", 400)
        headers = dict(JSON_HEADERS, **{"x-amzn-ErrorType": error.code})
        data = orjson.dumps({"message": error.message})
        return AWSResponse(request.url, status, headers, _Body(data))
    return AWSResponse(request.url, 200, JSON_HEADERS, _Body(orjson.dumps(result)))
