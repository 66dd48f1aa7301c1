"""Data jobs: dataset import, dataset export and data deletion.

A job does its work when it is created, all or nothing: the data are read and checked first,
and the dataset changes only when every file passed. The status progression afterwards is
what users observe; a job whose work failed ends in its failed status with the reason.
A job that writes to S3 (export here, batch jobs in ``batch.py``) holds its output until the
job is seen running: see ``OutputJob``.
"""

from __future__ import annotations

from typing import Any, ClassVar

from .. import states
from ..exceptions import (
    InvalidInputException,
    LimitExceededException,
    ResourceInUseException,
)
from ..faults import take_create_failure
from ..s3io import S3, S3Error
from ..settings import RELAXED_DATA_ENV, relaxed_data
from .base import Resource, Store, paginated
from .datasets import Dataset, DatasetGroup

MAX_RUNNING_IMPORTS = 5  # per region
MAX_PENDING_DELETIONS = 5  # per dataset group
MIN_INTERACTION_RECORDS = 1000
# *Action interactions datasets*: "There is no minimum requirement for action interactions data."
INTERACTION_TYPES = ("INTERACTIONS",)


class Job(Resource):
    """A job: ``jobName`` rather than ``name``, and the failure found while doing its work."""

    @property
    def job_name(self) -> str:
        return self.name

    @property
    def running(self) -> bool:
        return self.status in (
            states.CREATE_PENDING,
            states.CREATE_IN_PROGRESS,
            states.PENDING,
            states.IN_PROGRESS,
        )


class OutputJob(Job):
    """A job whose output appears in S3 while it runs, never before the job exists.

    The work is done on create (so the result is the same whatever the progression, and a
    failure found there picks the failing lifecycle at once); the objects are written when
    the status is first read past its pending state — by Describe or List, which advance it —
    stamped after ``creationDateTime`` (clients find the output by comparing the two). If the
    location went away in between, the job fails then, with the reason."""

    # Class-level defaults: jobs restored from an older saved state have neither.
    _pending: list[tuple[str, str, bytes]] | None = None  # (folder path, object name, content)
    _scope: tuple[str, str, str] | None = None  # account, region, partition of moto's S3

    def hold_output(self, scope: tuple[str, str, str], outputs: list[tuple[str, str, bytes]]) -> None:
        self._scope, self._pending = scope, outputs

    @property
    def status(self) -> str:
        current = super().status
        if self._pending is not None and current not in (states.CREATE_PENDING, states.PENDING):
            current = self._deliver(current)
        return current

    def _deliver(self, current: str) -> str:
        pending, self._pending = self._pending or [], None
        try:
            s3 = S3(*self._scope)  # type: ignore[misc]
            for folder, name, data in pending:
                s3.write(folder, name, data, not_before=self.creation_date_time)
        except S3Error as error:
            return self._fail_running(str(error).replace("Invalid Data location", "Invalid S3 output path"), current)
        return current

    def _fail_running(self, reason: str, current: str) -> str:
        """Switch to the failing lifecycle at the step reached: still running, or failed where
        it would have ended."""
        reached = current if current in (states.CREATE_IN_PROGRESS, states.IN_PROGRESS) else self.failed_status
        self._failure_reason = reason
        self._enter("create", self.failing_table)
        self._state.status = reached
        self._seen = reached
        self.touch()
        return reached


class DatasetImportJob(Job):
    kind = "dataset-import-job"

    def __init__(self, arn: str, name: str, dataset: Dataset, data_source: dict[str, Any], role_arn: str | None,
                 import_mode: str, publish: bool | None, failure_reason: str | None) -> None:
        super().__init__(arn, name, failure_reason)
        self.dataset_arn = dataset.arn
        self.data_source = data_source
        self.role_arn = role_arn
        self.import_mode = import_mode
        self.publish_attribution_metrics_to_s3 = publish


class DatasetExportJob(OutputJob):
    kind = "dataset-export-job"

    def __init__(self, arn: str, name: str, dataset: Dataset, role_arn: str, job_output: dict[str, Any],
                 ingestion_mode: str, failure_reason: str | None) -> None:
        super().__init__(arn, name, failure_reason)
        self.dataset_arn = dataset.arn
        self.role_arn = role_arn
        self.job_output = job_output
        self.ingestion_mode = ingestion_mode


class DataDeletionJob(Job):
    kind = "data-deletion-job"
    create_table: ClassVar[states.Table] = states.JOB
    failing_table: ClassVar[states.Table] = states.JOB_FAILING
    failed_status: ClassVar[str] = states.FAILED

    def __init__(self, arn: str, name: str, group: DatasetGroup, data_source: dict[str, Any], role_arn: str,
                 num_deleted: int, failure_reason: str | None) -> None:
        super().__init__(arn, name, failure_reason)
        self.dataset_group_arn = group.arn
        self.data_source = data_source
        self.role_arn = role_arn
        self._num_deleted = num_deleted

    @property
    def num_deleted(self) -> int | None:
        return self._num_deleted if self.status == states.COMPLETED else None


class JobsMixin:
    """Backend operations for data jobs. Mixed into PersonalizeBackend."""

    datasets: Store[Dataset]
    dataset_groups: Store[DatasetGroup]
    import_jobs: Store[DatasetImportJob]
    export_jobs: Store[DatasetExportJob]
    deletion_jobs: Store[DataDeletionJob]

    def s3_scope(self) -> tuple[str, str, str]:
        return self.account_id, self.region_name, self.partition  # type: ignore[attr-defined]

    def s3(self) -> S3:
        return S3(*self.s3_scope())

    def _active_dataset(self, dataset_arn: str) -> Dataset:
        dataset = self.datasets.get(dataset_arn)
        if dataset.status != states.ACTIVE:
            raise ResourceInUseException(f"Dataset {dataset_arn} is {dataset.status}; it must be ACTIVE.")
        return dataset

    # ---- import --------------------------------------------------------------------------
    def create_dataset_import_job(
        self,
        job_name: str,
        dataset_arn: str,
        data_source: dict[str, Any],
        role_arn: str | None = None,
        tags: list[dict[str, str]] | None = None,
        import_mode: str | None = None,
        publish_attribution_metrics_to_s3: bool | None = None,
    ) -> dict[str, Any]:
        dataset = self._active_dataset(dataset_arn)
        mode = import_mode or "FULL"
        location = data_source.get("dataLocation")
        if not location:
            raise InvalidInputException("dataSource.dataLocation is required.")
        if mode == "INCREMENTAL" and not dataset.has_bulk_data:
            raise InvalidInputException(
                f"Dataset {dataset_arn} has no bulk data yet: the first import job must use importMode FULL."
            )
        arn = self.arn(f"dataset-import-job/{job_name}")  # type: ignore[attr-defined]
        self.import_jobs.ensure_new(arn)
        if sum(1 for job in self.import_jobs if job.running) >= MAX_RUNNING_IMPORTS:
            raise LimitExceededException("More than 5 resources with PENDING or IN_PROGRESS status.")
        failure = take_create_failure("dataset-import-job") or self._import(dataset, location, mode)
        job = DatasetImportJob(arn, job_name, dataset, data_source, role_arn, mode,
                               publish_attribution_metrics_to_s3, failure)
        self.create_tagged(self.import_jobs, job, tags)  # type: ignore[attr-defined]
        return {"datasetImportJobArn": job.arn}

    def _import(self, dataset: Dataset, location: str, mode: str) -> str | None:
        """Read, check and store the data; return the failure reason instead of storing."""
        from ..engine.csv_import import DataError, parse_csv
        from ..engine.tables import ORIGIN_BULK

        table = dataset.table
        try:
            parsed = [parse_csv(data, url, table) for url, data in self.s3().each(location)]
        except (S3Error, DataError) as error:
            return str(error)
        rows = sum(count for _, count in parsed)
        if dataset.dataset_type in INTERACTION_TYPES and rows < MIN_INTERACTION_RECORDS and not relaxed_data():
            return (
                f"Input data at {location} has {rows} records; an import job into an "
                f"{dataset.dataset_type.lower()} dataset needs at least {MIN_INTERACTION_RECORDS} "
                f"(set {RELAXED_DATA_ENV}=1 to allow less in tests)."
            )
        batch = table.concat([b for b, _ in parsed])
        del parsed
        _release_arrow_memory()
        problem = dataset.import_problem(batch, replace=mode == "FULL")
        if problem:
            return f"Input data at {location}: {problem}"
        if mode == "FULL":
            table.replace(batch, ORIGIN_BULK)
        else:
            table.append(batch, ORIGIN_BULK)
        dataset.has_bulk_data = True
        dataset.touch()
        return None

    def describe_dataset_import_job(self, dataset_import_job_arn: str) -> dict[str, Any]:
        return {"datasetImportJob": self.import_jobs.describe(dataset_import_job_arn)}

    @paginated("datasetImportJobs")
    def list_dataset_import_jobs(self, dataset_arn: str | None = None) -> list[DatasetImportJob]:
        return self.import_jobs.listed(lambda j: dataset_arn in (None, j.dataset_arn))

    # ---- export --------------------------------------------------------------------------
    def create_dataset_export_job(
        self,
        job_name: str,
        dataset_arn: str,
        role_arn: str,
        job_output: dict[str, Any],
        ingestion_mode: str | None = None,
        tags: list[dict[str, str]] | None = None,
    ) -> dict[str, Any]:
        dataset = self._active_dataset(dataset_arn)
        mode = ingestion_mode or "PUT"
        arn = self.arn(f"dataset-export-job/{job_name}")  # type: ignore[attr-defined]
        self.export_jobs.ensure_new(arn)
        path = job_output["s3DataDestination"]["path"]
        failure = take_create_failure("dataset-export-job")
        try:
            if failure is None:
                self.s3().check(path)
        except S3Error as error:
            failure = str(error).replace("Invalid Data location", "Invalid S3 output path")
        job = DatasetExportJob(arn, job_name, dataset, role_arn, job_output, mode, failure)
        if failure is None:  # the rows as they are now, written once the job runs
            job.hold_output(self.s3_scope(), [(path, f"{job_name}_part_00000.csv", export_csv(dataset, mode))])
        self.create_tagged(self.export_jobs, job, tags)  # type: ignore[attr-defined]
        return {"datasetExportJobArn": job.arn}

    def describe_dataset_export_job(self, dataset_export_job_arn: str) -> dict[str, Any]:
        return {"datasetExportJob": self.export_jobs.describe(dataset_export_job_arn)}

    @paginated("datasetExportJobs")
    def list_dataset_export_jobs(self, dataset_arn: str | None = None) -> list[DatasetExportJob]:
        return self.export_jobs.listed(lambda j: dataset_arn in (None, j.dataset_arn))

    # ---- data deletion -------------------------------------------------------------------
    def create_data_deletion_job(
        self,
        job_name: str,
        dataset_group_arn: str,
        data_source: dict[str, Any],
        role_arn: str,
        tags: list[dict[str, str]] | None = None,
    ) -> dict[str, Any]:
        group = self.dataset_groups.get(dataset_group_arn)
        if group.status != states.ACTIVE:
            raise ResourceInUseException(f"Dataset group {dataset_group_arn} is {group.status}; it must be ACTIVE.")
        arn = self.arn(f"data-deletion-job/{job_name}")  # type: ignore[attr-defined]
        self.deletion_jobs.ensure_new(arn)
        pending = [j for j in self.deletion_jobs if j.dataset_group_arn == group.arn and j.status == states.PENDING]
        if len(pending) >= MAX_PENDING_DELETIONS:
            raise LimitExceededException(
                f"Dataset group {dataset_group_arn} already has {MAX_PENDING_DELETIONS} PENDING data deletion jobs."
            )
        location = data_source.get("dataLocation")
        if not location:
            raise InvalidInputException("dataSource.dataLocation is required.")
        injected = take_create_failure("data-deletion-job")
        deleted, failure = (0, injected) if injected else self._delete_users(group, location)
        job = DataDeletionJob(arn, job_name, group, data_source, role_arn, deleted, failure)
        self.create_tagged(self.deletion_jobs, job, tags)  # type: ignore[attr-defined]
        return {"dataDeletionJobArn": job.arn}

    def _delete_users(self, group: DatasetGroup, location: str) -> tuple[int, str | None]:
        """Remove the listed users' records from every dataset of the group."""
        from ..engine.csv_import import DataError, parse_csv
        from ..engine.tables import Table
        from .schema_rules import Field

        listing = Table([Field("USER_ID", "string", nullable=False)], group.catalog)
        try:
            parsed = [parse_csv(data, url, listing) for url, data in self.s3().read(location)]
        except (S3Error, DataError) as error:
            return 0, str(error)
        users = listing.concat([b for b, _ in parsed])["USER_ID"]
        deleted = sum(
            d.table.delete_ids("USER_ID", users) for d in self.datasets if d.dataset_group_arn == group.arn
        )
        return deleted, None

    def describe_data_deletion_job(self, data_deletion_job_arn: str) -> dict[str, Any]:
        return {"dataDeletionJob": self.deletion_jobs.describe(data_deletion_job_arn)}

    @paginated("dataDeletionJobs")
    def list_data_deletion_jobs(self, dataset_group_arn: str | None = None) -> list[DataDeletionJob]:
        return self.deletion_jobs.listed(lambda j: dataset_group_arn in (None, j.dataset_group_arn))


def _release_arrow_memory() -> None:
    """Hand pyarrow's freed parsing buffers back to the system (its allocator keeps them for
    reuse otherwise: hundreds of MB after a 10-million-row import)."""
    import pyarrow as pa

    pa.default_memory_pool().release_unused()


def export_csv(dataset: Dataset, ingestion_mode: str) -> bytes:
    """The dataset's rows of the chosen origin as CSV, header = schema columns; rows that are
    identical in every field are written once."""
    import csv
    import io

    from ..engine.tables import ORIGIN_BULK, ORIGIN_PUT

    origins = {"BULK": (ORIGIN_BULK,), "PUT": (ORIGIN_PUT,), "ALL": (ORIGIN_BULK, ORIGIN_PUT)}
    table = dataset.table
    names = [f.name for f in dataset.fields]
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(names)
    seen: set[tuple[Any, ...]] = set()
    rows: Any = table.rows(origins[ingestion_mode])
    if ingestion_mode == "ALL" and table.key is not None:
        newest: dict[Any, dict[str, Any]] = {}
        for row in rows:  # insertion order: a later record of an id is the newer one
            newest.pop(row[table.key], None)
            newest[row[table.key]] = row
        rows = newest.values()
    for row in rows:
        values = tuple("" if row[n] is None else str(row[n]).lower() if isinstance(row[n], bool) else row[n] for n in names)
        if values not in seen:
            seen.add(values)
            writer.writerow(values)
    return out.getvalue().encode()
