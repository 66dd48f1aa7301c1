"""The console: a page at ``GET /personalize/`` in server mode, and the JSON it reads.

    GET  /personalize/                     the page (``static/console.html``, no external assets)
    GET  /personalize/api/overview         per account and region: dataset groups with their
                                           datasets (row counts), event trackers, import jobs,
                                           solutions and versions (offline metrics), campaigns,
                                           recommenders and filters
    GET  /personalize/api/events?limit=N   the latest N events recorded in each dataset, newest
                                           first, with their impressions (default 50)
    POST /personalize/api/recommendations  GetRecommendations, or GetPersonalizedRanking when the
                                           body has an ``inputList``; modelled errors come back as
                                           ``{"code", "message"}`` with the API's HTTP status

The reads take each backend's lock and look at statuses as they stand: unlike a client's
Describe or List they never call ``advance``, so a console open on a test's server does not
move a lifecycle under ``manual`` progression. Times are ISO 8601 strings (UTC).
"""

from __future__ import annotations

import re
from datetime import datetime, timezone
from importlib.resources import files
from itertools import islice
from typing import Any

from werkzeug.wrappers import Request, Response

from .backend import existing_backend, existing_backends
from .web import json_body, json_response, route

DEFAULT_EVENTS = 50
MAX_EVENTS = 1000
RUNTIME = "personalize-runtime"
# The members the form may send; anything else is refused before it reaches the API.
REQUEST_MEMBERS = ("campaignArn", "recommenderArn", "userId", "itemId", "inputList", "numResults",
                   "filterArn", "filterValues")
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
def _iso(value: datetime | None) -> str | None:
    return value.isoformat() if value is not None else None


def _epoch_iso(seconds: float) -> str:
    return datetime.fromtimestamp(seconds, timezone.utc).isoformat()


def _times(resource: Any) -> dict[str, Any]:
    return {
        "creationDateTime": _iso(resource.creation_date_time),
        "lastUpdatedDateTime": _iso(resource.last_updated_date_time),
    }


def _metrics(metrics: dict[str, Any] | None) -> dict[str, float] | None:
    return None if metrics is None else {name: float(value) for name, value in metrics.items()}


def _dataset(dataset: Any) -> dict[str, Any]:
    return {
        "arn": dataset.arn, "name": dataset.name, "datasetType": dataset.dataset_type,
        "status": dataset.status, "rows": len(dataset.table), "schemaArn": dataset.schema_arn,
        **_times(dataset),
    }


def _import_job(job: Any, dataset_types: dict[str, str]) -> dict[str, Any]:
    return {
        "arn": job.arn, "jobName": job.job_name, "datasetArn": job.dataset_arn,
        "datasetType": dataset_types.get(job.dataset_arn), "status": job.status,
        "failureReason": job.failure_reason, "importMode": job.import_mode,
        "dataLocation": job.data_source.get("dataLocation"), **_times(job),
    }


def _solution_version(version: Any) -> dict[str, Any]:
    status = version.status
    # What GetSolutionMetrics reports: metrics exist once the version is ACTIVE.
    metrics = _metrics(version.trained.metrics) if status == "ACTIVE" and version.trained is not None else None
    return {
        "arn": version.arn, "name": version.name, "status": status, "trainingMode": version.training_mode,
        "failureReason": version.failure_reason, "trainingHours": version.training_hours,
        "metrics": metrics, **_times(version),
    }


def _solution(solution: Any, versions: list[Any]) -> dict[str, Any]:
    recipe = solution.recipe
    return {
        "arn": solution.arn, "name": solution.name, "status": solution.status,
        "recipe": recipe.name if recipe else None, "recipeType": recipe.recipe_type if recipe else None,
        "versions": [_solution_version(v) for v in versions], **_times(solution),
    }


def _campaign(campaign: Any) -> dict[str, Any]:
    recipe = campaign.recipe
    return {
        "arn": campaign.arn, "name": campaign.name, "status": campaign.status,
        "failureReason": campaign.failure_reason, "solutionVersionArn": campaign.solution_version_arn,
        "recipe": recipe.name, "recipeType": recipe.recipe_type, "minProvisionedTPS": campaign.min_provisioned_tps,
        "campaignConfig": campaign.campaign_config, **_times(campaign),
    }


def _recommender(recommender: Any) -> dict[str, Any]:
    recipe = recommender.recipe
    return {
        "arn": recommender.arn, "name": recommender.name, "status": recommender.status,
        "failureReason": recommender.failure_reason, "recipe": recipe.name, "recipeType": recipe.recipe_type,
        "modelMetrics": _metrics(recommender.model_metrics), **_times(recommender),
    }


def _group(backend: Any, group: Any) -> dict[str, Any]:
    def of_group(store: Any) -> list[Any]:
        return [r for r in store if r.dataset_group_arn == group.arn]

    datasets = of_group(backend.datasets)
    dataset_types = {d.arn: d.dataset_type for d in datasets}
    solutions = of_group(backend.solutions)
    versions = list(backend.solution_versions)
    return {
        "arn": group.arn, "name": group.name, "status": group.status, "domain": group.domain,
        "failureReason": group.failure_reason, **_times(group),
        "datasets": [_dataset(d) for d in datasets],
        "eventTrackers": [
            {"arn": t.arn, "name": t.name, "status": t.status, "trackingId": t.tracking_id}
            for t in of_group(backend.event_trackers)
        ],
        "importJobs": [_import_job(j, dataset_types) for j in backend.import_jobs if j.dataset_arn in dataset_types],
        "solutions": [_solution(s, [v for v in versions if v.solution_arn == s.arn]) for s in solutions],
        "campaigns": [_campaign(c) for c in of_group(backend.campaigns)],
        "recommenders": [_recommender(r) for r in of_group(backend.recommenders)],
        "filters": [
            {"arn": f.arn, "name": f.name, "status": f.status, "filterExpression": f.filter_expression,
             "failureReason": f.failure_reason}
            for f in of_group(backend.filters)
        ],
    }


@route("GET", "/api/overview")
def overview(request: Request) -> Response:
    accounts = []
    for backend in existing_backends():
        with backend.lock:
            groups = [_group(backend, g) for g in backend.dataset_groups]
        if groups:
            accounts.append({"accountId": backend.account_id, "region": backend.region_name, "datasetGroups": groups})
    return json_response({"generatedAt": _iso(datetime.now(timezone.utc)), "backends": accounts})


@route("GET", "/api/events")
def events(request: Request) -> Response:
    limit = request.args.get("limit", str(DEFAULT_EVENTS))
    if not limit.isdigit() or not 1 <= int(limit) <= MAX_EVENTS:
        raise ValueError(f"limit must be a whole number from 1 to {MAX_EVENTS}, not '{limit}'.")
    found = []
    for backend in existing_backends():
        with backend.lock:
            for dataset in backend.datasets:
                for event in islice(reversed(dataset.events_log), int(limit)):
                    found.append({
                        "accountId": backend.account_id, "region": backend.region_name,
                        "datasetGroupArn": dataset.dataset_group_arn, "datasetArn": dataset.arn,
                        "datasetType": dataset.dataset_type, "userId": event["userId"],
                        "itemId": event["itemId"], "eventType": event["eventType"],
                        "sentAt": _epoch_iso(event["sentAt"]), "recommendationId": event["recommendationId"],
                        "impression": list(event["impression"]),
                    })
    return json_response({"events": found})


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


@route("POST", "/api/recommendations")
def recommendations(request: Request) -> Response:
    from botocore.validate import ParamValidator
    from moto.core.exceptions import ServiceException

    from .api.base import call_operation, service_model

    body = json_body(request)
    unknown = sorted(set(body) - set(REQUEST_MEMBERS))
    if unknown:
        raise ValueError(f"Unknown member(s) {', '.join(unknown)}; accepted: {', '.join(REQUEST_MEMBERS)}.")
    # Empty form fields are absent members, as a client would send them.
    params = {k: v for k, v in body.items() if v not in (None, "", [], {})}
    operation = "GetPersonalizedRanking" if "inputList" in params else "GetRecommendations"
    model = service_model(RUNTIME)
    # The checks a boto3 client makes before sending (required members, types, unknown members).
    report = ParamValidator().validate(params, model.operation_model(operation).input_shape)
    if report.has_errors():
        return _error("ParamValidationError", report.generate_report(), 400)
    try:
        backend = _runtime_backend(params.get("campaignArn") or params.get("recommenderArn"))
        result = call_operation(RUNTIME, operation, backend, params)
    except ServiceException as error:
        return _error(error.code, error.message, _http_status(model, error.code))
    items = result.get("itemList", result.get("personalizedRanking", []))
    return json_response({"operation": operation, "recommendationId": result["recommendationId"], "items": items})
