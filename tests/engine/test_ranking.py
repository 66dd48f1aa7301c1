"""Known answers for the runtime's block ranking (engine.ranking.rank_block), no moto."""

from __future__ import annotations

import numpy as np
import pytest

from personalize_mock.engine.factorization import FactorModel
from personalize_mock.engine.interactions import Matrix
from personalize_mock.engine.ranking import best_first, best_first_block, rank_block, serving_catalogue


def _model():
    rng = np.random.default_rng(5)
    users = rng.integers(0, 300, 6000).astype(np.int32)
    items = (rng.zipf(1.3, 6000) % 400).astype(np.int32)
    matrix = Matrix.build(users, items)
    return FactorModel.fit(matrix, seed=3), matrix


def test_best_first_is_the_prefix_of_a_stable_sort_even_with_ties():
    key = np.array([1.0, 3.0, 3.0, 2.0, 3.0, 1.0, 3.0])
    full = np.argsort(-key, kind="stable")
    for limit in range(len(key) + 1):
        assert best_first(key, limit).tolist() == full[:limit].tolist()
    block = np.stack([key, key[::-1], np.zeros(len(key))])
    for limit in (1, 2, 3, 5):
        expected = np.argsort(-block, axis=1, kind="stable")[:, :limit]
        assert np.array_equal(best_first_block(block, limit), expected)


def test_a_users_row_does_not_depend_on_the_block():
    model, matrix = _model()
    codes = serving_catalogue(model)
    users = list(range(40))
    histories = [matrix.csr.indices[matrix.csr.indptr[u]:matrix.csr.indptr[u + 1]] for u in users]
    top, scores = rank_block(model, codes, users, histories, 10)
    for i in (0, 7, 39):
        alone, alone_scores = rank_block(model, codes, [users[i]], [histories[i]], 10)
        assert np.array_equal(alone[0], top[i])
        assert np.array_equal(alone_scores[0], scores[i])  # to the last bit


def test_scores_are_the_catalogue_softmax_and_the_head_is_the_full_rankings_prefix():
    model, matrix = _model()
    codes = serving_catalogue(model)
    history = matrix.csr.indices[: 12]
    full, full_scores = rank_block(model, codes, [None], [history], None)
    assert full_scores.sum() == pytest.approx(1.0, abs=1e-9)
    assert np.all(np.diff(full_scores[0]) <= 0)
    head, head_scores = rank_block(model, codes, [None], [history], 25)
    assert np.array_equal(head[0], full[0, :25])
    assert np.array_equal(head_scores[0], full_scores[0, :25])


def test_users_without_history_get_the_most_popular_items_first():
    model, _ = _model()
    codes = serving_catalogue(model)
    top, scores = rank_block(model, codes, [None], [np.empty(0, np.int64)], 5)
    expected = np.argsort(-model.item_popularity, kind="stable")[:5]
    assert top[0].tolist() == expected.tolist()
    assert np.allclose(scores, 1.0 / len(codes))
