"""Known answers for the factor model and the training pipeline (no moto)."""

from __future__ import annotations

import numpy as np
import pytest

from personalize_mock.engine.factorization import FactorModel
from personalize_mock.engine.interactions import Index, Matrix
from personalize_mock.engine.training import TrainingData, TrainingError, check_minimums, seed_of, train


def planted(n_users=200, items_per_group=20, groups=4, per_user=15, seed=0):
    """Users of group g interact only with items of group g (item codes g*items_per_group + ...)."""
    rng = np.random.default_rng(seed)
    users, items = [], []
    for user in range(n_users):
        group = user % groups
        chosen = rng.choice(items_per_group, per_user, replace=False) + group * items_per_group
        users += [user] * per_user
        items += chosen.tolist()
    stamps = 1_700_000_000 + np.arange(len(users))
    return np.array(users, np.int32), np.array(items, np.int32), stamps.astype(np.int64)


def test_index_positions():
    index = Index.of(np.array([7, 3, 3, 9], np.int32))
    assert index.codes.tolist() == [3, 7, 9]
    assert index.positions(np.array([9, 4, 3])).tolist() == [2, -1, 0]


def test_matrix_is_binary_and_compact():
    matrix = Matrix.build(np.array([5, 5, 5, 8]), np.array([2, 2, 4, 4]))
    assert matrix.csr.shape == (2, 2)
    assert matrix.csr.toarray().tolist() == [[1, 1], [0, 1]]
    assert matrix.item_counts.tolist() == [1, 2]
    assert matrix.history(8).tolist() == [1]
    assert matrix.history(99).tolist() == []


def test_recommends_the_users_own_group():
    users, items, _ = planted(per_user=10)
    matrix = Matrix.build(users, items)
    model = FactorModel.fit(matrix, seed=1)
    for user in (0, 1, 2, 3):
        history = matrix.history(user)
        top, scores = model.recommend(history, 5, exclude=history)
        groups = matrix.items.codes[top] // 20
        assert (groups == user % 4).all()
        assert np.all(np.diff(scores) <= 1e-12)


def test_scores_are_a_softmax_over_the_catalogue():
    users, items, _ = planted()
    model = FactorModel.fit(Matrix.build(users, items), seed=1)
    history = np.array([0, 1, 2])
    _, scores = model.recommend(history, len(model.items))
    assert scores.sum() == pytest.approx(1.0, abs=1e-6)
    assert (scores >= 0).all()
    ranked, ranked_scores = model.rank(history, np.array([70, 3, 41]))
    assert ranked[0] == 3 and ranked_scores.sum() == pytest.approx(1.0)


def test_deterministic_for_a_seed():
    users, items, _ = planted()
    matrix = Matrix.build(users, items)
    first = FactorModel.fit(matrix, seed=42).item_factors
    again = FactorModel.fit(matrix, seed=42).item_factors
    assert np.array_equal(first, again)


def test_cold_user_gets_popular_items():
    users = np.array([0, 1, 2, 3, 0, 1], np.int32)
    items = np.array([5, 5, 5, 5, 6, 7], np.int32)
    matrix = Matrix.build(users, items)
    model = FactorModel.fit(matrix, seed=0)
    top, _ = model.recommend(np.empty(0, np.int64), 1)
    assert matrix.items.codes[top].tolist() == [5]


def test_update_keeps_factors_and_adds_items():
    users, items, _ = planted()
    model = FactorModel.fit(Matrix.build(users, items), seed=3)
    bigger = Index.of(np.append(model.items.codes, [500, 501]).astype(np.int32))
    updated = model.with_items(bigger, np.ones(len(bigger)))
    assert len(updated.items) == len(model.items) + 2
    assert np.array_equal(updated.item_factors[: len(model.items)], model.item_factors)
    assert not updated.item_factors[-2:].any()


def test_training_pipeline_metrics_beat_chance():
    users, items, stamps = planted(n_users=400)
    trained = train("user_personalization", TrainingData(users, items, stamps), seed_of("arn:x"))
    metrics = trained.metrics
    assert set(metrics) == {
        "coverage", "mean_reciprocal_rank_at_25", "normalized_discounted_cumulative_gain_at_5",
        "normalized_discounted_cumulative_gain_at_10", "normalized_discounted_cumulative_gain_at_25",
        "precision_at_5", "precision_at_10", "precision_at_25",
    }
    # Chance of a hit in the top 5 among the 80 items is ~6 %; the planted structure gives far more.
    assert metrics["precision_at_5"] > 0.1


def test_event_filters():
    data = TrainingData(
        np.array([0, 0, 1, 1], np.int32), np.array([0, 1, 0, 1], np.int32), np.arange(4, dtype=np.int64),
        np.array(["click", "buy", "click", None], dtype=object), np.array([1.0, 5.0, np.nan, 9.0]),
    )
    assert data.filtered("click", None).items.tolist() == [0, 0]
    assert data.filtered(None, 2.0).items.tolist() == [1, 1]
    assert data.filtered(None, None, {"buy": 6.0, "click": None}).users.tolist() == [0, 1]


def test_minimum_data_rules():
    few = TrainingData(np.zeros(10, np.int32), np.arange(10, dtype=np.int32), np.arange(10, dtype=np.int64))
    with pytest.raises(TrainingError, match="fewer than 1000 interactions"):
        check_minimums(few)
    users = np.arange(1000, dtype=np.int32) % 20  # 20 users, 50 interactions each
    narrow = TrainingData(users, np.arange(1000, dtype=np.int32), np.arange(1000, dtype=np.int64))
    with pytest.raises(TrainingError, match="fewer than 25 users with at least 2 interactions"):
        check_minimums(narrow)
    wide = TrainingData(np.arange(1000, dtype=np.int32) % 100, np.arange(1000, dtype=np.int32), np.arange(1000, dtype=np.int64))
    check_minimums(wide)


def test_index_positions_each_is_positions_of_each_array():
    index = Index.of(np.array([3, 7, 9, 12]))
    arrays = [np.array([7, 3]), np.array([], np.int64), np.array([5, 12, 9]), np.array([9])]
    found = index.positions_each(arrays)
    assert [f.tolist() for f in found] == [[1, 0], [], [-1, 3, 2], [2]]
    assert [f.tolist() for f in found] == [index.positions(a).tolist() for a in arrays]
    assert index.positions_each([]) == []
