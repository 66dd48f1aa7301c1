"""Known-answer tests for the user-segmentation models (engine/segments.py), without moto."""

from __future__ import annotations

import numpy as np
import pytest

from personalize_mock.engine.segments import (
    ItemAffinityModel,
    ItemAttributeAffinityModel,
    _top,
    parse_attribute_query,
)

GROUP_A_USERS = np.arange(0, 30)
GROUP_B_USERS = np.arange(100, 130)
GROUP_A_ITEMS = np.arange(1000, 1012)
GROUP_B_ITEMS = np.arange(2000, 2012)


def two_groups(seed: int = 0):
    """Users of group A consume only A items, group B only B items (random subsets)."""
    rng = np.random.default_rng(seed)
    users, items = [], []
    for group_users, group_items in ((GROUP_A_USERS, GROUP_A_ITEMS), (GROUP_B_USERS, GROUP_B_ITEMS)):
        for user in group_users:
            chosen = rng.choice(group_items, size=rng.integers(6, 11), replace=False)
            users.extend([user] * len(chosen))
            items.extend(chosen)
    users = np.array(users, np.int32)
    items = np.array(items, np.int32)
    timestamps = 1_600_000_000 + np.arange(len(users), dtype=np.int64)
    return users, items, timestamps


@pytest.fixture(scope="module")
def affinity():
    # Two planted groups: a rank-2 structure, so 2 factors separate them exactly.
    users, items, timestamps = two_groups()
    return ItemAffinityModel.fit(users, items, timestamps, seed=7, factors=2)


# ---- aws-item-affinity ----------------------------------------------------------------------
@pytest.mark.parametrize("item, group", [(GROUP_A_ITEMS[0], GROUP_A_USERS), (GROUP_B_ITEMS[3], GROUP_B_USERS)])
def test_users_for_item_ranks_the_consuming_group_first(affinity, item, group):
    segment = affinity.users_for_item(int(item), len(group))
    assert len(segment) == len(group)
    assert set(segment.tolist()) == set(group.tolist())
    everyone = affinity.users_for_item(int(item), 1000)
    assert len(everyone) == len(GROUP_A_USERS) + len(GROUP_B_USERS)
    assert set(everyone[: len(group)].tolist()) == set(group.tolist())


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_default_factors_rank_the_consuming_group_first(seed):
    users, items, timestamps = two_groups(seed)
    model = ItemAffinityModel.fit(users, items, timestamps, seed=seed)
    for item in np.concatenate([GROUP_A_ITEMS, GROUP_B_ITEMS]):
        group = GROUP_A_USERS if item < 2000 else GROUP_B_USERS
        top = model.users_for_item(int(item), 20)
        assert set(top.tolist()) <= set(group.tolist()), item


def test_users_for_item_is_ordered_by_affinity_then_code(affinity):
    item = int(GROUP_A_ITEMS[2])
    segment = affinity.users_for_item(item, 60)
    row = affinity.factors.items.position(item)
    scores = affinity.affinities(np.array([row]))[affinity.users.positions(segment)]
    assert np.all(np.diff(scores) <= 1e-12)
    for left, right, s_left, s_right in zip(segment, segment[1:], scores, scores[1:]):
        if s_left == s_right:
            assert left < right


def test_users_for_item_k_and_exclusions(affinity):
    item = int(GROUP_A_ITEMS[0])
    full = affinity.users_for_item(item, 10)
    assert len(full) == 10
    assert affinity.users_for_item(item, 0).size == 0
    excluded = full[:3]
    rest = affinity.users_for_item(item, 7, exclude_users=excluded)
    assert not set(rest.tolist()) & set(excluded.tolist())
    assert rest.tolist() == full[3:10].tolist()


def test_unknown_item_falls_back_to_most_active_users(affinity):
    segment = affinity.users_for_item(999_999, 5)
    activity = dict(zip(affinity.users.codes.tolist(), affinity.activity.tolist()))
    ranked = sorted(activity, key=lambda u: (-activity[u], u))
    assert segment.tolist() == ranked[:5]


def test_top_breaks_ties_by_code():
    scores = np.array([1.0, 3.0, 3.0, 2.0, 3.0, 0.5])
    assert _top(scores, 2).tolist() == [1, 2]
    assert _top(scores, 4).tolist() == [1, 2, 4, 3]
    allowed = np.array([True, False, True, True, True, True])
    assert _top(scores, 3, allowed).tolist() == [2, 4, 3]
    assert _top(scores, 100).tolist() == [1, 2, 4, 3, 0, 5]


def test_item_affinity_is_deterministic():
    users, items, timestamps = two_groups(seed=3)
    first = ItemAffinityModel.fit(users, items, timestamps, seed=11)
    second = ItemAffinityModel.fit(users, items, timestamps, seed=11)
    for item in (GROUP_A_ITEMS[1], GROUP_B_ITEMS[5]):
        assert first.users_for_item(int(item), 25).tolist() == second.users_for_item(int(item), 25).tolist()


# ---- aws-item-attribute-affinity ------------------------------------------------------------
def attributes():
    table: dict[int, dict[str, set]] = {}
    for item in GROUP_A_ITEMS:
        table[int(item)] = {"GENRES": {"Comedy"}}
    for item in GROUP_B_ITEMS:
        table[int(item)] = {"GENRES": {"Action"}}
    # Two A items are also Action; one B item is also Comedy.
    table[int(GROUP_A_ITEMS[0])]["GENRES"] = {"Comedy", "Action"}
    table[int(GROUP_A_ITEMS[1])]["GENRES"] = {"Comedy", "Action"}
    table[int(GROUP_B_ITEMS[0])]["GENRES"] = {"Comedy", "Action"}
    table[int(GROUP_A_ITEMS[0])]["TITLE"] = {'The "Best" one'}
    table[int(GROUP_A_ITEMS[0])]["PRICE"] = {np.float32(9.99)}
    table[int(GROUP_B_ITEMS[1])]["PRICE"] = {np.float32(19.5)}
    table[int(GROUP_B_ITEMS[2])]["ZIP"] = {"01234"}
    table[5555] = {"GENRES": {"Documentary"}}  # never interacted with
    return table


@pytest.fixture(scope="module")
def attribute_model():
    users, items, timestamps = two_groups()
    return ItemAttributeAffinityModel.fit(users, items, timestamps, seed=7, item_attributes=attributes(),
                                          factors=2, columns=["GENRES", "TITLE", "PRICE", "ZIP", "COLOR"])


def test_attribute_query_selects_items(attribute_model):
    comedy = attribute_model.items_for_query('ITEMS.genres = "Comedy"')
    assert set(comedy.tolist()) == set(GROUP_A_ITEMS.tolist()) | {int(GROUP_B_ITEMS[0])}
    both = attribute_model.items_for_query('ITEMS.genres = "Comedy" AND ITEMS.genres = "Action"')
    assert set(both.tolist()) == {int(GROUP_A_ITEMS[0]), int(GROUP_A_ITEMS[1]), int(GROUP_B_ITEMS[0])}
    assert attribute_model.items_for_query('ITEMS.genres = "comedy"').size == 0  # values are exact
    assert attribute_model.items_for_query('items.GENRES = "Action" and Items.Genres = "Comedy"').tolist() == both.tolist()


def test_attribute_query_ranks_the_matching_group(attribute_model):
    comedy = attribute_model.users_for_query('ITEMS.genres = "Comedy"', len(GROUP_A_USERS))
    assert set(comedy.tolist()) == set(GROUP_A_USERS.tolist())
    action = attribute_model.users_for_query('ITEMS.GENRES = "Action"', len(GROUP_B_USERS))
    assert set(action.tolist()) == set(GROUP_B_USERS.tolist())


def test_attribute_query_is_the_mean_affinity(attribute_model):
    query = 'ITEMS.genres = "Comedy" AND ITEMS.genres = "Action"'
    model = attribute_model.affinity
    rows = model.factors.items.positions(attribute_model.items_for_query(query))
    expected = model.user_vectors.astype(np.float64) @ model.factors.item_factors[rows].astype(np.float64).mean(axis=0)
    ranked = sorted(range(len(expected)), key=lambda p: (-expected[p], p))
    assert attribute_model.users_for_query(query, 12).tolist() == model.users.codes[ranked[:12]].tolist()


def test_attribute_query_special_values(attribute_model):
    assert attribute_model.items_for_query(r'ITEMS.title = "The \"Best\" one"').tolist() == [int(GROUP_A_ITEMS[0])]
    # A query that is still JSON-escaped.
    assert attribute_model.items_for_query(r'ITEMS.genres = \"Documentary\"').tolist() == [5555]
    # Numbers stored as float32 match their decimal text; string columns stay exact.
    assert attribute_model.items_for_query('ITEMS.PRICE = "9.99"').tolist() == [int(GROUP_A_ITEMS[0])]
    assert attribute_model.items_for_query('ITEMS.PRICE = "19.50"').tolist() == [int(GROUP_B_ITEMS[1])]
    assert attribute_model.items_for_query('ITEMS.ZIP = "1234"').size == 0
    assert attribute_model.items_for_query('ITEMS.ZIP = "01234"').tolist() == [int(GROUP_B_ITEMS[2])]


def test_attribute_query_without_trained_items_is_empty(attribute_model):
    assert attribute_model.users_for_query('ITEMS.genres = "Documentary"', 10).size == 0
    assert attribute_model.users_for_query('ITEMS.genres = "Horror"', 10).size == 0
    assert attribute_model.users_for_query('ITEMS.COLOR = "red"', 10).size == 0  # schema column, no values


def test_attribute_query_unknown_column(attribute_model):
    with pytest.raises(ValueError, match="Unknown item attribute column 'MOOD'"):
        attribute_model.users_for_query('ITEMS.mood = "happy"', 10)


def test_attribute_query_exclusions(attribute_model):
    full = attribute_model.users_for_query('ITEMS.genres = "Comedy"', 10)
    rest = attribute_model.users_for_query('ITEMS.genres = "Comedy"', 8, exclude_users=full[:2])
    assert rest.tolist() == full[2:10].tolist()


# ---- query parser ---------------------------------------------------------------------------
@pytest.mark.parametrize(
    "query, expected",
    [
        ('ITEMS.genres = "Comedy"', [("GENRES", "Comedy")]),
        ('ITEMS.genres = "Comedy" AND ITEMS.genres = "Action"', [("GENRES", "Comedy"), ("GENRES", "Action")]),
        ('  items.Genres="Comedy"and Items.COLOR = "dark red"  ', [("GENRES", "Comedy"), ("COLOR", "dark red")]),
        (r'ITEMS.genres = \"Comedy\" AND ITEMS.genres = \"Action\"', [("GENRES", "Comedy"), ("GENRES", "Action")]),
        (r'ITEMS.title = "say \"hi\" \\ bye"', [("TITLE", 'say "hi" \\ bye')]),
        ('ITEMS.price = ""', [("PRICE", "")]),
    ],
)
def test_parse_attribute_query(query, expected):
    assert parse_attribute_query(query) == expected


@pytest.mark.parametrize(
    "query, position, fragment",
    [
        ("", 0, 'expected a condition ITEMS.<column> = "<value>", found end of query'),
        ('USERS.age = "3"', 0, "expected the dataset name 'ITEMS', found 'USERS'"),
        ('ITEMS genres = "x"', 6, "expected '.' after 'ITEMS', found 'genres'"),
        ('ITEMS. = "x"', 7, "expected a column name after 'ITEMS.', found '='"),
        ('ITEMS.genres < "x"', 13, "expected '=' after ITEMS.genres, found '<' (only '=' is supported)"),
        ('ITEMS.genres IN ("x")', 13, "found 'IN' (only '=' is supported)"),
        ("ITEMS.genres = Comedy", 15, "expected a value in double quotes"),
        ('ITEMS.genres = "a" OR ITEMS.genres = "b"', 19, "expected 'AND' or end of query, found 'OR' (only AND is supported)"),
        ('ITEMS.genres = "a" AND', 22, "expected a condition"),
        ('ITEMS.genres = "a" ITEMS.genres = "b"', 19, "expected 'AND' or end of query, found 'ITEMS'"),
        ('ITEMS.genres = "Comedy', 22, "expected a closing '\"' for the value opened at position 15"),
        ('ITEMS.genres = "a" AND @', 23, "unexpected character '@'"),
    ],
)
def test_parse_attribute_query_errors(query, position, fragment):
    with pytest.raises(ValueError) as raised:
        parse_attribute_query(query)
    message = str(raised.value)
    assert f"at position {position}:" in message
    assert fragment in message


def test_parse_attribute_query_rejects_non_strings():
    with pytest.raises(ValueError, match="must be a string"):
        parse_attribute_query(None)  # type: ignore[arg-type]


# ---- batch segment jobs and evaluation at scale --------------------------------------------
def test_allowed_users_are_the_first_allowed_of_the_whole_ranking(affinity, attribute_model):
    allowed = np.zeros(len(affinity.users), bool)
    allowed[::3] = True
    codes = set(affinity.users.codes[allowed].tolist())
    for item in (int(GROUP_A_ITEMS[0]), int(GROUP_B_ITEMS[5]), -1):  # -1: no such item
        whole = affinity.users_for_item(item, 1000)
        expected = [u for u in whole.tolist() if u in codes][:7]
        assert affinity.allowed_users_for_item(item, 7, allowed).tolist() == expected
    whole = attribute_model.users_for_query('ITEMS.GENRES = "Comedy"', 1000)
    mask = np.zeros(len(attribute_model.affinity.users), bool)
    mask[::2] = True
    kept = set(attribute_model.affinity.users.codes[mask].tolist())
    got = attribute_model.allowed_users_for_query('ITEMS.GENRES = "Comedy"', 5, lambda: mask)
    assert got.tolist() == [u for u in whole.tolist() if u in kept][:5]


def test_sample_truth_keeps_few_items_and_small_truths_whole():
    from personalize_mock.engine.segments import sample_truth

    truth = {u: np.array([u % 50, 100 + u % 7]) for u in range(200)}
    assert sample_truth(truth, seed=1) == truth  # 57 items: evaluated whole
    kept = sample_truth(truth, seed=1, limit=10)
    items = set(np.concatenate(list(kept.values())).tolist())
    again = sample_truth(truth, seed=1, limit=10)
    assert len(items) == 10 and {u: v.tolist() for u, v in kept.items()} == {u: v.tolist() for u, v in again.items()}
    assert all(set(v.tolist()) <= set(truth[u].tolist()) for u, v in kept.items())
