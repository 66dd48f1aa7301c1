"""Personalize's evaluation splits and the held-out requests the offline metrics judge.

- :func:`holdout_split` — every recipe type except USER_SEGMENTATION: 10 % of users are held
  out; the oldest 90 % of a held-out user's interactions are training data *and* the history
  fed to the model at evaluation time, the newest 10 % are held out.
- :func:`segmentation_split` — USER_SEGMENTATION: every user keeps 80 % of their interactions
  for training and 20 % for testing.
- :func:`next_item_requests` — each held-out interaction with an item new to the user is one
  request, answered from the history before it (docs/metrics.md).

Pure numpy; deterministic, drawing from ``np.random.default_rng(seed)`` only.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from .interactions import code_counts

# Requests evaluated per solution version: every held-out user gets at least one, and up to
# this many in total (each user the same number, their first new items after the cut). Bounds
# the evaluation's cost at max(test users, REQUEST_BUDGET) model calls.
REQUEST_BUDGET = 400


# ---------------------------------------------------------------------------------------------
# Splits
# ---------------------------------------------------------------------------------------------
@dataclass
class Split:
    """A train/test split of an interactions table (rows in table order).

    ``train``      bool mask over the interactions: the rows a model may be trained on.
    ``test_users`` sorted codes of the users whose held-out rows form the ground truth.
    ``truth``      test user -> distinct item codes of their held-out (newest) interactions, in
                   order of first held-out occurrence.
    ``history``    test user -> item codes of their training interactions, oldest first
                   (what the model is given as the user's history at evaluation time).
    ``n_items``    distinct item codes in the interactions (fallback catalogue size).
    ``held_out``   test user -> item codes of every held-out interaction, oldest first
                   (repeats kept): the sequence :func:`next_item_requests` walks.
    """

    train: np.ndarray
    test_users: np.ndarray
    truth: dict[int, np.ndarray]
    history: dict[int, np.ndarray] = field(default_factory=dict)
    n_items: int = 0
    held_out: dict[int, np.ndarray] = field(default_factory=dict)


@dataclass
class Requests:
    """Requests for recommendations an offline evaluation makes, one relevant item each.

    ``users``      int64 user code per request (several requests may share a user);
    ``histories``  the item codes the model is given per request, oldest first;
    ``relevant``   int64 item code per request: the interaction that followed that history.
    """

    users: np.ndarray
    histories: list[np.ndarray]
    relevant: np.ndarray

    def __len__(self) -> int:
        return len(self.relevant)


def holdout_split(
    users: np.ndarray,
    items: np.ndarray,
    timestamps: np.ndarray,
    seed: int,
    holdout_users: float = 0.1,
    truth_fraction: float = 0.1,
) -> Split:
    """The split used for every recipe type except USER_SEGMENTATION.

    Users with at least 2 interactions (and a non-negative code) are eligible; a share
    ``holdout_users`` of *all* distinct users (rounded half up, at least 1 when any user is
    eligible and the share is positive, at most the eligible count) is drawn from the eligible
    ones with ``np.random.default_rng(seed)``. For each held-out user with n interactions, ordered
    by timestamp (ties: original row order), the newest ``clip(floor(truth_fraction * n), 1, n-1)``
    are the truth and are excluded from ``train``; everything else is training data.
    """
    users, items, timestamps = _columns(users, items, timestamps)
    codes, counts = code_counts(users)
    eligible = codes[(counts >= 2) & (codes >= 0)]
    n_users = int(np.count_nonzero(codes >= 0))
    n_test = 0
    if eligible.size and holdout_users > 0:
        n_test = min(eligible.size, max(1, int(np.floor(holdout_users * n_users + 0.5))))
    rng = np.random.default_rng(seed)
    chosen = np.sort(rng.choice(eligible, size=n_test, replace=False)) if n_test else eligible[:0]
    # Only the held-out users' rows need time order: sort those alone (a tenth of the rows).
    rows = np.flatnonzero(np.isin(users, chosen))
    split = _Groups(users[rows], timestamps[rows]).split(items[rows], chosen, truth_fraction)
    train = np.ones(len(users), bool)
    train[rows[~split.train]] = False
    split.train, split.n_items = train, _distinct_items(items)
    return split


def segmentation_split(
    users: np.ndarray,
    items: np.ndarray,
    timestamps: np.ndarray,
    seed: int = 0,
    test_fraction: float = 0.2,
) -> Split:
    """The USER_SEGMENTATION split: per user, 80 % of interactions train / 20 % test.

    Every user with at least 2 interactions contributes their newest
    ``clip(floor(test_fraction * n), 1, n-1)`` interactions (timestamp order, ties by row order)
    to the test set; users with fewer interactions are entirely training data. Which 20 % the
    service holds out is not documented (?): the newest are used, as in :func:`holdout_split`,
    so the result does not depend on ``seed`` (accepted for symmetry).

    ``truth`` maps users to items; :func:`users_by_item` turns it into the item -> users ground
    truth that :func:`segmentation_metrics` takes.
    """
    del seed
    users, items, timestamps = _columns(users, items, timestamps)
    groups = _Groups(users, timestamps)
    return groups.split(items, groups.eligible(), test_fraction)


def _columns(users, items, timestamps) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    users = np.asarray(users)
    items = np.asarray(items)
    timestamps = np.asarray(timestamps)
    if not (len(users) == len(items) == len(timestamps)):
        raise ValueError("users, items and timestamps differ in length")
    return users, items, timestamps


def _distinct_items(items: np.ndarray) -> int:
    known = items[items >= 0]
    return int(np.count_nonzero(np.bincount(known))) if known.size else 0


def _user_time_order(users: np.ndarray, timestamps: np.ndarray) -> np.ndarray:
    """Rows by (user, timestamp), ties in row order: one sort of a combined integer key (with
    the row number in its low bits when they fit in 63, else a stable sort), else a lexsort."""
    if len(users) and users.dtype.kind in "iu" and timestamps.dtype.kind in "iu":
        low, span = int(timestamps.min()), int(timestamps.max()) - int(timestamps.min()) + 1
        first = int(users.min())
        if (int(users.max()) - first + 1) * span < 2**62:
            key = (users.astype(np.int64) - first) * span + (timestamps.astype(np.int64) - low)
            bits = max(len(key) - 1, 1).bit_length()
            if int(key.max()) < 2 ** (62 - bits):  # the row number packed below the key: one plain sort
                key <<= bits
                key |= np.arange(len(key))
                key.sort()
                return key & ((1 << bits) - 1)
            return np.argsort(key, kind="stable")
    return np.lexsort((timestamps, users))  # lexsort is stable: ties keep row order


class _Groups:
    """Interactions grouped by user, each group in (timestamp, row) order."""

    def __init__(self, users: np.ndarray, timestamps: np.ndarray) -> None:
        self.length = len(users)
        self.order = _user_time_order(users, timestamps)
        ordered = users[self.order]
        self.start = np.flatnonzero(np.r_[True, ordered[1:] != ordered[:-1]]) if len(ordered) else np.empty(0, np.int64)
        self.codes = ordered[self.start]
        self.counts = np.diff(np.r_[self.start, len(ordered)])

    def eligible(self) -> np.ndarray:
        return self.codes[(self.counts >= 2) & (self.codes >= 0)]

    def split(self, items: np.ndarray, chosen: np.ndarray, fraction: float) -> Split:
        """Hold out the newest ``fraction`` of each chosen user's interactions."""
        sorted_items = items[self.order]
        held = np.isin(self.codes, chosen)
        counts = self.counts
        n_truth = np.clip(np.floor(fraction * counts + 1e-9).astype(np.int64), 1, counts - 1)
        n_truth = np.where(held, n_truth, 0)
        position = np.arange(self.length) - np.repeat(self.start, counts)
        is_truth = position >= np.repeat(counts - n_truth, counts)
        train = np.ones(self.length, bool)
        train[self.order[is_truth]] = False

        # Held-out rows in (user, time) order; a repeated item keeps its first occurrence only.
        truth_group = np.repeat(np.arange(self.codes.size), n_truth)
        truth_items = sorted_items[is_truth]
        stride = int(items.max(initial=0)) + 2
        _, first = np.unique(truth_group * stride + (truth_items + 1), return_index=True)
        first.sort()
        kept_items = truth_items[first]
        kept_counts = np.bincount(truth_group[first], minlength=self.codes.size)
        kept_start = np.cumsum(kept_counts) - kept_counts

        truth: dict[int, np.ndarray] = {}
        history: dict[int, np.ndarray] = {}
        held_out: dict[int, np.ndarray] = {}
        for g in np.flatnonzero(held):
            user, start = int(self.codes[g]), int(self.start[g])
            cut = start + int(counts[g] - n_truth[g])
            history[user] = sorted_items[start:cut]
            held_out[user] = sorted_items[cut : start + int(counts[g])]
            truth[user] = kept_items[kept_start[g] : kept_start[g] + kept_counts[g]]
        return Split(train, np.asarray(chosen), truth, history, _distinct_items(items), held_out)


def next_item_requests(split: Split, budget: int = REQUEST_BUDGET) -> Requests:
    """The requests of the next-item protocol (docs/metrics.md) over a :func:`holdout_split`.

    Walking a test user's held-out interactions oldest first, every interaction whose item is
    not yet in the user's history (the training part plus the held-out interactions before it)
    is a request: the model gets that history and the interaction's item is the one relevant
    item. Repeats are skipped, since a model never recommends what the user already has. Each
    user contributes their first ``q = max(1, ceil(budget / users with a request))`` such
    requests, so the evaluation makes at most ``max(test users, budget)`` calls; users whose
    held-out items are all repeats make none.
    """
    empty = np.empty(0, np.int64)
    found: list[tuple[int, np.ndarray, list[tuple[int, int]]]] = []
    for user in split.test_users.tolist():
        history = split.history.get(user, empty)
        sequence = split.held_out.get(user)
        if sequence is None:  # a split built without the held-out sequence: truth order
            sequence = split.truth.get(user, empty)
        seen = set(history.tolist())
        fresh = []
        for position, item in enumerate(sequence.tolist()):
            if item >= 0 and item not in seen:
                fresh.append((position, item))
            seen.add(item)
        if fresh:
            found.append((user, sequence, fresh))
    users: list[int] = []
    histories: list[np.ndarray] = []
    relevant: list[int] = []
    if found:
        per_user = max(1, -(-budget // len(found)))
        for user, sequence, fresh in found:
            history = split.history.get(user, empty)
            whole = np.concatenate((history, sequence))  # (each request's history a view of it)
            for position, item in fresh[:per_user]:
                users.append(user)
                histories.append(whole[:len(history) + position])
                relevant.append(item)
    return Requests(np.asarray(users, np.int64), histories, np.asarray(relevant, np.int64))
