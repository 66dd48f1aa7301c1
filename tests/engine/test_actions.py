"""Known-answer tests for the Next-Best-Action model (engine/actions.py), without moto."""

from __future__ import annotations

import numpy as np
import pytest

from personalize_mock.engine.actions import (
    DAY,
    EVENT_NOT_TAKEN,
    EVENT_OTHER,
    EVENT_TAKEN,
    EVENT_VIEWED,
    MAX_ACTIONS,
    NextBestActionModel,
    event_type_codes,
    normalise_event_type,
)

LATEST = 1_700_000_000  # newest action interaction
NOW = LATEST + DAY
POPULAR, RARE, THIN, EXPIRED, REPEAT, OLD, CHEAP, PRICEY = 10, 11, 12, 13, 14, 15, 16, 17
UNKNOWN_USER = 99_999


class Log:
    """Accumulates action interactions."""

    def __init__(self) -> None:
        self.users: list[int] = []
        self.actions: list[int] = []
        self.times: list[int] = []
        self.events: list[str] = []

    def add(self, user: int, action: int, when: int, event: str) -> None:
        self.users.append(user)
        self.actions.append(action)
        self.times.append(when)
        self.events.append(event)

    def exposures(self, action: int, users, taken_share: float, rng, start: int = LATEST - 30 * DAY,
                  taken: str = "TAKEN", not_taken: str = "NOT_TAKEN") -> None:
        for user in users:
            when = int(rng.integers(start, start + 29 * DAY))
            self.add(int(user), action, when, taken if rng.random() < taken_share else not_taken)

    def arrays(self):
        return (np.array(self.users), np.array(self.actions), np.array(self.times), np.array(self.events, dtype=object))


def planted(seed: int = 0):
    rng = np.random.default_rng(seed)
    log = Log()
    users = np.arange(400)
    log.exposures(POPULAR, users, 0.8, rng, taken="Taken", not_taken="Not taken")
    log.exposures(RARE, users, 0.2, rng, not_taken="VIEWED")
    log.exposures(THIN, users[:60], 0.5, rng)  # ~30 / ~30: below the 50 / 50 threshold
    log.exposures(EXPIRED, users, 0.75, rng)
    log.exposures(REPEAT, users, 0.5, rng)
    # OLD: plenty of evidence, but all of it more than 6 weeks before the newest interaction.
    log.exposures(OLD, users, 0.5, rng, start=LATEST - 80 * DAY)
    log.add(0, POPULAR, LATEST, "taken")  # pins the newest timestamp
    metadata = {
        POPULAR: {"VALUE": 1},
        RARE: {"VALUE": 1},
        THIN: {"VALUE": 1},
        EXPIRED: {"EXPIRATION_TIMESTAMP": NOW - 10},
        REPEAT: {"REPEAT_FREQUENCY": 7},
        OLD: {},
        CHEAP: {"VALUE": 1, "CREATION_TIMESTAMP": LATEST},  # no interactions at all
        PRICEY: {"VALUE": 50, "CREATION_TIMESTAMP": LATEST},
    }
    return log, metadata


@pytest.fixture(scope="module")
def model():
    log, metadata = planted()
    return NextBestActionModel.fit(*log.arrays(), seed=3, action_metadata=metadata)


def scores_of(recommendations):
    return dict(recommendations)


# ---- event types -----------------------------------------------------------------------------
def test_event_type_normalisation():
    values = np.array(["Taken", "TAKEN", "taken", "Not taken", "NOT_TAKEN", "not-taken", "Viewed", "VIEWED", "click", None],
                      dtype=object)
    assert event_type_codes(values).tolist() == [EVENT_TAKEN] * 3 + [EVENT_NOT_TAKEN] * 3 + [EVENT_VIEWED] * 2 + [EVENT_OTHER] * 2
    assert normalise_event_type("Not taken") == "NOT_TAKEN"
    assert normalise_event_type("viewed") == "VIEWED"
    assert normalise_event_type("purchase") is None


# ---- base propensities and the evidence threshold -------------------------------------------
def test_popular_action_outranks_rare_one_for_a_new_user(model):
    recs = model.recommend(UNKNOWN_USER, 10, NOW)
    codes = [code for code, _ in recs]
    assert codes.index(POPULAR) < codes.index(RARE)
    scores = scores_of(recs)
    position = model.actions.position
    assert scores[POPULAR] == pytest.approx(model.base[position(POPULAR)])
    assert 0.7 < scores[POPULAR] < 0.9
    assert 0.1 < scores[RARE] < 0.3


def test_scores_are_sorted_and_in_range(model):
    for user in (0, 5, 123, UNKNOWN_USER):
        recs = model.recommend(user, 100, NOW)
        values = [score for _, score in recs]
        assert values == sorted(values, reverse=True)
        assert all(0.0 <= v <= 1.0 for v in values)


def test_actions_below_the_evidence_threshold_score_zero(model):
    position = model.actions.position
    assert not model.eligible[position(THIN)]
    assert not model.eligible[position(OLD)]  # enough data, but older than 6 weeks
    assert model.taken_counts[position(OLD)] >= 50 and model.recent_taken[position(OLD)] == 0
    assert not model.eligible[position(CHEAP)]
    for user in (0, 7, UNKNOWN_USER):
        scores = scores_of(model.recommend(user, 100, NOW))
        for action in (THIN, OLD, CHEAP, PRICEY):
            assert scores[action] == 0.0
        assert scores[POPULAR] > 0.0 and scores[RARE] > 0.0
        assert model.propensities(user)[position(THIN)] == 0.0


def test_zero_score_actions_come_last_more_valuable_first(model):
    recs = model.recommend(UNKNOWN_USER, 100, NOW)
    zero = [code for code, score in recs if score == 0.0]
    # VALUE descending breaks the tie (no VALUE counts as 0), then the code.
    assert zero == [PRICEY, THIN, CHEAP, OLD]
    assert [score for _, score in recs[-len(zero):]] == [0.0] * len(zero)


def test_k_limits_the_list(model):
    assert len(model.recommend(UNKNOWN_USER, 2, NOW)) == 2
    assert model.recommend(UNKNOWN_USER, 0, NOW) == []


# ---- expiration -------------------------------------------------------------------------------
def test_expired_actions_are_never_returned(model):
    for user in range(0, 400, 37):
        assert EXPIRED not in scores_of(model.recommend(user, 100, NOW))
    # Before its expiration it is a strong candidate.
    early = model.recommend(UNKNOWN_USER, 100, NOW - 20)
    assert early[1][0] == EXPIRED and early[1][1] > 0.6


def test_expiration_from_updated_metadata():
    log, metadata = planted()
    metadata[POPULAR] = {"ACTION_EXPIRATION_TIMESTAMP": NOW - 1}
    model = NextBestActionModel.fit(*log.arrays(), seed=3, action_metadata=metadata)
    assert POPULAR not in scores_of(model.recommend(UNKNOWN_USER, 100, NOW))
    fresh = NextBestActionModel.fit(*planted()[0].arrays(), seed=3, action_metadata=planted()[1])
    override = {RARE: {"EXPIRATION_TIMESTAMP": NOW - 5}}
    assert RARE not in scores_of(fresh.recommend(UNKNOWN_USER, 100, NOW, action_metadata=override))
    assert RARE in scores_of(fresh.recommend(UNKNOWN_USER, 100, NOW))


# ---- repeat frequency -------------------------------------------------------------------------
def test_repeat_frequency_suppresses_recently_taken_actions(model):
    takers = [u for u in range(400) if REPEAT in model.last_taken(u)]
    others = [u for u in range(400) if REPEAT not in model.last_taken(u)]
    assert takers and others
    user = takers[0]
    taken_at = model.last_taken(user)[REPEAT]
    assert REPEAT not in scores_of(model.recommend(user, 100, taken_at + 6 * DAY))
    assert REPEAT in scores_of(model.recommend(user, 100, taken_at + 7 * DAY + 1))
    assert REPEAT in scores_of(model.recommend(others[0], 100, NOW))
    # Actions without REPEAT_FREQUENCY are recommended again after being taken.
    popular_taker = next(u for u in range(400) if POPULAR in model.last_taken(u))
    assert POPULAR in scores_of(model.recommend(popular_taker, 100, NOW))


def test_repeat_frequency_counts_events_after_training(model):
    user = next(u for u in range(400) if REPEAT not in model.last_taken(u))
    assert REPEAT not in scores_of(model.recommend(user, 100, NOW, last_taken={REPEAT: NOW - DAY}))
    assert REPEAT in scores_of(model.recommend(user, 100, NOW, last_taken={REPEAT: NOW - 8 * DAY}))


# ---- personalisation --------------------------------------------------------------------------
def test_own_history_outweighs_the_base_rate():
    log, metadata = planted()
    contrarian = 5000
    for day in range(20):
        log.add(contrarian, POPULAR, LATEST - day * DAY, "NOT_TAKEN")
        log.add(contrarian, RARE, LATEST - day * DAY, "TAKEN")
    model = NextBestActionModel.fit(*log.arrays(), seed=3, action_metadata=metadata)
    mine = scores_of(model.recommend(contrarian, 100, NOW))
    assert mine[RARE] > mine[POPULAR]
    generic = scores_of(model.recommend(UNKNOWN_USER, 100, NOW))
    assert generic[POPULAR] > generic[RARE]


def test_similar_users_by_item_history():
    """Users of item group A take action X; users of group B decline it. Users without any
    action interaction get X's propensity from the group their items put them in."""
    rng = np.random.default_rng(1)
    log = Log()
    group_a, group_b = np.arange(0, 150), np.arange(200, 350)
    log.exposures(POPULAR, group_a, 0.9, rng)
    log.exposures(POPULAR, group_b, 0.1, rng)
    log.exposures(RARE, np.concatenate([group_a, group_b]), 0.5, rng)
    item_users, item_codes = [], []
    for users, items in ((group_a, np.arange(1000, 1020)), (group_b, np.arange(2000, 2020))):
        for user in np.concatenate([users, [users[0] + 1000]]):  # + one cold user per group
            chosen = rng.choice(items, 6, replace=False)
            item_users.extend([user] * 6)
            item_codes.extend(chosen)
    model = NextBestActionModel.fit(*log.arrays(), seed=5, action_metadata={POPULAR: {}, RARE: {}},
                                    item_user_codes=np.array(item_users), item_codes=np.array(item_codes))
    cold_a, cold_b = 1000, 1200
    position = model.actions.position(POPULAR)
    base = model.base[position]
    a, b = model.propensities(cold_a)[position], model.propensities(cold_b)[position]
    assert a > base + 0.1 > base - 0.1 > b
    assert model.propensities(UNKNOWN_USER)[position] == pytest.approx(base)


# ---- determinism and edge cases -------------------------------------------------------------
def test_training_is_deterministic():
    first = NextBestActionModel.fit(*planted()[0].arrays(), seed=9, action_metadata=planted()[1])
    second = NextBestActionModel.fit(*planted()[0].arrays(), seed=9, action_metadata=planted()[1])
    for user in (0, 1, 2, 150, UNKNOWN_USER):
        assert first.recommend(user, 100, NOW) == second.recommend(user, 100, NOW)


def test_candidates_are_the_actions_dataset(model):
    log, metadata = planted()
    del metadata[RARE]
    restricted = NextBestActionModel.fit(*log.arrays(), seed=3, action_metadata=metadata)
    assert RARE not in scores_of(restricted.recommend(UNKNOWN_USER, 100, NOW))
    everything = NextBestActionModel.fit(*log.arrays(), seed=3)
    assert RARE in scores_of(everything.recommend(UNKNOWN_USER, 100, NOW))


def test_no_interactions_at_all():
    model = NextBestActionModel.fit(np.array([]), np.array([]), np.array([]), np.array([]), seed=0,
                                    action_metadata={1: {"VALUE": 3}, 2: {"VALUE": 5}})
    assert model.recommend(42, 5, NOW) == [(2, 0.0), (1, 0.0)]


def test_action_cap_prefers_new_and_recent_actions():
    metadata = {code: {"CREATION_TIMESTAMP": code} for code in range(MAX_ACTIONS + 5)}
    model = NextBestActionModel.fit(np.array([1, 2]), np.array([0, 1]), np.array([LATEST, LATEST - DAY]),
                                    np.array(["TAKEN", "TAKEN"]), seed=0, action_metadata=metadata)
    assert int(model.candidate.sum()) == MAX_ACTIONS
    chosen = set(model.actions.codes[model.candidate].tolist())
    # New actions (no interactions) first, newest CREATION_TIMESTAMP first: the 1003 new
    # actions 2..1004 fill the cap with 5..1004; 0 and 1 (with interactions) and 2..4 drop.
    assert chosen == set(range(5, MAX_ACTIONS + 5))


def test_mismatched_lengths_are_rejected():
    with pytest.raises(ValueError, match="differ in length"):
        NextBestActionModel.fit(np.array([1]), np.array([1, 2]), np.array([1]), np.array(["TAKEN"]), seed=0)


def test_training_without_action_interactions_recommends_every_action_at_zero():
    # *Action interactions datasets*: no minimum; until action interactions are imported the
    # recipe recommends the Actions dataset's actions with propensity 0.0.
    from personalize_mock.engine.training import TrainingData, train

    users = np.repeat(np.arange(30, dtype=np.int32), 2)
    items = np.tile(np.arange(2, dtype=np.int32), 30)
    data = TrainingData(users, items, np.arange(60, dtype=np.int64) + LATEST)
    data.actions = {7: {"VALUE": 1}, 8: {"VALUE": 9}}
    trained = train("next_best_action", data, seed=3)
    assert trained.metrics == {}
    assert trained.model.recommend(0, 5, NOW) == [(8, 0.0), (7, 0.0)]
