"""User segmentation: the aws-item-affinity and aws-item-attribute-affinity recipes.

Both rank *users* for a query (batch segment jobs only; there is no campaign):

- Item-Affinity: input line ``{"itemId": "105"}`` -> the users most likely to interact with
  that item.
- Item-Attribute-Affinity: input line ``{"itemAttributes": "ITEMS.genres = \\"Comedy\\" AND
  ITEMS.genres = \\"Action\\""}`` -> the users most likely to interact with items that have
  all those attribute values. The query language has only ``=`` and ``AND``.

Both sit on :class:`~.factorization.FactorModel` (the truncated-SVD item factors). A user's
vector is the sum of the factor rows of the items in their history, exactly as the factor
model folds users in, and the affinity of user ``u`` to item ``i`` is ``user_u . item_i``.
Users are ordered by descending affinity ("descending probability of interacting"), ties by
ascending catalogue code. The raw product is not normalised by history length on purpose:
a user with a long history is more likely to interact with anything, which is what the
segment is meant to rank by. The number of factors is capped at one per 8 items
(:func:`effective_factors`): with about as many factors as items the SVD only reproduces each
user's history and cannot tell a likely user from an unrelated one.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field

import numpy as np

from .factorization import DEFAULT_FACTORS, FactorModel
from .interactions import Index, Matrix

__all__ = [
    "ItemAffinityModel",
    "ItemAttributeAffinityModel",
    "effective_factors",
    "parse_attribute_query",
    "sample_truth",
]

_EMPTY = np.empty(0, np.int32)
ITEMS_PER_FACTOR = 8


def _as_codes(values: Iterable[int] | np.ndarray | None) -> np.ndarray:
    if values is None:
        return _EMPTY
    if not isinstance(values, np.ndarray):
        values = list(values)
    return np.asarray(values, np.int64).ravel()


def effective_factors(n_items: int, factors: int = DEFAULT_FACTORS) -> int:
    """Factors for a catalogue of ``n_items``: at most ``factors`` and at most one per
    ``ITEMS_PER_FACTOR`` items (at least 2). With nearly as many factors as items the SVD
    reproduces each history (user . item ~ "already interacted") and ranks everyone else
    by noise; a small catalogue needs few factors to generalise across items."""
    return max(1, min(int(factors), max(2, int(n_items) // ITEMS_PER_FACTOR)))


def _top(scores: np.ndarray, k: int, allowed: np.ndarray | None = None) -> np.ndarray:
    """Positions of the ``k`` highest ``scores`` (descending; ties by ascending position).

    Positions follow ascending catalogue code (``Index`` is sorted), so "ties by position" is
    "ties by code". ``allowed`` (bool mask) removes positions from consideration.
    """
    candidates = np.arange(len(scores)) if allowed is None else np.flatnonzero(allowed)
    k = min(int(k), len(candidates))
    if k <= 0:
        return np.empty(0, np.int64)
    values = scores[candidates]
    if k < len(candidates):
        # Everything scoring at least the k-th best value, so ties at the cut are resolved by
        # code rather than by argpartition's arbitrary choice.
        kth = np.partition(values, len(values) - k)[len(values) - k]
        keep = values >= kth
        candidates, values = candidates[keep], values[keep]
    order = np.lexsort((candidates, -values))[:k]
    return candidates[order]


# ---------------------------------------------------------------------------------------------
# aws-item-affinity
# ---------------------------------------------------------------------------------------------
@dataclass
class ItemAffinityModel:
    """Users ranked by their affinity to one item."""

    factors: FactorModel
    users: Index  # users present in the training interactions
    user_vectors: np.ndarray  # (users, k) float32: sum of the factor rows of each user's items
    activity: np.ndarray  # distinct items per user (the fallback ranking)
    latest_timestamp: int | None = None  # newest training interaction (informational)

    # ---- training --------------------------------------------------------------------------
    @classmethod
    def fit(cls, user_codes: np.ndarray, item_codes: np.ndarray, timestamps: np.ndarray | None,
            seed: int, factors: int = DEFAULT_FACTORS) -> ItemAffinityModel:
        """Train on interactions given as parallel arrays of catalogue codes.

        The affinity is order-free (a binary user x item matrix), so ``timestamps`` only
        record the newest interaction; they may be ``None``.
        """
        user_codes = np.asarray(user_codes, np.int64)
        item_codes = np.asarray(item_codes, np.int64)
        if user_codes.shape != item_codes.shape:
            raise ValueError("user_codes and item_codes differ in length")
        latest = None
        if timestamps is not None and len(timestamps):
            latest = int(np.max(np.asarray(timestamps)))
        matrix = Matrix.build(user_codes, item_codes)
        model = FactorModel.fit(matrix, seed, effective_factors(len(matrix.items), factors))
        user_vectors = np.asarray(matrix.csr @ model.item_factors, dtype=np.float32)  # type: ignore[operator]
        activity = np.diff(matrix.csr.indptr).astype(np.int64)  # type: ignore[attr-defined]
        return cls(model, matrix.users, user_vectors, activity, latest)

    # ---- scoring ---------------------------------------------------------------------------
    def affinities(self, item_rows: np.ndarray) -> np.ndarray:
        """Affinity of every user to the mean of the given model item rows (float64)."""
        item_rows = np.asarray(item_rows, np.int64)
        item_rows = item_rows[item_rows >= 0]
        if not len(item_rows) or not len(self.users):
            return np.zeros(len(self.users), np.float64)
        target = self.factors.item_factors[item_rows].astype(np.float64).mean(axis=0)
        return self._users64() @ target

    def _users64(self) -> np.ndarray:
        """The user vectors in float64, converted once per model (the factor model's derived
        cache, never saved): a batch segment job or an evaluation asks for many items."""
        cached = self.factors.cache.get("segment_users64")
        if cached is None:
            cached = self.factors.cache["segment_users64"] = self.user_vectors.astype(np.float64)
        return cached  # type: ignore[return-value]

    def _allowed(self, exclude_users: Iterable[int] | np.ndarray | None) -> np.ndarray | None:
        codes = _as_codes(exclude_users)
        if not len(codes):
            return None
        positions = self.users.positions(codes)
        allowed = np.ones(len(self.users), bool)
        allowed[positions[positions >= 0]] = False
        return allowed

    def most_active_users(self, k: int, exclude_users: Iterable[int] | np.ndarray | None = None) -> np.ndarray:
        """User codes by descending number of distinct items interacted with (ties by code)."""
        top = _top(self.activity.astype(np.float64), k, self._allowed(exclude_users))
        return self.users.codes[top]

    def users_for_item(self, item_code: int, k: int,
                       exclude_users: Iterable[int] | np.ndarray | None = None) -> np.ndarray:
        """Up to ``k`` user codes by descending affinity to ``item_code`` (ties by code).

        An item absent from the training interactions has no factor row; its segment is then
        the most active users (most distinct items), the usual Personalize fallback of
        "popular" answers for cold input. ``exclude_users`` (catalogue codes) never appear.
        """
        row = self.factors.items.position(int(item_code))
        if row < 0:
            return self.most_active_users(k, exclude_users)
        scores = self.affinities(np.array([row]))
        return self.users.codes[_top(scores, k, self._allowed(exclude_users))]

    def users_for_items(self, item_codes: Iterable[int], k: int) -> dict[int, np.ndarray]:
        """:meth:`users_for_item` for several items (one batch segment job)."""
        return {int(code): self.users_for_item(int(code), k) for code in item_codes}

    def allowed_users_for_item(self, item_code: int, k: int, allowed: np.ndarray | None) -> np.ndarray:
        """The first ``k`` of :meth:`users_for_item`'s whole ranking that ``allowed`` (a bool
        mask over ``users``, None = all) lets through, without ranking everyone."""
        row = self.factors.items.position(int(item_code))
        scores = self.activity.astype(np.float64) if row < 0 else self.affinities(np.array([row]))
        return self.users.codes[_top(scores, k, allowed)]


MAX_EVALUATED_ITEMS = 2000  # test items a segmentation model is evaluated on


def sample_truth(truth: Mapping[int, np.ndarray], seed: int, limit: int = MAX_EVALUATED_ITEMS) -> dict[int, np.ndarray]:
    """A USER_SEGMENTATION split's ground truth (user -> held-out items) kept to at most
    ``limit`` distinct items, a sample drawn with ``seed``: each item's evaluation ranks every
    user, so a catalogue of 50,000 items would rank users 50,000 times. Small catalogues are
    evaluated whole."""
    if not truth:
        return dict(truth)
    lengths = np.fromiter((len(v) for v in truth.values()), np.int64, len(truth))
    flat = np.concatenate([np.asarray(v, np.int64) for v in truth.values()]) if lengths.sum() else np.empty(0, np.int64)
    items = np.unique(flat)
    if len(items) <= limit:
        return dict(truth)
    chosen = np.sort(np.random.default_rng(seed % 2**32).choice(items, limit, replace=False))
    keep = np.isin(flat, chosen)
    parts = np.split(keep, np.cumsum(lengths)[:-1])
    values = np.split(flat, np.cumsum(lengths)[:-1])
    return {user: items_[mask] for user, items_, mask in zip(truth, values, parts) if mask.any()}


# ---------------------------------------------------------------------------------------------
# Item-attribute query language: ITEMS.<column> = "<value>" [AND ...]
# ---------------------------------------------------------------------------------------------
_DATASET = "ITEMS"
_CONDITION = 'a condition ITEMS.<column> = "<value>"'
_COMPARISONS = ("!=", "<>", "<=", ">=", "<", ">")


@dataclass(frozen=True)
class _Token:
    kind: str  # WORD, DOT, EQ, OP, STRING, PUNCT, END
    text: str  # the source text (a STRING's decoded value in ``value``)
    position: int
    value: str = ""


def _describe(token: _Token) -> str:
    if token.kind == "END":
        return "end of query"
    if token.kind == "STRING":
        return f"string {token.text}"
    return repr(token.text)


def _error(query: str, position: int, message: str) -> ValueError:
    return ValueError(f"Invalid itemAttributes query at position {position}: {message} (query: {query!r})")


def _tokenize(query: str) -> list[_Token]:
    tokens: list[_Token] = []
    i, n = 0, len(query)
    while i < n:
        ch = query[i]
        if ch.isspace():
            i += 1
        elif ch == '"' or (ch == "\\" and query.startswith('\\"', i)):
            tokens.append(_read_string(query, i))
            i = tokens[-1].position + len(tokens[-1].text)
        elif ch == ".":
            tokens.append(_Token("DOT", ch, i))
            i += 1
        elif ch == "=":
            width = 2 if query.startswith("==", i) else 1
            tokens.append(_Token("OP" if width == 2 else "EQ", query[i:i + width], i))
            i += width
        elif ch in "!<>":
            op = next((o for o in _COMPARISONS if query.startswith(o, i)), ch)
            tokens.append(_Token("OP", op, i))
            i += len(op)
        elif ch in "(),":
            tokens.append(_Token("PUNCT", ch, i))
            i += 1
        elif ch.isalnum() or ch == "_":
            j = i + 1
            while j < n and (query[j].isalnum() or query[j] == "_"):
                j += 1
            tokens.append(_Token("WORD", query[i:j], i))
            i = j
        else:
            raise _error(query, i, f"unexpected character {ch!r}")
    tokens.append(_Token("END", "", n))
    return tokens


def _read_string(query: str, start: int) -> _Token:
    """A double-quoted value starting at ``start``.

    ``"..."``: ``\\"`` stands for a quote and ``\\\\`` for a backslash (other backslashes are
    kept). A query that is still JSON-escaped (``\\"Comedy\\"``) is accepted too: a value opened
    by ``\\"`` runs to the next ``\\"``.
    """
    if query.startswith('\\"', start):
        end = query.find('\\"', start + 2)
        if end < 0:
            raise _error(query, len(query), f'expected a closing \\" for the value opened at position {start}, found end of query')
        return _Token("STRING", query[start:end + 2], start, query[start + 2:end])
    out: list[str] = []
    i = start + 1
    while i < len(query):
        ch = query[i]
        if ch == "\\" and i + 1 < len(query) and query[i + 1] in '"\\':
            out.append(query[i + 1])
            i += 2
        elif ch == '"':
            return _Token("STRING", query[start:i + 1], start, "".join(out))
        else:
            out.append(ch)
            i += 1
    raise _error(query, len(query), f"expected a closing '\"' for the value opened at position {start}, found end of query")


def parse_attribute_query(query: str) -> list[tuple[str, str]]:
    """``ITEMS.<column> = "<value>" [AND ITEMS.<column> = "<value>" ...]`` -> [(COLUMN, value)].

    The dataset prefix, column names and ``AND`` are case-insensitive; columns come back
    upper-cased. Values are exact strings (case kept). Positions in error messages are
    0-based character offsets into ``query``. Raises ``ValueError`` on any other input.
    """
    if not isinstance(query, str):
        # ValueError like every other bad query: a batch job reports it on the input line.
        raise ValueError(f"itemAttributes must be a string, not {type(query).__name__}")  # noqa: TRY004
    tokens = _tokenize(query)
    conditions: list[tuple[str, str]] = []
    at = 0

    def take() -> _Token:
        nonlocal at
        token = tokens[at]
        at += 1
        return token

    while True:
        dataset = take()
        if dataset.kind != "WORD":
            raise _error(query, dataset.position, f"expected {_CONDITION}, found {_describe(dataset)}")
        if dataset.text.upper() != _DATASET:
            raise _error(query, dataset.position,
                         f"expected the dataset name 'ITEMS', found {dataset.text!r} (only item attributes can be queried)")
        dot = take()
        if dot.kind != "DOT":
            raise _error(query, dot.position, f"expected '.' after 'ITEMS', found {_describe(dot)}")
        column = take()
        if column.kind != "WORD" or not (column.text[0].isalpha() or column.text[0] == "_"):
            raise _error(query, column.position, f"expected a column name after 'ITEMS.', found {_describe(column)}")
        eq = take()
        if eq.kind != "EQ":
            hint = " (only '=' is supported)" if eq.kind == "OP" or eq.text.upper() in ("IN", "NOT", "LIKE") else ""
            raise _error(query, eq.position, f"expected '=' after ITEMS.{column.text}, found {_describe(eq)}{hint}")
        value = take()
        if value.kind != "STRING":
            raise _error(query, value.position,
                         f'expected a value in double quotes ("<value>") after \'=\', found {_describe(value)}')
        conditions.append((column.text.upper(), value.value))
        joiner = take()
        if joiner.kind == "END":
            return conditions
        if joiner.kind == "WORD" and joiner.text.upper() == "AND":
            continue
        hint = " (only AND is supported)" if joiner.text.upper() == "OR" else ""
        raise _error(query, joiner.position, f"expected 'AND' or end of query, found {_describe(joiner)}{hint}")


# ---------------------------------------------------------------------------------------------
# aws-item-attribute-affinity
# ---------------------------------------------------------------------------------------------
def _numeric_key(value: object) -> float | None:
    """Canonical number for a value that reads as a finite number (float32 precision, so a
    FLOAT column's stored 9.99 matches the query text "9.99")."""
    if isinstance(value, (bool, np.bool_)):
        return None
    try:
        number = float(value)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return None
    if not math.isfinite(number):
        return None
    return float(np.float32(number))


def _value_text(value: object) -> str:
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


@dataclass
class ItemAttributeAffinityModel:
    """Users ranked by their mean affinity to the items matching an attribute query."""

    affinity: ItemAffinityModel
    attributes: dict[str, dict[str, np.ndarray]]  # COLUMN -> value -> sorted item codes
    numeric: dict[str, dict[float, np.ndarray]]  # COLUMN -> number -> sorted item codes
    columns: frozenset[str] = field(default_factory=frozenset)  # known columns, upper-cased

    @classmethod
    def fit(cls, user_codes: np.ndarray, item_codes: np.ndarray, timestamps: np.ndarray | None,
            seed: int, item_attributes: Mapping[int, Mapping[str, Iterable[object]]],
            factors: int = DEFAULT_FACTORS, columns: Iterable[str] | None = None) -> ItemAttributeAffinityModel:
        """``item_attributes``: item code -> {COLUMN: {values}} (multi-valued categorical
        values already split). ``columns``: the Items schema's queryable columns, so a query on
        a column no item has a value for is not an error (optional)."""
        affinity = ItemAffinityModel.fit(user_codes, item_codes, timestamps, seed, factors)
        text: dict[str, dict[str, list[int]]] = {}
        numbers: dict[str, dict[float, list[int]]] = {}
        for item, row in item_attributes.items():
            for column, values in row.items():
                name = column.upper()
                if isinstance(values, (str, bytes)) or not isinstance(values, Iterable):
                    values = [values]
                for value in values:
                    if value is None:
                        continue
                    text.setdefault(name, {}).setdefault(_value_text(value), []).append(int(item))
                    # Only values stored as numbers (numeric columns) match numerically; a
                    # string column's "01234" must not match the query text "1234".
                    number = None if isinstance(value, (str, bytes)) else _numeric_key(value)
                    if number is not None:
                        numbers.setdefault(name, {}).setdefault(number, []).append(int(item))

        def freeze(table: dict) -> dict:
            return {c: {v: np.unique(np.asarray(items, np.int32)) for v, items in vs.items()} for c, vs in table.items()}

        known = frozenset(text) | frozenset(c.upper() for c in (columns or ()))
        return cls(affinity, freeze(text), freeze(numbers), known)

    def items_for_conditions(self, conditions: Iterable[tuple[str, str]]) -> np.ndarray:
        """Item codes having every (COLUMN, value) pair (multi-valued columns: any value)."""
        result: np.ndarray | None = None
        for column, value in conditions:
            name = column.upper()
            if name not in self.columns:
                known = ", ".join(sorted(self.columns)) or "none"
                raise ValueError(f"Unknown item attribute column {column!r} in itemAttributes (known columns: {known})")
            matched = self.attributes.get(name, {}).get(value, _EMPTY)
            number = _numeric_key(value)
            if number is not None:
                matched = np.union1d(matched, self.numeric.get(name, {}).get(number, _EMPTY))
            result = matched if result is None else np.intersect1d(result, matched, assume_unique=True)
        return (_EMPTY if result is None else result).astype(np.int32)

    def items_for_query(self, query: str) -> np.ndarray:
        return self.items_for_conditions(parse_attribute_query(query))

    def users_for_query(self, query: str, k: int,
                        exclude_users: Iterable[int] | np.ndarray | None = None) -> np.ndarray:
        """Up to ``k`` user codes by descending mean affinity to the items matching ``query``
        (ties by code). Raises ``ValueError`` for a malformed query or an unknown column.

        Items matching the query but absent from the training interactions have no factor row
        and are left out of the mean; when no matching item has one (or nothing matches) the
        segment is empty.
        """
        items = self.items_for_query(query)
        rows = self.affinity.factors.items.positions(items)
        rows = rows[rows >= 0]
        if not len(rows):
            return _EMPTY.copy()
        scores = self.affinity.affinities(rows)
        top = _top(scores, k, self.affinity._allowed(exclude_users))
        return self.affinity.users.codes[top]

    def allowed_users_for_query(self, query: str, k: int, allowed: Callable[[], np.ndarray | None]) -> np.ndarray:
        """The first ``k`` of :meth:`users_for_query`'s whole ranking that the mask over
        ``affinity.users`` lets through; ``allowed()`` is asked only when the segment is not
        empty (a query that matches nothing needs no filter)."""
        rows = self.affinity.factors.items.positions(self.items_for_query(query))
        rows = rows[rows >= 0]
        if not len(rows):
            return _EMPTY.copy()
        return self.affinity.users.codes[_top(self.affinity.affinities(rows), k, allowed())]
