"""Batch jobs as block computations: many users scored with one matrix product per block, the
best items per user found without sorting whole rows, filters applied as column masks.

``ScoredBlock`` gives, for a block of users, exactly what ``engine.ranking.rank_block``
gives (the same positions in the same order, the same scores to the last bit) — the runtime
answers GetRecommendations with ``rank_block``, and a batch job's line must equal that answer.
The arithmetic is ``rank_block``'s own: ``ranking.Scored`` (the model's exact ``user_block`` /
``raw_block``, the softmax over the whole catalogue, ``tie_breaks``) and its top search
(``ranking.top_positions``: a lower bound of each row's ``width``-th best key, taken from a
strided sample of the columns, keeps only the few columns that can reach the top, and only
those are ordered). What is added here is the blocking: users in blocks, blocks in threads.
``tests/engine/test_batch_blocks.py`` checks the equality.

Pure numpy; no moto.
"""

from __future__ import annotations

import os
from collections import deque
from collections.abc import Callable, Iterable, Iterator, Sequence
from typing import Any, TypeVar

import numpy as np

from . import blas, ranking
from .ranking import top_positions  # noqa: F401  (re-exported: the top search batch jobs use)

# Users x catalogue entries per block: 24 MB per float64 array, under glibc's largest mmap
# threshold (32 MB), so the block's arrays reuse heap memory instead of faulting fresh pages in.
BLOCK_ENTRIES = 3 << 20
EXACT_BELOW = ranking.EXACT_BELOW  # batch jobs order catalogues this small outright
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

    if warm is not None:
        warm()
    workers = workers or WORKERS
    pending: deque[tuple[slice, Any]] = deque()
    remaining = iter(parts)
    with blas.one_thread(), ThreadPoolExecutor(workers) as pool:
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


    def top(self, rows: np.ndarray | Sequence[int] | None, width: int,
            allowed: np.ndarray | None = None, exact_below: int | None = None) -> list[np.ndarray]:
        """``ranking.Scored.top`` with this module's ``EXACT_BELOW`` (batch jobs' own setting:
        tests set it to 0 to run the sampled search on small catalogues)."""
        return super().top(rows, width, allowed, EXACT_BELOW if exact_below is None else exact_below)
