"""Schemas, dataset groups, datasets and event trackers, and the backend operations on them."""

from __future__ import annotations

from typing import Any

from moto.moto_api._internal import mock_random

from .. import states
from ..exceptions import (
    InvalidInputException,
    LimitExceededException,
    ResourceAlreadyExistsException,
    ResourceInUseException,
)
from .base import Resource, Store, now, paginated, unused
from .schema_rules import (
    DATASET_TYPES,
    Field,
    check_dataset_schema,
    check_record_name,
    interactions_limit_problem,
    parse_schema,
)

MAX_DATASET_GROUPS = 5
MAX_SCHEMAS = 500


class Schema(Resource):
    kind = "schema"
    status = states.ACTIVE  # type: ignore[assignment]  # schemas have no lifecycle

    def __init__(self, arn: str, name: str, schema: str, domain: str | None, fields: list[Field]) -> None:
        super().__init__(arn, name)
        self.schema = schema
        self.domain = domain
        self.fields = fields


class DatasetGroup(Resource):
    kind = "dataset-group"
    delete_table = states.DELETE_PENDING_ONLY

    def __init__(self, arn: str, name: str, role_arn: str | None, kms_key_arn: str | None, domain: str | None) -> None:
        super().__init__(arn, name)
        self.role_arn = role_arn
        self.kms_key_arn = kms_key_arn
        self.domain = domain
        self._catalog: Any = None

    @property
    def catalog(self) -> Any:
        """The group's id spaces (``engine.tables.Catalog``), shared by its datasets."""
        if self._catalog is None:
            from ..engine.tables import (
                Catalog,  # numpy loads on first data, not on import
            )

            self._catalog = Catalog()
        return self._catalog


class DatasetUpdate:
    """``latestDatasetUpdate``: follows the dataset's own UPDATE states."""

    def __init__(self, dataset: Dataset, schema_arn: str) -> None:
        self._dataset = dataset
        self.schema_arn = schema_arn
        self.creation_date_time = now()
        self.failure_reason = None

    @property
    def status(self) -> str:
        status = self._dataset.status
        return status if status in (states.UPDATE_PENDING, states.UPDATE_IN_PROGRESS) else states.ACTIVE

    @property
    def last_updated_date_time(self) -> Any:
        return self._dataset.last_updated_date_time


# The id column that identifies a record of a metadata dataset (same id -> replaced).
RECORD_KEYS = {"ITEMS": "ITEM_ID", "USERS": "USER_ID", "ACTIONS": "ACTION_ID"}


class Dataset(Resource):
    kind = "dataset"

    def __init__(self, arn: str, name: str, group: DatasetGroup, dataset_type: str, schema: Schema,
                 tracking_id: str | None = None) -> None:
        super().__init__(arn, name)
        self.group = group
        self.dataset_group_arn = group.arn
        self.dataset_type = dataset_type
        self.schema_arn = schema.arn
        self.fields = schema.fields
        self._table: Any = None
        self.has_bulk_data = False
        self.event_ids: set[str] = set()  # eventIds already recorded (repeats are dropped)
        # Events recorded through the events API, newest last, with their resolved impressions:
        # what personalize_mock.inspect shows and what training reads impressions from.
        from collections import deque

        self.events_log: deque[dict[str, Any]] = deque(maxlen=100_000)
        self.latest_dataset_update: DatasetUpdate | None = None
        # Action interactions are streamed through a tracker the service creates itself: the
        # ACTION_INTERACTIONS dataset's tracking id (None for the other types).
        self.tracking_id = tracking_id

    @property
    def table(self) -> Any:
        """The dataset's rows (``engine.tables.Table``), created on first use."""
        if self._table is None:
            from ..engine.tables import Table

            self._table = Table(self.fields, self.group.catalog, RECORD_KEYS.get(self.dataset_type))
        return self._table

    def import_problem(self, batch: dict[str, Any], replace: bool) -> str | None:
        """A dataset-wide rule a bulk batch would break once stored (the import job's failure
        reason), or None. ``replace``: a FULL import, which keeps only the events-API rows."""
        if self.dataset_type != "INTERACTIONS":
            return None
        import numpy as np

        from ..engine.tables import ORIGIN_PUT

        table = self.table
        codes = [batch.get("EVENT_TYPE", np.empty(0, np.int32))]
        if "EVENT_TYPE" in table.dtypes and len(table):
            column = table.column("EVENT_TYPE")
            codes.append(column[table.origin == ORIGIN_PUT] if replace else column)
        present = np.unique(np.concatenate(codes))
        names = table.interner("EVENT_TYPE").values if "EVENT_TYPE" in table.dtypes else []
        return interactions_limit_problem(self.fields, {names[c] for c in present.tolist() if c >= 0})

    def change_schema(self, schema: Schema) -> None:
        """UpdateDataset: keep the rows; columns the new schema lacks are dropped, new ones
        are null."""
        self.schema_arn = schema.arn
        self.fields = schema.fields
        if self._table is not None:
            from ..engine.tables import ORIGIN_BULK, ORIGIN_PUT

            old, self._table = self._table, None
            new = self.table
            new.strings = old.strings
            common = {f.name for f in self.fields if old.dtypes.get(f.name) == new.dtypes[f.name]}
            for origin in (ORIGIN_BULK, ORIGIN_PUT):
                keep = old.origin == origin
                new.append({name: old.column(name)[keep] for name in common}, origin)


class EventTracker(Resource):
    kind = "event-tracker"

    def __init__(self, arn: str, name: str, account_id: str, group: DatasetGroup, tracking_id: str) -> None:
        super().__init__(arn, name)
        self.account_id = account_id
        self.dataset_group_arn = group.arn
        self.tracking_id = tracking_id


class DatasetsMixin:
    """Backend operations for the data-model resources. Mixed into PersonalizeBackend."""

    schemas: Store[Schema]
    dataset_groups: Store[DatasetGroup]
    datasets: Store[Dataset]
    event_trackers: Store[EventTracker]

    # ---- schemas -------------------------------------------------------------------------
    def create_schema(self, name: str, schema: str, domain: str | None = None) -> dict[str, Any]:
        fields = parse_schema(schema)
        if sum(1 for _ in self.schemas) >= MAX_SCHEMAS:
            raise LimitExceededException(f"More than {MAX_SCHEMAS} schemas in this region.")
        created = self.schemas.add(Schema(self.arn(f"schema/{name}"), name, schema, domain, fields))
        return {"schemaArn": created.arn}

    def describe_schema(self, schema_arn: str) -> dict[str, Any]:
        return {"schema": self.schemas.describe(schema_arn)}

    @paginated("schemas")
    def list_schemas(self) -> list[Schema]:
        return self.schemas.listed()

    def delete_schema(self, schema_arn: str) -> None:
        self.schemas.get(schema_arn)
        users = [d.arn for d in self.datasets if d.schema_arn == schema_arn]
        if users:
            raise ResourceInUseException(
                f"Schema {schema_arn} is used by dataset(s) {', '.join(users)}; delete them first."
            )
        self.schemas.remove(schema_arn)

    # ---- dataset groups ------------------------------------------------------------------
    def create_dataset_group(
        self,
        name: str,
        role_arn: str | None = None,
        kms_key_arn: str | None = None,
        domain: str | None = None,
        tags: list[dict[str, str]] | None = None,
    ) -> dict[str, Any]:
        if kms_key_arn and not role_arn:
            raise InvalidInputException("A roleArn is required when a kmsKeyArn is given.")
        if role_arn and not kms_key_arn:
            # API reference, CreateDatasetGroup.roleArn: "Supplying an IAM role is only valid
            # when also specifying a KMS key."
            raise InvalidInputException(
                "roleArn is only valid together with kmsKeyArn: the role gives access to the KMS key."
            )
        if sum(1 for g in self.dataset_groups if not g.deleting) >= MAX_DATASET_GROUPS:
            raise LimitExceededException(
                f"More than {MAX_DATASET_GROUPS} dataset groups in this region: delete one first."
            )
        group = DatasetGroup(self.arn(f"dataset-group/{name}"), name, role_arn, kms_key_arn, domain)
        self.create_tagged(self.dataset_groups, group, tags)
        return {"datasetGroupArn": group.arn, "domain": domain}

    def describe_dataset_group(self, dataset_group_arn: str) -> dict[str, Any]:
        return {"datasetGroup": self.dataset_groups.describe(dataset_group_arn)}

    @paginated("datasetGroups")
    def list_dataset_groups(self) -> list[DatasetGroup]:
        return self.dataset_groups.listed()

    def delete_dataset_group(self, dataset_group_arn: str) -> None:
        group = self.dataset_groups.get(dataset_group_arn)
        if group.deleting:
            raise ResourceInUseException(f"Dataset group {dataset_group_arn} is already being deleted.")
        children = [r.arn for r in self.group_children(dataset_group_arn)]
        if children:
            raise ResourceInUseException(
                f"Dataset group {dataset_group_arn} still contains {', '.join(children)}; "
                "delete them first."
            )
        group.start_delete()

    def active_group(self, dataset_group_arn: str) -> DatasetGroup:
        group = self.dataset_groups.get(dataset_group_arn)
        if group.status != states.ACTIVE:
            raise ResourceInUseException(
                f"Dataset group {dataset_group_arn} is {group.status}; it must be ACTIVE."
            )
        return group

    # ---- datasets ------------------------------------------------------------------------
    def group_dataset(self, dataset_group_arn: str, kind: str) -> Dataset | None:
        """The group's dataset of one type (``INTERACTIONS``, ``ITEMS``, ...), found by its
        ARN (``dataset/{group name}/{TYPE}``) rather than by scanning."""
        arn = dataset_group_arn.replace(":dataset-group/", ":dataset/", 1) + "/" + kind
        return self.datasets.find(arn)

    def _schema_for(self, schema_arn: str, dataset_type: str, group: DatasetGroup) -> Schema:
        schema = self.schemas.get(schema_arn)
        if (schema.domain or None) != (group.domain or None):
            raise InvalidInputException(
                f"Schema {schema_arn} has domain {schema.domain or 'none'} but dataset group "
                f"{group.arn} has domain {group.domain or 'none'}; they must match."
            )
        check_record_name(schema.schema, dataset_type)
        check_dataset_schema(schema.fields, dataset_type, group.domain)
        return schema

    def create_dataset(
        self,
        name: str,
        schema_arn: str,
        dataset_group_arn: str,
        dataset_type: str,
        tags: list[dict[str, str]] | None = None,
    ) -> dict[str, Any]:
        kind = dataset_type.upper()
        if kind not in DATASET_TYPES:
            raise InvalidInputException(
                f"Invalid datasetType {dataset_type}: use one of Interactions, Items, Users, "
                "Actions, Action_Interactions."
            )
        group = self.active_group(dataset_group_arn)
        if group.domain and kind in ("ACTIONS", "ACTION_INTERACTIONS"):
            raise InvalidInputException(f"{dataset_type} datasets are not supported in a Domain dataset group.")
        schema = self._schema_for(schema_arn, kind, group)
        tracking_id = self._fresh_tracking_id() if kind == "ACTION_INTERACTIONS" else None
        dataset = Dataset(self.arn(f"dataset/{group.name}/{kind}"), name, group, kind, schema, tracking_id)
        if self.datasets.find(dataset.arn):
            raise ResourceAlreadyExistsException(
                f"Dataset group {dataset_group_arn} already has a {kind} dataset."
            )
        self.create_tagged(self.datasets, dataset, tags)
        return {"datasetArn": dataset.arn}

    def describe_dataset(self, dataset_arn: str) -> dict[str, Any]:
        return {"dataset": self.datasets.describe(dataset_arn)}

    @paginated("datasets")
    def list_datasets(self, dataset_group_arn: str | None = None) -> list[Dataset]:
        return self.datasets.listed(lambda d: dataset_group_arn in (None, d.dataset_group_arn))

    def update_dataset(self, dataset_arn: str, schema_arn: str) -> dict[str, Any]:
        dataset = self.datasets.get(dataset_arn)
        if dataset.status != states.ACTIVE:
            raise ResourceInUseException(f"Dataset {dataset_arn} is {dataset.status}; it must be ACTIVE.")
        group = self.dataset_groups.get(dataset.dataset_group_arn)
        schema = self._schema_for(schema_arn, dataset.dataset_type, group)
        dataset.change_schema(schema)
        dataset.latest_dataset_update = DatasetUpdate(dataset, schema.arn)
        dataset.start_update()
        return {"datasetArn": dataset.arn}

    def delete_dataset(self, dataset_arn: str) -> None:
        dataset = self.datasets.get(dataset_arn)
        if dataset.deleting:
            raise ResourceInUseException(f"Dataset {dataset_arn} is already being deleted.")
        if any(job.running and job.dataset_arn == dataset_arn for job in self.import_jobs):  # type: ignore[attr-defined]
            raise ResourceInUseException(f"Dataset {dataset_arn} has an import job in progress.")
        dataset.start_delete()

    # ---- event trackers ------------------------------------------------------------------
    def create_event_tracker(
        self, name: str, dataset_group_arn: str, tags: list[dict[str, str]] | None = None
    ) -> dict[str, Any]:
        group = self.active_group(dataset_group_arn)
        if any(t.name == name for t in self.event_trackers):
            raise ResourceAlreadyExistsException(f"An event tracker named {name} already exists.")
        if any(t.dataset_group_arn == group.arn for t in self.event_trackers):
            raise ResourceAlreadyExistsException(
                f"Dataset group {dataset_group_arn} already has an event tracker; a group can have only one."
            )
        tracker_id = unused(lambda: mock_random.get_random_hex(8), lambda t: self.arn(f"event-tracker/{t}") in self.event_trackers)
        tracker = EventTracker(self.arn(f"event-tracker/{tracker_id}"), name, self.account_id, group,
                               self._fresh_tracking_id())
        self.create_tagged(self.event_trackers, tracker, tags)
        return {"eventTrackerArn": tracker.arn, "trackingId": tracker.tracking_id}

    def describe_event_tracker(self, event_tracker_arn: str) -> dict[str, Any]:
        return {"eventTracker": self.event_trackers.describe(event_tracker_arn)}

    @paginated("eventTrackers")
    def list_event_trackers(self, dataset_group_arn: str | None = None) -> list[EventTracker]:
        return self.event_trackers.listed(lambda t: dataset_group_arn in (None, t.dataset_group_arn))

    def delete_event_tracker(self, event_tracker_arn: str) -> None:
        tracker = self.event_trackers.get(event_tracker_arn)
        if tracker.deleting:
            raise ResourceInUseException(f"Event tracker {event_tracker_arn} is already being deleted.")
        tracker.start_delete()

    def _fresh_tracking_id(self) -> str:
        """A tracking id (PutEvents' event trackers, PutActionInteractions' ACTION_INTERACTIONS
        datasets) that no event tracker or dataset holds yet: a restored state plus the seed
        switch replays moto's random ids, so a drawn one can already be taken."""
        held = {t.tracking_id for t in self.event_trackers} | {d.tracking_id for d in self.datasets}
        return unused(lambda: str(mock_random.uuid4()), held.__contains__)

    def tracker_for(self, tracking_id: str) -> EventTracker:
        """The ACTIVE event tracker with this tracking id (PutEvents).

        botocore models only ``InvalidInputException`` for PutEvents, so an unknown or not yet
        ACTIVE tracking id is reported with it."""
        tracker = next((t for t in self.event_trackers if t.tracking_id == tracking_id), None)
        if tracker is None:
            raise InvalidInputException(f"Could not find an event tracker with tracking id {tracking_id}.")
        if tracker.status != states.ACTIVE:
            raise InvalidInputException(f"Event tracker {tracker.arn} is {tracker.status}; it must be ACTIVE.")
        return tracker

