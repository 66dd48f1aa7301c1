"""Solutions and solution versions: the configuration checks, and training on create.

CreateSolutionVersion trains synchronously (``engine.training``) on the dataset group's data
as it is at that moment; the status progression afterwards is what users observe. A version
that cannot train ends in ``CREATE FAILED`` with the reason.
"""

from __future__ import annotations

import re
from typing import Any

from moto.moto_api._internal import mock_random

from .. import states
from ..exceptions import (
    InvalidInputException,
    LimitExceededException,
    ResourceAlreadyExistsException,
    ResourceInUseException,
    ResourceNotFoundException,
)
from ..faults import take_create_failure
from ..settings import RELAXED_DATA_ENV, relaxed_data, user_seed
from .base import Resource, Store, UpdateRecord, paginated, unused
from .catalogue import RECIPES, RecipeInfo
from .datasets import Dataset, DatasetGroup

MAX_SOLUTIONS_PER_GROUP = 10
MAX_RUNNING_VERSIONS = 20
SCHEDULE = re.compile(r"rate\((\d+) days?\)")
UPDATE_RECIPES = ("aws-user-personalization", "aws-hrnn-coldstart")


class SolutionUpdate(UpdateRecord):
    """``latestSolutionUpdate``: its own CREATE lifecycle while the solution stays ACTIVE."""

    def __init__(self, config: dict[str, Any], perform_auto_training: bool | None,
                 perform_incremental_update: bool | None) -> None:
        super().__init__("solution")
        self.solution_update_config = config
        self.perform_auto_training = perform_auto_training
        self.perform_incremental_update = perform_incremental_update


class Solution(Resource):
    kind = "solution"

    def __init__(self, arn: str, name: str, group: DatasetGroup, recipe: RecipeInfo | None,
                 config: dict[str, Any], options: dict[str, Any]) -> None:
        super().__init__(arn, name)
        self.dataset_group_arn = group.arn
        self.recipe = recipe
        self.recipe_arn = recipe.arn if recipe else None
        self.solution_config = config or None
        self.perform_hpo = bool(options.get("perform_hpo"))
        self.perform_auto_ml = bool(options.get("perform_auto_ml"))
        self.perform_auto_training = options.get("perform_auto_training", True) is not False
        self.perform_incremental_update = options.get("perform_incremental_update")
        self.event_type = options.get("event_type")
        self.auto_ml_result = {"bestRecipeArn": options["best_recipe"]} if options.get("best_recipe") else None
        self.versions: list[SolutionVersion] = []
        self.latest_solution_update: SolutionUpdate | None = None

    def advance(self) -> None:
        super().advance()
        if self.latest_solution_update:
            self.latest_solution_update.advance()

    @property
    def latest_solution_version(self) -> dict[str, Any] | None:
        live = [v for v in self.versions if v.status != states.GONE]
        return live[-1].summary() if live else None


class SolutionVersion(Resource):
    kind = "solution-version"

    def __init__(self, arn: str, name: str, solution: Solution, mode: str,
                 trained: Any, failure_reason: str | None) -> None:
        super().__init__(arn, name, failure_reason)
        self.solution = solution
        self.solution_arn = solution.arn
        self.recipe_arn = solution.recipe_arn
        self.dataset_group_arn = solution.dataset_group_arn
        self.event_type = solution.event_type
        self.solution_config = solution.solution_config
        self.perform_hpo = solution.perform_hpo
        self.perform_auto_ml = solution.perform_auto_ml
        self.perform_incremental_update = solution.perform_incremental_update
        self.training_mode = mode
        self.training_type = "MANUAL"
        self.trained = trained  # engine.training.Trained, None when training failed
        self._hours = _training_hours(trained)

    @property
    def training_hours(self) -> float | None:
        return self._hours if self.status == states.ACTIVE else None

    @property
    def tuned_hpo_params(self) -> dict[str, Any] | None:
        if not self.perform_hpo or self.status != states.ACTIVE:
            return None
        tuned = getattr(self, "tuned_parameters", None)  # the HPO search's winner
        if tuned is None:
            recipe = self.solution.recipe
            tuned = dict(recipe.default_hyperparameters) if recipe else {}
            tuned.update((self.solution_config or {}).get("algorithmHyperParameters", {}))
        return {"algorithmHyperParameters": dict(tuned)}

    def stop(self) -> None:
        table = states.STOP_PENDING if self.status == states.CREATE_PENDING else states.STOP_RUNNING
        self._enter("stop", table)
        self.touch()

    def summary(self) -> dict[str, Any]:
        return {
            "solutionVersionArn": self.arn,
            "status": self.status,
            "trainingMode": self.training_mode,
            "trainingType": self.training_type,
            "creationDateTime": self.creation_date_time,
            "lastUpdatedDateTime": self.last_updated_date_time,
            "failureReason": self.failure_reason,
        }


def _check_hpo_ranges(recipe: RecipeInfo, ranges: dict[str, Any], bad: Any) -> None:
    """``hpoConfig.algorithmHyperParameterRanges``: tunable hyperparameters of the recipe,
    each in its own kind's list, inside the recipe's range (``DescribeAlgorithm``)."""
    for kind in ("integer", "continuous", "categorical"):
        for entry in ranges.get(f"{kind}HyperParameterRanges") or []:
            name = entry.get("name")
            param = recipe.hyperparameters.get(name or "")
            if param is None or not param.tunable:
                tunable = ", ".join(sorted(p.name for p in recipe.hyperparameters.values() if p.tunable))
                raise bad(f"hpoConfig.algorithmHyperParameterRanges names {name}, which is not a tunable "
                          f"hyperparameter of {recipe.name} (tunable: {tunable or 'none'}).")
            if param.kind != kind:
                raise bad(f"{name} is a {param.kind} hyperparameter: give its range in "
                          f"{param.kind}HyperParameterRanges, not {kind}HyperParameterRanges.")
            if kind == "categorical":
                values = [str(v) for v in entry.get("values") or []]
                if not values or not all(param.accepts(v) for v in values):
                    raise bad(f"categoricalHyperParameterRanges.{name} values {values} must be among {list(param.values)}.")
                continue
            low, high = entry.get("minValue"), entry.get("maxValue")
            if low is None or high is None or low > high or not (param.accepts(str(low)) and param.accepts(str(high))):
                raise bad(f"{kind}HyperParameterRanges.{name} [{low}, {high}] must have minValue <= maxValue, "
                          f"both within [{param.min}, {param.max}].")


def _hpo_search(recipe: RecipeInfo, data: Any, seed: int, params: dict[str, str],
                config: dict[str, Any]) -> tuple[Any, dict[str, str]]:
    """performHPO: a few candidates inside the requested ranges (or, without ranges, the
    recipe's tunable defaults not fixed in algorithmHyperParameters), drawn from the training
    seed, each trained and scored on the holdout split; the winner serves and is reported in
    tunedHPOParams (engine/hpo.py)."""
    from ..engine.hpo import DEFAULT_CANDIDATES, DEFAULT_OBJECTIVE, candidates, ranges_of, search
    from ..engine.training import train

    hpo = config.get("hpoConfig") or {}
    ranges = ranges_of(hpo.get("algorithmHyperParameterRanges"))
    if not ranges:
        fixed = config.get("algorithmHyperParameters") or {}
        defaults = recipe.algorithm.default_ranges()
        ranges = [r for r in ranges_of({kind: [e for e in entries if e.get("isTunable")]
                                        for kind, entries in defaults.items()}) if r.name not in fixed]
    jobs = str((hpo.get("hpoResourceConfig") or {}).get("maxNumberOfTrainingJobs", DEFAULT_CANDIDATES))
    settings = candidates(ranges, min(DEFAULT_CANDIDATES, int(jobs) if jobs.isdigit() else DEFAULT_CANDIDATES), seed)
    if not settings:
        return train(recipe.family, data, seed, params), dict(params)
    objective = hpo.get("hpoObjective") or {}
    # The service does not let users configure hpoObjective; a known metric name is honoured.
    metric = objective.get("metricName") or DEFAULT_OBJECTIVE
    sign = -1.0 if objective.get("metricName") and str(objective.get("type", "")).lower() == "minimize" else 1.0

    def score(trained: Any) -> float | None:
        metrics = trained.metrics
        value = metrics.get(metric, metrics.get(DEFAULT_OBJECTIVE))
        return None if value is None else sign * value

    trained, setting = search(lambda s: train(recipe.family, data, seed, {**params, **s}), settings, score)
    return trained, {**params, **setting}


def _training_hours(trained: Any) -> float:
    """Billed hours as the service reports them; deterministic in the data size."""
    rows = trained.matrix.csr.nnz if trained is not None and trained.matrix is not None else 0
    return round(0.05 + rows / 2_000_000, 3)


class TrainingMixin:
    """Backend operations for solutions and solution versions. Mixed into PersonalizeBackend."""

    dataset_groups: Store[DatasetGroup]
    datasets: Store[Dataset]
    solutions: Store[Solution]
    solution_versions: Store[SolutionVersion]

    # ---- solutions -----------------------------------------------------------------------
    def create_solution(
        self,
        name: str,
        dataset_group_arn: str,
        recipe_arn: str | None = None,
        perform_hpo: bool | None = None,
        perform_auto_ml: bool | None = None,
        perform_auto_training: bool | None = None,
        perform_incremental_update: bool | None = None,
        event_type: str | None = None,
        solution_config: dict[str, Any] | None = None,
        tags: list[dict[str, str]] | None = None,
    ) -> dict[str, Any]:
        arn = self.arn(f"solution/{name}")  # type: ignore[attr-defined]
        self.solutions.ensure_new(arn)
        group = self.dataset_groups.get(dataset_group_arn)
        if group.status != states.ACTIVE:
            raise ResourceInUseException(f"Dataset group {dataset_group_arn} is {group.status}; it must be ACTIVE.")
        config = dict(solution_config or {})
        if bool(recipe_arn) == bool(perform_auto_ml):
            raise InvalidInputException("Specify either recipeArn or performAutoML=true, not both and not neither.")
        best = None
        if perform_auto_ml:
            candidates = (config.get("autoMLConfig") or {}).get("recipeList") or ["arn:aws:personalize:::recipe/aws-user-personalization"]
            for candidate in candidates:
                if candidate not in RECIPES:
                    raise ResourceNotFoundException(f"Could not find recipe {candidate}.")
            best = candidates[0]
            recipe = RECIPES[best]
        else:
            recipe = RECIPES.get(recipe_arn or "")
            if recipe is None:
                raise ResourceNotFoundException(f"Could not find recipe {recipe_arn}.")
        self._check_recipe(recipe, group, perform_incremental_update, perform_hpo)
        self._check_config(recipe, group, config, event_type)
        count = sum(1 for s in self.solutions if s.dataset_group_arn == group.arn)
        if count >= MAX_SOLUTIONS_PER_GROUP:
            raise LimitExceededException(
                f"Dataset group {dataset_group_arn} already has {MAX_SOLUTIONS_PER_GROUP} solutions."
            )
        options = {
            "perform_hpo": perform_hpo or bool(perform_auto_ml),
            "perform_auto_ml": perform_auto_ml,
            "perform_auto_training": perform_auto_training,
            "perform_incremental_update": perform_incremental_update,
            "event_type": event_type,
            "best_recipe": best,
        }
        solution = Solution(arn, name, group, recipe, config, options)
        self.create_tagged(self.solutions, solution, tags)  # type: ignore[attr-defined]
        return {"solutionArn": solution.arn}

    def _datasets_of(self, group_arn: str) -> dict[str, Dataset]:
        return {d.dataset_type: d for d in self.datasets if d.dataset_group_arn == group_arn}

    def _check_recipe(self, recipe: RecipeInfo, group: DatasetGroup, incremental: bool | None,
                      hpo: bool | None) -> None:
        if recipe.use_case:
            raise InvalidInputException(
                f"Recipe {recipe.arn} is a {recipe.domain} use case: create a recommender for it "
                "(CreateRecommender), not a solution."
            )
        # A Domain dataset group holds custom resources too (solutions, versions, campaigns):
        # *Creating a Domain dataset group*; the domain only restricts its recommenders.
        if incremental and recipe.name != "aws-semantic-similarity":
            raise InvalidInputException("performIncrementalUpdate is only supported by aws-semantic-similarity.")
        if hpo and not recipe.hpo:
            raise InvalidInputException(f"Recipe {recipe.arn} does not support hyperparameter optimization.")
        present = self._datasets_of(group.arn)
        missing = [kind for kind in recipe.required_datasets if kind not in present]
        if missing:
            names = ", ".join(kind.title().replace("_i", "_I") for kind in missing)
            raise InvalidInputException(
                f"Recipe {recipe.arn} needs these datasets in dataset group {group.arn}: {names}."
            )

    def _check_config(self, recipe: RecipeInfo, group: DatasetGroup, config: dict[str, Any],
                      event_type: str | None) -> None:
        def bad(message: str) -> InvalidInputException:
            return InvalidInputException(f"Invalid solutionConfig: {message}")

        threshold = config.get("eventValueThreshold")
        if threshold is not None:
            try:
                float(threshold)
            except ValueError:
                raise bad(f"eventValueThreshold '{threshold}' is not a number.") from None
        for where, given, known in (
            ("algorithmHyperParameters", config.get("algorithmHyperParameters") or {}, recipe.hyperparameters),
            ("featureTransformationParameters", config.get("featureTransformationParameters") or {}, recipe.featurization),
        ):
            for key, value in given.items():
                param = known.get(key)
                if param is None:
                    allowed = ", ".join(sorted(known)) or "none"
                    raise bad(f"{where} has an unknown key {key} for {recipe.name} (accepted: {allowed}).")
                if not param.accepts(str(value)):
                    raise bad(f"{where}.{key} = '{value}' is outside its allowed range for {recipe.name}.")
        _check_hpo_ranges(recipe, (config.get("hpoConfig") or {}).get("algorithmHyperParameterRanges") or {}, bad)
        resources = (config.get("hpoConfig") or {}).get("hpoResourceConfig") or {}
        for key, limit in (("maxNumberOfTrainingJobs", 40), ("maxParallelTrainingJobs", 10)):
            if key in resources:
                value = resources[key]
                if not str(value).isdigit() or not 1 <= int(value) <= limit:
                    raise bad(f"hpoResourceConfig.{key} must be a whole number from 1 to {limit}, not '{value}'.")
        schedule = (config.get("autoTrainingConfig") or {}).get("schedulingExpression")
        if schedule is not None:
            match = SCHEDULE.fullmatch(schedule)
            if not match or not 1 <= int(match.group(1)) <= 30:
                raise bad(f"autoTrainingConfig.schedulingExpression '{schedule}' must be rate(N days) with N from 1 to 30.")
        objective = config.get("optimizationObjective")
        if objective:
            if recipe.family not in ("user_personalization", "personalized_ranking"):
                raise bad(f"optimizationObjective is only supported by User-Personalization and Personalized-Ranking recipes, not {recipe.name}.")
            self._check_objective(group, objective.get("itemAttribute"), bad)

    def _check_objective(self, group: DatasetGroup, column: str | None, bad: Any) -> None:
        if column is None:
            return
        items = self._datasets_of(group.arn).get("ITEMS")
        field = next((f for f in items.fields if f.name == column), None) if items else None
        if field is None:
            raise bad(f"optimizationObjective.itemAttribute {column} is not a column of the Items dataset.")
        if field.type not in ("int", "long", "float", "double") or field.nullable:
            raise bad(f"optimizationObjective.itemAttribute {column} must be a numeric, non-nullable Items column.")

    def describe_solution(self, solution_arn: str) -> dict[str, Any]:
        return {"solution": self.solutions.describe(solution_arn)}

    @paginated("solutions")
    def list_solutions(self, dataset_group_arn: str | None = None) -> list[Solution]:
        return self.solutions.listed(lambda s: dataset_group_arn in (None, s.dataset_group_arn))

    def update_solution(
        self,
        solution_arn: str,
        perform_auto_training: bool | None = None,
        perform_incremental_update: bool | None = None,
        solution_update_config: dict[str, Any] | None = None,
    ) -> dict[str, Any]:
        solution = self.solutions.get(solution_arn)
        if solution.status != states.ACTIVE:
            raise ResourceInUseException(f"Solution {solution_arn} is {solution.status}; it must be ACTIVE.")
        update = solution.latest_solution_update
        if update is not None and update.status != states.ACTIVE:
            raise ResourceInUseException(f"Solution {solution_arn} already has an update in progress.")
        if perform_incremental_update and solution.recipe and solution.recipe.name != "aws-semantic-similarity":
            raise InvalidInputException("performIncrementalUpdate is only supported by aws-semantic-similarity.")
        config = dict(solution_update_config or {})
        schedule = (config.get("autoTrainingConfig") or {}).get("schedulingExpression")
        if schedule is not None:
            match = SCHEDULE.fullmatch(schedule)
            if not match or not 1 <= int(match.group(1)) <= 30:
                raise InvalidInputException(
                    f"autoTrainingConfig.schedulingExpression '{schedule}' must be rate(N days) with N from 1 to 30."
                )
        if perform_auto_training is not None:
            solution.perform_auto_training = perform_auto_training
        if perform_incremental_update is not None:
            solution.perform_incremental_update = perform_incremental_update
        merged = dict(solution.solution_config or {})
        merged.update({k: v for k, v in config.items() if v is not None})
        solution.solution_config = merged or None
        solution.latest_solution_update = SolutionUpdate(
            config, solution.perform_auto_training, solution.perform_incremental_update
        )
        solution.touch()
        return {"solutionArn": solution.arn}

    def delete_solution(self, solution_arn: str) -> None:
        solution = self.solutions.get(solution_arn)
        if solution.deleting:
            raise ResourceInUseException(f"Solution {solution_arn} is already being deleted.")
        if any(v.status in (states.CREATE_PENDING, states.CREATE_IN_PROGRESS) for v in solution.versions):
            raise ResourceInUseException(f"Solution {solution_arn} has a solution version in training.")
        blockers = getattr(self, "solution_users", lambda arn: [])(solution_arn)
        if blockers:
            raise ResourceInUseException(f"Solution {solution_arn} is used by {blockers[0]}.")
        for version in solution.versions:
            self.solution_versions.remove(version.arn)
        solution.start_delete()

    # ---- solution versions ---------------------------------------------------------------
    def create_solution_version(
        self,
        solution_arn: str,
        name: str | None = None,
        training_mode: str | None = None,
        tags: list[dict[str, str]] | None = None,
    ) -> dict[str, Any]:
        solution = self.solutions.get(solution_arn)
        if solution.status != states.ACTIVE:
            raise ResourceInUseException(f"Solution {solution_arn} is {solution.status}; it must be ACTIVE.")
        mode = training_mode or "FULL"
        base = None
        if mode == "UPDATE":
            if solution.recipe is None or solution.recipe.name not in UPDATE_RECIPES:
                raise InvalidInputException(
                    "trainingMode UPDATE is only supported by aws-user-personalization solutions."
                )
            fulls = [v for v in solution.versions if v.training_mode == "FULL" and v.status == states.ACTIVE]
            if not fulls:
                raise InvalidInputException(
                    f"Solution {solution_arn} has no ACTIVE FULL solution version to update; train one with trainingMode FULL first."
                )
            base = fulls[-1].trained
        elif mode == "AUTOTRAIN":
            raise InvalidInputException("trainingMode AUTOTRAIN is used by the service itself for automatic training.")
        if name and any(v.name == name for v in solution.versions):
            raise ResourceAlreadyExistsException(f"Solution {solution_arn} already has a version named {name}.")
        running = sum(1 for v in self.solution_versions if v.status in (states.CREATE_PENDING, states.CREATE_IN_PROGRESS))
        if running >= MAX_RUNNING_VERSIONS:
            raise LimitExceededException("More than 20 resources with PENDING or IN_PROGRESS status.")
        version_id = unused(lambda: mock_random.get_random_hex(8), lambda v: f"{solution.arn}/{v}" in self.solution_versions)
        arn = f"{solution.arn}/{version_id}"
        injected = take_create_failure("solution-version")
        trained, failure, tuned = (None, injected, None) if injected else self._train(solution, base)
        version = SolutionVersion(arn, name or f"{solution.name}/{version_id}", solution, mode, trained, failure)
        version.tuned_parameters = tuned
        self.create_tagged(self.solution_versions, version, tags)  # type: ignore[attr-defined]
        solution.versions.append(version)
        return {"solutionVersionArn": version.arn}

    def _train(self, solution: Solution, base: Any) -> tuple[Any, str | None, dict[str, str] | None]:
        from ..engine.seeding import data_fingerprint, training_seed
        from ..engine.training import TrainingError, check_minimums, train
        from .training_data import training_data

        recipe = solution.recipe
        assert recipe is not None
        config = solution.solution_config or {}
        try:
            datasets = self._datasets_of(solution.dataset_group_arn)
            data = training_data(datasets)
            threshold = config.get("eventValueThreshold")
            per_type = {
                p["eventType"]: p.get("eventValueThreshold")
                for p in (config.get("eventsConfig") or {}).get("eventParametersList", [])
                if p.get("eventType")
            }
            data = data.filtered(solution.event_type, float(threshold) if threshold else None, per_type or None)
            if not relaxed_data():
                check_minimums(data)
            params = dict(recipe.default_hyperparameters)
            params.update(config.get("algorithmHyperParameters") or {})
            configuration = {"solution": config, "hyperparameters": params, "mode": base is not None}
            seed = training_seed(recipe.arn, configuration, data_fingerprint(data), user_seed())
            if solution.perform_hpo and base is None and recipe.hpo:
                trained, tuned = _hpo_search(recipe, data, seed, params, config)
                return trained, None, tuned
            return train(recipe.family, data, seed, params, base), None, None
        except TrainingError as error:
            reason = str(error)
            if "fewer than" in reason:
                reason += f" (set {RELAXED_DATA_ENV}=1 to train on less in tests)"
            return None, reason, None

    def describe_solution_version(self, solution_version_arn: str) -> dict[str, Any]:
        return {"solutionVersion": self.solution_versions.describe(solution_version_arn)}

    @paginated("solutionVersions")
    def list_solution_versions(self, solution_arn: str | None = None) -> list[SolutionVersion]:
        if solution_arn:
            self.solutions.get(solution_arn)
        return self.solution_versions.listed(lambda v: solution_arn in (None, v.solution_arn))

    def stop_solution_version_creation(self, solution_version_arn: str) -> None:
        version = self.solution_versions.get(solution_version_arn)
        if version.status not in (states.CREATE_PENDING, states.CREATE_IN_PROGRESS):
            raise ResourceInUseException(
                f"Solution version {solution_version_arn} is {version.status}; only a version in "
                "CREATE PENDING or CREATE IN_PROGRESS can be stopped."
            )
        version.stop()

    def get_solution_metrics(self, solution_version_arn: str) -> dict[str, Any]:
        version = self.solution_versions.describe(solution_version_arn)
        if version.status != states.ACTIVE or version.trained is None:
            raise ResourceInUseException(
                f"Solution version {solution_version_arn} is {version.status}; metrics exist once it is ACTIVE."
            )
        return {"solutionVersionArn": version.arn, "metrics": dict(version.trained.metrics)}

