"""Known-answer tests for the offline metrics (no moto involved)."""

from __future__ import annotations

import math

import numpy as np
import pytest

from personalize_mock.engine.metrics import (
    ACTION_KEYS,
    RANKING_KEYS,
    SEGMENTATION_KEYS,
    Requests,
    action_metrics,
    evaluate,
    evaluate_segments,
    holdout_split,
    next_item_requests,
    ranking_metrics,
    request_metrics,
    segment_size,
    segmentation_metrics,
    segmentation_split,
    users_by_item,
)


def interactions(n_users: int, per_user: int, n_items: int = 500, seed: int = 0):
    """Shuffled interactions: ``per_user`` rows per user with distinct timestamps."""
    rng = np.random.default_rng(seed)
    users = np.repeat(np.arange(n_users, dtype=np.int32), per_user)
    items = rng.integers(0, n_items, users.size).astype(np.int32)
    timestamps = rng.permutation(users.size).astype(np.int64) + 1_600_000_000
    shuffle = rng.permutation(users.size)
    return users[shuffle], items[shuffle], timestamps[shuffle]


# ---- ranking metrics ------------------------------------------------------------------------
def test_worked_example_ndcg_at_5():
    # Hits at ranks 2 and 5 out of two relevant items.
    truth = {0: np.array([20, 50])}
    recs = {0: [10, 20, 30, 40, 50]}
    result = ranking_metrics(recs, truth, catalogue_size=100)
    expected = (1 / math.log(3) + 1 / math.log(6)) / (1 / math.log(2) + 1 / math.log(3))
    assert result["normalized_discounted_cumulative_gain_at_5"] == pytest.approx(expected)
    assert round(result["normalized_discounted_cumulative_gain_at_5"], 4) == 0.6241
    assert result["precision_at_5"] == pytest.approx(2 / 5)
    assert result["precision_at_10"] == pytest.approx(2 / 10)
    assert result["precision_at_25"] == pytest.approx(2 / 25)
    assert result["mean_reciprocal_rank_at_25"] == pytest.approx(1 / 2)
    assert result["coverage"] == pytest.approx(5 / 100)


def test_keys_are_exactly_the_documented_eight():
    result = ranking_metrics({0: [1]}, {0: np.array([1])}, 10)
    assert tuple(result) == RANKING_KEYS
    assert all(isinstance(v, float) for v in result.values())


def test_ideal_dcg_uses_min_of_k_and_truth_size():
    # 10 truth items, hits at ranks 1..5: perfect for K=5, but NDCG@10 is normalised by 10 hits.
    truth = {0: np.arange(100, 110)}
    recs = {0: [100, 101, 102, 103, 104, 1, 2, 3, 4, 5]}
    result = ranking_metrics(recs, truth, 200)
    weights = [1 / math.log(1 + p) for p in range(1, 11)]
    assert result["normalized_discounted_cumulative_gain_at_5"] == pytest.approx(1.0)
    assert result["normalized_discounted_cumulative_gain_at_10"] == pytest.approx(
        sum(weights[:5]) / sum(weights)
    )
    assert result["normalized_discounted_cumulative_gain_at_25"] == pytest.approx(
        sum(weights[:5]) / sum(weights)
    )


def test_perfect_recommendations():
    truth = {u: np.arange(u * 25, u * 25 + 25) for u in range(4)}
    recs = {u: list(t) for u, t in truth.items()}
    result = ranking_metrics(recs, truth, catalogue_size=100)
    assert result == pytest.approx(dict.fromkeys(RANKING_KEYS, 1.0))


def test_empty_recommendations_count_as_zero():
    truth = {0: np.array([1]), 1: np.array([2])}
    assert ranking_metrics({}, truth, 10) == dict.fromkeys(RANKING_KEYS, 0.0)
    # One perfect user, one with an empty list: averages are halved.
    result = ranking_metrics({0: [1], 1: []}, truth, 10)
    assert result["mean_reciprocal_rank_at_25"] == pytest.approx(0.5)
    assert result["normalized_discounted_cumulative_gain_at_5"] == pytest.approx(0.5)
    assert result["precision_at_5"] == pytest.approx(0.1)
    assert result["coverage"] == pytest.approx(0.1)


def test_no_test_users():
    assert ranking_metrics({0: [1, 2]}, {}, 10) == dict.fromkeys(RANKING_KEYS, 0.0)
    assert ranking_metrics({0: [1, 2]}, {0: np.array([], np.int32)}, 10) == dict.fromkeys(
        RANKING_KEYS, 0.0
    )


def test_mean_reciprocal_rank():
    truth = {0: np.array([7]), 1: np.array([7, 8]), 2: np.array([9]), 3: np.array([3])}
    recs = {
        0: [7, 1, 2],  # rank 1
        1: [1, 2, 3, 8, 7],  # first hit at rank 4
        2: list(range(100, 125)) + [9],  # hit at rank 26: outside the top 25
        3: [1, 2],  # no hit
    }
    result = ranking_metrics(recs, truth, 1000)
    assert result["mean_reciprocal_rank_at_25"] == pytest.approx((1 + 1 / 4 + 0 + 0) / 4)


def test_precision_at_k():
    truth = {0: np.arange(0, 30), 1: np.array([999])}
    recs = {0: list(range(3)) + list(range(100, 107)) + list(range(3, 8)), 1: [999]}
    # user 0: 3 hits in top 5, 3 in top 10, 8 in top 25 (only 15 recs); user 1: hit at rank 1.
    result = ranking_metrics(recs, truth, 1000)
    assert result["precision_at_5"] == pytest.approx((3 / 5 + 1 / 5) / 2)
    assert result["precision_at_10"] == pytest.approx((3 / 10 + 1 / 10) / 2)
    assert result["precision_at_25"] == pytest.approx((8 / 25 + 1 / 25) / 2)


def test_only_the_first_25_recommendations_count():
    truth = {0: np.array([500])}
    recs = {0: list(range(25)) + [500]}
    result = ranking_metrics(recs, truth, 1000)
    assert result["precision_at_25"] == 0.0
    assert result["coverage"] == pytest.approx(25 / 1000)


def test_repeated_item_counts_once():
    truth = {0: np.array([5])}
    result = ranking_metrics({0: [5, 5, 5, 5, 5]}, truth, 10)
    assert result["precision_at_5"] == pytest.approx(1 / 5)
    assert result["normalized_discounted_cumulative_gain_at_5"] == pytest.approx(1.0)
    assert result["coverage"] == pytest.approx(1 / 10)


def test_negative_codes_are_ignored():
    truth = {0: np.array([-1, 4])}
    result = ranking_metrics({0: [-1, 4, -1]}, truth, 10)
    assert result["mean_reciprocal_rank_at_25"] == pytest.approx(1 / 2)
    assert result["normalized_discounted_cumulative_gain_at_5"] == pytest.approx(
        (1 / math.log(3)) / (1 / math.log(2))
    )
    assert result["coverage"] == pytest.approx(1 / 10)


def test_coverage_counts_distinct_items_across_test_users_only():
    truth = {0: np.array([1]), 1: np.array([2])}
    recs = {0: [1, 2, 3], 1: [3, 4], 99: [50, 51, 52]}  # user 99 is not a test user
    result = ranking_metrics(recs, truth, catalogue_size=8)
    assert result["coverage"] == pytest.approx(4 / 8)


def test_accepts_numpy_lists_and_truth_with_duplicates():
    truth = {0: np.array([3, 3, 4], np.int32)}
    recs = {0: np.array([4, 3], np.int32)}
    result = ranking_metrics(recs, truth, 10)
    assert result["normalized_discounted_cumulative_gain_at_5"] == pytest.approx(1.0)


def test_ranking_metrics_on_many_random_users():
    rng = np.random.default_rng(1)
    n = 10_000
    truth = {u: rng.choice(5000, size=rng.integers(1, 10), replace=False) for u in range(n)}
    recs = {u: rng.choice(5000, size=25, replace=False).tolist() for u in range(n)}
    result = ranking_metrics(recs, truth, 5000)
    assert 0 <= result["precision_at_25"] < 0.05


# ---- holdout split ----------------------------------------------------------------------------
def test_holdout_split_is_deterministic():
    users, items, ts = interactions(200, 20)
    a = holdout_split(users, items, ts, seed=7)
    b = holdout_split(users, items, ts, seed=7)
    c = holdout_split(users, items, ts, seed=8)
    assert np.array_equal(a.train, b.train)
    assert np.array_equal(a.test_users, b.test_users)
    assert a.truth.keys() == b.truth.keys()
    assert all(np.array_equal(a.truth[u], b.truth[u]) for u in a.truth)
    assert not np.array_equal(a.test_users, c.test_users)


def test_holdout_split_proportions():
    users, items, ts = interactions(200, 20)
    split = holdout_split(users, items, ts, seed=3)
    assert split.test_users.size == 20  # 10 % of 200 users
    assert set(split.truth) == set(split.test_users.tolist()) == set(split.history)
    held_rows = ~split.train
    # Exactly the newest 10 % (2 of 20) of each held-out user's rows are excluded from training.
    assert held_rows.sum() == 20 * 2
    assert set(users[held_rows].tolist()) == set(split.test_users.tolist())
    for user in split.test_users:
        rows = np.flatnonzero(users == user)
        newest = rows[np.argsort(ts[rows])][-2:]
        assert set(np.flatnonzero(held_rows & (users == user))) == set(newest)
        assert set(split.truth[int(user)].tolist()) == set(items[newest].tolist())
        history = split.history[int(user)]
        oldest = rows[np.argsort(ts[rows])][:-2]
        assert np.array_equal(history, items[oldest])
    # Every row of a training user is training data.
    assert split.train[~np.isin(users, split.test_users)].all()
    assert split.n_items == np.unique(items).size


def test_holdout_split_truth_at_least_one_and_single_interaction_users_never_held_out():
    users = np.array([0, 0, 1, 1, 1, 2], np.int32)
    items = np.array([10, 11, 12, 13, 14, 15], np.int32)
    ts = np.array([5, 1, 1, 2, 3, 9], np.int64)
    split = holdout_split(users, items, ts, seed=0, holdout_users=1.0)
    assert split.test_users.tolist() == [0, 1]  # user 2 has one interaction
    assert split.truth[0].tolist() == [10]  # user 0's newest row (timestamp 5)
    assert split.truth[1].tolist() == [14]
    assert split.history[0].tolist() == [11]
    assert split.train.tolist() == [False, True, True, True, False, True]


def test_holdout_split_ties_broken_by_row_order():
    users = np.zeros(10, np.int32)
    items = np.arange(10, dtype=np.int32)
    ts = np.full(10, 42, np.int64)
    split = holdout_split(users, items, ts, seed=0, holdout_users=1.0)
    assert split.truth[0].tolist() == [9]  # the last row is the "newest"
    assert split.history[0].tolist() == list(range(9))


def test_holdout_split_truth_size_rounds_down():
    users = np.repeat(np.arange(3, dtype=np.int32), [15, 30, 2])
    items = np.arange(users.size, dtype=np.int32)
    ts = np.arange(users.size, dtype=np.int64)
    split = holdout_split(users, items, ts, seed=0, holdout_users=1.0)
    assert {u: len(t) for u, t in split.truth.items()} == {0: 1, 1: 3, 2: 1}
    assert (~split.train).sum() == 5


def test_holdout_split_small_and_empty_inputs():
    empty = np.empty(0, np.int32)
    split = holdout_split(empty, empty, np.empty(0, np.int64), seed=0)
    assert split.train.size == 0 and split.test_users.size == 0 and split.truth == {}
    users, items, ts = interactions(5, 3)
    split = holdout_split(users, items, ts, seed=0)
    assert split.test_users.size == 1  # at least one user is held out


# ---- next-item protocol (docs/metrics.md) -----------------------------------------------------
def test_held_out_sequence_keeps_repeats_in_time_order():
    users = np.zeros(10, np.int32)
    items = np.array([1, 2, 3, 4, 5, 6, 7, 8, 9, 9], np.int32)
    ts = np.arange(10, dtype=np.int64)
    split = holdout_split(users, items, ts, seed=0, holdout_users=1.0, truth_fraction=0.2)
    assert split.held_out[0].tolist() == [9, 9]
    assert split.truth[0].tolist() == [9]


def test_next_item_requests_walk_the_held_out_events():
    # User 0: history 1 2 3 | held out 4 2 5 4 6 (2 and the second 4 are repeats).
    split = holdout_split(
        np.zeros(8, np.int32), np.array([1, 2, 3, 4, 2, 5, 4, 6], np.int32),
        np.arange(8, dtype=np.int64), seed=0, holdout_users=1.0, truth_fraction=0.7,
    )
    assert split.history[0].tolist() == [1, 2, 3] and split.held_out[0].tolist() == [4, 2, 5, 4, 6]
    requests = next_item_requests(split)
    assert requests.users.tolist() == [0, 0, 0]
    assert requests.relevant.tolist() == [4, 5, 6]
    # Each request sees everything the user did before that interaction.
    assert [h.tolist() for h in requests.histories] == [[1, 2, 3], [1, 2, 3, 4, 2], [1, 2, 3, 4, 2, 5, 4]]


def test_next_item_requests_share_the_budget_between_users():
    # Three users with 20 interactions each, 10 held out and all new: budget 4 -> 2 requests each.
    users = np.repeat(np.arange(3, dtype=np.int32), 20)
    items = np.arange(60, dtype=np.int32)
    ts = np.arange(60, dtype=np.int64)
    split = holdout_split(users, items, ts, seed=0, holdout_users=1.0, truth_fraction=0.5)
    requests = next_item_requests(split, budget=4)
    assert requests.users.tolist() == [0, 0, 1, 1, 2, 2]
    assert requests.relevant.tolist() == [10, 11, 30, 31, 50, 51]
    # At least one per user, whatever the budget; none for a user with only repeats.
    assert next_item_requests(split, budget=1).relevant.tolist() == [10, 30, 50]
    users = np.array([0, 0, 0, 1, 1, 1], np.int32)
    items = np.array([1, 2, 1, 3, 4, 5], np.int32)
    split = holdout_split(users, items, np.arange(6, dtype=np.int64), seed=0, holdout_users=1.0)
    requests = next_item_requests(split)
    assert requests.users.tolist() == [1] and requests.relevant.tolist() == [5]


def test_request_metrics_known_answer():
    # User 7: two requests (hit at rank 1; hit at rank 4); user 9: one request, no hit.
    requests = Requests(
        np.array([7, 7, 9]), [np.empty(0, np.int64)] * 3, np.array([10, 20, 30])
    )
    recs = [[10, 1, 2], [1, 2, 3, 20], [4, 5]]
    result = request_metrics(recs, requests, catalogue_size=20)
    ndcg_rank4 = 1 / math.log2(5)
    assert result["mean_reciprocal_rank_at_25"] == pytest.approx(((1 + 1 / 4) / 2 + 0) / 2)
    assert result["normalized_discounted_cumulative_gain_at_5"] == pytest.approx(((1 + ndcg_rank4) / 2 + 0) / 2)
    assert result["normalized_discounted_cumulative_gain_at_10"] == pytest.approx(((1 + ndcg_rank4) / 2) / 2)
    assert result["precision_at_5"] == pytest.approx(((1 / 5 + 1 / 5) / 2) / 2)
    assert result["precision_at_10"] == pytest.approx(((1 / 10 + 1 / 10) / 2) / 2)
    assert result["precision_at_25"] == pytest.approx(((1 / 25 + 1 / 25) / 2) / 2)
    assert result["coverage"] == pytest.approx(7 / 20)  # 10 1 2 3 20 4 5
    assert tuple(result) == RANKING_KEYS


def test_request_metrics_never_exceed_one():
    # Perfect answers with uneven requests per user: weighted means stay within [0, 1] exactly.
    users = np.array([0, 0, 0, 1, 2, 2, 2, 2, 2, 2, 2])
    relevant = np.arange(users.size, dtype=np.int64)
    result = request_metrics([[int(r)] for r in relevant], Requests(users, [np.empty(0)] * users.size, relevant), 11)
    assert all(0.0 <= value <= 1.0 for value in result.values())
    assert result["mean_reciprocal_rank_at_25"] == 1.0 and result["coverage"] == 1.0
    assert all(type(value) is float for value in result.values())


def test_one_relevant_item_per_request_gives_the_published_shape():
    # 50 requests whose relevant item is ranked 1, 2, ..., 50: one relevant item per request
    # puts MRR@25 close to NDCG@10 and NDCG@10 several times precision@10, as in every
    # published output of the service (docs/metrics.md).
    n = 50
    relevant = np.arange(n, dtype=np.int64) + 1000
    recs = [[int(relevant[i]) if j == i else j for j in range(25)] for i in range(n)]
    requests = Requests(np.arange(n), [np.empty(0, np.int64)] * n, relevant)
    result = request_metrics(recs, requests, 10_000)
    gains = [1 / math.log2(1 + r) for r in range(1, 11)]
    ndcg, precision = result["normalized_discounted_cumulative_gain_at_10"], result["precision_at_10"]
    assert ndcg == pytest.approx(sum(gains) / n)
    assert precision == pytest.approx(10 / n / 10)
    assert result["mean_reciprocal_rank_at_25"] == pytest.approx(sum(1 / r for r in range(1, 26)) / n)
    assert ndcg / precision == pytest.approx(10 * sum(gains) / 10)  # 4.54
    assert result["mean_reciprocal_rank_at_25"] / ndcg == pytest.approx(0.84, abs=0.01)


# ---- evaluate ---------------------------------------------------------------------------------
def test_evaluate_with_an_oracle_and_a_popularity_baseline():
    users, items, ts = interactions(300, 30, n_items=200)
    split = holdout_split(users, items, ts, seed=5)
    requests = next_item_requests(split)
    answers = {(u, h.size): int(r) for u, h, r in zip(requests.users.tolist(), requests.histories, requests.relevant)}

    def oracle(user, history, k):
        assert history.size >= 27  # the training part, then earlier held-out events
        return [answers[(user, history.size)]]

    result = evaluate(oracle, split)
    assert result["precision_at_25"] == pytest.approx(1 / 25)
    assert result["normalized_discounted_cumulative_gain_at_25"] == pytest.approx(1.0)
    assert result["mean_reciprocal_rank_at_25"] == pytest.approx(1.0)

    calls = []

    def nothing(user, history, k):
        calls.append((user, k))
        return []

    assert evaluate(nothing, split, k=10, catalogue_size=1000) == dict.fromkeys(RANKING_KEYS, 0.0)
    assert sorted({u for u, _ in calls}) == sorted(set(requests.users.tolist()))
    assert len(calls) == len(requests) and {k for _, k in calls} == {10}


def test_evaluate_in_one_batch_equals_one_request_at_a_time():
    users, items, ts = interactions(300, 30, n_items=200)
    split = holdout_split(users, items, ts, seed=5)

    def popular(user, history, k):  # the most frequent items the history lacks
        ranked = np.argsort(-np.bincount(items, minlength=200), kind="stable")
        return ranked[~np.isin(ranked, history)][:k]

    batches = []

    def many(user_codes, histories, k):
        batches.append(len(histories))
        return [popular(u, h, k) for u, h in zip(user_codes.tolist(), histories)]

    assert evaluate(None, split, recommend_many=many) == evaluate(popular, split)
    assert batches == [len(next_item_requests(split))]


# ---- segmentation -----------------------------------------------------------------------------
def test_segmentation_split_holds_out_20_percent_per_user():
    users, items, ts = interactions(50, 10)
    split = segmentation_split(users, items, ts, seed=0)
    assert split.test_users.size == 50
    assert (~split.train).sum() == 50 * 2
    for user in range(50):
        rows = np.flatnonzero(users == user)
        newest = rows[np.argsort(ts[rows])][-2:]
        assert set(np.flatnonzero(~split.train & (users == user))) == set(newest)


def test_users_by_item():
    truth = {1: np.array([10, 11]), 2: np.array([10]), 3: np.array([], np.int32)}
    inverted = users_by_item(truth)
    assert {i: u.tolist() for i, u in inverted.items()} == {10: [1, 2], 11: [1]}


def test_segment_size():
    assert segment_size(50) == 1
    assert segment_size(100) == 1
    assert segment_size(101) == 2
    assert segment_size(1000) == 10


def test_segmentation_metrics_planted_example():
    n_users = 1000  # K = 10
    truth = {
        0: np.arange(0, 20),  # 20 true users
        1: np.array([500, 501]),  # 2 true users
        2: np.array([900]),  # 1 true user, never found
    }
    segments = {
        0: list(range(5)) + list(range(600, 605)) + list(range(5, 20)),  # 5 hits in the top 10
        1: [500, 501] + list(range(700, 708)),  # both found
        2: list(range(600, 610)),  # no hit
    }
    result = segmentation_metrics(segments, truth, n_users)
    assert tuple(result) == SEGMENTATION_KEYS
    assert result["hits_at_1_percent"] == pytest.approx((5 + 2 + 0) / 3)
    assert result["recall_at_1_percent"] == pytest.approx((5 / 20 + 2 / 2 + 0) / 3)
    distinct = set(range(5)) | set(range(600, 605)) | {500, 501} | set(range(700, 708)) | set(
        range(600, 610)
    )
    assert result["coverage"] == pytest.approx(len(distinct) / n_users)


def test_segmentation_metrics_empty():
    assert segmentation_metrics({}, {}, 100) == dict.fromkeys(SEGMENTATION_KEYS, 0.0)
    assert segmentation_metrics({}, {3: np.array([1])}, 100) == dict.fromkeys(
        SEGMENTATION_KEYS, 0.0
    )


def test_evaluate_segments_with_an_oracle():
    users, items, ts = interactions(400, 10, n_items=30)
    split = segmentation_split(users, items, ts, seed=0)
    truth = users_by_item(split.truth)
    k = segment_size(400)

    def oracle(item, size):
        assert size == k == 4
        return truth[item][:size]

    result = evaluate_segments(oracle, split, n_users=400)
    expected_hits = np.mean([min(k, len(u)) for u in truth.values()])
    assert result["hits_at_1_percent"] == pytest.approx(expected_hits)


# ---- next best action -------------------------------------------------------------------------
def test_action_metrics():
    # 3 actions, 4 users.
    truth = {0: np.array([0]), 1: np.array([1]), 2: np.array([0, 2]), 3: np.array([], np.int32)}
    recommended = {0: [0], 1: [0], 2: [2], 3: [0]}
    result = action_metrics(recommended, truth, n_actions=3)
    assert tuple(result) == ACTION_KEYS
    # action 0: shown 3 times, taken by 1 of them; action 2: shown once, taken.
    assert result["precision"] == pytest.approx((1 / 3 + 1) / 2)
    # action 0 taken by 2 users (1 was shown it), action 1 by 1 (0 shown), action 2 by 1 (shown).
    assert result["recall"] == pytest.approx((1 / 2 + 0 + 1) / 3)
    assert result["coverage"] == pytest.approx(2 / 3)
    assert 0.0 <= result["auc"] <= 1.0


def test_action_auc_with_scores():
    truth = {0: np.array([0]), 1: np.array([1])}
    perfect = {0: np.array([0.9, 0.1]), 1: np.array([0.2, 0.8])}
    inverted = {0: np.array([0.1, 0.9]), 1: np.array([0.8, 0.2])}
    constant = {0: np.array([0.5, 0.5]), 1: np.array([0.5, 0.5])}
    recommended = {0: [0], 1: [1]}
    assert action_metrics(recommended, truth, 2, perfect)["auc"] == pytest.approx(1.0)
    assert action_metrics(recommended, truth, 2, inverted)["auc"] == pytest.approx(0.0)
    assert action_metrics(recommended, truth, 2, constant)["auc"] == pytest.approx(0.5)
    # Derived from list positions when no scores are given: recommended-and-taken ranks first.
    assert action_metrics(recommended, truth, 2)["auc"] == pytest.approx(1.0)
