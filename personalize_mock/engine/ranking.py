"""Serving arithmetic on a trained factor model: the scored catalogue, tie breaks, partial
sorts, softmax lookups per user, impression penalties and exploration candidates.

Pure numpy; the runtime (``resources/serving.py``) calls it per request, so everything
catalogue-sized is computed once per model and kept in ``model.cache``.
"""

from __future__ import annotations

from typing import Any

import numpy as np

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


def vector_score_lookup(model: Any, user_code: int, user: np.ndarray, peak: float, total: float) -> Any:
    """code -> score from the user's vector and softmax normaliser (nothing catalogue-sized is
    kept per user)."""
    def score_of(wanted: list[int]) -> dict[int, float]:
        codes = np.asarray(wanted, np.int64)
        rows = model.items.positions(codes)
        raw = np.where(rows >= 0, model.item_factors[np.maximum(rows, 0)] @ user, 0.0)
        raw = raw + impression_penalty(model, user_code, codes)
        return {int(c): float(v) for c, v in zip(codes, np.exp((raw - peak) / model.temperature) / total)}

    return score_of


def best_first(key: np.ndarray, limit: int | None) -> np.ndarray:
    """Indices of ``key`` from highest to lowest (stable); only the top ``limit`` when given."""
    if limit is None or limit >= len(key):
        return np.argsort(-key, kind="stable")
    head = np.argpartition(-key, limit - 1)[:limit] if limit > 0 else np.empty(0, np.int64)
    return head[np.argsort(-key[head], kind="stable")]


def serving_catalogue(model: Any) -> np.ndarray:
    """Model items first (their rows), then Items-dataset items the model never saw."""
    cached = model.cache.get("serving_catalogue")
    if cached is None:
        known = model.items.codes.astype(np.int64)
        extra = np.asarray(model.extra.get("catalogue_items", np.empty(0)), np.int64)
        cached = np.concatenate([known, np.setdiff1d(np.unique(extra), known)])
        model.cache["serving_catalogue"] = cached
    return cached


def impression_penalty(model: Any, user_code: int | None, codes: np.ndarray) -> np.ndarray:
    """Items shown to the user at training time but never chosen rank lower."""
    shown = model.extra.get("impressed_unclicked", {}).get(user_code) if user_code is not None else None
    if not shown:
        return np.zeros(len(codes))
    spread = float(model.temperature) * 4.0
    return np.where(np.isin(codes, list(shown)), -spread, 0.0)


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
