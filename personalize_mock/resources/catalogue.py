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
``FEATURE_TRANSFORMATIONS`` and ``recipe(arn)``. The entries' shape is ``recipe_model``; the
entries themselves are ``recipe_table``.
"""

from __future__ import annotations

from typing import Any

from ..exceptions import not_found
from .base import paginated
from .recipe_model import (  # noqa: F401  (re-exported: what other modules read from the catalogue)
    EXPLORATION_DEFAULTS,
    FAMILIES,
    USER_SEGMENTATION,
    AlgorithmInfo,
    FeatureTransformationInfo,
    Param,
    RecipeInfo,
)
from .recipe_table import ALL_RECIPES, FEATURE_TRANSFORMATIONS

RECIPES: dict[str, RecipeInfo] = {r.arn: r for r in ALL_RECIPES}
RECIPES_BY_NAME: dict[str, RecipeInfo] = {r.name: r for r in ALL_RECIPES}
ALGORITHMS: dict[str, AlgorithmInfo] = {r.algorithm.arn: r.algorithm for r in ALL_RECIPES}

# ListRecipes order: newest first, ties in table order (stable across calls).
_LISTING: tuple[RecipeInfo, ...] = tuple(
    sorted(ALL_RECIPES, key=lambda r: r.created, reverse=True)
)

assert all(r.family in FAMILIES for r in ALL_RECIPES)
assert len(RECIPES) == len(ALL_RECIPES) and len(ALGORITHMS) == len(ALL_RECIPES)
assert all(
    r.feature_transformation is None or r.feature_transformation.arn in FEATURE_TRANSFORMATIONS
    for r in ALL_RECIPES
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
