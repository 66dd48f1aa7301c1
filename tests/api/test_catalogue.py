"""The service-owned catalogue: ListRecipes, DescribeRecipe, DescribeAlgorithm,
DescribeFeatureTransformation."""

from __future__ import annotations

from datetime import datetime

import pytest
from botocore.config import Config
from botocore.exceptions import ClientError

from personalize_mock.exceptions import ResourceNotFoundException
from personalize_mock.resources.catalogue import (
    ALGORITHMS,
    FAMILIES,
    FEATURE_TRANSFORMATIONS,
    RECIPES,
    RECIPES_BY_NAME,
    recipe,
)
from tests.conftest import boto_session, error_code

PREFIX = "arn:aws:personalize:::"

CUSTOM = [
    "aws-user-personalization-v2",
    "aws-user-personalization",
    "aws-hrnn",
    "aws-hrnn-metadata",
    "aws-hrnn-coldstart",
    "aws-popularity-count",
    "aws-trending-now",
    "aws-personalized-ranking-v2",
    "aws-personalized-ranking",
    "aws-similar-items",
    "aws-sims",
    "aws-semantic-similarity",
    "aws-next-best-action",
    "aws-item-affinity",
    "aws-item-attribute-affinity",
]
ECOMMERCE = [
    "aws-ecomm-popular-items-by-views",
    "aws-ecomm-popular-items-by-purchases",
    "aws-ecomm-frequently-bought-together",
    "aws-ecomm-customers-who-viewed-x-also-viewed",
    "aws-ecomm-recommended-for-you",
]
VIDEO_ON_DEMAND = [
    "aws-vod-because-you-watched-x",
    "aws-vod-more-like-x",
    "aws-vod-most-popular",
    "aws-vod-trending-now",
    "aws-vod-top-picks",
]
ALL = CUSTOM + ECOMMERCE + VIDEO_ON_DEMAND
RECIPE_TYPES = {
    "USER_PERSONALIZATION",
    "PERSONALIZED_RANKING",
    "RELATED_ITEMS",
    "POPULAR_ITEMS",
    "PERSONALIZED_ACTIONS",
    "USER_SEGMENTATION",
}

# Documented in the developer guide's recipe pages.
DOCUMENTED = {
    "aws-user-personalization-v2": ("USER_PERSONALIZATION", "aws-user-personalization-v2", None),
    "aws-hrnn": ("USER_PERSONALIZATION", "aws-hrnn", "JSON-percentile-filtering"),
    "aws-hrnn-metadata": ("USER_PERSONALIZATION", "aws-hrnn-metadata", "featurize_metadata"),
    "aws-hrnn-coldstart": ("USER_PERSONALIZATION", "aws-hrnn-coldstart", "featurize_coldstart"),
    "aws-popularity-count": ("USER_PERSONALIZATION", "aws-popularity-count", "sims"),
    "aws-trending-now": ("POPULAR_ITEMS", "aws-trending-now-custom", "aws-trending-now"),
    "aws-personalized-ranking": ("PERSONALIZED_RANKING", "aws-personalized-ranking", "JSON-percentile-filtering"),
    "aws-similar-items": ("RELATED_ITEMS", "aws-similar-items", None),
    "aws-sims": ("RELATED_ITEMS", "aws-sims", "sims"),
    "aws-semantic-similarity": ("RELATED_ITEMS", "aws-semantic-similarity", "aws-semantic-similarity"),
    "aws-next-best-action": ("PERSONALIZED_ACTIONS", "aws-next-best-action", "aws-next-best-action"),
    "aws-item-affinity": ("USER_SEGMENTATION", "aws-item-affinity", "item-affinity"),
    "aws-item-attribute-affinity": ("USER_SEGMENTATION", "aws-item-attribute-affinity", "item-attribute-affinity"),
}

FT_NAMES = sorted({ft.name for ft in FEATURE_TRANSFORMATIONS.values()})


def recipe_arn(name: str) -> str:
    return f"{PREFIX}recipe/{name}"


def all_pages(p, **kwargs):
    pages, token = [], None
    while True:
        page = p.list_recipes(**kwargs, **({"nextToken": token} if token else {}))
        pages.append(page["recipes"])
        token = page.get("nextToken")
        if not token:
            return pages
        assert len(pages) < 50


# ---- ListRecipes ----------------------------------------------------------------------------


def test_list_recipes_returns_every_recipe(api):
    listed = api.personalize.list_recipes()
    assert "nextToken" not in listed
    recipes = listed["recipes"]
    assert sorted(r["name"] for r in recipes) == sorted(ALL)
    for summary in recipes:
        assert set(summary) <= {"name", "recipeArn", "status", "creationDateTime", "lastUpdatedDateTime", "domain"}
        assert summary["recipeArn"] == recipe_arn(summary["name"])
        assert summary["status"] == "ACTIVE"
        assert isinstance(summary["creationDateTime"], datetime)
        assert summary["lastUpdatedDateTime"] >= summary["creationDateTime"]
    domains = {r["name"]: r.get("domain") for r in recipes}
    assert all(domains[n] is None for n in CUSTOM)
    assert all(domains[n] == "ECOMMERCE" for n in ECOMMERCE)
    assert all(domains[n] == "VIDEO_ON_DEMAND" for n in VIDEO_ON_DEMAND)


def test_list_recipes_is_newest_first_and_stable(api):
    p = api.personalize
    first = p.list_recipes()["recipes"]
    assert p.list_recipes(recipeProvider="SERVICE")["recipes"] == first
    created = [r["creationDateTime"] for r in first]
    assert created == sorted(created, reverse=True)


@pytest.mark.parametrize("domain, names", [("ECOMMERCE", ECOMMERCE), ("VIDEO_ON_DEMAND", VIDEO_ON_DEMAND)])
def test_list_recipes_domain_filter(api, domain, names):
    recipes = api.personalize.list_recipes(domain=domain)["recipes"]
    assert sorted(r["name"] for r in recipes) == sorted(names)
    assert {r["domain"] for r in recipes} == {domain}


def test_list_recipes_unknown_domain_or_provider_is_invalid(api):
    p = boto_session().client(
        "personalize", endpoint_url=api.endpoint_url, config=Config(parameter_validation=False)
    )
    for kwargs in ({"domain": "GROCERY"}, {"recipeProvider": "CUSTOMER"}):
        with pytest.raises(ClientError) as excinfo:
            p.list_recipes(**kwargs)
        assert error_code(excinfo) == "InvalidInputException"


@pytest.mark.parametrize("max_results, sizes", [(1, [1] * 25), (7, [7, 7, 7, 4]), (25, [25]), (100, [25])])
def test_list_recipes_pagination(api, max_results, sizes):
    p = api.personalize
    pages = all_pages(p, maxResults=max_results)
    assert [len(page) for page in pages] == sizes
    assert [r["recipeArn"] for page in pages for r in page] == [
        r["recipeArn"] for r in p.list_recipes()["recipes"]
    ]


def test_list_recipes_pagination_with_domain(api):
    pages = all_pages(api.personalize, domain="VIDEO_ON_DEMAND", maxResults=2)
    assert [len(page) for page in pages] == [2, 2, 1]
    assert sorted(r["name"] for page in pages for r in page) == sorted(VIDEO_ON_DEMAND)


def test_list_recipes_paginator(api):
    paginator = api.personalize.get_paginator("list_recipes")
    names = [r["name"] for page in paginator.paginate(PaginationConfig={"PageSize": 4}) for r in page["recipes"]]
    assert sorted(names) == sorted(ALL)


def test_list_recipes_bad_token(api):
    with pytest.raises(ClientError) as excinfo:
        api.personalize.list_recipes(nextToken="not-a-token")
    assert error_code(excinfo) == "InvalidNextTokenException"


# ---- DescribeRecipe / DescribeAlgorithm / DescribeFeatureTransformation ----------------------


@pytest.mark.parametrize("name", ALL)
def test_describe_recipe(api, name):
    p = api.personalize
    described = p.describe_recipe(recipeArn=recipe_arn(name))["recipe"]
    assert described["name"] == name
    assert described["recipeArn"] == recipe_arn(name)
    assert described["status"] == "ACTIVE"
    assert described["recipeType"] in RECIPE_TYPES
    assert described["description"]
    assert isinstance(described["creationDateTime"], datetime)
    assert described["lastUpdatedDateTime"] == described["creationDateTime"]
    assert described["algorithmArn"].startswith(f"{PREFIX}algorithm/")
    # The summary in the listing agrees with the full description.
    summary = next(r for r in p.list_recipes()["recipes"] if r["name"] == name)
    assert summary["creationDateTime"] == described["creationDateTime"]

    if name in DOCUMENTED:
        recipe_type, algorithm, transformation = DOCUMENTED[name]
        assert described["recipeType"] == recipe_type
        assert described["algorithmArn"] == f"{PREFIX}algorithm/{algorithm}"
        if transformation is None:
            assert "featureTransformationArn" not in described
        else:
            assert described["featureTransformationArn"] == f"{PREFIX}feature-transformation/{transformation}"

    # Its algorithm resolves...
    algorithm = p.describe_algorithm(algorithmArn=described["algorithmArn"])["algorithm"]
    assert algorithm["algorithmArn"] == described["algorithmArn"]
    assert algorithm["name"] == described["algorithmArn"].rsplit("/", 1)[1]
    assert algorithm["algorithmImage"]["dockerURI"]
    assert all(isinstance(v, str) for v in algorithm["defaultHyperParameters"].values())
    ranges = algorithm["defaultHyperParameterRanges"]
    ranged = {r["name"] for kind in ranges.values() for r in kind}
    assert ranged == set(algorithm["defaultHyperParameters"])
    # ... and so does its feature transformation, where it has one.
    if "featureTransformationArn" in described:
        ft = p.describe_feature_transformation(featureTransformationArn=described["featureTransformationArn"])
        assert ft["featureTransformation"]["featureTransformationArn"] == described["featureTransformationArn"]
        assert ft["featureTransformation"]["status"] == "ACTIVE"


def test_describe_recipe_domain_use_cases_pick_the_closest_type(api):
    p = api.personalize
    types = {n: p.describe_recipe(recipeArn=recipe_arn(n))["recipe"]["recipeType"] for n in ECOMMERCE + VIDEO_ON_DEMAND}
    assert types["aws-ecomm-popular-items-by-views"] == "POPULAR_ITEMS"
    assert types["aws-ecomm-frequently-bought-together"] == "RELATED_ITEMS"
    assert types["aws-ecomm-recommended-for-you"] == "USER_PERSONALIZATION"
    assert types["aws-vod-more-like-x"] == "RELATED_ITEMS"
    assert types["aws-vod-trending-now"] == "POPULAR_ITEMS"
    assert types["aws-vod-top-picks"] == "USER_PERSONALIZATION"


def test_describe_algorithm_user_personalization(api):
    algorithm = api.personalize.describe_algorithm(algorithmArn=f"{PREFIX}algorithm/aws-user-personalization")[
        "algorithm"
    ]
    assert algorithm["defaultHyperParameters"] == {
        "hidden_dimension": "149",
        "bptt": "32",
        "recency_mask": "true",
    }
    ranges = algorithm["defaultHyperParameterRanges"]
    assert {"name": "hidden_dimension", "minValue": 32, "maxValue": 256, "isTunable": True} in ranges[
        "integerHyperParameterRanges"
    ]
    assert {"name": "bptt", "minValue": 2, "maxValue": 32, "isTunable": True} in ranges["integerHyperParameterRanges"]
    assert ranges["categoricalHyperParameterRanges"] == [
        {"name": "recency_mask", "values": ["true", "false"], "isTunable": True}
    ]
    assert algorithm["defaultResourceConfig"]


def test_describe_algorithm_sims_and_hrnn_defaults(api):
    p = api.personalize
    sims = p.describe_algorithm(algorithmArn=f"{PREFIX}algorithm/aws-sims")["algorithm"]
    assert sims["defaultHyperParameters"] == {"popularity_discount_factor": "0.5", "min_cointeraction_count": "3"}
    assert sims["defaultHyperParameterRanges"]["continuousHyperParameterRanges"] == [
        {"name": "popularity_discount_factor", "minValue": 0.0, "maxValue": 1.0, "isTunable": True}
    ]
    hrnn = p.describe_algorithm(algorithmArn=f"{PREFIX}algorithm/aws-hrnn")["algorithm"]
    assert hrnn["defaultHyperParameters"]["hidden_dimension"] == "43"
    affinity = p.describe_algorithm(algorithmArn=f"{PREFIX}algorithm/aws-item-affinity")["algorithm"]
    assert affinity["defaultHyperParameterRanges"]["integerHyperParameterRanges"] == [
        {"name": "hidden_dimension", "minValue": 32, "maxValue": 256, "isTunable": False}
    ]
    assert "defaultResourceConfig" not in affinity  # no HPO
    v2 = p.describe_algorithm(algorithmArn=f"{PREFIX}algorithm/aws-user-personalization-v2")["algorithm"]
    assert v2["defaultHyperParameters"] == {"apply_recency_bias": "true"}


@pytest.mark.parametrize("name", FT_NAMES)
def test_describe_feature_transformation(api, name):
    arn = f"{PREFIX}feature-transformation/{name}"
    ft = api.personalize.describe_feature_transformation(featureTransformationArn=arn)["featureTransformation"]
    assert ft["name"] == name
    assert ft["featureTransformationArn"] == arn
    assert ft["status"] == "ACTIVE"
    assert isinstance(ft["creationDateTime"], datetime)
    assert all(isinstance(v, str) for v in ft.get("defaultParameters", {}).values())


def test_feature_transformation_defaults(api):
    p = api.personalize

    def defaults(name):
        arn = f"{PREFIX}feature-transformation/{name}"
        return p.describe_feature_transformation(featureTransformationArn=arn)["featureTransformation"].get(
            "defaultParameters", {}
        )

    assert defaults("sims") == {
        "min_user_history_length_percentile": "0.005",
        "max_user_history_length_percentile": "0.995",
        "min_item_interaction_count_percentile": "0.01",
        "max_item_interaction_count_percentile": "0.9",
    }
    assert defaults("JSON-percentile-filtering") == {
        "min_user_history_length_percentile": "0.0",
        "max_user_history_length_percentile": "0.99",
    }
    coldstart = defaults("featurize_coldstart")
    assert coldstart["cold_start_max_interactions"] == "15"
    assert coldstart["cold_start_max_duration"] == "5.0"
    assert coldstart["cold_start_relative_from"] == "latestItem"
    assert defaults("aws-next-best-action") == {"action_optimization_period": "14"}
    assert defaults("aws-trending-now") == {"trend_discovery_frequency": "2 hours"}


@pytest.mark.parametrize(
    "operation, key, arn",
    [
        ("describe_recipe", "recipeArn", f"{PREFIX}recipe/aws-nope"),
        ("describe_recipe", "recipeArn", "arn:aws:personalize:us-east-1:123456789012:recipe/aws-sims"),
        ("describe_recipe", "recipeArn", f"{PREFIX}algorithm/aws-sims"),
        ("describe_algorithm", "algorithmArn", f"{PREFIX}algorithm/aws-nope"),
        ("describe_algorithm", "algorithmArn", f"{PREFIX}recipe/aws-sims"),
        ("describe_algorithm", "algorithmArn", f"{PREFIX}algorithm/aws-trending-now"),
        ("describe_feature_transformation", "featureTransformationArn", f"{PREFIX}feature-transformation/nope"),
        ("describe_feature_transformation", "featureTransformationArn", f"{PREFIX}recipe/aws-sims"),
    ],
)
def test_unknown_arns_are_not_found(api, operation, key, arn):
    with pytest.raises(ClientError) as excinfo:
        getattr(api.personalize, operation)(**{key: arn})
    assert error_code(excinfo) == "ResourceNotFoundException"
    assert arn in excinfo.value.response["Error"]["Message"]


@pytest.mark.parametrize(
    "operation, key",
    [
        ("describe_recipe", "recipeArn"),
        ("describe_algorithm", "algorithmArn"),
        ("describe_feature_transformation", "featureTransformationArn"),
    ],
)
def test_malformed_arns_are_invalid(api, operation, key):
    with pytest.raises(ClientError) as excinfo:
        getattr(api.personalize, operation)(**{key: "recipe/aws-sims"})
    assert error_code(excinfo) == "InvalidInputException"


# ---- the lookup API other modules use ----------------------------------------------------------


def test_lookup_tables_cover_the_catalogue():
    assert sorted(RECIPES_BY_NAME) == sorted(ALL)
    assert set(RECIPES) == {recipe_arn(n) for n in ALL}
    for info in RECIPES.values():
        assert info.arn == recipe_arn(info.name)
        assert info.family in FAMILIES
        assert info.algorithm_arn in ALGORITHMS
        assert info.feature_transformation_arn is None or info.feature_transformation_arn in FEATURE_TRANSFORMATIONS
        assert all(isinstance(v, str) for v in info.default_hyperparameters.values())
        assert "INTERACTIONS" in info.required_datasets or info.name == "aws-semantic-similarity"
        assert info.domain in (None, "ECOMMERCE", "VIDEO_ON_DEMAND")
    assert RECIPES_BY_NAME["aws-trending-now"].algorithm_arn == f"{PREFIX}algorithm/aws-trending-now-custom"


def test_lookup_flags():
    legacy = {n for n in ALL if RECIPES_BY_NAME[n].legacy}
    assert legacy == {"aws-hrnn", "aws-hrnn-metadata", "aws-hrnn-coldstart"}
    assert "ITEMS" in RECIPES_BY_NAME["aws-item-attribute-affinity"].required_datasets
    assert "ITEMS" in RECIPES_BY_NAME["aws-semantic-similarity"].required_datasets
    assert "ACTIONS" in RECIPES_BY_NAME["aws-next-best-action"].required_datasets
    families = {n: RECIPES_BY_NAME[n].family for n in ALL}
    assert families["aws-ecomm-recommended-for-you"] == "user_personalization"
    assert families["aws-vod-more-like-x"] == "similar_items"
    assert families["aws-vod-trending-now"] == "trending"
    assert families["aws-ecomm-popular-items-by-views"] == "popularity"
    assert RECIPES_BY_NAME["aws-ecomm-popular-items-by-purchases"].required_event_types == ("Purchase",)
    assert RECIPES_BY_NAME["aws-user-personalization"].exploration_defaults == {
        "explorationWeight": "0.3",
        "explorationItemAgeCutOff": "30",
    }
    assert RECIPES_BY_NAME["aws-sims"].hyperparameters["min_cointeraction_count"].accepts("10")
    assert not RECIPES_BY_NAME["aws-sims"].hyperparameters["min_cointeraction_count"].accepts("11")
    assert RECIPES_BY_NAME["aws-trending-now"].featurization["trend_discovery_frequency"].accepts("30 minutes")
    with pytest.raises(ResourceNotFoundException):
        recipe(f"{PREFIX}recipe/aws-nope")
