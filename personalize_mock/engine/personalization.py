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
interaction (the search: engine/calibration.py).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from . import blas, memory
from .calibration import Calibration, Summaries, fit_calibration
from .factorization import WEIGHT_BITS, FactorModel, recency_weights_of, recency_window
from .interactions import Index, Matrix
from .ranking import top_positions

ITEM_ITEM_MAX_ITEMS = 2500  # EASE up to this many items (dense items x items inverse)
EASE_REGULARIZATION = 4.0  # lambda = this x the mean interactions per item
EASE_MIN_COUNT = 40  # on catalogues above EASE_MIN_COUNT_ITEMS, rarer items stay out of the inverse
EASE_MIN_COUNT_ITEMS = 500  # (MovieLens-100k: ~700 of 1,682 items kept; 20+: ~935, NDCG@10 +1.7%, fit +40%)
RARE_ROWS = 256  # rare items' rows computed at a time
MAX_CHAIN = 8  # held-out requests: events a request's raw scores may add to the one before
SMOOTHING = 1e-3  # weight of item co-occurrence (cosine) added to EASE's weights, x their largest
HALF_LIFE = 5.0  # events: recency weighting of a user's history
SVD_FACTORS = 128
SVD_ITERATIONS = 4  # power iterations; half as many above LARGE interactions
LARGE = 2_000_000  # interactions above which the SVD keeps half the factors and iterations (speed)


def fit(matrix: Matrix, seed: int, factors: int | None = None, half_life: float = HALF_LIFE,
        item_item: bool | None = None) -> FactorModel:
    """The model for ``matrix`` (temperature 1 until :func:`train` fits it)."""
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
    kept_columns = csr if not len(rare) else csr[:, keep]
    columns = kept_columns.toarray(out=memory.scratch("columns", kept_columns.shape))
    gram = np.matmul(columns.T, columns, out=memory.scratch("gram", (len(keep), len(keep))))  # kept x kept
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
        return block.copy()  # (gram and ease are scratch buffers)
    del ease
    weights = np.zeros((n_items, n_items), np.float32)
    weights[np.ix_(keep, keep)] = block
    del block
    # The rare items' rows of the Gram matrix (a sparse x dense product: they have few
    # interactions), and their columns by symmetry; a few hundred rows at a time (small
    # temporaries: fresh memory costs page faults).
    dense, by_rare = csr.toarray(out=memory.scratch("dense", csr.shape)), csr[:, rare].T.tocsr()
    scale = norm[rare] * weight
    for start in range(0, len(rare), RARE_ROWS):
        part = rare[start:start + RARE_ROWS]
        rows = np.asarray(by_rare[start:start + RARE_ROWS] @ dense, np.float32)
        rows *= scale[start:start + RARE_ROWS, None]
        rows *= norm[None, :]
        rows[np.arange(len(part)), part] = 0.0
        weights[part] = rows
        weights[np.ix_(keep, part)] = rows[:, keep].T
    return weights


def _ease_weights(gram: np.ndarray, lam: float) -> np.ndarray:
    """``B = I - P / diag(P)``, ``P = (gram + lam I)^-1``, negative weights dropped (float32;
    ``gram`` is left as it is). The result lives in a scratch buffer (engine/memory.py): use it
    before the thread's next call."""
    import scipy.linalg

    n = len(gram)
    inner = memory.scratch("inverse", gram.shape)
    np.copyto(inner, gram)
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
        below = np.tril_indices(64, -1)
        for start in range(0, n, 64):  # (small blocks: the transposed reads stay in cache)
            stop = min(start + 64, n)
            square = inverse[start:stop, start:stop]
            if stop - start < 64:
                below = np.tril_indices(stop - start, -1)
            square[below] = square.T[below]
            inverse[stop:, start:stop] = inverse[start:stop, stop:].T
    weights = inverse
    weights /= -np.diag(inverse).copy()[None, :]
    weights[np.arange(n), np.arange(n)] = 0.0
    # Negative weights (items that rarely follow each other) are dropped: as accurate on
    # MovieLens-100k, and a user's score for an item is never below an unrelated item's.
    return np.maximum(weights, 0.0, out=weights)


def _blocks(n: int, items: int, entries: int = 4_000_000) -> list[tuple[int, int]]:
    """Row ranges of at most ``entries`` raw scores each (bounded memory on large catalogues)."""
    size = max(1, entries // max(items, 1))
    return [(start, min(start + size, n)) for start in range(0, n, size)]


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
        lengths = np.minimum(lengths, recency_window(model.half_life))  # serving's window and weights
        histories = [h[len(h) - w:] for h, w in zip(histories, lengths.tolist())]
        weights = recency_weights_of(lengths, model.half_life) / 2.0 ** WEIGHT_BITS  # the newest weighs 1
    else:
        weights = np.ones(int(lengths.sum()))
    import scipy.sparse as sp

    rows = np.concatenate(histories).astype(np.int64) if lengths.sum() else np.empty(0, np.int64)
    fold = sp.csr_matrix((weights.astype(np.float32), rows, np.concatenate([[0], np.cumsum(lengths)])),
                         shape=(n, query.shape[0]))
    users = np.asarray(fold @ query, np.float32)
    return users if target is None else users @ target.T


# ---- training with metrics -------------------------------------------------------------------
def _next_interactions(split: Any, items: Index) -> tuple[list[np.ndarray], np.ndarray, list[tuple[int, int]]]:
    """Next-interaction requests of a split's held-out users: for each held-out interaction
    (repeats included: the score is the probability of the next interaction, whatever it is),
    the history before it (model rows, oldest first: the training part and the held-out
    interactions before it), its item's model row (-1: an item the model does not know) and
    the request's key: (user, length of the history in interactions, unknown items included),
    which names the same request in the metrics."""
    histories, nexts, keys = [], [], []
    held_out = getattr(split, "held_out", None) or {}
    users = split.test_users.tolist()
    sequences = []  # (length of the history, history and held-out interactions)
    for user in users:
        history = np.asarray(split.history.get(user, np.empty(0, np.int64)))
        sequence = held_out.get(user)
        truth = np.asarray(split.truth.get(user, np.empty(0, np.int64)) if sequence is None else sequence)
        sequences.append((len(history), np.concatenate([history, truth])))
    found = items.positions_each([sequence for _, sequence in sequences])  # (one lookup for all)
    for user, (length, _), rows in zip(users, sequences, found):
        known = np.cumsum(rows >= 0)  # known items before each position: a prefix of the kept rows
        kept = rows[rows >= 0]
        for position in range(length, len(rows)):
            histories.append(kept[:known[position - 1]] if position else kept[:0])
            nexts.append(int(rows[position]))
            keys.append((user, position))
    return histories, np.asarray(nexts, np.int64), keys


def train(users: np.ndarray, items: np.ndarray, stamps: np.ndarray, seed: int, factors: int | None,
          catalogue: int) -> tuple[FactorModel, Matrix, dict[str, float], Calibration | None]:
    """Fit once on the holdout split's training part (over every item of the data), compute
    the offline metrics and the temperature on its held-out part, and return the model that
    serves with them. ``catalogue``: the served catalogue's size (Interactions + Items).

    BLAS runs on one thread meanwhile (engine/blas.py): training is a few large products and
    factorizations, and a BLAS thread pool that spins while other processes hold the cores (a
    shared laptop, CI) made them up to ten times slower in measurements."""
    with blas.one_thread():
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
    # (All on one thread: a helper thread for the fit or the metrics' lists measured slower,
    # the two threads' short GIL-holding steps waiting on each other.)
    model = fit(matrix, seed, factors)
    histories, nexts, keys = _next_interactions(split, index)
    requests = next_item_requests(split)
    if not histories:
        model.temperature = _fallback_temperature(model, matrix)
        return model, matrix, evaluate(None, split, 25, catalogue, requests=requests, recommend_many=lambda u, h, k:
                                       _rank_requests(model, index, list(h), k)), None
    scored, rows, owners, where = _plan(histories, nexts, keys, requests, index, seed)
    ranked: list[np.ndarray | None] = [None] * len(where)
    calibrated = len(scored.histories)
    for start, stop in _blocks(len(rows), len(model.items)):
        raw = _chained_raw(model, rows[start:stop], owners[start:stop])
        picks = np.flatnonzero((where >= start) & (where < stop))
        if len(picks):  # (a copy of the rows: _rank_block changes them)
            copied = np.take(raw, where[picks] - start, axis=0, out=memory.scratch("ranked", (len(picks), raw.shape[1])))
            lists = _rank_block(model, index, copied, [rows[j] for j in where[picks]], 25)
            for p, listed in zip(picks.tolist(), lists):
                ranked[p] = listed
        if start < calibrated:
            scored.add(raw[:calibrated - start], start, catalogue)
    calibration = fit_calibration(model, scored, catalogue)
    metrics = evaluate(None, split, 25, catalogue, requests=requests, recommend_many=lambda u, h, k: ranked)
    return model, matrix, metrics, calibration


def _plan(histories: list[np.ndarray], nexts: np.ndarray, keys: list[tuple[int, int]], requests: Any,
          index: Index, seed: int) -> tuple[Summaries, list[np.ndarray], list[int | None], np.ndarray]:
    """One scoring of the held-out requests serves the calibration and the metrics: each
    metrics request (a history before a held-out interaction) is one of the calibration's when
    the calibration's sample holds it, and is scored along with them otherwise. Returns the
    calibration's requests, the rows to score (model rows, oldest first), each row's user when
    it is one of the calibration's (for :func:`_chained_raw`), and each metrics request's row."""
    scored = Summaries(len(index), histories, nexts, seed)
    keyed = {key: i for i, key in enumerate(keys)}
    sampled = {i: j for j, i in enumerate(scored.picked.tolist())}
    rows: list[np.ndarray] = list(scored.histories)
    owners: list[int | None] = [keys[i][0] for i in scored.picked.tolist()]
    wanted, extra = [], []
    for user, history in zip(requests.users.tolist(), requests.histories):
        i = keyed.get((user, len(history)))
        j = sampled.get(i) if i is not None else None
        if j is None:  # scored as a row of its own, after the calibration's
            extra.append(history)
            j = len(rows) + len(extra) - 1
        wanted.append(j)
    for part in index.positions_each(extra):  # (their items looked up in one call)
        rows.append(part[part >= 0])
        owners.append(None)
    return scored, rows, owners, np.asarray(wanted, np.int64)


def _chained_raw(model: FactorModel, histories: list[np.ndarray], owners: list[int | None]) -> np.ndarray:
    """:func:`fast_raw` of requests that are a user's history at successive held-out steps:
    each user's shortest is folded in whole, every later one from the one before (``a`` = the
    recency decay per event): ``raw(L') = a^(L'-L) raw(L) + sum a^(L'-1-i) W[item i]``, a few
    row operations instead of a fold over the whole history (the same recency weights up to
    their rounding and the window's end, where they are below 2^-16). Item-item models only."""
    if not model.item_item or model.half_life <= 0 or len(histories) < 2:
        return fast_raw(model, histories)
    owned = np.fromiter((user is not None for user in owners), bool, len(owners))
    users = np.fromiter((user or 0 for user in owners), np.int64, len(owners))
    lengths = np.fromiter((len(h) for h in histories), np.int64, len(histories))
    order = np.flatnonzero(owned)
    order = order[np.lexsort((lengths[order], users[order]))]  # by user, then length (stable)
    previous = np.full(len(order), -1, np.int64)  # the same user's row before, if close enough
    same = users[order[1:]] == users[order[:-1]]
    previous[1:][same] = order[:-1][same]
    previous[lengths[order] - lengths[np.maximum(previous, 0)] > MAX_CHAIN] = -1
    chained = previous >= 0
    if not chained.any():
        return fast_raw(model, histories)
    base = np.concatenate([np.flatnonzero(~owned), order[~chained]])
    out = memory.scratch("raw", (len(histories), len(model.items)))
    out[base] = fast_raw(model, [histories[i] for i in base.tolist()])
    query = model.cache["float32"][0]  # set by fast_raw
    decay = 0.5 ** (1.0 / model.half_life)
    factor = [np.float32(decay ** gap) for gap in range(MAX_CHAIN + 1)]
    for i, before in zip(order[chained].tolist(), previous[chained].tolist()):
        history, start = histories[i], len(histories[before])
        row = out[i]
        np.multiply(out[before], factor[len(history) - start], out=row)
        for position in range(start, len(history) - 1):
            row += query[history[position]] * factor[len(history) - 1 - position]
        if len(history) > start:
            row += query[history[-1]]  # (the newest weighs exactly 1)
    return out


def _rank_requests(model: FactorModel, index: Index, histories: list[np.ndarray], k: int = 25,
                   block: int = 256) -> list[np.ndarray]:
    """The offline evaluation's requests (histories of item codes, oldest first) ranked in
    blocks, one product per block: each request's top ``k`` item codes, its own items left out."""
    found = index.positions_each(histories)
    ranked: list[np.ndarray] = []
    for start in range(0, len(histories), block):
        chunk = [rows[rows >= 0] for rows in found[start:start + block]]
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
    peak = np.maximum(raw.max(axis=1), -raw.min(axis=1))[:, None] if raw.size else np.zeros((len(raw), 1), raw.dtype)
    # (the largest |raw| per row; the product in a scratch buffer: no fresh memory per call)
    raw += np.multiply(tie * np.float32(1e-6), peak + np.float32(1e-30), out=memory.scratch("tie", raw.shape))
    lengths = [len(rows) for rows in chunk]
    if sum(lengths):  # each row's own items out, in one assignment
        raw[np.repeat(np.arange(len(chunk)), lengths), np.concatenate(chunk)] = -np.inf
    heads = top_positions(raw, np.zeros(raw.shape[1], np.float32), min(k, raw.shape[1]), exact_below=0)
    if len(heads) and all(len(head) == len(heads[0]) for head in heads):
        block = np.asarray(heads)
        finite = np.isfinite(np.take_along_axis(raw, block, axis=1))
        if finite.all():  # (every row has k items it may list: no row to trim)
            return list(index.codes[block])
    return [index.codes[head[np.isfinite(raw[i, head])]] for i, head in enumerate(heads)]


def _fallback_temperature(model: FactorModel, matrix: Matrix) -> float:
    """Without held-out data: a temperature that spreads scores well below 1 at the top."""
    sample = matrix.csr[: min(200, matrix.csr.shape[0])]  # type: ignore[index]
    histories = [sample.indices[sample.indptr[i]:sample.indptr[i + 1]] for i in range(sample.shape[0])]
    raw = model.raw_block(model.user_block(histories)) if histories else np.zeros((1, 1))
    return max(float(np.std(raw)), 1e-6) / 4.0
