"""The console page served at ``GET /personalize/`` in server mode (being built)."""

from __future__ import annotations

from werkzeug.wrappers import Request, Response

from .web import route


@route("GET", "/")
def page(request: Request) -> Response:
    return Response("<!doctype html><title>personalize_mock</title><h1>personalize_mock</h1>", mimetype="text/html")
