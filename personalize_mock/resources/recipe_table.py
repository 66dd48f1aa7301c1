"""The recipe catalogue's data: every feature transformation, custom recipe and domain use case
(see ``recipe_model`` for what each field means and ``catalogue`` for the lookups)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from .recipe_model import (
    ACTION_INTERACTIONS,
    ACTIONS,
    APPLY_RECENCY_BIAS,
    ARN_PREFIX,
    BPTT,
    ECOMMERCE,
    INTERACTIONS,
    ITEMS,
    PERSONALIZED_ACTIONS,
    PERSONALIZED_RANKING,
    POPULAR_ITEMS,
    RECENCY_MASK,
    RELATED_ITEMS,
    USER_PERSONALIZATION,
    USER_SEGMENTATION,
    USERS,
    VIDEO_ON_DEMAND,
    AlgorithmInfo,
    FeatureTransformationInfo,
    Param,
    RecipeInfo,
    categorical,
    continuous,
    hidden_dimension,
    history_percentiles,
    integer,
    launched,
)

_FEATURE_TRANSFORMATIONS = (
    FeatureTransformationInfo(
        "JSON-percentile-filtering", history_percentiles("0.0", "0.99"), launched(2019, 6, 10)
    ),
    FeatureTransformationInfo(
        "featurize_metadata", history_percentiles("0.0", "0.99"), launched(2019, 6, 10, 1)
    ),
    FeatureTransformationInfo(
        "featurize_coldstart",
        (
            integer("cold_start_max_interactions", 15, 1, None, False),
            continuous("cold_start_max_duration", "5.0", 0.0, None, False),
            categorical("cold_start_relative_from", "latestItem", ("currentTime", "latestItem"), False),
            *history_percentiles("0.0", "0.99"),
        ),
        launched(2019, 6, 10, 2),
    ),
    FeatureTransformationInfo(
        "sims",
        (
            *history_percentiles("0.005", "0.995"),
            continuous("min_item_interaction_count_percentile", "0.01", 0.0, 1.0, False),
            continuous("max_item_interaction_count_percentile", "0.9", 0.0, 1.0, False),
        ),
        launched(2019, 6, 10, 3),
    ),
    # The guide names no feature transformation for Trending-Now, yet documents the
    # `trend_discovery_frequency` featureTransformationParameter (default "2 hours" in the current
    # guide; "3h" in the 2023 one). The ARN below is the emulator's choice.
    FeatureTransformationInfo(
        "aws-trending-now",
        (
            categorical(
                "trend_discovery_frequency",
                "2 hours",
                ("30 minutes", "1 hour", "2 hours", "3 hours", "1 day"),
                False,
            ),
        ),
        launched(2022, 7, 21),
        documented=False,
    ),
    FeatureTransformationInfo("item-affinity", (), launched(2022, 8, 31)),
    FeatureTransformationInfo("item-attribute-affinity", (), launched(2022, 8, 31, 1)),
    # Next-Best-Action's featurization hyperparameter needs a home; the guide names no ARN.
    FeatureTransformationInfo(
        "aws-next-best-action",
        (integer("action_optimization_period", 14, 7, 28, False),),
        launched(2023, 11, 16),
        documented=False,
    ),
    # Popularity and freshness factors are campaign-time ranking settings, not defaults here.
    FeatureTransformationInfo("aws-semantic-similarity", (), launched(2025, 6, 2)),
)
FEATURE_TRANSFORMATIONS: dict[str, FeatureTransformationInfo] = {
    ft.arn: ft for ft in _FEATURE_TRANSFORMATIONS
}


def _ft(name: str) -> FeatureTransformationInfo:
    return FEATURE_TRANSFORMATIONS[f"{ARN_PREFIX}feature-transformation/{name}"]


def _algorithm(name: str, params: tuple[Param, ...], created: datetime) -> AlgorithmInfo:
    return AlgorithmInfo(name, params, created)


_UP_PARAMS = (hidden_dimension(149), BPTT, RECENCY_MASK)

_CUSTOM = (
    RecipeInfo(
        "aws-user-personalization-v2",
        USER_PERSONALIZATION,
        "user_personalization",
        "Transformer-based user recommendations for catalogues of up to five million items, "
        "with managed exploration of fresh items.",
        launched(2024, 5, 2),
        _algorithm("aws-user-personalization-v2", (APPLY_RECENCY_BIAS,), launched(2024, 5, 2)),
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
        launched(2020, 6, 16),
        _algorithm("aws-user-personalization", _UP_PARAMS, launched(2020, 6, 16)),
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
        launched(2019, 6, 10),
        _algorithm("aws-hrnn", (hidden_dimension(43), BPTT, RECENCY_MASK), launched(2019, 6, 10)),
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
        launched(2019, 6, 10, 1),
        _algorithm("aws-hrnn-metadata", (hidden_dimension(43), BPTT, RECENCY_MASK), launched(2019, 6, 10, 1)),
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
        launched(2019, 6, 10, 2),
        _algorithm("aws-hrnn-coldstart", _UP_PARAMS, launched(2019, 6, 10, 2)),
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
        launched(2019, 6, 10, 3),
        _algorithm("aws-popularity-count", (), launched(2019, 6, 10, 3)),
        _ft("sims"),
    ),
    RecipeInfo(
        "aws-trending-now",
        POPULAR_ITEMS,
        "trending",
        "Recommends the items whose interaction counts grow fastest over a chosen interval.",
        launched(2022, 7, 21),
        _algorithm("aws-trending-now-custom", (), launched(2022, 7, 21)),
        _ft("aws-trending-now"),
        batch_inference=False,
    ),
    RecipeInfo(
        "aws-personalized-ranking-v2",
        PERSONALIZED_RANKING,
        "personalized_ranking",
        "Transformer-based re-ranking of a given item list for a user, for catalogues of up to "
        "five million items.",
        launched(2024, 5, 2, 1),
        _algorithm("aws-personalized-ranking-v2", (APPLY_RECENCY_BIAS,), launched(2024, 5, 2, 1)),
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
        launched(2019, 6, 10, 4),
        _algorithm("aws-personalized-ranking", _UP_PARAMS, launched(2019, 6, 10, 4)),
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
        launched(2022, 8, 17),
        _algorithm(
            "aws-similar-items",
            (
                integer("item_id_hidden_dim", 100, 30, 200, True),
                integer("item_metadata_hidden_dim", 100, 30, 200, True),
            ),
            launched(2022, 8, 17),
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
        launched(2019, 6, 10, 5),
        _algorithm(
            "aws-sims",
            (
                continuous("popularity_discount_factor", "0.5", 0.0, 1.0, True),
                integer("min_cointeraction_count", 3, 0, 10, True),
            ),
            launched(2019, 6, 10, 5),
        ),
        _ft("sims"),
        item_id_required=True,
    ),
    RecipeInfo(
        "aws-semantic-similarity",
        RELATED_ITEMS,
        "semantic_similarity",
        "Items whose names and text descriptions are closest in meaning to a given item.",
        launched(2025, 6, 2),
        _algorithm("aws-semantic-similarity", (), launched(2025, 6, 2)),
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
        launched(2023, 11, 16),
        _algorithm("aws-next-best-action", (), launched(2023, 11, 16)),
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
        launched(2022, 8, 31),
        _algorithm("aws-item-affinity", (hidden_dimension(149, tunable=False),), launched(2022, 8, 31)),
        _ft("item-affinity"),
        optional_datasets=(ITEMS, USERS),
    ),
    RecipeInfo(
        "aws-item-attribute-affinity",
        USER_SEGMENTATION,
        "item_attribute_affinity",
        "Builds, for each given item attribute value, the segment of users most drawn to it.",
        launched(2022, 8, 31, 1),
        _algorithm(
            "aws-item-attribute-affinity", (hidden_dimension(149, tunable=False),), launched(2022, 8, 31, 1)
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
        launched(2021, 11, 29),
        user_id_required=True,
        required_event_types=("View",),
    ),
    _use_case(
        "aws-ecomm-popular-items-by-purchases",
        ECOMMERCE,
        POPULAR_ITEMS,
        "popularity",
        "Best sellers: the items customers buy most often.",
        launched(2021, 11, 29, 1),
        user_id_required=True,
        required_event_types=("Purchase",),
    ),
    _use_case(
        "aws-ecomm-frequently-bought-together",
        ECOMMERCE,
        RELATED_ITEMS,
        "sims",
        "Frequently bought together: items customers purchase along with a given item.",
        launched(2021, 11, 29, 2),
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
        launched(2021, 11, 29, 3),
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
        launched(2021, 11, 29, 4),
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
        launched(2021, 11, 29, 10),
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
        launched(2021, 11, 29, 11),
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
        launched(2021, 11, 29, 12),
        user_id_required=True,
        required_event_types=("Watch",),
    ),
    _use_case(
        "aws-vod-trending-now",
        VIDEO_ON_DEMAND,
        POPULAR_ITEMS,
        "trending",
        "Trending now: videos gaining popularity fastest, re-evaluated every two hours.",
        launched(2022, 7, 21, 10),
    ),
    _use_case(
        "aws-vod-top-picks",
        VIDEO_ON_DEMAND,
        USER_PERSONALIZATION,
        "user_personalization",
        "Top picks for you: personalized video picks per user, with exploration, minus what "
        "the user already watched.",
        launched(2021, 11, 29, 13),
        required_datasets=(INTERACTIONS, ITEMS),
        user_id_required=True,
        auto_exclude_event_type="Watch",
        exploration=True,
    ),
)

ALL_RECIPES = _CUSTOM + _ECOMMERCE + _VIDEO_ON_DEMAND
