"""personalize-events: PutEvents, PutUsers, PutItems, PutActions, PutActionInteractions.

Records are checked against the target dataset's schema and stored in its table as rows of
origin PUT: training and exports see them, FULL imports leave them alone.
"""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

from .. import states
from ..exceptions import (
    InvalidInputException,
    ResourceInUseException,
    ResourceNotFoundException,
)
from .base import Store
from .datasets import Dataset, EventTracker

MAX_EVENT_BYTES = 10 * 1024
MAX_TEXTUAL = 20_000
# Keys an event's properties may not use (Event.properties / ActionInteraction.properties:
# "can't be included as a keyword for properties (case insensitive)"). Every other column of
# the schema is reachable by its camelCase name -- ``itemId`` and ``eventValue`` included:
# older SDKs had no top-level itemId and sent it there. A top-level member wins over it.
FORBIDDEN_PROPERTIES = {"userid", "sessionid", "eventtype", "timestamp", "recommendationid", "impression"}


def camel(column: str) -> str:
    """Schema column -> properties key: NUM_RATINGS -> numRatings."""
    head, *rest = column.lower().split("_")
    return head + "".join(part.capitalize() for part in rest)


def epoch_seconds(value: Any) -> int:
    return int(value.timestamp() if isinstance(value, datetime) else float(value))


class EventsMixin:
    """Backend operations of the personalize-events API. Mixed into PersonalizeBackend."""

    datasets: Store[Dataset]

    # ---- shared checks -------------------------------------------------------------------
    def _put_target(self, dataset_arn: str, kind: str) -> Dataset:
        dataset = self.datasets.get(dataset_arn)
        if dataset.dataset_type != kind:
            raise InvalidInputException(
                f"Dataset {dataset_arn} is a {dataset.dataset_type} dataset; this operation writes to {kind} datasets."
            )
        if dataset.status != states.ACTIVE:
            raise ResourceInUseException(f"Dataset {dataset_arn} is {dataset.status}; it must be ACTIVE.")
        return dataset

    @staticmethod
    def _properties(dataset: Dataset, text: str | None, where: str, own: str | None = None) -> dict[str, Any]:
        """``properties`` (a JSON string with camelCase keys) -> ``{column: value}``, checked
        against the schema's types. ``own`` is a metadata record's id column, which its own
        member sets."""
        if text is None:
            return {}
        try:
            given = json.loads(text)
        except ValueError:
            raise InvalidInputException(f"{where}.properties is not valid JSON: {text[:100]}") from None
        if not isinstance(given, dict):
            raise InvalidInputException(f"{where}.properties must be a JSON object.")
        by_key = {
            camel(f.name): f for f in dataset.fields
            if f.name != own and camel(f.name).lower() not in FORBIDDEN_PROPERTIES
        }
        record: dict[str, Any] = {}
        for key, value in given.items():
            if key.lower() in FORBIDDEN_PROPERTIES:
                raise InvalidInputException(f"{where}.properties may not contain the key {key}.")
            field = by_key.get(key)
            if field is None:
                known = ", ".join(sorted(by_key)) or "none"
                raise InvalidInputException(
                    f"{where}.properties has the key {key}, which is not a field of the dataset's "
                    f"schema (keys are the camelCase column names: {known})."
                )
            record[field.name] = _checked(field, value, f"{where}.properties.{key}")
        return record

    @staticmethod
    def _complete(dataset: Dataset, record: dict[str, Any], where: str) -> dict[str, Any]:
        missing = [f.name for f in dataset.fields if not f.nullable and record.get(f.name) is None]
        if missing:
            raise InvalidInputException(
                f"{where} lacks required fields of the dataset's schema: {', '.join(missing)}."
            )
        return record

    @staticmethod
    def _store(dataset: Dataset, records: list[dict[str, Any]]) -> None:
        from ..engine.tables import ORIGIN_PUT

        table = dataset.table
        table.append(table.batch_from_records(records), ORIGIN_PUT)
        dataset.touch()

    # ---- PutEvents -----------------------------------------------------------------------
    def put_events(
        self, tracking_id: str, session_id: str, event_list: list[dict[str, Any]], user_id: str | None = None
    ) -> None:
        tracker: EventTracker = self.tracker_for(tracking_id)  # type: ignore[attr-defined]
        dataset = self.group_dataset(tracker.dataset_group_arn, "INTERACTIONS")
        if dataset is None:
            raise InvalidInputException(
                f"Dataset group {tracker.dataset_group_arn} has no Interactions dataset to record events in."
            )
        def columns(event: dict[str, Any]) -> dict[str, Any]:
            impression = self._impression(event)
            return {
                "USER_ID": user_id or session_id,
                "ITEM_ID": event.get("itemId"),
                "TIMESTAMP": epoch_seconds(event["sentAt"]),
                "EVENT_TYPE": event["eventType"],
                "EVENT_VALUE": event.get("eventValue"),
                "IMPRESSION": "|".join(impression) if impression else None,
                "RECOMMENDATION_ID": event.get("recommendationId"),
                "EVENT_ATTRIBUTION_SOURCE": self._attribution(event),
            }

        self._record_events(dataset, event_list, "eventList", columns, session_id)

    def _attribution(self, event: dict[str, Any]) -> str | None:
        """An event's attribution source: the one it names, else the campaign or recommender
        that produced the recommendation it refers to."""
        given = (event.get("metricAttribution") or {}).get("eventAttributionSource")
        if given:
            return given
        remembered = self.recommendations.get(event.get("recommendationId") or "")  # type: ignore[attr-defined]
        return remembered.endpoint_arn if remembered else None

    def _impression(self, event: dict[str, Any]) -> list[str] | None:
        """The items shown with an event: its explicit ``impression`` list, else the items of
        the response its ``recommendationId`` names (the implicit impression)."""
        if event.get("impression"):
            return list(event["impression"])
        remembered = self.recommendations.get(event.get("recommendationId") or "")  # type: ignore[attr-defined]
        return list(remembered.items) if remembered else None

    def _record_events(self, dataset: Dataset, events: list[dict[str, Any]], member: str,
                       columns: Any, session_id: str | None = None) -> None:
        """Store events (PutEvents, PutActionInteractions): size limit, eventIds already seen
        dropped, ``properties`` and the request's own members (``columns(event)``) checked."""
        known = {f.name for f in dataset.fields}
        records = []
        seen: set[str] = set()
        for index, event in enumerate(events, start=1):
            where = f"{member}.{index}"
            if len(json.dumps(event, default=str)) > MAX_EVENT_BYTES:
                raise InvalidInputException(f"{where} is larger than the 10 KB an event may take.")
            event_id = event.get("eventId")
            if event_id:
                if event_id in dataset.event_ids or event_id in seen:
                    continue  # a repeated eventId is not used again
                seen.add(event_id)
            record = self._properties(dataset, event.get("properties"), where)
            given = columns(event)
            record.update({k: v for k, v in given.items() if k in known and v is not None})
            records.append(self._complete(dataset, record, where))
            shown = given.get("IMPRESSION")
            dataset.events_log.append({
                "userId": given["USER_ID"],
                "itemId": record.get("ITEM_ID") or record.get("ACTION_ID"),
                "eventType": given["EVENT_TYPE"],
                "sentAt": given["TIMESTAMP"],
                "recommendationId": given.get("RECOMMENDATION_ID"),
                "impression": shown.split("|") if shown else [],
                # As sent (the console shows them): eventId, sessionId, eventValue, properties.
                "eventId": event.get("eventId"),
                "sessionId": session_id or event.get("sessionId"),
                "eventValue": given.get("EVENT_VALUE"),
                "properties": event.get("properties"),
            })
        self._store(dataset, records)
        dataset.event_ids.update(seen)

    # ---- PutUsers / PutItems / PutActions ------------------------------------------------
    def _put_records(self, dataset_arn: str, kind: str, id_member: str, id_column: str,
                     entries: list[dict[str, Any]], plural: str) -> None:
        dataset = self._put_target(dataset_arn, kind)
        records = []
        for index, entry in enumerate(entries, start=1):
            where = f"{plural}.{index}"
            record = self._properties(dataset, entry.get("properties"), where, own=id_column)
            record[id_column] = entry[id_member]
            records.append(self._complete(dataset, record, where))
        self._store(dataset, records)

    def put_users(self, dataset_arn: str, users: list[dict[str, Any]]) -> None:
        self._put_records(dataset_arn, "USERS", "userId", "USER_ID", users, "users")

    def put_items(self, dataset_arn: str, items: list[dict[str, Any]]) -> None:
        self._put_records(dataset_arn, "ITEMS", "itemId", "ITEM_ID", items, "items")

    def put_actions(self, dataset_arn: str, actions: list[dict[str, Any]]) -> None:
        self._put_records(dataset_arn, "ACTIONS", "actionId", "ACTION_ID", actions, "actions")

    # ---- PutActionInteractions -----------------------------------------------------------
    def put_action_interactions(self, tracking_id: str, action_interactions: list[dict[str, Any]]) -> None:
        dataset = next(
            (d for d in self.datasets if d.dataset_type == "ACTION_INTERACTIONS" and d.tracking_id == tracking_id),
            None,
        )
        if dataset is None:
            raise ResourceNotFoundException(
                f"Could not find an Action_Interactions dataset with tracking id {tracking_id}."
            )
        if dataset.status != states.ACTIVE:
            raise ResourceInUseException(f"Dataset {dataset.arn} is {dataset.status}; it must be ACTIVE.")
        def columns(entry: dict[str, Any]) -> dict[str, Any]:
            impression = self._impression(entry)
            return {
                "USER_ID": entry.get("userId") or entry["sessionId"],
                "ACTION_ID": entry["actionId"],
                "TIMESTAMP": epoch_seconds(entry["timestamp"]),
                "EVENT_TYPE": entry["eventType"],
                "IMPRESSION": "|".join(impression) if impression else None,
                "RECOMMENDATION_ID": entry.get("recommendationId"),
            }

        self._record_events(dataset, action_interactions, "actionInteractions", columns)


_NUMBER = (int, float)


def _checked(field: Any, value: Any, where: str) -> Any:
    """A properties value, type-checked against its schema field."""
    if value is None:
        if field.nullable:
            return None
        raise InvalidInputException(f"{where} may not be null: the field {field.name} is not nullable.")
    kind = field.type
    ok = (
        isinstance(value, str) if kind == "string"
        else isinstance(value, bool) if kind == "boolean"
        else isinstance(value, int) and not isinstance(value, bool) if kind in ("int", "long")
        else isinstance(value, _NUMBER) and not isinstance(value, bool)
    )
    if not ok:
        raise InvalidInputException(f"{where} must be a {kind} for the field {field.name}; got {value!r}.")
    if kind == "string" and getattr(field, "categorical", False):
        if any(len(part) > 1000 for part in value.split("|")):
            raise InvalidInputException(f"{where} has a categorical value longer than 1000 characters.")
    if kind == "string" and field.name.endswith("_ID") and len(value) > 256:
        raise InvalidInputException(f"{where} is longer than 256 characters.")
    if kind == "string" and getattr(field, "textual", False):
        return value[:MAX_TEXTUAL]  # truncated, as bulk imports are
    return float(value) if kind in ("float", "double") else value


