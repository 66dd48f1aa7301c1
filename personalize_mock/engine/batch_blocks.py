"""Batch jobs as block computations: many users scored with one matrix product per block, the
best items per user found without sorting whole rows, filters applied as column masks.

``ScoredBlock`` gives, for a block of users, exactly what ``engine.ranking.rank_block``
gives (the same positions in the same order, the same scores to the last bit) — the runtime
answers GetRecommendations with ``rank_block``, and a batch job's line must equal that answer.
The arithmetic that decides scores is ``rank_block``'s own (the model's exact ``user_block`` /
``raw_block``, the softmax over the whole catalogue, ``tie_breaks``); what differs is how the
top of each row is found: rank_block partitions every row of ``raw + tie_breaks``, which is
most of its cost on a large catalogue; here a lower bound of each row's ``width``-th best key,
taken from a strided sample of the columns, keeps only the few columns that can reach the top,
and only those are ordered. ``tests/engine/test_batch_blocks.py`` checks the equality.

Pure numpy; no moto.
"""

from __future__ import annotations

import os
from collections import deque
from collections.abc import Callable, Iterable, Iterator, Sequence
from typing import Any, TypeVar

import numpy as np

from . import ranking

# Users x catalogue entries per block: 24 MB per float64 array, under glibc's largest mmap
# threshold (32 MB), so the block's arrays reuse heap memory instead of faulting fresh pages in.
BLOCK_ENTRIES = 3 << 20
EXACT_BELOW = 4096  # catalogues this small are ordered outright (sampling would not pay)
GROUPS = 1024  # column groups whose highest scores bound a row's top (at least 4 x the width)
WORKERS = max(1, min(4, os.cpu_count() or 1))  # threads ranking blocks side by side

T = TypeVar("T")


def block_size(columns: int, budget: int | None = None) -> int:
    """Users per block for a catalogue of ``columns`` entries."""
    return max(1, (BLOCK_ENTRIES if budget is None else budget) // max(columns, 1))


def blocks(count: int, size: int) -> Iterator[slice]:
    for start in range(0, count, size):
        yield slice(start, min(start + size, count))


def in_parallel(work: Callable[[slice], T], parts: Iterable[slice], warm: Callable[[], Any] | None = None,
                workers: int | None = None) -> Iterator[tuple[slice, T]]:
    """``(part, work(part))`` in order, the parts computed by up to ``workers`` threads (numpy
    and BLAS release the GIL) while the caller consumes earlier ones; at most one more part
    is held than there are workers. BLAS runs one thread per worker meanwhile (no
    oversubscription). ``warm`` runs first, alone (shared caches)."""
    from concurrent.futures import ThreadPoolExecutor

    from threadpoolctl import threadpool_limits

    if warm is not None:
        warm()
    workers = workers or WORKERS
    pending: deque[tuple[slice, Any]] = deque()
    remaining = iter(parts)
    with threadpool_limits(1, "blas"), ThreadPoolExecutor(workers) as pool:
        for part in remaining:
            pending.append((part, pool.submit(work, part)))
            if len(pending) > workers:
                break
        while pending:
            part, future = pending.popleft()
            following = next(remaining, None)
            if following is not None:
                pending.append((following, pool.submit(work, following)))
            yield part, future.result()


class ScoredBlock(ranking.Scored):
    """A block of users scored over the serving catalogue ``codes`` (model items first):
    ``ranking.Scored`` (the runtime's own arithmetic) with tops for batch lines.

    ``histories[i]``: model rows of user ``user_codes[i]``'s items, oldest first (as
    ``rank_block`` takes them)."""

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
        terms = ranking.softmax_terms(self.model, raw, self.peaks, self.penalties,
                                      None if masks is None else np.take_along_axis(masks, positions, axis=1))
        return list(terms.astype(np.float64) / self.totals[:, None])

    def top(self, rows: np.ndarray | Sequence[int] | None, width: int,
            allowed: np.ndarray | None = None) -> list[np.ndarray]:
        """For each of ``rows`` (None: every user of the block): the positions of the ``width``
        best allowed catalogue entries (``allowed``: a bool mask over ``codes``, None = all),
        best first, ties to the lower position — the prefix of the stable full sort that
        ``rank_block`` takes."""
        monotone = None if self.masks else self.model.logits  # penalties break the raw order
        if rows is None:
            return top_positions(self.raw, self.tie, width, allowed, keys=self.keys, lower=self.lower,
                                 raw_bound=monotone)
        rows = np.asarray(rows, np.int64)
        return top_positions(self.raw[rows], self.tie, width, allowed, lower=self.lower, raw_bound=monotone,
                             keys=lambda r, c: self.keys(rows[r], c) if r is not None else
                             np.stack([self.keys(np.full(len(c), i), c) for i in rows]))


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
    score below which no key reaches ``bounds`` (``ranking.Scored``: logits computed only
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
        order = ranking.best_first_block(every, width)
        return list(columns[order])
    # A lower bound of each row's width-th best key: the width-th best of a column sample.
    # About 2 sqrt(n width) sampled columns leave about sqrt(n width) / 2 survivors per row:
    # the partition of the sample and the sort of the survivors then cost about the same.
    groups = max(GROUPS, 4 * width)
    if allowed is None and raw_bound is not None and n >= 2 * groups:
        # Every column in one of ``groups`` strided groups (columns g, g + groups, ...): the
        # width-th best of the groups' highest raw scores has width entries at or above it,
        # and few more (on a 50,000-item catalogue about width per row).
        depth = n // groups
        highest = raw[:, :depth * groups].reshape(rows, depth, groups).max(axis=1)
        bound = np.partition(highest, groups - width, axis=1)[:, groups - width]
    else:
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
        starts = np.concatenate([[0], np.cumsum(counts)[:-1]])
        padded = np.full((rows, int(counts.max())), -np.inf)
        padded[at_row, np.arange(len(at_row)) - starts[at_row]] = found
        cut = padded.shape[1] - width
        kth = np.partition(padded, cut, axis=1)[:, cut]
        keep = found >= kth[at_row]
        at_row, at_col, found = at_row[keep], at_col[keep], found[keep]
        counts = np.bincount(at_row, minlength=rows)
    # Order the survivors: row, then key descending, then column ascending (lexsort is
    # stable, and they come in ascending column order).
    at_col = at_col[np.lexsort((-found, at_row))]
    starts = np.concatenate([[0], np.cumsum(counts)[:-1]])
    if counts.min() >= width:
        return list(at_col[starts[:, None] + np.arange(width)])
    return [at_col[s:s + min(width, c)] for s, c in zip(starts.tolist(), counts.tolist())]
