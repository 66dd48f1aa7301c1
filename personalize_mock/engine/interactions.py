"""Interactions as models consume them: a compact user x item sparse matrix.

Catalogue codes (``tables.Catalog``) may include ids that no longer appear in any row (a
failed import interned them, a deletion removed their rows), so a model indexes only the
codes present in its training data: ``Index`` maps catalogue codes to model rows and back.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class Index:
    """Catalogue codes present in the training data, in ascending order."""

    codes: np.ndarray  # int32, sorted, unique

    @classmethod
    def of(cls, codes: np.ndarray) -> Index:
        codes = np.asarray(codes)
        if _dense(codes):  # catalogue codes are small non-negative ints: count, don't sort
            return cls(np.flatnonzero(np.bincount(codes.astype(np.int64, copy=False))).astype(np.int32))
        return cls(np.unique(codes).astype(np.int32))

    def __len__(self) -> int:
        return len(self.codes)

    def positions(self, codes: np.ndarray) -> np.ndarray:
        """Model rows of ``codes``; -1 where a code is not in the index."""
        codes = np.asarray(codes, dtype=np.int64)
        if len(codes) > 4 * len(self.codes) and len(self.codes) and _dense(codes, self.codes):
            # Many lookups of small codes: one table instead of a binary search each.
            top = max(int(self.codes[-1]), int(codes.max())) + 1
            table = np.full(top, -1, np.int64)
            table[self.codes] = np.arange(len(self.codes))
            return np.where(codes >= 0, table[np.maximum(codes, 0)], -1)
        where = np.searchsorted(self.codes, codes)
        where = np.clip(where, 0, max(len(self.codes) - 1, 0))
        found = len(self.codes) > 0
        hit = found & (self.codes[where] == codes) if found else np.zeros(len(codes), bool)
        return np.where(hit, where, -1)

    def positions_each(self, arrays: list[np.ndarray]) -> list[np.ndarray]:
        """:meth:`positions` of each of ``arrays``, looked up in one call (views of its result)."""
        if not arrays:
            return []
        found = self.positions(np.concatenate(arrays))
        return np.split(found, np.cumsum([len(a) for a in arrays[:-1]]))

    def position(self, code: int) -> int:
        return int(self.positions(np.array([code]))[0])


def code_counts(codes: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The distinct codes (ascending) and how often each occurs: by counting when the codes are
    small non-negative ints (catalogue codes), by sorting otherwise."""
    codes = np.asarray(codes)
    if _dense(codes):
        counts = np.bincount(codes.astype(np.int64, copy=False))
        present = np.flatnonzero(counts)
        return present.astype(codes.dtype), counts[present]
    return np.unique(codes, return_counts=True)


def distinct(*arrays: np.ndarray) -> int:
    """The number of distinct values over ``arrays``."""
    joined = np.concatenate([np.asarray(a).ravel() for a in arrays]) if arrays else np.empty(0, np.int64)
    return len(Index.of(joined)) if joined.dtype.kind in "iu" else len(np.unique(joined))


def _dense(codes: np.ndarray, *more: np.ndarray) -> bool:
    """Whether a lookup table over the codes' range costs no more than the codes themselves."""
    if not len(codes) or codes.dtype.kind not in "iu":
        return False
    low, high = int(codes.min()), int(codes.max())
    for extra in more:
        if len(extra):
            low, high = min(low, int(extra.min())), max(high, int(extra.max()))
    return high < 4 * len(codes) + 1024 and (low >= 0 or bool(more))  # lookups may be -1; an index may not


@dataclass
class Matrix:
    """Binary user x item interaction matrix (CSR) with its row and column indexes."""

    users: Index
    items: Index
    csr: object  # scipy.sparse.csr_matrix, float32, entries 1.0

    @classmethod
    def build(cls, user_codes: np.ndarray, item_codes: np.ndarray,
              users: Index | None = None, items: Index | None = None) -> Matrix:
        import scipy.sparse as sp

        users = users or Index.of(user_codes)
        items = items or Index.of(item_codes)
        rows, cols = users.positions(user_codes), items.positions(item_codes)
        keep = (rows >= 0) & (cols >= 0)
        cells = len(users) * len(items)
        if cells <= max(32 * len(rows), 1 << 22):  # small enough to mark (a byte a cell): no sort
            present = np.zeros(cells, bool)
            present[rows[keep] * len(items) + cols[keep]] = True
            flat = np.flatnonzero(present)
            indptr = np.zeros(len(users) + 1, np.int64)
            np.cumsum(np.bincount(flat // len(items), minlength=len(users)), out=indptr[1:])
            csr = sp.csr_matrix((np.ones(len(flat), np.float32), (flat % len(items)).astype(np.int32), indptr),
                                shape=(len(users), len(items)))
            csr.has_sorted_indices = True
            return cls(users, items, csr)
        csr = sp.csr_matrix(
            (np.ones(int(keep.sum()), np.float32), (rows[keep], cols[keep])),
            shape=(len(users), len(items)),
        )
        csr.sum_duplicates()
        csr.data[:] = 1.0
        return cls(users, items, csr)

    def history(self, user_code: int) -> np.ndarray:
        """Model item rows the user interacted with."""
        row = self.users.position(user_code)
        if row < 0:
            return np.empty(0, np.int64)
        return self.csr.indices[self.csr.indptr[row]:self.csr.indptr[row + 1]]  # type: ignore[attr-defined]

    @property
    def item_counts(self) -> np.ndarray:
        return np.bincount(self.csr.indices, minlength=len(self.items))  # type: ignore[attr-defined]
