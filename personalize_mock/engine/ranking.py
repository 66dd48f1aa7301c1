"""Serving arithmetic on a trained factor model: the scored catalogue, tie breaks, partial
sorts, softmax lookups per user, impression penalties and exploration candidates.

Pure numpy; the runtime (``resources/serving.py``) calls it per request, so everything
catalogue-sized is computed once per model and kept in ``model.cache``.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from .context import offsets as context_offsets, rank as context_rank  # noqa: F401  (re-exported for serving)
from .training import seed_of  # noqa: F401  (re-exported: request-seeded choices)


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
    anything catalogue-sized per user."""
    def score_of(wanted: list[int]) -> dict[int, float]:
        codes = np.asarray(wanted, np.int64)
        rows = model.items.positions(codes)
        raw = np.zeros(len(codes))
        if len(codes) and (rows >= 0).any():
            raw[rows >= 0] = model.logits(model.raw_block(model.user_block([history]), rows[rows >= 0])[0])
        if penalty:
            raw = raw - penalty * impression_mask(model, user_code, codes)
        return {int(c): float(v) for c, v in zip(codes, np.exp((raw - peak) / model.temperature) / total)}

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
    softmax of the raw score over the whole catalogue (items the model never saw score a raw
    0), less the impression penalty. Ties go to the more popular item, then the lower
    position. Each user's row is the same whatever the block: the raw scores are computed in
    exact arithmetic (see ``FactorModel.user_block``), so GetRecommendations, its head cache
    and batch jobs agree to the last bit.

    ``details`` (optional) receives ``peaks``, ``totals`` (the softmax normaliser per user) and
    ``penalties`` (what was taken off the logits of items shown to the user but never chosen).
    """
    n = len(histories)
    if not len(codes):
        empty = np.empty((n, 0))
        return empty.astype(np.int64), empty
    raw, penalties = block_logits(model, codes, user_codes, histories, offsets)
    peaks = raw.max(axis=1, keepdims=True)
    scores = np.exp((raw - peaks) / model.temperature)
    totals = scores.sum(axis=1, keepdims=True)
    scores /= totals
    top = best_first_block(raw + tie_breaks(model, codes), width)
    if details is not None:
        details["peaks"], details["totals"], details["penalties"] = peaks[:, 0], totals[:, 0], penalties
    return top, np.take_along_axis(scores, top, axis=1)


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
