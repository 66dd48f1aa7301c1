"""Amazon Personalize's offline metrics (``GetSolutionMetrics``, ``DescribeRecommender``).

Pure numpy. Everything works on the int32 code spaces of :mod:`personalize_mock.engine.tables`
(user, item and action codes; timestamps int64).

Splits (fact sheet §8) and the held-out requests live in :mod:`.splits` (re-exported here).

Evaluation protocol of the ranking recipes (:func:`evaluate`, reasoning in docs/metrics.md):
each held-out interaction with an item new to the user is one request for recommendations,
answered from the user's history *before that interaction* and judged against that one item
(:func:`next_item_requests`); a user's requests are averaged, then the users. One relevant
item per request is what gives the service's published metrics their shape (MRR@25 close to
NDCG@10, NDCG@10 about five times precision@10).

Metrics:

- :func:`ranking_metrics` — the eight keys of USER_PERSONALIZATION, POPULAR_ITEMS,
  PERSONALIZED_RANKING, RELATED_ITEMS and domain recommenders (:data:`RANKING_KEYS`), for
  lists judged against truth sets of any size; :func:`request_metrics` the same over
  :class:`Requests`, averaged per user first.
- :func:`segmentation_metrics` — ``coverage``, ``hits_at_1_percent``, ``recall_at_1_percent``.
- :func:`action_metrics` — Next-Best-Action; its key names are **not documented** anywhere
  (see :data:`ACTION_KEYS`).
- :func:`evaluate` / :func:`evaluate_segments` — run a model callable over a split.

Every function is deterministic; splits draw from ``np.random.default_rng(seed)`` only.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from itertools import chain

import numpy as np

from .splits import (  # noqa: F401  (re-exported: the metrics' public face)
    REQUEST_BUDGET,
    Requests,
    Split,
    holdout_split,
    next_item_requests,
    segmentation_split,
)

__all__ = [
    "ACTION_KEYS",
    "RANKING_KEYS",
    "REQUEST_BUDGET",
    "SEGMENTATION_KEYS",
    "Requests",
    "Split",
    "action_metrics",
    "evaluate",
    "evaluate_segments",
    "holdout_split",
    "next_item_requests",
    "ranking_metrics",
    "request_metrics",
    "segment_size",
    "segmentation_metrics",
    "segmentation_split",
    "users_by_item",
]

MAX_K = 25
RANKING_KEYS = (
    "coverage",
    "mean_reciprocal_rank_at_25",
    "normalized_discounted_cumulative_gain_at_5",
    "normalized_discounted_cumulative_gain_at_10",
    "normalized_discounted_cumulative_gain_at_25",
    "precision_at_5",
    "precision_at_10",
    "precision_at_25",
)
SEGMENTATION_KEYS = ("coverage", "hits_at_1_percent", "recall_at_1_percent")
# (?) The real key names for Next-Best-Action are not shown in any source (fact sheet §14).
ACTION_KEYS = ("coverage", "precision", "recall", "auc")

# DCG weight of 1-based position p: 1/log(1+p). Any log base cancels in NDCG; log2 is used.
_DCG_WEIGHTS = 1.0 / np.log2(np.arange(2, MAX_K + 2, dtype=np.float64))
_IDEAL_DCG = np.cumsum(_DCG_WEIGHTS)  # _IDEAL_DCG[n-1] = DCG of n hits at the top
_EMPTY = np.empty(0, np.int64)


# ---------------------------------------------------------------------------------------------
# Ranking metrics
# ---------------------------------------------------------------------------------------------
def users_by_item(truth: Mapping[int, np.ndarray]) -> dict[int, np.ndarray]:
    """Invert user -> items ground truth into item -> sorted distinct user codes."""
    if not truth:
        return {}
    item_col, lengths = _flatten(list(truth.values()))
    user_col = np.repeat(np.fromiter(truth.keys(), np.int64, count=len(truth)), lengths)
    known = (item_col >= 0) & (user_col >= 0)
    if not known.any():
        return {}
    stride = int(user_col.max()) + 1
    pairs = _sorted_unique(item_col[known] * stride + user_col[known])
    item_of, user_of = np.divmod(pairs, stride)
    uniq, start = np.unique(item_of, return_index=True)
    return {int(i): u for i, u in zip(uniq, np.split(user_of, start[1:]))}


def ranking_metrics(
    recommended: Mapping[int, Sequence[int]],
    truth: Mapping[int, np.ndarray],
    catalogue_size: int,
) -> dict[str, float]:
    """The eight standard offline metrics, averaged over the test users.

    The test users are the keys of ``truth`` with a non-empty truth set; a test user missing
    from ``recommended`` (or with an empty list) scores 0 everywhere. Only the first 25
    recommendations of a user count; negative codes are ignored, and a repeated item counts
    only at its first position.

    - relevant: the item is in the user's truth set;
    - ``precision_at_K`` = relevant in top K / K;
    - ``normalized_discounted_cumulative_gain_at_K`` = sum over relevant positions p <= K of
      1/log(1+p), divided by the ideal DCG of min(K, |truth|) hits at the top (so hits at ranks
      2 and 5 with two truth items give (1/log 3 + 1/log 6)/(1/log 2 + 1/log 3) = 0.6241);
    - ``mean_reciprocal_rank_at_25`` = 1/rank of the first relevant item in the top 25, else 0;
    - ``coverage`` = distinct items recommended to the test users (top 25) / ``catalogue_size``.
    """
    users = [u for u, t in truth.items() if len(t)]
    if not users:
        return dict.fromkeys(RANKING_KEYS, 0.0)
    lists = [recommended.get(u, _EMPTY) for u in users]
    return _averaged(lists, [truth[u] for u in users], np.ones(len(users)), catalogue_size)


def request_metrics(
    recommended: Sequence[Sequence[int]],
    requests: Requests,
    catalogue_size: int,
) -> dict[str, float]:
    """:func:`ranking_metrics` of one list per request, each judged against its one relevant
    item, averaged over each user's requests and then over the users (so a user with many
    requests weighs as much as one with few). ``coverage`` counts the items of every list."""
    if not len(requests):
        return dict.fromkeys(RANKING_KEYS, 0.0)
    _, inverse, counts = np.unique(requests.users, return_inverse=True, return_counts=True)
    weights = 1.0 / counts[inverse]
    truths = list(requests.relevant.reshape(-1, 1))
    return _averaged(list(recommended), truths, weights, catalogue_size)


def _averaged(lists: Sequence[Sequence[int]], truths: Sequence[np.ndarray], weights: np.ndarray,
              catalogue_size: int) -> dict[str, float]:
    """The eight metrics of each row (list vs truth set), as a weighted mean of the rows."""
    recs = _pad(lists, MAX_K)
    relevant, n_truth = _relevance(recs, truths)
    weights = np.asarray(weights, np.float64) / float(np.sum(weights))
    # A weighted mean of values in [0, 1]; the clip only removes rounding (1.0000000000000002).
    mean = lambda values: float(np.clip(np.dot(weights, values), 0.0, 1.0))  # noqa: E731

    out: dict[str, float] = {}
    valid = recs[recs >= 0]
    distinct = np.count_nonzero(np.bincount(valid)) if valid.size else 0
    out["coverage"] = float(distinct / catalogue_size) if catalogue_size > 0 else 0.0

    any_hit = relevant.any(axis=1)
    first = np.argmax(relevant, axis=1)
    out["mean_reciprocal_rank_at_25"] = mean(np.where(any_hit, 1.0 / (first + 1), 0.0))

    gains = relevant * _DCG_WEIGHTS
    for k in (5, 10, 25):
        dcg = gains[:, :k].sum(axis=1)
        ideal = _IDEAL_DCG[np.clip(n_truth, 1, k) - 1]  # dcg is 0 when n_truth is 0
        out[f"normalized_discounted_cumulative_gain_at_{k}"] = mean(dcg / ideal)
    single = n_truth.max(initial=0) <= 1  # one relevant item per row: hit@K / K, never above 1/K
    for k in (5, 10, 25):
        hits = relevant[:, :k].sum(axis=1)
        out[f"precision_at_{k}"] = mean(hits > 0) / k if single else mean(hits / k)
    return {key: out[key] for key in RANKING_KEYS}


def _flatten(
    lists: Sequence[Sequence[int]], width: int | None = None
) -> tuple[np.ndarray, np.ndarray]:
    """Concatenation (int64) of the first ``width`` entries of each list, and their lengths."""
    heads = list(lists)
    lengths = np.fromiter(map(len, heads), np.int64, count=len(heads))
    if width is not None and lengths.size and lengths.max() > width:
        heads = [values[:width] for values in heads]
        lengths = np.minimum(lengths, width)
    if not heads:
        return np.empty(0, np.int64), lengths
    if set(map(type, heads)) == {np.ndarray}:
        flat = np.concatenate(heads).astype(np.int64, copy=False)  # 1-D arrays
    else:  # Python sequences: one pass, no per-list array
        flat = np.fromiter(chain.from_iterable(heads), np.int64, count=int(lengths.sum()))
    return flat, lengths


def _pad(lists: Sequence[Sequence[int]], width: int) -> np.ndarray:
    """(len(lists), width) int64 matrix of the first ``width`` entries of each list, -1 padded."""
    flat, lengths = _flatten(lists, width)
    if flat.size == len(lengths) * width:  # every list is full: no padding
        return flat.reshape(len(lengths), width)
    out = np.full((len(lengths), width), -1, np.int64)
    if flat.size:
        rows = np.repeat(np.arange(len(lengths)), lengths)
        offsets = np.cumsum(lengths) - lengths
        out[rows, np.arange(flat.size) - np.repeat(offsets, lengths)] = flat
    return out


def _relevance(recs: np.ndarray, truths: Sequence[np.ndarray]) -> tuple[np.ndarray, np.ndarray]:
    """Boolean hit matrix for ``recs`` (first occurrences only) and distinct truth sizes.

    Works on keys ``row * stride + code``: each row's recommendations are sorted (stably, so
    the first of equal codes is its earliest position), which makes the keys globally sorted
    and the lookup into the sorted truth keys a cache-friendly ``searchsorted``.
    """
    n, width = recs.shape
    truth_items, lengths = _flatten(truths)
    truth_rows = np.repeat(np.arange(n, dtype=np.int64), lengths)
    known = truth_items >= 0
    truth_rows, truth_items = truth_rows[known], truth_items[known]
    stride = int(max(recs.max(initial=0), truth_items.max(initial=0))) + 2
    truth_keys = _sorted_unique(truth_rows * stride + truth_items)
    n_truth = np.bincount(truth_keys // stride, minlength=n)  # distinct truth items per row
    if not truth_keys.size:
        return np.zeros(recs.shape, bool), n_truth

    sentinel = stride - 1  # larger than every code, so never relevant; pads sort last
    masked = np.where(recs >= 0, recs, sentinel)
    order = np.argsort(masked, axis=1, kind="stable")
    ordered = np.take_along_axis(masked, order, axis=1)
    keys = (np.arange(n, dtype=np.int64)[:, None] * stride + ordered).ravel()
    at = np.minimum(np.searchsorted(truth_keys, keys), truth_keys.size - 1)
    hit = (truth_keys[at] == keys).reshape(n, width)
    hit[:, 1:] &= ordered[:, 1:] != ordered[:, :-1]  # a repeated item counts once
    relevant = np.empty_like(hit)
    np.put_along_axis(relevant, order, hit, axis=1)
    return relevant, n_truth


def _sorted_unique(values: np.ndarray) -> np.ndarray:
    """``np.unique`` for a 1-D int array, by sort (faster than numpy 2's hash-based unique here)."""
    ordered = np.sort(values)
    if ordered.size < 2:
        return ordered
    return ordered[np.concatenate(([True], ordered[1:] != ordered[:-1]))]


# ---------------------------------------------------------------------------------------------
# USER_SEGMENTATION metrics
# ---------------------------------------------------------------------------------------------
def segment_size(n_users: int) -> int:
    """K for the segmentation metrics: the top 1 % of users (rounded up, at least 1)."""
    return max(1, int(np.ceil(n_users / 100)))


def segmentation_metrics(
    segments: Mapping[int, Sequence[int]],
    truth: Mapping[int, np.ndarray],
    n_users: int,
) -> dict[str, float]:
    """Metrics of a USER_SEGMENTATION model.

    ``segments``: item code -> user codes ranked by descending affinity (what a batch segment
    job returns for that item); ``truth``: item code -> users who interacted with the item in
    the test set (see :func:`users_by_item`); ``n_users``: users in the dataset group.
    Averaged over the items of ``truth`` with a non-empty truth set, with K = :func:`segment_size`:

    - ``hits_at_1_percent``: number of true users among the top K (a count, can exceed 1);
    - ``recall_at_1_percent``: that number / the item's number of true users;
    - ``coverage``: distinct users in any top K / ``n_users``.
    """
    queries = [i for i, t in truth.items() if len(t)]
    if not queries:
        return dict.fromkeys(SEGMENTATION_KEYS, 0.0)
    k = segment_size(n_users)
    ranked = _pad([segments.get(i, _EMPTY) for i in queries], k)
    relevant, n_truth = _relevance(ranked, [truth[i] for i in queries])
    hits = relevant.sum(axis=1)
    valid = ranked[ranked >= 0]
    distinct = np.count_nonzero(np.bincount(valid)) if valid.size else 0
    return {
        "coverage": distinct / n_users if n_users > 0 else 0.0,
        "hits_at_1_percent": float(np.mean(hits)),
        "recall_at_1_percent": float(np.mean(hits / np.maximum(n_truth, 1))),
    }


# ---------------------------------------------------------------------------------------------
# PERSONALIZED_ACTIONS metrics (key names uncertain)
# ---------------------------------------------------------------------------------------------
def action_metrics(
    recommended: Mapping[int, Sequence[int]],
    truth: Mapping[int, np.ndarray],
    n_actions: int,
    scores: Mapping[int, np.ndarray] | None = None,
) -> dict[str, float]:
    """Next-Best-Action metrics; the keys (:data:`ACTION_KEYS`) are a guess (?).

    ``recommended``: test user -> recommended action codes (best first); ``truth``: test user ->
    actions the user took in the test window; ``scores``: optional test user -> propensity per
    action code (length ``n_actions``), used for the AUC; without it a recommended action at
    0-based position p of a list of length L scores (L - p) / L and others 0.

    - ``precision``: per action, users who were recommended it and took it / users it was
      recommended to, averaged over the actions recommended at least once;
    - ``recall``: per action, users who took it and were recommended it / users who took it,
      averaged over the actions taken at least once;
    - ``auc``: area under the ROC curve of the scores over every (test user, action) pair,
      label = action taken (ties count one half; 0.5 when only one class is present);
    - ``coverage``: distinct actions recommended / ``n_actions``.
    """
    users = list(truth)
    if not users or n_actions <= 0:
        return dict.fromkeys(ACTION_KEYS, 0.0)
    n = len(users)
    labels = np.zeros((n, n_actions), bool)
    shown = np.zeros((n, n_actions), bool)
    score = np.zeros((n, n_actions), np.float64)
    for row, user in enumerate(users):
        taken = np.asarray(truth[user], np.int64)
        labels[row, taken[(taken >= 0) & (taken < n_actions)]] = True
        recs = np.asarray(recommended.get(user, ()), np.int64).ravel()
        keep = (recs >= 0) & (recs < n_actions)
        shown[row, recs[keep]] = True
        if scores is not None and user in scores:
            score[row] = np.asarray(scores[user], np.float64)[:n_actions]
        elif recs.size:
            position = np.arange(recs.size)
            # Reversed assignment: a repeated action keeps the score of its first position.
            score[row, recs[keep][::-1]] = ((recs.size - position[keep]) / recs.size)[::-1]

    correct = (labels & shown).sum(axis=0)
    times_shown = shown.sum(axis=0)
    times_taken = labels.sum(axis=0)
    precision = correct[times_shown > 0] / times_shown[times_shown > 0]
    recall = correct[times_taken > 0] / times_taken[times_taken > 0]
    return {
        "coverage": float(np.count_nonzero(times_shown)) / n_actions,
        "precision": float(precision.mean()) if precision.size else 0.0,
        "recall": float(recall.mean()) if recall.size else 0.0,
        "auc": _auc(score.ravel(), labels.ravel()),
    }


def _auc(scores: np.ndarray, labels: np.ndarray) -> float:
    """ROC AUC via the Mann-Whitney rank statistic (average ranks for ties)."""
    n_pos = int(labels.sum())
    n_neg = labels.size - n_pos
    if not n_pos or not n_neg:
        return 0.5
    order = np.argsort(scores, kind="stable")
    sorted_scores = scores[order]
    _, start, counts = np.unique(sorted_scores, return_index=True, return_counts=True)
    average_rank = start + (counts + 1) / 2.0  # 1-based mean rank of each tie group
    ranks = np.empty(scores.size, np.float64)
    ranks[order] = np.repeat(average_rank, counts)
    return float((ranks[labels].sum() - n_pos * (n_pos + 1) / 2.0) / (n_pos * n_neg))


# ---------------------------------------------------------------------------------------------
# Running a model over a split
# ---------------------------------------------------------------------------------------------
def evaluate(
    recommend: Callable[[int, np.ndarray, int], Sequence[int]] | None,
    split: Split,
    k: int = MAX_K,
    catalogue_size: int | None = None,
    budget: int = REQUEST_BUDGET,
    recommend_many: Callable[[np.ndarray, list[np.ndarray], int], Sequence[Sequence[int]]] | None = None,
    requests: Requests | None = None,
) -> dict[str, float]:
    """:func:`request_metrics` of ``recommend(user_code, history_item_codes, k)`` over the
    :func:`next_item_requests` of a split (the service's published shape: docs/metrics.md).

    ``history_item_codes`` is what the user did before the request, oldest first. The
    recipe-type specifics (ranking an input list, related items of the last history item,
    popular items) belong in ``recommend``. A model that answers many requests at once (one
    matrix product) passes ``recommend_many(user_codes, histories, k)`` instead, returning one
    list per request. ``catalogue_size`` defaults to the distinct items of the split's
    interactions; the service uses distinct items in Interactions + Items. ``requests``: the
    split's :func:`next_item_requests` when the caller has them already.
    """
    if requests is None:
        requests = next_item_requests(split, budget)
    if recommend_many is not None:
        recommended = list(recommend_many(requests.users, requests.histories, k))
    else:
        assert recommend is not None, "evaluate needs recommend or recommend_many"
        recommended = [recommend(user, history, k)
                       for user, history in zip(requests.users.tolist(), requests.histories)]
    size = split.n_items if catalogue_size is None else catalogue_size
    return request_metrics(recommended, requests, size)


def evaluate_segments(
    segment: Callable[[int, int], Sequence[int]],
    split: Split,
    n_users: int,
) -> dict[str, float]:
    """:func:`segmentation_metrics` of ``segment(item_code, k)`` (top-k user codes) over the
    items of a :func:`segmentation_split`'s test set, with k = :func:`segment_size` (n_users)."""
    truth = users_by_item(split.truth)
    k = segment_size(n_users)
    segments = {item: segment(item, k) for item in truth}
    return segmentation_metrics(segments, truth, n_users)
