"""Bulk CSV data -> a column batch for a ``Table``, validated against the dataset's schema.

pyarrow parses the file (about 0.3 s per million rows); every column is read as text and then
checked and converted here, so that a bad value is reported with its file, row and column.
Nothing is stored: the caller appends the batch only when every file of a job parsed.
"""

from __future__ import annotations

import re

import numpy as np

from .tables import INT_NULL, Batch, Table

MAX_ID_LENGTH = 256
MAX_CATEGORICAL_VALUE = 1000
MAX_TEXTUAL = 20_000
INTEGER = r"^[+-]?[0-9]+$"
HEX = re.compile(rb"(?:^|[,\n])[+-]?0[xX]")
DECIMAL = r"^[+-]?([0-9]+(\.[0-9]*)?|\.[0-9]+)([eE][+-]?[0-9]+)?$"
INT32 = (-(2**31), 2**31 - 1)


class DataError(Exception):
    """The data breaks a rule; ``str(error)`` is the job's failure reason."""


def _cell(column, row: int) -> str:
    text = column[row].as_py()
    return text if len(text) <= 60 else text[:60] + "..."


def line_of(data: bytes, row: int) -> int:
    """The 1-based line of the file on which data row ``row`` (0-based, header excluded)
    starts: quoted values may span lines, and blank lines are skipped as pyarrow skips them."""
    import csv
    import io

    reader = csv.reader(io.StringIO(data.decode("utf-8", "replace"), newline=""), escapechar="\\")
    seen, line = -1, 1  # the header row is record -1
    for record in reader:
        if not record:
            line = reader.line_num + 1
            continue
        if seen == row:
            return line
        seen += 1
        line = reader.line_num + 1
    return line


class _Column:
    """One CSV column on its way into the table, with what it needs to report a bad row."""

    def __init__(self, source: str, name: str, values, data: bytes = b"") -> None:
        self.source, self.name, self.values, self.data = source, name, values, data

    def fail(self, row: int, problem: str) -> DataError:
        # Both counts: the data row (header excluded) and the file's line (header included).
        line = line_of(self.data, row) if self.data else row + 2
        return DataError(f"{self.source}: row {row + 1} (line {line} of the file), column {self.name}: {problem}")

    def first(self, mask: np.ndarray) -> int:
        return int(np.argmax(mask))


def _read(data: bytes, column_types: dict, source: str):  # type: ignore[no-untyped-def]
    """pyarrow's CSV reader; a quoted value with a line break needs its slower serial mode."""
    import pyarrow as pa
    import pyarrow.csv as pcsv

    convert = pcsv.ConvertOptions(column_types=column_types, strings_can_be_null=False, null_values=[""])
    read = pcsv.ReadOptions(use_threads=True, block_size=8 << 20)
    try:
        return pcsv.read_csv(
            pa.py_buffer(data), read_options=read, convert_options=convert,
            parse_options=pcsv.ParseOptions(escape_char="\\"),
        )
    except pa.ArrowInvalid as error:
        if "conversion error" in str(error):
            raise
        return pcsv.read_csv(
            pa.py_buffer(data), read_options=read, convert_options=convert,
            parse_options=pcsv.ParseOptions(escape_char="\\", newlines_in_values=True),
        )


def parse_csv(data: bytes, source: str, table: Table) -> tuple[Batch, int]:
    """Parse one CSV object; return the batch for ``table`` and its row count.

    The fast path lets pyarrow type the columns while parsing (numbers as int64/float64,
    strings dictionary-encoded, so per-value checks run on distinct values only). When
    pyarrow refuses a value, the file is read again as text to report the exact row."""
    import pyarrow as pa

    if not data.strip():
        raise DataError(f"{source}: the file is empty; it must start with a header row.")
    end = data.find(b"\n")
    try:
        header = _read(data[: end if end >= 0 else len(data)] + b"\n", {}, source).column_names
    except pa.ArrowInvalid as error:
        raise DataError(f"{source}: the header row could not be read: {error}") from None
    columns = _map_header(header, source, table)
    types = {csv_name: _arrow_type(table.by_name[field].type) for csv_name, field in columns.items()}
    try:
        parsed = _read(data, types, source).unify_dictionaries()
    except pa.ArrowInvalid as error:
        if "conversion error" not in str(error):
            raise DataError(f"{source}: the file is not valid CSV: {error}") from None
        return _text_path(data, header, columns, source, table)
    kinds = {table.by_name[field].type for field in columns.values()}
    if kinds & {"int", "long"} and (b"0x" in data or b"0X" in data) and HEX.search(data):
        return _text_path(data, header, columns, source, table)  # pyarrow reads 0x10 as 16
    batch = {
        field: _typed(_Column(source, field, parsed.column(csv_name), data), table, field)
        for csv_name, field in columns.items()
    }
    floats = [f for f in columns.values() if table.by_name[f].type in ("float", "double")]
    if any(np.isinf(batch[f]).any() or (np.isnan(batch[f]).sum() > parsed.column(_csv(columns, f)).null_count)
           for f in floats):
        return _text_path(data, header, columns, source, table)  # pyarrow accepts nan / inf
    return batch, parsed.num_rows


def _csv(columns: dict[str, str], field: str) -> str:
    return next(name for name, mapped in columns.items() if mapped == field)


def _text_path(data: bytes, header: list[str], columns: dict[str, str], source: str,
               table: Table) -> tuple[Batch, int]:
    """Every column read as text and checked by this module's own rules (slower; exact rows)."""
    import pyarrow as pa

    text = _read(data, {name: pa.string() for name in header}, source)
    batch = {
        field: _convert(_Column(source, field, text.column(csv_name), data), table, field)
        for csv_name, field in columns.items()
    }
    return batch, text.num_rows


def _arrow_type(kind: str):  # type: ignore[no-untyped-def]
    import pyarrow as pa

    if kind in ("int", "long"):
        return pa.int64()
    if kind in ("float", "double"):
        return pa.float64()
    return pa.dictionary(pa.int32(), pa.string())


def _typed(column: _Column, table: Table, name: str) -> np.ndarray:
    """A column pyarrow already typed -> stored codes/values, with the schema's checks."""
    import pyarrow.compute as pc

    field = table.by_name[name]
    values = column.values.combine_chunks()
    kind = field.type
    if kind in ("int", "long", "float", "double"):
        if values.null_count and not field.nullable:
            row = column.first(values.is_null().to_numpy(zero_copy_only=False))
            raise column.fail(row, "a value is required (the field is not nullable).")
        if kind in ("float", "double"):
            return pc.fill_null(values, float("nan")).to_numpy(zero_copy_only=False)
        numbers = pc.fill_null(values, INT_NULL).to_numpy(zero_copy_only=False)
        if (numbers == INT_NULL).sum() > values.null_count:
            row = column.first((numbers == INT_NULL) & ~values.is_null().to_numpy(zero_copy_only=False))
            raise column.fail(row, f"'{numbers[row]}' is out of range for {kind} (its minimum is reserved).")
        if kind == "int":
            out = (numbers != INT_NULL) & ((numbers < INT32[0]) | (numbers > INT32[1]))
            if out.any():
                row = column.first(out)
                raise column.fail(row, f"'{numbers[row]}' is out of range for int.")
        return numbers
    uniques = values.dictionary.to_pylist()
    indices = values.indices.to_numpy(zero_copy_only=False)

    def fail_at(unique: int, problem: str) -> DataError:
        return column.fail(column.first(indices == unique), problem)

    for position, text in enumerate(uniques):
        if text == "":
            if not field.nullable:
                raise fail_at(position, "a value is required (the field is not nullable).")
            uniques[position] = None
        elif kind == "boolean":
            if text not in ("true", "false"):
                raise fail_at(position, f"'{text[:60]}' is not a boolean (use true or false).")
        elif table.catalog.space(name) is not None and len(text) > MAX_ID_LENGTH:
            raise fail_at(position, f"the id is longer than {MAX_ID_LENGTH} characters.")
        elif getattr(field, "categorical", False) and len(text) > MAX_CATEGORICAL_VALUE:
            if any(len(part) > MAX_CATEGORICAL_VALUE for part in text.split("|")):
                raise fail_at(position, f"a categorical value is longer than {MAX_CATEGORICAL_VALUE} characters.")
        elif getattr(field, "textual", False) and len(text) > MAX_TEXTUAL:
            uniques[position] = text[:MAX_TEXTUAL]  # truncated, as the service does
    if kind == "boolean":
        mapping = np.array([-1 if u is None else int(u == "true") for u in uniques], np.int8)
        return mapping[indices] if len(mapping) else np.empty(0, np.int8)
    return table.interner(name).encode(uniques, indices)


def _map_header(header: list[str], source: str, table: Table) -> dict[str, str]:
    """CSV column name -> schema field name (matched ignoring case)."""
    by_upper = {f.name.upper(): f.name for f in table.fields}
    mapped: dict[str, str] = {}
    unknown = []
    for name in header:
        field = by_upper.get(name.strip().upper())
        if field is None:
            unknown.append(name)
        elif field in mapped.values():
            raise DataError(f"{source}: the header names column {field} twice.")
        else:
            mapped[name] = field
    if unknown:
        raise DataError(
            f"{source}: Input CSV has columns that are not in the dataset's schema: {unknown}"
        )
    missing = [f.name for f in table.fields if not f.nullable and f.name not in mapped.values()]
    if missing:
        raise DataError(f"{source}: Input CSV is missing the following columns: {missing}")
    # *Dataset schemas*: "The schema fields can appear in any order, but they must match the
    # order of the corresponding column headers in your CSV file."
    schema_order = [f.name for f in table.fields if f.name in mapped.values()]
    if list(mapped.values()) != schema_order:
        raise DataError(
            f"{source}: the CSV columns are in the order {list(mapped.values())} but the schema's "
            f"fields are in the order {schema_order}; the column headers must follow the schema's "
            "field order."
        )
    return mapped


def _convert(column: _Column, table: Table, name: str) -> np.ndarray:
    import pyarrow.compute as pc

    field = table.by_name[name]
    values = column.values
    empty = pc.equal(values, "").to_numpy(zero_copy_only=False)
    if empty.any() and not field.nullable:
        raise column.fail(column.first(empty), "a value is required (the field is not nullable).")
    kind = field.type
    if kind == "string":
        return _strings(column, table, name, empty)
    if kind == "boolean":
        lowered = values.to_numpy(zero_copy_only=False)
        is_true, is_false = lowered == "true", lowered == "false"
        bad = ~(is_true | is_false | empty)
        if bad.any():
            row = column.first(bad)
            raise column.fail(row, f"'{_cell(values, row)}' is not a boolean (use true or false).")
        return np.where(empty, -1, is_true.astype(np.int8)).astype(np.int8)
    pattern = INTEGER if kind in ("int", "long") else DECIMAL
    valid = pc.match_substring_regex(values, pattern).to_numpy(zero_copy_only=False) | empty
    if not valid.all():
        row = column.first(~valid)
        raise column.fail(row, f"'{_cell(values, row)}' is not a valid {kind}.")
    nulled = pc.if_else(pc.equal(values, ""), None, pc.utf8_ltrim(values, "+"))
    if kind in ("int", "long"):
        try:
            numbers = pc.fill_null(pc.cast(nulled, "int64"), INT_NULL).to_numpy()
        except Exception:  # pyarrow.ArrowInvalid: out of the int64 range
            texts = values.to_pylist()
            row = next(i for i, t in enumerate(texts) if t and not -(2**63) <= int(t) < 2**63)
            raise column.fail(row, f"'{_cell(values, row)}' is out of range for {kind}.") from None
        reserved = ~empty & (numbers == INT_NULL)
        if reserved.any():
            row = column.first(reserved)
            raise column.fail(row, f"'{_cell(values, row)}' is out of range for {kind} (its minimum is reserved).")
        if kind == "int":
            out = ~empty & ((numbers < INT32[0]) | (numbers > INT32[1]))
            if out.any():
                row = column.first(out)
                raise column.fail(row, f"'{_cell(values, row)}' is out of range for int.")
        return numbers
    return pc.fill_null(pc.cast(nulled, "float64"), float("nan")).to_numpy()


def _strings(column: _Column, table: Table, name: str, empty: np.ndarray) -> np.ndarray:
    import pyarrow.compute as pc

    field = table.by_name[name]
    values = column.values
    lengths = pc.utf8_length(values).to_numpy(zero_copy_only=False)
    if table.catalog.space(name) is not None and (lengths > MAX_ID_LENGTH).any():
        row = column.first(lengths > MAX_ID_LENGTH)
        raise column.fail(row, f"the id is longer than {MAX_ID_LENGTH} characters.")
    if getattr(field, "categorical", False) and (lengths > MAX_CATEGORICAL_VALUE).any():
        for row in np.flatnonzero(lengths > MAX_CATEGORICAL_VALUE):
            if any(len(part) > MAX_CATEGORICAL_VALUE for part in values[int(row)].as_py().split("|")):
                raise column.fail(
                    int(row), f"a categorical value is longer than {MAX_CATEGORICAL_VALUE} characters."
                )
    if getattr(field, "textual", False) and (lengths > MAX_TEXTUAL).any():
        values = pc.utf8_slice_codeunits(values, 0, MAX_TEXTUAL)  # truncated, as the service does
    encoded = pc.dictionary_encode(values).combine_chunks()
    uniques = [None if v == "" else v for v in encoded.dictionary.to_pylist()]
    return table.interner(name).encode(uniques, encoded.indices.to_numpy(zero_copy_only=False))
