"""Known-answer tests for SIMS and Similar-Items (no moto involved)."""

from __future__ import annotations

import numpy as np
import pytest

from personalize_mock.engine import neighbors
from personalize_mock.engine.neighbors import SimilarItemsModel, SimsModel, _top_per_row

T0 = 1_700_000_000
NO_FILTER = {
    "min_user_history_length_percentile": 0.0, "max_user_history_length_percentile": 1.0,
    "min_item_interaction_count_percentile": 0.0, "max_item_interaction_count_percentile": 1.0,
}


def table(histories: dict[int, list[int]]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(users, items, timestamps) from ``{user: [items...]}``."""
    users = np.concatenate([np.full(len(items), user, np.int32) for user, items in histories.items()])
    items = np.concatenate([np.array(items, np.int32) for items in histories.values()])
    return users, items, T0 + np.arange(len(users), dtype=np.int64)


def two_groups(seed: int = 0, n_users: int = 60) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Users 0..n/2-1 consume items 0..9, the others items 10..19 (6 of the 10 each)."""
    rng = np.random.default_rng(seed)
    histories = {}
    for user in range(n_users):
        base = 0 if user < n_users // 2 else 10
        histories[user] = (base + rng.choice(10, 6, replace=False)).tolist()
    return table(histories)


def reference_sims(users, items, discount, min_count, limit):
    """Brute-force SIMS lists (dense, for small data): {item: [(neighbour, score)...]}."""
    codes = np.unique(items)
    user_codes = np.unique(users)
    x = np.zeros((len(user_codes), len(codes)))
    x[np.searchsorted(user_codes, users), np.searchsorted(codes, items)] = 1.0
    co = x.T @ x
    n = x.sum(axis=0)
    result = {}
    for i, code in enumerate(codes):
        score = co[i] / (n[i] * n) ** discount
        # Scores compare as float32 (mathematical ties stay ties); then more co-occurrence first.
        entries = [(-np.float32(score[j]), -co[i, j], codes[j], score[j])
                   for j in range(len(codes)) if j != i and co[i, j] >= max(min_count, 1)]
        result[int(code)] = [(int(c), s) for _, _, c, s in sorted(entries)[:limit]]
    return result


# ---- SIMS -----------------------------------------------------------------------------------
def test_sims_neighbours_are_the_items_own_group():
    users, items, stamps = two_groups()
    # Keep every item (the default 0.9 item percentile would drop the most popular one).
    model = SimsModel.fit(users, items, stamps, seed=0, max_item_interaction_count_percentile=1.0)
    for item in range(20):
        group = set(range(10)) if item < 10 else set(range(10, 20))
        found, scores = model.similar(item)
        assert set(found.tolist()) == group - {item}
        assert np.all(np.diff(scores) <= 0)
        related = model.related(item, 9)
        assert set(related.tolist()) == group - {item}
        # Past the group, the list is filled with popular items of the other group.
        more = model.related(item, 15)
        assert more[:9].tolist() == related.tolist()
        assert not set(more[9:].tolist()) & group and len(more) == 15


def test_sims_matches_brute_force_formula():
    rng = np.random.default_rng(7)
    users = rng.integers(0, 120, 3000).astype(np.int32)
    items = (rng.zipf(1.5, 3000) % 80).astype(np.int32)
    for discount, min_count, limit in [(0.5, 3, 100), (0.0, 1, 5), (1.0, 2, 7), (0.25, 0, 12)]:
        model = SimsModel.fit(users, items, None, seed=0, popularity_discount_factor=discount,
                              min_cointeraction_count=min_count, max_neighbours=limit, **NO_FILTER)
        expected = reference_sims(users, items, discount, min_count, limit)
        for code, pairs in expected.items():
            found, scores = model.similar(code)
            assert found.tolist() == [c for c, _ in pairs], (discount, code)
            assert scores == pytest.approx([s for _, s in pairs], rel=1e-5)


def test_sims_min_cointeraction_count_drops_rare_pairs():
    histories = {u: [1, 2] for u in range(5)}  # 1 and 2: five common users
    histories.update({u: [3, 4] for u in range(5, 7)})  # 3 and 4: only two
    users, items, stamps = table(histories)
    default = SimsModel.fit(users, items, stamps, seed=0, **NO_FILTER)
    assert default.similar(1)[0].tolist() == [2]
    assert default.similar(3)[0].tolist() == []
    assert default.related(3, 2).tolist() == [1, 2]  # nothing similar: popular items
    loose = SimsModel.fit(users, items, stamps, seed=0, min_cointeraction_count=2, **NO_FILTER)
    assert loose.similar(3)[0].tolist() == [4]
    assert SimsModel.fit(users, items, stamps, seed=0, min_cointeraction_count=0,
                         **NO_FILTER).similar(4)[0].tolist() == [3]


def test_sims_popularity_discount_changes_the_order():
    # Query item 0 (10 users). Popular item 1: 6 common users, 60 users in all.
    # Niche item 2: 4 common users, 4 users in all.
    histories = {u: [0] for u in range(10)}
    for u in range(6):
        histories[u].append(1)
    for u in range(4, 8):
        histories[u].append(2)
    for u in range(100, 154):
        histories[u] = [1]
    users, items, stamps = table(histories)

    def order(discount):
        model = SimsModel.fit(users, items, stamps, seed=0, popularity_discount_factor=discount, **NO_FILTER)
        return model.similar(0)[0].tolist()

    assert order(0.0) == [1, 2]  # raw co-occurrence: 6 > 4
    assert order(0.5) == [2, 1]  # cosine: 4 / sqrt(10 * 4) > 6 / sqrt(10 * 60)
    assert order(1.0) == [2, 1]  # lift
    assert order(0.1) == [1, 2]  # 6 / 60**0.1 > 4 / 4**0.1


def test_sims_item_percentile_drops_the_most_popular_items():
    # 20 items; item 0 is in every history and far more popular than any other.
    rng = np.random.default_rng(1)
    histories = {u: [0] + (1 + rng.choice(19, 5, replace=False)).tolist() for u in range(200)}
    users, items, stamps = table(histories)
    kept = SimsModel.fit(users, items, stamps, seed=0, max_item_interaction_count_percentile=1.0)
    assert len(kept.similar(0)[0]) == 19
    assert 0 in kept.similar(5)[0].tolist()
    model = SimsModel.fit(users, items, stamps, seed=0)  # default max percentile 0.9
    assert model.similar(0)[0].tolist() == []
    assert model.related(0, 3).tolist() == model.popular.top(3, exclude=np.array([0])).tolist()
    for item in range(1, 20):
        assert 0 not in model.similar(item)[0].tolist()


def test_sims_user_percentile_drops_a_bot():
    users, items, stamps = two_groups(n_users=300)
    bot = np.full(20, 999, np.int32)  # one user who touched everything
    users = np.concatenate([users, bot])
    items = np.concatenate([items, np.arange(20, dtype=np.int32)])
    stamps = np.concatenate([stamps, stamps.max() + 1 + np.arange(20)])
    every_item = {"min_cointeraction_count": 1, "max_item_interaction_count_percentile": 1.0}
    with_bot = SimsModel.fit(users, items, stamps, seed=0, max_user_history_length_percentile=1.0,
                             **every_item)
    assert set(with_bot.similar(0)[0].tolist()) == set(range(1, 20))
    without = SimsModel.fit(users, items, stamps, seed=0, **every_item)  # default 0.995
    assert set(without.similar(0)[0].tolist()) == set(range(1, 10))


def test_sims_unknown_item_gets_popular_items():
    users, items, stamps = two_groups()
    model = SimsModel.fit(users, items, stamps, seed=0)
    popular = model.popular.top(5)
    assert model.related(12345, 5).tolist() == popular.tolist()
    assert model.related(12345, 4, exclude=popular[:2]).tolist() == model.popular.top(6)[2:].tolist()
    assert model.similar(12345)[0].tolist() == []


def test_related_exclude_self_and_limits():
    users, items, stamps = two_groups()
    model = SimsModel.fit(users, items, stamps, seed=0)
    related = model.related(3, 5, exclude=np.array([model.similar(3)[0][0]]))
    assert related.tolist() == model.similar(3)[0][1:6].tolist()
    everything = model.related(3, 100)
    assert len(everything) == 19 and 3 not in everything.tolist()
    assert len(set(everything.tolist())) == 19
    assert model.related(3, 0).tolist() == []
    assert everything.dtype == np.int32


def test_sims_is_deterministic_and_order_independent():
    rng = np.random.default_rng(11)
    users = rng.integers(0, 300, 20000).astype(np.int32)
    items = (rng.zipf(1.3, 20000) % 400).astype(np.int32)
    a = SimsModel.fit(users, items, None, seed=0, min_cointeraction_count=1)
    shuffle = rng.permutation(len(users))
    b = SimsModel.fit(users[shuffle], items[shuffle], None, seed=5, min_cointeraction_count=1)
    assert np.array_equal(a.items.codes, b.items.codes)
    assert np.array_equal(a.neighbours.indptr, b.neighbours.indptr)
    assert np.array_equal(a.neighbours.indices, b.neighbours.indices)
    assert np.array_equal(a.neighbours.scores, b.neighbours.scores)


def test_blocks_do_not_change_the_answer(monkeypatch):
    rng = np.random.default_rng(2)
    users = rng.integers(0, 400, 30000).astype(np.int32)
    items = (rng.zipf(1.2, 30000) % 600).astype(np.int32)
    meta = {c: {f"G={c % 9}", f"B={c % 50}"} for c in range(0, 700, 2)}
    kwargs = {"min_cointeraction_count": 1, "max_neighbours": 20}
    whole_sims = SimsModel.fit(users, items, None, 0, **kwargs)
    whole_similar = SimilarItemsModel.fit(users, items, None, 0, item_metadata=meta, max_neighbours=20)
    monkeypatch.setattr(neighbors, "BLOCK_WORK", 5000)
    monkeypatch.setattr(neighbors, "MAX_BLOCK_ROWS", 7)
    for whole, part in [(whole_sims, SimsModel.fit(users, items, None, 0, **kwargs)),
                        (whole_similar, SimilarItemsModel.fit(users, items, None, 0, item_metadata=meta,
                                                              max_neighbours=20))]:
        assert np.array_equal(whole.neighbours.indptr, part.neighbours.indptr)
        assert np.array_equal(whole.neighbours.indices, part.neighbours.indices)
        assert np.allclose(whole.neighbours.scores, part.neighbours.scores)


def test_top_per_row_matches_a_full_sort():
    rng = np.random.default_rng(4)
    n_rows, limit = 50, 10
    rows = np.sort(rng.integers(0, n_rows, 20000))
    cols = rng.permutation(100_000)[:20000]  # unique within each row, as in a sparse matrix
    vals = rng.integers(1, 40, 20000) / 7.0  # many exact ties
    vals[rows == 3] = 1.0 + rng.random(int((rows == 3).sum())) * 1e-12  # near ties
    vals[rows == 4] = 2.0 ** -rng.integers(0, 40, int((rows == 4).sum()))  # wide range
    secondary = rng.permutation(100_000)[cols].astype(np.int64)
    counts, found, _ = _top_per_row(rows, cols, vals, n_rows, limit, secondary)
    start = 0
    for row in range(n_rows):
        mask = rows == row
        # Values compare as float32: row 3's near ties are ties, ordered by ``secondary``.
        order = np.lexsort((secondary[mask], -vals[mask].astype(np.float32)))[:limit]
        assert counts[row] == len(order)
        assert found[start:start + counts[row]].tolist() == cols[mask][order].tolist()
        start += counts[row]


def test_invalid_hyperparameters():
    users, items, stamps = two_groups()
    with pytest.raises(ValueError, match="popularity_discount_factor"):
        SimsModel.fit(users, items, stamps, 0, popularity_discount_factor=1.5)
    with pytest.raises(ValueError, match="user_history_length"):
        SimsModel.fit(users, items, stamps, 0, min_user_history_length_percentile=0.9,
                      max_user_history_length_percentile=0.1)
    with pytest.raises(ValueError, match="item_interaction_count"):
        SimsModel.fit(users, items, stamps, 0, max_item_interaction_count_percentile=2.0)


def test_empty_training_data():
    empty = np.empty(0, np.int32)
    model = SimsModel.fit(empty, empty, empty, 0)
    assert model.related(1, 5).tolist() == []
    similar = SimilarItemsModel.fit(empty, empty, empty, 0, item_metadata={1: {"G=a"}, 2: {"G=a"}})
    assert similar.related(1, 5).tolist() == [2]


# ---- Similar-Items --------------------------------------------------------------------------
def genre_catalogue():
    """Items 0..9 genre a, 10..19 genre b, co-consumed by two user groups; cold items 100..102
    (genre a; 101 has one interaction, the others none) and 200..201 (genre b). Each genre has
    two sub-genres; every item has the uninformative token SIZE=m."""
    users, items, stamps = two_groups()
    users = np.concatenate([users, [0]]).astype(np.int32)  # item 101: one interaction
    items = np.concatenate([items, [101]]).astype(np.int32)
    stamps = np.concatenate([stamps, [stamps.max() + 1]])
    subgenres = {"a1": [0, 1, 2, 3, 4, 100], "a2": [5, 6, 7, 8, 9, 101, 102],
                 "b1": [10, 11, 12, 13, 14, 200], "b2": [15, 16, 17, 18, 19, 201]}
    meta = {code: {f"GENRE={sub[0]}", f"SUBGENRE={sub}", "SIZE=m"}
            for sub, codes in subgenres.items() for code in codes}
    return users, items, stamps, meta


def test_similar_items_cold_item_gets_same_genre_siblings():
    users, items, stamps, meta = genre_catalogue()
    model = SimilarItemsModel.fit(users, items, stamps, seed=0, item_metadata=meta)
    genre_a = set(range(10)) | {100, 101, 102}
    genre_b = set(range(10, 20)) | {200, 201}
    for cold, genre in [(100, genre_a), (101, genre_a), (102, genre_a), (200, genre_b), (201, genre_b)]:
        found = model.related(cold, 10)
        assert set(found.tolist()) <= genre - {cold}, cold
        # Same sub-genre first.
        same = {c for c in genre if c != cold and meta[c] == meta[cold]}
        assert set(found[:len(same)].tolist()) == same, cold
    # Among equally similar siblings, the more popular come first.
    siblings, scores = model.similar(102)
    tied = siblings[scores == scores[0]]
    assert set(tied.tolist()) == {5, 6, 7, 8, 9, 101}
    counts = [model.popular.count(int(c)) for c in tied]
    assert counts == sorted(counts, reverse=True) and tied[-1] == 101


def test_similar_items_warm_item_follows_co_occurrence():
    users, items, stamps, meta = genre_catalogue()
    # Mislabel item 5's metadata as genre b: its interactions still tie it to group a.
    meta[5] = {"GENRE=b", "SUBGENRE=b1", "SIZE=m"}
    model = SimilarItemsModel.fit(users, items, stamps, seed=0, item_metadata=meta)
    top = model.related(5, 9).tolist()
    assert set(top) == set(range(10)) - {5}


def test_similar_items_without_metadata_uses_interactions_only():
    users, items, stamps = two_groups()
    model = SimilarItemsModel.fit(users, items, stamps, seed=0)
    for item in (0, 15):
        group = set(range(10)) if item < 10 else set(range(10, 20))
        assert set(model.related(item, 9).tolist()) == group - {item}


def test_similar_items_unknown_item_gets_popular_items():
    users, items, stamps, meta = genre_catalogue()
    model = SimilarItemsModel.fit(users, items, stamps, seed=0, item_metadata=meta)
    assert model.related(999, 4).tolist() == model.popular.top(4).tolist()
    assert model.related(999, 3, exclude=model.popular.top(1)).tolist() == model.popular.top(4)[1:].tolist()


def test_similar_items_capped_metadata_candidates(monkeypatch):
    # One genre shared by 600 items: beyond the budget only its most popular holders are
    # proposed, so a cold item's siblings are the genre's most popular items.
    rng = np.random.default_rng(8)
    items = (rng.zipf(1.4, 20000) % 600).astype(np.int32)
    users = rng.integers(0, 500, 20000).astype(np.int32)
    meta = {c: {"GENRE=x"} for c in range(600)}
    meta[5000] = {"GENRE=x"}
    meta[5001] = {"GENRE=y"}
    exact = SimilarItemsModel.fit(users, items, None, 0, item_metadata=meta, max_neighbours=10)
    monkeypatch.setattr(neighbors, "META_WORK", 1000)
    capped = SimilarItemsModel.fit(users, items, None, 0, item_metadata=meta, max_neighbours=10)
    most_popular = capped.popular.top(10).tolist()
    assert capped.related(5000, 10).tolist() == most_popular
    assert exact.related(5000, 10).tolist() == most_popular
    assert capped.related(5001, 3).tolist() == capped.popular.top(3).tolist()  # nothing shared


def test_similar_items_is_deterministic():
    rng = np.random.default_rng(9)
    users = rng.integers(0, 200, 10000).astype(np.int32)
    items = (rng.zipf(1.3, 10000) % 300).astype(np.int32)
    meta = {c: {f"G={c % 7}", f"C={c % 4}"} for c in range(350)}
    a = SimilarItemsModel.fit(users, items, None, 0, item_metadata=meta)
    shuffle = rng.permutation(len(users))
    reordered = dict(reversed(list(meta.items())))
    b = SimilarItemsModel.fit(users[shuffle], items[shuffle], None, 1, item_metadata=reordered)
    assert np.array_equal(a.neighbours.indices, b.neighbours.indices)
    assert np.array_equal(a.neighbours.scores, b.neighbours.scores)
    for code in (0, 301, 349):
        assert a.related(code, 20).tolist() == b.related(code, 20).tolist()


def test_large_catalogue_stays_compact():
    rng = np.random.default_rng(12)
    n = 200_000
    users = rng.integers(0, 5000, n).astype(np.int32)
    items = (rng.zipf(1.1, n) % 20000).astype(np.int32)
    meta = {c: {f"G={c % 30}", f"B={c % 1000}"} for c in range(20000)}
    sims = SimsModel.fit(users, items, None, 0, min_cointeraction_count=1)
    similar = SimilarItemsModel.fit(users, items, None, 0, item_metadata=meta)
    for model in (sims, similar):
        assert np.diff(model.neighbours.indptr).max() <= neighbors.MAX_NEIGHBOURS
        assert model.nbytes < 20000 * neighbors.MAX_NEIGHBOURS * 8 + 10**6
    assert len(similar.related(19999, 25)) == 25
