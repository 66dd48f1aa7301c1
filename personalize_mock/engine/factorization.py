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
    # User personalization (engine/personalization.py) sets these; the defaults are the plain
    # factor model (segments and actions use it as an embedding). Class-level defaults, so a
    # model saved before they existed restores as the plain model.
    query_factors: np.ndarray | None = None  # rows folded into a user's vector (None: item_factors)
    half_life: float = 0.0  # recency: an interaction n events before the newest weighs 0.5**(n/half_life)
    item_item: bool = False  # item_factors is a square item x item weight matrix (row: history item)
    logit_scale: float = 0.0  # > 0: the softmax's logit is log1p(raw / scale) (raw / scale below 0)

    def logits(self, raw: np.ndarray) -> np.ndarray:
        """What the softmax exponentiates: the raw score, or with ``logit_scale`` its log
        (a linear model's score is probability-like; its log is the logit). Monotone, so the
        ranking is the raw ranking."""
        if self.logit_scale <= 0:
            return raw
        x = raw / self.logit_scale
        return np.where(x > 0, np.log1p(np.maximum(x, 0.0)), x)

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
        old = self.items.positions(items.codes)
        known = old >= 0

        def grown(matrix: np.ndarray | None, square: bool) -> np.ndarray | None:
            if matrix is None:
                return None
            width = len(items) if square else matrix.shape[1]
            result = np.zeros((len(items), width), matrix.dtype)
            if square:
                result[np.ix_(known, known)] = matrix[np.ix_(old[known], old[known])]
            else:
                result[known] = matrix[old[known]]
            return result

        vectors = grown(self.item_factors, self.item_item)
        return FactorModel(items, vectors, popularity.astype(np.float64), self.seed, self.temperature,
                           dict(self.extra), query_factors=grown(self.query_factors, False),
                           half_life=self.half_life, item_item=self.item_item, logit_scale=self.logit_scale)

    # ---- scoring ---------------------------------------------------------------------------
    # ---- exact block scoring (engine/ranking.rank_block) ------------------------------------
    def user_block(self, histories: list[np.ndarray]) -> np.ndarray:
        """Users' vectors folded in from their histories (model rows, oldest first), one row
        per user, in exact arithmetic: factors and recency weights are fixed-point
        (``_quantized``), so every sum is exact in float64 and a user's row never depends on
        which block computed it. For an item-item model the vector is the user's raw scores."""
        query, _ = _quantized(self, "query", self._query())
        weights = None
        if self.half_life > 0:  # only the newest events whose weight does not round to 0
            window = recency_window(self.half_life)
            histories = [h[-window:] for h in histories]
            weights = [recency_weights(len(h), self.half_life) for h in histories]
        return _fold(query, histories, weights)

    def raw_block(self, users: np.ndarray, rows: np.ndarray | None = None) -> np.ndarray:
        """Raw scores (users x model items, or the ``rows``) of ``user_block``'s vectors."""
        shift = _quantized(self, "query", self._query())[1] + (WEIGHT_BITS if self.half_life > 0 else 0)
        if self.item_item:
            return (users if rows is None else users[:, rows]) * 2.0 ** -shift
        target, target_shift = _quantized(self, "target", self.item_factors)
        target = target if rows is None else target[rows]
        return (users @ target.T) * 2.0 ** -(shift + target_shift)

    def _query(self) -> np.ndarray:
        return self.item_factors if self.query_factors is None else self.query_factors

    def raw_scores(self, history: np.ndarray, candidates: np.ndarray | None = None) -> np.ndarray:
        """user . item for every item (or the ``candidates`` model rows); ``history`` is the
        user's model rows, oldest first."""
        history = np.asarray(history, np.int64)
        return self.raw_block(self.user_block([history[history >= 0]]), candidates)[0]

    def softmax(self, raw: np.ndarray) -> np.ndarray:
        if not len(raw):
            return raw
        z = (raw - raw.max()) / self.temperature
        e = np.exp(z)
        return e / e.sum()

    def recommend(self, history: np.ndarray, k: int, exclude: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
        """Top-``k`` model item rows and their scores (softmax over the whole catalogue)."""
        raw = self.logits(self.raw_scores(history))
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

    def rank(self, history: np.ndarray, candidates: np.ndarray,
             offsets: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
        """Order known ``candidates`` (model rows) by score; softmax over the candidates only.
        ``offsets`` (optional, per candidate) are added to the logits first (a request's
        context: engine/context.py)."""
        raw = self.logits(self.raw_scores(history, candidates))
        if offsets is not None:
            raw = raw + offsets
        scores = self.softmax(raw)
        order = np.argsort(-raw, kind="stable")  # by logit: the softmax may underflow to ties
        return candidates[order], scores[order]


FIXED_POINT_BITS = 20  # magnitude bits of a quantized factor or user vector entry
WEIGHT_BITS = 16  # recency weights are integers up to 2**16
RECENCY_WINDOW = 1 << 16  # newest interactions folded in when weighting by recency (keeps sums exact)


def recency_window(half_life: float) -> int:
    """How many of a user's newest interactions are folded in when weighting by recency: older
    ones would weigh under half of 2**-WEIGHT_BITS (0 once rounded); at most RECENCY_WINDOW."""
    return min(RECENCY_WINDOW, int(half_life * (WEIGHT_BITS + 1)) + 1)


def recency_weights(n: int, half_life: float) -> np.ndarray:
    """Integer weights of ``n`` interactions, oldest first: the newest weighs 2**WEIGHT_BITS,
    one ``half_life`` (in events) older half of that (old enough ones round to 0)."""
    return recency_weights_of(np.array([n]), half_life)


def recency_weights_of(lengths: np.ndarray, half_life: float) -> np.ndarray:
    """``recency_weights`` of histories of ``lengths`` events, one after another in one array
    (each history's newest weighs 2**WEIGHT_BITS)."""
    lengths = np.asarray(lengths, np.int64)
    ages = np.repeat(np.cumsum(lengths) - 1, lengths) - np.arange(int(lengths.sum()))
    return np.round(2.0 ** WEIGHT_BITS * np.exp2(-ages.astype(np.float64) / half_life))


def _quantized(model: FactorModel, role: str, matrix: np.ndarray) -> tuple[np.ndarray, int]:
    """``matrix`` as float64 integers of at most ``FIXED_POINT_BITS`` bits and the power of
    two it was scaled by (cached per model)."""
    key = ("fixed_point", role)
    cached = model.cache.get(key)
    if cached is None:
        peak = float(np.abs(matrix).max()) if matrix.size else 0.0
        shift = FIXED_POINT_BITS - (int(np.ceil(np.log2(peak))) if peak > 0 else 0)
        cached = (np.round(np.asarray(matrix, np.float64) * 2.0 ** shift), shift)
        model.cache[key] = cached
    return cached


def _fold(query: np.ndarray, histories: list[np.ndarray], weights: list[np.ndarray] | None) -> np.ndarray:
    """Sum of the (integer) ``query`` rows of each history, times integer ``weights``; each
    user's sum rounded to ``FIXED_POINT_BITS`` bits at a power-of-two scale of its own (so
    products with integer targets stay exact)."""
    n = len(histories)
    users = np.zeros((n, query.shape[1]))
    if not n:
        return users
    lengths = np.fromiter((len(h) for h in histories), np.int64, n)
    if n == 1 and lengths[0]:  # one user (a request): a weighted sum of rows, exact all the same
        rows = np.asarray(histories[0], np.int64)
        users = (weights[0] if weights is not None else np.ones(len(rows)))[None, :] @ query[rows]
    elif lengths.sum():
        import scipy.sparse as sp

        rows = np.concatenate(histories).astype(np.int64)
        data = np.concatenate(weights).astype(np.float64) if weights is not None else np.ones(len(rows))
        indptr = np.concatenate([[0], np.cumsum(lengths)])
        fold = sp.csr_matrix((data, rows, indptr), shape=(n, query.shape[0]))
        users = np.asarray(fold @ query)
    peak = np.abs(users).max(axis=1)
    excess = np.where(peak > 0, np.ceil(np.log2(np.maximum(peak, 1.0))) - FIXED_POINT_BITS, 0.0)
    scale = 2.0 ** np.maximum(excess, 0.0)[:, None]
    return np.round(users / scale) * scale
