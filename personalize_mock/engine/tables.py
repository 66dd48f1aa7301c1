"""Columnar storage for one dataset group's data, shaped for training and filtering.

- IDs (users, items, actions) are interned once per dataset group into int32 codes, so the
  interactions table, the metadata tables and the trained models share one code space.
- Every other string column is interned per table (int32 codes, -1 for null); numbers are
  numpy arrays (NaN or ``INT_NULL`` for null); booleans int8 (-1 null).
- Rows are kept in insertion order (exports read them back in that order), in chunks that
  are concatenated lazily, and each row records whether it came from a bulk import or from
  the events API (``ORIGIN_BULK`` / ``ORIGIN_PUT``): FULL imports replace only bulk rows, and
  exports choose by origin.

Fields are described by any object with ``name``, ``type`` (Avro primitive, non-null part),
``nullable`` (bool) and optionally ``categorical`` / ``textual``.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from typing import Any, Protocol

import numpy as np

ORIGIN_BULK = 0
ORIGIN_PUT = 1
INT_NULL = np.iinfo(np.int64).min
NO_CODE = -1

# Group-wide id spaces: the columns whose values are interned in the Catalog.
ID_SPACES = {"USER_ID": "users", "ITEM_ID": "items", "ACTION_ID": "actions"}


class FieldSpec(Protocol):
    name: str
    type: str
    nullable: bool


class Interner:
    """Append-only string <-> int32 code map."""

    def __init__(self) -> None:
        self._codes: dict[str, int] = {}
        self.values: list[str] = []

    def __len__(self) -> int:
        return len(self.values)

    def code(self, value: str) -> int:
        code = self._codes.get(value)
        if code is None:
            code = self._codes[value] = len(self.values)
            self.values.append(value)
        return code

    def find(self, value: str) -> int | None:
        return self._codes.get(value)

    def codes(self, values: Iterable[str | None]) -> np.ndarray:
        """Codes of ``values`` (``None`` -> ``NO_CODE``), interning new ones."""
        return np.fromiter(
            (NO_CODE if v is None else self.code(v) for v in values), dtype=np.int32
        )

    def encode(self, uniques: Sequence[str | None], indices: np.ndarray) -> np.ndarray:
        """Dictionary-encoded input (``uniques[indices]``) to codes, touching each unique once."""
        mapping = self.codes(uniques)
        return mapping[indices] if len(mapping) else np.full(len(indices), NO_CODE, np.int32)

    def decode(self, code: int) -> str | None:
        return None if code < 0 else self.values[code]


class Catalog:
    """The id spaces of one dataset group."""

    def __init__(self) -> None:
        self.users = Interner()
        self.items = Interner()
        self.actions = Interner()

    def space(self, column: str) -> Interner | None:
        name = ID_SPACES.get(column)
        return getattr(self, name) if name else None


def column_dtype(field: FieldSpec) -> np.dtype:
    if field.type in ("int", "long"):
        return np.dtype(np.int64)
    if field.type == "float":
        return np.dtype(np.float32)
    if field.type == "double":
        return np.dtype(np.float64)
    if field.type == "boolean":
        return np.dtype(np.int8)
    return np.dtype(np.int32)  # strings: interned codes


def null_value(dtype: np.dtype) -> Any:
    if dtype.kind == "f":
        return np.nan
    if dtype == np.int64:
        return INT_NULL
    return NO_CODE


Batch = dict[str, np.ndarray]


class Table:
    """One dataset's rows. ``key`` names the id column that identifies a record (upsert)."""

    def __init__(self, fields: Sequence[FieldSpec], catalog: Catalog, key: str | None = None) -> None:
        self.fields = list(fields)
        self.by_name = {f.name: f for f in self.fields}
        self.catalog = catalog
        self.key = key
        self.strings = Interner()  # non-id string columns
        self.dtypes = {f.name: column_dtype(f) for f in self.fields}
        self._chunks: list[Batch] = []
        self._origin_chunks: list[np.ndarray] = []
        self._length = 0
        self.version = 0  # bumped by every change, so readers can cache derived indexes
        self._by_key: dict[str, tuple[int, np.ndarray, np.ndarray, np.ndarray]] = {}

    # ---- reading -----------------------------------------------------------------------
    def __len__(self) -> int:
        return self._length

    def _consolidate(self) -> None:
        if len(self._chunks) > 1:
            self._chunks = [
                {name: np.concatenate([c[name] for c in self._chunks]) for name in self.dtypes}
            ]
            self._origin_chunks = [np.concatenate(self._origin_chunks)]

    def column(self, name: str) -> np.ndarray:
        self._consolidate()
        if not self._chunks:
            return np.empty(0, self.dtypes[name])
        return self._chunks[0][name]

    @property
    def origin(self) -> np.ndarray:
        self._consolidate()
        return self._origin_chunks[0] if self._origin_chunks else np.empty(0, np.uint8)

    def interner(self, name: str) -> Interner:
        space = self.catalog.space(name)
        return self.strings if space is None else space

    def value(self, name: str, raw: Any) -> Any:
        """A stored cell as the Python value it was given (``None`` for null)."""
        field = self.by_name[name]
        if field.type == "string":
            return self.interner(name).decode(int(raw))
        if field.type in ("int", "long"):
            return None if raw == INT_NULL else int(raw)
        if field.type == "boolean":
            return None if raw < 0 else bool(raw)
        if np.isnan(raw):
            return None
        # float32 cells read back as the decimal they were written as (0.1, not 0.10000000149)
        return float(str(raw)) if self.dtypes[name] == np.float32 else float(raw)

    def rows(self, origins: Iterable[int] = (ORIGIN_BULK, ORIGIN_PUT)) -> Iterator[dict[str, Any]]:
        """Rows in insertion order as ``{field: value}``, of the given origins."""
        keep = np.isin(self.origin, list(origins))
        columns = {name: self.column(name)[keep] for name in self.dtypes}
        for index in range(int(keep.sum())):
            yield {name: self.value(name, columns[name][index]) for name in columns}

    def grouped(self, column: str) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Rows grouped by ``column``: ``order`` (row numbers, grouped, insertion order within a
        group), the sorted distinct ``keys`` and ``bounds`` (group i is
        ``order[bounds[i]:bounds[i + 1]]``). Built once per table version."""
        cached = self._by_key.get(column)
        if cached is None or cached[0] != self.version:
            values = self.column(column)
            order = np.argsort(values, kind="stable")
            keys, starts = np.unique(values[order], return_index=True)
            cached = (self.version, order, keys, np.append(starts, len(order)))
            self._by_key[column] = cached
        return cached[1], cached[2], cached[3]

    def rows_of(self, column: str, code: int) -> np.ndarray:
        """Row numbers (insertion order) whose ``column`` holds ``code``; cheap once
        :meth:`grouped` has run for this table version."""
        order, keys, bounds = self.grouped(column)
        at = int(np.searchsorted(keys, code))
        if at >= len(keys) or keys[at] != code:
            return np.empty(0, np.int64)
        return order[bounds[at]:bounds[at + 1]]

    def group_mark(self, column: str, code: int, value: str) -> tuple[int, int]:
        """(rows whose ``column`` holds ``code``, ``value`` of the newest of them; -1 if none),
        without gathering the rows."""
        order, keys, bounds = self.grouped(column)
        at = int(keys.searchsorted(code))
        if at >= len(keys) or keys[at] != code:
            return 0, -1
        end = int(bounds[at + 1])
        return end - int(bounds[at]), int(self.column(value)[order[end - 1]])

    @property
    def nbytes(self) -> int:
        self._consolidate()
        arrays = sum(a.nbytes for c in self._chunks for a in c.values())
        return arrays + sum(o.nbytes for o in self._origin_chunks)

    # ---- writing -----------------------------------------------------------------------
    def empty_column(self, name: str, length: int) -> np.ndarray:
        dtype = self.dtypes[name]
        return np.full(length, null_value(dtype), dtype)

    def batch_from_records(self, records: Sequence[dict[str, Any]]) -> Batch:
        """Column batch from already-validated Python records (``None`` or absent = null)."""
        batch: Batch = {}
        for name, dtype in self.dtypes.items():
            values = [record.get(name) for record in records]
            if all(v is None for v in values):
                continue
            if self.by_name[name].type == "string":
                batch[name] = self.interner(name).codes(values)
            elif dtype == np.int8:
                batch[name] = np.array([-1 if v is None else int(bool(v)) for v in values], np.int8)
            else:
                null = null_value(dtype)
                batch[name] = np.array([null if v is None else v for v in values], dtype)
        return batch

    def concat(self, batches: Sequence[Batch]) -> Batch:
        """One batch of every column from batches that may each lack some (nullable) columns."""
        full = [self._normalise(b)[0] for b in batches]
        return {name: np.concatenate([b[name] for b in full]) for name in self.dtypes}

    def _normalise(self, batch: Batch) -> tuple[Batch, int]:
        if not batch:
            return {name: self.empty_column(name, 0) for name in self.dtypes}, 0
        lengths = {len(v) for v in batch.values()}
        if len(lengths) != 1:
            raise ValueError("batch columns differ in length")
        (length,) = lengths
        full = {
            name: batch[name].astype(dtype, copy=False) if name in batch else self.empty_column(name, length)
            for name, dtype in self.dtypes.items()
        }
        return full, length

    def _keep(self, mask: np.ndarray) -> int:
        """Keep only rows where ``mask`` is true; return how many were dropped."""
        dropped = int((~mask).sum())
        if dropped:
            self._consolidate()
            self._chunks = [{name: col[mask] for name, col in self._chunks[0].items()}]
            self._origin_chunks = [self._origin_chunks[0][mask]]
            self._length -= dropped
            self.version += 1
        return dropped

    def append(self, batch: Batch, origin: int = ORIGIN_BULK) -> None:
        """Add rows; for a keyed table a record replaces any earlier one with the same id and
        the same origin (a bulk record and an events-API record of one id coexist; readers
        that want one take the newest)."""
        full, length = self._normalise(batch)
        if not length:
            return
        if self.key is not None:
            keys = full[self.key]
            # Within the batch the last record of an id wins.
            _, last = np.unique(keys[::-1], return_index=True)
            if len(last) != length:
                order = np.sort(length - 1 - last)
                full = {name: col[order] for name, col in full.items()}
                keys, length = full[self.key], len(order)
            if self._length:
                self._keep(~(np.isin(self.column(self.key), keys) & (self.origin == origin)))
        self._chunks.append(full)
        self._origin_chunks.append(np.full(length, origin, np.uint8))
        self._length += length
        self.version += 1

    def replace(self, batch: Batch, origin: int = ORIGIN_BULK) -> None:
        """FULL import: drop every row of ``origin``, then append ``batch``."""
        if self._length:
            self._keep(self.origin != origin)
        self.append(batch, origin)

    def delete_ids(self, column: str, codes: np.ndarray) -> int:
        """Remove rows whose ``column`` holds one of ``codes``; return how many went."""
        if not self._length or column not in self.dtypes:
            return 0
        return self._keep(~np.isin(self.column(column), codes))
