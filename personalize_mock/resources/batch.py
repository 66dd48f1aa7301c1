"""Batch inference jobs: JSON Lines from S3 in, ``<input file>.out`` JSON Lines back to S3.

The job's answers are computed on create against the solution version's model, the way the
runtime would answer each line (same ranking, filters and exploration), without
recommendation ids; a file's lines are ranked together in blocks (``batch_answers``). The
``.out`` objects are written when the job is seen running (``jobs.OutputJob``), so their
``LastModified`` follows the job's ``creationDateTime``. A bad line gets an ``error`` of its
own; a missing input or an unusable output location fails the job.
"""

from __future__ import annotations

import json
from typing import Any

from .. import states
from ..exceptions import (
    InvalidInputException,
    LimitExceededException,
    ResourceInUseException,
)
from ..faults import take_create_failure
from ..s3io import S3Error
from .base import Store, paginated
from .batch_answers import FileAnswers, parse_line
from .jobs import OutputJob
from .serving import Endpoint
from .training import SolutionVersion

MAX_RUNNING_BATCH_JOBS = 5  # per region
DEFAULT_BATCH_RESULTS = 25
MAX_BATCH_RESULTS = 500


class BatchJob(OutputJob):
    """What batch inference and batch segment jobs share: a solution version, a filter, S3 in
    and out, a role."""

    def __init__(self, arn: str, name: str, version: SolutionVersion, settings: dict[str, Any],
                 failure_reason: str | None) -> None:
        super().__init__(arn, name, failure_reason)
        self.solution_version_arn = version.arn
        self.filter_arn = settings.get("filter_arn")
        self.num_results = settings.get("num_results")
        self.job_input = settings["job_input"]
        self.job_output = settings["job_output"]
        self.role_arn = settings["role_arn"]


class BatchInferenceJob(BatchJob):
    kind = "batch-inference-job"

    def __init__(self, arn: str, name: str, version: SolutionVersion, settings: dict[str, Any],
                 failure_reason: str | None) -> None:
        super().__init__(arn, name, version, settings, failure_reason)
        self.batch_inference_job_config = settings.get("config")
        self.batch_inference_job_mode = settings.get("mode") or "BATCH_INFERENCE"
        self.theme_generation_config = settings.get("theme_generation_config")


class BatchCommon:
    """The checks and the S3 loop both batch job kinds run."""

    solution_versions: Store[SolutionVersion]

    def _batch_prerequisites(self, store: Store[Any], arn: str, solution_version_arn: str,
                             job_input: dict[str, Any], job_output: dict[str, Any],
                             filter_arn: str | None) -> tuple[SolutionVersion, str, str]:
        """The ACTIVE solution version, and the input and output paths, after the checks every
        batch job makes (name free, filter known, output apart from input, running limit)."""
        store.ensure_new(arn)
        version = self.solution_versions.get(solution_version_arn)
        if version.status != states.ACTIVE or version.trained is None:
            raise ResourceInUseException(
                f"Solution version {solution_version_arn} is {version.status}; it must be ACTIVE."
            )
        if filter_arn:
            self.check_filter_recipe(filter_arn, version.solution.recipe)  # type: ignore[attr-defined]
        source, target = job_input["s3DataSource"]["path"], job_output["s3DataDestination"]["path"]
        if target.rstrip("/") == source.rstrip("/") or source.startswith(target.rstrip("/") + "/"):
            raise InvalidInputException("Invalid S3 output path: the output location must differ from the input location.")
        if sum(1 for job in store if job.running) >= MAX_RUNNING_BATCH_JOBS:
            raise LimitExceededException("More than 5 resources with PENDING or IN_PROGRESS status.")
        return version, source, target

    def _run_files(self, source: str, target: str, answer: Any,
                   max_lines: int | None = None) -> tuple[str | None, list[tuple[str, str, bytes]]]:
        """Answer the lines of every input file (``answer(lines) -> output lines``): the failure
        reason, if any, and the ``<file>.out`` objects the job writes once it runs."""
        s3 = self.s3()  # type: ignore[attr-defined]
        try:
            files = s3.each(source)  # one file's bytes held at a time; a bad location raises here
        except S3Error as error:
            return str(error).replace("Invalid Data location", "Invalid S3 input path"), []
        try:
            s3.check(target)
        except S3Error as error:
            return str(error).replace("Invalid Data location", "Invalid S3 output path"), []
        outputs = []
        for url, data in files:
            raw = [line for line in data.decode().splitlines() if line.strip()]
            if max_lines is not None and len(raw) > max_lines:
                return f"{url} has {len(raw)} queries; this recipe takes at most {max_lines} per file.", []
            del data
            lines = answer(raw)
            del raw
            body = "\n".join(lines).encode()
            del lines
            outputs.append((target, url.rsplit("/", 1)[-1] + ".out", body + b"\n"))
        return None, outputs


class BatchMixin(BatchCommon):
    """Backend operations for batch inference jobs. Mixed into PersonalizeBackend."""

    solution_versions: Store[SolutionVersion]
    batch_inference_jobs: Store[BatchInferenceJob]

    def create_batch_inference_job(
        self,
        job_name: str,
        solution_version_arn: str,
        job_input: dict[str, Any],
        job_output: dict[str, Any],
        role_arn: str,
        filter_arn: str | None = None,
        num_results: int | None = None,
        batch_inference_job_config: dict[str, Any] | None = None,
        tags: list[dict[str, str]] | None = None,
        batch_inference_job_mode: str | None = None,
        theme_generation_config: dict[str, Any] | None = None,
    ) -> dict[str, Any]:
        arn = self.arn(f"batch-inference-job/{job_name}")  # type: ignore[attr-defined]
        version, source, target = self._batch_prerequisites(
            self.batch_inference_jobs, arn, solution_version_arn, job_input, job_output, filter_arn
        )
        recipe = version.solution.recipe
        if recipe is None or not recipe.batch_inference or recipe.recipe_type == "USER_SEGMENTATION":
            raise InvalidInputException(f"Recipe {recipe.name if recipe else '?'} does not support batch inference jobs.")
        mode = batch_inference_job_mode or "BATCH_INFERENCE"
        if mode == "THEME_GENERATION":
            self._check_theme_generation(version, recipe, theme_generation_config)
        if num_results is not None and not 1 <= num_results <= MAX_BATCH_RESULTS:
            raise InvalidInputException(f"numResults must be between 1 and {MAX_BATCH_RESULTS}.")
        config = dict(batch_inference_job_config or {})
        endpoint = Endpoint(
            arn, recipe, version.trained,
            {"itemExplorationConfig": config.get("itemExplorationConfig") or recipe.exploration_defaults},
            version.dataset_group_arn, version.event_type,
        )
        theme_column = (theme_generation_config or {}).get("fieldsForThemeGeneration", {}).get("itemName") \
            if mode == "THEME_GENERATION" else None
        k = num_results or DEFAULT_BATCH_RESULTS
        failure, outputs = take_create_failure("batch-inference-job"), []
        if failure is None:
            failure, outputs = self._run_files(
                source, target, FileAnswers(self, endpoint, filter_arn, k, theme_column).answer)
        settings = {
            "filter_arn": filter_arn, "num_results": num_results, "job_input": job_input, "job_output": job_output,
            "role_arn": role_arn, "config": batch_inference_job_config, "mode": mode,
            "theme_generation_config": theme_generation_config,
        }
        job = BatchInferenceJob(arn, job_name, version, settings, failure)
        if failure is None:
            job.hold_output(self.s3_scope(), outputs)  # type: ignore[attr-defined]
        self.create_tagged(self.batch_inference_jobs, job, tags)  # type: ignore[attr-defined]
        return {"batchInferenceJobArn": job.arn}

    def _check_theme_generation(self, version: SolutionVersion, recipe: Any, config: dict[str, Any] | None) -> None:
        """THEME_GENERATION: Similar-Items only, with an item-name column and a textual field."""
        if recipe.family != "similar_items":
            raise InvalidInputException("batchInferenceJobMode THEME_GENERATION needs an aws-similar-items solution version.")
        column = ((config or {}).get("fieldsForThemeGeneration") or {}).get("itemName")
        if not column:
            raise InvalidInputException("THEME_GENERATION needs themeGenerationConfig.fieldsForThemeGeneration.itemName.")
        items = self.group_dataset(version.dataset_group_arn, "ITEMS")  # type: ignore[attr-defined]
        fields = {f.name.upper(): f for f in items.fields} if items is not None else {}
        if column.upper() not in fields or fields[column.upper()].type != "string":
            raise InvalidInputException(f"themeGenerationConfig itemName {column} is not a string column of the Items dataset.")
        if not any(getattr(f, "textual", False) for f in fields.values()):
            raise InvalidInputException("THEME_GENERATION needs an Items dataset with a textual field.")

    def _batch_line(self, endpoint: Endpoint, given: dict[str, Any], filter_arn: str | None, k: int,
                    theme_column: str | None = None) -> str:
        """One output line for a parsed input line (``parse_line``): the input echoed, the
        recommendations or a per-line error."""
        values = given.get("filterValues") if filter_arn else None
        try:
            if endpoint.recipe.family == "personalized_ranking":
                items = self.rank_input(endpoint, list(given.get("itemList") or []), given.get("userId") or "",  # type: ignore[attr-defined]
                                        filter_arn=filter_arn, filter_values=values)
            else:
                items = self.recommend_items(endpoint, given.get("itemId"), given.get("userId"), k,  # type: ignore[attr-defined]
                                             filter_arn=filter_arn, filter_values=values)
        except InvalidInputException as error:
            return json.dumps({"input": given, "output": None, "error": error.message})
        output: dict[str, Any] = {"recommendedItems": [i["itemId"] for i in items]}
        if endpoint.recipe.scores:
            output["scores"] = [i["score"] for i in items if "score" in i]
        if theme_column:
            output.update(self._theme(endpoint, given.get("itemId"), output["recommendedItems"], theme_column))
        return json.dumps({"input": given, "output": output, "error": None})

    def _theme(self, endpoint: Endpoint, item_id: str | None, recommended: list[str], column: str) -> dict[str, Any]:
        """A theme for a list of similar items: named after the anchor item and the values the
        list shares most; each item's relevance is its metadata overlap with the list, scaled
        to the service's range (about -0.1 to 0.6)."""
        items = self.group_dataset(endpoint.dataset_group_arn, "ITEMS")  # type: ignore[attr-defined]
        records: dict[str, dict[str, Any]] = {}
        if items is not None:
            for row in items.table.rows():
                records[str(row["ITEM_ID"])] = row

        def tokens(item: str) -> set[str]:
            found = set()
            for name, value in records.get(item, {}).items():
                if name not in ("ITEM_ID", column) and isinstance(value, str):
                    found.update(f"{name}={part}" for part in value.split("|"))
            return found

        shared: dict[str, int] = {}
        for item in recommended:
            for token in tokens(item):
                shared[token] = shared.get(token, 0) + 1
        common = sorted(shared, key=lambda t: (-shared[t], t))[:1]
        anchor = records.get(item_id or "", {}).get(column) or item_id or "these"
        theme = f"More like {anchor}" + (f": {common[0].split('=', 1)[1]}" if common else "")
        scores = []
        for item in recommended:
            mine = tokens(item)
            overlap = len(mine & set(common)) / max(len(common), 1)
            scores.append(round(-0.1 + 0.7 * overlap, 4))
        return {"theme": theme, "itemsThemeRelevanceScores": scores}

    def describe_batch_inference_job(self, batch_inference_job_arn: str) -> dict[str, Any]:
        return {"batchInferenceJob": self.batch_inference_jobs.describe(batch_inference_job_arn)}

    @paginated("batchInferenceJobs")
    def list_batch_inference_jobs(self, solution_version_arn: str | None = None) -> list[BatchInferenceJob]:
        return self.batch_inference_jobs.listed(lambda j: solution_version_arn in (None, j.solution_version_arn))


MAX_ITEM_AFFINITY_LINES = 500
MAX_ATTRIBUTE_AFFINITY_LINES = 10
DEFAULT_SEGMENT_USERS = 25


class BatchSegmentJob(BatchJob):
    kind = "batch-segment-job"


class SegmentsMixin(BatchCommon):
    """Backend operations for batch segment jobs (item-affinity recipes). Mixed into
    PersonalizeBackend."""

    solution_versions: Store[SolutionVersion]
    batch_segment_jobs: Store[BatchSegmentJob]

    def create_batch_segment_job(
        self,
        job_name: str,
        solution_version_arn: str,
        job_input: dict[str, Any],
        job_output: dict[str, Any],
        role_arn: str,
        filter_arn: str | None = None,
        num_results: int | None = None,
        tags: list[dict[str, str]] | None = None,
    ) -> dict[str, Any]:
        arn = self.arn(f"batch-segment-job/{job_name}")  # type: ignore[attr-defined]
        version, source, target = self._batch_prerequisites(
            self.batch_segment_jobs, arn, solution_version_arn, job_input, job_output, filter_arn
        )
        recipe = version.solution.recipe
        if recipe is None or recipe.recipe_type != "USER_SEGMENTATION":
            raise InvalidInputException(
                "Batch segment jobs need a USER_SEGMENTATION solution version "
                "(aws-item-affinity or aws-item-attribute-affinity)."
            )
        k = num_results or DEFAULT_SEGMENT_USERS
        limit = MAX_ATTRIBUTE_AFFINITY_LINES if recipe.family == "item_attribute_affinity" else MAX_ITEM_AFFINITY_LINES
        failure, outputs = take_create_failure("batch-segment-job"), []
        if failure is None:
            failure, outputs = self._run_files(
                source, target, lambda lines: self._segment_lines(version, lines, filter_arn, k), limit)
        settings = {"filter_arn": filter_arn, "num_results": num_results, "job_input": job_input,
                    "job_output": job_output, "role_arn": role_arn}
        job = BatchSegmentJob(arn, job_name, version, settings, failure)
        if failure is None:
            job.hold_output(self.s3_scope(), outputs)  # type: ignore[attr-defined]
        self.create_tagged(self.batch_segment_jobs, job, tags)  # type: ignore[attr-defined]
        return {"batchSegmentJobArn": job.arn}

    def _segment_lines(self, version: SolutionVersion, lines: list[str], filter_arn: str | None, k: int) -> list[str]:
        """The output lines of one file: ``usersList`` for each ``itemId`` or ``itemAttributes``
        query — the first ``k`` users of the whole ranking that the filter lets through, the
        filter evaluated once per distinct ``filterValues`` over the model's users."""
        import numpy as np

        model = version.trained.model
        attributes = version.trained.family == "item_attribute_affinity"
        affinity = model.affinity if attributes else model
        catalog = self.dataset_groups.get(version.dataset_group_arn).catalog  # type: ignore[attr-defined]
        masks: dict[str, Any] = {}

        def allowed_for(values: Any) -> Any:
            if not filter_arn:
                return None
            key = json.dumps(values, sort_keys=True, default=str)
            if key not in masks:
                try:
                    masks[key] = self.apply_filter(  # type: ignore[attr-defined]
                        filter_arn, values or {}, version.dataset_group_arn,
                        affinity.users.codes.astype(np.int64), None, None, "UserID")
                except InvalidInputException as error:
                    masks[key] = error
            if isinstance(masks[key], InvalidInputException):
                raise masks[key]
            return masks[key]

        out = []
        for line in lines:
            given, refused = parse_line(line)
            if refused is not None:
                out.append(refused)
                continue
            try:
                values = given.get("filterValues")
                if attributes:
                    if not isinstance(given.get("itemAttributes"), str):
                        raise ValueError('Each line needs "itemAttributes" for this recipe.')
                    users = model.allowed_users_for_query(given["itemAttributes"], k, lambda: allowed_for(values))
                else:
                    if not isinstance(given.get("itemId"), str):
                        raise ValueError('Each line needs "itemId" for this recipe.')
                    code = catalog.items.find(given["itemId"])
                    users = model.allowed_users_for_item(-1 if code is None else code, k, allowed_for(values))
            except (ValueError, InvalidInputException) as error:
                message = error.message if isinstance(error, InvalidInputException) else str(error)
                out.append(json.dumps({"input": given, "output": None, "error": message}))
                continue
            names = [catalog.users.values[int(code)] for code in users[:k]]
            out.append(json.dumps({"input": given, "output": {"usersList": names}, "error": None}))
        return out

    def describe_batch_segment_job(self, batch_segment_job_arn: str) -> dict[str, Any]:
        return {"batchSegmentJob": self.batch_segment_jobs.describe(batch_segment_job_arn)}

    @paginated("batchSegmentJobs")
    def list_batch_segment_jobs(self, solution_version_arn: str | None = None) -> list[BatchSegmentJob]:
        return self.batch_segment_jobs.listed(lambda j: solution_version_arn in (None, j.solution_version_arn))
