"""Contextual metadata: how the value of an interactions context field shifts item preferences.

Developer guide, *Increasing recommendation relevance with contextual metadata* and
*Interactions datasets* (Contextual metadata): a request's ``context`` keys are metadata fields
of the Interactions dataset (``DEVICE``, ``DISCOUNT``, ...) recorded with each event, and the
User-Personalization and Personalized-Ranking recipes learn how they change what users choose
("if customers shop differently when accessing your catalog from a phone compared to a
computer ... recommendations will then be more relevant based on how they are browsing").

:func:`learn` (training): for every categorical context field and each of its most frequent
values, the smoothed log-lift of each item under that value,

    lift(i | f = v) = log((n(v, i) + a) / (E(v, i) + a)),   E(v, i) = n(i) * n(v) / N,

the item's interactions under the value against what they would be if items and values were
independent, with ``a = PRIOR`` pseudo-interactions (items with little data stay near 0).

:func:`offsets` (serving): the sum of the request's known (field, value) lifts per candidate,
in logit units times the model's temperature, so that adding them to the raw scores before the
softmax multiplies each item's probability by its lift: p(i | user, v) ~ p(i | user) *
p(v | i) / p(v) when the context and the user's taste are independent given the item. Context
keys that are not context fields of the training data, and values never seen with enough
support, have no effect (the request is answered as without them).

Pure numpy. What is stored is plain (dicts, lists of str, ndarrays), so a saved state keeps it.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np

__all__ = ["MAX_VALUES", "MIN_SUPPORT", "PRIOR", "learn", "offsets", "rank"]

PRIOR = 5.0  # pseudo-interactions pulling each lift towards 0
MAX_VALUES = 32  # most frequent values kept per field
MIN_SUPPORT = 10  # interactions a value needs to have an effect
RESERVED = frozenset({
    "USER_ID", "ITEM_ID", "TIMESTAMP", "EVENT_TYPE", "EVENT_VALUE", "IMPRESSION",
    "RECOMMENDATION_ID", "EVENT_ATTRIBUTION_SOURCE",
})


def learn(items: np.ndarray, context: Mapping[str, np.ndarray]) -> dict[str, dict[str, Any]]:
    """Per context field: ``{"values": [...], "codes": item codes, "lifts": (values, codes)}``.

    ``items``: the item code of each interaction; ``context``: field name -> the field's value
    per interaction (object array of str, None where absent). Fields without a value with
    ``MIN_SUPPORT`` interactions are left out; an empty dict means no context to learn.
    """
    items = np.asarray(items, np.int64)
    learned: dict[str, dict[str, Any]] = {}
    if not len(items) or not context:
        return learned
    codes, item_index = np.unique(items, return_inverse=True)
    for name, column in context.items():
        if name.upper() in RESERVED or column is None or len(column) != len(items):
            continue
        # Factorize the values in one pass (first-appearance order; None and "" are absent).
        seen: dict[Any, int] = {}
        value_index = np.fromiter((seen.setdefault(v, len(seen)) for v in column.tolist()), np.int64,
                                  count=len(column))
        names = list(seen)
        valid = np.array([v is not None and v != "" for v in names], bool)
        counts = np.bincount(value_index, minlength=len(names)) * valid
        ranked = np.argsort(-counts, kind="stable")
        top = ranked[counts[ranked] >= MIN_SUPPORT][:MAX_VALUES]
        keep = np.array(sorted(top.tolist(), key=lambda v: str(names[v])), np.int64)  # by value
        if not len(keep):
            continue
        present = valid[value_index]
        rows = np.full(len(names), -1)
        rows[keep] = np.arange(len(keep))
        n_items = np.bincount(item_index[present], minlength=len(codes)).astype(np.float64)
        row_of = rows[value_index]
        chosen = row_of >= 0
        table = np.bincount(row_of[chosen] * len(codes) + item_index[chosen],
                            minlength=len(keep) * len(codes)).reshape(len(keep), len(codes))
        expected = np.outer(counts[keep].astype(np.float64), n_items) / float(present.sum())
        lifts = np.log((table + PRIOR) / (expected + PRIOR)).astype(np.float32)
        learned[name] = {"values": [str(names[v]) for v in keep], "codes": codes, "lifts": lifts}
    return learned


def offsets(model: Any, context: Mapping[str, str] | None, codes: np.ndarray) -> np.ndarray | None:
    """The additive raw-score term of a request's ``context`` for the item ``codes`` (catalogue
    codes), or None when no key/value of it is known to the model (then nothing changes).

    Keys match context fields exactly or, failing that, case-insensitively; values likewise.
    The term is the summed log-lift times the model's softmax temperature.
    """
    learned = getattr(model, "extra", {}).get("context_effects") if context else None
    if not learned:
        return None
    by_upper = {name.upper(): name for name in learned}
    total: np.ndarray | None = None
    for key, value in context.items():
        name = key if key in learned else by_upper.get(str(key).upper())
        if name is None:
            continue
        effect = learned[name]
        values = effect["values"]
        row = _find(values, value)
        if row < 0:
            continue
        known = np.asarray(effect["codes"], np.int64)
        at = np.clip(np.searchsorted(known, codes), 0, max(len(known) - 1, 0))
        hit = known[at] == codes if len(known) else np.zeros(len(codes), bool)
        term = np.where(hit, np.asarray(effect["lifts"])[row][at], 0.0)
        total = term if total is None else total + term
    if total is None:
        return None
    return total * float(getattr(model, "temperature", 1.0))


def rank(model: Any, history: np.ndarray, candidates: np.ndarray, context: Mapping[str, str] | None,
         codes: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """GetPersonalizedRanking's order of the ``candidates`` (model rows; ``codes`` their
    catalogue codes) with the context's term added to the logits before the softmax over the
    candidates (``FactorModel.rank`` with ``offsets``); without a known context, plain ``model.rank``."""
    return model.rank(history, candidates, offsets(model, context, codes))


def _find(values: list[str], value: Any) -> int:
    text = str(value)
    if text in values:
        return values.index(text)
    folded = [v.casefold() for v in values]
    return folded.index(text.casefold()) if text.casefold() in folded else -1
