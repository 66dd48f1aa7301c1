"""The sandbox's own HTTP routes, served in server mode beside moto's application.

Requests to ``/personalize/...`` that carry no AWS signature (a browser, ``curl``) are
answered here: the console page (``console``), fault injection (``faults``). Signed requests,
S3 path-style requests to a bucket named ``personalize`` among them, go on to moto.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

import orjson
from werkzeug.wrappers import Request, Response

PREFIX = "/personalize"
Handler = Callable[..., Response]
_ROUTES: list[tuple[str, re.Pattern[str], Handler]] = []


def route(method: str, path: str) -> Callable[[Handler], Handler]:
    """Register ``handler(request, **groups)`` for ``method`` and a path regex under /personalize."""

    def register(handler: Handler) -> Handler:
        _ROUTES.append((method, re.compile(f"^{PREFIX}{path}$"), handler))
        return handler

    return register


def json_response(data: Any, status: int = 200) -> Response:
    return Response(orjson.dumps(data, default=str), status=status, mimetype="application/json")


def error_response(status: int, message: str) -> Response:
    return json_response({"message": message}, status)


def _load_routes() -> None:
    from . import console, faults  # noqa: F401  (their @route decorators register the handlers)


class SandboxApp:
    """WSGI middleware: the sandbox's routes first, everything else to moto's application."""

    def __init__(self, inner: Any) -> None:
        _load_routes()
        self.inner = inner

    def __call__(self, environ: dict[str, Any], start_response: Any) -> Any:
        path = environ.get("PATH_INFO", "")
        if (path == PREFIX or path.startswith(PREFIX + "/")) and "HTTP_AUTHORIZATION" not in environ:
            return self._own(Request(environ))(environ, start_response)
        return self.inner(environ, start_response)

    @staticmethod
    def _own(request: Request) -> Response:
        path = request.path.rstrip("/") or PREFIX
        allowed = []
        for method, pattern, handler in _ROUTES:
            match = pattern.match(path) or pattern.match(path + "/")
            if match:
                if method == request.method:
                    try:
                        return handler(request, **match.groupdict())
                    except ValueError as error:
                        return error_response(400, str(error))
                allowed.append(method)
        if allowed:
            return error_response(405, f"{request.method} is not allowed on {request.path}; use {', '.join(allowed)}.")
        return error_response(404, f"No sandbox route {request.method} {request.path}.")


def make_app() -> SandboxApp:
    """moto's server application, with personalize_mock registered and the sandbox routes."""
    from moto.moto_server.werkzeug_app import DomainDispatcherApplication, create_backend_app

    from ._registration import register

    register()
    app = DomainDispatcherApplication(create_backend_app)
    return SandboxApp(app)


class SandboxServer:
    """A server in a background thread (like moto's ``ThreadedMotoServer``), with the sandbox routes."""

    def __init__(self, host: str = "127.0.0.1", port: int = 0) -> None:
        import threading

        from werkzeug.serving import make_server

        self._server = make_server(host, port, make_app(), threaded=True)
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}"

    def start(self) -> SandboxServer:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._server.shutdown()
        self._thread.join()
