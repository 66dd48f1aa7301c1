"""The console: a page at ``GET /personalize/`` in server mode, and the JSON it reads.

    GET  /personalize/                     the page (``static/console.html``, no external assets)
    GET  /personalize/api/overview         per account and region: schemas and dataset groups
                                           with every resource of the group (``console_state``):
                                           datasets, trackers, import / export / deletion jobs
                                           (S3 objects with sizes), solutions (configuration,
                                           versions, metrics), campaigns, recommenders, filters
                                           (placeholders with real values), batch inference and
                                           segment jobs, metric attributions, tags
    GET  /personalize/api/events?limit=N   the latest N events (PutEvents, PutActionInteractions)
                                           of every dataset together, newest ``sentAt`` first,
                                           and N records (PutUsers, PutItems, PutActions): these
                                           have no time, so each dataset's come together (newest
                                           first), datasets in creation order; with the totals
                                           kept (default 50)
    POST /personalize/api/recommendations  GetRecommendations, GetPersonalizedRanking (a body with
                                           an ``inputList``) or GetActionRecommendations (an action
                                           recipe), or the ``operation`` the body names; modelled
                                           errors come back as ``{"code", "message"}`` with the
                                           API's HTTP status

The reads take each backend's lock and look at statuses as they stand: unlike a client's
Describe or List they never call ``advance``, so a console open on a test's server does not
move a lifecycle under ``manual`` progression. Times are ISO 8601 strings (UTC).
"""

from __future__ import annotations

import re
from importlib.resources import files
from typing import Any

from werkzeug.wrappers import Request, Response

from .backend import existing_backend, existing_backends
from .console_state import Reader, form_of, now_iso
from .routes import json_body, json_response, route

DEFAULT_EVENTS = 50
MAX_EVENTS = 1000
RUNTIME = "personalize-runtime"
# The members the form may send; anything else is refused before it reaches the API.
REQUEST_MEMBERS = ("operation", "campaignArn", "recommenderArn", "userId", "itemId", "inputList", "numResults",
                   "filterArn", "filterValues", "promotions")
OPERATIONS = {"GetRecommendations": "itemList", "GetPersonalizedRanking": "personalizedRanking",
              "GetActionRecommendations": "actionList"}
ARN = re.compile(r"^arn:[^:]+:personalize:([^:]+):([^:]+):")
# The page allows itself inline script and style and requests to its own origin, nothing else.
PAGE_POLICY = ("default-src 'none'; script-src 'unsafe-inline'; style-src 'unsafe-inline'; "
               "connect-src 'self'; img-src data:; base-uri 'none'; form-action 'none'")


# ---- the page --------------------------------------------------------------------------
@route("GET", "/")
def page(request: Request) -> Response:
    # Read on each request (a few KB): an edited page shows without restarting the server.
    html = files("personalize_mock").joinpath("static/console.html").read_bytes()
    response = Response(html, mimetype="text/html")
    response.headers["Content-Security-Policy"] = PAGE_POLICY
    response.headers["Cache-Control"] = "no-store"
    return response


# ---- reading the backends ----------------------------------------------------------------
@route("GET", "/api/overview")
def overview(request: Request) -> Response:
    accounts = []
    for backend in existing_backends():
        with backend.lock:
            reader = Reader(backend)
            groups = [reader.group(g) for g in backend.dataset_groups]
            schemas = reader.schemas()
        if groups or schemas:
            accounts.append({"accountId": backend.account_id, "region": backend.region_name,
                             "schemas": schemas, "datasetGroups": groups})
    return json_response({"generatedAt": now_iso(), "backends": accounts})


@route("GET", "/api/events")
def events(request: Request) -> Response:
    limit = request.args.get("limit", str(DEFAULT_EVENTS))
    if not limit.isdigit() or not 1 <= int(limit) <= MAX_EVENTS:
        raise ValueError(f"limit must be a whole number from 1 to {MAX_EVENTS}, not '{limit}'.")
    count = int(limit)
    timed, records, total, records_total = [], [], 0, 0
    for backend in existing_backends():
        with backend.lock:
            reader = Reader(backend)
            events_, kept = reader.events(count)
            records_, stored = reader.records(count)
        timed += events_
        records += records_
        total += kept
        records_total += stored
    # Newest sentAt first across datasets and backends; a stable sort keeps the order received
    # among events sent in the same second.
    timed.sort(key=lambda pair: pair[0], reverse=True)
    return json_response({"limit": count, "events": [event for _, event in timed[:count]], "eventsTotal": total,
                          "records": records[:count], "recordsTotal": records_total})


# ---- the recommendations form --------------------------------------------------------------
def _runtime_backend(arn: str | None) -> Any:
    """The backend a runtime call with this ARN reaches: its account and region. Without a
    readable ARN, the default one (the API's own validation then answers for the ARN)."""
    from .backend import personalize_backends
    from .exceptions import not_found
    from .inspect import DEFAULT_ACCOUNT, DEFAULT_REGION

    match = ARN.match(arn or "")
    if match is None:
        return personalize_backends[DEFAULT_ACCOUNT][DEFAULT_REGION]
    region, account = match.groups()
    backend = existing_backend(account, region)  # asking creates no backend
    if backend is None:  # nothing was ever created there
        raise not_found(arn or "")
    return backend


def _http_status(model: Any, code: str) -> int:
    """The HTTP status the API answers an error with (its shape's), 400 if it is not modelled."""
    from botocore.model import NoShapeFoundError

    try:
        return int(model.shape_for(code).metadata.get("error", {}).get("httpStatusCode", 400))
    except NoShapeFoundError:
        return 400


def _error(code: str, message: str, status: int) -> Response:
    return json_response({"code": code, "message": message}, status)


def _operation(params: dict[str, Any], named: Any, backend: Any) -> str:
    """The operation the form asks for: the one named, else what a client would call for this
    body and endpoint (an ``inputList``: ranking; otherwise the operation of the campaign's or
    recommender's recipe, as the page's form shows it). Without a known endpoint, or for a
    recipe with no runtime call, GetRecommendations: the API then answers for the request."""
    if named is not None:
        if named not in OPERATIONS:
            raise ValueError(f"operation must be one of {', '.join(OPERATIONS)}, not {named!r}.")
        return str(named)
    if "inputList" in params:
        return "GetPersonalizedRanking"
    endpoint = None
    if backend is not None:
        if params.get("campaignArn"):
            endpoint = backend.campaigns.find(params["campaignArn"])
        elif params.get("recommenderArn"):
            endpoint = backend.recommenders.find(params["recommenderArn"])
    return (form_of(endpoint.recipe)["operation"] if endpoint is not None else None) or "GetRecommendations"


def _explored(backend: Any, params: dict[str, Any], items: list[dict[str, Any]]) -> dict[str, Any]:
    """Which returned items exploration put there: those the answer marks ``Exploration``
    (-v2 recipes), else the cold items (younger than ``explorationItemAgeCutOff``) in the list
    when the runtime gave exploration slots (``resources.exploration``, the runtime's own
    rule), with the settings used."""
    from .resources.exploration import Exploration
    from .resources.serving import DEFAULT_RESULTS

    marked = [i["itemId"] for i in items if "Exploration" in (i.get("reason") or [])]
    try:
        with backend.lock:
            endpoint = backend._endpoint(params.get("campaignArn"), params.get("recommenderArn"))
            if not endpoint.recipe.exploration:
                return {"items": marked, "settings": None}
            explorer = Exploration(endpoint, int(params.get("numResults", DEFAULT_RESULTS)))
            if explorer.slots > 0 and not marked and "itemId" in (items[0] if items else {}):
                ids = backend._catalog(endpoint).items.values
                cold = {ids[code] for code in explorer.cold.tolist()}
                marked = [i["itemId"] for i in items if i["itemId"] in cold]
    except Exception:  # noqa: BLE001  (a display detail: the answer itself stands)
        return {"items": marked, "settings": None}
    return {"items": marked, "settings": {"explorationWeight": explorer.weight,
                                          "explorationItemAgeCutOff": explorer.cutoff_days}}


@route("POST", "/api/recommendations")
def recommendations(request: Request) -> Response:
    from botocore.validate import ParamValidator
    from moto.core.exceptions import ServiceException

    from .api.base import call_operation, service_model

    body = json_body(request)
    unknown = sorted(set(body) - set(REQUEST_MEMBERS))
    if unknown:
        raise ValueError(f"Unknown member(s) {', '.join(unknown)}; accepted: {', '.join(REQUEST_MEMBERS)}.")
    named = body.pop("operation", None)
    # Empty form fields are absent members, as a client would send them.
    params = {k: v for k, v in body.items() if v not in (None, "", [], {})}
    model = service_model(RUNTIME)
    try:
        backend = _runtime_backend(params.get("campaignArn") or params.get("recommenderArn"))
    except ServiceException as error:
        backend, failure = None, error
    else:
        failure = None
    operation = _operation(params, named, backend)
    # The checks a boto3 client makes before sending (required members, types, unknown members).
    report = ParamValidator().validate(params, model.operation_model(operation).input_shape)
    if report.has_errors():
        return _error("ParamValidationError", report.generate_report(), 400)
    try:
        if failure is not None:
            raise failure
        result = call_operation(RUNTIME, operation, backend, params)
    except ServiceException as error:
        return _error(error.code, error.message, _http_status(model, error.code))
    items = result.get(OPERATIONS[operation], [])
    answer = {"operation": operation, "recommendationId": result["recommendationId"], "items": items}
    if operation == "GetRecommendations":
        answer["exploration"] = _explored(backend, params, items)
    return json_response(answer)
