"""The shape of Amazon Personalize's recipe catalogue: hyperparameters, feature
transformations, algorithms and recipes with the facts training and serving read from them.
The data itself is in ``recipe_table``; ``catalogue`` serves it.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any, ClassVar

ACTIVE = "ACTIVE"
ARN_PREFIX = "arn:aws:personalize:::"

# Recipe types the API reports.
USER_PERSONALIZATION = "USER_PERSONALIZATION"
PERSONALIZED_RANKING = "PERSONALIZED_RANKING"
RELATED_ITEMS = "RELATED_ITEMS"
POPULAR_ITEMS = "POPULAR_ITEMS"
PERSONALIZED_ACTIONS = "PERSONALIZED_ACTIONS"
USER_SEGMENTATION = "USER_SEGMENTATION"

ECOMMERCE = "ECOMMERCE"
VIDEO_ON_DEMAND = "VIDEO_ON_DEMAND"

# Dataset types, spelled as resources/schema_rules.DATASET_TYPES spells them.
INTERACTIONS = "INTERACTIONS"
ITEMS = "ITEMS"
USERS = "USERS"
ACTIONS = "ACTIONS"
ACTION_INTERACTIONS = "ACTION_INTERACTIONS"

FAMILIES = (
    "user_personalization",
    "personalized_ranking",
    "sims",
    "similar_items",
    "semantic_similarity",
    "popularity",
    "trending",
    "item_affinity",
    "item_attribute_affinity",
    "next_best_action",
)

# Emulator's choice: the real HPO resource defaults are not documented (service maxima: 40 / 10).
HPO_RESOURCE_DEFAULTS = {"maxNumberOfTrainingJobs": "20", "maxParallelTrainingJobs": "5"}
# Item exploration defaults (campaignConfig / recommenderConfig itemExplorationConfig).
EXPLORATION_DEFAULTS = {"explorationWeight": "0.3", "explorationItemAgeCutOff": "30"}


def launched(year: int, month: int, day: int, minute: int = 0) -> datetime:
    return datetime(year, month, day, 0, minute, tzinfo=timezone.utc)


# ---- parameters ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Param:
    """One tunable or fixed parameter: its default (a string) and its allowed range."""

    name: str
    kind: str  # "integer" | "continuous" | "categorical"
    default: str
    min: float | None = None  # None: unbounded on that side
    max: float | None = None
    values: tuple[str, ...] = ()  # categorical only
    tunable: bool = False  # may take part in HPO

    def range_entry(self) -> dict[str, Any]:
        """The DefaultInteger/Continuous/CategoricalHyperParameterRange for this parameter."""
        if self.kind == "categorical":
            return {"name": self.name, "values": list(self.values), "isTunable": self.tunable}
        entry: dict[str, Any] = {"name": self.name, "isTunable": self.tunable}
        cast = int if self.kind == "integer" else float
        if self.min is not None:
            entry["minValue"] = cast(self.min)
        if self.max is not None:
            entry["maxValue"] = cast(self.max)
        return entry

    def accepts(self, value: str) -> bool:
        """Whether ``value`` (a string, as the API passes it) lies within this parameter's range."""
        if self.kind == "categorical":
            return value.lower() in {v.lower() for v in self.values}
        try:
            number = int(value) if self.kind == "integer" else float(value)
        except ValueError:
            return False
        return (self.min is None or number >= self.min) and (self.max is None or number <= self.max)


def integer(name: str, default: int, low: int | None, high: int | None, tunable: bool) -> Param:
    return Param(name, "integer", str(default), low, high, tunable=tunable)


def continuous(name: str, default: str, low: float | None, high: float | None, tunable: bool) -> Param:
    return Param(name, "continuous", default, low, high, tunable=tunable)


def categorical(name: str, default: str, values: tuple[str, ...], tunable: bool) -> Param:
    return Param(name, "categorical", default, values=values, tunable=tunable)


def hidden_dimension(default: int, tunable: bool = True) -> Param:
    return integer("hidden_dimension", default, 32, 256, tunable)


BPTT = integer("bptt", 32, 2, 32, True)
RECENCY_MASK = categorical("recency_mask", "true", ("true", "false"), True)
APPLY_RECENCY_BIAS = categorical("apply_recency_bias", "true", ("true", "false"), False)


def history_percentiles(low: str, high: str) -> tuple[Param, Param]:
    return (
        continuous("min_user_history_length_percentile", low, 0.0, 1.0, False),
        continuous("max_user_history_length_percentile", high, 0.0, 1.0, False),
    )


# ---- feature transformations --------------------------------------------------------------


@dataclass(frozen=True)
class FeatureTransformationInfo:
    name: str
    parameters: tuple[Param, ...]
    created: datetime
    documented: bool = True  # False: the ARN is the emulator's inference, not from the guide

    @property
    def arn(self) -> str:
        return f"{ARN_PREFIX}feature-transformation/{self.name}"

    @property
    def default_parameters(self) -> dict[str, str]:
        return {p.name: p.default for p in self.parameters}

    def describe(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "featureTransformationArn": self.arn,
            "defaultParameters": self.default_parameters,
            "creationDateTime": self.created,
            "lastUpdatedDateTime": self.created,
            "status": ACTIVE,
        }




# ---- algorithms ---------------------------------------------------------------------------


@dataclass(frozen=True)
class AlgorithmInfo:
    name: str
    hyperparameters: tuple[Param, ...]
    created: datetime

    training_input_mode: ClassVar[str] = "File"  # (?) undocumented; SageMaker's usual mode

    @property
    def arn(self) -> str:
        return f"{ARN_PREFIX}algorithm/{self.name}"

    @property
    def default_hyperparameters(self) -> dict[str, str]:
        return {p.name: p.default for p in self.hyperparameters}

    @property
    def hpo(self) -> bool:
        return any(p.tunable for p in self.hyperparameters)

    def default_ranges(self) -> dict[str, list[dict[str, Any]]]:
        ranges: dict[str, list[dict[str, Any]]] = {
            "integerHyperParameterRanges": [],
            "continuousHyperParameterRanges": [],
            "categoricalHyperParameterRanges": [],
        }
        for p in self.hyperparameters:
            ranges[f"{p.kind}HyperParameterRanges"].append(p.range_entry())
        return ranges

    def describe(self) -> dict[str, Any]:
        algorithm: dict[str, Any] = {
            "name": self.name,
            "algorithmArn": self.arn,
            # The real image URI is not documented; this one only names the algorithm.
            "algorithmImage": {"name": self.name, "dockerURI": f"personalize/{self.name}:latest"},
            "defaultHyperParameters": self.default_hyperparameters,
            "defaultHyperParameterRanges": self.default_ranges(),
            "trainingInputMode": self.training_input_mode,
            "creationDateTime": self.created,
            "lastUpdatedDateTime": self.created,
        }
        if self.hpo:
            algorithm["defaultResourceConfig"] = dict(HPO_RESOURCE_DEFAULTS)
        return algorithm


# ---- recipes ------------------------------------------------------------------------------


@dataclass(frozen=True)
class RecipeInfo:
    """One recipe. ``arn`` and the other derived names are properties, so the serializer and
    the ``paginated`` decorator read it like any resource."""

    name: str
    recipe_type: str
    family: str  # one of FAMILIES; for a domain recipe, the family that implements it
    description: str
    created: datetime
    algorithm: AlgorithmInfo
    feature_transformation: FeatureTransformationInfo | None = None
    domain: str | None = None
    required_datasets: tuple[str, ...] = (INTERACTIONS,)
    optional_datasets: tuple[str, ...] = ()
    legacy: bool = False  # HRNN family: "no longer available" for new solutions
    # Runtime inputs (GetRecommendations / GetPersonalizedRanking / GetActionRecommendations).
    user_id_required: bool = False
    item_id_required: bool = False
    # Domain use cases: event types the training data must contain (>= 1000 of them), and the
    # event type whose items the use case drops from a user's recommendations.
    required_event_types: tuple[str, ...] = ()
    auto_exclude_event_type: str | None = None
    exploration: bool = False  # accepts itemExplorationConfig
    batch_inference: bool = True  # False: no batch inference jobs (and USER_SEGMENTATION: segments)
    scores: bool = False  # results carry a score
    max_items: int | None = None  # training cap on items, when the guide states one

    status: ClassVar[str] = ACTIVE

    @property
    def arn(self) -> str:
        return f"{ARN_PREFIX}recipe/{self.name}"

    recipe_arn = arn

    @property
    def algorithm_arn(self) -> str:
        return self.algorithm.arn

    @property
    def feature_transformation_arn(self) -> str | None:
        return self.feature_transformation.arn if self.feature_transformation else None

    @property
    def creation_date_time(self) -> datetime:
        return self.created

    @property
    def last_updated_date_time(self) -> datetime:
        return self.created

    @property
    def default_hyperparameters(self) -> dict[str, str]:
        """The algorithm's defaults (``solutionConfig.algorithmHyperParameters``)."""
        return self.algorithm.default_hyperparameters

    @property
    def default_featurization(self) -> dict[str, str]:
        """The feature transformation's defaults (``solutionConfig.featureTransformationParameters``)."""
        return self.feature_transformation.default_parameters if self.feature_transformation else {}

    @property
    def hyperparameters(self) -> dict[str, Param]:
        return {p.name: p for p in self.algorithm.hyperparameters}

    @property
    def featurization(self) -> dict[str, Param]:
        params = self.feature_transformation.parameters if self.feature_transformation else ()
        return {p.name: p for p in params}

    @property
    def hpo(self) -> bool:
        return self.algorithm.hpo

    @property
    def exploration_defaults(self) -> dict[str, str]:
        return dict(EXPLORATION_DEFAULTS) if self.exploration else {}

    @property
    def use_case(self) -> bool:
        """A domain use case (CreateRecommender) rather than a custom recipe (CreateSolution)."""
        return self.domain is not None
