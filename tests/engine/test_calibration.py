"""Known answers for the user-personalization model (engine.personalization): EASE's closed
form, recency weights, and the calibration property out of sample (no moto)."""

from __future__ import annotations

import numpy as np
import pytest

from personalize_mock.engine import personalization
from personalize_mock.engine.factorization import WEIGHT_BITS, recency_weights
from personalize_mock.engine.interactions import Index, Matrix
from personalize_mock.engine.ranking import rank_block, serving_catalogue


def tastes(n_users, n_items=400, clusters=8, per_user=30, seed=0, start_user=0):
    """Each user draws 80 % of their items from their taste cluster (Zipf-like popularity within
    it), the rest from the whole catalogue (Zipf-like); timestamps in order."""
    rng = np.random.default_rng(seed)
    item_cluster = np.arange(n_items) % clusters
    pools = [np.flatnonzero(item_cluster == c) for c in range(clusters)]
    users, items = [], []
    for user in range(start_user, start_user + n_users):
        pool = pools[user % clusters]
        own = rng.random(per_user) < 0.8
        picks = np.where(own, pool[(rng.zipf(1.5, per_user) - 1) % len(pool)], (rng.zipf(1.3, per_user) - 1) % n_items)
        users += [user] * per_user
        items += picks.tolist()
    stamps = 1_700_000_000 + np.arange(len(users), dtype=np.int64)
    return np.array(users, np.int32), np.array(items, np.int32), stamps


def test_ease_weights_are_the_closed_form():
    users, items, _ = tastes(200, n_items=40, clusters=4, per_user=10)
    matrix = Matrix.build(users, items)
    model = personalization.fit(matrix, seed=1)
    assert model.item_item
    x = matrix.csr.toarray().astype(np.float64)
    gram = x.T @ x
    lam = personalization.EASE_REGULARIZATION * matrix.csr.nnz / x.shape[1]
    inverse = np.linalg.inv(gram + lam * np.eye(len(gram)))
    expected = np.maximum(inverse / -np.diag(inverse), 0.0)
    np.fill_diagonal(expected, 0.0)
    counts = np.sqrt(np.diag(gram))
    cosine = gram / np.outer(counts, counts)
    np.fill_diagonal(cosine, 0.0)
    expected += personalization.SMOOTHING * expected.max() * cosine
    assert np.allclose(model.item_factors, expected, atol=1e-5 * expected.max())


def test_recency_weights_halve_every_half_life():
    weights = recency_weights(11, 5.0)
    assert weights[-1] == 2**WEIGHT_BITS  # the newest
    assert weights[-6] == 2 ** (WEIGHT_BITS - 1)  # five events older
    assert weights[0] == 2 ** (WEIGHT_BITS - 2)
    assert np.all(np.diff(weights) > 0)


@pytest.mark.parametrize("item_item", [True, False])
def test_recent_events_outweigh_an_older_history(item_item):
    """100 older interactions in one cluster, then 5 in another: the new cluster leads."""
    users, items, _ = tastes(600, per_user=30, seed=2)
    model = personalization.fit(Matrix.build(users, items), seed=1, item_item=item_item)
    cluster = lambda rows: model.items.codes[rows] % 8  # noqa: E731
    old = np.flatnonzero(model.items.codes % 8 == 0)[:100]
    new = np.flatnonzero(model.items.codes % 8 == 3)[:5]
    history = np.concatenate([old, new])
    top, _ = model.recommend(history, 10)
    assert (cluster(top) == 3).sum() >= 3
    unweighted = personalization.fit(Matrix.build(users, items), seed=1, item_item=item_item, half_life=0.0)
    assert (cluster(unweighted.recommend(history, 10)[0]) == 3).sum() < 3  # what recency changes


@pytest.mark.parametrize("item_item", [True, False])
def test_scores_are_calibrated_out_of_sample(item_item):
    """Trained with its temperature fitted on its own holdout split, the model's summed top-K
    score on new users matches how often their next item is in that top K (within 1.5x)."""
    users, items, stamps = tastes(3000, seed=3)
    catalogue = len(np.unique(items))
    index = Index.of(items)
    model, matrix, metrics, calibration = personalization.train(users, items, stamps, 4, None, catalogue) \
        if item_item else _train_svd(users, items, stamps, catalogue)
    assert metrics["normalized_discounted_cumulative_gain_at_10"] > 0.05
    fresh_users, fresh_items, _ = tastes(3000, seed=5, start_user=3000)
    codes = serving_catalogue(model)
    histories, nexts = [], []
    for user in np.unique(fresh_users).tolist():
        sequence = index.positions(fresh_items[fresh_users == user])
        histories.append(sequence[:-1][sequence[:-1] >= 0])
        nexts.append(sequence[-1])
    nexts = np.array(nexts)
    top, scores = rank_block(model, codes, [None] * len(histories), histories, 25)
    for k in (1, 10, 25):
        mass = scores[:, :k].sum(axis=1).mean()
        hits = np.mean([(codes[top[i, :k]] == model.items.codes[n]).any() for i, n in enumerate(nexts)])
        assert hits > 0
        assert 1 / 1.5 <= mass / hits <= 1.5, (k, mass, hits)


def _train_svd(users, items, stamps, catalogue):
    original = personalization.ITEM_ITEM_MAX_ITEMS
    personalization.ITEM_ITEM_MAX_ITEMS = 0
    try:
        return personalization.train(users, items, stamps, 4, None, catalogue)
    finally:
        personalization.ITEM_ITEM_MAX_ITEMS = original


def test_temperature_without_held_out_data_is_finite():
    users, items, stamps = tastes(5, per_user=4)
    model, _, metrics, calibration = personalization.train(users, items, stamps, 1, None, 400)
    assert np.isfinite(model.temperature) and model.temperature > 0


def test_walk_finds_a_unimodal_minimum_from_anywhere():
    from personalize_mock.engine.calibration import _walk

    grid = np.linspace(-7.0, 4.0, 9)
    for minimum in range(9):
        calls = []

        def loss(x, minimum=minimum, calls=calls):
            calls.append(x)
            return abs(x - grid[minimum])

        for start in range(9):
            calls.clear()
            assert _walk(loss, grid, start) == (minimum, 0.0)
            assert len(set(calls)) == len(calls) <= abs(start - minimum) + 3  # each point once
    flat = _walk(lambda x: 1.0, grid, 4)  # equal values: the first grid point
    assert flat == (0, 1.0)


def test_top_values_are_each_rows_highest_in_order():
    from personalize_mock.engine.calibration import _top

    rng = np.random.default_rng(3)
    raw = np.round(rng.normal(size=(50, 1300)), 2).astype(np.float32)  # with ties
    expected = -np.sort(-raw, axis=1)[:, :25]
    assert np.array_equal(_top(raw, 25), expected)
    assert _top(raw[:0], 25).shape == (0, 25)


def test_chained_scoring_matches_folding_each_history_whole():
    """Successive held-out requests of a user are scored from the one before: the same raw
    scores as folding each history in whole, for steps of one event, of several, of none (a
    held-out item the model does not know) and beyond the chain's reach (a new base)."""
    users, items, stamps = tastes(120, n_items=300)
    model = personalization.fit(Matrix.build(users, items), seed=2)
    rng = np.random.default_rng(4)
    histories, owners = [], []
    for user in range(6):
        full = rng.integers(0, len(model.items), 40)
        for length in (5, 6, 6, 9, 10, 25, 26):  # +1, +0, +3, +1, +15 (new base), +1
            histories.append(full[:length])
            owners.append(user)
    histories.append(rng.integers(0, len(model.items), 7))  # a request of no chain
    owners.append(None)
    chained = personalization._chained_raw(model, histories, owners)
    whole = personalization.fast_raw(model, histories)
    assert np.allclose(chained, whole, rtol=1e-4, atol=1e-6 * np.abs(whole).max())


def test_refine_finds_where_over_and_under_estimates_cross():
    """Known answer: with over(x) = 2 - x and under(x) = x - 1 (clipped at 0), the least loss
    max(over, under) is at x = 1.5 (loss 0.5), wherever the grid point lies in the bracket."""
    from personalize_mock.engine.calibration import _refine

    grid = np.linspace(0.0, 4.0, 9)  # step 0.5: 1.5 is grid point 3

    def sides(x):
        return max(2.0 - x, 0.0), max(x - 1.0, 0.0)

    for best in (2, 3, 4):
        temperature, value = _refine(sides, grid, best)
        assert abs(np.log(temperature) - 1.5) < 0.02 and abs(value - 0.5) < 0.02
    temperature, value = _refine(sides, grid, 7)  # the crossing outside the bracket: its lower end
    assert np.isclose(np.log(temperature), 3.0) and np.isclose(value, 2.0)
