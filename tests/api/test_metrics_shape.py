"""GetSolutionMetrics has the shape of the service's published outputs (issue 14, point 15).

Sources (docs/metrics.md): the developer guide's *Evaluating a solution version with metrics*
example (NDCG@10 0.0513, P@10 0.0102, MRR@25 0.0379) and three published notebooks all show
MRR@25 within about 30 % of NDCG@10 and NDCG@10 3.4-6.2 times precision@10: one relevant
item per request for recommendations, the interaction that followed the user's history.
"""

from __future__ import annotations

import numpy as np
import pytest

from tests.api.data_helpers import import_job, make_bucket, make_dataset, make_group, put

RECIPE = "arn:aws:personalize:::recipe/"
NDCG, P, MRR = ("normalized_discounted_cumulative_gain_at_10", "precision_at_10", "mean_reciprocal_rank_at_25")


def clustered_csv(users: int = 600, per_user: int = 50, clusters: int = 10, per_cluster: int = 60,
                  skew: float = 1.0, mixed: float = 0.3) -> str:
    """A catalogue with a Zipf-like popularity; users of a taste cluster view its items, and a
    share ``mixed`` of their views goes to any item, both drawn by popularity without
    replacement; every view is also a click (like MovieLens prepared as watch + click events)."""
    rng = np.random.default_rng(14)
    n_items = clusters * per_cluster
    log_popularity = -skew * np.log(1.0 + rng.permutation(n_items))
    lines = ["USER_ID,ITEM_ID,TIMESTAMP,EVENT_TYPE"]
    stamp = 1_700_000_000
    for user in range(users):
        cluster = user % clusters
        taste = np.full(n_items, np.log(mixed / n_items))
        taste[cluster * per_cluster:(cluster + 1) * per_cluster] = np.log((1 - mixed) / per_cluster)
        # Without replacement, weighted by taste x popularity (Gumbel top-k).
        order = np.argsort(-(taste + log_popularity + rng.gumbel(size=n_items)))[:per_user]
        for item in order.tolist():
            stamp += 1
            lines.append(f"u{user},i{item},{stamp},watch")
            lines.append(f"u{user},i{item},{stamp},click")
    return "\n".join(lines) + "\n"


@pytest.fixture
def trained_group(api):
    p = api.personalize
    location = put(api.s3, "interactions.csv", clustered_csv(), bucket=make_bucket(api.s3, "shape-data"))
    group = make_group(p, "shape")
    dataset = make_dataset(p, group, "INTERACTIONS")  # schema shape-interactions
    assert import_job(p, "bulk", dataset, location)["status"] == "ACTIVE"
    return group


def metrics_of(api, group, recipe, name):
    p = api.personalize
    solution = p.create_solution(name=name, datasetGroupArn=group, recipeArn=RECIPE + recipe)["solutionArn"]
    version = p.create_solution_version(solutionArn=solution)["solutionVersionArn"]
    status = p.describe_solution_version(solutionVersionArn=version)["solutionVersion"]
    assert status["status"] == "ACTIVE", status.get("failureReason")
    return p.get_solution_metrics(solutionVersionArn=version)["metrics"]


RANKING_RECIPES = ("aws-user-personalization", "aws-personalized-ranking", "aws-sims")


def test_metrics_have_the_published_shape(api, trained_group):
    ratios = []
    for recipe in RANKING_RECIPES:
        metrics = metrics_of(api, trained_group, recipe, recipe.removeprefix("aws-"))
        assert metrics[NDCG] > 0.02, metrics  # tastes are learnt (chance is about 0.005)
        # What one relevant item per request implies for any model: precision@K <= 1/K,
        # 1/rank <= 1/log2(1 + rank) (so MRR@25 <= NDCG@25), and every hit in the top 10
        # adds between 1/log2(11) and 1 to NDCG@10 for 0.1 to precision@10.
        assert metrics["precision_at_5"] <= 0.2 and metrics["precision_at_25"] <= 0.04, metrics
        assert metrics[MRR] <= metrics["normalized_discounted_cumulative_gain_at_25"] + 1e-12, metrics
        assert 2.89 <= metrics[NDCG] / metrics[P] <= 10, metrics
        ratios.append((metrics[MRR] / metrics[NDCG], metrics[NDCG] / metrics[P]))
    # The published range (MRR@25 / NDCG@10 0.74-1.10, NDCG@10 / P@10 3.4-6.2) with the
    # acceptance margin, on the mean over the recipes (each split holds out other users).
    mrr_ndcg = sum(r[0] for r in ratios) / len(ratios)
    ndcg_p = sum(r[1] for r in ratios) / len(ratios)
    assert 0.7 <= mrr_ndcg <= 1.3, ratios
    assert 3 <= ndcg_p <= 7, ratios


def test_popularity_baseline_keeps_the_shape(api, trained_group):
    # The guide recommends Popularity-Count as the baseline; its metrics follow the same protocol.
    popular = metrics_of(api, trained_group, "aws-popularity-count", "popular")
    personal = metrics_of(api, trained_group, "aws-user-personalization", "personal")
    assert popular["coverage"] < personal["coverage"]  # one list for everyone (less its history)
    assert popular["precision_at_5"] <= 0.2 and popular[MRR] <= popular["normalized_discounted_cumulative_gain_at_25"]
    if popular[P] > 0:
        assert 3 <= popular[NDCG] / popular[P] <= 10  # 10 when every hit is at rank 1


def test_recommender_model_metrics_follow_the_same_protocol(api):
    # DescribeRecommender's modelMetrics are the same eight metrics (fact sheet §8), so they
    # carry the same one-relevant-item invariants.
    from tests.api.test_recommenders import create, describe, domain_group, wait

    group = domain_group(api)
    arn = create(api, group, "for-you")
    metrics = wait(lambda: describe(api, arn))["modelMetrics"]
    assert metrics["precision_at_5"] <= 0.2 and metrics["precision_at_25"] <= 0.04, metrics
    assert metrics[MRR] <= metrics["normalized_discounted_cumulative_gain_at_25"] + 1e-12, metrics
    if metrics[P] > 0:
        assert 2.89 <= metrics[NDCG] / metrics[P] <= 10, metrics
