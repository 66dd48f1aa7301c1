"""The user-personalization (and personalized-ranking) model: fit, offline metrics and score
calibration in one pass.

Which model, by catalogue size (docs/model.md):

- up to ``ITEM_ITEM_MAX_ITEMS`` items: EASE (Steck, 2019), the closed-form item-item linear
  model ``B = I - P / diag(P)`` with ``P = (X'X + lambda I)^-1``. One dense inversion, cubic in
  the number of items, so only for small catalogues (1,682 items: a few tenths of a second).
- larger catalogues: a truncated SVD of the binary user x item matrix (PureSVD), whose cost is
  linear in the interactions (randomized SVD: a few sparse products with a thin matrix) and
  whose memory is the data plus (users + items) x factors.

Both are linear in the user's history, so a user is folded in at request time from their
interactions as they are then: events recorded by PutEvents count at once, without
retraining, and unknown users (anonymous sessions) work the same way. The history is weighted
by recency: an interaction ``n`` events before the newest weighs ``0.5 ** (n / HALF_LIFE)``
(the service's model is a sequence model that weighs what the user just did).

One fit serves both purposes: the model is fitted on the training part of the service's
holdout split (10 % of users keep their newest 10 % of interactions out), the held-out
interactions give the offline metrics and the softmax temperature, and the same model
serves. What it never saw is 1 % of the interactions; serving folds every user in from their
whole history anyway.

Scores are a softmax over the whole catalogue with a temperature set from data: on the
held-out next interactions, the mean summed top-K score is matched to the rate at which that
interaction lands in the top K (K = 1, 10, 25), so scores read as probabilities of the next
interaction.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from .factorization import FactorModel, recency_weights
from .interactions import Index, Matrix

ITEM_ITEM_MAX_ITEMS = 2500  # EASE up to this many items (dense items x items inverse)
EASE_REGULARIZATION = 4.0  # lambda = this x the mean interactions per item
EASE_MIN_COUNT = 40  # on catalogues above EASE_MIN_COUNT_ITEMS, rarer items stay out of the inverse
EASE_MIN_COUNT_ITEMS = 500  # (MovieLens-100k: ~700 of 1,682 items kept; 20+: ~935, NDCG@10 +1.7%, fit +40%)
SMOOTHING = 1e-3  # weight of item co-occurrence (cosine) added to EASE's weights, x their largest
HALF_LIFE = 5.0  # events: recency weighting of a user's history
SVD_FACTORS = 128
SVD_ITERATIONS = 4  # power iterations; half as many above LARGE interactions
LARGE = 2_000_000  # interactions above which the SVD keeps half the factors and iterations (speed)
CALIBRATION_KS = (1, 10, 25)
CALIBRATION_USERS = 1000
CALIBRATION_MIN = 30  # fewer held-out requests: the default temperature (std of logits / 4)
EXCLUDE_HISTORY = False  # held-out requests used to fit the temperature
TAIL_SAMPLE = 256
LOGIT_SCALE_GRID = (0.001, 0.01, 0.1)  # x the median top raw score  # catalogue entries sampled for the softmax normaliser beyond the top


@dataclass
class Calibration:
    """Per K: mean summed top-K score and the observed hit rate of the next interaction."""

    temperature: float
    mass: dict[int, float]
    hits: dict[int, float]
    requests: int


def fit(matrix: Matrix, seed: int, factors: int | None = None, half_life: float = HALF_LIFE,
        item_item: bool | None = None) -> FactorModel:
    """The model for ``matrix`` (temperature 1 until :func:`calibrate` sets it)."""
    n_users, n_items = matrix.csr.shape  # type: ignore[attr-defined]
    popularity = matrix.item_counts.astype(np.float64)
    if item_item is None:
        item_item = n_items <= ITEM_ITEM_MAX_ITEMS
    if item_item:
        weights = _ease(matrix, n_items)
        return FactorModel(matrix.items, weights, popularity, seed, half_life=half_life, item_item=True)
    most = SVD_FACTORS if matrix.csr.nnz <= LARGE else SVD_FACTORS // 2  # type: ignore[attr-defined]
    k = max(1, min(factors or most, most, n_users - 1, n_items - 1))
    if n_users < 2 or n_items < 2:
        vectors = np.zeros((n_items, 1), np.float32)
    else:
        from sklearn.utils.extmath import randomized_svd  # scikit-learn loads only to train

        iterations = SVD_ITERATIONS if matrix.csr.nnz <= LARGE else SVD_ITERATIONS // 2  # type: ignore[attr-defined]
        _, sigma, vt = randomized_svd(matrix.csr.astype(np.float32), k, n_iter=iterations,  # type: ignore[attr-defined]
                                      random_state=np.random.RandomState(seed % 2**32))
        vectors = np.ascontiguousarray(vt.T, dtype=np.float32)
        # A user folds in with the strong components weighted up (sqrt of the singular value
        # ratio): on the skewed benchmark set, +3 % NDCG@10 over plain PureSVD.
        weights = np.sqrt(sigma / max(float(sigma[0]), 1e-12)).astype(np.float32)
        return FactorModel(matrix.items, vectors, popularity, seed, query_factors=vectors * weights,
                           half_life=half_life)
    return FactorModel(matrix.items, vectors, popularity, seed, half_life=half_life)


def _ease(matrix: Matrix, n_items: int, min_count: int | None = None) -> np.ndarray:
    """EASE's weights over the items with at least ``min_count`` interactions (the inverse is
    cubic in their number; rarer items are reached through the co-occurrence term only).

    The Gram matrix comes in two parts: kept x kept by one dense product (BLAS), and the rare
    items' rows by a sparse product (they have few interactions), mirrored into their columns."""
    csr = matrix.csr.astype(np.float32, copy=False)  # type: ignore[attr-defined]
    diagonal = np.bincount(csr.indices, weights=np.square(csr.data, dtype=np.float64), minlength=n_items)
    if min_count is None:  # only where the cubic cost matters
        min_count = EASE_MIN_COUNT if n_items > EASE_MIN_COUNT_ITEMS else 1
    kept = diagonal >= min_count
    keep, rare = np.flatnonzero(kept), np.flatnonzero(~kept)
    norm = (1.0 / np.sqrt(np.maximum(diagonal, 1.0))).astype(np.float32)  # cosine = gram x norm x norm
    columns = csr.toarray() if not len(rare) else csr[:, keep].toarray()
    gram = columns.T @ columns  # kept x kept
    del columns
    lam = EASE_REGULARIZATION * max(float(csr.nnz) / max(n_items, 1), 1.0)
    ease = _ease_weights(gram, lam) if len(keep) else np.zeros((0, 0), np.float32)
    # Clipping leaves items that co-occur only with a user's older items at 0, level with
    # items never seen with any of theirs: a small co-occurrence term (cosine) keeps them ahead.
    weight = np.float32(SMOOTHING * float(ease.max(initial=0.0)) or SMOOTHING)
    block = gram
    block *= (norm[keep] * weight)[:, None]
    block *= norm[keep][None, :]
    block[np.arange(len(keep)), np.arange(len(keep))] = 0.0
    block += ease
    if not len(rare):
        return np.ascontiguousarray(block, dtype=np.float32)
    del ease
    weights = np.zeros((n_items, n_items), np.float32)
    weights[np.ix_(keep, keep)] = block
    del block
    # The rare items' rows of the Gram matrix (a sparse x dense product: they have few
    # interactions), and their columns by symmetry.
    rows = np.asarray(csr[:, rare].T.tocsr() @ csr.toarray(), np.float32)
    rows *= (norm[rare] * weight)[:, None]
    rows *= norm[None, :]
    rows[np.arange(len(rare)), rare] = 0.0
    weights[rare] = rows
    weights[np.ix_(keep, rare)] = rows[:, keep].T
    return weights


def _ease_weights(gram: np.ndarray, lam: float) -> np.ndarray:
    """``B = I - P / diag(P)``, ``P = (gram + lam I)^-1``, negative weights dropped (float32;
    ``gram`` is left as it is)."""
    import scipy.linalg

    n = len(gram)
    inner = gram.copy()
    inner[np.arange(n), np.arange(n)] += lam
    # Inverse of a symmetric positive definite matrix by Cholesky (half the flops of LU), in
    # place: the transpose of the (symmetric) C-ordered copy is the Fortran array LAPACK takes.
    factor, info = scipy.linalg.lapack.spotrf(inner.T, lower=1, overwrite_a=1)
    if info == 0:
        factor, info = scipy.linalg.lapack.spotri(factor, lower=1, overwrite_c=1)
    if info != 0:  # numerically singular (cannot happen with lam > 0, but never fail training)
        inverse = np.linalg.pinv(gram.astype(np.float64) + lam * np.eye(n)).astype(np.float32)
    else:  # spotri fills the Fortran lower triangle (the C upper one): mirror it by blocks
        inverse = factor.T
        for start in range(0, n, 64):  # (small blocks: the transposed reads stay in cache)
            stop = min(start + 64, n)
            square = inverse[start:stop, start:stop]
            below = np.tril_indices(stop - start, -1)
            square[below] = square.T[below]
            inverse[stop:, start:stop] = inverse[start:stop, stop:].T
    weights = inverse
    weights /= -np.diag(inverse).copy()[None, :]
    weights[np.arange(n), np.arange(n)] = 0.0
    # Negative weights (items that rarely follow each other) are dropped: as accurate on
    # MovieLens-100k, and a user's score for an item is never below an unrelated item's.
    return np.maximum(weights, 0.0, out=weights)


# ---- calibration -----------------------------------------------------------------------------
def calibrate(model: FactorModel, histories: list[np.ndarray], nexts: np.ndarray, catalogue: int,
              seed: int, exclude_history: bool = EXCLUDE_HISTORY) -> Calibration | None:
    """Fit ``model.temperature`` and ``model.logit_scale`` on held-out next interactions.

    ``histories`` are model rows (oldest first), ``nexts`` the model row of the item that
    came next (-1: an item the model does not know, a miss). ``catalogue`` is the size of the
    served catalogue (model items plus Items-dataset items the model never saw, which score a
    raw 0). The list is the whole catalogue as GetRecommendations serves it (with
    ``exclude_history``: after dropping the user's own items; the softmax stays over the whole
    catalogue). The fit minimises the largest |log(mass_K / hit_K)| over K in
    ``CALIBRATION_KS`` beyond its sampling noise (1 / sqrt(hits)); the logit scale (how much
    the top of a linear score is compressed) is chosen from a small grid, the temperature by a
    grid then golden-section search (:func:`_fit_calibration`).
    """
    if not len(histories):
        return None
    scored = _Scored(model, histories, nexts, seed, exclude_history)
    for start, stop in _blocks(len(scored.histories), len(model.items)):
        scored.add(fast_raw(model, scored.histories[start:stop]), start, catalogue)
    return _fit_calibration(model, scored, catalogue)


class _Scored:
    """The calibration's requests (a seeded sample of at most ``CALIBRATION_USERS``) and, per
    block of their raw scores, what the temperature search needs: the rank of the next
    interaction, each row's top ``max(CALIBRATION_KS)`` and a sample of the rest (the same
    columns for every row). Raw scores are never kept whole (a block at a time)."""

    def __init__(self, model: FactorModel, histories: list[np.ndarray], nexts: np.ndarray, seed: int,
                 exclude_history: bool) -> None:
        self.rng = np.random.default_rng(seed % 2**32)
        self.picked = np.arange(len(histories))  # which of the given requests
        if len(histories) > CALIBRATION_USERS:
            self.picked = np.sort(self.rng.choice(len(histories), CALIBRATION_USERS, replace=False))
            histories, nexts = [histories[i] for i in self.picked], nexts[self.picked]
        self.histories, self.nexts, self.exclude = list(histories), np.asarray(nexts), exclude_history
        items = len(model.items)
        self.items, self.width = items, min(max(CALIBRATION_KS), items)
        self.tails = np.arange(items) if items <= TAIL_SAMPLE else np.sort(
            self.rng.choice(items, TAIL_SAMPLE, replace=False))
        self.ranks: list[np.ndarray] = []
        self.full_tops: list[np.ndarray] = []
        self.tops: list[np.ndarray] = []
        self.rests: list[np.ndarray] = []

    def add(self, raw: np.ndarray, start: int, catalogue: int, consume: bool = False) -> None:
        """Summarise raw scores (float32) of requests ``start:start + len(raw)`` (``consume``:
        ``raw`` may be reordered in place)."""
        n = len(raw)
        nexts = self.nexts[start:start + n]
        full = raw
        if self.exclude:
            raw = raw.copy()
            for i, history in enumerate(self.histories[start:start + n]):
                raw[i, history] = -np.inf
        unseen = max(catalogue - self.items, 0)  # served with a raw score of 0
        known = nexts >= 0
        target = np.where(known, raw[np.arange(n), np.maximum(nexts, 0)], np.inf)
        rank = (raw > target[:, None]).sum(axis=1) + np.where(target < 0, unseen, 0)
        self.ranks.append(np.where(known, rank, catalogue))
        # The logit transform is monotone: the tops, the tail sample and the peaks are taken
        # once on raw scores. The softmax normaliser: the catalogue's top exactly, the rest
        # from the sampled columns (scaled up), the unseen items at raw 0.
        sample = full[:, self.tails]
        full_top = _top(full, self.width, in_place=consume)
        self.full_tops.append(full_top)
        self.tops.append(_top(raw, self.width, in_place=True) if self.exclude else full_top)
        floor = full_top[:, -1:] if self.width else np.full((n, 1), np.inf, np.float32)
        self.rests.append(np.where(sample >= floor, -np.inf, sample))


def _fit_calibration(model: FactorModel, scored: _Scored, catalogue: int) -> Calibration:
    """The logit scale and temperature search over summarised requests (see :func:`calibrate`):
    a coarse grid of log temperatures for every logit scale, then golden-section search
    around the best grid point of the best scale."""
    rank = np.concatenate(scored.ranks)
    full_top = np.concatenate(scored.full_tops).astype(np.float64)
    top = full_top if not scored.exclude else np.concatenate(scored.tops).astype(np.float64)
    rest = np.concatenate(scored.rests)  # float32: the widest part
    n, items, width = len(rank), scored.items, scored.width
    hits = {k: float(np.mean(rank < k)) for k in CALIBRATION_KS}
    unseen = max(catalogue - items, 0)
    rest_scale = (items - width) / max(rest.shape[1], 1)
    # Too few requests, or a K whose list holds (nearly) everything, say nothing about scale.
    usable = [k for k in CALIBRATION_KS if 0 < hits[k] < 1 and k < catalogue / 2] if n >= CALIBRATION_MIN else []
    positive = full_top[full_top > 0]
    level = float(np.median(positive)) if len(positive) else 0.0
    scales = [0.0] + ([level * f for f in LOGIT_SCALE_GRID] if level > 0 else [])
    columns = [min(k, width) - 1 for k in CALIBRATION_KS]

    shared: dict[tuple[int, ...], np.ndarray] = {}  # one exp buffer for every scale

    def prepared(scale: float, step: int = 1) -> tuple[Any, Any, float]:
        model.logit_scale = scale
        lt, lf, lr = model.logits(top[::step]), model.logits(full_top[::step]), model.logits(rest[::step])
        peak = np.maximum(lf[:, :1], 0.0 if unseen else -np.inf)
        # Differences to the peak, once, in float32 (the search evaluates these many times):
        # the top and the tail sample side by side, so that one exp and one product give the
        # normaliser and the top-K sums.
        dz = (-peak[:, 0]).astype(np.float32)
        stacked = np.empty((len(lf), width + rest.shape[1] + (0 if top is full_top else width)), np.float32)
        np.subtract(lf, peak, out=stacked[:, :width], casting="same_kind")
        np.subtract(lr, peak.astype(np.float32), out=stacked[:, width:width + rest.shape[1]])
        if top is not full_top:
            np.subtract(lt, peak, out=stacked[:, width + rest.shape[1]:], casting="same_kind")
        sums = np.zeros((stacked.shape[1], 1 + len(columns)), np.float32)
        sums[:width, 0] = 1.0
        sums[width:width + rest.shape[1], 0] = rest_scale
        listed = 0 if top is full_top else width + rest.shape[1]
        for i, column in enumerate(columns):
            sums[listed:listed + column + 1, 1 + i] = 1.0
        buffer = shared.get(stacked.shape)
        if buffer is None:
            buffer = shared[stacked.shape] = np.empty_like(stacked)

        def masses(temperature: float) -> dict[int, float]:
            np.multiply(stacked, np.float32(1.0 / temperature), out=buffer)
            np.exp(buffer, out=buffer)
            summed = (buffer @ sums).astype(np.float64)
            total = summed[:, 0]
            if unseen:
                total = total + unseen * np.exp(dz.astype(np.float64) / temperature)
            share = summed[:, 1:] / total[:, None]
            return {k: float(share[:, i].mean()) for i, k in enumerate(CALIBRATION_KS)}

        def loss(log_t: float) -> float:
            # The worst |log ratio| over K, each counted only beyond its own noise (the
            # standard error of a log hit rate is about 1 / sqrt(hits)): K = 1 rests on few.
            mass = masses(float(np.exp(log_t)))
            return max(max(abs(np.log(max(mass[k], 1e-300) / hits[k])) - 1.0 / np.sqrt(hits[k] * n), 0.0)
                       + 1e-3 * abs(np.log(max(mass[k], 1e-300) / hits[k])) for k in usable)

        return masses, loss, float(np.std(lf)) or 1.0

    if not usable:
        masses, _, spread = prepared(scales[0])
        model.temperature = spread / 4.0
        return Calibration(model.temperature, masses(model.temperature), hits, n)
    # Every scale on the coarse grid; the two best refined on every request.
    # (the grid on every third request when there are many: it only picks the two to refine)
    searched = []
    for scale in scales:
        _, loss, spread = prepared(scale, 3 if n >= 600 else 1)
        grid = np.log(spread) + np.linspace(-7.0, 4.0, 9)
        values = [loss(g) for g in grid]
        searched.append((min(values), len(searched), scale, grid, values))
    best: tuple[float, float, float, Any] | None = None
    for _, _, scale, grid, values in sorted(searched, key=lambda x: x[:2])[:2]:
        masses, loss, _ = prepared(scale)
        temperature = _refine(loss, grid, values)
        value = loss(np.log(temperature))
        if best is None or value < best[0] - 1e-9:
            best = (value, scale, temperature, masses)
    assert best is not None
    _, model.logit_scale, model.temperature, masses = best
    return Calibration(model.temperature, masses(model.temperature), hits, n)


def _refine(loss: Any, grid: np.ndarray, values: list[float], steps: int = 7) -> float:
    """exp of the argmin of ``loss`` by golden-section search between the best grid point's
    neighbours (the grid point itself if nothing better turns up)."""
    best = int(np.argmin(values))
    lo, hi = grid[max(best - 1, 0)], grid[min(best + 1, len(grid) - 1)]
    ratio = (np.sqrt(5.0) - 1) / 2
    a, b = hi - ratio * (hi - lo), lo + ratio * (hi - lo)
    fa, fb = loss(a), loss(b)
    for _ in range(steps):
        if fa <= fb:
            hi, b, fb = b, a, fa
            a = hi - ratio * (hi - lo)
            fa = loss(a)
        else:
            lo, a, fa = a, b, fb
            b = lo + ratio * (hi - lo)
            fb = loss(b)
    point, value = (a, fa) if fa <= fb else (b, fb)
    return float(np.exp(point if value <= values[best] else grid[best]))


def _blocks(n: int, items: int, entries: int = 4_000_000) -> list[tuple[int, int]]:
    """Row ranges of at most ``entries`` raw scores each (bounded memory on large catalogues)."""
    size = max(1, entries // max(items, 1))
    return [(start, min(start + size, n)) for start in range(0, n, size)]


def _top(raw: np.ndarray, width: int, in_place: bool = False) -> np.ndarray:
    """Each row's ``width`` highest values, highest first (``in_place``: ``raw`` is reordered
    instead of copied)."""
    items = raw.shape[1]
    if in_place:
        raw.partition(items - width, axis=1)
    else:
        raw = np.partition(raw, items - width, axis=1)
    return -np.sort(-raw[:, items - width:], axis=1)


def fast_raw(model: FactorModel, histories: list[np.ndarray]) -> np.ndarray:
    """Raw scores (users x model items) in float32 for the offline evaluation and the
    calibration: the same model and recency weights as serving, without the fixed-point
    exactness that serving needs (a block's rows need not match single requests here)."""
    n, items = len(histories), len(model.items)
    cached = model.cache.get("float32")
    if cached is None:
        target = None if model.item_item else np.ascontiguousarray(model.item_factors, np.float32)
        cached = (np.ascontiguousarray(model._query(), np.float32), target)
        model.cache["float32"] = cached
    query, target = cached
    if not n:
        return np.zeros((0, items), np.float32)
    lengths = np.fromiter((len(h) for h in histories), np.int64, n)
    if model.half_life > 0:
        window = int(model.half_life * 17) + 1
        lengths = np.minimum(lengths, window)
        histories = [h[len(h) - w:] for h, w in zip(histories, lengths.tolist())]
        # recency_weights of every length at once: the newest of each history weighs 1
        ages = np.arange(lengths.sum()) - np.repeat(np.cumsum(lengths) - 1, lengths)
        weights = np.round(2.0 ** 16 * np.exp2(ages / model.half_life)) / 2.0**16
    else:
        weights = np.ones(int(lengths.sum()))
    import scipy.sparse as sp

    rows = np.concatenate(histories).astype(np.int64) if lengths.sum() else np.empty(0, np.int64)
    fold = sp.csr_matrix((weights.astype(np.float32), rows, np.concatenate([[0], np.cumsum(lengths)])),
                         shape=(n, query.shape[0]))
    users = np.asarray(fold @ query, np.float32)
    return users if target is None else users @ target.T


# ---- training with metrics -------------------------------------------------------------------
def next_interactions(split: Any, items: Index) -> tuple[list[np.ndarray], np.ndarray]:
    """Next-interaction requests of a split's held-out users: for each held-out interaction
    (repeats included: the score is the probability of the next interaction, whatever it is),
    the history before it (model rows, oldest first: the training part and the held-out
    interactions before it) and its item's model row (-1: an item the model does not know)."""
    histories, nexts, _ = _next_interactions(split, items)
    return histories, nexts


def _next_interactions(split: Any, items: Index) -> tuple[list[np.ndarray], np.ndarray, list[tuple[int, int]]]:
    """:func:`next_interactions` and each request's key: (user, length of the history in
    interactions, unknown items included), which names the same request in the metrics."""
    histories, nexts, keys = [], [], []
    held_out = getattr(split, "held_out", None) or {}
    for user in split.test_users.tolist():
        history = np.asarray(split.history.get(user, np.empty(0, np.int64)))
        sequence = held_out.get(user)
        truth = np.asarray(split.truth.get(user, np.empty(0, np.int64)) if sequence is None else sequence)
        rows = items.positions(np.concatenate([history, truth]))
        known = np.cumsum(rows >= 0)  # known items before each position: a prefix of the kept rows
        kept = rows[rows >= 0]
        for position in range(len(history), len(rows)):
            histories.append(kept[:known[position - 1]] if position else kept[:0])
            nexts.append(int(rows[position]))
            keys.append((user, position))
    return histories, np.asarray(nexts, np.int64), keys


def train(users: np.ndarray, items: np.ndarray, stamps: np.ndarray, seed: int, factors: int | None,
          catalogue: int) -> tuple[FactorModel, Matrix, dict[str, float], Calibration | None]:
    """Fit once on the holdout split's training part (over every item of the data), compute
    the offline metrics and the temperature on its held-out part, and return the model that
    serves with them. ``catalogue``: the served catalogue's size (Interactions + Items).

    BLAS runs on one thread meanwhile: training is a few large products and factorizations,
    and a BLAS thread pool that spins while other processes hold the cores (a shared laptop,
    CI) made them up to ten times slower in measurements. (scipy.linalg is imported first:
    threadpoolctl only limits the BLAS libraries already loaded.)"""
    import scipy.linalg  # noqa: F401
    from threadpoolctl import threadpool_limits

    with threadpool_limits(1, user_api="blas"):
        return _train(users, items, stamps, seed, factors, catalogue)


def _train(users: np.ndarray, items: np.ndarray, stamps: np.ndarray, seed: int, factors: int | None,
           catalogue: int) -> tuple[FactorModel, Matrix, dict[str, float], Calibration | None]:
    from .metrics import evaluate, holdout_split, next_item_requests

    index = Index.of(items)
    split = holdout_split(users, items, stamps, seed) if len(users) >= 2 else None
    if split is None or not len(split.test_users):
        matrix = Matrix.build(users, items, items=index)
        model = fit(matrix, seed, factors)
        model.temperature = _fallback_temperature(model, matrix)
        return model, matrix, {}, None
    matrix = Matrix.build(users[split.train], items[split.train], items=index)
    model = fit(matrix, seed, factors)
    histories, nexts, keys = _next_interactions(split, index)
    requests = next_item_requests(split)
    if not histories:
        model.temperature = _fallback_temperature(model, matrix)
        return model, matrix, evaluate(None, split, 25, catalogue, requests=requests,
                                       recommend_many=lambda u, h, k: _rank_requests(model, index, list(h), k)), None
    # One scoring of the held-out requests serves the calibration and the metrics: each
    # metrics request (a history before a held-out interaction) is one of the calibration's
    # when the calibration's sample holds it, and is scored along with them otherwise.
    scored = _Scored(model, histories, nexts, seed, EXCLUDE_HISTORY)
    keyed = {key: i for i, key in enumerate(keys)}
    sampled = {i: j for j, i in enumerate(scored.picked.tolist())}
    rows: list[np.ndarray] = list(scored.histories)
    owners: list[int | None] = [keys[i][0] for i in scored.picked.tolist()]
    wanted = []
    for user, history in zip(requests.users.tolist(), requests.histories):
        i = keyed.get((user, len(history)))
        j = sampled.get(i) if i is not None else None
        if j is None:
            found = index.positions(history)
            rows.append(found[found >= 0])
            owners.append(None)
            j = len(rows) - 1
        wanted.append(j)
    where = np.asarray(wanted, np.int64)
    ranked: list[np.ndarray | None] = [None] * len(wanted)
    calibrated = len(scored.histories)
    for start, stop in _blocks(len(rows), len(model.items)):
        raw = _chained_raw(model, rows[start:stop], owners[start:stop])
        picks = np.flatnonzero((where >= start) & (where < stop))
        if len(picks):  # (a copy of the rows: the calibration's summary then reorders raw)
            lists = _rank_block(model, index, raw[where[picks] - start], [rows[j] for j in where[picks]], 25)
            for p, listed in zip(picks.tolist(), lists):
                ranked[p] = listed
        if start < calibrated:
            scored.add(raw[:calibrated - start], start, catalogue, consume=True)
    calibration = _fit_calibration(model, scored, catalogue)
    metrics = evaluate(None, split, 25, catalogue, requests=requests, recommend_many=lambda u, h, k: ranked)
    return model, matrix, metrics, calibration


def _chained_raw(model: FactorModel, histories: list[np.ndarray], owners: list[int | None]) -> np.ndarray:
    """:func:`fast_raw` of requests that are a user's history at successive held-out steps:
    each user's shortest is folded in whole, every later one from the one before (``a`` = the
    recency decay per event): ``raw(L') = a^(L'-L) raw(L) + sum a^(L'-1-i) W[item i]``, a few
    row operations instead of a fold over the whole history (the same recency weights up to
    their rounding and the window's end, where they are below 2^-16). Item-item models only."""
    if not model.item_item or model.half_life <= 0 or len(histories) < 2:
        return fast_raw(model, histories)
    order = sorted((i for i, user in enumerate(owners) if user is not None),
                   key=lambda i: (owners[i], len(histories[i])))
    before: dict[int, int] = {}
    base, steps = [i for i, user in enumerate(owners) if user is None], []
    for i in order:
        previous = before.get(owners[i])  # type: ignore[arg-type]
        if previous is None or len(histories[i]) - len(histories[previous]) > 8:
            base.append(i)
        else:
            steps.append((i, previous))
        before[owners[i]] = i  # type: ignore[index]
    if not steps:
        return fast_raw(model, histories)
    out = np.empty((len(histories), len(model.items)), np.float32)
    out[base] = fast_raw(model, [histories[i] for i in base])
    query = model.cache["float32"][0]  # set by fast_raw
    decay = 0.5 ** (1.0 / model.half_life)
    for i, previous in steps:
        history, start = histories[i], len(histories[previous])
        row = out[i]
        np.multiply(out[previous], np.float32(decay ** (len(history) - start)), out=row)
        for position in range(start, len(history)):
            row += query[history[position]] * np.float32(decay ** (len(history) - 1 - position))
    return out


def _rank_requests(model: FactorModel, index: Index, histories: list[np.ndarray], k: int = 25,
                   block: int = 256) -> list[np.ndarray]:
    """The offline evaluation's requests (histories of item codes, oldest first) ranked in
    blocks, one product per block: each request's top ``k`` item codes, its own items left out."""
    lengths = np.fromiter((len(h) for h in histories), np.int64, len(histories))
    flat = index.positions(np.concatenate(histories)) if lengths.sum() else np.empty(0, np.int64)
    bounds = np.concatenate([[0], np.cumsum(lengths)])
    ranked: list[np.ndarray] = []
    for start in range(0, len(histories), block):
        stop = min(start + block, len(histories))
        chunk = [flat[bounds[i]:bounds[i + 1]] for i in range(start, stop)]
        chunk = [rows[rows >= 0] for rows in chunk]
        ranked += _rank_block(model, index, fast_raw(model, chunk), chunk, k)
    return ranked


def _rank_block(model: FactorModel, index: Index, raw: np.ndarray, chunk: list[np.ndarray],
                k: int) -> list[np.ndarray]:
    """Top ``k`` item codes per row of raw scores (float32, changed in place), each row's own
    items (model rows ``chunk``) left out, ties broken towards popular items."""
    tie = model.cache.get("tie")
    if tie is None:
        tie = (model.item_popularity / max(float(model.item_popularity.max()), 1.0)).astype(np.float32)
        model.cache["tie"] = tie
    raw += tie * np.float32(1e-6) * (np.abs(raw).max(axis=1, keepdims=True) + np.float32(1e-30))
    for i, rows in enumerate(chunk):
        raw[i, rows] = -np.inf
    heads = _top_columns(raw, min(k, raw.shape[1]))
    return [index.codes[head[np.isfinite(raw[i, head])]] for i, head in enumerate(heads)]


def _top_columns(raw: np.ndarray, width: int, sample: int = 2048) -> list[np.ndarray]:
    """Row-wise ``width`` highest columns, best first (ties: lower column first). On wide rows
    a strided sample of the columns gives each row a lower bound of its ``width``-th value, and
    only the columns at or above it are sorted (a partition of every whole row costs several
    times more); on narrow ones the bound is the exact ``width``-th value."""
    n, m = raw.shape
    if width <= 0:
        return [np.empty(0, np.int64) for _ in range(n)]
    if m <= 4 * sample:  # the exact bound: each row's width-th value
        bound = np.partition(raw, m - width, axis=1)[:, m - width]
    else:
        picked = raw[:, ::m // sample]
        bound = -np.partition(-picked, width - 1, axis=1)[:, width - 1]
    rows, columns = np.nonzero(raw >= bound[:, None])
    values = raw[rows, columns]
    order = np.lexsort((columns, -values, rows))
    rows, columns = rows[order], columns[order]
    starts = np.searchsorted(rows, np.arange(n + 1))
    return [columns[starts[i]:min(starts[i] + width, starts[i + 1])] for i in range(n)]


def _fallback_temperature(model: FactorModel, matrix: Matrix) -> float:
    """Without held-out data: a temperature that spreads scores well below 1 at the top."""
    sample = matrix.csr[: min(200, matrix.csr.shape[0])]  # type: ignore[index]
    histories = [sample.indices[sample.indptr[i]:sample.indptr[i + 1]] for i in range(sample.shape[0])]
    raw = model.raw_block(model.user_block(histories)) if histories else np.zeros((1, 1))
    return max(float(np.std(raw)), 1e-6) / 4.0
