"""Exploration (``itemExplorationConfig``): cold items mixed into a list, shared by the runtime
(GetRecommendations), batch inference jobs and the console's marks, so that all three
make the same choices."""

from __future__ import annotations

import random
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import numpy as np

from ..engine import ranking as scoring

if TYPE_CHECKING:
    from .serving import Endpoint

Entry = tuple[int, "float | None", "str | None"]  # (item code, score, reason)
DEFAULT_WEIGHT = "0.3"
DEFAULT_CUTOFF_DAYS = "30"


def model_seed(endpoint: Any) -> int:
    """Request-seeded choices (exploration, promotion slots) follow the model, not the ARN."""
    return int(getattr(endpoint.trained.model, "seed", 0))


class Exploration:
    """Exploration on ``endpoint`` for lists of ``k`` (``itemExplorationConfig``): how many
    slots go to cold items, which are cold, and the request-seeded choice of them. One instance
    serves one runtime request or every line of a batch job alike; the per-list work is kept to
    the list's own size instead of the cold set's."""

    def __init__(self, endpoint: Endpoint, k: int) -> None:
        self.endpoint, self.k = endpoint, k
        settings = endpoint.config.get("itemExplorationConfig") or {}
        self.weight = float(settings.get("explorationWeight", DEFAULT_WEIGHT))
        self.cutoff_days = float(settings.get("explorationItemAgeCutOff", DEFAULT_CUTOFF_DAYS))
        self.slots = int(round(self.weight * k / 2)) if endpoint.recipe.exploration and k > 0 else 0
        self.cold, self.where = np.empty(0, np.int64), {}
        if self.slots > 0:
            model = endpoint.trained.model
            self.cold = scoring.cold_items(model, self.cutoff_days)
            memo = model.cache.get(("cold_at", self.cutoff_days))  # code -> place among the cold items
            if memo is None or memo[0] is not self.cold:
                memo = model.cache[("cold_at", self.cutoff_days)] = (
                    self.cold, {code: index for index, code in enumerate(self.cold.tolist())})
            self.where = memo[1]
        self.seed = model_seed(endpoint)

    def explore(self, entries: list[Entry], permitted: Callable[[np.ndarray], np.ndarray] | None,
                user_id: str | None, score_of: Any = None) -> list[Entry]:
        """``entries`` mixed with cold items in proportion to ``explorationWeight``, deterministic
        for a given request. ``permitted`` None: the request masks nothing (no filter, no
        exclusions, no anchor item); ``score_of``: code -> score of the list's user."""
        if self.slots <= 0 or not entries or not len(self.cold):
            return entries
        k, slots = self.k, self.slots
        removed = sorted(at for at in (self.where.get(code) for code, _, _ in entries) if at is not None)
        if permitted is None:  # the cold items less the chosen ones, without copying the cold set
            count = len(self.cold) - len(removed)
            candidate = lambda i: _skipping(i, removed)  # noqa: E731
        else:
            fresh_mask = np.ones(len(self.cold), bool)
            fresh_mask[removed] = False
            fresh = np.flatnonzero(fresh_mask)
            kept = fresh[permitted(self.cold[fresh])] if len(fresh) else fresh
            count = len(kept)
            candidate = lambda i: int(kept[i])  # noqa: E731
        if not count:
            return entries
        rng = random.Random(scoring.seed_of(f"{self.seed}|{user_id or ''}|{k}"))  # per request
        picked = [int(self.cold[candidate(i)]) for i in sorted(rng.sample(range(count), min(slots, count)))]
        keep = entries[: max(len(entries) - len(picked), 0)] if len(entries) >= k else entries
        spots = sorted(rng.sample(range(len(keep) + len(picked)), len(picked)))
        where = score_of(picked) if score_of is not None else {}
        result = list(keep)
        for spot, code in zip(spots, picked):
            result.insert(int(spot), (code, where.get(code), "Exploration"))
        return result[:k]


def _skipping(index: int, removed: list[int]) -> int:
    """The position of the ``index``-th entry that is not in ``removed`` (sorted positions)."""
    for at in removed:
        if at > index:
            break
        index += 1
    return index
