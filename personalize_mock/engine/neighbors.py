"""Related-items recipes: SIMS (aws-sims) and Similar-Items (aws-similar-items).

Both models keep, for every item they know, a short list of neighbours (at most
``max_neighbours``, 100 by default) found by an item x item product computed in blocks of
rows, so the full item x item matrix never exists: a block holds at most ``BLOCK_WORK``
partial products, and only each row's best ``max_neighbours`` entries survive it.
``related(item, k, exclude)`` answers with the item's neighbours, then fills up with popular
items (Popularity-Count order); an item the model does not know gets popular items only. The
queried item itself is never returned. Similarities are compared as float32, so values that
are equal in exact arithmetic tie exactly and fall to the tie-breaks below. Nothing is random:
``seed`` is only recorded. Codes (users and items) are catalogue codes: non-negative ints.

SIMS
    Training data: users whose interaction count lies outside the
    ``[min, max]_user_history_length_percentile`` percentiles of all users' counts, and items
    whose interaction count lies outside the ``[min, max]_item_interaction_count_percentile``
    percentiles of all items' counts, are dropped. Percentiles are inclusive: the lower bound
    rounds down and the upper bound up to an observed count, so with at most 200 users the
    user defaults drop nobody. Dropped items get no neighbours and are never neighbours, so
    with the default ``max_item_interaction_count_percentile`` of 0.9 the most popular tenth
    of the catalogue (fewer when counts tie) is answered with popular items, as the
    documented filter implies.

    On the binary user x item matrix ``X`` of what is left, with ``n_i`` the number of users
    of item ``i`` and ``co(i, j) = (X.T @ X)[i, j]`` the number of users of both::

        sim(i, j) = co(i, j) / (n_i * n_j) ** popularity_discount_factor

    for pairs with ``co(i, j) >= min_cointeraction_count``. A discount of 0 ranks neighbours
    by raw co-occurrence, which favours popular items; 0.5 (the default) is the cosine
    similarity; 1 is the lift ``co / (n_i n_j)`` (observed over expected co-occurrence), which
    ignores popularity. Ties: larger ``co`` first, then smaller catalogue code.

Similar-Items
    Interaction similarity: the cosine ``co / sqrt(n_i n_j)`` damped for thin evidence by
    ``co / (co + COOCCURRENCE_SHRINK)`` (shrink 2), over all interactions (no percentile
    filter), for pairs with at least ``MIN_COOCCURRENCE`` = 2 common users (pairs seen once
    are noise, and leaving them out keeps training fast; metadata covers such items).
    Metadata similarity: cosine of the items' token vectors (tokens such as ``GENRE=Comedy``),
    each token weighted by the smoothed inverse document frequency
    ``1 + ln((1 + N) / (1 + df))`` (``N`` items with metadata, ``df`` of them hold the token).
    The two are blended per queried item ``i``::

        sim(i, j) = a_i * interaction(i, j) + (1 - a_i) * metadata(i, j)
        a_i = n_i / (n_i + COLD_ITEM)   (a_i = 1 when i has no metadata)

    so a cold item (fewer than ``COLD_ITEM`` = 5 interactions; none at all included) is placed
    mostly or wholly by its metadata, and a well-known item mostly by co-occurrence. Ties:
    more popular neighbour first, then smaller catalogue code. When the metadata pairs would
    exceed ``META_WORK`` (tokens shared by very many items), a token shared by more than a cap
    of items proposes only its most popular holders as candidates (the cap is the largest that
    fits the budget, never below ``max_neighbours + 1``); candidates through rarer tokens are
    unaffected.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field

import numpy as np

from .interactions import Index, Matrix
from .popularity import PopularityModel

MAX_NEIGHBOURS = 100
BLOCK_WORK = 4_000_000  # partial products per block of rows of an item x item product
MAX_BLOCK_ROWS = 8192  # < 2**15: block rows sort as int16
COLD_ITEM = 5  # Similar-Items: an item with fewer interactions is cold
COOCCURRENCE_SHRINK = 2.0  # Similar-Items: cosine damped by co / (co + shrink)
MIN_COOCCURRENCE = 2  # Similar-Items: pairs with fewer common users are left to metadata
META_WORK = 5_000_000  # metadata token pairs computed exactly; beyond, common tokens are capped

# Pruning a row to its best entries before sorting: entries are binned by log2(row max / value).
_BINS = 128
_BINS_PER_OCTAVE = 8


@dataclass
class Neighbours:
    """Per-item neighbour lists (CSR layout over model rows), best first."""

    indptr: np.ndarray  # int64, items + 1
    indices: np.ndarray  # int32 model rows
    scores: np.ndarray  # float32

    @classmethod
    def empty(cls, n: int) -> Neighbours:
        return cls(np.zeros(n + 1, np.int64), np.empty(0, np.int32), np.empty(0, np.float32))

    @classmethod
    def join(cls, parts: list[tuple[np.ndarray, np.ndarray, np.ndarray]], n: int) -> Neighbours:
        """From per-block (counts per row, rows, scores), blocks in row order covering ``n`` rows."""
        if not parts:
            return cls.empty(n)
        counts = np.concatenate([p[0] for p in parts])
        indptr = np.zeros(n + 1, np.int64)
        np.cumsum(counts, out=indptr[1:])
        return cls(indptr, np.concatenate([p[1] for p in parts]).astype(np.int32),
                   np.concatenate([p[2] for p in parts]).astype(np.float32))

    def of(self, row: int) -> tuple[np.ndarray, np.ndarray]:
        start, end = self.indptr[row], self.indptr[row + 1]
        return self.indices[start:end], self.scores[start:end]

    def csr(self, n: int) -> object:
        import scipy.sparse as sp

        return sp.csr_matrix((self.scores.astype(np.float64), self.indices, self.indptr), shape=(n, n))

    @property
    def nbytes(self) -> int:
        return self.indptr.nbytes + self.indices.nbytes + self.scores.nbytes


# ---- shared machinery -----------------------------------------------------------------------
def _blocks(work: np.ndarray, budget: int = BLOCK_WORK) -> Iterator[tuple[int, int]]:
    """Contiguous row ranges whose summed ``work`` stays within ``budget`` (one row at least)."""
    total = np.cumsum(work, dtype=np.float64)
    n, start = len(work), 0
    while start < n:
        base = total[start - 1] if start else 0.0
        end = int(np.searchsorted(total, base + budget, side="right"))
        end = min(max(end, start + 1), start + MAX_BLOCK_ROWS, n)
        yield start, end
        start = end


def _top_per_row(rows: np.ndarray, cols: np.ndarray, vals: np.ndarray, n_rows: int, limit: int,
                 secondary: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Best ``limit`` entries of each row: value descending, then ``secondary`` (an int64 per
    entry that already encodes the tie-breaks down to the column) ascending. ``rows`` must be
    non-decreasing and ``vals`` positive (compared as float32).

    Returns (entries kept per row, columns, values), grouped by row, best first.
    """
    # Rank on float32 values: mathematically equal similarities computed along different
    # paths then tie exactly and fall to the documented tie-breaks.
    vals = vals.astype(np.float32)
    counts = np.bincount(rows, minlength=n_rows)
    big = counts > limit
    if big.any():
        # Bin each entry of an over-full row by log2(row max / value) and keep the bins that
        # hold the row's best ``limit`` entries: an O(entries) cut before the sort.
        inside = big[rows]
        compact = (np.cumsum(big) - 1)[rows[inside]]
        sub = vals[inside]
        starts = np.flatnonzero(np.r_[True, compact[1:] != compact[:-1]])
        peak = np.maximum.reduceat(sub, starts)
        bins = np.log2(peak[compact] / sub)
        bins *= _BINS_PER_OCTAVE
        bins = np.minimum(bins, _BINS - 1).astype(np.int64)
        histogram = np.bincount(compact * _BINS + bins, minlength=len(peak) * _BINS)
        cumulative = histogram.reshape(len(peak), _BINS).cumsum(axis=1)
        threshold = np.argmax(cumulative >= limit, axis=1)
        keep = np.ones(len(rows), bool)
        keep[inside] = bins <= threshold[compact]
        rows, cols, vals, secondary = rows[keep], cols[keep], vals[keep], secondary[keep]
    # Least significant key first, each later sort stable (numpy's lexsort is far slower).
    order = np.argsort(secondary)  # unique within a row: no stability needed
    order = order[np.argsort(-vals[order], kind="stable")]
    order = order[np.argsort(rows[order].astype(np.int16), kind="stable")]  # radix sort
    rows, cols, vals = rows[order], cols[order], vals[order]
    counts = np.bincount(rows, minlength=n_rows)
    first = np.cumsum(counts) - counts
    rank = np.arange(len(rows)) - np.repeat(first, counts)
    keep = rank < limit
    return np.minimum(counts, limit), cols[keep], vals[keep]


def _cooccurrence(csr: object, limit: int, min_count: int, weight: np.ndarray,
                  shrink: float | None = None, ties: str = "count") -> Neighbours:
    """Item neighbours from co-occurrence in the rows of the binary user x item ``csr``.

    ``score(i, j) = co(i, j) * weight[i] * weight[j]``, times ``co / (co + shrink)`` when
    ``shrink`` is given; pairs with ``co < max(min_count, 1)`` are dropped. ``ties``: ``"count"``
    (larger co first) or ``"popularity"`` (larger column count of ``j`` first).
    """
    n_items = csr.shape[1]  # type: ignore[attr-defined]
    if not csr.nnz or limit <= 0:  # type: ignore[attr-defined]
        return Neighbours.empty(n_items)
    by_item = csr.T.tocsr()  # type: ignore[attr-defined]
    lengths = np.diff(csr.indptr).astype(np.float64)  # type: ignore[attr-defined]
    work = by_item @ lengths  # partial products of each row of X.T @ X
    rank = _popularity_rank(np.diff(by_item.indptr)) if ties == "popularity" else None
    threshold = max(int(min_count), 1)
    parts = []
    for start, end in _blocks(work):
        block = (by_item[start:end] @ csr).tocsr()
        # Most pairs co-occur once or twice: cut on the count before anything else.
        where = np.flatnonzero(block.data >= threshold)
        rows = np.searchsorted(block.indptr, where, side="right") - 1
        cols, co = block.indices[where], block.data[where].astype(np.float64)
        keep = cols != rows + start
        rows, cols, co = rows[keep], cols[keep], co[keep]
        vals = co * weight[cols] * weight[rows + start]
        if shrink is not None:
            vals *= co / (co + shrink)
        keep = vals > 0
        rows, cols, co, vals = rows[keep], cols[keep], co[keep], vals[keep]
        tie = -(co.astype(np.int64) << 32) + cols if rank is None else rank[cols]
        parts.append(_top_per_row(rows, cols, vals, end - start, limit, tie))
    return Neighbours.join(parts, n_items)


def _index(codes: np.ndarray) -> Index:
    """``Index.of`` for catalogue codes (small non-negative ints), by counting, not hashing."""
    if not len(codes):
        return Index(np.empty(0, np.int32))
    return Index(np.flatnonzero(np.bincount(codes)).astype(np.int32))


def _popularity_rank(popularity: np.ndarray) -> np.ndarray:
    """Each model row's place in (popularity descending, row ascending) order."""
    order = np.lexsort((np.arange(len(popularity)), -popularity))
    rank = np.empty(len(popularity), np.int64)
    rank[order] = np.arange(len(popularity))
    return rank


def _within_percentiles(codes: np.ndarray, low: float, high: float) -> np.ndarray:
    """Rows whose entity's row count lies within the ``[low, high]`` percentiles of counts."""
    if not len(codes):
        return np.zeros(0, bool)
    counts = np.bincount(codes)  # codes are catalogue codes: small non-negative ints
    present = counts[counts > 0]
    lower = np.quantile(present, low, method="lower")
    upper = np.quantile(present, high, method="higher")
    return ((counts >= lower) & (counts <= upper))[codes]


def _check_percentiles(name: str, low: float, high: float) -> None:
    for value in (low, high):
        if not 0.0 <= value <= 1.0:
            raise ValueError(f"{name} percentiles must lie in [0, 1], got {value}")
    if low > high:
        raise ValueError(f"min_{name}_percentile {low} exceeds max_{name}_percentile {high}")


# ---- models ---------------------------------------------------------------------------------
@dataclass
class NeighbourModel:
    items: Index  # catalogue codes the model has rows for
    neighbours: Neighbours
    popular: PopularityModel  # the fill, and the answer for unknown items
    seed: int
    hyperparameters: dict[str, object] = field(default_factory=dict)

    def similar(self, item_code: int) -> tuple[np.ndarray, np.ndarray]:
        """The stored neighbours of an item as (catalogue codes, similarities), best first."""
        row = self.items.position(item_code)
        if row < 0:
            return np.empty(0, np.int32), np.empty(0, np.float32)
        rows, scores = self.neighbours.of(row)
        return self.items.codes[rows], scores

    def related(self, item_code: int, k: int, exclude: np.ndarray | None = None) -> np.ndarray:
        """``k`` catalogue codes related to ``item_code``: its neighbours, then popular items;
        never the item itself nor a code in ``exclude``."""
        if k <= 0:
            return np.empty(0, np.int32)
        skip = np.empty(0, np.int64) if exclude is None else np.asarray(exclude, np.int64)
        found, _ = self.similar(item_code)
        if len(skip) and len(found):
            found = found[~np.isin(found, skip)]
        found = found[:k]
        if len(found) < k:
            skip = np.concatenate([skip, found, [item_code]])
            found = np.concatenate([found, self.popular.top(k - len(found), exclude=skip)])
        return found.astype(np.int32)

    @property
    def nbytes(self) -> int:
        return self.items.codes.nbytes + self.neighbours.nbytes + self.popular.codes.nbytes + self.popular.counts.nbytes


@dataclass
class SimsModel(NeighbourModel):
    @classmethod
    def fit(cls, user_codes: np.ndarray, item_codes: np.ndarray, timestamps: np.ndarray | None,
            seed: int, popularity_discount_factor: float = 0.5, min_cointeraction_count: int = 3,
            min_user_history_length_percentile: float = 0.005,
            max_user_history_length_percentile: float = 0.995,
            min_item_interaction_count_percentile: float = 0.01,
            max_item_interaction_count_percentile: float = 0.9,
            max_neighbours: int = MAX_NEIGHBOURS) -> SimsModel:
        """``timestamps`` is accepted for a uniform signature; co-occurrence ignores order."""
        if not 0.0 <= popularity_discount_factor <= 1.0:
            raise ValueError(f"popularity_discount_factor must lie in [0, 1], got {popularity_discount_factor}")
        _check_percentiles("user_history_length", min_user_history_length_percentile,
                           max_user_history_length_percentile)
        _check_percentiles("item_interaction_count", min_item_interaction_count_percentile,
                           max_item_interaction_count_percentile)
        users = np.asarray(user_codes, np.int64)
        items = np.asarray(item_codes, np.int64)
        popular = PopularityModel.fit(items, seed, user_codes=users)
        index = _index(items)
        keep = _within_percentiles(users, min_user_history_length_percentile,
                                   max_user_history_length_percentile)
        keep &= _within_percentiles(items, min_item_interaction_count_percentile,
                                    max_item_interaction_count_percentile)
        matrix = Matrix.build(users[keep], items[keep], users=_index(users[keep]), items=index)
        counts = matrix.item_counts.astype(np.float64)
        weight = np.zeros(len(index))
        np.power(counts, -popularity_discount_factor, out=weight, where=counts > 0)
        neighbours = _cooccurrence(matrix.csr, max_neighbours, min_cointeraction_count, weight)
        hyperparameters = {
            "popularity_discount_factor": popularity_discount_factor,
            "min_cointeraction_count": min_cointeraction_count,
            "min_user_history_length_percentile": min_user_history_length_percentile,
            "max_user_history_length_percentile": max_user_history_length_percentile,
            "min_item_interaction_count_percentile": min_item_interaction_count_percentile,
            "max_item_interaction_count_percentile": max_item_interaction_count_percentile,
        }
        return cls(index, neighbours, popular, seed, hyperparameters)


@dataclass
class SimilarItemsModel(NeighbourModel):
    @classmethod
    def fit(cls, user_codes: np.ndarray, item_codes: np.ndarray, timestamps: np.ndarray | None,
            seed: int, item_metadata: Mapping[int, set[str]] | None = None,
            max_neighbours: int = MAX_NEIGHBOURS) -> SimilarItemsModel:
        """``item_metadata``: catalogue code -> categorical tokens (e.g. ``"GENRE=Comedy"``).
        ``timestamps`` is accepted for a uniform signature; co-occurrence ignores order."""
        users = np.asarray(user_codes, np.int64)
        items = np.asarray(item_codes, np.int64)
        popular = PopularityModel.fit(items, seed, user_codes=users)
        metadata = {int(code): tokens for code, tokens in (item_metadata or {}).items() if tokens}
        described = np.fromiter(metadata, np.int64, len(metadata))
        index = _index(np.concatenate([items, described]))
        matrix = Matrix.build(users, items, users=_index(users), items=index)
        counts = matrix.item_counts.astype(np.float64)
        weight = np.zeros(len(index))
        np.power(counts, -0.5, out=weight, where=counts > 0)
        pool = _cooccurrence(matrix.csr, max_neighbours, MIN_COOCCURRENCE, weight,
                             COOCCURRENCE_SHRINK, "popularity")
        model = cls(index, pool, popular, seed, {"cold_item_interactions": COLD_ITEM})
        if metadata:
            tokens = _token_matrix(metadata, index)
            model.neighbours = _blend(pool, tokens, counts, max_neighbours)
        return model


def _token_matrix(metadata: Mapping[int, set[str]], index: Index) -> object:
    """Items x tokens, IDF-weighted and L2-normalised rows (CSR, float64)."""
    import scipy.sparse as sp

    vocabulary: dict[str, int] = {}
    codes: list[int] = []
    cols: list[int] = []
    # Sorted codes and sorted tokens: the token numbering does not depend on dict order.
    for code in sorted(metadata):
        for token in sorted(metadata[code]):
            codes.append(code)
            cols.append(vocabulary.setdefault(token, len(vocabulary)))
    rows = index.positions(np.array(codes, np.int64))
    binary = sp.csr_matrix((np.ones(len(rows)), (rows, cols)), shape=(len(index), len(vocabulary)))
    binary.sum_duplicates()
    binary.data[:] = 1.0
    df = np.diff(binary.tocsc().indptr).astype(np.float64)
    idf = 1.0 + np.log((1.0 + len(metadata)) / (1.0 + df))
    weighted = (binary @ sp.diags(idf)).tocsr()
    norms = np.sqrt(np.asarray(weighted.multiply(weighted).sum(axis=1)).ravel())
    scale = np.zeros_like(norms)
    np.divide(1.0, norms, out=scale, where=norms > 0)
    return (sp.diags(scale) @ weighted).tocsr()


def _capped_candidates(tokens: object, popularity: np.ndarray, minimum: int) -> object:
    """``tokens`` with, for tokens held by more items than fit ``META_WORK``, only the most
    popular holders kept (the cap is the largest that fits, never below ``minimum``)."""
    import scipy.sparse as sp

    by_token = tokens.tocsc()  # type: ignore[attr-defined]
    df = np.diff(by_token.indptr).astype(np.float64)
    if float(df @ df) <= META_WORK:
        return tokens
    low, high = minimum, int(df.max())  # largest cap with sum(df * min(df, cap)) <= budget
    while low < high:
        middle = (low + high + 1) // 2
        if float(df @ np.minimum(df, middle)) <= META_WORK:
            low = middle
        else:
            high = middle - 1
    cap = low
    coo = tokens.tocoo()  # type: ignore[attr-defined]
    item, token, value = coo.row.astype(np.int64), coo.col.astype(np.int64), coo.data
    order = np.argsort((token << 32) | _popularity_rank(popularity)[item])
    item, token, value = item[order], token[order], value[order]
    per_token = np.bincount(token, minlength=len(df))
    rank = np.arange(len(item)) - np.repeat(np.cumsum(per_token) - per_token, per_token)
    keep = rank < cap
    return sp.csr_matrix((value[keep], (item[keep], token[keep])), shape=tokens.shape)  # type: ignore[attr-defined]


def _blend(pool: Neighbours, tokens: object, counts: np.ndarray, limit: int) -> Neighbours:
    """Similar-Items neighbours: interaction pool blended with metadata cosine per item."""
    import scipy.sparse as sp

    n = tokens.shape[0]  # type: ignore[attr-defined]
    has_tokens = np.diff(tokens.indptr) > 0  # type: ignore[attr-defined]
    alpha = np.where(has_tokens, counts / (counts + COLD_ITEM), 1.0)
    candidates = _capped_candidates(tokens, counts, limit + 1).T.tocsr()  # tokens x items
    interaction = pool.csr(n)
    rank = _popularity_rank(counts)
    binary = tokens.copy()  # type: ignore[attr-defined]
    binary.data[:] = 1.0
    work = binary @ np.diff(candidates.indptr).astype(np.float64) + np.diff(pool.indptr)
    parts = []
    for start, end in _blocks(work):
        meta = tokens[start:end] @ candidates  # type: ignore[index]
        share = alpha[start:end]
        block = (sp.diags(share) @ interaction[start:end] + sp.diags(1.0 - share) @ meta).tocsr()
        rows = np.repeat(np.arange(end - start), np.diff(block.indptr))
        cols, vals = block.indices, block.data
        keep = (vals > 0) & (cols != rows + start)
        rows, cols, vals = rows[keep], cols[keep], vals[keep]
        parts.append(_top_per_row(rows, cols, vals, end - start, limit, rank[cols]))
    return Neighbours.join(parts, n)
