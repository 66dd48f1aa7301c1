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
        return cls(np.unique(codes).astype(np.int32))

    def __len__(self) -> int:
        return len(self.codes)

    def positions(self, codes: np.ndarray) -> np.ndarray:
        """Model rows of ``codes``; -1 where a code is not in the index."""
        codes = np.asarray(codes, dtype=np.int64)
        where = np.searchsorted(self.codes, codes)
        where = np.clip(where, 0, max(len(self.codes) - 1, 0))
        found = len(self.codes) > 0
        hit = found & (self.codes[where] == codes) if found else np.zeros(len(codes), bool)
        return np.where(hit, where, -1)

    def position(self, code: int) -> int:
        return int(self.positions(np.array([code]))[0])


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
