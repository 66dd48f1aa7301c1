"""Known-answer tests for Popularity-Count and Trending-Now (no moto involved)."""

from __future__ import annotations

import numpy as np
import pytest

from personalize_mock.engine.popularity import (
    FREQUENCIES,
    TREND_SMOOTHING,
    PopularityModel,
    TrendingModel,
    parse_frequency,
)

HOUR = 3600
T0 = 1_700_000_000


def repeat(counts: dict[int, int]) -> np.ndarray:
    """Item codes with each ``code`` repeated ``counts[code]`` times, shuffled."""
    items = np.concatenate([np.full(n, code, np.int32) for code, n in counts.items()])
    return np.random.default_rng(0).permutation(items)


# ---- Popularity-Count -----------------------------------------------------------------------
def test_popularity_ranks_by_count_then_code():
    model = PopularityModel.fit(repeat({7: 3, 2: 5, 9: 3, 4: 1, 1: 5}), seed=0)
    assert model.top(10).tolist() == [1, 2, 7, 9, 4]
    assert model.counts.tolist() == [5, 5, 3, 3, 1]
    assert model.top(2).tolist() == [1, 2]
    assert model.count(9) == 3 and model.count(123) == 0


def test_popularity_exclude_and_edges():
    model = PopularityModel.fit(repeat({7: 3, 2: 5, 9: 3, 4: 1, 1: 5}), seed=0)
    assert model.top(3, exclude=np.array([1, 7])).tolist() == [2, 9, 4]
    assert model.top(3, exclude=np.array([1, 1, 1])).tolist() == [2, 7, 9]
    assert model.top(10, exclude=np.array([2, 1, 7, 9, 4])).tolist() == []
    assert model.top(0).tolist() == []
    assert model.top(3, exclude=np.array([], np.int32)).tolist() == [1, 2, 7]
    assert model.top(3).dtype == np.int32
    empty = PopularityModel.fit(np.empty(0, np.int32), seed=0)
    assert len(empty) == 0 and empty.top(5).tolist() == []


def test_popularity_counts_unique_users_when_given():
    # Item 1 has 6 interactions from one user; item 2 has 3 interactions from 3 users.
    items = np.array([1] * 6 + [2] * 3, np.int32)
    users = np.array([0] * 6 + [1, 2, 3], np.int32)
    assert PopularityModel.fit(items, seed=0).top(2).tolist() == [1, 2]
    by_users = PopularityModel.fit(items, seed=0, user_codes=users)
    assert by_users.top(2).tolist() == [2, 1]
    assert by_users.counts.tolist() == [3, 1]


def test_popularity_is_deterministic_and_order_independent():
    rng = np.random.default_rng(5)
    items = rng.integers(0, 50, 2000).astype(np.int32)
    first = PopularityModel.fit(items, seed=1).top(50)
    again = PopularityModel.fit(items[::-1].copy(), seed=99).top(50)
    assert first.tolist() == again.tolist()


# ---- Trending-Now ---------------------------------------------------------------------------
def events(per_window: dict[int, list[int]], window: int, end: int) -> tuple[np.ndarray, np.ndarray]:
    """``per_window[item][w]`` interactions in window ``w`` (0 = oldest; last = newest)."""
    items, stamps = [], []
    for item, counts in per_window.items():
        n_windows = len(counts)
        for w, count in enumerate(counts):
            # Window w covers (end - (n_windows - w) * window, end - (n_windows - w - 1) * window].
            high = end - (n_windows - w - 1) * window
            items += [item] * count
            stamps += list(high - np.arange(count) * (window // max(count, 1)) // 2)
    return np.array(items, np.int32), np.array(stamps, np.int64)


def test_trending_finds_the_item_that_jumps_in_the_last_window():
    per_window = {
        1: [40, 40, 40, 40],  # steady and the most popular overall
        2: [10, 10, 10, 10],  # steady
        3: [2, 2, 2, 30],  # jumps in the last window
        4: [20, 20, 20, 5],  # falls
        5: [0, 0, 0, 3],  # brand new, a little
    }
    items, stamps = events(per_window, 3 * HOUR, T0)
    model = TrendingModel.fit(items, stamps, seed=0, frequency_seconds=3 * HOUR)
    assert model.frequency_seconds == 3 * HOUR and model.window_end == stamps.max()
    assert model.top(1).tolist() == [3]
    # 3: (30 - 2) / (2 + 5) = 4.0; 5: 3 / 5 = 0.6; then the rest by all-time popularity.
    assert model.trending == 2
    assert model.trend[:2] == pytest.approx([28 / (2 + TREND_SMOOTHING), 3 / TREND_SMOOTHING])
    assert model.top(5).tolist() == [3, 5, 1, 4, 2]
    assert model.top(3, exclude=np.array([3])).tolist() == [5, 1, 4]
    assert dict(zip(model.codes.tolist(), model.recent.tolist()))[3] == 30
    assert dict(zip(model.codes.tolist(), model.previous.tolist()))[3] == 2


def test_trending_window_boundaries_are_half_open():
    f = HOUR
    end = T0
    # Item 1: one interaction exactly f seconds before the end: previous window, not recent.
    # Item 2: one interaction f - 1 seconds before the end: recent.
    # Item 3: the newest interaction (defines the end) plus one exactly 2f before: ignored.
    items = np.array([1, 2, 3, 3], np.int32)
    stamps = np.array([end - f, end - f + 1, end, end - 2 * f], np.int64)
    model = TrendingModel.fit(items, stamps, seed=0, frequency_seconds=f)
    by_code = {c: (r, p) for c, r, p in zip(model.codes.tolist(), model.recent.tolist(), model.previous.tolist())}
    assert by_code == {1: (0, 1), 2: (1, 0), 3: (1, 0)}


def test_trending_depends_on_the_frequency():
    # Item 1 bursts in the last hour only; item 2 grew steadily through the last day.
    items, stamps = [], []
    for h in range(48):  # hour h covers (T0 - (48 - h) * HOUR, T0 - (47 - h) * HOUR]
        hour_end = T0 - (47 - h) * HOUR
        n1 = 40 if h == 47 else 4
        n2 = 2 if h < 24 else 8
        items += [1] * n1 + [2] * n2
        stamps += [hour_end - i for i in range(n1)] + [hour_end - 100 - i for i in range(n2)]
    items_a, stamps_a = np.array(items, np.int32), np.array(stamps, np.int64)
    hourly = TrendingModel.fit(items_a, stamps_a, seed=0, frequency_seconds=parse_frequency("1 hour"))
    daily = TrendingModel.fit(items_a, stamps_a, seed=0, frequency_seconds=parse_frequency("1 day"))
    assert hourly.top(1).tolist() == [1]
    assert daily.top(1).tolist() == [2]


def test_trending_without_growth_falls_back_to_popularity():
    per_window = {1: [5, 5], 2: [9, 9], 3: [7, 1]}
    items, stamps = events(per_window, HOUR, T0)
    model = TrendingModel.fit(items, stamps, seed=0, frequency_seconds=HOUR)
    assert model.trending == 0
    assert model.top(3).tolist() == [2, 1, 3]  # all-time counts 18, 10, 8


def test_trending_is_deterministic_and_handles_empty_data():
    rng = np.random.default_rng(3)
    items = rng.integers(0, 200, 5000).astype(np.int32)
    stamps = T0 + rng.integers(0, 10 * 86400, 5000)
    a = TrendingModel.fit(items, stamps, seed=1)
    shuffle = rng.permutation(5000)
    b = TrendingModel.fit(items[shuffle], stamps[shuffle], seed=2)
    assert a.top(200).tolist() == b.top(200).tolist()
    assert sorted(a.top(500).tolist()) == sorted(set(items.tolist()))
    empty = TrendingModel.fit(np.empty(0, np.int32), np.empty(0, np.int64), seed=0)
    assert empty.top(3).tolist() == []
    with pytest.raises(ValueError):
        TrendingModel.fit(items, stamps, seed=0, frequency_seconds=0)


# ---- trend_discovery_frequency --------------------------------------------------------------
@pytest.mark.parametrize("text, seconds", [
    ("30 minutes", 1800), ("30 Minutes", 1800), ("30 min", 1800), ("30mins", 1800), ("30m", 1800),
    ("1 hour", 3600), ("1 hours", 3600), ("1h", 3600), ("1 HR", 3600),
    ("2 hours", 7200), ("2h", 7200),
    ("3 hours", 10800), ("3 hour", 10800), ("3h", 10800), (" 3 Hours ", 10800),
    ("1 day", 86400), ("1 days", 86400), ("1d", 86400), ("1 DAY", 86400),
])
def test_parse_frequency_accepts_the_documented_values(text, seconds):
    assert parse_frequency(text) == seconds


@pytest.mark.parametrize("text", [
    "4 hours", "45 minutes", "1 week", "hourly", "", "3", "3 hours 30 minutes", "-1 day", "1.5 hours", None, 3,
])
def test_parse_frequency_rejects_anything_else(text):
    with pytest.raises(ValueError, match="trend_discovery_frequency.*30 minutes"):
        parse_frequency(text)


def test_frequencies_table():
    assert {name: parse_frequency(name) for name in FREQUENCIES} == FREQUENCIES
