"""Known-answer tests for the filter expression language (engine/filter_expression.py), without moto."""

from __future__ import annotations

import time
from typing import Any

import numpy as np
import pytest

from personalize_mock.engine.filter_expression import (
    MAX_EXPRESSION_LENGTH,
    And,
    Condition,
    FilterSyntaxError,
    MissingFilterValues,
    Or,
    parse_filter,
    parse_filter_values,
)
from personalize_mock.engine.filter_expression import allowed as evaluate_filter

# ---- a tiny FilterData -------------------------------------------------------------------------
ITEMS = {
    # code: {FIELD: value}; GENRE multi-valued categorical (a set), PRICE numeric (float)
    # SIZES: a multi-valued categorical of numeric strings; MIXED: a column of mixed types.
    0: {"GENRE": {"Comedy"}, "PRICE": 5.0, "CATEGORY": "shoe", "DESCRIPTION": "boot", "CODE": "05",
        "SIZES": {"38", "42"}, "MIXED": 5.0},
    1: {"GENRE": {"Drama", "Comedy"}, "PRICE": 15.0, "CATEGORY": "shoe", "CODE": "15", "SIZES": {"36"},
        "MIXED": "5"},
    2: {"GENRE": {"Horror"}, "PRICE": 25.0, "CATEGORY": "watch", "DESCRIPTION": "luxury", "MIXED": "five"},
    3: {"CATEGORY": "watch", "DESCRIPTION": "cheap", "CODE": "x"},
    4: {"GENRE": {"Drama"}, "PRICE": 10.0, "CATEGORY": "hat"},
    5: {"GENRE": {"comedy"}, "PRICE": 30.0, "CATEGORY": "hat"},
}
USERS = {
    100: {"AGE": 17.0, "MEMBERSHIP": "gold"},
    101: {"AGE": 30.0, "MEMBERSHIP": "silver"},
    102: {"AGE": 45.0},
    103: {},
}
ACTIONS = {
    0: {"VALUE": 10.0, "MEMBERSHIP_LEVEL": "Premium"},
    1: {"VALUE": 50.0, "MEMBERSHIP_LEVEL": "Basic"},
    2: {"VALUE": 100.0},
}
EVENTS = {
    # (dataset, user): {lower-cased event type: entity codes}
    ("Interactions", 100): {"click": [0, 1], "purchase": [2]},
    ("Interactions", 101): {"stream": [3]},
    ("Interactions", 102): {"click": []},
    ("Action_Interactions", 100): {"taken": [0], "not_taken": [1]},
}
ALL_ITEMS = np.arange(6)
ALL_USERS = np.array([100, 101, 102, 103])
ALL_ACTIONS = np.arange(3)


class Data:
    """FilterData over the dicts above; records the calls it gets."""

    def __init__(self, user: int | None = None, item: int | None = None) -> None:
        self.user, self.item = user, item
        self.calls: list[tuple] = []

    def field_values(self, dataset: str, field: str, codes: np.ndarray) -> list[Any]:
        self.calls.append(("field_values", dataset, field))
        table = {"Items": ITEMS, "Users": USERS, "Actions": ACTIONS}[dataset]
        return [table.get(int(c), {}).get(field) for c in codes]

    def event_entities(self, dataset: str, user_code: int | None) -> dict[str, np.ndarray]:
        self.calls.append(("event_entities", dataset, user_code))
        return {k: np.array(v, np.int64) for k, v in EVENTS.get((dataset, user_code), {}).items()}

    def current_user(self, field: str) -> Any:
        return USERS.get(self.user, {}).get(field) if self.user is not None else None

    def current_item(self, field: str) -> Any:
        return ITEMS.get(self.item, {}).get(field) if self.item is not None else None


def allowed(expression: str, values: dict | None = None, user: int | None = 100, item: int | None = None,
            candidates: np.ndarray = ALL_ITEMS) -> list[int]:
    flt = parse_filter(expression)
    mask = evaluate_filter(flt, candidates, Data(user, item), values or {}, user)
    assert mask.dtype == bool and mask.shape == (len(candidates),)
    return [int(c) for c in np.asarray(candidates)[mask]]


def error(expression: str) -> FilterSyntaxError:
    with pytest.raises(FilterSyntaxError) as info:
        parse_filter(expression)
    return info.value


# ---- parsing -----------------------------------------------------------------------------------
def test_parse_basic_tree_and_attributes():
    flt = parse_filter('INCLUDE ItemID WHERE Items.GENRE IN ($GENRE) AND Items.PRICE <= 20 IF CurrentUser.AGE > $Age')
    assert flt.target == "ItemID"
    assert flt.placeholders == {"GENRE", "Age"}
    assert flt.required_placeholders == {"GENRE", "Age"}
    assert flt.fields == {("Items", "GENRE"), ("Items", "PRICE"), ("Users", "AGE")}
    assert not flt.uses_current_item
    (expr,) = flt.expressions
    assert expr.action == "INCLUDE" and expr.dataset == "Items"
    assert isinstance(expr.where, And) and len(expr.where.operands) == 2
    assert [c.operator for c in expr.where.operands] == ["IN", "<="]
    assert expr.condition_if[0] == Condition("CurrentUser", "AGE", ">", expr.condition_if[0].values, 70)


def test_keywords_targets_and_datasets_are_case_insensitive():
    flt = parse_filter('exclude itemid where items.genre not in ("Comedy") or ITEMS.price > 3 '
                       'if currentuser.age = 17 | Include ITEMID Where INTERACTIONS.event_type In ("x")')
    assert flt.target == "ItemID"
    assert flt.fields == {("Items", "GENRE"), ("Items", "PRICE"), ("Users", "AGE"), ("Interactions", "EVENT_TYPE")}
    assert isinstance(flt.expressions[0].where, Or)
    assert parse_filter('INCLUDE actionid WHERE action_interactions.EVENT_TYPE IN ("a")').target == "ActionID"
    assert parse_filter('INCLUDE userid WHERE users.AGE > 3').target == "UserID"


def test_fields_normalise_current_item_and_current_user():
    flt = parse_filter("INCLUDE ItemID WHERE Items.PRICE < CurrentItem.PRICE AND Items.GENRE IN CurrentItem.STUDIO "
                       "IF CurrentUser.AGE > 18")
    assert flt.fields == {("Items", "PRICE"), ("Items", "GENRE"), ("Items", "STUDIO"), ("Users", "AGE")}
    assert flt.uses_current_item


def test_exclude_placeholders_are_not_required():
    flt = parse_filter('INCLUDE ItemID WHERE Items.A IN ($A) | EXCLUDE ItemID WHERE Items.B IN ($B)')
    assert flt.placeholders == {"A", "B"} and flt.required_placeholders == {"A"}
    assert flt.missing_values({"B": ["x"]}) == ["A"]


def test_guide_examples_parse():
    for expression in [
        'EXCLUDE ItemID WHERE Interactions.EVENT_TYPE IN ($EVENT_TYPE)',
        'EXCLUDE ItemID WHERE Interactions.EVENT_TYPE IN ("click", "stream")',
        'EXCLUDE ItemID WHERE Items.CATEGORY IN ("shoe") AND Items.DESCRIPTION NOT IN ("boot")',
        'INCLUDE ItemID WHERE Items.PRICE <= $PRICE',
        'INCLUDE ItemID WHERE Items.CREATION_TIMESTAMP < $DATE',
        'EXCLUDE ItemID WHERE Items.GENRE IN ($GENRE) IF CurrentUser.AGE = $AGE',
        'INCLUDE ItemID WHERE Items.CATEGORY IN ("watch") AND Items.DESCRIPTION IN ("luxury") IF CurrentUser.AGE > 18',
        'INCLUDE ItemID WHERE Items.PRICE < CurrentItem.PRICE AND Items.GENRE IN CurrentItem.GENRE',
        'INCLUDE UserID WHERE Users.MEMBERSHIP_STATUS IN ($MEMBERSHIP)',
        'EXCLUDE UserID WHERE Users.AGE < $AGE',
        'INCLUDE UserID WHERE Interactions.EVENT_TYPE IN ("click", "rating")',
        'EXCLUDE ActionID WHERE Action_Interactions.EVENT_TYPE IN ("NOT_TAKEN")',
        'INCLUDE ActionID WHERE Actions.VALUE > ($VALUE)',
        'INCLUDE ActionID WHERE Action.MEMBERSHIP_LEVEL IN ("Premium") IF CurrentUser.MEMBERSHIP = $PREMIUM',
        'INCLUDE ItemID WHERE Items.CATEGORY IN ($CATEGORY) | INCLUDE ItemID WHERE Interactions.EVENT_TYPE IN ("favorite")',
        'INCLUDE ItemID WHERE Items.GENRE IN ($GENRE) | EXCLUDE ItemID WHERE Interactions.EVENT_TYPE IN ("click", "stream")',
    ]:
        parse_filter(expression)


def test_string_escapes_and_whitespace():
    flt = parse_filter('INCLUDE ItemID\n\tWHERE Items.TITLE IN ("say \\"hi\\"", "back\\\\slash", "a,b")')
    values = [v.value for v in flt.expressions[0].where.values]
    assert values == ['say "hi"', "back\\slash", "a,b"]


# ---- syntax errors and their positions ---------------------------------------------------------
@pytest.mark.parametrize(
    "expression, position, fragment",
    [
        ("", 0, "expected INCLUDE or EXCLUDE, found end of expression"),
        ("   ", 3, "expected INCLUDE or EXCLUDE"),
        ('KEEP ItemID WHERE Items.A IN ("x")', 0, "expected INCLUDE or EXCLUDE, found 'KEEP'"),
        ('INCLUDE Items WHERE Items.A IN ("x")', 8, "expected ItemID, UserID or ActionID, found 'Items'"),
        ('INCLUDE ItemID Items.A IN ("x")', 15, "expected WHERE, found 'Items'"),
        ('INCLUDE ItemID WHERE Products.A IN ("x")', 21, "unknown dataset 'Products'"),
        ('INCLUDE ItemID WHERE Items A IN ("x")', 27, "expected '.' and a field name after Items"),
        ('INCLUDE ItemID WHERE Items. = 3', 28, "expected a field name, found '='"),
        ('INCLUDE ItemID WHERE Items.GENRE LIKE "x"', 33, "expected IN, NOT IN, =, <, <=, > or >=, found 'LIKE'"),
        ('INCLUDE ItemID WHERE Items.PRICE != 3', 33, "found '!='"),
        ('INCLUDE ItemID WHERE Items.GENRE NOT ("x")', 37, "expected IN after NOT"),
        ('INCLUDE ItemID WHERE Items.GENRE IN (Comedy)', 37, "expected a quoted string, a number or a $placeholder, found 'Comedy'"),
        ('INCLUDE ItemID WHERE Items.GENRE IN ()', 37, "expected a quoted string"),
        ('INCLUDE ItemID WHERE Items.GENRE IN ("a",)', 41, "expected a quoted string"),
        ('INCLUDE ItemID WHERE Items.GENRE IN ("a" "b")', 41, "expected ',' or ')', found '\"b\"'"),
        ('INCLUDE ItemID WHERE Items.GENRE IN ("a"', 40, "expected ',' or ')', found end of expression"),
        ('INCLUDE ItemID WHERE Items.GENRE IN ("abc)', 37, "unterminated string"),
        ('INCLUDE ItemID WHERE Items.GENRE IN ("a") & Items.B IN ("b")', 42, "unexpected character '&'"),
        ('INCLUDE ItemID WHERE Items.GENRE IN ($)', 37, "expected a placeholder name after '$'"),
        ('INCLUDE ItemID WHERE Items.GENRE NOT IN ($G)', 41, "placeholders cannot be used with NOT IN"),
        ('INCLUDE ItemID WHERE Items.GENRE IN ("a", $G)', 42, "a placeholder must be the only value in its list"),
        ('INCLUDE ItemID WHERE Items.GENRE IN ("a", CurrentItem.GENRE)', 42, "a CurrentItem value must be the only value"),
        ('INCLUDE ItemID WHERE Items.PRICE < (1, 2)', 37, "operator < takes a single value"),
        ('INCLUDE ItemID WHERE Items.PRICE < "cheap"', 35, 'operator < needs a number, found "cheap"'),
        ('INCLUDE ItemID WHERE Items.PRICE < (3', 37, "expected ')', found end of expression"),
        ('INCLUDE ItemID WHERE Items.A IN ("x") AND Interactions.EVENT_TYPE IN ("c")', 42,
         "must use the Items dataset of its first condition, found Interactions; chain expressions with '|'"),
        ('INCLUDE ItemID WHERE Interactions.EVENT_TYPE IN ("c") OR Items.A IN ("x")', 57,
         "must use the Interactions dataset of its first condition, found Items"),
        ('INCLUDE ItemID WHERE Interactions.TIMESTAMP > 3', 34, "can only use the EVENT_TYPE field, found 'TIMESTAMP'"),
        ('INCLUDE ItemID WHERE Interactions.EVENT_TYPE > 3', 45, "EVENT_TYPE can only be compared with IN, NOT IN or ="),
        ('INCLUDE ItemID WHERE Items.GENRE IN (*)', 37, "'*' (all event types) can only be used with"),
        ('INCLUDE ItemID WHERE CurrentUser.AGE > 3', 21, "CurrentUser can only be used in the IF clause"),
        ('INCLUDE ItemID WHERE CurrentItem.PRICE > 3', 21, "CurrentItem can only be used as a value"),
        ('INCLUDE ActionID WHERE Actions.VALUE < CurrentItem.VALUE', 39, "CurrentItem can only be used in ItemID expressions"),
        ('INCLUDE ItemID WHERE Interactions.EVENT_TYPE IN CurrentItem.GENRE', 48,
         "CurrentItem values can only be compared with Items fields"),
        ('INCLUDE ItemID WHERE Users.AGE > 3', 21, "ItemID expressions can only use Items or Interactions conditions, not Users"),
        ('INCLUDE ItemID WHERE Action_Interactions.EVENT_TYPE IN ("a")', 21, "not Action_Interactions"),
        ('INCLUDE UserID WHERE Items.A IN ("x")', 21, "UserID expressions can only use Users or Interactions conditions"),
        ('INCLUDE ActionID WHERE Interactions.EVENT_TYPE IN ("a")', 23, "ActionID expressions can only use Actions or Action_Interactions"),
        ('INCLUDE ActionID WHERE Actions.REPEAT_FREQUENCY > 3', 31, "Actions.REPEAT_FREQUENCY cannot be used in a filter"),
        ('INCLUDE UserID WHERE Users.AGE > 3 IF CurrentUser.AGE > 3', 35, "IF CurrentUser conditions can only be used in ItemID and ActionID"),
        ('INCLUDE ItemID WHERE Items.A IN ("x") IF Items.B IN ("y")', 41, "expected CurrentUser.<field>"),
        ('INCLUDE ItemID WHERE Items.A IN ("x") IF CurrentUser.B IN ("y") OR CurrentUser.C IN ("z")', 64,
         "expected AND, '|' or end of expression, found 'OR'"),
        ('INCLUDE ItemID WHERE Items.A IN ("x") IF CurrentUser.B IN ("y") IF CurrentUser.C IN ("z")', 64,
         "only one IF clause"),
        ('INCLUDE ItemID WHERE Items.A IN ("x") IF CurrentUser.B IN (*)', 59, "'*' (all event types)"),
        ('INCLUDE ItemID WHERE Items.A IN ("x") Items.B IN ("y")', 38, "expected AND, OR, IF, '|' or end of expression, found 'Items'"),
        ('INCLUDE ItemID WHERE (Items.A IN ("x"))', 21, "parentheses cannot group conditions"),
        ('INCLUDE ItemID WHERE Items.A IN ("x") AND', 41, "expected a dataset field such as Items.GENRE, found end"),
        ('INCLUDE ItemID WHERE Items.A IN ("x") IF', 40, "expected CurrentUser.<field>"),
        ('INCLUDE ItemID WHERE Items.A IN ("x") IF CurrentUser.B IN CurrentItem.B', 58,
         "CurrentItem values can only be compared with Items fields"),
        ('INCLUDE ItemID WHERE Items.A > - 3', 31, "unexpected character '-'"),
        ('INCLUDE ItemID WHERE Items.A IN ("x") |', 39, "expected INCLUDE or EXCLUDE, found end of expression"),
        ('INCLUDE ItemID WHERE Items.A IN ("x") | EXCLUDE UserID WHERE Users.B IN ("y")', 48,
         "all chained expressions must filter the same target"),
    ],
)
def test_syntax_errors(expression, position, fragment):
    err = error(expression)
    assert err.position == position, str(err)
    assert fragment in str(err)
    assert str(err).startswith(f"Invalid filter expression at position {position}: ")
    assert isinstance(err, ValueError)


def test_error_message_format():
    err = error('INCLUDE ItemID WHERE Items.GENRE LIKE "x"')
    assert str(err) == "Invalid filter expression at position 33: expected IN, NOT IN, =, <, <=, > or >=, found 'LIKE'"


def test_expression_length_limit():
    head = 'INCLUDE ItemID WHERE Items.A IN ("'
    tail = '")'
    ok = head + "x" * (MAX_EXPRESSION_LENGTH - len(head) - len(tail)) + tail
    assert len(ok) == 2500
    parse_filter(ok)
    err = error(ok[:-2] + 'x")')
    assert err.position == 2500 and "2501 characters" in str(err)


def test_distinct_field_limit():
    ten = " OR ".join(f'Items.F{k} IN ("x")' for k in range(10))
    flt = parse_filter(f"INCLUDE ItemID WHERE {ten} OR Items.F0 IN (\"y\") OR Items.F9 > 3")
    assert len(flt.fields) == 10
    # The 11th distinct field fails, at its position, also when it comes from a chained expression.
    expression = f'INCLUDE ItemID WHERE {ten} | EXCLUDE ItemID WHERE Items.F10 IN ("z")'
    err = error(expression)
    assert err.position == expression.index("F10") and "at most 10 distinct dataset fields" in str(err)
    # CurrentItem.F and Items.F are the same field; CurrentUser.X is Users.X.
    nine = " AND ".join(f'Items.F{k} IN ("x")' for k in range(9))
    assert len(parse_filter(f"INCLUDE ItemID WHERE {nine} AND Items.F0 < CurrentItem.F1 IF CurrentUser.AGE > 1").fields) == 10
    expression = f"INCLUDE ItemID WHERE {nine} AND Items.F0 < CurrentItem.F1 IF CurrentUser.AGE > 1 AND CurrentUser.B = 2"
    assert error(expression).position == expression.index("B =")


def test_placeholder_name_rules():
    assert parse_filter('INCLUDE ItemID WHERE Items.A IN ($' + "N" * 50 + ")").placeholders == {"N" * 50}
    assert "longer than 50" in str(error('INCLUDE ItemID WHERE Items.A IN ($' + "N" * 51 + ")"))


# ---- evaluation: item fields -------------------------------------------------------------------
@pytest.mark.parametrize(
    "expression, expected",
    [
        ('INCLUDE ItemID WHERE Items.GENRE IN ("Comedy")', [0, 1]),  # any value of a multi-valued field; exact case
        ('INCLUDE ItemID WHERE Items.GENRE IN ("Comedy", "Horror")', [0, 1, 2]),
        ('INCLUDE ItemID WHERE Items.GENRE NOT IN ("Comedy")', [2, 3, 4, 5]),  # 3 has no GENRE: NOT IN holds
        ('INCLUDE ItemID WHERE Items.GENRE = "Drama"', [1, 4]),
        ('INCLUDE ItemID WHERE Items.GENRE IN "Drama"', [1, 4]),  # a single bare value
        ('INCLUDE ItemID WHERE Items.PRICE = 15', [1]),
        ('INCLUDE ItemID WHERE Items.PRICE = "15"', [1]),  # numeric string vs numeric field
        ('INCLUDE ItemID WHERE Items.PRICE IN ("5", 25)', [0, 2]),
        ('INCLUDE ItemID WHERE Items.PRICE < 15', [0, 4]),  # 3 has no PRICE: never matches
        ('INCLUDE ItemID WHERE Items.PRICE <= 15', [0, 1, 4]),
        ('INCLUDE ItemID WHERE Items.PRICE > 15', [2, 5]),
        ('INCLUDE ItemID WHERE Items.PRICE >= 15', [1, 2, 5]),
        ('INCLUDE ItemID WHERE Items.PRICE >= (15)', [1, 2, 5]),
        ('INCLUDE ItemID WHERE Items.PRICE > -1.5e1', [0, 1, 2, 4, 5]),
        ('INCLUDE ItemID WHERE Items.PRICE < "10.5"', [0, 4]),
        ('INCLUDE ItemID WHERE Items.CODE = 5', [0]),  # string field "05" parses as the number 5
        ('INCLUDE ItemID WHERE Items.CODE IN ("5")', []),  # two strings compare exactly
        ('INCLUDE ItemID WHERE Items.CODE > 10', [1]),  # "x" never compares
        ('INCLUDE ItemID WHERE Items.SIZES > 40', [0]),  # any value of a multi-valued field
        ('INCLUDE ItemID WHERE Items.SIZES IN ("36", "99")', [1]),
        ('INCLUDE ItemID WHERE Items.SIZES = 38', [0]),
        ('INCLUDE ItemID WHERE Items.SIZES NOT IN ("38")', [1, 2, 3, 4, 5]),
        ('INCLUDE ItemID WHERE Items.MIXED IN ("5")', [0, 1]),  # 5.0 == "5" numerically; "5" exactly
        ('INCLUDE ItemID WHERE Items.MIXED = 5', [0, 1]),
        ('INCLUDE ItemID WHERE Items.MIXED >= 5', [0, 1]),
        ('INCLUDE ItemID WHERE Items.MIXED NOT IN ("five")', [0, 1, 3, 4, 5]),
        ('INCLUDE ItemID WHERE Items.PRICE IN $P', [4]),  # a bare placeholder (values below)
        ('EXCLUDE ItemID WHERE Items.CATEGORY IN ("shoe") AND Items.DESCRIPTION NOT IN ("boot")', [0, 2, 3, 4, 5]),
        ('EXCLUDE ItemID WHERE Items.CATEGORY IN ("shoe") OR Items.PRICE > 20', [3, 4]),
        ('INCLUDE ItemID WHERE Items.CATEGORY IN ("watch") AND Items.DESCRIPTION IN ("luxury")', [2]),
    ],
)
def test_item_conditions(expression, expected):
    assert allowed(expression, {"P": ["10"]}) == expected


def test_and_binds_tighter_than_or():
    # watch OR (shoe AND price > 10) -> {2, 3} | {1}; left-to-right grouping would give {1, 2}.
    assert allowed('INCLUDE ItemID WHERE Items.CATEGORY IN ("watch") OR Items.CATEGORY IN ("shoe") '
                   'AND Items.PRICE > 10') == [1, 2, 3]
    # (shoe AND price > 10) OR hat -> {1} | {4, 5}
    assert allowed('INCLUDE ItemID WHERE Items.CATEGORY IN ("shoe") AND Items.PRICE > 10 OR '
                   'Items.CATEGORY IN ("hat")') == [1, 4, 5]
    tree = parse_filter('INCLUDE ItemID WHERE Items.A = 1 OR Items.B = 2 AND Items.C = 3 OR Items.D = 4').expressions[0].where
    assert isinstance(tree, Or) and [type(n).__name__ for n in tree.operands] == ["Condition", "And", "Condition"]


def test_candidates_subset_and_order_and_empty():
    flt = parse_filter('INCLUDE ItemID WHERE Items.PRICE > 12')
    mask = evaluate_filter(flt, np.array([5, 0, 2]), Data(), {})
    assert mask.tolist() == [True, False, True]
    assert evaluate_filter(flt, np.array([], np.int64), Data(), {}).tolist() == []


def test_unknown_entities_have_missing_values():
    assert allowed('INCLUDE ItemID WHERE Items.PRICE > 0', candidates=np.array([0, 99])) == [0]
    assert allowed('INCLUDE ItemID WHERE Items.GENRE NOT IN ("Comedy")', candidates=np.array([0, 99])) == [99]


# ---- evaluation: interactions ------------------------------------------------------------------
@pytest.mark.parametrize(
    "expression, user, expected",
    [
        ('EXCLUDE ItemID WHERE Interactions.EVENT_TYPE IN ("click")', 100, [2, 3, 4, 5]),
        ('EXCLUDE ItemID WHERE Interactions.EVENT_TYPE IN ("CLICK", "Purchase")', 100, [3, 4, 5]),  # case-insensitive
        ('INCLUDE ItemID WHERE Interactions.EVENT_TYPE IN ("click")', 100, [0, 1]),
        ('INCLUDE ItemID WHERE Interactions.EVENT_TYPE = "purchase"', 100, [2]),
        ('INCLUDE ItemID WHERE Interactions.EVENT_TYPE IN (*)', 100, [0, 1, 2]),
        ('EXCLUDE ItemID WHERE Interactions.EVENT_TYPE IN (*)', 101, [0, 1, 2, 4, 5]),
        ('INCLUDE ItemID WHERE Interactions.EVENT_TYPE NOT IN ("click")', 100, [2]),  # interacted, other types
        ('INCLUDE ItemID WHERE Interactions.EVENT_TYPE IN ("click") AND Interactions.EVENT_TYPE IN ("purchase")', 100, []),
        ('INCLUDE ItemID WHERE Interactions.EVENT_TYPE IN ("click") OR Interactions.EVENT_TYPE IN ("stream")', 100, [0, 1]),
        ('EXCLUDE ItemID WHERE Interactions.EVENT_TYPE IN ("click")', None, [0, 1, 2, 3, 4, 5]),  # no user: no events
        ('INCLUDE ItemID WHERE Interactions.EVENT_TYPE IN ("click")', None, []),
    ],
)
def test_interaction_conditions(expression, user, expected):
    assert allowed(expression, user=user) == expected


def test_interaction_placeholder_values_are_case_insensitive_and_star():
    expression = 'EXCLUDE ItemID WHERE Interactions.EVENT_TYPE IN ($EVENT_TYPE)'
    assert allowed(expression, {"EVENT_TYPE": ["Click"]}) == [2, 3, 4, 5]
    assert allowed(expression, {"EVENT_TYPE": ["*"]}) == [3, 4, 5]


def test_event_entities_is_called_once_per_dataset_and_user():
    data = Data(100)
    flt = parse_filter('INCLUDE ItemID WHERE Interactions.EVENT_TYPE IN ("click") OR Interactions.EVENT_TYPE IN ("x") '
                       '| EXCLUDE ItemID WHERE Interactions.EVENT_TYPE IN ("purchase")')
    evaluate_filter(flt, ALL_ITEMS, data, {}, 100)
    assert data.calls == [("event_entities", "Interactions", 100)]


# ---- evaluation: actions and users -------------------------------------------------------------
def test_action_filters():
    run = lambda e, v=None, user=100: allowed(e, v, user=user, candidates=ALL_ACTIONS)
    assert run('EXCLUDE ActionID WHERE Action_Interactions.EVENT_TYPE IN ("NOT_TAKEN")') == [0, 2]
    assert run('INCLUDE ActionID WHERE Action_Interactions.EVENT_TYPE IN (*)') == [0, 1]
    assert run('INCLUDE ActionID WHERE Actions.VALUE > ($VALUE)', {"VALUE": ["20"]}) == [1, 2]
    premium = 'INCLUDE ActionID WHERE Action.MEMBERSHIP_LEVEL IN ("Premium") IF CurrentUser.MEMBERSHIP = $PREMIUM'
    assert run(premium, {"PREMIUM": ["gold"]}) == [0]  # user 100 is gold: the expression applies
    assert run(premium, {"PREMIUM": ["platinum"]}) == [0, 1, 2]  # IF false: nothing filtered


def test_user_segment_filters():
    run = lambda e, v=None: allowed(e, v, user=None, candidates=ALL_USERS)
    assert run('INCLUDE UserID WHERE Users.MEMBERSHIP IN ($MEMBERSHIP)', {"MEMBERSHIP": ["gold", "silver"]}) == [100, 101]
    assert run('EXCLUDE UserID WHERE Users.AGE < $AGE', {"AGE": ["18"]}) == [101, 102, 103]
    assert run('EXCLUDE UserID WHERE Users.AGE < $AGE') == [100, 101, 102, 103]  # omitted: disabled
    assert run('INCLUDE UserID WHERE Interactions.EVENT_TYPE IN ("CLICK")') == [100]  # 102's click list is empty
    assert run('EXCLUDE UserID WHERE Interactions.EVENT_TYPE IN (*)') == [102, 103]
    assert run('INCLUDE UserID WHERE Users.MEMBERSHIP NOT IN ("gold")') == [101, 102, 103]


# ---- CurrentItem -------------------------------------------------------------------------------
def test_current_item():
    expression = 'INCLUDE ItemID WHERE Items.PRICE < CurrentItem.PRICE AND Items.GENRE IN CurrentItem.GENRE'
    assert allowed(expression, item=5) == []  # "comedy" (lower case) matches nothing else
    assert allowed('INCLUDE ItemID WHERE Items.GENRE IN CurrentItem.GENRE', item=1) == [0, 1, 4]
    assert allowed('INCLUDE ItemID WHERE Items.PRICE >= CurrentItem.PRICE', item=2) == [2, 5]
    assert allowed('INCLUDE ItemID WHERE Items.CATEGORY = CurrentItem.CATEGORY', item=3) == [2, 3]
    # Unknown current item (or missing field): IN matches nothing, NOT IN everything.
    assert allowed('INCLUDE ItemID WHERE Items.PRICE < CurrentItem.PRICE', item=None) == []
    assert allowed('INCLUDE ItemID WHERE Items.GENRE NOT IN CurrentItem.GENRE', item=3) == [0, 1, 2, 3, 4, 5]
    assert allowed('EXCLUDE ItemID WHERE Items.GENRE IN (CurrentItem.GENRE)', item=4) == [0, 2, 3, 5]


def test_current_item_known_answer_with_and():
    # item 1: PRICE 15, GENRE {Drama, Comedy}. Cheaper: 0 (5, Comedy) and 4 (10, Drama) -> both share a genre.
    assert allowed('INCLUDE ItemID WHERE Items.PRICE < CurrentItem.PRICE AND Items.GENRE IN CurrentItem.GENRE',
                   item=1) == [0, 4]


# ---- IF CurrentUser ----------------------------------------------------------------------------
def test_if_current_user():
    expression = 'INCLUDE ItemID WHERE Items.CATEGORY IN ("watch") IF CurrentUser.AGE > 18'
    assert allowed(expression, user=101) == [2, 3]  # 30 > 18: applies
    assert allowed(expression, user=100) == [0, 1, 2, 3, 4, 5]  # 17: the expression does not apply
    assert allowed(expression, user=103) == [0, 1, 2, 3, 4, 5]  # unknown AGE: condition false
    assert allowed(expression, user=None) == [0, 1, 2, 3, 4, 5]
    both = 'EXCLUDE ItemID WHERE Items.CATEGORY IN ("hat") IF CurrentUser.AGE >= 30 AND CurrentUser.MEMBERSHIP IN ("silver")'
    assert allowed(both, user=101) == [0, 1, 2, 3]
    assert allowed(both, user=102) == [0, 1, 2, 3, 4, 5]
    placeholder = 'EXCLUDE ItemID WHERE Items.GENRE IN ($GENRE) IF CurrentUser.AGE = $AGE'
    assert allowed(placeholder, {"GENRE": ["Drama"], "AGE": ["17"]}, user=100) == [0, 2, 3, 5]
    assert allowed(placeholder, {"GENRE": ["Drama"], "AGE": ["18"]}, user=100) == [0, 1, 2, 3, 4, 5]
    # EXCLUDE with the IF placeholder omitted: that IF condition is dropped, the WHERE part applies.
    assert allowed(placeholder, {"GENRE": ["Drama"]}, user=100) == [0, 2, 3, 5]


def test_if_false_drops_expression_from_chain():
    chain = ('INCLUDE ItemID WHERE Items.CATEGORY IN ("watch") IF CurrentUser.AGE > 18 | '
             'INCLUDE ItemID WHERE Items.CATEGORY IN ("hat")')
    assert allowed(chain, user=101) == [2, 3, 4, 5]
    assert allowed(chain, user=100) == [4, 5]


# ---- placeholders ------------------------------------------------------------------------------
def test_include_requires_every_placeholder():
    expression = 'INCLUDE ItemID WHERE Items.GENRE IN ($GENRE) AND Items.PRICE <= $PRICE IF CurrentUser.AGE > $AGE'
    with pytest.raises(MissingFilterValues) as info:
        allowed(expression, {"PRICE": ["20"]})
    assert info.value.names == ["AGE", "GENRE"]
    assert "$AGE, $GENRE" in str(info.value) and isinstance(info.value, ValueError)
    with pytest.raises(MissingFilterValues):
        allowed(expression, {"genre": ["Comedy"], "PRICE": ["20"], "AGE": ["1"]})  # names are case-sensitive
    assert allowed(expression, {"GENRE": ["Comedy", "Drama"], "PRICE": ["12"], "AGE": ["1"]}) == [0, 4]


def test_include_placeholder_checked_even_when_chained_with_exclude():
    expression = 'INCLUDE ItemID WHERE Items.GENRE IN ($GENRE) | EXCLUDE ItemID WHERE Items.PRICE > $MAX'
    with pytest.raises(MissingFilterValues) as info:
        allowed(expression, {"MAX": ["3"]})
    assert info.value.names == ["GENRE"]
    assert allowed(expression, {"GENRE": ["Drama"]}) == [1, 4]  # EXCLUDE disabled
    assert allowed(expression, {"GENRE": ["Drama"], "MAX": ["12"]}) == [4]


def test_exclude_omitted_placeholder_disables_its_condition():
    expression = 'EXCLUDE ItemID WHERE Items.GENRE IN ($GENRE) AND Items.PRICE > $PRICE'
    assert allowed(expression, {"GENRE": ["Drama"], "PRICE": ["12"]}) == [0, 2, 3, 4, 5]
    assert allowed(expression, {"GENRE": ["Drama"]}) == [0, 2, 3, 5]  # only the GENRE part
    assert allowed(expression, {"PRICE": ["20"]}) == [0, 1, 3, 4]  # only the PRICE part
    assert allowed(expression, {}) == [0, 1, 2, 3, 4, 5]  # whole expression disabled
    assert allowed('EXCLUDE ItemID WHERE Items.GENRE IN ($GENRE) OR Items.PRICE > 20', {}) == [0, 1, 3, 4]


def test_extra_values_are_ignored_and_values_may_be_numbers():
    assert allowed('INCLUDE ItemID WHERE Items.PRICE = $P', {"P": ["25"], "OTHER": ["x"]}) == [2]


# ---- chaining ----------------------------------------------------------------------------------
def test_chaining_semantics():
    a = 'INCLUDE ItemID WHERE Items.CATEGORY IN ("shoe")'  # {0, 1}
    b = 'INCLUDE ItemID WHERE Interactions.EVENT_TYPE IN ("purchase")'  # {2}
    c = 'EXCLUDE ItemID WHERE Interactions.EVENT_TYPE IN ("click")'  # {0, 1}
    d = 'EXCLUDE ItemID WHERE Items.PRICE > 20'  # {2, 5}
    assert allowed(f"{a} | {b}") == [0, 1, 2]  # union of includes
    assert allowed(f"{c} | {d}") == [3, 4]  # union of exclusions
    assert allowed(f"{a} | {b} | {c} | {d}") == []  # (A or B) - (C or D)
    assert allowed(f"{d} | {a} | {c} | {b}") == []  # order irrelevant
    e = 'INCLUDE ItemID WHERE Items.CATEGORY IN ("hat")'  # {4, 5}
    assert allowed(f"{e} | {d}") == [4]
    assert allowed(f"{d} | {e}") == [4]
    assert allowed('INCLUDE ItemID WHERE Items.GENRE IN ($G) | EXCLUDE ItemID WHERE Interactions.EVENT_TYPE IN ("click", "stream")',
                   {"G": ["Comedy", "Drama"]}) == [4]


# ---- filterValues ------------------------------------------------------------------------------
def test_parse_filter_values():
    assert parse_filter_values({"GENRES": '"Comedy","Drama"'}) == {"GENRES": ["Comedy", "Drama"]}
    assert parse_filter_values({"G": ' "a" , "b,c" ', "P": "10", "N": "-2.5", "M": '"x", 3'}) == {
        "G": ["a", "b,c"], "P": ["10"], "N": ["-2.5"], "M": ["x", "3"]}
    assert parse_filter_values({"Q": '"say \\"hi\\"","back\\\\slash"'}) == {"Q": ['say "hi"', "back\\slash"]}
    assert parse_filter_values({"E": '""'}) == {"E": [""]}
    assert parse_filter_values(None) == {}
    assert parse_filter_values({}) == {}
    assert parse_filter_values({f"K{k}": '"v"' for k in range(25)})["K24"] == ["v"]
    assert parse_filter_values({"A" * 50: '"' + "v" * 998 + '"'})["A" * 50] == ["v" * 998]


@pytest.mark.parametrize(
    "values, fragment",
    [
        ({"G": "Comedy"}, "value 'Comedy' is not double-quoted"),
        ({"G": '"Comedy",Drama'}, "value 'Drama' is not double-quoted"),
        ({"G": '"a" "b"'}, "expected ',' between values"),
        ({"G": '"a",'}, "expected a value"),
        ({"G": '"abc'}, "unterminated string"),
        ({"COUNTRY": '"United States""'}, "at position 15: expected ',' between values, found '\"'"),
        ({"G": ""}, "the value is empty"),
        ({"G": "  "}, "the value is empty"),
        ({"G": "10x"}, "not double-quoted"),
        ({"$G": '"a"'}, "is not a placeholder name"),
        ({"A" * 51: '"a"'}, "is not a placeholder name"),
        ({"G": 3}, "must be a string"),
        ({"G": '"' + "v" * 999 + '"'}, "1001 characters long; at most 1000"),
        ({f"K{k}": '"v"' for k in range(26)}, "26 keys; at most 25"),
    ],
)
def test_parse_filter_values_errors(values, fragment):
    with pytest.raises(ValueError) as info:
        parse_filter_values(values)
    assert fragment in str(info.value)


def test_parse_filter_values_round_trip_into_evaluation():
    values = parse_filter_values({"GENRE": '"Horror","Drama"', "PRICE": "20"})
    assert allowed('INCLUDE ItemID WHERE Items.GENRE IN ($GENRE) AND Items.PRICE < $PRICE', values) == [1, 4]


# ---- speed -------------------------------------------------------------------------------------
class BigData:
    """2,000 items with precomputed columns (the filter's own cost is what is measured)."""

    def __init__(self, n: int) -> None:
        rng = np.random.default_rng(0)
        genres = ["Comedy", "Drama", "Horror", "Action", "Romance", "Documentary"]
        self.columns = {
            "GENRE": [set(rng.choice(genres, size=rng.integers(1, 3), replace=False).tolist()) for _ in range(n)],
            "PRICE": [float(p) for p in rng.integers(1, 100, n)],
            "CATEGORY": [f"c{k}" for k in rng.integers(0, 40, n)],
        }
        self.events = {"click": rng.choice(n, 100, replace=False), "purchase": rng.choice(n, 30, replace=False)}

    def field_values(self, dataset, field, codes):
        column = self.columns[field]
        return [column[c] for c in codes.tolist()]

    def event_entities(self, dataset, user_code):
        return self.events

    def current_user(self, field):
        return 30.0

    def current_item(self, field):
        return None


def test_evaluation_speed_on_2000_items():
    data = BigData(2000)
    flt = parse_filter('INCLUDE ItemID WHERE Items.GENRE IN ($GENRE) AND Items.PRICE <= $PRICE OR '
                       'Items.CATEGORY NOT IN ("c1", "c2") IF CurrentUser.AGE > 18 | '
                       'EXCLUDE ItemID WHERE Interactions.EVENT_TYPE IN ("click", "purchase")')
    values = parse_filter_values({"GENRE": '"Comedy","Drama"', "PRICE": "50"})
    candidates = np.arange(2000)
    best = float("inf")
    for _ in range(5):
        start = time.perf_counter()
        mask = evaluate_filter(flt, candidates, data, values, user=1)
        best = min(best, time.perf_counter() - start)
    assert not mask[data.events["click"]].any()
    expected = np.array([
        ((bool(g & {"Comedy", "Drama"}) and p <= 50) or c not in ("c1", "c2"))
        for g, p, c in zip(data.columns["GENRE"], data.columns["PRICE"], data.columns["CATEGORY"])
    ])
    expected[np.concatenate(list(data.events.values()))] = False
    assert (mask == expected).all()
    assert best < 0.01, f"filter evaluation took {best * 1000:.1f} ms"  # about 1.5 ms measured
