"""Look inside the mock from a test: what was recorded and what was recommended.

    from personalize_mock import inspect
    events = inspect.recorded_events(dataset_group_arn)
    shown = inspect.recommendation("RID-...")["items"]

Reads the backend of one account and region (moto's defaults unless given).
"""

from __future__ import annotations

from typing import Any

DEFAULT_ACCOUNT = "123456789012"
DEFAULT_REGION = "us-east-1"


def backend(account_id: str = DEFAULT_ACCOUNT, region: str = DEFAULT_REGION) -> Any:
    from .backend import personalize_backends

    return personalize_backends[account_id][region]


def recorded_events(dataset_group_arn: str | None = None, *, account_id: str = DEFAULT_ACCOUNT,
                    region: str = DEFAULT_REGION) -> list[dict[str, Any]]:
    """Events recorded through PutEvents / PutActionInteractions, oldest first, each with
    ``userId``, ``itemId``, ``eventType``, ``sentAt`` (epoch seconds), ``recommendationId`` and
    ``impression`` — the explicit list, or the items of the named recommendation."""
    store = backend(account_id, region)
    with store.lock:
        return [
            dict(event, datasetArn=dataset.arn)
            for dataset in store.datasets
            if dataset_group_arn in (None, dataset.dataset_group_arn)
            for event in dataset.events_log
        ]


def recommendation(recommendation_id: str, *, account_id: str = DEFAULT_ACCOUNT,
                   region: str = DEFAULT_REGION) -> dict[str, Any] | None:
    """What a runtime response with this ``recommendationId`` returned: ``endpointArn``,
    ``userId`` and ``items`` (None if the id is unknown)."""
    store = backend(account_id, region)
    with store.lock:
        found = store.recommendations.get(recommendation_id)
        if found is None:
            return None
        return {"endpointArn": found.endpoint_arn, "userId": found.user_id, "items": list(found.items)}
