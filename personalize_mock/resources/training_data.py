"""A dataset group's tables -> ``engine.training.TrainingData`` (plain arrays for the models)."""

from __future__ import annotations

from typing import Any

import numpy as np

from ..engine.tables import Table
from ..engine.training import TrainingData, TrainingError
from .datasets import Dataset


def _strings(table: Table, name: str) -> np.ndarray | None:
    """A string column decoded to an object array (None for null); None if absent."""
    if name not in table.dtypes:
        return None
    values = np.array(table.interner(name).values + [None], dtype=object)
    return values[table.column(name)]  # code -1 picks the trailing None


def _metadata(table: Table, key: str) -> dict[int, dict[str, Any]]:
    """Per record: every non-id column's value (categorical strings split on ``|``)."""
    codes = table.column(key)
    result: dict[int, dict[str, Any]] = {int(c): {} for c in codes}
    for field in table.fields:
        if field.name == key:
            continue
        column = table.column(field.name)
        for code, raw in zip(codes.tolist(), column.tolist()):
            value = table.value(field.name, raw)
            if value is None:
                continue
            if getattr(field, "categorical", False):
                value = set(str(value).split("|"))
            result[code][field.name] = value
    return result


def training_data(datasets: dict[str, Dataset]) -> TrainingData:
    """The arrays training reads. Raises ``TrainingError`` ("Create failed. ...") when the stored
    interactions break a dataset-wide rule: streamed events can get there after the imports'
    checks, and training refuses such data."""
    interactions = datasets.get("INTERACTIONS")
    if interactions is not None:
        limit = interactions.import_problem({}, replace=False)
        if limit:
            raise TrainingError(f"Create failed. {limit}")
        table = interactions.table
        values = table.column("EVENT_VALUE").astype(np.float64) if "EVENT_VALUE" in table.dtypes else None
        data = TrainingData(
            table.column("USER_ID"), table.column("ITEM_ID"), table.column("TIMESTAMP"),
            _strings(table, "EVENT_TYPE"), values,
        )
    else:
        empty = np.empty(0, np.int32)
        data = TrainingData(empty, empty, np.empty(0, np.int64))
    if interactions is not None:
        data.impressions = _impressions(interactions)
        # Contextual metadata (DEVICE, ...): the interactions' categorical fields, for engine/context.py.
        data.context = {f.name: _strings(interactions.table, f.name) for f in interactions.table.fields
                        if getattr(f, "categorical", False) and f.name not in ("EVENT_TYPE", "IMPRESSION")}
    items = datasets.get("ITEMS")
    if items is not None and len(items.table):
        table = items.table
        data.catalogue_items = table.column("ITEM_ID")
        metadata = _metadata(table, "ITEM_ID")
        data.item_creation = {
            code: int(meta.pop("CREATION_TIMESTAMP")) for code, meta in metadata.items()
            if "CREATION_TIMESTAMP" in meta
        }
        data.item_metadata = {
            code: {k: v for k, v in meta.items() if isinstance(v, set)} for code, meta in metadata.items()
        }
    actions = datasets.get("ACTIONS")
    if actions is not None and len(actions.table):
        data.actions = _metadata(actions.table, "ACTION_ID")
    action_interactions = datasets.get("ACTION_INTERACTIONS")
    if action_interactions is not None and len(action_interactions.table):
        table = action_interactions.table
        data.action_users = table.column("USER_ID")
        data.action_codes = table.column("ACTION_ID")
        data.action_timestamps = table.column("TIMESTAMP")
        data.action_event_types = _strings(table, "EVENT_TYPE")
    return data


def _impressions(dataset: Dataset) -> dict[int, set[int]]:
    """user code -> item codes shown to the user (IMPRESSION column and events-API log)."""
    table = dataset.table
    catalog = table.catalog
    shown: dict[int, set[int]] = {}

    def add(user: int | None, items: Any) -> None:
        codes = {c for c in (catalog.items.find(i) for i in items) if c is not None}
        if user is not None and codes:
            shown.setdefault(int(user), set()).update(codes)

    if "IMPRESSION" in table.dtypes:
        column = table.column("IMPRESSION")
        users = table.column("USER_ID")
        for row in np.flatnonzero(column >= 0).tolist():
            add(int(users[row]), table.strings.values[column[row]].split("|"))
    for event in dataset.events_log:
        if event["impression"]:
            add(catalog.users.find(event["userId"]), event["impression"])
    return shown
