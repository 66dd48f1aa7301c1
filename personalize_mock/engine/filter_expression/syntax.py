"""Filter expressions: constants, errors, tokenizer, tree and parser (see the package
docstring for the grammar)."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Protocol

if TYPE_CHECKING:
    import numpy as np


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
