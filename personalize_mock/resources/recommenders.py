"""Recommenders: a Domain dataset group's use case, trained on create and served at once.

CreateRecommender trains synchronously (``engine.training``) with the use case's recipe family,
like a solution version: the real minimum data rules apply, and each required event type of
the use case needs 1,000 interactions of that type (both relaxed by
``PERSONALIZE_MOCK_RELAXED_DATA``). A recommender that cannot train ends in ``CREATE FAILED``.

Lifecycles (state-manager models): ``personalize::recommender`` (create),
``-update`` (``latestRecommenderUpdate``; the previous configuration and model keep serving
until it is ACTIVE), ``-stop`` (STOP PENDING → STOP IN_PROGRESS → INACTIVE), ``-start``
(START PENDING → START IN_PROGRESS → ACTIVE) and ``-delete``.

Runtime-facing names: ``arn``, ``status``, ``recipe``, ``trained``, ``recommender_config``,
``dataset_group_arn``.
"""

from __future__ import annotations

from typing import Any

from .. import states
from ..exceptions import (
    InvalidInputException,
    LimitExceededException,
    ResourceInUseException,
    ResourceNotFoundException,
)
from ..settings import RELAXED_DATA_ENV, relaxed_data, user_seed
from .base import Resource, Store, UpdateRecord, paginated
from .campaigns import exploration_config
from .catalogue import RECIPES, RecipeInfo
from .datasets import Dataset, DatasetGroup

MAX_RECOMMENDERS_PER_GROUP = 5
MIN_EVENTS_PER_TYPE = 1000
TRAINING_COLUMN_TYPES = ("INTERACTIONS", "ITEMS", "USERS")
# Columns training cannot do without: they may not be excluded.
ESSENTIAL_COLUMNS = ("USER_ID", "ITEM_ID", "TIMESTAMP", "EVENT_TYPE")
# Statuses in which the recommender has a model to report on.
_TRAINED_STATUSES = (
    states.ACTIVE, states.STOP_PENDING_STATUS, states.STOP_IN_PROGRESS, states.INACTIVE,
    states.START_PENDING, states.START_IN_PROGRESS,
)


class RecommenderUpdate(UpdateRecord):
    """``latestRecommenderUpdate``: its own CREATE lifecycle while the recommender serves on."""

    def __init__(self, config: dict[str, Any], trained: Any, failure_reason: str | None) -> None:
        super().__init__("recommender", failure_reason)
        self.recommender_config = config
        self.trained = trained  # a retrained model when the training columns changed, else None


class Recommender(Resource):
    kind = "recommender"

    def __init__(self, arn: str, name: str, group: DatasetGroup, recipe: RecipeInfo, config: dict[str, Any],
                 trained: Any, failure_reason: str | None) -> None:
        super().__init__(arn, name, failure_reason)
        self.dataset_group_arn = group.arn
        self.recipe = recipe
        self.recipe_arn = recipe.arn
        self._config = config
        self._trained = trained  # engine.training.Trained; None when training failed
        self.latest_recommender_update: RecommenderUpdate | None = None

    def advance(self) -> None:
        super().advance()
        if self.latest_recommender_update:
            self.latest_recommender_update.advance()

    def _current(self) -> tuple[dict[str, Any], Any]:
        update = self.latest_recommender_update
        if update is not None and update.status == states.ACTIVE:
            return update.recommender_config, update.trained or self._trained
        return self._config, self._trained

    def settle(self) -> None:
        """Make an ACTIVE update the base before a new update replaces it."""
        self._config, self._trained = self._current()

    @property
    def recommender_config(self) -> dict[str, Any]:
        return self._current()[0]

    @property
    def trained(self) -> Any:
        return self._current()[1]

    @property
    def model_metrics(self) -> dict[str, float] | None:
        trained = self.trained
        if trained is None or self.status not in _TRAINED_STATUSES:
            return None  # absent while creating, deleting, or after a failed training
        return dict(trained.metrics)

    def stop(self) -> None:
        self._enter("stop", states.RECOMMENDER_STOP)
        self.touch()

    def start(self) -> None:
        self._enter("start", states.RECOMMENDER_START)
        self.touch()


class RecommendersMixin:
    """Backend operations for recommenders. Mixed into PersonalizeBackend."""

    dataset_groups: Store[DatasetGroup]
    datasets: Store[Dataset]
    recommenders: Store[Recommender]

    def create_recommender(
        self,
        name: str,
        dataset_group_arn: str,
        recipe_arn: str,
        recommender_config: dict[str, Any] | None = None,
        tags: list[dict[str, str]] | None = None,
    ) -> dict[str, Any]:
        arn = self.arn(f"recommender/{name}")  # type: ignore[attr-defined]
        self.recommenders.ensure_new(arn)
        group = self.dataset_groups.get(dataset_group_arn)
        recipe = RECIPES.get(recipe_arn)
        if recipe is None:
            raise ResourceNotFoundException(f"Could not find recipe {recipe_arn}.")
        if not group.domain:
            raise InvalidInputException(
                f"Dataset group {dataset_group_arn} is a Custom dataset group; recommenders need a Domain "
                "dataset group (create solutions and campaigns for a Custom one)."
            )
        if not recipe.use_case:
            raise InvalidInputException(
                f"Recipe {recipe_arn} is a custom recipe, not a domain use case: create a solution for it "
                "(CreateSolution), not a recommender."
            )
        if recipe.domain != group.domain:
            raise InvalidInputException(
                f"Recipe {recipe_arn} is a {recipe.domain} use case; dataset group {dataset_group_arn} "
                f"has domain {group.domain}."
            )
        if group.status != states.ACTIVE:
            raise ResourceInUseException(f"Dataset group {dataset_group_arn} is {group.status}; it must be ACTIVE.")
        present = self._datasets_of(group.arn)  # type: ignore[attr-defined]
        missing = [kind for kind in recipe.required_datasets if kind not in present]
        if missing:
            names = ", ".join(kind.title() for kind in missing)
            raise InvalidInputException(
                f"Use case {recipe.name} needs these datasets in dataset group {group.arn}: {names}."
            )
        config = self._recommender_config(recommender_config or {}, recipe, present)
        live = [r for r in self.recommenders if r.dataset_group_arn == group.arn and not r.deleting]
        if len(live) >= MAX_RECOMMENDERS_PER_GROUP:
            raise LimitExceededException(
                "Cannot create a recommender. More than 5 recommenders in dataset group "
                f"{dataset_group_arn}. Please delete some and try again."
            )
        trained, failure = self._train_use_case(group.arn, recipe, config)
        recommender = Recommender(arn, name, group, recipe, config, trained, failure)
        self.create_tagged(self.recommenders, recommender, tags)  # type: ignore[attr-defined]
        return {"recommenderArn": recommender.arn}

    def _recommender_config(self, given: dict[str, Any], recipe: RecipeInfo,
                            present: dict[str, Dataset]) -> dict[str, Any]:
        config = {k: v for k, v in given.items() if v is not None}
        exploration = exploration_config(config.get("itemExplorationConfig"), recipe, "recommenderConfig")
        if exploration is not None:
            config["itemExplorationConfig"] = exploration
        config.setdefault("minRecommendationRequestsPerSecond", 1)
        training = config.get("trainingDataConfig")
        if training:
            config["trainingDataConfig"] = self._training_columns(training, present)
        return config

    @staticmethod
    def _training_columns(training: dict[str, Any], present: dict[str, Dataset]) -> dict[str, Any]:
        def bad(message: str) -> InvalidInputException:
            return InvalidInputException(f"Invalid recommenderConfig.trainingDataConfig: {message}")

        result: dict[str, Any] = {}
        for member in ("excludedDatasetColumns", "includedDatasetColumns"):
            columns = training.get(member)
            if columns is None:
                continue
            checked: dict[str, list[str]] = {}
            for dataset_type, names in columns.items():
                kind = dataset_type.upper()
                if kind not in TRAINING_COLUMN_TYPES:
                    raise bad(f"{member} key {dataset_type} must be one of {', '.join(TRAINING_COLUMN_TYPES)}.")
                dataset = present.get(kind)
                if dataset is None:
                    raise bad(f"{member} names {kind} columns but the dataset group has no {kind.title()} dataset.")
                known = {f.name for f in dataset.fields}
                for column in names:
                    if column not in known:
                        raise bad(f"{member}.{dataset_type}: {column} is not a column of the {kind.title()} dataset.")
                    if member == "excludedDatasetColumns" and column in ESSENTIAL_COLUMNS:
                        raise bad(f"{column} is required for training and cannot be excluded.")
                checked[dataset_type] = list(names)
            result[member] = checked
        return result

    def _train_use_case(self, group_arn: str, recipe: RecipeInfo,
                        config: dict[str, Any]) -> tuple[Any, str | None]:
        from ..engine.seeding import data_fingerprint, training_seed
        from ..engine.training import TrainingError, check_minimums, train
        from .training_data import training_data

        try:
            datasets = self._datasets_of(group_arn)  # type: ignore[attr-defined]
            data = training_data(datasets)
            _apply_columns(data, config.get("trainingDataConfig") or {})
            if not relaxed_data():
                check_minimums(data)
                for kind in recipe.required_event_types:
                    found = int((data.event_types == kind).sum()) if data.event_types is not None else 0
                    if found < MIN_EVENTS_PER_TYPE:
                        raise TrainingError(
                            f"Dataset has fewer than {MIN_EVENTS_PER_TYPE} interactions after filtering by "
                            f"event type: {kind} ({found} found)."
                        )
            if len(recipe.required_event_types) == 1:
                # A use case defined by one event type learns from those events only.
                data = data.filtered(recipe.required_event_types[0], None)
            params = dict(recipe.default_hyperparameters)
            seed = training_seed(recipe.arn, {"recommender": config, "hyperparameters": params},
                                 data_fingerprint(data), user_seed())
            return train(recipe.family, data, seed, params), None
        except TrainingError as error:
            reason = str(error)
            if "fewer than" in reason:
                reason += f" (set {RELAXED_DATA_ENV}=1 to train on less in tests)"
            return None, reason

    def describe_recommender(self, recommender_arn: str) -> dict[str, Any]:
        return {"recommender": self.recommenders.describe(recommender_arn)}

    @paginated("recommenders")
    def list_recommenders(self, dataset_group_arn: str | None = None) -> list[Recommender]:
        return self.recommenders.listed(lambda r: dataset_group_arn in (None, r.dataset_group_arn))

    def update_recommender(self, recommender_arn: str, recommender_config: dict[str, Any]) -> dict[str, Any]:
        recommender = self.recommenders.get(recommender_arn)
        if recommender.status != states.ACTIVE:
            raise ResourceInUseException(
                f"Recommender {recommender_arn} is {recommender.status}; it must be ACTIVE to be updated."
            )
        update = recommender.latest_recommender_update
        if update is not None and update.status not in (states.ACTIVE, states.CREATE_FAILED):
            raise ResourceInUseException(
                f"Recommender {recommender_arn} already has an update in progress ({update.status})."
            )
        current = recommender.recommender_config
        merged = dict(current)  # members not given keep their values; a given map replaces its own
        merged.update({k: v for k, v in recommender_config.items() if v is not None})
        present = self._datasets_of(recommender.dataset_group_arn)  # type: ignore[attr-defined]
        config = self._recommender_config(merged, recommender.recipe, present)
        trained, failure = None, None
        if config.get("trainingDataConfig") != current.get("trainingDataConfig"):
            # Changing the training columns retrains; the old model serves until the update is ACTIVE.
            trained, failure = self._train_use_case(recommender.dataset_group_arn, recommender.recipe, config)
        recommender.settle()
        recommender.latest_recommender_update = RecommenderUpdate(config, trained, failure)
        recommender.touch()
        return {"recommenderArn": recommender.arn}

    def stop_recommender(self, recommender_arn: str) -> dict[str, Any]:
        recommender = self.recommenders.get(recommender_arn)
        if recommender.status != states.ACTIVE:
            raise ResourceInUseException(
                f"Recommender {recommender_arn} is {recommender.status}; only an ACTIVE recommender can be stopped."
            )
        recommender.stop()
        return {"recommenderArn": recommender.arn}

    def start_recommender(self, recommender_arn: str) -> dict[str, Any]:
        recommender = self.recommenders.get(recommender_arn)
        if recommender.status != states.INACTIVE:
            raise ResourceInUseException(
                f"Recommender {recommender_arn} is {recommender.status}; only an INACTIVE recommender can be started."
            )
        recommender.start()
        return {"recommenderArn": recommender.arn}

    def delete_recommender(self, recommender_arn: str) -> None:
        recommender = self.recommenders.get(recommender_arn)
        if recommender.deleting:
            raise ResourceInUseException(f"Recommender {recommender_arn} is already being deleted.")
        status = recommender.status
        if status not in (states.ACTIVE, states.CREATE_FAILED, states.INACTIVE):
            raise ResourceInUseException(
                f"Recommender {recommender_arn} is {status}; wait until it is ACTIVE, INACTIVE or CREATE FAILED."
            )
        recommender.start_delete()


def _apply_columns(data: Any, training: dict[str, Any]) -> None:
    """Honour trainingDataConfig for what the models read of the Items metadata."""
    excluded = {c for key, cols in (training.get("excludedDatasetColumns") or {}).items()
                if key.upper() == "ITEMS" for c in cols}
    included = next((set(cols) for key, cols in (training.get("includedDatasetColumns") or {}).items()
                     if key.upper() == "ITEMS"), None)
    if not excluded and included is None:
        return
    data.item_metadata = {
        code: {k: v for k, v in meta.items() if k not in excluded and (included is None or k in included)}
        for code, meta in data.item_metadata.items()
    }
