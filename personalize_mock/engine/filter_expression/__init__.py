"""The Amazon Personalize filter expression language: tokenizer -> parser -> tree -> evaluator.

Pure Python + numpy; nothing here knows about moto, boto or the backend's tables. The caller
hands the evaluator its data through the small :class:`FilterData` protocol.

Public API
----------
- :func:`parse_filter` -- text -> :class:`Filter` (raises :class:`FilterSyntaxError`, a
  ``ValueError`` whose ``position`` is the 0-based character offset of the problem).
- :func:`parse_filter_values` -- the runtime ``filterValues`` map (``{"GENRES":
  "\\"Comedy\\",\\"Drama\\""}``) -> ``{"GENRES": ["Comedy", "Drama"]}`` (raises ``ValueError``).
- :func:`allowed` -- ``allowed(filter, candidates, data, values, user)``: boolean mask over candidate entity codes (raises
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

from .evaluation import allowed, parse_filter_values
from .syntax import (
    MAX_EXPRESSION_LENGTH,
    MAX_FILTER_FIELDS,
    MAX_FILTER_VALUE_LENGTH,
    MAX_FILTER_VALUES,
    AllEvents,
    And,
    Condition,
    CurrentItemRef,
    Expression,
    Filter,
    FilterData,
    FilterSyntaxError,
    Literal,
    MissingFilterValues,
    Or,
    Placeholder,
    parse_filter,
)

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
    "allowed",
    "parse_filter",
    "parse_filter_values",
]
