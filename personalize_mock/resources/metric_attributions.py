"""Metric attributions: which event metrics a dataset group reports, and where to."""

from __future__ import annotations

import re
from typing import Any

from .. import states
from ..exceptions import (
    InvalidInputException,
    LimitExceededException,
    ResourceAlreadyExistsException,
    ResourceInUseException,
)
from .base import Resource, Store, paginated
from .datasets import Dataset, DatasetGroup

MAX_METRICS = 10
EXPRESSION = re.compile(r"^\s*(?:SUM\(\s*(Interactions|Items)\.([A-Za-z_][A-Za-z0-9_]*)\s*\)|SAMPLECOUNT\(\s*\))\s*$", re.I)


class Metric:
    """One ``MetricAttribute``; ``arn`` is its name, so the paginator can key on it."""

    def __init__(self, raw: dict[str, Any]) -> None:
        self.event_type = raw["eventType"]
        self.metric_name = raw["metricName"]
        self.expression = raw["expression"]
        self.arn = self.metric_name


class MetricAttribution(Resource):
    kind = "metric-attribution"

    def __init__(self, arn: str, name: str, group: DatasetGroup, metrics: list[Metric],
                 output: dict[str, Any]) -> None:
        super().__init__(arn, name)
        self.dataset_group_arn = group.arn
        self.metrics = metrics
        self.metrics_output_config = output


class MetricAttributionsMixin:
    """Backend operations for metric attributions. Mixed into PersonalizeBackend."""

    dataset_groups: Store[DatasetGroup]
    metric_attributions: Store[MetricAttribution]

    def _checked_metrics(self, group: DatasetGroup, raw: list[dict[str, Any]]) -> list[Metric]:
        interactions: Dataset | None = self.group_dataset(group.arn, "INTERACTIONS")  # type: ignore[attr-defined]
        items: Dataset | None = self.group_dataset(group.arn, "ITEMS")  # type: ignore[attr-defined]
        if interactions is None or not any(f.name == "EVENT_TYPE" for f in interactions.fields):
            raise InvalidInputException(
                f"Dataset group {group.arn} needs an Interactions dataset with an EVENT_TYPE column for metric attribution."
            )
        metrics = [Metric(m) for m in raw]
        names = [m.metric_name for m in metrics]
        if len(set(names)) != len(names):
            raise InvalidInputException("Metric names must be unique within a metric attribution.")
        for metric in metrics:
            match = EXPRESSION.match(metric.expression)
            if not match:
                raise InvalidInputException(
                    f"Metric {metric.metric_name}: expression '{metric.expression}' must be "
                    "SUM(Interactions.COLUMN), SUM(Items.COLUMN) or SAMPLECOUNT()."
                )
            if match.group(1):
                dataset = interactions if match.group(1).lower() == "interactions" else items
                column = next((f for f in dataset.fields if f.name.upper() == match.group(2).upper()), None) if dataset else None
                if column is None or column.type not in ("int", "long", "float", "double"):
                    raise InvalidInputException(
                        f"Metric {metric.metric_name}: {match.group(1)}.{match.group(2)} must be a numeric column of that dataset."
                    )
        return metrics

    def create_metric_attribution(
        self, name: str, dataset_group_arn: str, metrics: list[dict[str, Any]], metrics_output_config: dict[str, Any],
    ) -> dict[str, Any]:
        arn = self.arn(f"metric-attribution/{name}")  # type: ignore[attr-defined]
        self.metric_attributions.ensure_new(arn)
        group = self.dataset_groups.get(dataset_group_arn)
        if group.status != states.ACTIVE:
            raise ResourceInUseException(f"Dataset group {dataset_group_arn} is {group.status}; it must be ACTIVE.")
        if any(m.dataset_group_arn == group.arn for m in self.metric_attributions):
            raise LimitExceededException(f"Dataset group {dataset_group_arn} already has a metric attribution.")
        attribution = MetricAttribution(arn, name, group, self._checked_metrics(group, metrics), metrics_output_config)
        self.metric_attributions.add(attribution)
        return {"metricAttributionArn": attribution.arn}

    def describe_metric_attribution(self, metric_attribution_arn: str) -> dict[str, Any]:
        return {"metricAttribution": self.metric_attributions.describe(metric_attribution_arn)}

    @paginated("metricAttributions")
    def list_metric_attributions(self, dataset_group_arn: str | None = None) -> list[MetricAttribution]:
        return self.metric_attributions.listed(lambda m: dataset_group_arn in (None, m.dataset_group_arn))

    @paginated("metrics")
    def list_metric_attribution_metrics(self, metric_attribution_arn: str | None = None) -> list[Metric]:
        if not metric_attribution_arn:
            return []
        found = self.metric_attributions.find(metric_attribution_arn)
        return list(found.metrics) if found else []

    def update_metric_attribution(
        self, add_metrics: list[dict[str, Any]] | None = None, remove_metrics: list[str] | None = None,
        metrics_output_config: dict[str, Any] | None = None, metric_attribution_arn: str | None = None,
    ) -> dict[str, Any]:
        if not metric_attribution_arn:
            raise InvalidInputException("metricAttributionArn is required.")
        attribution = self.metric_attributions.get(metric_attribution_arn)
        if attribution.status != states.ACTIVE:
            raise ResourceInUseException(f"Metric attribution {metric_attribution_arn} is {attribution.status}; it must be ACTIVE.")
        group = self.dataset_groups.get(attribution.dataset_group_arn)
        removing = set(remove_metrics or [])
        unknown = removing - {m.metric_name for m in attribution.metrics}
        if unknown:
            raise InvalidInputException(f"No metric named {sorted(unknown)[0]} to remove.")
        kept = [m for m in attribution.metrics if m.metric_name not in removing]
        added = self._checked_metrics(group, add_metrics or []) if add_metrics else []
        clash = {m.metric_name for m in kept} & {m.metric_name for m in added}
        if clash:
            raise ResourceAlreadyExistsException(f"Metric {sorted(clash)[0]} already exists in {metric_attribution_arn}.")
        if len(kept) + len(added) > MAX_METRICS:
            raise InvalidInputException(f"A metric attribution holds at most {MAX_METRICS} metrics.")
        attribution.metrics = kept + added
        if metrics_output_config:
            attribution.metrics_output_config = metrics_output_config
        attribution.start_update()
        return {"metricAttributionArn": attribution.arn}

    def delete_metric_attribution(self, metric_attribution_arn: str) -> None:
        attribution = self.metric_attributions.get(metric_attribution_arn)
        if attribution.deleting:
            raise ResourceInUseException(f"Metric attribution {metric_attribution_arn} is already being deleted.")
        attribution.start_delete()
