"""The sandbox's route table and JSON helpers: the layer under ``web`` (the application that
dispatches) and the modules whose handlers it serves (``console``, the fault routes in ``web``).

It imports nothing of this package, so a handler module and the application both import it
without importing each other.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

import orjson
from werkzeug.wrappers import Request, Response

PREFIX = "/personalize"
Handler = Callable[..., Response]
ROUTES: list[tuple[str, re.Pattern[str], Handler]] = []


def route(method: str, path: str) -> Callable[[Handler], Handler]:
    """Register ``handler(request, **groups)`` for ``method`` and a path regex under /personalize."""

    def register(handler: Handler) -> Handler:
        ROUTES.append((method, re.compile(f"^{PREFIX}{path}$"), handler))
        return handler

    return register


def json_response(data: Any, status: int = 200) -> Response:
    return Response(orjson.dumps(data, default=str), status=status, mimetype="application/json")


def error_response(status: int, message: str) -> Response:
    return json_response({"message": message}, status)


def json_body(request: Request) -> dict[str, Any]:
    """The request's JSON object body (``{}`` when empty); ValueError (a 400) otherwise."""
    try:
        body = orjson.loads(request.get_data() or b"{}")
    except orjson.JSONDecodeError as error:
        raise ValueError(f"The body is not JSON: {error}.") from None
    if not isinstance(body, dict):
        raise ValueError("The body must be a JSON object.")
    return body
