"""From a dataset group's rows to a trained model and its offline metrics, per recipe family.

``TrainingData`` is what the resources layer hands over (plain arrays in catalogue codes);
``train`` returns a ``Trained`` (the model plus its metrics) or raises ``TrainingError``
whose text is the solution version's failure reason.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np

from .interactions import Matrix
from .metrics import evaluate, holdout_split

MIN_INTERACTIONS = 1000
MIN_ACTIVE_USERS = 25  # users with at least 2 interactions


class TrainingError(Exception):
    """Training cannot run on this data; ``str(error)`` is the failure reason."""


@dataclass
class TrainingData:
    users: np.ndarray  # int32 user codes, one per interaction
    items: np.ndarray  # int32 item codes
    timestamps: np.ndarray  # int64 epoch seconds
    event_types: np.ndarray | None = None  # object array of str (None where absent)
    event_values: np.ndarray | None = None  # float, NaN where absent
    catalogue_items: np.ndarray = field(default_factory=lambda: np.empty(0, np.int32))  # Items dataset codes
    item_creation: dict[int, int] = field(default_factory=dict)  # item code -> CREATION_TIMESTAMP
    item_metadata: dict[int, dict[str, set[str]]] = field(default_factory=dict)  # categorical values
    actions: dict[int, dict[str, Any]] = field(default_factory=dict)  # action code -> metadata
    action_users: np.ndarray | None = None  # action interactions
    action_codes: np.ndarray | None = None
    action_timestamps: np.ndarray | None = None
    action_event_types: np.ndarray | None = None

    def __len__(self) -> int:
        return len(self.users)

    def filtered(self, event_type: str | None, threshold: float | None,
                 per_type: dict[str, float | None] | None = None) -> TrainingData:
        """Only the interactions training may use: one event type, values >= threshold, and
        ``eventsConfig`` per-type thresholds."""
        keep = np.ones(len(self), bool)
        if event_type is not None and self.event_types is not None:
            keep &= self.event_types == event_type
        if threshold is not None and self.event_values is not None:
            keep &= np.nan_to_num(self.event_values, nan=-np.inf) >= threshold
        if per_type and self.event_types is not None:
            listed = np.isin(self.event_types, list(per_type))
            keep &= listed
            for kind, minimum in per_type.items():
                if minimum is not None and self.event_values is not None:
                    rows = self.event_types == kind
                    keep &= ~rows | (np.nan_to_num(self.event_values, nan=-np.inf) >= minimum)
        if keep.all():
            return self
        pick = lambda a: None if a is None else a[keep]  # noqa: E731
        return TrainingData(
            self.users[keep], self.items[keep], self.timestamps[keep], pick(self.event_types),
            pick(self.event_values), self.catalogue_items, self.item_creation, self.item_metadata,
            self.actions, self.action_users, self.action_codes, self.action_timestamps,
            self.action_event_types,
        )


def check_minimums(data: TrainingData) -> None:
    """The real service's minimum data for training (skipped in relaxed mode)."""
    if len(data) < MIN_INTERACTIONS:
        raise TrainingError(
            f"Create failed. Dataset has fewer than {MIN_INTERACTIONS} interactions after "
            f"filtering ({len(data)} found)."
        )
    _, counts = np.unique(data.users, return_counts=True)
    active = int((counts >= 2).sum())
    if active < MIN_ACTIVE_USERS:
        raise TrainingError(
            f"Create failed. Dataset has fewer than {MIN_ACTIVE_USERS} users with at least 2 "
            f"interactions each ({active} found)."
        )
    if active < 0.01 * len(counts):
        raise TrainingError(
            "Create failed. Fewer than 1% of users have at least 2 interactions each."
        )


@dataclass
class Trained:
    family: str
    model: Any
    matrix: Matrix | None
    metrics: dict[str, float]


def seed_of(text: str) -> int:
    """A stable seed from an ARN."""
    import hashlib

    return int.from_bytes(hashlib.sha256(text.encode()).digest()[:4], "big")


def _factor_fit(data: TrainingData, seed: int, factors: int | None) -> tuple[Any, Matrix]:
    from .factorization import DEFAULT_FACTORS, FactorModel

    matrix = Matrix.build(data.users, data.items)
    return FactorModel.fit(matrix, seed, factors or DEFAULT_FACTORS), matrix


def _ranking_metrics(data: TrainingData, seed: int, fit_recommend: Any) -> dict[str, float]:
    """Personalize's offline evaluation: refit on the split's training part, score held-out users."""
    if len(data) < 2:
        return {}
    split = holdout_split(data.users, data.items, data.timestamps, seed)
    if not len(split.test_users):
        return {}
    recommend = fit_recommend(split.train)
    catalogue = len(np.union1d(np.unique(data.items), data.catalogue_items))
    return evaluate(recommend, split, 25, catalogue)


def train(family: str, data: TrainingData, seed: int, params: dict[str, str] | None = None,
          base: Trained | None = None) -> Trained:
    """Train one recipe family. ``base`` (trainingMode=UPDATE) keeps its learned factors."""
    params = params or {}
    if not len(data):
        raise TrainingError("Create failed. There are no interactions to train on.")
    if family in ("user_personalization", "personalized_ranking"):
        return _train_factors(family, data, seed, params, base)
    raise TrainingError(f"Create failed. Training for the {family} recipe family is not available yet.")


def _train_factors(family: str, data: TrainingData, seed: int, params: dict[str, str],
                   base: Trained | None) -> Trained:
    from .factorization import FactorModel
    from .interactions import Index

    factors = int(params["hidden_dimension"]) if params.get("hidden_dimension", "").isdigit() else None
    factors = min(factors, 64) if factors else None  # the service's dimension, capped for speed
    if base is not None:
        matrix = Matrix.build(data.users, data.items)
        items = Index.of(np.union1d(matrix.items.codes, base.model.items.codes))
        matrix = Matrix.build(data.users, data.items, items=items)
        model = base.model.with_items(items, matrix.item_counts)
        return Trained(family, model, matrix, dict(base.metrics))
    model, matrix = _factor_fit(data, seed, factors)

    def fit_recommend(train_mask: np.ndarray) -> Any:
        part = Matrix.build(data.users[train_mask], data.items[train_mask])
        fitted = FactorModel.fit(part, seed, factors or 32)

        def recommend(user: int, history: np.ndarray, k: int) -> np.ndarray:
            rows = part.items.positions(history)
            top, _ = fitted.recommend(rows[rows >= 0], k, exclude=rows[rows >= 0])
            return part.items.codes[top]

        return recommend

    return Trained(family, model, matrix, _ranking_metrics(data, seed, fit_recommend))
