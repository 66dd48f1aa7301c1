"""The read-only catalogue Amazon Personalize owns: recipes, their algorithms and feature
transformations (ListRecipes, DescribeRecipe, DescribeAlgorithm, DescribeFeatureTransformation).

Service-owned ARNs carry no region or account: ``arn:aws:personalize:::recipe/<name>``,
``:::algorithm/<name>``, ``:::feature-transformation/<name>``. Every entry is ACTIVE and its
timestamps are fixed (the emulator picks roughly each recipe's launch date; the real values are
not documented).

Parameters follow the developer guide's recipe pages: *algorithm* hyperparameters belong to the
algorithm (``defaultHyperParameters`` / ``defaultHyperParameterRanges``), *featurization*
hyperparameters to the feature transformation (``defaultParameters``). All values are strings,
as in the API's maps.

Other modules use the lookup API: ``RECIPES`` (by ARN), ``RECIPES_BY_NAME``, ``ALGORITHMS``,
``FEATURE_TRANSFORMATIONS`` and ``recipe(arn)``.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any, ClassVar

from ..exceptions import not_found
from .base import paginated

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


def _at(year: int, month: int, day: int, minute: int = 0) -> datetime:
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


def _integer(name: str, default: int, low: int | None, high: int | None, tunable: bool) -> Param:
    return Param(name, "integer", str(default), low, high, tunable=tunable)


def _continuous(name: str, default: str, low: float | None, high: float | None, tunable: bool) -> Param:
    return Param(name, "continuous", default, low, high, tunable=tunable)


def _categorical(name: str, default: str, values: tuple[str, ...], tunable: bool) -> Param:
    return Param(name, "categorical", default, values=values, tunable=tunable)


def _hidden_dimension(default: int, tunable: bool = True) -> Param:
    return _integer("hidden_dimension", default, 32, 256, tunable)


BPTT = _integer("bptt", 32, 2, 32, True)
RECENCY_MASK = _categorical("recency_mask", "true", ("true", "false"), True)
APPLY_RECENCY_BIAS = _categorical("apply_recency_bias", "true", ("true", "false"), False)


def _history_percentiles(low: str, high: str) -> tuple[Param, Param]:
    return (
        _continuous("min_user_history_length_percentile", low, 0.0, 1.0, False),
        _continuous("max_user_history_length_percentile", high, 0.0, 1.0, False),
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


_FEATURE_TRANSFORMATIONS = (
    FeatureTransformationInfo(
        "JSON-percentile-filtering", _history_percentiles("0.0", "0.99"), _at(2019, 6, 10)
    ),
    FeatureTransformationInfo(
        "featurize_metadata", _history_percentiles("0.0", "0.99"), _at(2019, 6, 10, 1)
    ),
    FeatureTransformationInfo(
        "featurize_coldstart",
        (
            _integer("cold_start_max_interactions", 15, 1, None, False),
            _continuous("cold_start_max_duration", "5.0", 0.0, None, False),
            _categorical("cold_start_relative_from", "latestItem", ("currentTime", "latestItem"), False),
            *_history_percentiles("0.0", "0.99"),
        ),
        _at(2019, 6, 10, 2),
    ),
    FeatureTransformationInfo(
        "sims",
        (
            *_history_percentiles("0.005", "0.995"),
            _continuous("min_item_interaction_count_percentile", "0.01", 0.0, 1.0, False),
            _continuous("max_item_interaction_count_percentile", "0.9", 0.0, 1.0, False),
        ),
        _at(2019, 6, 10, 3),
    ),
    # The guide names no feature transformation for Trending-Now, yet documents the
    # `trend_discovery_frequency` featureTransformationParameter (default "2 hours" in the current
    # guide; "3h" in the 2023 one). The ARN below is the emulator's choice.
    FeatureTransformationInfo(
        "aws-trending-now",
        (
            _categorical(
                "trend_discovery_frequency",
                "2 hours",
                ("30 minutes", "1 hour", "2 hours", "3 hours", "1 day"),
                False,
            ),
        ),
        _at(2022, 7, 21),
        documented=False,
    ),
    FeatureTransformationInfo("item-affinity", (), _at(2022, 8, 31)),
    FeatureTransformationInfo("item-attribute-affinity", (), _at(2022, 8, 31, 1)),
    # Next-Best-Action's featurization hyperparameter needs a home; the guide names no ARN.
    FeatureTransformationInfo(
        "aws-next-best-action",
        (_integer("action_optimization_period", 14, 7, 28, False),),
        _at(2023, 11, 16),
        documented=False,
    ),
    # Popularity and freshness factors are campaign-time ranking settings, not defaults here.
    FeatureTransformationInfo("aws-semantic-similarity", (), _at(2025, 6, 2)),
)
FEATURE_TRANSFORMATIONS: dict[str, FeatureTransformationInfo] = {
    ft.arn: ft for ft in _FEATURE_TRANSFORMATIONS
}


def _ft(name: str) -> FeatureTransformationInfo:
    return FEATURE_TRANSFORMATIONS[f"{ARN_PREFIX}feature-transformation/{name}"]


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


def _algorithm(name: str, params: tuple[Param, ...], created: datetime) -> AlgorithmInfo:
    return AlgorithmInfo(name, params, created)


_UP_PARAMS = (_hidden_dimension(149), BPTT, RECENCY_MASK)

_CUSTOM = (
    RecipeInfo(
        "aws-user-personalization-v2",
        USER_PERSONALIZATION,
        "user_personalization",
        "Transformer-based user recommendations for catalogues of up to five million items, "
        "with managed exploration of fresh items.",
        _at(2024, 5, 2),
        _algorithm("aws-user-personalization-v2", (APPLY_RECENCY_BIAS,), _at(2024, 5, 2)),
        optional_datasets=(ITEMS, USERS),
        user_id_required=True,
        scores=True,
        max_items=5_000_000,
    ),
    RecipeInfo(
        "aws-user-personalization",
        USER_PERSONALIZATION,
        "user_personalization",
        "Personalized item recommendations per user that balance relevance against exploring "
        "new or little-seen items, using impressions when present.",
        _at(2020, 6, 16),
        _algorithm("aws-user-personalization", _UP_PARAMS, _at(2020, 6, 16)),
        # (?) not named on the recipe page; it shares HRNN's user-history percentile settings.
        _ft("JSON-percentile-filtering"),
        optional_datasets=(ITEMS, USERS),
        user_id_required=True,
        exploration=True,
        scores=True,
        max_items=750_000,
    ),
    RecipeInfo(
        "aws-hrnn",
        USER_PERSONALIZATION,
        "user_personalization",
        "Legacy hierarchical recurrent network over ordered user histories.",
        _at(2019, 6, 10),
        _algorithm("aws-hrnn", (_hidden_dimension(43), BPTT, RECENCY_MASK), _at(2019, 6, 10)),
        _ft("JSON-percentile-filtering"),
        legacy=True,
        user_id_required=True,
        scores=True,
    ),
    RecipeInfo(
        "aws-hrnn-metadata",
        USER_PERSONALIZATION,
        "user_personalization",
        "Legacy HRNN variant that also learns from user, item and contextual metadata.",
        _at(2019, 6, 10, 1),
        _algorithm("aws-hrnn-metadata", (_hidden_dimension(43), BPTT, RECENCY_MASK), _at(2019, 6, 10, 1)),
        _ft("featurize_metadata"),
        optional_datasets=(ITEMS, USERS),
        legacy=True,
        user_id_required=True,
        scores=True,
    ),
    RecipeInfo(
        "aws-hrnn-coldstart",
        USER_PERSONALIZATION,
        "user_personalization",
        "Legacy HRNN variant that can recommend new items with few interactions (cold items).",
        _at(2019, 6, 10, 2),
        _algorithm("aws-hrnn-coldstart", _UP_PARAMS, _at(2019, 6, 10, 2)),
        _ft("featurize_coldstart"),
        # Cold items are characterised by their metadata.
        required_datasets=(INTERACTIONS, ITEMS),
        optional_datasets=(USERS,),
        legacy=True,
        user_id_required=True,
        scores=True,
    ),
    # The recipe page calls it USER_PERSONALIZATION (what DescribeRecipe is taken to report);
    # the recipe-type overview lists it under POPULAR_ITEMS, which is how it behaves: the same
    # list for everyone, no scores, userId needed only by user-based filters.
    RecipeInfo(
        "aws-popularity-count",
        USER_PERSONALIZATION,
        "popularity",
        "Baseline that recommends the items with the most interactions from distinct users.",
        _at(2019, 6, 10, 3),
        _algorithm("aws-popularity-count", (), _at(2019, 6, 10, 3)),
        _ft("sims"),
    ),
    RecipeInfo(
        "aws-trending-now",
        POPULAR_ITEMS,
        "trending",
        "Recommends the items whose interaction counts grow fastest over a chosen interval.",
        _at(2022, 7, 21),
        _algorithm("aws-trending-now-custom", (), _at(2022, 7, 21)),
        _ft("aws-trending-now"),
        batch_inference=False,
    ),
    RecipeInfo(
        "aws-personalized-ranking-v2",
        PERSONALIZED_RANKING,
        "personalized_ranking",
        "Transformer-based re-ranking of a given item list for a user, for catalogues of up to "
        "five million items.",
        _at(2024, 5, 2, 1),
        _algorithm("aws-personalized-ranking-v2", (APPLY_RECENCY_BIAS,), _at(2024, 5, 2, 1)),
        optional_datasets=(ITEMS, USERS),
        user_id_required=True,
        scores=True,
        max_items=5_000_000,
    ),
    RecipeInfo(
        "aws-personalized-ranking",
        PERSONALIZED_RANKING,
        "personalized_ranking",
        "Re-ranks a given list of items (search results, curated lists) for one user.",
        _at(2019, 6, 10, 4),
        _algorithm("aws-personalized-ranking", _UP_PARAMS, _at(2019, 6, 10, 4)),
        _ft("JSON-percentile-filtering"),
        optional_datasets=(ITEMS, USERS),
        user_id_required=True,
        scores=True,
        max_items=750_000,
    ),
    RecipeInfo(
        "aws-similar-items",
        RELATED_ITEMS,
        "similar_items",
        "Items related to a given item, from co-occurrence in user histories combined with "
        "item metadata.",
        _at(2022, 8, 17),
        _algorithm(
            "aws-similar-items",
            (
                _integer("item_id_hidden_dim", 100, 30, 200, True),
                _integer("item_metadata_hidden_dim", 100, 30, 200, True),
            ),
            _at(2022, 8, 17),
        ),
        # The guide recommends, but does not require, an Items dataset.
        optional_datasets=(ITEMS,),
        item_id_required=True,
    ),
    RecipeInfo(
        "aws-sims",
        RELATED_ITEMS,
        "sims",
        "Item-to-item similarity from how often items co-occur in user histories.",
        _at(2019, 6, 10, 5),
        _algorithm(
            "aws-sims",
            (
                _continuous("popularity_discount_factor", "0.5", 0.0, 1.0, True),
                _integer("min_cointeraction_count", 3, 0, 10, True),
            ),
            _at(2019, 6, 10, 5),
        ),
        _ft("sims"),
        item_id_required=True,
    ),
    RecipeInfo(
        "aws-semantic-similarity",
        RELATED_ITEMS,
        "semantic_similarity",
        "Items whose names and text descriptions are closest in meaning to a given item.",
        _at(2025, 6, 2),
        _algorithm("aws-semantic-similarity", (), _at(2025, 6, 2)),
        _ft("aws-semantic-similarity"),
        # Needs an itemName field and a textual field; interactions only feed popularity ranking.
        required_datasets=(ITEMS,),
        optional_datasets=(INTERACTIONS,),
        item_id_required=True,
        max_items=10_000_000,
    ),
    RecipeInfo(
        "aws-next-best-action",
        PERSONALIZED_ACTIONS,
        "next_best_action",
        "Ranks the actions in the Actions dataset by how likely a user is to take each one.",
        _at(2023, 11, 16),
        _algorithm("aws-next-best-action", (), _at(2023, 11, 16)),
        _ft("aws-next-best-action"),
        # Item interactions (>= 1000) and Actions are required; action interactions are
        # recommended but optional (scores stay 0.0 without them).
        required_datasets=(INTERACTIONS, ACTIONS),
        optional_datasets=(ACTION_INTERACTIONS, ITEMS, USERS),
        user_id_required=True,
        exploration=True,
        batch_inference=False,
        scores=True,
    ),
    RecipeInfo(
        "aws-item-affinity",
        USER_SEGMENTATION,
        "item_affinity",
        "Builds, for each given item, the segment of users most likely to interact with it.",
        _at(2022, 8, 31),
        _algorithm("aws-item-affinity", (_hidden_dimension(149, tunable=False),), _at(2022, 8, 31)),
        _ft("item-affinity"),
        optional_datasets=(ITEMS, USERS),
    ),
    RecipeInfo(
        "aws-item-attribute-affinity",
        USER_SEGMENTATION,
        "item_attribute_affinity",
        "Builds, for each given item attribute value, the segment of users most drawn to it.",
        _at(2022, 8, 31, 1),
        _algorithm(
            "aws-item-attribute-affinity", (_hidden_dimension(149, tunable=False),), _at(2022, 8, 31, 1)
        ),
        _ft("item-attribute-affinity"),
        # Items needs at least one non-textual, non-reserved metadata column.
        required_datasets=(INTERACTIONS, ITEMS),
        optional_datasets=(USERS,),
    ),
)


def _use_case(
    name: str,
    domain: str,
    recipe_type: str,
    family: str,
    description: str,
    created: datetime,
    **options: Any,
) -> RecipeInfo:
    # Use cases expose no hyperparameters; each gets an algorithm of its own name so that
    # DescribeRecipe's algorithmArn resolves (the real ARN is not documented).
    return RecipeInfo(
        name,
        recipe_type,
        family,
        description,
        created,
        _algorithm(name, (), created),
        domain=domain,
        **options,
    )


# Domain use cases. The recipeType the service reports for them is undocumented; the emulator
# picks the custom type closest to each use case's behaviour: popularity lists -> POPULAR_ITEMS,
# "X also ..." and "more like X" -> RELATED_ITEMS, per-user picks -> USER_PERSONALIZATION.
# Unlike the custom popular-items recipes, the ECOMMERCE and VOD "most popular" use cases
# document userId as required.
_ECOMMERCE = (
    _use_case(
        "aws-ecomm-popular-items-by-views",
        ECOMMERCE,
        POPULAR_ITEMS,
        "popularity",
        "Most viewed: the items customers view most often.",
        _at(2021, 11, 29),
        user_id_required=True,
        required_event_types=("View",),
    ),
    _use_case(
        "aws-ecomm-popular-items-by-purchases",
        ECOMMERCE,
        POPULAR_ITEMS,
        "popularity",
        "Best sellers: the items customers buy most often.",
        _at(2021, 11, 29, 1),
        user_id_required=True,
        required_event_types=("Purchase",),
    ),
    _use_case(
        "aws-ecomm-frequently-bought-together",
        ECOMMERCE,
        RELATED_ITEMS,
        "sims",
        "Frequently bought together: items customers purchase along with a given item.",
        _at(2021, 11, 29, 2),
        item_id_required=True,
        required_event_types=("Purchase",),
    ),
    _use_case(
        "aws-ecomm-customers-who-viewed-x-also-viewed",
        ECOMMERCE,
        RELATED_ITEMS,
        "sims",
        "Customers who viewed X also viewed: items viewed alongside a given item, minus the "
        "user's purchases.",
        _at(2021, 11, 29, 3),
        user_id_required=True,
        item_id_required=True,
        required_event_types=("View",),
        auto_exclude_event_type="Purchase",
    ),
    _use_case(
        "aws-ecomm-recommended-for-you",
        ECOMMERCE,
        USER_PERSONALIZATION,
        "user_personalization",
        "Recommended for you: personalized picks per user, with exploration, minus the user's "
        "purchases.",
        _at(2021, 11, 29, 4),
        user_id_required=True,
        auto_exclude_event_type="Purchase",
        exploration=True,
    ),
)

_VIDEO_ON_DEMAND = (
    _use_case(
        "aws-vod-because-you-watched-x",
        VIDEO_ON_DEMAND,
        RELATED_ITEMS,
        "sims",
        "Because you watched X: videos other viewers of a given video also watched.",
        _at(2021, 11, 29, 10),
        user_id_required=True,
        item_id_required=True,
        required_event_types=("Watch",),
        auto_exclude_event_type="Watch",
    ),
    _use_case(
        "aws-vod-more-like-x",
        VIDEO_ON_DEMAND,
        RELATED_ITEMS,
        "similar_items",
        "More like X: videos similar to a given video, using video metadata.",
        _at(2021, 11, 29, 11),
        required_datasets=(INTERACTIONS, ITEMS),
        user_id_required=True,
        item_id_required=True,
        auto_exclude_event_type="Watch",
    ),
    _use_case(
        "aws-vod-most-popular",
        VIDEO_ON_DEMAND,
        POPULAR_ITEMS,
        "popularity",
        "Most popular: the videos watched by the most users.",
        _at(2021, 11, 29, 12),
        user_id_required=True,
        required_event_types=("Watch",),
    ),
    _use_case(
        "aws-vod-trending-now",
        VIDEO_ON_DEMAND,
        POPULAR_ITEMS,
        "trending",
        "Trending now: videos gaining popularity fastest, re-evaluated every two hours.",
        _at(2022, 7, 21, 10),
    ),
    _use_case(
        "aws-vod-top-picks",
        VIDEO_ON_DEMAND,
        USER_PERSONALIZATION,
        "user_personalization",
        "Top picks for you: personalized video picks per user, with exploration, minus what "
        "the user already watched.",
        _at(2021, 11, 29, 13),
        required_datasets=(INTERACTIONS, ITEMS),
        user_id_required=True,
        auto_exclude_event_type="Watch",
        exploration=True,
    ),
)

_ALL = _CUSTOM + _ECOMMERCE + _VIDEO_ON_DEMAND

RECIPES: dict[str, RecipeInfo] = {r.arn: r for r in _ALL}
RECIPES_BY_NAME: dict[str, RecipeInfo] = {r.name: r for r in _ALL}
ALGORITHMS: dict[str, AlgorithmInfo] = {r.algorithm.arn: r.algorithm for r in _ALL}

# ListRecipes order: newest first, ties in table order (stable across calls).
_LISTING: tuple[RecipeInfo, ...] = tuple(
    sorted(_ALL, key=lambda r: r.created, reverse=True)
)

assert all(r.family in FAMILIES for r in _ALL)
assert len(RECIPES) == len(_ALL) and len(ALGORITHMS) == len(_ALL)
assert all(
    r.feature_transformation is None or r.feature_transformation.arn in FEATURE_TRANSFORMATIONS
    for r in _ALL
)


def recipe(recipe_arn: str) -> RecipeInfo:
    """The recipe with this ARN; ResourceNotFoundException if the catalogue has none."""
    found = RECIPES.get(recipe_arn)
    if found is None:
        raise not_found(recipe_arn)
    return found


def algorithm(algorithm_arn: str) -> AlgorithmInfo:
    found = ALGORITHMS.get(algorithm_arn)
    if found is None:
        raise not_found(algorithm_arn)
    return found


def feature_transformation(feature_transformation_arn: str) -> FeatureTransformationInfo:
    found = FEATURE_TRANSFORMATIONS.get(feature_transformation_arn)
    if found is None:
        raise not_found(feature_transformation_arn)
    return found


class CatalogueMixin:
    """ListRecipes, DescribeRecipe, DescribeAlgorithm, DescribeFeatureTransformation."""

    @paginated("recipes")
    def list_recipes(self, recipe_provider: str | None = None, domain: str | None = None) -> list[RecipeInfo]:
        # recipe_provider: SERVICE is the only value the model allows (checked by the handler).
        if domain:
            return [r for r in _LISTING if r.domain == domain]
        return list(_LISTING)

    def describe_recipe(self, recipe_arn: str) -> dict[str, Any]:
        return {"recipe": recipe(recipe_arn)}

    def describe_algorithm(self, algorithm_arn: str) -> dict[str, Any]:
        return {"algorithm": algorithm(algorithm_arn).describe()}

    def describe_feature_transformation(self, feature_transformation_arn: str) -> dict[str, Any]:
        return {"featureTransformation": feature_transformation(feature_transformation_arn).describe()}


__all__ = [
    "ALGORITHMS",
    "FAMILIES",
    "FEATURE_TRANSFORMATIONS",
    "RECIPES",
    "RECIPES_BY_NAME",
    "AlgorithmInfo",
    "CatalogueMixin",
    "FeatureTransformationInfo",
    "Param",
    "RecipeInfo",
    "algorithm",
    "feature_transformation",
    "recipe",
]
