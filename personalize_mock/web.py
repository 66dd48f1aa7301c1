"""The sandbox's own HTTP routes, served in server mode beside moto's application.

Requests to ``/personalize/...`` that carry no AWS signature (a browser, ``curl``) are
answered here: the console page (``console``), fault injection (``faults``). Signed requests
(an ``Authorization`` header or a presigned URL), S3 path-style requests to a bucket named
``personalize`` among them, go on to moto.
"""

from __future__ import annotations

from typing import Any

from werkzeug.wrappers import Request, Response

from .routes import PREFIX, ROUTES, error_response, json_body, json_response, route


def _load_routes() -> None:
    from . import console  # noqa: F401  (its @route decorators register the handlers)


# ---- fault injection over HTTP (personalize_mock.faults) --------------------------------------


def _required(body: dict[str, Any], name: str) -> Any:
    if name not in body:
        raise ValueError(f"{name} is required.")
    return body[name]


@route("GET", "/faults")
def list_faults(request: Request) -> Response:
    from . import faults

    return json_response(faults.active())


@route("DELETE", "/faults")
def clear_faults(request: Request) -> Response:
    from . import faults

    faults.clear()
    return json_response(faults.active())


@route("POST", "/faults/create-failures")
def add_create_failure(request: Request) -> Response:
    from . import faults

    body = json_body(request)
    faults.fail_creates(_required(body, "kind"), _required(body, "reason"), body.get("count", 1))
    return json_response(faults.active(), 201)


@route("POST", "/faults/errors")
def add_error(request: Request) -> Response:
    from . import faults

    body = json_body(request)
    faults.raise_error(_required(body, "operation"), _required(body, "error"), body.get("count", 1), body.get("message"))
    return json_response(faults.active(), 201)


@route("POST", "/faults/latency")
def add_latency(request: Request) -> Response:
    from . import faults

    body = json_body(request)
    seconds = _required(body, "seconds")
    if not isinstance(seconds, (int, float)) or isinstance(seconds, bool):
        raise ValueError("seconds must be a number.")
    faults.add_latency(seconds, body.get("operations"), body.get("count"))
    return json_response(faults.active(), 201)


class SandboxApp:
    """WSGI middleware: the sandbox's routes first, everything else to moto's application."""

    def __init__(self, inner: Any) -> None:
        _load_routes()
        self.inner = inner

    def __call__(self, environ: dict[str, Any], start_response: Any) -> Any:
        path = environ.get("PATH_INFO", "")
        signed = "HTTP_AUTHORIZATION" in environ or "Signature=" in environ.get("QUERY_STRING", "")  # presigned: SigV2 or V4
        if (path == PREFIX or path.startswith(PREFIX + "/")) and not signed:
            return self._own(Request(environ))(environ, start_response)
        return self.inner(environ, start_response)

    @staticmethod
    def _own(request: Request) -> Response:
        path = request.path.rstrip("/") or PREFIX
        allowed = []
        for method, pattern, handler in ROUTES:
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
    from moto.moto_server.werkzeug_app import (
        DomainDispatcherApplication,
        create_backend_app,
    )

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
