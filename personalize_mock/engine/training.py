"""From a dataset group's rows to a trained model and its offline metrics, per recipe family.

``TrainingData`` is what the resources layer hands over (plain arrays in catalogue codes);
``train`` returns a ``Trained`` (the model plus its metrics) or raises ``TrainingError``
whose text is the solution version's failure reason.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np

from .interactions import Matrix, code_counts, distinct
from .memory import without_huge_page_hints
from .metrics import evaluate, holdout_split
from .seeding import seed_of  # noqa: F401  (re-exported)

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
    impressions: dict[int, set[int]] = field(default_factory=dict)  # user -> items shown to them
    # Categorical context fields of the interactions (DEVICE, ...): value per row, None if absent.
    context: dict[str, np.ndarray] = field(default_factory=dict)

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
            self.action_event_types, self.impressions, {k: v[keep] for k, v in self.context.items()},
        )


def check_minimums(data: TrainingData) -> None:
    """The real service's minimum data for training (skipped in relaxed mode)."""
    if len(data) < MIN_INTERACTIONS:
        raise TrainingError(
            f"Create failed. Dataset has fewer than {MIN_INTERACTIONS} interactions after "
            f"filtering ({len(data)} found)."
        )
    _, counts = code_counts(data.users)
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


def _ranking_metrics(data: TrainingData, seed: int, fit_recommend: Any) -> dict[str, float]:
    """Personalize's offline evaluation: refit on the split's training part, score held-out users."""
    if len(data) < 2:
        return {}
    split = holdout_split(data.users, data.items, data.timestamps, seed)
    if not len(split.test_users):
        return {}
    recommend = fit_recommend(split.train)
    catalogue = distinct(data.items, data.catalogue_items)
    return evaluate(recommend, split, 25, catalogue)


def train(family: str, data: TrainingData, seed: int, params: dict[str, str] | None = None,
          base: Trained | None = None) -> Trained:
    """Train one recipe family. ``base`` (trainingMode=UPDATE) keeps its learned factors."""
    params = params or {}
    if not len(data):
        raise TrainingError("Create failed. There are no interactions to train on.")
    factors = family in ("user_personalization", "personalized_ranking")
    trainer = TRAINERS.get(family)
    if trainer is None and not factors:
        raise TrainingError(f"Create failed. Training for the {family} recipe family is not available yet.")
    with without_huge_page_hints():  # (engine/memory.py: page-fault stalls)
        if factors:
            return _train_factors(family, data, seed, params, base)
        return trainer(family, data, seed, params)


def _number(params: dict[str, str], name: str, default: float) -> float:
    try:
        return float(params[name])
    except (KeyError, ValueError):
        return default


def _list_metrics(data: TrainingData, seed: int, fit: Any, ranked: Any) -> dict[str, float]:
    """Ranking metrics for a model that ``fit(users, items, stamps)`` builds and
    ``ranked(model, history, k)`` queries."""

    def fit_recommend(train_mask: np.ndarray) -> Any:
        model = fit(data.users[train_mask], data.items[train_mask], data.timestamps[train_mask])
        return lambda user, history, k: ranked(model, history, k)

    return _ranking_metrics(data, seed, fit_recommend)


def _train_popular(family: str, data: TrainingData, seed: int, params: dict[str, str]) -> Trained:
    from .popularity import PopularityModel, TrendingModel, parse_frequency

    if family == "trending":
        try:
            frequency = parse_frequency(params.get("trend_discovery_frequency", "2 hours"))
        except ValueError as error:
            raise TrainingError(f"Create failed. {error}") from None

        def fit(users: np.ndarray, items: np.ndarray, stamps: np.ndarray) -> Any:
            return TrendingModel.fit(items, stamps, seed, frequency)
    else:

        def fit(users: np.ndarray, items: np.ndarray, stamps: np.ndarray) -> Any:
            return PopularityModel.fit(items, seed, users)

    def ranked(model: Any, history: np.ndarray, k: int) -> np.ndarray:
        return model.top(k, exclude=history)

    model = fit(data.users, data.items, data.timestamps)
    return Trained(family, model, None, _list_metrics(data, seed, fit, ranked))


def _train_related(family: str, data: TrainingData, seed: int, params: dict[str, str]) -> Trained:
    from .neighbors import SimilarItemsModel, SimsModel

    if family == "sims":
        options = {
            "popularity_discount_factor": _number(params, "popularity_discount_factor", 0.5),
            "min_cointeraction_count": int(_number(params, "min_cointeraction_count", 3)),
        }
        for name in ("min_user_history_length_percentile", "max_user_history_length_percentile",
                     "min_item_interaction_count_percentile", "max_item_interaction_count_percentile"):
            if name in params:
                options[name] = _number(params, name, 0.0)

        def fit(users: np.ndarray, items: np.ndarray, stamps: np.ndarray) -> Any:
            return SimsModel.fit(users, items, stamps, seed, **options)
    else:
        tokens = {code: {f"{column}={value}" for column, values in meta.items() for value in values}
                  for code, meta in data.item_metadata.items()}

        def fit(users: np.ndarray, items: np.ndarray, stamps: np.ndarray) -> Any:
            return SimilarItemsModel.fit(users, items, stamps, seed, tokens)

    def ranked(model: Any, history: np.ndarray, k: int) -> np.ndarray:
        # Offline, a related-items model answers for the user's most recent item.
        anchor = int(history[-1]) if len(history) else -1
        return model.related(anchor, k, exclude=history)

    model = fit(data.users, data.items, data.timestamps)
    return Trained(family, model, None, _list_metrics(data, seed, fit, ranked))


def _train_segments(family: str, data: TrainingData, seed: int, params: dict[str, str]) -> Trained:
    from .metrics import evaluate_segments, segmentation_split
    from .segments import ItemAffinityModel, ItemAttributeAffinityModel, sample_truth

    def fit(users: np.ndarray, items: np.ndarray, stamps: np.ndarray) -> Any:
        if family == "item_attribute_affinity":
            return ItemAttributeAffinityModel.fit(users, items, stamps, seed, data.item_metadata)
        return ItemAffinityModel.fit(users, items, stamps, seed)

    model = fit(data.users, data.items, data.timestamps)
    metrics: dict[str, float] = {}
    split = segmentation_split(data.users, data.items, data.timestamps, seed)
    split.truth = sample_truth(split.truth, seed)  # at most MAX_EVALUATED_ITEMS items ranked
    if split.truth:
        part = fit(data.users[split.train], data.items[split.train], data.timestamps[split.train])
        affinity = part.affinity if family == "item_attribute_affinity" else part
        metrics = evaluate_segments(
            lambda item, k: affinity.users_for_item(item, k), split, len(np.unique(data.users))
        )
    return Trained(family, model, None, metrics)


def _train_actions(family: str, data: TrainingData, seed: int, params: dict[str, str]) -> Trained:
    from .actions import NextBestActionModel
    from .metrics import action_metrics

    # *Action interactions datasets*: no minimum; until action interactions exist the recipe
    # still trains and recommends the Actions dataset's actions with propensity 0.0.
    period = _number(params, "action_optimization_period", 14.0)
    if data.action_codes is None or not len(data.action_codes):
        users = codes = np.empty(0, np.int32)
        stamps, kinds = np.empty(0, np.int64), np.empty(0, object)
    else:
        users, codes, stamps = data.action_users, data.action_codes, data.action_timestamps
        kinds = data.action_event_types if data.action_event_types is not None else np.full(len(codes), None)

    def fit(mask: np.ndarray) -> Any:
        return NextBestActionModel.fit(
            users[mask], codes[mask], stamps[mask], kinds[mask], seed, data.actions, data.users, data.items, period,
        )

    model = fit(np.ones(len(codes), bool))
    metrics: dict[str, float] = {}
    split = holdout_split(users, codes, stamps, seed) if len(codes) else None
    if split is not None and len(split.test_users):
        part = fit(split.train)
        now = float(stamps.max())
        recommended = {int(u): [a for a, _ in part.recommend(int(u), 5, now)] for u in split.test_users}
        metrics = action_metrics(recommended, split.truth, max(len(data.actions), len(np.unique(codes))))
    return Trained(family, model, None, metrics)


TRAINERS = {
    "popularity": _train_popular,
    "trending": _train_popular,
    "sims": _train_related,
    "similar_items": _train_related,
    # Emulator's approximation: semantic similarity ranks by shared metadata like Similar-Items.
    "semantic_similarity": _train_related,
    "item_affinity": _train_segments,
    "item_attribute_affinity": _train_segments,
    "next_best_action": _train_actions,
}


def _serving_facts(data: TrainingData) -> dict[str, Any]:
    """What serving needs beyond the factors: the catalogue and item ages (cold-item
    exploration), per user the items shown but never chosen (ranked lower), and how context
    values shift item preferences (engine/context.py)."""
    from .context import learn as learn_context

    if len(data.items) and int(data.items.min()) >= 0:  # catalogue codes: a table, no sort
        earliest = np.full(int(data.items.max()) + 1, np.iinfo(np.int64).max, np.int64)
        np.minimum.at(earliest, data.items, data.timestamps.astype(np.int64, copy=False))
        present = np.flatnonzero(earliest != np.iinfo(np.int64).max)
        first_seen = dict(zip(present.tolist(), earliest[present].tolist()))
    else:
        order = np.lexsort((data.timestamps, data.items))
        first = np.flatnonzero(np.r_[True, np.diff(data.items[order]) != 0])
        first_seen = dict(zip(data.items[order][first].tolist(), data.timestamps[order][first].tolist()))
    unclicked: dict[int, set[int]] = {}
    if data.impressions:
        chosen: dict[int, set[int]] = {}
        for user, item in zip(data.users.tolist(), data.items.tolist()):
            if user in data.impressions:
                chosen.setdefault(user, set()).add(item)
        for user, shown in data.impressions.items():
            left = shown - chosen.get(user, set())
            if left:
                unclicked[user] = left
    return {
        "catalogue_items": data.catalogue_items,
        "item_creation": data.item_creation,
        "first_seen": first_seen,
        "newest_interaction": int(data.timestamps.max()),
        "impressed_unclicked": unclicked,
        "context_effects": learn_context(data.items, data.context),  # engine/context.py
    }


def _train_factors(family: str, data: TrainingData, seed: int, params: dict[str, str],
                   base: Trained | None) -> Trained:
    from .interactions import Index

    factors = int(params["hidden_dimension"]) if params.get("hidden_dimension", "").isdigit() else None
    # The service's dimension (its default, 149, arrives here too), capped for speed by the
    # model (engine/personalization.py: 128 factors, 64 above 2M interactions).
    if base is not None:
        matrix = Matrix.build(data.users, data.items)
        items = Index.of(np.union1d(matrix.items.codes, base.model.items.codes))
        matrix = Matrix.build(data.users, data.items, items=items)
        model = base.model.with_items(items, matrix.item_counts)
        model.extra.update(_serving_facts(data))
        return Trained(family, model, matrix, dict(base.metrics))
    # One fit on the holdout split's training part gives the metrics, the softmax temperature
    # and the serving model (engine/personalization.py).
    from .personalization import train as train_personalization

    catalogue = distinct(data.items, data.catalogue_items)
    model, matrix, metrics, _ = train_personalization(data.users, data.items, data.timestamps, seed, factors,
                                                      catalogue)
    model.extra.update(_serving_facts(data))
    return Trained(family, model, matrix, metrics)
