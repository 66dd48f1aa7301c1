"""The Amazon Personalize filter expression language: tokenizer -> parser -> tree -> evaluator.

Pure Python + numpy; nothing here knows about moto, boto or the backend's tables. The caller
hands the evaluator its data through the small :class:`FilterData` protocol.

Public API
----------
- :func:`parse_filter` -- text -> :class:`Filter` (raises :class:`FilterSyntaxError`, a
  ``ValueError`` whose ``position`` is the 0-based character offset of the problem).
- :func:`parse_filter_values` -- the runtime ``filterValues`` map (``{"GENRES":
  "\\"Comedy\\",\\"Drama\\""}``) -> ``{"GENRES": ["Comedy", "Drama"]}`` (raises ``ValueError``).
- :meth:`Filter.allowed` -- boolean mask over candidate entity codes (raises
  :class:`MissingFilterValues` when an INCLUDE expression lacks a placeholder value).
- :class:`Filter` attributes: ``target`` ("ItemID" | "UserID" | "ActionID"), ``placeholders``
  (names without ``$``), ``required_placeholders`` (those used by INCLUDE expressions),
  ``fields`` (set of ``(dataset, FIELD)``; ``CurrentItem.X`` counts as ``("Items", "X")`` and
  ``CurrentUser.X`` as ``("Users", "X")``), ``uses_current_item``, ``expressions`` (the tree).

Grammar (keywords, targets and dataset names are case-insensitive; field names are
upper-cased; placeholder names are case-sensitive)::

    filter      := expression ( "|" expression )* END
    expression  := ( INCLUDE | EXCLUDE ) ( ItemID | UserID | ActionID ) WHERE or_cond [ if_clause ]
    or_cond     := and_cond ( OR and_cond )*          -- AND binds tighter than OR (*)
    and_cond    := condition ( AND condition )*
    condition   := Dataset "." FIELD operator operand
    if_clause   := IF user_cond ( AND user_cond )*    -- once, at the end of an expression
    user_cond   := CurrentUser "." FIELD operator operand
    operator    := IN | NOT IN | "=" | "<" | "<=" | ">" | ">="
    operand     := "(" value ( "," value )* ")" | value   -- a comparison takes exactly one value
    value       := STRING | NUMBER | $NAME | "*" | CurrentItem "." FIELD

(*) The guide does not say how AND and OR group; the usual convention is used (AND first, then
left to right). Parentheses only enclose value lists -- they cannot group conditions. ``!=`` /
``<>`` are not operators. STRING is double-quoted, a backslash escapes the next character;
NUMBER is ``-?digits[.digits][e[+-]digits]``.

- Datasets: ``Items``, ``Users``, ``Actions``, ``Interactions``, ``Action_Interactions``
  (``Action`` is accepted for ``Actions``: one of the guide's examples spells it so).
  ItemID expressions use Items or Interactions; ActionID expressions use Actions or
  Action_Interactions; UserID expressions (user segments) use Users or Interactions ("users who
  clicked"). Every condition of one expression uses the dataset of its first condition --
  combining Interactions and Items needs two expressions chained with ``|``.
- Interactions / Action_Interactions conditions only use ``EVENT_TYPE`` with IN, NOT IN or
  ``=``; ``*`` (all event types) is only valid there.
- ``CurrentItem.FIELD`` is only a value, only in ItemID expressions, only against Items fields.
  ``CurrentUser`` only appears in the trailing IF clause (not in UserID expressions).
- ``<``, ``<=``, ``>``, ``>=`` need a number (a literal, a numeric string, a placeholder or
  ``CurrentItem.FIELD``). A placeholder or ``CurrentItem`` value must be alone in its list.
  Placeholders cannot be used with NOT IN.
- Chaining: INCLUDE results are united, EXCLUDE results are united, and the filter allows
  ``(union of INCLUDEs, or everything when there is none) - (union of EXCLUDEs)``.
- Limits: expression <= 2500 characters, <= 10 distinct dataset fields, placeholder names
  ``[A-Za-z0-9_]{1,50}`` (the runtime key format).

Evaluation semantics
--------------------
- Strings match exactly (case-sensitive); only EVENT_TYPE matching ignores case.
- A multi-valued categorical field (a ``set``) matches IN / ``=`` when any of its values does,
  and matches a comparison when any of its (numeric) values does.
- Numbers: a numeric field value (float) equals a string operand that parses as the same number
  (``"5"`` = 5.0); a string field value equals a number literal when it parses as that number.
  Two strings are only compared as strings. Comparisons are numeric only; a value that does not
  parse as a number never satisfies ``<`` etc. With several right-hand values (a placeholder
  given ``"1","5"``, a multi-valued ``CurrentItem`` field) a comparison holds if it holds for any.
- A missing value (``None``) never satisfies IN, ``=`` or a comparison. **NOT IN is the exact
  complement of IN**, so an entity with no value *is* NOT IN any list (the guide's "items in the
  shoe category that do not have a description of boot" reading). The same holds for IF
  conditions and for an unknown ``CurrentItem`` value (an empty list: IN matches nothing, NOT IN
  matches everything).
- Interactions conditions on an ItemID / ActionID filter select the entities that the request's
  user has interacted with (as returned by ``FilterData.event_entities``, which applies the
  most-recent limits) with a matching event type; NOT IN selects those interacted with under
  any *other* event type. On a UserID filter they select the candidate users who have such
  interactions (``event_entities`` is then called once per candidate user). No user => no
  interactions. ``event_entities`` is called at most once per (dataset, user) per evaluation.
- Placeholders: every placeholder of an INCLUDE expression needs a value (else
  :class:`MissingFilterValues` naming all of them). In an EXCLUDE expression a condition whose
  placeholder has no value is dropped (``A AND <dropped>`` = ``A``); when every condition of its
  WHERE part is dropped the expression excludes nothing. A dropped IF condition is likewise
  removed from the IF conjunction. Values for unknown placeholder names are ignored.
- IF: when the CurrentUser conditions are false the expression does not take part at all (an
  INCLUDE then restricts nothing; in a chain only the remaining expressions count).
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, field
from typing import Any, Protocol

import numpy as np

__all__ = [
    "MAX_EXPRESSION_LENGTH",
    "MAX_FILTER_FIELDS",
    "MAX_FILTER_VALUES",
    "MAX_FILTER_VALUE_LENGTH",
    "AllEvents",
    "And",
    "Condition",
    "CurrentItemRef",
    "Expression",
    "Filter",
    "FilterData",
    "FilterSyntaxError",
    "Literal",
    "MissingFilterValues",
    "Or",
    "Placeholder",
    "parse_filter",
    "parse_filter_values",
]

MAX_EXPRESSION_LENGTH = 2500
MAX_FILTER_FIELDS = 10
MAX_FILTER_VALUES = 25
MAX_FILTER_VALUE_LENGTH = 1000
MAX_PLACEHOLDER_NAME = 50

INCLUDE, EXCLUDE = "INCLUDE", "EXCLUDE"
ITEM_ID, USER_ID, ACTION_ID = "ItemID", "UserID", "ActionID"
ITEMS, USERS, ACTIONS = "Items", "Users", "Actions"
INTERACTIONS, ACTION_INTERACTIONS = "Interactions", "Action_Interactions"
CURRENT_ITEM, CURRENT_USER = "CurrentItem", "CurrentUser"
EVENT_TYPE = "EVENT_TYPE"
IN, NOT_IN = "IN", "NOT IN"
COMPARISONS = ("<", "<=", ">", ">=")
OPERATORS_TEXT = "IN, NOT IN, =, <, <=, > or >="

_TARGETS = {t.lower(): t for t in (ITEM_ID, USER_ID, ACTION_ID)}
_DATASETS = {
    d.lower(): d
    for d in (ITEMS, USERS, ACTIONS, INTERACTIONS, ACTION_INTERACTIONS, CURRENT_ITEM, CURRENT_USER)
}
_DATASETS["action"] = ACTIONS  # spelled so in one of the guide's examples
_EVENT_DATASETS = (INTERACTIONS, ACTION_INTERACTIONS)
_ALLOWED_DATASETS = {
    ITEM_ID: (ITEMS, INTERACTIONS),
    ACTION_ID: (ACTIONS, ACTION_INTERACTIONS),
    USER_ID: (USERS, INTERACTIONS),
}
_UNFILTERABLE = {
    ACTIONS: {"EXPIRATION_TIMESTAMP", "ACTION_EXPIRATION_TIMESTAMP", "REPEAT_FREQUENCY"},
}
_NUMBER_RE = re.compile(r"[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?")
_PLACEHOLDER_NAME_RE = re.compile(r"[A-Za-z0-9_]+")


# ---------------------------------------------------------------------------------------------
# Errors and the data protocol
# ---------------------------------------------------------------------------------------------
class FilterSyntaxError(ValueError):
    """An invalid filter expression. ``position`` is the 0-based character offset."""

    def __init__(self, reason: str, position: int) -> None:
        self.reason = reason
        self.position = position
        super().__init__(f"Invalid filter expression at position {position}: {reason}")


class MissingFilterValues(ValueError):
    """INCLUDE expressions need a value for every placeholder; ``names`` lists the missing ones."""

    def __init__(self, names: list[str]) -> None:
        self.names = list(names)
        listed = ", ".join(f"${n}" for n in self.names)
        super().__init__(
            f"Missing filter values for placeholder parameter(s) {listed}: an INCLUDE expression "
            "needs a value for every placeholder."
        )


class FilterData(Protocol):
    """What the evaluator needs from the caller's dataset group (see the module docstring)."""

    def field_values(self, dataset: str, field: str, codes: np.ndarray) -> list[Any]:
        """One value per entity code of ``dataset`` ("Items"/"Users"/"Actions"): ``None`` when
        missing, a ``set[str]`` for multi-valued categoricals, a ``str``, or a ``float``."""
        ...

    def event_entities(self, dataset: str, user_code: int | None) -> dict[str, np.ndarray]:
        """For "Interactions"/"Action_Interactions": lower-cased event type -> entity codes of the
        user's latest interactions (most-recent limits already applied)."""
        ...

    def current_user(self, field: str) -> Any:
        """The request user's ``field`` value (``None`` when unknown)."""
        ...

    def current_item(self, field: str) -> Any:
        """The request item's ``field`` value (``None`` when unknown)."""
        ...


# ---------------------------------------------------------------------------------------------
# Tokenizer
# ---------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class _Token:
    kind: str  # WORD STRING NUMBER PLACEHOLDER ( ) , . | * OP END
    text: str  # source text
    value: Any  # decoded string / float / placeholder name / upper-cased word
    position: int

    def describe(self) -> str:
        return "end of expression" if self.kind == "END" else repr(self.text)


def _tokenize(text: str) -> list[_Token]:
    tokens: list[_Token] = []
    i, n = 0, len(text)
    while i < n:
        ch = text[i]
        if ch.isspace():
            i += 1
        elif ch.isalpha() or ch == "_":
            j = i + 1
            while j < n and (text[j].isalnum() or text[j] == "_"):
                j += 1
            tokens.append(_Token("WORD", text[i:j], text[i:j].upper(), i))
            i = j
        elif ch == '"':
            value, j = _read_string(text, i, FilterSyntaxError)
            tokens.append(_Token("STRING", text[i:j], value, i))
            i = j
        elif ch.isdigit() or (ch == "-" and i + 1 < n and (text[i + 1].isdigit() or text[i + 1] == ".")):
            match = _NUMBER_RE.match(text, i)
            if match is None:
                raise FilterSyntaxError(f"invalid number starting with {ch!r}", i)
            tokens.append(_Token("NUMBER", match.group(), float(match.group()), i))
            i = match.end()
        elif ch == "$":
            j = i + 1
            while j < n and (text[j].isalnum() or text[j] == "_") and text[j].isascii():
                j += 1
            name = text[i + 1 : j]
            if not name:
                raise FilterSyntaxError("expected a placeholder name after '$'", i)
            if len(name) > MAX_PLACEHOLDER_NAME:
                raise FilterSyntaxError(
                    f"placeholder name ${name[:20]}... is longer than {MAX_PLACEHOLDER_NAME} characters", i
                )
            tokens.append(_Token("PLACEHOLDER", text[i:j], name, i))
            i = j
        elif text.startswith(("<=", ">=", "!=", "<>"), i):
            tokens.append(_Token("OP", text[i : i + 2], text[i : i + 2], i))
            i += 2
        elif ch in "<>=":
            tokens.append(_Token("OP", ch, ch, i))
            i += 1
        elif ch in "(),.|*":
            tokens.append(_Token(ch, ch, ch, i))
            i += 1
        else:
            raise FilterSyntaxError(f"unexpected character {ch!r}", i)
    tokens.append(_Token("END", "", None, n))
    return tokens


def _read_string(text: str, start: int, error: Any) -> tuple[str, int]:
    """Decode the double-quoted string at ``text[start]``; backslash escapes the next character.
    Returns (value, index after the closing quote)."""
    out: list[str] = []
    i, n = start + 1, len(text)
    while i < n:
        ch = text[i]
        if ch == "\\":
            if i + 1 >= n:
                break
            out.append(text[i + 1])
            i += 2
        elif ch == '"':
            return "".join(out), i + 1
        else:
            out.append(ch)
            i += 1
    raise error("unterminated string (missing closing '\"')", start)


# ---------------------------------------------------------------------------------------------
# Tree
# ---------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Literal:
    """A quoted string (``value`` is str) or a number (``value`` is float, ``text`` as written)."""

    value: str | float
    text: str
    position: int


@dataclass(frozen=True)
class Placeholder:
    name: str
    position: int


@dataclass(frozen=True)
class AllEvents:
    """``*``: every event type."""

    position: int


@dataclass(frozen=True)
class CurrentItemRef:
    field: str
    position: int


Value = Literal | Placeholder | AllEvents | CurrentItemRef


@dataclass(frozen=True)
class Condition:
    dataset: str  # Items Users Actions Interactions Action_Interactions CurrentUser
    field: str  # upper-cased
    operator: str  # IN, NOT IN, =, <, <=, >, >=
    values: tuple[Value, ...]
    position: int


@dataclass(frozen=True)
class And:
    operands: tuple[Node, ...]


@dataclass(frozen=True)
class Or:
    operands: tuple[Node, ...]


Node = Condition | And | Or


@dataclass(frozen=True)
class Expression:
    action: str  # INCLUDE | EXCLUDE
    target: str  # ItemID | UserID | ActionID
    where: Node
    condition_if: tuple[Condition, ...]  # CurrentUser conditions, AND-ed; empty when no IF
    position: int  # of INCLUDE/EXCLUDE
    target_position: int

    @property
    def dataset(self) -> str:
        """The dataset of the WHERE conditions."""
        node = self.where
        while not isinstance(node, Condition):
            node = node.operands[0]
        return node.dataset

    def conditions(self) -> list[Condition]:
        out: list[Condition] = []

        def walk(node: Node) -> None:
            if isinstance(node, Condition):
                out.append(node)
            else:
                for child in node.operands:
                    walk(child)

        walk(self.where)
        out.extend(self.condition_if)
        return out

    def placeholders(self) -> list[str]:
        return [v.name for c in self.conditions() for v in c.values if isinstance(v, Placeholder)]

    # -- evaluation ----------------------------------------------------------------------------
    def evaluate(self, ctx: _Context) -> np.ndarray | None:
        """Mask of entities selected by this expression, or None when it does not take part
        (IF false, or every condition dropped for lack of placeholder values)."""
        for cond in self.condition_if:
            operands = ctx.operands(cond)
            if operands is None:  # EXCLUDE with an omitted placeholder: condition dropped
                continue
            if not _Matcher(cond.operator, operands).test(ctx.data.current_user(cond.field)):
                return None
        return ctx.node(self.where)


@dataclass(frozen=True)
class Filter:
    """A parsed filter: one or more expressions chained with ``|``."""

    expression: str
    target: str
    expressions: tuple[Expression, ...]
    placeholders: frozenset[str]
    required_placeholders: frozenset[str]
    fields: frozenset[tuple[str, str]]
    uses_current_item: bool = field(default=False)

    def missing_values(self, values: dict[str, list[str]] | None) -> list[str]:
        """Placeholders of INCLUDE expressions without a value in ``values`` (sorted)."""
        values = values or {}
        return sorted(name for name in self.required_placeholders if name not in values)

    def allowed(
        self,
        candidates: np.ndarray,
        data: FilterData,
        values: dict[str, list[str]] | None = None,
        user: int | None = None,
    ) -> np.ndarray:
        """Boolean mask over ``candidates`` (entity codes of the filter's target): True where the
        filter lets the entity through. ``user`` is the request user's code (for Interactions
        conditions on item/action filters). Raises :class:`MissingFilterValues`."""
        values = values or {}
        missing = self.missing_values(values)
        if missing:
            raise MissingFilterValues(missing)
        candidates = np.asarray(candidates).ravel()
        ctx = _Context(self.target, candidates, data, values, user)
        include: np.ndarray | None = None
        exclude: np.ndarray | None = None
        for expr in self.expressions:
            mask = expr.evaluate(ctx)
            if mask is None:
                continue
            if expr.action == INCLUDE:
                include = mask if include is None else include | mask
            else:
                exclude = mask if exclude is None else exclude | mask
        result = np.ones(len(candidates), bool) if include is None else include.copy()
        if exclude is not None:
            result &= ~exclude
        return result


# ---------------------------------------------------------------------------------------------
# Parser
# ---------------------------------------------------------------------------------------------
class _Parser:
    def __init__(self, text: str) -> None:
        self.text = text
        self.tokens = _tokenize(text)
        self.i = 0
        self.fields: dict[tuple[str, str], int] = {}  # insertion-ordered
        self.uses_current_item = False

    # -- token helpers -------------------------------------------------------------------------
    @property
    def tok(self) -> _Token:
        return self.tokens[self.i]

    def advance(self) -> _Token:
        token = self.tokens[self.i]
        if token.kind != "END":
            self.i += 1
        return token

    def is_word(self, *words: str) -> bool:
        return self.tok.kind == "WORD" and self.tok.value in words

    def fail(self, expected: str, token: _Token | None = None, hint: str = "") -> FilterSyntaxError:
        token = token or self.tok
        reason = f"expected {expected}, found {token.describe()}"
        return FilterSyntaxError(reason + (f"; {hint}" if hint else ""), token.position)

    def expect_word(self, word: str, expected: str | None = None) -> _Token:
        if not self.is_word(word):
            raise self.fail(expected or word)
        return self.advance()

    # -- grammar -------------------------------------------------------------------------------
    def parse(self) -> Filter:
        expressions = [self.expression()]
        while self.tok.kind == "|":
            self.advance()
            expr = self.expression()
            if expr.target != expressions[0].target:
                raise FilterSyntaxError(
                    f"all chained expressions must filter the same target; the first filters "
                    f"{expressions[0].target}, this one {expr.target}",
                    expr.target_position,
                )
            expressions.append(expr)
        if self.tok.kind != "END":
            hint = "an expression can have only one IF clause" if self.is_word("IF") else ""
            raise self.fail("AND, '|' or end of expression" if expressions[-1].condition_if
                            else "AND, OR, IF, '|' or end of expression", hint=hint)
        placeholders = frozenset(n for e in expressions for n in e.placeholders())
        required = frozenset(n for e in expressions if e.action == INCLUDE for n in e.placeholders())
        return Filter(
            expression=self.text,
            target=expressions[0].target,
            expressions=tuple(expressions),
            placeholders=placeholders,
            required_placeholders=required,
            fields=frozenset(self.fields),
            uses_current_item=self.uses_current_item,
        )

    def expression(self) -> Expression:
        start = self.tok
        if not self.is_word(INCLUDE, EXCLUDE):
            raise self.fail("INCLUDE or EXCLUDE")
        action = self.advance().value
        if self.tok.kind != "WORD" or self.tok.value.lower() not in _TARGETS:
            raise self.fail("ItemID, UserID or ActionID")
        target_token = self.advance()
        target = _TARGETS[target_token.value.lower()]
        self.expect_word("WHERE")
        where, _ = self.or_cond(target)
        condition_if: list[Condition] = []
        if self.is_word("IF"):
            if_token = self.advance()
            if target == USER_ID:
                raise FilterSyntaxError(
                    "IF CurrentUser conditions can only be used in ItemID and ActionID expressions",
                    if_token.position,
                )
            condition_if.append(self.user_condition(target))
            while self.is_word("AND"):
                self.advance()
                condition_if.append(self.user_condition(target))
        return Expression(action, target, where, tuple(condition_if), start.position, target_token.position)

    def or_cond(self, target: str, dataset: str | None = None) -> tuple[Node, str]:
        node, dataset = self.and_cond(target, dataset)
        operands = [node]
        while self.is_word("OR"):
            self.advance()
            node, dataset = self.and_cond(target, dataset)
            operands.append(node)
        return (operands[0] if len(operands) == 1 else Or(tuple(operands))), dataset

    def and_cond(self, target: str, dataset: str | None) -> tuple[Node, str]:
        cond = self.condition(target, dataset)
        dataset = cond.dataset
        operands: list[Node] = [cond]
        while self.is_word("AND"):
            self.advance()
            operands.append(self.condition(target, dataset))
        return (operands[0] if len(operands) == 1 else And(tuple(operands))), dataset

    def dataset_field(self) -> tuple[str, str, _Token, _Token]:
        """``Dataset.FIELD`` -> (canonical dataset, FIELD, dataset token, field token)."""
        token = self.tok
        if token.kind != "WORD":
            hint = "parentheses cannot group conditions" if token.kind == "(" else ""
            raise self.fail("a dataset field such as Items.GENRE", hint=hint)
        if token.value.lower() not in _DATASETS:
            raise FilterSyntaxError(
                f"unknown dataset {token.text!r}; expected Items, Users, Actions, Interactions "
                "or Action_Interactions",
                token.position,
            )
        self.advance()
        if self.tok.kind != ".":
            raise self.fail(f"'.' and a field name after {token.text}")
        self.advance()
        field_token = self.tok
        if field_token.kind != "WORD":
            raise self.fail("a field name")
        self.advance()
        return _DATASETS[token.value.lower()], field_token.value, token, field_token

    def add_field(self, dataset: str, name: str, position: int) -> None:
        key = (dataset, name)
        if key not in self.fields:
            if len(self.fields) >= MAX_FILTER_FIELDS:
                raise FilterSyntaxError(
                    f"a filter can use at most {MAX_FILTER_FIELDS} distinct dataset fields; "
                    f"{dataset}.{name} would be number {len(self.fields) + 1}",
                    position,
                )
            self.fields[key] = position

    def condition(self, target: str, dataset: str | None) -> Condition:
        ds, name, ds_token, field_token = self.dataset_field()
        if ds == CURRENT_USER:
            raise FilterSyntaxError(
                "CurrentUser can only be used in the IF clause at the end of an expression",
                ds_token.position,
            )
        if ds == CURRENT_ITEM:
            raise FilterSyntaxError(
                "CurrentItem can only be used as a value, e.g. Items.GENRE IN CurrentItem.GENRE",
                ds_token.position,
            )
        if ds not in _ALLOWED_DATASETS[target]:
            allowed = " or ".join(_ALLOWED_DATASETS[target])
            raise FilterSyntaxError(
                f"{target} expressions can only use {allowed} conditions, not {ds}"
                + ("; use IF CurrentUser.<field> for user conditions" if ds == USERS else ""),
                ds_token.position,
            )
        if dataset is not None and ds != dataset:
            raise FilterSyntaxError(
                f"all conditions of an expression must use the {dataset} dataset of its first "
                f"condition, found {ds}; chain expressions with '|' to combine datasets",
                ds_token.position,
            )
        if ds in _EVENT_DATASETS and name != EVENT_TYPE:
            raise FilterSyntaxError(
                f"{ds} conditions can only use the EVENT_TYPE field, found {field_token.text!r}",
                field_token.position,
            )
        if name in _UNFILTERABLE.get(ds, ()):
            raise FilterSyntaxError(f"{ds}.{field_token.text} cannot be used in a filter", field_token.position)
        self.add_field(ds, name, field_token.position)
        operator, op_token = self.operator()
        if ds in _EVENT_DATASETS and operator in COMPARISONS:
            raise FilterSyntaxError(
                f"{ds}.EVENT_TYPE can only be compared with IN, NOT IN or =", op_token.position
            )
        values = self.operand(operator, target, ds)
        return Condition(ds, name, operator, values, ds_token.position)

    def user_condition(self, target: str) -> Condition:
        token = self.tok
        if not (token.kind == "WORD" and token.value.lower() == CURRENT_USER.lower()):
            raise self.fail("CurrentUser.<field> (IF conditions only test the current user)")
        _, name, ds_token, field_token = self.dataset_field()
        self.add_field(USERS, name, field_token.position)
        operator, _ = self.operator()
        values = self.operand(operator, target, CURRENT_USER)
        return Condition(CURRENT_USER, name, operator, values, ds_token.position)

    def operator(self) -> tuple[str, _Token]:
        token = self.tok
        if self.is_word("IN"):
            self.advance()
            return IN, token
        if self.is_word("NOT"):
            self.advance()
            if not self.is_word("IN"):
                raise self.fail("IN after NOT")
            self.advance()
            return NOT_IN, token
        if token.kind == "OP" and token.value in ("=", *COMPARISONS):
            self.advance()
            return token.value, token
        raise self.fail(OPERATORS_TEXT)

    def operand(self, operator: str, target: str, dataset: str) -> tuple[Value, ...]:
        is_list = operator in (IN, NOT_IN)
        if self.tok.kind == "(":
            self.advance()
            values = [self.value(operator, target, dataset)]
            while self.tok.kind == ",":
                comma = self.advance()
                if not is_list:
                    raise FilterSyntaxError(f"operator {operator} takes a single value", comma.position)
                values.append(self.value(operator, target, dataset))
            if self.tok.kind != ")":
                raise self.fail("',' or ')'" if is_list else "')'")
            self.advance()
        else:
            values = [self.value(operator, target, dataset)]
        if len(values) > 1:
            for v in values:
                if isinstance(v, (Placeholder, CurrentItemRef)):
                    kind = "a placeholder" if isinstance(v, Placeholder) else "a CurrentItem value"
                    raise FilterSyntaxError(f"{kind} must be the only value in its list", v.position)
        return tuple(values)

    def value(self, operator: str, target: str, dataset: str) -> Value:
        token = self.tok
        comparison = operator in COMPARISONS
        if token.kind == "STRING":
            self.advance()
            if comparison and not _NUMBER_RE.fullmatch(token.value.strip()):
                raise FilterSyntaxError(f"operator {operator} needs a number, found {token.text}", token.position)
            return Literal(token.value, token.value, token.position)
        if token.kind == "NUMBER":
            self.advance()
            return Literal(token.value, token.text, token.position)
        if token.kind == "PLACEHOLDER":
            if operator == NOT_IN:
                raise FilterSyntaxError("placeholders cannot be used with NOT IN", token.position)
            self.advance()
            return Placeholder(token.value, token.position)
        if token.kind == "*":
            if dataset not in _EVENT_DATASETS:
                raise FilterSyntaxError(
                    "'*' (all event types) can only be used with Interactions.EVENT_TYPE or "
                    "Action_Interactions.EVENT_TYPE",
                    token.position,
                )
            self.advance()
            return AllEvents(token.position)
        if token.kind == "WORD" and token.value.lower() == CURRENT_ITEM.lower():
            if target != ITEM_ID:
                raise FilterSyntaxError("CurrentItem can only be used in ItemID expressions", token.position)
            if dataset != ITEMS:
                raise FilterSyntaxError("CurrentItem values can only be compared with Items fields", token.position)
            _, name, _, field_token = self.dataset_field()
            self.add_field(ITEMS, name, field_token.position)
            self.uses_current_item = True
            return CurrentItemRef(name, token.position)
        raise self.fail("a quoted string, a number or a $placeholder")


def parse_filter(expression: str) -> Filter:
    """Parse and check a filter expression (see the module docstring for the grammar)."""
    if not isinstance(expression, str):
        raise FilterSyntaxError("the filter expression must be a string", 0)
    if len(expression) > MAX_EXPRESSION_LENGTH:
        raise FilterSyntaxError(
            f"the expression is {len(expression)} characters long; at most {MAX_EXPRESSION_LENGTH} are allowed",
            MAX_EXPRESSION_LENGTH,
        )
    return _Parser(expression).parse()


# ---------------------------------------------------------------------------------------------
# Runtime filter values
# ---------------------------------------------------------------------------------------------
class _ValueFormatError(ValueError):
    def __init__(self, reason: str, position: int) -> None:
        super().__init__(reason, position)
        self.reason, self.position = reason, position


def parse_filter_values(values: dict[str, str] | None) -> dict[str, list[str]]:
    """``{"GENRES": "\\"Comedy\\",\\"Drama\\""}`` -> ``{"GENRES": ["Comedy", "Drama"]}``.

    Each value is a comma-separated list of double-quoted strings (backslash escapes the next
    character) or bare numbers (kept as their text). At most 25 keys; keys ``[A-Za-z0-9_]{1,50}``;
    values at most 1000 characters and not empty. Raises ``ValueError``."""
    if values is None:
        return {}
    if not isinstance(values, dict):
        raise ValueError("filterValues must be a map of placeholder name to values")  # noqa: TRY004
    if len(values) > MAX_FILTER_VALUES:
        raise ValueError(f"filterValues has {len(values)} keys; at most {MAX_FILTER_VALUES} are allowed")
    parsed: dict[str, list[str]] = {}
    for key, raw in values.items():
        if not isinstance(key, str) or not _PLACEHOLDER_NAME_RE.fullmatch(key) or len(key) > MAX_PLACEHOLDER_NAME:
            raise ValueError(
                f"filterValues key {key!r} is not a placeholder name (1-{MAX_PLACEHOLDER_NAME} letters, "
                "digits or underscores, without '$')"
            )
        if not isinstance(raw, str):
            raise ValueError(f"filterValues[{key!r}] must be a string")  # noqa: TRY004
        if len(raw) > MAX_FILTER_VALUE_LENGTH:
            raise ValueError(
                f"filterValues[{key!r}] is {len(raw)} characters long; at most {MAX_FILTER_VALUE_LENGTH} are allowed"
            )
        try:
            parsed[key] = _split_values(raw)
        except _ValueFormatError as error:
            raise ValueError(
                f"filterValues[{key!r}] at position {error.position}: {error.reason}; expected "
                'comma-separated double-quoted values such as "\\"Comedy\\",\\"Drama\\""'
            ) from None
    return parsed


def _split_values(raw: str) -> list[str]:
    out: list[str] = []
    i, n = 0, len(raw)
    if not raw.strip():
        raise _ValueFormatError("the value is empty", 0)
    while True:
        while i < n and raw[i].isspace():
            i += 1
        if i >= n:
            raise _ValueFormatError("expected a value", i)
        if raw[i] == '"':
            value, i = _read_string(raw, i, _ValueFormatError)
            out.append(value)
        else:
            match = _NUMBER_RE.match(raw, i)
            end = match.end() if match else i
            if match is None or (end < n and not (raw[end].isspace() or raw[end] == ",")):
                word = re.match(r"[^,]*", raw[i:]).group().strip()  # type: ignore[union-attr]
                raise _ValueFormatError(f"value {word!r} is not double-quoted", i)
            out.append(match.group())
            i = end
        while i < n and raw[i].isspace():
            i += 1
        if i >= n:
            return out
        if raw[i] != ",":
            raise _ValueFormatError(f"expected ',' between values, found {raw[i]!r}", i)
        i += 1


# ---------------------------------------------------------------------------------------------
# Evaluation
# ---------------------------------------------------------------------------------------------
_NUM_CACHE: dict[str, float | None] = {}


def _num(value: Any) -> float | None:
    """A float for numbers and numeric-looking strings, else None (NaN -> None)."""
    if isinstance(value, str):
        try:
            return _NUM_CACHE[value]
        except KeyError:
            pass
        text = value.strip()
        result = float(text) if _NUMBER_RE.fullmatch(text) else None
        if len(_NUM_CACHE) < 100_000:
            _NUM_CACHE[value] = result
        return result
    if isinstance(value, bool) or value is None:
        return None
    if isinstance(value, (int, float, np.integer, np.floating)):
        number = float(value)
        return None if math.isnan(number) else number
    return None


def _is_number(value: Any) -> bool:
    return isinstance(value, (int, float, np.integer, np.floating)) and not isinstance(value, bool)


class _Matcher:
    """Tests one entity value against a condition's resolved operands."""

    def __init__(self, operator: str, operands: list[str | float]) -> None:
        self.operator = operator
        self.strings = {o for o in operands if isinstance(o, str)}
        self.typed_numbers = {float(o) for o in operands if _is_number(o) and _num(o) is not None}
        numbers = set(self.typed_numbers)
        numbers.update(n for n in map(_num, self.strings) if n is not None)
        self.numbers = numbers
        self.number_list = sorted(numbers)

    def _equal(self, value: Any) -> bool:
        if isinstance(value, str):
            if value in self.strings:
                return True
            return bool(self.typed_numbers) and _num(value) in self.typed_numbers
        number = _num(value)
        return number is not None and number in self.numbers

    def _compare(self, value: Any) -> bool:
        number = _num(value)
        if number is None or not self.number_list:
            return False
        op = self.operator
        if op == "<":
            return number < self.number_list[-1]
        if op == "<=":
            return number <= self.number_list[-1]
        if op == ">":
            return number > self.number_list[0]
        return number >= self.number_list[0]  # ">="

    def _single(self, value: Any) -> bool:
        if value is None:
            return False
        if isinstance(value, (set, frozenset, list, tuple)):
            return any(self._single(v) for v in value)
        if self.operator in COMPARISONS:
            return self._compare(value)
        return self._equal(value)

    def test(self, value: Any) -> bool:
        if self.operator == NOT_IN:
            return not self._positive(value)
        return self._single(value)

    def _positive(self, value: Any) -> bool:
        if value is None:
            return False
        if isinstance(value, (set, frozenset, list, tuple)):
            return any(self._equal(v) for v in value if v is not None)
        return self._equal(value)

    def mask(self, values: list[Any]) -> np.ndarray:
        """The test over a whole column. Numeric columns go through numpy, string / categorical
        columns through C-level set operations; anything else is memoised per distinct value."""
        n = len(values)
        if n == 0:
            return np.zeros(0, bool)
        types = set(map(type, values))
        if self.operator in COMPARISONS:
            if types <= _NUMERIC_TYPES:
                if not self.number_list:
                    return np.zeros(n, bool)
                column = np.array(values, dtype=float)  # None -> NaN, which never compares
                op = self.operator
                with np.errstate(invalid="ignore"):
                    if op == "<":
                        return column < self.number_list[-1]
                    if op == "<=":
                        return column <= self.number_list[-1]
                    if op == ">":
                        return column > self.number_list[0]
                    return column >= self.number_list[0]
            return self._slow_mask(values, self._single)
        negate = self.operator == NOT_IN
        if not self.typed_numbers and types <= _STRING_TYPES:
            strings = self.strings
            out = np.fromiter(
                ((v in strings) if type(v) is str else (v is not None and not strings.isdisjoint(v))
                 for v in values),
                bool, n,
            )
        elif types <= _NUMERIC_TYPES:
            column = np.array(values, dtype=float)
            out = np.isin(column, np.fromiter(self.numbers, float)) if self.numbers else np.zeros(n, bool)
        else:
            out = self._slow_mask(values, self._positive)
        return ~out if negate else out

    @staticmethod
    def _slow_mask(values: list[Any], single: Any) -> np.ndarray:
        memo: dict[Any, bool] = {}
        out = np.empty(len(values), bool)
        for k, value in enumerate(values):
            if isinstance(value, (set, frozenset, list, tuple)):
                out[k] = single(value)
                continue
            try:
                result = memo[value]
            except KeyError:
                result = memo[value] = single(value)
            except TypeError:  # unhashable oddity
                result = single(value)
            out[k] = result
        return out


_NUMERIC_TYPES = {float, int, type(None), np.float64, np.float32, np.int64, np.int32}
_STRING_TYPES = {str, set, frozenset, type(None)}


class _Context:
    """Per-call evaluation state: candidates, data, filter values and small caches."""

    def __init__(self, target: str, candidates: np.ndarray, data: FilterData,
                 values: dict[str, list[str]], user: int | None) -> None:
        self.target = target
        self.candidates = candidates
        self.data = data
        self.values = values
        self.user = user
        self._events: dict[tuple[str, int | None], dict[str, np.ndarray]] = {}
        self._fields: dict[tuple[str, str], list[Any]] = {}

    def events(self, dataset: str, user: int | None) -> dict[str, np.ndarray]:
        key = (dataset, user)
        if key not in self._events:
            found = self.data.event_entities(dataset, user) or {}
            self._events[key] = {str(k).lower(): np.asarray(v) for k, v in found.items()}
        return self._events[key]

    def field_values(self, dataset: str, name: str) -> list[Any]:
        key = (dataset, name)
        if key not in self._fields:
            found = list(self.data.field_values(dataset, name, self.candidates))
            if len(found) != len(self.candidates):
                raise ValueError(
                    f"field_values({dataset!r}, {name!r}) returned {len(found)} values for "
                    f"{len(self.candidates)} codes"
                )
            self._fields[key] = found
        return self._fields[key]

    def operands(self, cond: Condition) -> list[Any] | None:
        """Resolved right-hand values; None when a placeholder has no value (EXCLUDE only --
        INCLUDE placeholders are checked before evaluation)."""
        out: list[Any] = []
        for v in cond.values:
            if isinstance(v, Literal):
                out.append(v.value)
            elif isinstance(v, Placeholder):
                if v.name not in self.values:
                    return None
                out.extend(self.values[v.name])
            elif isinstance(v, AllEvents):
                out.append(_STAR)
            else:  # CurrentItemRef
                current = self.data.current_item(v.field)
                if current is None:
                    continue
                if isinstance(current, (set, frozenset, list, tuple)):
                    out.extend(current)
                else:
                    out.append(current)
        return out

    def node(self, node: Node) -> np.ndarray | None:
        if isinstance(node, Condition):
            return self.condition(node)
        masks = [m for m in (self.node(child) for child in node.operands) if m is not None]
        if not masks:
            return None
        result = masks[0].copy()
        for m in masks[1:]:
            if isinstance(node, And):
                result &= m
            else:
                result |= m
        return result

    def condition(self, cond: Condition) -> np.ndarray | None:
        operands = self.operands(cond)
        if operands is None:
            return None
        if cond.dataset in _EVENT_DATASETS:
            return self.event_condition(cond, operands)
        return _Matcher(cond.operator, operands).mask(self.field_values(cond.dataset, cond.field))

    def event_condition(self, cond: Condition, operands: list[Any]) -> np.ndarray:
        wanted = {_event_text(o).lower() for o in operands if o is not _STAR}
        every = any(o is _STAR or o == "*" for o in operands)
        negate = cond.operator == NOT_IN

        def chosen(event_type: str) -> bool:
            hit = every or event_type in wanted
            return not hit if negate else hit

        if self.target == USER_ID:
            out = np.zeros(len(self.candidates), bool)
            for k, code in enumerate(self.candidates.tolist()):
                events = self.events(cond.dataset, int(code))
                out[k] = any(len(codes) and chosen(t) for t, codes in events.items())
            return out
        events = self.events(cond.dataset, self.user)
        parts = [np.asarray(codes).ravel() for t, codes in events.items() if chosen(t) and len(codes)]
        if not parts:
            return np.zeros(len(self.candidates), bool)
        return np.isin(self.candidates, np.concatenate(parts))


class _Star:
    def __repr__(self) -> str:  # pragma: no cover
        return "*"


_STAR = _Star()


def _event_text(value: Any) -> str:
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)
