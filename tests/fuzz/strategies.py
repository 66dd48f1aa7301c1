"""Hypothesis strategies for requests, generated from botocore's input shapes.

``for_shape(shape)`` draws a value of any botocore shape: structures always carry their
required members and sometimes the optional ones; lists, maps, strings and numbers mostly
keep to the model's ``min``/``max``/``pattern``/``enum`` (so requests get past input
validation into deeper code) and sometimes break them on purpose. ``known`` mixes real
values into the members with a given name: ARNs and IDs of resources that exist, so a
request can find what it names, and whole valid structures (requests, events) that serve
as templates to mutate, so a request can get past the operation's own rules.
"""

from __future__ import annotations

import datetime
import re
from collections.abc import Mapping, Sequence
from typing import Any

from botocore.model import Shape
from hypothesis import strategies as st

INT32 = (-(2**31), 2**31 - 1)
INT64 = (-(2**63), 2**63 - 1)
# Valid strings are kept short: a few long ones find nothing the short ones do not, and
# hypothesis' buffer is limited. Invalid ones still cross the model's maximum.
SHORT = 24
LIST_ITEMS = 4
KNOWN = 0.6  # the share of known values, where a member has them
MUTATE = 0.2  # the chance that a member of a known structure is redrawn

# Character classes that Python's ``re`` (and so ``st.from_regex``) lacks, approximated
# inside a character class. AWS patterns use them in tag keys/values and next tokens.
_PROPERTY_CLASSES = {
    r"\p{ASCII}": r"\x00-\x7f",
    r"\p{L}": r"a-zA-Z\u00c0-\u00d6\u00d8-\u00f6\u00f8-\u00ff\u0391-\u03a1\u03a3-\u03c9\u4e00-\u4e0f",
    r"\p{Z}": r" \u00a0\u2002",
    r"\p{N}": r"0-9\u0660-\u0669\u00bd",
}


def python_pattern(pattern: str) -> str:
    """``pattern`` with its ``\\p{..}`` classes spelled out so Python's ``re`` compiles it."""
    for name, chars in _PROPERTY_CLASSES.items():
        inside = re.escape(name)
        # Inside a class already: splice in the characters; alone: wrap them in a class.
        pattern = re.sub(rf"(\[[^\]]*?){inside}", lambda m: m.group(1) + chars, pattern)
        pattern = pattern.replace(name, f"[{chars}]")
    return pattern


def weighted(usual: st.SearchStrategy[Any], other: st.SearchStrategy[Any], chance: float) -> st.SearchStrategy[Any]:
    """``other`` with probability ``chance``, else ``usual`` (shrinks towards ``usual``).

    The branch is chosen by a number drawn first: hypothesis never repeats a choice sequence,
    so a strategy with few values (``sampled_from`` a short list) behind a plain ``one_of`` is
    exhausted after one draw of each; behind many different numbers it stays drawable.
    """
    if chance <= 0:
        return usual
    if chance >= 1:
        return other
    threshold = 1000 - round(chance * 1000)
    return st.integers(0, 999).flatmap(lambda n: other if n >= threshold else usual)


def _sized(meta: Mapping[str, Any]) -> tuple[int, int | None]:
    return int(meta.get("min", 0)), (int(meta["max"]) if "max" in meta else None)


def _string(shape: Shape, invalid: float) -> st.SearchStrategy[str]:
    meta = shape.metadata
    low, high = _sized(meta)
    top = min(high, low + SHORT) if high is not None else low + SHORT
    enum = getattr(shape, "enum", None)
    bad: list[st.SearchStrategy[str]] = []
    if enum:
        good: st.SearchStrategy[str] = st.sampled_from(enum)
        bad.append(st.text(max_size=12).filter(lambda s: s not in enum))
    elif "pattern" in meta:
        try:
            compiled = re.compile(python_pattern(meta["pattern"]))
        except re.error:  # no pattern to keep or to break
            good = st.text(min_size=low, max_size=top)
        else:
            in_bounds = lambda s: low <= len(s) <= (high if high is not None else len(s))  # noqa: E731
            good = st.from_regex(compiled, fullmatch=True).filter(in_bounds)
            bad.append(st.text(min_size=low, max_size=top).filter(lambda s: not compiled.fullmatch(s)))
    else:
        good = st.text(min_size=low, max_size=top)
    if high is not None:  # one character too many, or a good value repeated past the maximum
        bad.append(st.text(min_size=1, max_size=3).map(lambda s: (s * (high + 1))[: high + len(s)]))
    if low > 0:
        bad.append(st.just("") if low == 1 else st.text(max_size=low - 1))
    return weighted(good, st.one_of(bad), invalid) if bad else good


def _number(shape: Shape, invalid: float) -> st.SearchStrategy[Any]:
    kind = shape.type_name
    meta = shape.metadata
    if kind in ("integer", "long"):
        floor, ceiling = INT32 if kind == "integer" else INT64
        low, high = int(meta.get("min", floor)), int(meta.get("max", ceiling))
        # Small numbers and the modelled bounds most of the time: that is where the rules are.
        choices = [st.integers(low, high)]
        if max(low, -10) <= min(high, 100):
            choices.append(st.integers(max(low, -10), min(high, 100)))
        if "min" in meta:
            choices.append(st.integers(low, min(high, low + 5)))
        if "max" in meta:
            choices.append(st.integers(max(low, high - 5), high))
        good = st.one_of(choices[::-1])
        bad = [st.integers(floor, ceiling)]
        if low > floor:
            bad.append(st.integers(max(floor, low - 1000), low - 1))
        if high < ceiling:
            bad.append(st.integers(high + 1, min(ceiling, high + 1000)))
        return weighted(good, st.one_of(bad), invalid)
    low_f = float(meta.get("min", -1e9))
    high_f = float(meta.get("max", 1e9))
    good = st.floats(low_f, high_f, allow_nan=False, allow_infinity=False)
    bad_f = st.one_of(st.floats(-1e300, 1e300), st.sampled_from([low_f - 1, high_f + 1, -0.0, 1e-300]))
    return weighted(good, bad_f, invalid)


def _timestamp(invalid: float) -> st.SearchStrategy[datetime.datetime]:
    utc = datetime.timezone.utc
    good = st.datetimes(datetime.datetime(2000, 1, 1), datetime.datetime(2035, 1, 1), timezones=st.just(utc))
    bad = st.datetimes(datetime.datetime(1900, 1, 1), datetime.datetime(2999, 12, 31), timezones=st.just(utc))
    return weighted(good, bad, invalid)


def _list(shape: Shape, name: str, known: Mapping[str, Sequence[Any]], invalid: float) -> st.SearchStrategy[Any]:
    low, high = _sized(shape.metadata)
    member = for_shape(shape.member, name=name, known=known, invalid=invalid)
    top = min(high, low + LIST_ITEMS) if high is not None else low + LIST_ITEMS
    good = st.lists(member, min_size=low, max_size=top)
    bad: list[st.SearchStrategy[Any]] = []
    if high is not None:  # one element too many, repeated (cheap even for maximums of 500)
        bad.append(member.map(lambda item: [item] * (high + 1)))
    if low > 0:
        bad.append(st.lists(member, max_size=low - 1))
    return weighted(good, st.one_of(bad), invalid) if bad else good


def _map(shape: Shape, name: str, known: Mapping[str, Sequence[Any]], invalid: float) -> st.SearchStrategy[Any]:
    low, high = _sized(shape.metadata)
    keys = for_shape(shape.key, name=f"{name}.key", known=known, invalid=invalid)
    values = for_shape(shape.value, name=f"{name}.value", known=known, invalid=invalid)
    top = min(high, low + LIST_ITEMS) if high is not None else low + LIST_ITEMS
    good = st.dictionaries(keys, values, min_size=low, max_size=top)
    if high is None:
        return good
    # Keys must be distinct: number them onto a drawn key to go past the maximum.
    bad = st.tuples(keys, values).map(lambda kv: {f"{kv[0]}{n}": kv[1] for n in range(high + 1)})
    return weighted(good, bad, invalid)


def _structure(shape: Shape, name: str, known: Mapping[str, Sequence[Any]], invalid: float) -> st.SearchStrategy[Any]:
    members = {member: for_shape(member_shape, name=member, known=known, invalid=invalid)
               for member, member_shape in shape.members.items()}
    required = set(shape.required_members)
    strategy = st.fixed_dictionaries(
        {member: strategy for member, strategy in members.items() if member in required},
        optional={member: strategy for member, strategy in members.items() if member not in required},
    )
    templates = [value for value in known.get(name, ()) if _fits_structure(shape, value)]
    if not templates:
        return strategy
    # A known structure is a template: each of its members is kept, or (sometimes) redrawn.
    mutated = st.one_of([
        st.fixed_dictionaries({member: weighted(_as_strategy(value), members[member], MUTATE)
                               for member, value in template.items()})
        for template in templates
    ])
    return weighted(mutated, strategy, 1 - KNOWN)


def _as_strategy(value: Any) -> st.SearchStrategy[Any]:
    """A template member is a value, or a strategy (fresh names, say)."""
    return value if isinstance(value, st.SearchStrategy) else st.just(value)


def _fits_structure(shape: Shape, value: Any) -> bool:
    """Whether a known dict can serve as a template for this structure: only its members, and
    every required one."""
    return (isinstance(value, dict) and set(value) <= set(shape.members)
            and set(shape.required_members) <= set(value))


_TYPES: dict[str, tuple[type, ...]] = {
    "string": (str,), "integer": (int,), "long": (int,), "float": (int, float), "double": (int, float),
    "boolean": (bool,), "timestamp": (datetime.datetime,), "blob": (bytes,),
}


def _fits(kind: str, value: Any) -> bool:
    """Whether a known value can stand for a leaf of this type (the same member name may be a
    string in one operation and a number in another)."""
    types = _TYPES.get(kind, ())
    return isinstance(value, types) and (kind == "boolean" or not isinstance(value, bool))


def for_shape(shape: Shape, *, name: str = "", known: Mapping[str, Sequence[Any]] | None = None,
              invalid: float = 0.1) -> st.SearchStrategy[Any]:
    """A strategy for values of ``shape``.

    ``name`` is the member name the value is for: "" for a whole request, the member's name
    for a member (a list's elements share it; a map's keys and values are ``name.key`` /
    ``name.value``). ``known[name]`` holds real values, drawn from most of the time: for a
    leaf, those of its type; for a structure, dicts that fit it, used as templates whose
    members (values, or strategies) are each kept or, now and then, redrawn. ``invalid`` is the chance that one leaf
    value breaks its constraints (0: every value conforms to the model).
    """
    known = known or {}
    kind = shape.type_name
    if kind == "structure":
        return _structure(shape, name, known, invalid)
    if kind == "list":
        strategy = _list(shape, name, known, invalid)
    elif kind == "map":
        strategy = _map(shape, name, known, invalid)
    elif kind == "string":
        strategy = _string(shape, invalid)
    elif kind in ("integer", "long", "float", "double"):
        strategy = _number(shape, invalid)
    elif kind == "boolean":
        strategy = st.booleans()
    elif kind == "timestamp":
        strategy = _timestamp(invalid)
    elif kind == "blob":
        _, high = _sized(shape.metadata)
        strategy = st.binary(max_size=min(high or SHORT, SHORT))
    else:
        raise ValueError(f"no strategy for shape {shape.name} of type {kind}")
    values = [value for value in known.get(name, ()) if _fits(kind, value)]
    if values:
        strategy = weighted(st.sampled_from(values), strategy, 1 - KNOWN)
    return strategy


def request(operation_model: Any, *, known: Mapping[str, Sequence[Any]] | None = None,
            invalid: float = 0.1, conforming: float = 0.5) -> st.SearchStrategy[dict[str, Any]]:
    """Keyword arguments for the boto3 method of ``operation_model``: a ``conforming`` share of
    them keep every constraint of the model (so they meet the operation's own rules), the rest
    break each leaf's with probability ``invalid``."""
    shape = operation_model.input_shape
    if shape is None:
        return st.just({})
    return weighted(for_shape(shape, known=known, invalid=0), for_shape(shape, known=known, invalid=invalid),
                    1 - conforming)
