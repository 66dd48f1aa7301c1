"""What the console shows, read from the backends as plain JSON-ready values.

Every reader here looks at resources as they stand: statuses are read (which follows moto's
``time`` and ``immediate`` progressions) but never advanced, so a console polling a test's
server does not move a lifecycle under ``manual`` progression. The callers hold each
backend's lock. Attributes that an older saved state may lack are read with defaults.
"""

from __future__ import annotations

import json
from datetime import datetime, timezone
from itertools import islice
from typing import Any

from .resources.datasets import RECORD_KEYS
from .resources.events import camel
from .resources.filters import DATASET_TYPES

EXAMPLES = 5  # real values offered per filter placeholder
# Filter expression dataset names (upper-cased) -> dataset types; CurrentUser / CurrentItem read
# Users / Items.
FILTER_DATASETS = {**{name.upper(): kind for name, kind in DATASET_TYPES.items()},
                   "CURRENTUSER": "USERS", "CURRENTITEM": "ITEMS"}
# The operation that puts records into a metadata dataset (its id column: RECORD_KEYS).
RECORD_OPERATIONS = {"USERS": "PutUsers", "ITEMS": "PutItems", "ACTIONS": "PutActions"}
RANKING_FAMILIES = ("personalized_ranking",)
RELATED_FAMILIES = ("sims", "similar_items", "semantic_similarity")
_examples_cache: dict[tuple[str, str, int], list[Any]] = {}


# ---- small conversions -----------------------------------------------------------------------
def iso(value: datetime | None) -> str | None:
    return value.isoformat() if value is not None else None


def epoch_iso(seconds: float) -> str:
    return datetime.fromtimestamp(seconds, timezone.utc).isoformat()


def now_iso() -> str:
    return datetime.now(timezone.utc).isoformat()


def _times(resource: Any) -> dict[str, Any]:
    return {
        "creationDateTime": iso(getattr(resource, "creation_date_time", None)),
        "lastUpdatedDateTime": iso(getattr(resource, "last_updated_date_time", None)),
    }


def _metrics(metrics: dict[str, Any] | None) -> dict[str, float] | None:
    return None if metrics is None else {name: float(value) for name, value in metrics.items()}


def _update(update: Any, **members: str) -> dict[str, Any] | None:
    """A ``latest…Update`` summary: status, failure reason, times and the named members."""
    if update is None:
        return None
    summary = {"status": update.status, "failureReason": update.failure_reason, **_times(update)}
    for key, attribute in members.items():
        summary[key] = getattr(update, attribute, None)
    return summary


class Reader:
    """One backend's resources as the console shows them (the caller holds ``backend.lock``)."""

    def __init__(self, backend: Any) -> None:
        self.backend = backend
        self.s3 = None

    def tags(self, arn: str) -> dict[str, str]:
        try:
            return dict(self.backend.tagger.get_tag_dict_for_resource(arn))
        except Exception:  # noqa: BLE001  (a display detail: never break the overview)
            return {}

    def objects(self, path: str | None) -> list[dict[str, Any]]:
        """The S3 objects at or under ``path`` (key and size), read without their content."""
        if not path:
            return []
        if self.s3 is None:
            from .s3io import S3

            self.s3 = S3(self.backend.account_id, self.backend.region_name, self.backend.partition)
        return [{"url": url, "size": size} for url, size in self.s3.objects(path)]

    # ---- the account and region -------------------------------------------------------------
    def schemas(self) -> list[dict[str, Any]]:
        return [{
            "arn": s.arn, "name": s.name, "domain": s.domain, **_times(s), "tags": self.tags(s.arn),
            "fields": [{"name": f.name, "type": f.type, "nullable": f.nullable, "categorical": f.categorical,
                        "textual": f.textual} for f in s.fields],
        } for s in self.backend.schemas]

    def group(self, group: Any) -> dict[str, Any]:
        backend = self.backend

        def of_group(store: Any) -> list[Any]:
            return [r for r in store if r.dataset_group_arn == group.arn]

        datasets = of_group(backend.datasets)
        dataset_types = {d.arn: d.dataset_type for d in datasets}
        schema_names = {s.arn: s.name for s in backend.schemas}
        solutions = of_group(backend.solutions)
        versions = list(backend.solution_versions)
        version_arns = {v.arn for v in versions if v.dataset_group_arn == group.arn}
        filters = of_group(backend.filters)
        return {
            "arn": group.arn, "name": group.name, "status": group.status, "domain": group.domain,
            "failureReason": group.failure_reason, "roleArn": getattr(group, "role_arn", None),
            "kmsKeyArn": getattr(group, "kms_key_arn", None), **_times(group), "tags": self.tags(group.arn),
            "datasets": [self.dataset(d, schema_names) for d in datasets],
            "eventTrackers": [{
                "arn": t.arn, "name": t.name, "status": t.status, "trackingId": t.tracking_id,
                "failureReason": t.failure_reason, **_times(t), "tags": self.tags(t.arn),
            } for t in of_group(backend.event_trackers)],
            "importJobs": [self.import_job(j, dataset_types) for j in backend.import_jobs if j.dataset_arn in dataset_types],
            "exportJobs": [self.export_job(j, dataset_types) for j in backend.export_jobs if j.dataset_arn in dataset_types],
            "deletionJobs": [self.deletion_job(j) for j in of_group(backend.deletion_jobs)],
            "solutions": [self.solution(s, [v for v in versions if v.solution_arn == s.arn]) for s in solutions],
            "campaigns": [self.campaign(c) for c in of_group(backend.campaigns)],
            "recommenders": [self.recommender(r) for r in of_group(backend.recommenders)],
            "filters": [self.filter(f, group.arn) for f in filters],
            "batchInferenceJobs": [self.batch_job(j) for j in backend.batch_inference_jobs
                                   if j.solution_version_arn in version_arns],
            "batchSegmentJobs": [self.batch_job(j) for j in backend.batch_segment_jobs
                                 if j.solution_version_arn in version_arns],
            "metricAttributions": [self.metric_attribution(m) for m in of_group(backend.metric_attributions)],
        }

    # ---- data -----------------------------------------------------------------------------
    def dataset(self, dataset: Any, schema_names: dict[str, str]) -> dict[str, Any]:
        return {
            "arn": dataset.arn, "name": dataset.name, "datasetType": dataset.dataset_type,
            "status": dataset.status, "failureReason": dataset.failure_reason, "rows": len(dataset.table),
            "schemaArn": dataset.schema_arn, "schemaName": schema_names.get(dataset.schema_arn),
            "trackingId": getattr(dataset, "tracking_id", None), **_times(dataset), "tags": self.tags(dataset.arn),
            "latestDatasetUpdate": _update(getattr(dataset, "latest_dataset_update", None), schemaArn="schema_arn"),
        }

    def import_job(self, job: Any, dataset_types: dict[str, str]) -> dict[str, Any]:
        location = (job.data_source or {}).get("dataLocation")
        return {
            "arn": job.arn, "jobName": job.job_name, "datasetArn": job.dataset_arn,
            "datasetType": dataset_types.get(job.dataset_arn), "status": job.status,
            "failureReason": job.failure_reason, "importMode": job.import_mode, "dataLocation": location,
            "roleArn": getattr(job, "role_arn", None),
            "publishAttributionMetricsToS3": getattr(job, "publish_attribution_metrics_to_s3", None),
            **_times(job), "tags": self.tags(job.arn),
        }

    def export_job(self, job: Any, dataset_types: dict[str, str]) -> dict[str, Any]:
        path = ((job.job_output or {}).get("s3DataDestination") or {}).get("path")
        return {
            "arn": job.arn, "jobName": job.job_name, "datasetArn": job.dataset_arn,
            "datasetType": dataset_types.get(job.dataset_arn), "status": job.status,
            "failureReason": job.failure_reason, "ingestionMode": getattr(job, "ingestion_mode", None),
            "outputPath": path, "outputs": self.objects(path), **_times(job), "tags": self.tags(job.arn),
        }

    def deletion_job(self, job: Any) -> dict[str, Any]:
        location = (job.data_source or {}).get("dataLocation")
        return {
            "arn": job.arn, "jobName": job.job_name, "status": job.status, "failureReason": job.failure_reason,
            "dataLocation": location, "inputs": self.objects(location),
            "numDeleted": getattr(job, "num_deleted", None), **_times(job), "tags": self.tags(job.arn),
        }

    # ---- training ---------------------------------------------------------------------------
    def solution(self, solution: Any, versions: list[Any]) -> dict[str, Any]:
        recipe = solution.recipe
        config = solution.solution_config or {}
        return {
            "arn": solution.arn, "name": solution.name, "status": solution.status,
            "failureReason": solution.failure_reason,
            "recipe": recipe.name if recipe else None, "recipeType": recipe.recipe_type if recipe else None,
            "recipeArn": solution.recipe_arn, "eventType": solution.event_type,
            "performHPO": solution.perform_hpo, "performAutoML": solution.perform_auto_ml,
            "performAutoTraining": solution.perform_auto_training,
            "performIncrementalUpdate": solution.perform_incremental_update,
            "solutionConfig": solution.solution_config,
            "hyperparameters": {
                **(dict(recipe.default_hyperparameters) if recipe else {}),
                **config.get("algorithmHyperParameters", {}),
            },
            "autoMLResult": solution.auto_ml_result,
            "latestSolutionUpdate": _update(
                getattr(solution, "latest_solution_update", None), solutionUpdateConfig="solution_update_config",
                performAutoTraining="perform_auto_training", performIncrementalUpdate="perform_incremental_update"),
            "versions": [self.solution_version(v) for v in versions], **_times(solution),
            "tags": self.tags(solution.arn),
        }

    @staticmethod
    def solution_version(version: Any) -> dict[str, Any]:
        status = version.status
        trained = getattr(version, "trained", None)
        # What GetSolutionMetrics reports: metrics exist once the version is ACTIVE.
        metrics = _metrics(trained.metrics) if status == "ACTIVE" and trained is not None else None
        return {
            "arn": version.arn, "name": version.name, "status": status, "trainingMode": version.training_mode,
            "trainingType": getattr(version, "training_type", None), "failureReason": version.failure_reason,
            "trainingHours": version.training_hours, "tunedHPOParams": version.tuned_hpo_params,
            "metrics": metrics, **_times(version),
        }

    # ---- serving ------------------------------------------------------------------------------
    def campaign(self, campaign: Any) -> dict[str, Any]:
        recipe = campaign.recipe
        update = getattr(campaign, "latest_campaign_update", None)
        return {
            "arn": campaign.arn, "name": campaign.name, "status": campaign.status,
            "failureReason": campaign.failure_reason, "solutionVersionArn": campaign.solution_version_arn,
            "recipe": recipe.name, "recipeType": recipe.recipe_type, "minProvisionedTPS": campaign.min_provisioned_tps,
            "campaignConfig": campaign.campaign_config,
            "latestCampaignUpdate": None if update is None else {
                **_update(update, minProvisionedTPS="min_provisioned_tps", campaignConfig="campaign_config"),  # type: ignore[dict-item]
                "solutionVersionArn": _safe(lambda: update.solution_version_arn),
            },
            "form": form_of(recipe), **_times(campaign), "tags": self.tags(campaign.arn),
        }

    def recommender(self, recommender: Any) -> dict[str, Any]:
        recipe = recommender.recipe
        return {
            "arn": recommender.arn, "name": recommender.name, "status": recommender.status,
            "failureReason": recommender.failure_reason, "recipe": recipe.name, "recipeType": recipe.recipe_type,
            "recommenderConfig": recommender.recommender_config,
            "latestRecommenderUpdate": _update(getattr(recommender, "latest_recommender_update", None),
                                               recommenderConfig="recommender_config"),
            "modelMetrics": _metrics(recommender.model_metrics), "form": form_of(recipe),
            **_times(recommender), "tags": self.tags(recommender.arn),
        }

    def filter(self, flt: Any, group_arn: str) -> dict[str, Any]:
        return {
            "arn": flt.arn, "name": flt.name, "status": flt.status, "filterExpression": flt.filter_expression,
            "failureReason": flt.failure_reason, "placeholders": self.placeholders(flt, group_arn),
            **_times(flt), "tags": self.tags(flt.arn),
        }

    def placeholders(self, flt: Any, group_arn: str) -> list[dict[str, Any]]:
        """Each ``$NAME`` of the filter with the field it is compared to and real values of
        that field from the group's data (most frequent first), for the form's hint."""
        from .engine.filter_expression.syntax import Placeholder

        found: dict[str, dict[str, Any]] = {}
        compiled = getattr(flt, "compiled", None)
        for expression in getattr(compiled, "expressions", ()):
            for condition in expression.conditions():
                for value in condition.values:
                    if isinstance(value, Placeholder) and value.name not in found:
                        examples, numeric = self.examples(group_arn, condition.dataset, condition.field)
                        found[value.name] = {
                            "name": value.name, "dataset": condition.dataset, "field": condition.field,
                            "operator": condition.operator, "examples": examples, "numeric": numeric,
                            "required": expression.action == "INCLUDE",
                        }
        return list(found.values())

    def examples(self, group_arn: str, dataset_name: str, field: str) -> tuple[list[Any], bool]:
        """Up to EXAMPLES values of a dataset field (categorical values split), most frequent
        first; numbers as their smallest, median and largest. Cached per table version."""
        kind = FILTER_DATASETS.get(dataset_name.upper())
        dataset = self.backend.group_dataset(group_arn, kind) if kind else None
        if dataset is None:
            return [], False
        table = dataset.table
        spec = table.by_name.get(field)
        if spec is None:
            return [], False
        numeric = spec.type not in ("string", "boolean")
        key = (dataset.arn, field, table.version)
        if key not in _examples_cache:
            if len(_examples_cache) > 256:
                _examples_cache.clear()
            _examples_cache[key] = _column_examples(table, field, spec, numeric)
        return _examples_cache[key], numeric

    # ---- batch and attribution --------------------------------------------------------------
    def batch_job(self, job: Any) -> dict[str, Any]:
        source = ((job.job_input or {}).get("s3DataSource") or {}).get("path")
        target = ((job.job_output or {}).get("s3DataDestination") or {}).get("path")
        return {
            "arn": job.arn, "jobName": job.job_name, "status": job.status, "failureReason": job.failure_reason,
            "solutionVersionArn": job.solution_version_arn, "filterArn": job.filter_arn,
            "numResults": job.num_results, "inputPath": source, "outputPath": target,
            "outputs": [o for o in self.objects(target) if o["url"].endswith(".out")] if target else [],
            "mode": getattr(job, "batch_inference_job_mode", None),
            "config": getattr(job, "batch_inference_job_config", None),
            **_times(job), "tags": self.tags(job.arn),
        }

    def metric_attribution(self, attribution: Any) -> dict[str, Any]:
        return {
            "arn": attribution.arn, "name": attribution.name, "status": attribution.status,
            "failureReason": attribution.failure_reason,
            "metrics": [{"eventType": m.event_type, "metricName": m.metric_name, "expression": m.expression}
                        for m in attribution.metrics],
            "metricsOutputConfig": attribution.metrics_output_config, **_times(attribution),
            "tags": self.tags(attribution.arn),
        }

    # ---- events and records -----------------------------------------------------------------
    def events(self, limit: int) -> tuple[list[tuple[float, dict[str, Any]]], int]:
        """The last ``limit`` events each dataset received, each as ``(sentAt in epoch seconds,
        event)`` so that the caller can order them by time across datasets (and backends), and
        how many are kept."""
        found, total = [], 0
        for dataset in self.backend.datasets:
            log = getattr(dataset, "events_log", ())
            total += len(log)
            for event in islice(reversed(log), limit):
                found.append((float(event["sentAt"]), {
                    "accountId": self.backend.account_id, "region": self.backend.region_name,
                    "datasetGroupArn": dataset.dataset_group_arn, "datasetArn": dataset.arn,
                    "datasetType": dataset.dataset_type,
                    "operation": "PutActionInteractions" if dataset.dataset_type == "ACTION_INTERACTIONS" else "PutEvents",
                    "eventId": event.get("eventId"), "sessionId": event.get("sessionId"),
                    "userId": event["userId"], "itemId": event["itemId"], "eventType": event["eventType"],
                    "eventValue": event.get("eventValue"), "properties": _properties(event.get("properties")),
                    "sentAt": epoch_iso(event["sentAt"]), "recommendationId": event["recommendationId"],
                    "impression": list(event["impression"]),
                }))
        return found, total

    def records(self, limit: int) -> tuple[list[dict[str, Any]], int]:
        """The latest ``limit`` records PutUsers / PutItems / PutActions stored in each dataset
        (newest first: a record sent again replaces its earlier copy), and how many there are.
        Records carry no time, so they are not ordered across datasets: each dataset's come
        together, the datasets in the order they were created."""
        import numpy as np

        from .engine.tables import ORIGIN_PUT

        found, total = [], 0
        for dataset in self.backend.datasets:
            if dataset.dataset_type not in RECORD_OPERATIONS:
                continue
            operation, id_column = RECORD_OPERATIONS[dataset.dataset_type], RECORD_KEYS[dataset.dataset_type]
            table = dataset.table
            rows = np.flatnonzero(table.origin == ORIGIN_PUT)
            total += len(rows)
            for row in rows[::-1][:limit].tolist():
                values = {name: table.value(name, table.column(name)[row]) for name in table.dtypes}
                found.append({
                    "accountId": self.backend.account_id, "region": self.backend.region_name,
                    "datasetGroupArn": dataset.dataset_group_arn, "datasetArn": dataset.arn,
                    "datasetType": dataset.dataset_type, "operation": operation, "idMember": camel(id_column),
                    "id": values.pop(id_column, None),
                    "properties": {camel(k): v for k, v in values.items() if v is not None},
                })
        return found, total


def _column_examples(table: Any, field: str, spec: Any, numeric: bool) -> list[Any]:
    import numpy as np

    column = table.column(field)
    if numeric:
        from .engine.tables import INT_NULL

        values = column[column != INT_NULL] if column.dtype == np.int64 else column[~np.isnan(column)]
        if not len(values):
            return []
        cast = int if column.dtype == np.int64 else float
        return sorted({cast(values.min()), cast(np.median(values)), cast(values.max())})
    if spec.type == "boolean":
        return ["true", "false"]
    codes, counts = np.unique(column[column >= 0], return_counts=True)
    interner = table.interner(field)
    tally: dict[str, int] = {}
    for code, count in zip(codes.tolist(), counts.tolist()):
        text = interner.decode(int(code))
        for part in text.split("|") if getattr(spec, "categorical", False) and text else [text]:
            if part:
                tally[part] = tally.get(part, 0) + int(count)
    return [value for value, _ in sorted(tally.items(), key=lambda kv: (-kv[1], kv[0]))[:EXAMPLES]]


def _properties(text: Any) -> Any:
    if not text:
        return None
    try:
        return json.loads(text)
    except (TypeError, ValueError):
        return text


def _safe(read: Any) -> Any:
    try:
        return read()
    except Exception:  # noqa: BLE001  (a display detail: never break the overview)
        return None


def form_of(recipe: Any) -> dict[str, Any]:
    """How the console's form asks this endpoint: the runtime operation (None: the recipe has
    no runtime call, e.g. USER_SEGMENTATION serves batch segment jobs only), the fields that
    apply, which of them are required, and what the answer carries."""
    family = recipe.family
    if recipe.recipe_type == "USER_SEGMENTATION":
        return {"operation": None, "fields": [], "required": [], "scores": False, "exploration": False,
                "reason": f"{recipe.name} makes user segments: use a batch segment job."}
    if family in RANKING_FAMILIES:
        operation, fields, required, limit = "GetPersonalizedRanking", ["userId", "inputList", "filter"], ["userId", "inputList"], None
    elif family == "next_best_action":
        operation, fields, required, limit = "GetActionRecommendations", ["userId", "numResults", "filter"], ["userId"], 100
    else:
        operation, limit = "GetRecommendations", 500
        related = family in RELATED_FAMILIES or recipe.item_id_required
        fields = ["itemId", "userId"] if related else ["userId"]
        fields += ["numResults", "filter", "promotion"]
        required = [f for f, needed in (("userId", recipe.user_id_required), ("itemId", recipe.item_id_required)) if needed]
    return {"operation": operation, "fields": fields, "required": required, "maxResults": limit,
            "scores": bool(recipe.scores), "exploration": bool(recipe.exploration)}
