"""Score calibration of the user-personalization model: the softmax temperature (and how much
the top of a linear score is compressed, the logit scale) fitted so that scores read as
probabilities of the user's next interaction.

The held-out next interactions of the training split are scored once (engine/personalization.py
does that, a block of raw scores at a time); :class:`Summaries` keeps of each block only what the
search needs, and :func:`fit_calibration` searches: on the held-out requests, the mean summed
top-K score is matched to the rate at which that interaction lands in the top K (K = 1, 10, 25).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from . import memory
from .factorization import FactorModel
from .ranking import grouped_bound, padded_rows

CALIBRATION_KS = (1, 10, 25)
CALIBRATION_USERS = 1000  # held-out next interactions (a seeded sample) the temperature is fitted on
CALIBRATION_MIN = 30  # fewer held-out requests: the default temperature (std of logits / 4)
GRID_POINTS = 9  # coarse grid of log temperatures (then false position between its neighbours)
TAIL_SAMPLE = 256  # catalogue entries sampled for the softmax normaliser beyond the top
LOGIT_SCALE_GRID = (0.001, 0.01, 0.1)  # x the median top raw score


@dataclass
class Calibration:
    """Per K: mean summed top-K score and the observed hit rate of the next interaction."""

    temperature: float
    mass: dict[int, float]
    hits: dict[int, float]
    requests: int


class Summaries:
    """The calibration's requests (a seeded sample of at most ``CALIBRATION_USERS``) and, per
    block of their raw scores, what the temperature search needs: the rank of the next
    interaction (counted up to ``max(CALIBRATION_KS)``), each row's top ``max(CALIBRATION_KS)``
    and a sample of the rest (the same columns for every row). Raw scores are never kept whole
    (a block at a time)."""

    def __init__(self, items: int, histories: list[np.ndarray], nexts: np.ndarray, seed: int) -> None:
        self.rng = np.random.default_rng(seed % 2**32)
        self.picked = np.arange(len(histories))  # which of the given requests
        if len(histories) > CALIBRATION_USERS:
            self.picked = np.sort(self.rng.choice(len(histories), CALIBRATION_USERS, replace=False))
            histories, nexts = [histories[i] for i in self.picked], nexts[self.picked]
        self.histories, self.nexts = list(histories), np.asarray(nexts)
        self.items, self.width = items, min(max(CALIBRATION_KS), items)
        self.tails = np.arange(items) if items <= TAIL_SAMPLE else np.sort(
            self.rng.choice(items, TAIL_SAMPLE, replace=False))
        self.ranks: list[np.ndarray] = []
        self.tops: list[np.ndarray] = []
        self.rests: list[np.ndarray] = []

    def add(self, raw: np.ndarray, start: int, catalogue: int) -> None:
        """Summarise raw scores (float32) of requests ``start:start + len(raw)``."""
        n = len(raw)
        nexts = self.nexts[start:start + n]
        unseen = max(catalogue - self.items, 0)  # served with a raw score of 0
        known = nexts >= 0
        target = np.where(known, raw[np.arange(n), np.maximum(nexts, 0)], np.inf)
        # The logit transform is monotone: the tops, the tail sample and the peaks are taken
        # once on raw scores. The softmax normaliser: the catalogue's top exactly, the rest
        # from the sampled columns (scaled up), the unseen items at raw 0.
        sample = raw[:, self.tails]
        top = _top(raw, self.width)
        self.tops.append(top)
        # The next interaction's rank, counted among the row's top ``width`` only: exact below
        # ``width`` and ``width`` beyond it, which is all the hit rates (K <= width) need.
        rank = np.count_nonzero(top > target[:, None], axis=1) + np.where(target < 0, unseen, 0)
        self.ranks.append(np.where(known, rank, catalogue))
        floor = top[:, -1:] if self.width else np.full((n, 1), np.inf, np.float32)
        self.rests.append(np.where(sample >= floor, -np.inf, sample))


def fit_calibration(model: FactorModel, scored: Summaries, catalogue: int) -> Calibration:
    """Fit ``model.temperature`` and ``model.logit_scale`` on summarised held-out requests.

    Each request is a history (model rows, oldest first) and the model row of the item that
    came next (-1: an item the model does not know, a miss). ``catalogue`` is the size of the
    served catalogue (model items plus Items-dataset items the model never saw, which score a
    raw 0). The list is the whole catalogue as GetRecommendations serves it (the user's own
    items included: they are what the model's scores are over). The fit minimises the largest |log(mass_K / hit_K)| over K in
    ``CALIBRATION_KS`` beyond its sampling noise (1 / sqrt(hits)): the logit scale (how much
    the top of a linear score is compressed) from a small grid, the temperature by a coarse
    grid of log temperatures for every scale, then, for the two best scales, false position
    between the best grid point's neighbours (:func:`_refine`)."""
    rank = np.concatenate(scored.ranks)
    top = np.concatenate(scored.tops).astype(np.float64)
    rest = np.concatenate(scored.rests)  # float32: the widest part
    n, items, width = len(rank), scored.items, scored.width
    hits = {k: float(np.mean(rank < k)) for k in CALIBRATION_KS}
    unseen = max(catalogue - items, 0)
    rest_scale = (items - width) / max(rest.shape[1], 1)
    # Too few requests, or a K whose list holds (nearly) everything, say nothing about scale.
    usable = [k for k in CALIBRATION_KS if 0 < hits[k] < 1 and k < catalogue / 2] if n >= CALIBRATION_MIN else []
    positive = top[top > 0]
    level = float(np.median(positive)) if len(positive) else 0.0
    scales = [0.0] + ([level * f for f in LOGIT_SCALE_GRID] if level > 0 else [])
    columns = [min(k, width) - 1 for k in CALIBRATION_KS]

    def prepared(scale: float, step: int = 1, slot: int = 0) -> tuple[Any, Any, float]:
        # (Its arrays in scratch buffers, engine/memory.py: ``slot`` tells apart the ones in
        # use at once; one exp buffer serves every scale.)
        model.logit_scale = scale
        lt, lr = model.logits(top[::step]), model.logits(rest[::step])
        peak = np.maximum(lt[:, :1], 0.0 if unseen else -np.inf)
        # Differences to the peak, once, in float32 (the search evaluates these many times):
        # the top and the tail sample side by side, so that one exp and one product give the
        # normaliser and the top-K sums.
        dz = (-peak[:, 0]).astype(np.float32)
        stacked = memory.scratch(f"calibration {slot}", (len(lt), width + rest.shape[1]))
        np.subtract(lt, peak, out=stacked[:, :width], casting="same_kind")
        np.subtract(lr, peak.astype(np.float32), out=stacked[:, width:])
        sums = np.zeros((stacked.shape[1], 1 + len(columns)), np.float32)
        sums[:width, 0] = 1.0
        sums[width:, 0] = rest_scale
        for i, column in enumerate(columns):
            sums[:column + 1, 1 + i] = 1.0
        buffer = memory.scratch("calibration exp", stacked.shape)

        known: dict[float, dict[int, float]] = {}  # (the search meets some points twice)

        def masses(temperature: float) -> dict[int, float]:
            if temperature in known:
                return known[temperature]
            np.multiply(stacked, np.float32(1.0 / temperature), out=buffer)
            np.exp(buffer, out=buffer)
            summed = (buffer @ sums).astype(np.float64)
            total = summed[:, 0]
            if unseen:
                total = total + unseen * np.exp(dz.astype(np.float64) / temperature)
            share = summed[:, 1:] / total[:, None]
            known[temperature] = {k: float(share[:, i].mean()) for i, k in enumerate(CALIBRATION_KS)}
            return known[temperature]

        def sides(log_t: float) -> tuple[float, float]:
            # The worst |log ratio| over the K whose mass is above their hit rate, and over
            # those below, each counted only beyond its own noise (the standard error of a log
            # hit rate is about 1 / sqrt(hits)): K = 1 rests on few. The loss is the larger.
            mass = masses(float(np.exp(log_t)))
            over = under = 0.0
            for k in usable:
                ratio = float(np.log(max(mass[k], 1e-300) / hits[k]))
                term = max(abs(ratio) - 1.0 / np.sqrt(hits[k] * n), 0.0) + 1e-3 * abs(ratio)
                if ratio >= 0:
                    over = max(over, term)
                else:
                    under = max(under, term)
            return over, under

        return masses, sides, float(np.std(lt)) or 1.0

    if not usable:
        masses, _, spread = prepared(scales[0])
        model.temperature = spread / 4.0
        return Calibration(model.temperature, masses(model.temperature), hits, n)
    # Every scale's minimum on a coarse grid of log temperatures (on every third request when
    # there are many: it only picks the two to refine), the two best refined on every request
    # (refining one alone chose worse out of sample: on MovieLens-100k through the API, K = 1
    # at 1.6x the hit rate instead of 1.0x). Each K's mass falls as the temperature rises, so
    # the loss has one minimum on the grid: a walk from where the scale before had it finds it
    # with few evaluations.
    searched = []
    start = GRID_POINTS // 2
    for scale in scales:
        _, sides, spread = prepared(scale, 3 if n >= 600 else 1)
        grid = np.log(spread) + np.linspace(-7.0, 4.0, GRID_POINTS)
        start, value = _walk(lambda x, sides=sides: max(sides(x)), grid, start)
        searched.append((value, len(searched), scale, grid, start))
    best: tuple[float, float, float, Any] | None = None
    for slot, (_, _, scale, grid, at) in enumerate(sorted(searched, key=lambda x: x[:2])[:2]):
        masses, sides, _ = prepared(scale, slot=slot)
        temperature, value = _refine(sides, grid, at)
        if best is None or value < best[0] - 1e-9:
            best = (value, scale, temperature, masses)
    assert best is not None
    _, model.logit_scale, model.temperature, masses = best
    return Calibration(model.temperature, masses(model.temperature), hits, n)


def _walk(loss: Any, grid: np.ndarray, start: int) -> tuple[int, float]:
    """The grid point of a unimodal ``loss``'s minimum (the first of equal ones) and its
    value: from ``start`` towards lower values."""
    values: dict[int, float] = {}

    def at(i: int) -> float:
        if not 0 <= i < len(grid):
            return np.inf
        if i not in values:
            values[i] = loss(grid[i])
        return values[i]

    i = start
    while True:
        if at(i - 1) <= at(i):
            i -= 1
        elif at(i + 1) < at(i):
            i += 1
        else:
            return i, values[i]


def _refine(sides: Any, grid: np.ndarray, best: int, steps: int = 6, tolerance: float = 0.01) -> tuple[float, float]:
    """The temperature of least loss between grid point ``best``'s neighbours, and the loss
    there. The loss is the larger of ``sides(log t)`` = (over, under): ``over`` falls as the
    temperature rises and ``under`` grows (every K's mass falls), so the least loss is where
    they cross, found by false position (Illinois) on their difference; the point of least
    loss among those evaluated (the grid point included) is returned."""
    tried: dict[float, float] = {}

    def gap(x: float) -> float:
        over, under = sides(x)
        tried[x] = max(over, under)
        return over - under

    lo, mid, hi = grid[max(best - 1, 0)], grid[best], grid[min(best + 1, len(grid) - 1)]
    at_mid = gap(mid)
    if at_mid > 0:  # the crossing lies above the grid point, unless the bracket ends first
        (x0, g0), (x1, g1) = (mid, at_mid), (hi, gap(hi))
    else:
        (x0, g0), (x1, g1) = (lo, gap(lo)), (mid, at_mid)
    if g0 > 0 > g1:
        for _ in range(steps):
            x2 = x1 - g1 * (x1 - x0) / (g1 - g0)
            g2 = gap(x2)
            if g2 == 0 or abs(x2 - x1) < tolerance:
                break
            if (g2 > 0) == (g1 > 0):
                g0 /= 2  # Illinois: the end kept twice counts half
            else:
                x0, g0 = x1, g1
            x1, g1 = x2, g2
    point = min(tried, key=lambda x: (tried[x], x != mid))
    return float(np.exp(point)), tried[point]


def _top(raw: np.ndarray, width: int) -> np.ndarray:
    """Each row's ``width`` highest values, highest first: the values at or above each row's
    grouped bound (``ranking.grouped_bound``: a few more than width), sorted (several times
    faster than partitioning every row)."""
    rows, items = raw.shape
    bound = grouped_bound(raw, width) if width and rows else None
    if bound is None:
        return -np.sort(-np.partition(raw, items - width, axis=1)[:, items - width:], axis=1)
    mask = raw >= bound[:, None]
    counts = np.count_nonzero(mask, axis=1)
    padded = padded_rows(np.repeat(np.arange(rows), counts), counts, raw[mask], -np.inf)  # (row by row)
    padded.sort(axis=1)
    return padded[:, ::-1][:, :width].copy()
