"""Non-personalized recipes: Popularity-Count (aws-popularity-count) and Trending-Now
(aws-trending-now).

Both return the same list for every user, as catalogue codes (``tables.Catalog`` item codes),
and have no scores. Neither uses randomness: ``seed`` is kept only so that every model records
the seed it was trained with.

Popularity-Count
    An item's popularity is its number of interactions; with ``user_codes`` it is the number of
    distinct users who interacted with it (the service counts "interactions from unique users").
    Ranking: popularity descending, then catalogue code ascending.

Trending-Now
    With ``f`` = the trend discovery frequency in seconds and ``T`` = the newest timestamp, the
    *recent* window is ``(T - f, T]`` and the *previous* window ``(T - 2f, T - f]``. For an item
    with ``r`` interactions in the recent window and ``p`` in the previous one::

        trend = (r - p) / (p + TREND_SMOOTHING)          # TREND_SMOOTHING = 5

    The smoothing keeps an item that goes from 0 to 1 interaction from outranking one that goes
    from 10 to 40 (0.2 against 2.0). Items with ``trend > 0`` come first (trend descending, then
    ``r`` descending, then code ascending); every other item follows in Popularity-Count order
    (all-time interaction count), so the list always covers the whole trained catalogue.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import numpy as np

TREND_SMOOTHING = 5.0

# trend_discovery_frequency values the service documents, in seconds (the current guide adds
# "2 hours", its default; the 2023 guide had "3 hours" as the default).
FREQUENCIES = {"30 minutes": 30 * 60, "1 hour": 3600, "2 hours": 2 * 3600, "3 hours": 3 * 3600, "1 day": 86400}
DEFAULT_FREQUENCY = "2 hours"
_UNITS = {
    "m": 60, "min": 60, "mins": 60, "minute": 60, "minutes": 60,
    "h": 3600, "hr": 3600, "hrs": 3600, "hour": 3600, "hours": 3600,
    "d": 86400, "day": 86400, "days": 86400,
}
_FREQUENCY = re.compile(r"^\s*(\d+)\s*([a-z]+)\s*$")


def parse_frequency(text: str) -> int:
    """Seconds of a ``trend_discovery_frequency`` value.

    Accepts the documented frequencies in any case, singular or plural, abbreviated or
    not, with or without a space: ``"30 minutes"``, ``"30 min"``, ``"1 hour"``, ``"1h"``,
    ``"3 hours"``, ``"3h"``, ``"1 day"``, ``"1d"``. Anything else raises ``ValueError``.
    """
    allowed = ", ".join(repr(name) for name in FREQUENCIES)
    match = _FREQUENCY.match(text.lower()) if isinstance(text, str) else None
    unit = _UNITS.get(match.group(2)) if match else None
    seconds = int(match.group(1)) * unit if match and unit else None
    if seconds not in FREQUENCIES.values():
        raise ValueError(f"Invalid trend_discovery_frequency {text!r}: must be one of {allowed}.")
    return seconds


def _ranked(codes: np.ndarray, weights: np.ndarray) -> np.ndarray:
    """Order of ``codes`` by weight descending, then code ascending."""
    return np.lexsort((codes, -weights))


def _take(ranking: np.ndarray, k: int, exclude: np.ndarray | None) -> np.ndarray:
    """The first ``k`` codes of ``ranking`` that are not in ``exclude``."""
    if k <= 0:
        return np.empty(0, np.int32)
    if exclude is None or not len(exclude):
        return ranking[:k].copy()
    # At most len(exclude) entries are dropped, so a prefix of k + len(exclude) suffices.
    head = ranking[: k + len(exclude)]
    return head[~np.isin(head, exclude)][:k]


@dataclass
class PopularityModel:
    codes: np.ndarray  # int32 catalogue codes, most popular first
    counts: np.ndarray  # int64 popularity of each entry of ``codes``
    seed: int

    @classmethod
    def fit(cls, item_codes: np.ndarray, seed: int, user_codes: np.ndarray | None = None) -> PopularityModel:
        items = np.asarray(item_codes, dtype=np.int64)
        if user_codes is not None and len(items):
            # Codes are non-negative int32, so (item, user) packs into one int64 key.
            pairs = np.sort((items << 32) | np.asarray(user_codes, dtype=np.int64))
            items = pairs[np.r_[True, pairs[1:] != pairs[:-1]]] >> 32
        codes, counts = np.unique(items, return_counts=True)
        order = _ranked(codes, counts)
        return cls(codes[order].astype(np.int32), counts[order].astype(np.int64), seed)

    def __len__(self) -> int:
        return len(self.codes)

    def top(self, k: int, exclude: np.ndarray | None = None) -> np.ndarray:
        """The ``k`` most popular catalogue codes, skipping the codes in ``exclude``."""
        return _take(self.codes, k, exclude)

    def count(self, code: int) -> int:
        hit = np.flatnonzero(self.codes == code)
        return int(self.counts[hit[0]]) if len(hit) else 0


@dataclass
class TrendingModel:
    codes: np.ndarray  # int32 catalogue codes, most trending first, then by popularity
    trend: np.ndarray  # float64 trend of each entry of ``codes`` (see the module docstring)
    recent: np.ndarray  # int64 interactions in the recent window
    previous: np.ndarray  # int64 interactions in the previous window
    trending: int  # how many leading entries of ``codes`` have trend > 0
    frequency_seconds: int
    window_end: int  # newest timestamp in the training data (T)
    seed: int

    @classmethod
    def fit(cls, item_codes: np.ndarray, timestamps: np.ndarray, seed: int,
            frequency_seconds: int = FREQUENCIES[DEFAULT_FREQUENCY]) -> TrendingModel:
        if frequency_seconds <= 0:
            raise ValueError("frequency_seconds must be positive")
        items = np.asarray(item_codes, dtype=np.int64)
        stamps = np.asarray(timestamps, dtype=np.int64)
        codes, inverse, counts = np.unique(items, return_inverse=True, return_counts=True)
        n = len(codes)
        end = int(stamps.max()) if len(stamps) else 0
        age = end - stamps  # 0 for the newest interaction
        recent = np.bincount(inverse[age < frequency_seconds], minlength=n)
        previous = np.bincount(
            inverse[(age >= frequency_seconds) & (age < 2 * frequency_seconds)], minlength=n
        )
        trend = (recent - previous) / (previous + TREND_SMOOTHING)
        rising = trend > 0
        head = np.flatnonzero(rising)
        head = head[np.lexsort((codes[head], -recent[head], -trend[head]))]
        tail = np.flatnonzero(~rising)
        tail = tail[_ranked(codes[tail], counts[tail])]
        order = np.concatenate([head, tail])
        return cls(codes[order].astype(np.int32), trend[order], recent[order].astype(np.int64),
                   previous[order].astype(np.int64), len(head), int(frequency_seconds), end, seed)

    def __len__(self) -> int:
        return len(self.codes)

    def top(self, k: int, exclude: np.ndarray | None = None) -> np.ndarray:
        """The ``k`` most trending catalogue codes (then the most popular), skipping ``exclude``."""
        return _take(self.codes, k, exclude)
