"""Serving arithmetic on a trained factor model: the scored catalogue, tie breaks, partial
sorts, softmax lookups per user, impression penalties and exploration candidates.

Pure numpy; the runtime (``resources/serving.py``) calls it per request, so everything
catalogue-sized is computed once per model and kept in ``model.cache``.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from .context import offsets as context_offsets, rank as context_rank  # noqa: F401  (re-exported for serving)
from .seeding import seed_of  # noqa: F401  (re-exported: request-seeded choices)


def tie_breaks(model: Any, codes: np.ndarray) -> np.ndarray:
    """A tiny popularity bonus per catalogue entry: equal scores rank popular items first."""
    bonus = model.cache.get("tie_breaks")
    if bonus is None or len(bonus) != len(codes):
        popularity = np.zeros(len(codes))
        popularity[: len(model.items)] = model.item_popularity
        bonus = 1e-9 * popularity / max(float(popularity.max()) if len(popularity) else 1.0, 1.0)
        model.cache["tie_breaks"] = bonus
    return bonus


def score_lookup(model: Any, user_code: int | None, history: np.ndarray, peak: float, total: float,
                 penalty: float = 0.0) -> Any:
    """code -> score for one user, from their history (model rows, oldest first), the
    softmax normaliser of their ranking and their impression penalty (``rank_block``'s
    ``details``): exploration scores items outside a truncated ranking without keeping
    anything catalogue-sized per user. The arithmetic is ``Scored``'s (``softmax_terms``)."""
    def score_of(wanted: list[int]) -> dict[int, float]:
        codes = np.asarray(wanted, np.int64)
        rows = model.items.positions(codes)
        raw = np.zeros((1, len(codes)))
        if len(codes) and (rows >= 0).any():
            raw[0, rows >= 0] = model.raw_block(model.user_block([history]), rows[rows >= 0])[0]
        mask = impression_mask(model, user_code, codes)[None, :] if penalty else None
        terms = softmax_terms(model, raw, np.array([peak]), np.array([penalty]), mask)
        return {int(c): float(v) for c, v in zip(codes, terms[0].astype(np.float64) / total)}

    return score_of


def best_first(key: np.ndarray, limit: int | None) -> np.ndarray:
    """Indices of ``key`` from highest to lowest (stable: equal keys keep index order); only
    the top ``limit`` when given: always the prefix of the full stable sort."""
    return best_first_block(key[None, :], limit)[0]


def best_first_block(keys: np.ndarray, limit: int | None) -> np.ndarray:
    """Row-wise :func:`best_first` of a 2-D array: (rows, limit) column indices."""
    n, m = keys.shape
    if limit is None or limit >= m:
        return np.argsort(-keys, axis=1, kind="stable")
    if limit <= 0:
        return np.empty((n, 0), np.int64)
    head = np.argpartition(-keys, limit - 1, axis=1)[:, :limit]
    values = np.take_along_axis(keys, head, axis=1)
    # Within the head: by key, then by index (what a stable full sort gives).
    order = np.lexsort((head, -values), axis=1)
    head = np.take_along_axis(head, order, axis=1)
    # Ties straddling the cut: the partition may have kept a later index than a stable sort.
    floor = np.take_along_axis(keys, head[:, -1:], axis=1)
    straddle = np.flatnonzero((keys >= floor).sum(axis=1) > limit)
    for i in straddle.tolist():
        head[i] = np.argsort(-keys[i], kind="stable")[:limit]
    return head


def block_logits(model: Any, codes: np.ndarray, user_codes: Sequence[int | None],
                 histories: Sequence[np.ndarray], offsets: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
    """What ``rank_block``'s softmax exponentiates, (users, len(codes)) float64: the model's
    logits of its raw scores (catalogue items the model never saw: 0), items shown to the
    user but never chosen lowered by the user's penalty (returned per user, 0 for none).
    Batch jobs that find the top of each row their own way start from this."""
    n, known = len(histories), len(model.items)
    if n and known and known == len(codes):
        raw = np.ascontiguousarray(model.logits(model.raw_block(model.user_block(list(histories)))), np.float64)
    else:
        raw = np.zeros((n, len(codes)))
        if n and known:
            raw[:, :known] = model.logits(model.raw_block(model.user_block(list(histories))))
    if offsets is not None:  # a request's context (engine/context.py), per entry of ``codes``
        raw = raw + offsets
    penalties = np.zeros(n)
    if len(codes) and model.extra.get("impressed_unclicked"):
        for i, code in enumerate(user_codes):
            mask = impression_mask(model, code, codes)
            if mask.any():
                penalties[i] = impression_penalty(raw[i])
                raw[i, mask] -= penalties[i]
    return raw, penalties


def rank_block(model: Any, codes: np.ndarray, user_codes: list[int | None], histories: list[np.ndarray],
               width: int | None, *, details: dict[str, Any] | None = None,
               offsets: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
    """Rank the serving catalogue ``codes`` for a block of users at once.

    ``histories[i]`` holds the model item rows (positions into ``model.items``, no -1) of
    user ``user_codes[i]`` in time order, oldest first. Returns positions into ``codes``
    (shape (n, width), best first; ``width`` None = the whole catalogue) and their scores: a
    softmax of the logits over the whole catalogue (items the model never saw score a raw
    0), less the impression penalty. Ties go to the more popular item, then the lower
    position. Each user's row is the same whatever the block (see ``Scored``), so
    GetRecommendations, its head cache and batch jobs agree to the last bit.

    ``details`` (optional) receives ``peaks``, ``totals`` (the softmax normaliser per user) and
    ``penalties`` (what was taken off the logits of items shown to the user but never chosen);
    with ``offsets`` also ``rows``, every entry's score (users x ``codes``), which ``row_lookup``
    reads (``score_lookup`` knows nothing of the offsets).
    """
    n = len(histories)
    if not len(codes) or not n:
        empty = np.empty((n, 0 if not len(codes) or width is None else min(width, len(codes))))
        return empty.astype(np.int64), empty
    if offsets is not None:  # a request's context: logits shifted per item, ranked afresh
        return _rank_offsets(model, codes, user_codes, histories, width, details, offsets)
    block = Scored(model, codes, user_codes, histories)
    top = np.asarray(block.top(None, len(codes) if width is None else width), np.int64).reshape(n, -1)
    scores = np.stack(block.head_scores(list(top)))
    if details is not None:
        details["peaks"], details["totals"], details["penalties"] = block.peaks, block.totals, block.penalties
    return top, scores


def _rank_offsets(model: Any, codes: np.ndarray, user_codes: list[int | None], histories: list[np.ndarray],
                  width: int | None, details: dict[str, Any] | None,
                  offsets: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """``rank_block`` with context offsets on the logits: every logit computed (the offsets
    break the order of the raw scores), the softmax in float64."""
    raw, penalties = block_logits(model, codes, user_codes, histories, offsets)
    peaks = raw.max(axis=1, keepdims=True)
    scores = np.exp((raw - peaks) / model.temperature)
    totals = scores.sum(axis=1, keepdims=True)
    scores /= totals
    top = best_first_block(raw + tie_breaks(model, codes), width)
    if details is not None:
        details["peaks"], details["totals"], details["penalties"] = peaks[:, 0], totals[:, 0], penalties
        details["rows"] = scores
    return top, np.take_along_axis(scores, top, axis=1)


def row_lookup(model: Any, codes: np.ndarray, row: np.ndarray) -> Any:
    """code -> score from one user's whole score row over the catalogue ``codes`` (``rank_block``'s
    ``details["rows"]`` with a context): the very scores of the ranking, offsets included, for
    exploration's items. Codes outside ``codes`` get no score."""
    cached = model.cache.get("catalogue_order")
    if cached is None or cached[0] is not codes:
        order = np.argsort(codes, kind="stable")
        cached = model.cache["catalogue_order"] = (codes, order, codes[order])
    _, order, ordered = cached

    def score_of(wanted: list[int]) -> dict[int, float]:
        wanted_codes = np.asarray(wanted, np.int64)
        if not len(ordered):
            return {}
        at = np.minimum(np.searchsorted(ordered, wanted_codes), len(ordered) - 1)
        hit = ordered[at] == wanted_codes
        return {int(c): float(row[order[a]]) for c, a in zip(wanted_codes[hit], at[hit])}

    return score_of


# ---- the softmax of a block of users ---------------------------------------------------------
EXACT_BELOW = 4096  # top_positions orders catalogues this small outright (sampling would not pay)
GROUPS = 1024  # column groups whose highest scores bound a row's top (at least 4 x the width)
TILE_COLUMNS = 2048  # the normaliser sums each row in these column tiles (fixed: the bits of a sum)
TILE_ENTRIES = 1 << 16  # entries per tile (float32: 256 KB, cache-resident)


def softmax_terms(model: Any, raw: np.ndarray, peaks: np.ndarray, penalties: np.ndarray,
                  masks: np.ndarray | None = None) -> np.ndarray:
    """exp((logit - peak) / T) for the raw scores ``raw`` (rows x entries, float64), in
    float32: ``peaks`` and ``penalties`` per row, ``masks`` (rows x entries, or None) the
    entries whose logit loses the row's penalty. Each entry's value depends on that entry
    and its row's constants only (numpy's SIMD float32 log and exp are elementwise), so
    any selection of entries gives the same bits: the whole row (``Scored``), a top (the
    scores) or a few codes (``score_lookup``). The logit is ``log(1 + x)`` for ``x = raw /
    logit_scale > 0`` and ``x`` below (``FactorModel.logits``; here from the float32 raw
    score) or the raw score."""
    terms = np.empty(raw.shape, np.float32)
    terms[...] = raw
    if model.logit_scale > 0:
        # Half of x, then x's positive and negative parts without min / max (slower in numpy):
        # h + |h| and h - |h| are exactly x or 0 (doubling is exact).
        terms *= np.float32(0.5 / model.logit_scale)
        size = np.abs(terms)
        below = terms - size
        terms += size
        terms += np.float32(1.0)
        np.log(terms, out=terms)
        terms += below
    terms -= peaks.astype(np.float32)[:, None]
    if masks is not None:
        terms -= np.where(masks, penalties.astype(np.float32)[:, None], np.float32(0.0))
    terms *= np.float32(1.0 / model.temperature)
    return np.exp(terms, out=terms)


def _exact_raw(model: Any, users: np.ndarray, out: np.ndarray) -> None:
    """``model.raw_block(users)`` into ``out``: for a factor model the power-of-two scales
    go on the factors first (exact: the products of fixed-point integers and their sums
    are exact either way, so the bits are ``raw_block``'s), one product and no second pass."""
    if model.item_item:
        out[...] = model.raw_block(users)
        return
    from .factorization import WEIGHT_BITS, _quantized

    shift = _quantized(model, "query", model._query())[1] + (WEIGHT_BITS if model.half_life > 0 else 0)
    target = model.cache.get("exact_target")
    if target is None:
        quantized, target_shift = _quantized(model, "target", model.item_factors)
        target = model.cache["exact_target"] = np.ascontiguousarray((quantized * 2.0 ** -target_shift).T)
    np.matmul(users * 2.0 ** -shift, target, out=out)


class Scored:
    """A block of users scored over the serving catalogue ``codes`` (model items first).

    ``raw`` holds the exact raw scores (``FactorModel.user_block`` / ``raw_block``: fixed
    point, so a user's row never depends on the block; items the model never saw: 0). The
    logit is monotone in the raw score, so what needs logits is computed from few entries:
    the peak (the logit of the row's highest raw score, or of its highest raw score among
    entries without a penalty), the penalty (the logits' range and one more), and the ranking
    keys of the entries that can reach a row's top (``keys``, ``lower``). Only the softmax
    normaliser needs every entry: ``softmax_terms`` in float32 over cache-sized tiles, each
    row summed in fixed column tiles (float64), so its bits do not depend on the block."""

    def __init__(self, model: Any, codes: np.ndarray, user_codes: Sequence[int | None],
                 histories: Sequence[np.ndarray]) -> None:
        self.model, self.codes = model, codes
        n, m, known = len(histories), len(codes), len(model.items)
        self.raw = np.empty((n, m)) if known == m else np.zeros((n, m))
        if n and known:
            _exact_raw(model, model.user_block(list(histories)), self.raw[:, :known])
        self.tie = tie_breaks(model, codes)
        self.masks: dict[int, np.ndarray] = {}
        if m and model.extra.get("impressed_unclicked"):
            for i, code in enumerate(user_codes):
                mask = impression_mask(model, code, codes)
                if mask.any():
                    self.masks[i] = mask
        self.penalties = np.zeros(n)
        if not m or not n:
            self.peaks, self.totals = np.zeros(n), np.ones(n)
            return
        self.peaks = np.asarray(model.logits(self.raw.max(axis=1)), np.float64)
        if self.masks:
            low = np.asarray(model.logits(self.raw.min(axis=1)), np.float64)
            for i, mask in self.masks.items():
                # The logits' range from its two ends (the logit is monotone in the raw score).
                self.penalties[i] = impression_penalty(np.array([self.peaks[i], low[i]]))
                free = self.raw[i, ~mask]
                self.peaks[i] = (float(model.logits(free.max(keepdims=True))[0]) if len(free)
                                 else self.peaks[i] - self.penalties[i])
        self.totals = self._totals()

    def __len__(self) -> int:
        return len(self.raw)

    def _masks(self, rows: np.ndarray, columns: Any) -> np.ndarray | None:
        if not self.masks or not any(int(r) in self.masks for r in rows):
            return None
        out = np.zeros((len(rows), len(self.codes)), bool)
        for at, r in enumerate(rows.tolist()):
            if r in self.masks:
                out[at] = self.masks[r]
        return out[:, columns]

    def _totals(self) -> np.ndarray:
        n, m = self.raw.shape
        totals = np.zeros(n)
        step = max(1, TILE_ENTRIES // TILE_COLUMNS)
        for r0 in range(0, n, step):
            rows = np.arange(r0, min(r0 + step, n))
            for c0 in range(0, m, TILE_COLUMNS):
                columns = slice(c0, min(c0 + TILE_COLUMNS, m))
                terms = softmax_terms(self.model, self.raw[rows[0]:rows[-1] + 1, columns], self.peaks[rows],
                                      self.penalties[rows], self._masks(rows, columns))
                totals[rows] += terms.astype(np.float64).sum(axis=1)
        return totals

    def scores(self, row: int, positions: np.ndarray) -> np.ndarray:
        """Scores of ``positions`` (into ``codes``) for the block's ``row``-th user."""
        positions = np.asarray(positions, np.int64)
        if not len(self.codes) or not len(positions):
            return np.empty(0)
        rows = np.array([row])
        terms = softmax_terms(self.model, self.raw[row:row + 1, positions], self.peaks[rows],
                              self.penalties[rows], self._masks(rows, positions))
        return terms[0].astype(np.float64) / self.totals[row]

    def keys(self, rows: np.ndarray | None, columns: np.ndarray) -> np.ndarray:
        """Ranking keys of entries (``rows``, ``columns`` of equal length; ``rows`` None:
        every row at ``columns``, a 2-D result): logit, less the penalty where it applies,
        plus the tie break."""
        keys = np.asarray(self.model.logits(self.raw[:, columns] if rows is None else self.raw[rows, columns]),
                          np.float64)
        for r, mask in self.masks.items():
            if rows is None:
                keys[r] -= np.where(mask[columns], self.penalties[r], 0.0)
            elif (at := rows == r).any():
                keys[at] -= np.where(mask[columns[at]], self.penalties[r], 0.0)
        return keys + self.tie[columns]

    def lower(self, bounds: np.ndarray) -> np.ndarray:
        """Per row, a raw score below which no entry's key reaches ``bounds`` (keys less the
        tie break and rounding slack, through the inverse of the logit, then a margin)."""
        logit = bounds - (2e-9 + np.abs(bounds) * 1e-12)
        scale = self.model.logit_scale
        if scale > 0:
            raw = np.where(logit > 0, scale * np.expm1(np.maximum(logit, 0.0)), scale * logit)
        else:
            raw = logit
        return raw - (np.abs(raw) * 1e-9 + 1e-300)

    def head_scores(self, tops: list[np.ndarray]) -> list[np.ndarray]:
        """``scores(row, tops[row])`` for every row at once (the same bits: the terms are
        elementwise, each row divided by its own normaliser)."""
        widths = {len(t) for t in tops}
        if len(widths) != 1 or not len(self.codes):
            return [self.scores(row, t) for row, t in enumerate(tops)]
        positions = np.asarray(tops, np.int64).reshape(len(tops), -1)
        rows = np.arange(len(tops))
        raw = np.take_along_axis(self.raw, positions, axis=1)
        masks = self._masks(rows, slice(None))
        terms = softmax_terms(self.model, raw, self.peaks, self.penalties,
                              None if masks is None else np.take_along_axis(masks, positions, axis=1))
        return list(terms.astype(np.float64) / self.totals[:, None])

    def top(self, rows: np.ndarray | Sequence[int] | None, width: int,
            allowed: np.ndarray | None = None, exact_below: int | None = None) -> list[np.ndarray]:
        """For each of ``rows`` (None: every user of the block): the positions of the ``width``
        best allowed catalogue entries (``allowed``: a bool mask over ``codes``, None = all),
        best first, ties to the lower position — the prefix of the stable full sort of the
        keys (``top_positions``; ``exact_below`` its setting)."""
        monotone = None if self.masks else self.model.logits  # penalties break the raw order
        if rows is None:
            return top_positions(self.raw, self.tie, width, allowed, exact_below, keys=self.keys,
                                 lower=self.lower, raw_bound=monotone)
        rows = np.asarray(rows, np.int64)
        return top_positions(self.raw[rows], self.tie, width, allowed, exact_below, lower=self.lower,
                             raw_bound=monotone,
                             keys=lambda r, c: self.keys(rows[r], c) if r is not None else
                             np.stack([self.keys(np.full(len(c), i), c) for i in rows]))


def grouped_bound(raw: np.ndarray, width: int) -> np.ndarray | None:
    """Per row, a value that at least ``width`` of the row's entries reach, and few more: every
    column in one of a number of strided groups (columns g, g + groups, ...), the width-th
    highest of the groups' highest values (on a 50,000-item catalogue about width entries per
    row reach it). Up to GROUPS groups of at least 16 columns; None where the row is too short
    for groups."""
    rows, n = raw.shape
    groups = max(min(GROUPS, n // 16), 4 * width)
    if n < 2 * groups:
        return None
    depth = n // groups
    highest = raw[:, :depth * groups].reshape(rows, depth, groups).max(axis=1)
    return np.partition(highest, groups - width, axis=1)[:, groups - width]


def padded_rows(at_row: np.ndarray, counts: np.ndarray, values: np.ndarray, fill: float) -> np.ndarray:
    """``values`` given row by row (``at_row`` ascending, ``counts`` per row) as a rows x longest
    array, each row's values first in their order, ``fill`` after them."""
    starts = np.cumsum(counts) - counts
    values = np.asarray(values)
    out = np.full((len(counts), int(counts.max(initial=0))), fill, values.dtype)
    out[at_row, np.arange(len(at_row)) - starts[at_row]] = values
    return out


def top_positions(raw: np.ndarray, tie: np.ndarray, width: int, allowed: np.ndarray | None = None,
                  exact_below: int | None = None, keys: Callable[[np.ndarray, np.ndarray], np.ndarray] | None = None,
                  lower: Callable[[np.ndarray], np.ndarray] | None = None,
                  raw_bound: Callable[[np.ndarray], np.ndarray] | None = None) -> list[np.ndarray]:
    """Row-wise: the ``width`` best columns by key (descending, ties by ascending column)
    among ``allowed`` columns; fewer where fewer are allowed. Up to ``exact_below`` allowed
    columns (default ``EXACT_BELOW``) are ordered outright.

    The key of an entry is ``raw + tie``, or ``keys(rows, columns)`` when given (``rows``
    None: every row at ``columns``, rows x columns): then an
    increasing function of ``raw`` plus ``tie``, and ``lower(bounds)`` gives per row a raw
    score below which no key reaches ``bounds`` (``Scored``: logits computed only
    for the entries that can reach the top). ``raw_bound`` (optional, with ``keys``): the
    keys are the logits of ``raw``, increasing, plus the tie (no penalties): the sample's
    bound is then taken on ``raw`` itself and ``raw_bound(raw values)`` gives their keys
    without the tie, from which ``lower`` bounds the raw scores that can reach the top."""
    if keys is None:
        keys = lambda r, c: (raw[:, c] if r is None else raw[r, c]) + tie[c]  # noqa: E731
        lower = lambda b: b - (2e-9 + np.abs(b) * 1e-15)  # noqa: E731  (0 <= tie <= 1e-9, rounding)
        raw_bound = lambda b: b  # noqa: E731
    exact_below = EXACT_BELOW if exact_below is None else exact_below
    rows, n = raw.shape
    columns = np.arange(n) if allowed is None else np.flatnonzero(allowed)
    width = min(int(width), len(columns))
    if width <= 0 or not rows:
        return [np.empty(0, np.int64) for _ in range(rows)]
    if len(columns) <= max(exact_below, 2 * width):
        every = keys(None, columns)
        order = best_first_block(every, width)
        return list(columns[order])
    # A lower bound of each row's width-th best key: the width-th best of a column sample.
    # About 2 sqrt(n width) sampled columns leave about sqrt(n width) / 2 survivors per row:
    # the partition of the sample and the sort of the survivors then cost about the same.
    bound = grouped_bound(raw, width) if allowed is None and raw_bound is not None else None
    if bound is None:
        stride = max(1, len(columns) // max(4 * width, int(2 * np.sqrt(len(columns) * width))))
        sample = columns[::stride]
        sampled = keys(None, sample) if raw_bound is None else raw[:, sample]
        at = sampled.shape[1] - width
        bound = np.partition(sampled, at, axis=1)[:, at]
    if raw_bound is not None:  # width sampled entries have keys at or above this
        bound = raw_bound(bound)
    mask = raw >= lower(bound)[:, None]
    if allowed is not None:
        mask &= allowed
    at_row, at_col = np.divmod(np.flatnonzero(mask.ravel()), n)  # row by row, columns ascending
    found = keys(at_row, at_col)
    # The width best of each row are at or above its bound (less a rounding slack).
    keep = found >= bound[at_row] - (np.abs(bound[at_row]) * 1e-12 + 1e-300)
    at_row, at_col, found = at_row[keep], at_col[keep], found[keep]
    counts = np.bincount(at_row, minlength=rows)
    if counts.min() > 2 * width:  # narrow the survivors to each row's exact width-th key first
        padded = padded_rows(at_row, counts, found, -np.inf)
        cut = padded.shape[1] - width
        kth = np.partition(padded, cut, axis=1)[:, cut]
        keep = found >= kth[at_row]
        at_row, at_col, found = at_row[keep], at_col[keep], found[keep]
        counts = np.bincount(at_row, minlength=rows)
    # Order the survivors: row, then key descending, then column ascending (they come in
    # ascending column order, and both sorts are stable).
    if rows * int(counts.max(initial=0)) <= 4 * len(at_row) + 64 * rows:
        # Few survivors per row: each row's keys in a padded row (the padding last), one
        # stable sort along the rows (a lexsort over all survivors costs several times more).
        order = np.argsort(padded_rows(at_row, counts, -found, np.inf), axis=1, kind="stable")[:, :width]
        heads = np.take_along_axis(padded_rows(at_row, counts, at_col, 0), order, axis=1)
        if counts.min() >= width:
            return list(heads)
        return [heads[i, :min(width, c)] for i, c in enumerate(counts.tolist())]
    at_col = at_col[np.lexsort((-found, at_row))]
    starts = np.concatenate([[0], np.cumsum(counts)[:-1]])
    if counts.min() >= width:
        return list(at_col[starts[:, None] + np.arange(width)])
    return [at_col[s:s + min(width, c)] for s, c in zip(starts.tolist(), counts.tolist())]


def serving_catalogue(model: Any) -> np.ndarray:
    """Model items first (their rows), then Items-dataset items the model never saw."""
    cached = model.cache.get("serving_catalogue")
    if cached is None:
        known = model.items.codes.astype(np.int64)
        extra = np.asarray(model.extra.get("catalogue_items", np.empty(0)), np.int64)
        cached = np.concatenate([known, np.setdiff1d(np.unique(extra), known)])
        model.cache["serving_catalogue"] = cached
    return cached


def impression_mask(model: Any, user_code: int | None, codes: np.ndarray) -> np.ndarray:
    """Which of ``codes`` were shown to the user at training time but never chosen."""
    shown = model.extra.get("impressed_unclicked", {}).get(user_code) if user_code is not None else None
    if not shown:
        return np.zeros(len(codes), bool)
    return np.isin(codes, list(shown))


def impression_penalty(logits: np.ndarray) -> float:
    """What an item shown but never chosen loses: the user's whole range of logits and one
    more, so it ranks after every item not penalised."""
    return float(logits.max() - logits.min()) + 1.0


def cold_items(model: Any, cutoff_days: float) -> np.ndarray:
    """Exploration candidates: catalogue items younger than the cut-off (age from
    CREATION_TIMESTAMP, else first interaction, else the newest interaction: new), fewest
    interactions first."""
    key = ("cold", cutoff_days)
    cached = model.cache.get(key)
    if cached is not None:
        return cached
    codes = serving_catalogue(model)
    newest = int(model.extra.get("newest_interaction", 0))
    created = model.extra.get("item_creation", {})
    first_seen = model.extra.get("first_seen", {})
    counts = np.zeros(len(codes))
    counts[: len(model.items)] = model.item_popularity
    cold = []
    for index, code in enumerate(codes.tolist()):
        born = created.get(code, first_seen.get(code, newest))
        if newest - born < cutoff_days * 86400:
            cold.append((counts[index], -born, code))
    result = np.array([code for _, _, code in sorted(cold)], np.int64)
    model.cache[key] = result
    return result
