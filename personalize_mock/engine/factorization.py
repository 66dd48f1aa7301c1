"""Implicit-feedback matrix factorization for user personalization and personalized ranking.

The model is a truncated SVD of the popularity-normalised binary interaction matrix (the
"PureSVD" family of implicit-feedback factorizations), computed with scikit-learn's
randomized SVD. It trains in one pass instead of ALS's alternating iterations, which is
what makes it fast enough for tests, and on top-N ranking it is at least as accurate as ALS
on MovieLens (see ``bench/train_ml100k.py``).

A user's embedding is folded in from their history (``history @ V``), so users unknown at
training time and events recorded after training are scored without refitting; an item's
embedding is its row of ``V``. Scores are a softmax of user . item over the whole catalogue,
as the real service reports them.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from .interactions import Index, Matrix

# Chosen on bench/train_ml100k.py (MovieLens-100k and a generated 1M set): 32 factors and a
# mild popularity discount beat implicit's ALS on NDCG@10 on both.
DEFAULT_FACTORS = 32
POPULARITY_EXPONENT = 0.25  # columns scaled by popularity**-beta before the SVD


@dataclass
class FactorModel:
    items: Index
    item_factors: np.ndarray  # (items, k) float32, rows of V * scale
    item_popularity: np.ndarray  # interactions per item in the training data
    seed: int
    temperature: float = 1.0  # softmax sharpness: score = softmax(user . item / temperature)
    extra: dict[str, object] = field(default_factory=dict)  # serving facts from the training data
    # Derived per-model serving caches (engine/ranking.py, resources/serving.py): never saved,
    # never copied to a new model version.
    cache: dict[object, object] = field(default_factory=dict, repr=False, compare=False)

    # ---- training --------------------------------------------------------------------------
    @classmethod
    def fit(cls, matrix: Matrix, seed: int, factors: int = DEFAULT_FACTORS,
            n_iter: int = 4) -> FactorModel:
        from sklearn.utils.extmath import (
            randomized_svd,  # scikit-learn loads only to train
        )

        n_users, n_items = matrix.csr.shape  # type: ignore[attr-defined]
        # At most one factor per 8 items: on a tiny catalogue more factors only memorise histories.
        k = max(1, min(factors, n_users - 1, n_items - 1, max(2, n_items // 8)))
        popularity = matrix.item_counts.astype(np.float64)
        if k < 1 or n_users < 2 or n_items < 2:
            vectors = np.zeros((n_items, 1), np.float32)
        else:
            import scipy.sparse as sp

            scaled = matrix.csr @ sp.diags((popularity + 1.0) ** -POPULARITY_EXPONENT)
            _, _, vt = randomized_svd(
                scaled, k, n_iter=n_iter, random_state=np.random.RandomState(seed % 2**32)
            )
            vectors = vt.T.astype(np.float32)
        model = cls(matrix.items, vectors, popularity, seed)
        model.temperature = model._calibrate(matrix)
        return model

    def _calibrate(self, matrix: Matrix) -> float:
        """A temperature that spreads softmax scores like the service's (top scores well below 1)."""
        sample = matrix.csr[: min(200, matrix.csr.shape[0])]  # type: ignore[index]
        raw = np.asarray(sample @ self.item_factors) @ self.item_factors.T
        spread = float(np.std(raw)) if raw.size else 0.0
        return max(spread, 1e-6) / 4.0

    def with_items(self, items: Index, popularity: np.ndarray) -> FactorModel:
        """``trainingMode=UPDATE``: keep learned factors; new items get a zero vector (they are
        reached through exploration) and popularity from the new data."""
        vectors = np.zeros((len(items), self.item_factors.shape[1]), np.float32)
        old = self.items.positions(items.codes)
        known = old >= 0
        vectors[known] = self.item_factors[old[known]]
        return FactorModel(items, vectors, popularity.astype(np.float64), self.seed, self.temperature, dict(self.extra))

    # ---- scoring ---------------------------------------------------------------------------
    def user_vector(self, history: np.ndarray) -> np.ndarray:
        """Fold a user in from the model rows of the items in their history."""
        history = history[history >= 0]
        if not len(history):
            return np.zeros(self.item_factors.shape[1], np.float32)
        return self.item_factors[history].sum(axis=0)

    def raw_scores(self, history: np.ndarray, candidates: np.ndarray | None = None) -> np.ndarray:
        """user . item for every item (or the ``candidates`` model rows)."""
        vectors = self.item_factors if candidates is None else self.item_factors[candidates]
        return vectors @ self.user_vector(history)

    def softmax(self, raw: np.ndarray) -> np.ndarray:
        if not len(raw):
            return raw
        z = (raw - raw.max()) / self.temperature
        e = np.exp(z)
        return e / e.sum()

    def recommend(self, history: np.ndarray, k: int, exclude: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
        """Top-``k`` model item rows and their scores (softmax over the whole catalogue)."""
        raw = self.raw_scores(history)
        scores = self.softmax(raw)
        if not len(scores):
            return np.empty(0, np.int64), np.empty(0)
        # Rank by the raw product (the softmax underflows to ties far down the list);
        # popularity breaks exact ties, so a user without history gets popular items first.
        ranked = raw.astype(np.float64)
        ranked += 1e-9 * self.item_popularity / max(self.item_popularity.max(), 1.0)
        if exclude is not None and len(exclude):
            ranked[exclude] = -np.inf
        k = min(k, int(np.isfinite(ranked).sum()))
        top = np.argpartition(-ranked, k - 1)[:k] if k else np.empty(0, np.int64)
        top = top[np.argsort(-ranked[top], kind="stable")]
        return top, scores[top]

    def rank(self, history: np.ndarray, candidates: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Order known ``candidates`` (model rows) by score; softmax over the candidates only."""
        raw = self.raw_scores(history, candidates)
        scores = self.softmax(raw)
        order = np.argsort(-scores, kind="stable")
        return candidates[order], scores[order]
