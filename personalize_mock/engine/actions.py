"""Next-Best-Action (aws-next-best-action): each user's propensity to take each action.

Inputs are the Action_Interactions rows (user, action, timestamp, event type), the Actions
metadata and optionally the item Interactions (which tell which users are alike). Event
types are normalised ignoring case, spaces, underscores and hyphens: ``Taken`` / ``TAKEN`` ->
TAKEN, ``Not taken`` / ``NOT_TAKEN`` -> NOT_TAKEN, ``Viewed`` / ``VIEWED`` -> VIEWED; other
event types are ignored. "Not taken" below means NOT_TAKEN or VIEWED.

Model (all deterministic for a seed):

- Evidence threshold: an action scores 0.0 for everyone unless, in the last 6 weeks of
  action-interaction data (counted back from the newest action interaction), it has at least
  50 TAKEN and 50 not-taken interactions. Such actions are still returned (after the scored
  ones), as the service returns explored actions with score 0.0.
- Base propensity over all training data: ``p_a = T_a / (T_a + N_a)`` (taken, not taken).
- A user's own evidence is recency weighted: an interaction ``age`` seconds older than the
  newest one counts ``w = 0.5 ** (age / P)`` with ``P = action_optimization_period`` days
  (default 14, the window the service predicts over): ``tau_ua`` / ``nu_ua`` = weighted
  taken / not-taken interactions of user ``u`` with action ``a``.
- Similar users: a user's embedding ``e_u`` concatenates the unit-normalised factor-model
  user vectors (:class:`~.factorization.FactorModel` with
  :func:`~.segments.effective_factors` factors, sum of the factor rows of the history)
  of their item interactions (when given) and of the actions they took, divided by
  sqrt(number of parts). For each action, ``m+_a`` / ``m-_a`` are the mean embeddings of the
  users who took it / were exposed to it without taking it, ``r_a = min(n+, n-) / (min(n+,
  n-) + 10)`` the reliability of those means. The shift is
  ``g_ua = clip(2 * r_a * e_u . (m+_a - m-_a), -4, 4)`` and the collaborative prior
  ``q_ua = sigmoid(logit(p_a) + g_ua)``.
- Propensity: ``p_ua = (tau_ua + 10 * q_ua) / (tau_ua + nu_ua + 10)`` — the prior shrunk
  towards the user's own recent record (prior strength 10 weighted interactions). A user
  unknown to the model gets ``p_a``.

Recommendation (:meth:`NextBestActionModel.recommend`) drops expired actions (expiration
timestamp <= now; ``EXPIRATION_TIMESTAMP`` or ``ACTION_EXPIRATION_TIMESTAMP``, Unix seconds)
and actions with a ``REPEAT_FREQUENCY`` of ``d`` days that the user TOOK less than ``d`` days
ago, then sorts by propensity descending, the action's ``VALUE`` descending (the service
ranks the more valuable of two equally likely actions first), then catalogue code.

Candidates are the actions of the Actions dataset (``action_metadata``; the interactions'
actions when no metadata is given), at most 1000: beyond that, new actions (no interactions;
newest CREATION_TIMESTAMP first), then actions with the most recent interactions.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

import numpy as np

from .factorization import DEFAULT_FACTORS, FactorModel
from .interactions import Index, Matrix
from .segments import effective_factors

__all__ = [
    "EVENT_NOT_TAKEN",
    "EVENT_TAKEN",
    "EVENT_VIEWED",
    "NextBestActionModel",
    "event_type_codes",
    "normalise_event_type",
]

DAY = 86_400
EVIDENCE_WINDOW_DAYS = 42  # "the last 6 weeks of data"
MIN_TAKEN = 50
MIN_NOT_TAKEN = 50  # NOT_TAKEN + VIEWED
MAX_ACTIONS = 1000
DEFAULT_OPTIMIZATION_PERIOD = 14
PRIOR_STRENGTH = 10.0  # kappa: the collaborative prior counts as this many weighted interactions
SIMILARITY_WEIGHT = 2.0
MAX_SHIFT = 4.0  # logit units
RELIABILITY_USERS = 10.0

EVENT_OTHER, EVENT_TAKEN, EVENT_NOT_TAKEN, EVENT_VIEWED = -1, 0, 1, 2
_EVENT_NAMES = {"taken": EVENT_TAKEN, "nottaken": EVENT_NOT_TAKEN, "viewed": EVENT_VIEWED}
_CANONICAL = {EVENT_TAKEN: "TAKEN", EVENT_NOT_TAKEN: "NOT_TAKEN", EVENT_VIEWED: "VIEWED"}

_EXPIRATION_KEYS = ("EXPIRATION_TIMESTAMP", "ACTION_EXPIRATION_TIMESTAMP")


def normalise_event_type(value: object) -> str | None:
    """``"Not taken"`` -> ``"NOT_TAKEN"`` etc.; ``None`` for any other event type."""
    if value is None:
        return None
    key = "".join(ch for ch in str(value).lower() if ch.isalpha())
    code = _EVENT_NAMES.get(key)
    return None if code is None else _CANONICAL[code]


def event_type_codes(event_types: np.ndarray | Iterable[object]) -> np.ndarray:
    """Event types -> EVENT_TAKEN / EVENT_NOT_TAKEN / EVENT_VIEWED / EVENT_OTHER (int8)."""
    values = np.asarray(event_types if isinstance(event_types, np.ndarray) else list(event_types), dtype=object)
    if not values.size:
        return np.empty(0, np.int8)
    uniques, inverse = np.unique(values.astype(str), return_inverse=True)
    mapping = np.array(
        [_EVENT_NAMES.get("".join(ch for ch in u.lower() if ch.isalpha()), EVENT_OTHER) for u in uniques],
        np.int8,
    )
    return mapping[inverse.ravel()]


def _number(value: object) -> float:
    """A metadata cell as a float (NaN for null / unparsable)."""
    if value is None or isinstance(value, (bool, np.bool_)):
        return math.nan
    try:
        number = float(value)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return math.nan
    return number if math.isfinite(number) else math.nan


def _field(row: Mapping[str, object], *names: str) -> float:
    upper = {str(k).upper(): v for k, v in row.items()}
    for name in names:
        if name in upper:
            number = _number(upper[name])
            if not math.isnan(number):
                return number
    return math.nan


def _unit_rows(vectors: np.ndarray) -> np.ndarray:
    norms = np.linalg.norm(vectors, axis=1, keepdims=True)
    return np.divide(vectors, norms, out=np.zeros_like(vectors), where=norms > 0)


def _sigmoid(x: np.ndarray) -> np.ndarray:
    return 1.0 / (1.0 + np.exp(-x))


@dataclass
class _Metadata:
    expiration: np.ndarray  # Unix seconds, NaN = never expires
    repeat_days: np.ndarray  # NaN = no repeat suppression
    value: np.ndarray  # VALUE, NaN -> treated as 0 when breaking ties
    creation: np.ndarray  # CREATION_TIMESTAMP, NaN = unknown

    @classmethod
    def of(cls, codes: np.ndarray, metadata: Mapping[int, Mapping[str, object]],
           base: _Metadata | None = None) -> _Metadata:
        n = len(codes)
        if base is None:
            arrays = [np.full(n, np.nan) for _ in range(4)]
        else:
            arrays = [a.copy() for a in (base.expiration, base.repeat_days, base.value, base.creation)]
        for position, code in enumerate(codes.tolist()):
            row = metadata.get(code)
            if row is None:
                continue
            arrays[0][position] = _field(row, *_EXPIRATION_KEYS)
            arrays[1][position] = _field(row, "REPEAT_FREQUENCY")
            arrays[2][position] = _field(row, "VALUE")
            arrays[3][position] = _field(row, "CREATION_TIMESTAMP")
        return cls(*arrays)


@dataclass
class NextBestActionModel:
    actions: Index  # every action seen in the interactions or the metadata
    candidate: np.ndarray  # bool per action: may be recommended (Actions dataset, <= 1000)
    eligible: np.ndarray  # bool per action: passed the 50/50 evidence threshold
    base: np.ndarray  # p_a per action (all training data)
    taken_counts: np.ndarray  # TAKEN interactions per action (all data)
    not_taken_counts: np.ndarray  # NOT_TAKEN + VIEWED per action (all data)
    recent_taken: np.ndarray  # the same in the last 6 weeks of data
    recent_not_taken: np.ndarray
    metadata: _Metadata
    users: Index  # users with action interactions or (given) item interactions
    embeddings: np.ndarray  # (users, d) float32, e_u
    directions: np.ndarray  # (actions, d) float64, r_a * (m+_a - m-_a)
    # Per-user sparse record of (user, action) pairs: row slices of the arrays below.
    indptr: np.ndarray
    pair_actions: np.ndarray  # model action positions
    pair_taken: np.ndarray  # recency-weighted TAKEN
    pair_not_taken: np.ndarray  # recency-weighted NOT_TAKEN + VIEWED
    pair_last_taken: np.ndarray  # newest TAKEN timestamp, NaN if never taken
    seed: int
    optimization_period_days: float = DEFAULT_OPTIMIZATION_PERIOD
    latest_timestamp: float | None = None  # newest action interaction
    extra: dict[str, object] = field(default_factory=dict)

    # ---- training --------------------------------------------------------------------------
    @classmethod
    def fit(cls, user_codes: np.ndarray, action_codes: np.ndarray, timestamps: np.ndarray,
            event_types: np.ndarray | Iterable[object], seed: int,
            action_metadata: Mapping[int, Mapping[str, object]] | None = None,
            item_user_codes: np.ndarray | None = None, item_codes: np.ndarray | None = None,
            optimization_period_days: float = DEFAULT_OPTIMIZATION_PERIOD,
            factors: int = DEFAULT_FACTORS) -> NextBestActionModel:
        """Train on Action_Interactions rows (parallel arrays of catalogue codes, Unix-second
        timestamps and event-type strings), the Actions metadata (action code -> {column:
        value}) and optionally the item Interactions' user and item codes."""
        user_codes = np.asarray(user_codes, np.int64).ravel()
        action_codes = np.asarray(action_codes, np.int64).ravel()
        timestamps = np.asarray(timestamps, np.float64).ravel()
        events = event_type_codes(event_types)
        if not (len(user_codes) == len(action_codes) == len(timestamps) == len(events)):
            raise ValueError("user_codes, action_codes, timestamps and event_types differ in length")
        if optimization_period_days <= 0:
            raise ValueError("optimization_period_days must be positive")
        metadata_rows = dict(action_metadata or {})
        item_users = np.asarray(item_user_codes if item_user_codes is not None else [], np.int64).ravel()
        item_items = np.asarray(item_codes if item_codes is not None else [], np.int64).ravel()
        if len(item_users) != len(item_items):
            raise ValueError("item_user_codes and item_codes differ in length")

        known = events >= 0
        user_codes, action_codes = user_codes[known], action_codes[known]
        timestamps, events = timestamps[known], events[known]
        taken = events == EVENT_TAKEN

        actions = Index.of(np.concatenate([action_codes, np.fromiter(metadata_rows, np.int64, len(metadata_rows))]))
        users = Index.of(np.concatenate([user_codes, item_users]))
        n_actions, n_users = len(actions), len(users)
        cols, rows = actions.positions(action_codes), users.positions(user_codes)

        # Per-action counts, all data and the evidence window.
        latest = float(timestamps.max()) if len(timestamps) else None
        taken_counts = np.bincount(cols[taken], minlength=n_actions)
        not_taken_counts = np.bincount(cols[~taken], minlength=n_actions)
        if latest is not None:
            recent = timestamps >= latest - EVIDENCE_WINDOW_DAYS * DAY
        else:
            recent = np.zeros(0, bool)
        recent_taken = np.bincount(cols[taken & recent], minlength=n_actions)
        recent_not_taken = np.bincount(cols[~taken & recent], minlength=n_actions)
        eligible = (recent_taken >= MIN_TAKEN) & (recent_not_taken >= MIN_NOT_TAKEN)
        total = taken_counts + not_taken_counts
        base = np.divide(taken_counts, total, out=np.zeros(n_actions), where=total > 0)

        # Candidates: the Actions dataset, capped at MAX_ACTIONS.
        metadata = _Metadata.of(actions.codes, metadata_rows)
        if metadata_rows:
            candidate = np.isin(actions.codes, np.fromiter(metadata_rows, np.int64, len(metadata_rows)))
        else:
            candidate = np.ones(n_actions, bool)
        last_seen = np.full(n_actions, -np.inf)
        if len(cols):
            np.maximum.at(last_seen, cols, timestamps)
        candidate = cls._cap(candidate, last_seen, metadata.creation)

        # Per (user, action) pairs with recency-weighted evidence.
        period = float(optimization_period_days) * DAY
        weights = 0.5 ** ((latest - timestamps) / period) if latest is not None else timestamps
        key = rows * max(n_actions, 1) + cols
        pairs, inverse = np.unique(key, return_inverse=True)
        inverse = inverse.ravel()
        pair_taken = np.bincount(inverse, weights=weights * taken, minlength=len(pairs))
        pair_not_taken = np.bincount(inverse, weights=weights * ~taken, minlength=len(pairs))
        pair_last = np.full(len(pairs), -np.inf)
        if taken.any():
            np.maximum.at(pair_last, inverse[taken], timestamps[taken])
        pair_last[~np.isfinite(pair_last)] = np.nan
        pair_rows = pairs // max(n_actions, 1)
        pair_cols = (pairs % max(n_actions, 1)).astype(np.int64)
        indptr = np.searchsorted(pair_rows, np.arange(n_users + 1)).astype(np.int64)

        # Similar users: embeddings and per-action taker / non-taker directions.
        embeddings = cls._embeddings(users, actions, user_codes[taken], action_codes[taken],
                                     item_users, item_items, seed, factors)
        ever_taken = np.bincount(inverse, weights=taken.astype(np.float64), minlength=len(pairs)) > 0
        directions = cls._directions(embeddings, pair_rows, pair_cols, ever_taken, n_actions)

        return cls(actions, candidate, eligible, base, taken_counts, not_taken_counts, recent_taken,
                   recent_not_taken, metadata, users, embeddings, directions, indptr, pair_cols,
                   pair_taken, pair_not_taken, pair_last, seed, float(optimization_period_days), latest)

    @staticmethod
    def _cap(candidate: np.ndarray, last_seen: np.ndarray, creation: np.ndarray) -> np.ndarray:
        positions = np.flatnonzero(candidate)
        if len(positions) <= MAX_ACTIONS:
            return candidate
        fresh = ~np.isfinite(last_seen[positions])  # no interactions: new actions first
        created = np.nan_to_num(creation[positions], nan=-np.inf)
        recency = np.where(fresh, created, last_seen[positions])
        order = np.lexsort((positions, -recency, ~fresh))
        capped = np.zeros_like(candidate)
        capped[positions[order[:MAX_ACTIONS]]] = True
        return capped

    @staticmethod
    def _embeddings(users: Index, actions: Index, taken_users: np.ndarray, taken_actions: np.ndarray,
                    item_users: np.ndarray, item_items: np.ndarray, seed: int, factors: int) -> np.ndarray:
        parts = []
        for part_users, part_items, part_index in (
            (item_users, item_items, None),
            (taken_users, taken_actions, actions),
        ):
            if not len(part_users):
                continue
            matrix = Matrix.build(part_users, part_items, users=users, items=part_index)
            model = FactorModel.fit(matrix, seed, effective_factors(len(matrix.items), factors))
            vectors = np.asarray(matrix.csr @ model.item_factors, dtype=np.float64)  # type: ignore[operator]
            parts.append(_unit_rows(vectors))
        if not parts:
            return np.zeros((len(users), 1), np.float32)
        return (np.hstack(parts) / math.sqrt(len(parts))).astype(np.float32)

    @staticmethod
    def _directions(embeddings: np.ndarray, pair_rows: np.ndarray, pair_cols: np.ndarray,
                    ever_taken: np.ndarray, n_actions: int) -> np.ndarray:
        import scipy.sparse as sp

        shape = (n_actions, embeddings.shape[0])
        vectors = embeddings.astype(np.float64)
        result = np.zeros((n_actions, embeddings.shape[1]))
        if not len(pair_rows):
            return result
        means = []
        for mask in (ever_taken, ~ever_taken):
            incidence = sp.csr_matrix(
                (np.ones(int(mask.sum())), (pair_cols[mask], pair_rows[mask])), shape=shape
            )
            counts = np.asarray(incidence.sum(axis=1)).ravel()
            sums = np.asarray(incidence @ vectors)
            means.append((np.divide(sums, counts[:, None], out=np.zeros_like(sums), where=counts[:, None] > 0), counts))
        (takers, n_plus), (others, n_minus) = means
        smaller = np.minimum(n_plus, n_minus)
        reliability = smaller / (smaller + RELIABILITY_USERS)
        return (takers - others) * reliability[:, None]

    # ---- scoring ---------------------------------------------------------------------------
    def propensities(self, user_code: int) -> np.ndarray:
        """p_ua for every action of :attr:`actions` (0.0 where below the evidence threshold),
        before expiration and repeat-frequency rules."""
        scores = np.zeros(len(self.actions))
        eligible = self.eligible
        if not eligible.any():
            return scores
        logit = np.log(self.base[eligible]) - np.log1p(-self.base[eligible])
        row = self.users.position(int(user_code))
        if row < 0:
            scores[eligible] = self.base[eligible]
            return scores
        shift = SIMILARITY_WEIGHT * (self.directions[eligible] @ self.embeddings[row].astype(np.float64))
        prior = _sigmoid(logit + np.clip(shift, -MAX_SHIFT, MAX_SHIFT))
        taken = np.zeros(len(self.actions))
        not_taken = np.zeros(len(self.actions))
        start, end = self.indptr[row], self.indptr[row + 1]
        taken[self.pair_actions[start:end]] = self.pair_taken[start:end]
        not_taken[self.pair_actions[start:end]] = self.pair_not_taken[start:end]
        tau, nu = taken[eligible], not_taken[eligible]
        scores[eligible] = (tau + PRIOR_STRENGTH * prior) / (tau + nu + PRIOR_STRENGTH)
        return scores

    def last_taken(self, user_code: int) -> dict[int, float]:
        """Action code -> newest TAKEN timestamp of the user in the training data."""
        row = self.users.position(int(user_code))
        if row < 0:
            return {}
        start, end = self.indptr[row], self.indptr[row + 1]
        times = self.pair_last_taken[start:end]
        codes = self.actions.codes[self.pair_actions[start:end]]
        return {int(c): float(t) for c, t in zip(codes, times) if not math.isnan(t)}

    def recommend(self, user_code: int, k: int, now_seconds: float,
                  last_taken: Mapping[int, float] | None = None,
                  action_metadata: Mapping[int, Mapping[str, object]] | None = None) -> list[tuple[int, float]]:
        """Up to ``k`` ``(action code, propensity)`` pairs, propensity descending.

        ``last_taken`` (action code -> Unix seconds) adds TAKEN events recorded after training
        to the repeat-frequency rule; ``action_metadata`` overrides the trained metadata of the
        actions it names (e.g. a new expiration timestamp from PutActions).
        """
        if k <= 0 or not len(self.actions):
            return []
        scores = self.propensities(user_code)
        meta = self.metadata if not action_metadata else _Metadata.of(self.actions.codes, action_metadata, self.metadata)
        now = float(now_seconds)
        allowed = self.candidate & ~(meta.expiration <= now)  # NaN (no expiration) compares False

        taken_at = np.full(len(self.actions), np.nan)
        merged = self.last_taken(user_code)
        for code, when in (last_taken or {}).items():
            when = _number(when)
            if not math.isnan(when):
                merged[int(code)] = max(when, merged.get(int(code), -math.inf))
        if merged:
            positions = self.actions.positions(np.fromiter(merged, np.int64, len(merged)))
            values = np.fromiter(merged.values(), np.float64, len(merged))
            taken_at[positions[positions >= 0]] = values[positions >= 0]
        repeat = meta.repeat_days
        suppressed = (repeat > 0) & (now < taken_at + repeat * DAY)  # NaN anywhere -> False
        allowed &= ~suppressed

        positions = np.flatnonzero(allowed)
        value = np.nan_to_num(meta.value[positions], nan=0.0)
        order = np.lexsort((self.actions.codes[positions], -value, -scores[positions]))[:k]
        chosen = positions[order]
        return [(int(self.actions.codes[p]), float(scores[p])) for p in chosen]
