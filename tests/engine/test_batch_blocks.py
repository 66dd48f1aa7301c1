"""Known answers for batch blocks (engine.batch_blocks), no moto: a block's tops and scores are
``engine.ranking.rank_block``'s to the last bit, whatever the block and however the top is
searched."""

from __future__ import annotations

import numpy as np
import pytest

from personalize_mock.engine import batch_blocks
from personalize_mock.engine.batch_blocks import ScoredBlock, in_parallel, top_positions
from personalize_mock.engine.factorization import FactorModel
from personalize_mock.engine.interactions import Matrix
from personalize_mock.engine.ranking import best_first_block, rank_block, serving_catalogue


def _model(extra_items=0):
    rng = np.random.default_rng(11)
    users = rng.integers(0, 300, 6000).astype(np.int32)
    items = (rng.zipf(1.3, 6000) % 400).astype(np.int32)
    matrix = Matrix.build(users, items)
    model = FactorModel.fit(matrix, seed=3)
    if extra_items:  # Items-dataset items the model never saw: raw score 0, equal ties
        model.extra["catalogue_items"] = np.arange(1000, 1000 + extra_items, dtype=np.int32)
    return model, matrix


def _histories(matrix, users):
    # Every user code 0..299 occurs in _model's data, so a user's code is its model row.
    return [np.asarray(matrix.history(u), np.int64) for u in users]


@pytest.mark.parametrize("exact_below", [None, 0])
@pytest.mark.parametrize("width", [1, 5, 37])
def test_block_tops_and_scores_are_rank_blocks(width, exact_below, monkeypatch):
    monkeypatch.setattr(batch_blocks, "EXACT_BELOW", 4096 if exact_below is None else exact_below)
    model, matrix = _model(extra_items=30)
    codes = serving_catalogue(model)
    users = list(range(0, 60, 2))
    histories = _histories(matrix, users)
    histories[3] = np.empty(0, np.int64)  # no history: ranked by popularity ties alone
    expected, expected_scores = rank_block(model, codes, users, histories, width)
    block = ScoredBlock(model, codes, users, histories)
    tops = block.top(None, width)
    for i in range(len(users)):
        assert np.array_equal(tops[i], expected[i])
        assert np.array_equal(block.scores(i, tops[i]), expected_scores[i])  # to the last bit
    # Another block composition, another row order: the same answer per user.
    again = ScoredBlock(model, codes, users[::-1], histories[::-1])
    assert np.array_equal(again.top([len(users) - 1], width)[0], expected[0])


def test_a_mask_gives_the_first_allowed_of_the_full_ranking():
    model, matrix = _model(extra_items=10)
    codes = serving_catalogue(model)
    users = [4, 9, 17]
    histories = _histories(matrix, users)
    full, _ = rank_block(model, codes, users, histories, None)
    allowed = np.zeros(len(codes), bool)
    allowed[::3] = True
    block = ScoredBlock(model, codes, users, histories)
    for exact_below in (4096, 0):
        tops = top_positions(block.raw, block.tie, 8, allowed, exact_below=exact_below)
        for i in range(len(users)):
            assert tops[i].tolist() == [p for p in full[i].tolist() if allowed[p]][:8]
    few = np.zeros(len(codes), bool)
    few[[5, 7]] = True  # fewer allowed than asked for
    assert [len(t) for t in block.top(None, 8, few)] == [2, 2, 2]


def test_sampled_search_keeps_the_stable_order_of_ties():
    rng = np.random.default_rng(2)
    raw = rng.integers(0, 6, size=(7, 5000)).astype(np.float64)  # many exact ties
    tie = np.zeros(5000)
    tie[rng.integers(0, 5000, 300)] = 1e-9
    for width in (1, 10, 250):
        expected = best_first_block(raw + tie, width)
        got = top_positions(raw, tie, width, exact_below=0)
        assert all(np.array_equal(g, e) for g, e in zip(got, expected))


def test_grouped_search_matches_the_outright_order_on_small_catalogues():
    """Catalogues of a few thousand items take the grouped bound (fewer, smaller groups) and
    the padded per-row sort of survivors: the same positions as ordering every entry, with
    ties, excluded (-inf) entries and rows with fewer allowed entries than asked for."""
    rng = np.random.default_rng(5)
    for trial in range(60):
        rows, n, width = int(rng.integers(1, 30)), int(rng.integers(40, 3000)), int(rng.integers(1, 30))
        raw = np.round(rng.normal(size=(rows, n)), 1).astype(np.float32)
        raw[rng.random((rows, n)) < 0.3] = -np.inf
        if trial % 3 == 0:
            raw[0] = 0.0  # one row of equal scores
        if trial % 5 == 0:
            raw[-1, :-3] = -np.inf  # a row with three finite entries
        tie = (rng.random(n) * 1e-9).astype(np.float32) if trial % 2 else np.zeros(n, np.float32)
        got = top_positions(raw, tie, width, exact_below=0)
        expected = top_positions(raw, tie, width, exact_below=10**9)
        assert all(np.array_equal(g, e) for g, e in zip(got, expected)), trial


def test_in_parallel_keeps_the_order_of_the_parts():
    parts = list(batch_blocks.blocks(23, 4))
    assert [p.start for p in parts] == [0, 4, 8, 12, 16, 20] and parts[-1].stop == 23
    seen = [(part, value) for part, value in in_parallel(lambda part: sum(range(part.start, part.stop)), parts, workers=3)]
    assert [part for part, _ in seen] == parts
    assert [value for _, value in seen] == [sum(range(p.start, p.stop)) for p in parts]


@pytest.mark.parametrize("logit_scale", [0.0, 0.05])
def test_impression_penalties_and_head_scores_are_rank_blocks(logit_scale):
    """Users with items shown but never chosen (penalised logits), on the log-logit path too:
    the block's tops, its vectorised head scores and single requests agree to the last bit."""
    model, matrix = _model(extra_items=20)
    model.logit_scale = logit_scale
    codes = serving_catalogue(model)
    users = list(range(0, 40, 3))
    model.extra["impressed_unclicked"] = {users[1]: {int(codes[0]), int(codes[5])},
                                          users[4]: set(codes.tolist())}  # every item: all penalised
    histories = _histories(matrix, users)
    block = ScoredBlock(model, codes, users, histories)
    tops = block.top(None, 12)
    heads = block.head_scores(tops)
    for i in range(len(users)):
        alone, alone_scores = rank_block(model, codes, [users[i]], [histories[i]], 12)
        assert np.array_equal(tops[i], alone[0])
        assert np.array_equal(heads[i], alone_scores[0])  # to the last bit
        assert np.array_equal(block.scores(i, tops[i]), alone_scores[0])
    full, full_scores = rank_block(model, codes, [users[1]], [histories[1]], None)
    assert set(full[0, -2:].tolist()) == {0, 5}  # the penalised items rank last
    assert full_scores.sum() == pytest.approx(1.0, abs=1e-9)


@pytest.mark.parametrize("logit_scale", [0.0, 0.05])
def test_grouped_bound_on_a_wide_catalogue_gives_the_full_rankings_prefix(logit_scale, monkeypatch):
    """A catalogue wide enough for the grouped bound (column groups' highest raw scores): the
    tops are the full ranking's prefix, with ties (Items-dataset items at raw 0)."""
    monkeypatch.setattr(batch_blocks, "EXACT_BELOW", 0)
    model, matrix = _model(extra_items=5000)
    model.logit_scale = logit_scale
    codes = serving_catalogue(model)
    users = list(range(1, 60, 4))
    histories = _histories(matrix, users)
    histories[2] = np.empty(0, np.int64)
    full, _ = rank_block(model, codes, users, histories, None)
    block = ScoredBlock(model, codes, users, histories)
    for width in (1, 25, 300):
        tops = block.top(None, width)
        assert all(np.array_equal(t, f[:width]) for t, f in zip(tops, full))
