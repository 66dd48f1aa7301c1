"""Known-answer tests of the bulk CSV parser (engine/csv_import.py), without moto."""

import math

import pytest

from personalize_mock.engine.csv_import import DataError, parse_csv
from personalize_mock.engine.tables import Catalog, Table
from personalize_mock.resources.schema_rules import Field

SOURCE = "s3://bucket/data/items.csv"

ITEMS = [  # CSV headers must follow this order (*Dataset schemas*)
    Field("ITEM_ID", "string", False),
    Field("CREATION_TIMESTAMP", "long", False),
    Field("GENRES", "string", True, categorical=True),
    Field("PRICE", "float", True),
    Field("RATING", "double", True),
    Field("STOCK", "int", True),
    Field("IS_NEW", "boolean", True),
    Field("DESCRIPTION", "string", True, textual=True),
    Field("BRAND", "string", True),
]
INTERACTIONS = [
    Field("USER_ID", "string", False),
    Field("ITEM_ID", "string", False),
    Field("TIMESTAMP", "long", False),
    Field("EVENT_TYPE", "string", False),
    Field("EVENT_VALUE", "float", True),
]


def items_table():
    return Table(ITEMS, Catalog(), key="ITEM_ID")


def load(text, fields=ITEMS, key="ITEM_ID"):
    """Parse ``text`` into a fresh table; return (row count, rows as dicts)."""
    table = Table(fields, Catalog(), key=key)
    batch, count = parse_csv(text.encode() if isinstance(text, str) else text, SOURCE, table)
    table.append(batch)
    return count, list(table.rows())


def failure(text, fields=ITEMS):
    with pytest.raises(DataError) as excinfo:
        parse_csv(text.encode(), SOURCE, Table(fields, Catalog()))
    return str(excinfo.value)


# ---- success ---------------------------------------------------------------------------------


def test_every_type_with_values_and_nulls():
    text = (
        "ITEM_ID,CREATION_TIMESTAMP,GENRES,PRICE,RATING,STOCK,IS_NEW,DESCRIPTION,BRAND\n"
        "i1,1700000000,Comedy|Drama,9.5,4.25,12,true,A film.,acme\n"
        "i2,1700000001,,,,,,,\n"
        "i3,0,Horror,-0.5,1e3,-7,false,,\n"
    )
    count, rows = load(text)
    assert count == 3
    assert rows[0] == {
        "ITEM_ID": "i1", "GENRES": "Comedy|Drama", "PRICE": 9.5, "RATING": 4.25,
        "CREATION_TIMESTAMP": 1700000000, "STOCK": 12, "IS_NEW": True, "DESCRIPTION": "A film.", "BRAND": "acme",
    }
    assert rows[1] == {
        "ITEM_ID": "i2", "GENRES": None, "PRICE": None, "RATING": None, "CREATION_TIMESTAMP": 1700000001,
        "STOCK": None, "IS_NEW": None, "DESCRIPTION": None, "BRAND": None,
    }
    assert rows[2]["PRICE"] == -0.5 and rows[2]["RATING"] == 1000.0
    assert rows[2]["CREATION_TIMESTAMP"] == 0 and rows[2]["STOCK"] == -7 and rows[2]["IS_NEW"] is False


def test_quoting_and_backslash_escapes():
    text = (
        "ITEM_ID,CREATION_TIMESTAMP,DESCRIPTION\n"
        '"a,1",1,"He said \\"hi\\", then left"\n'
        '"b",2,"back\\\\slash"\n'
        '"c",3,"two\nlines"\n'
        'd,4,""\n'
    )
    count, rows = load(text)
    assert count == 4
    assert [r["ITEM_ID"] for r in rows] == ["a,1", "b", "c", "d"]
    assert [r["DESCRIPTION"] for r in rows] == ['He said "hi", then left', "back\\slash", "two\nlines", None]


def test_header_matched_ignoring_case_and_spaces_nullable_columns_optional():
    count, rows = load(" Item_Id ,creation_timestamp,is_new\n x,5,true\n".replace(" x", "x"))
    assert count == 1
    assert rows == [{
        "ITEM_ID": "x", "GENRES": None, "PRICE": None, "RATING": None, "CREATION_TIMESTAMP": 5,
        "STOCK": None, "IS_NEW": True, "DESCRIPTION": None, "BRAND": None,
    }]


def test_utf8_byte_order_mark_is_ignored():
    count, rows = load("\ufeffITEM_ID,CREATION_TIMESTAMP\na,1\n".encode("utf-8"))
    assert count == 1 and rows[0]["ITEM_ID"] == "a"


def test_crlf_line_endings_and_utf8():
    count, rows = load("ITEM_ID,CREATION_TIMESTAMP,BRAND\r\nü1,1,Café ✓\r\nb,2,x\r\n".encode())
    assert count == 2
    assert [(r["ITEM_ID"], r["BRAND"]) for r in rows] == [("ü1", "Café ✓"), ("b", "x")]


@pytest.mark.parametrize(
    ("text", "value"),
    [("1.5", 1.5), (".5", 0.5), ("5.", 5.0), ("-2e3", -2000.0), ("1E-2", 0.01), ("+1.25", 1.25), ("7", 7.0)],
)
def test_decimal_forms(text, value):
    _, rows = load(f"ITEM_ID,CREATION_TIMESTAMP,RATING\na,1,{text}\n")
    assert rows[0]["RATING"] == pytest.approx(value)


def test_float_column_is_single_precision_double_is_not():
    _, rows = load("ITEM_ID,CREATION_TIMESTAMP,PRICE,RATING\na,1,0.1,0.1\n")
    assert rows[0]["RATING"] == 0.1
    assert rows[0]["PRICE"] == pytest.approx(0.1, rel=1e-6)


def test_int_and_long_bounds():
    _, rows = load(f"ITEM_ID,CREATION_TIMESTAMP,STOCK\na,{2**63 - 1},{2**31 - 1}\nb,-5,{-(2**31)}\n")
    assert [r["CREATION_TIMESTAMP"] for r in rows] == [2**63 - 1, -5]
    assert [r["STOCK"] for r in rows] == [2**31 - 1, -(2**31)]


def test_categorical_multi_values_are_checked_one_by_one():
    value = "x" * 1000 + "|" + "y" * 1000  # 2001 characters, each value 1000
    _, rows = load(f"ITEM_ID,CREATION_TIMESTAMP,GENRES\na,1,{value}\n")
    assert rows[0]["GENRES"] == value


def test_textual_values_are_truncated_not_failed():
    _, rows = load("ITEM_ID,CREATION_TIMESTAMP,DESCRIPTION\na,1," + "z" * 20_005 + "\n")
    assert rows[0]["DESCRIPTION"] == "z" * 20_000


def test_ids_of_256_characters_are_accepted():
    _, rows = load(f"ITEM_ID,CREATION_TIMESTAMP\n{'i' * 256},1\n")
    assert rows[0]["ITEM_ID"] == "i" * 256


def test_header_only_file_has_no_rows():
    count, rows = load("ITEM_ID,CREATION_TIMESTAMP\n")
    assert (count, rows) == (0, [])


def test_ids_are_interned_in_the_group_catalog_strings_in_the_table():
    catalog = Catalog()
    table = Table(INTERACTIONS, catalog)
    batch, count = parse_csv(
        b"USER_ID,ITEM_ID,TIMESTAMP,EVENT_TYPE,EVENT_VALUE\nu1,i1,1,click,\nu2,i1,2,buy,2.5\nu1,i2,3,click,\n",
        SOURCE, table,
    )
    assert count == 3
    assert catalog.users.values == ["u1", "u2"] and catalog.items.values == ["i1", "i2"]
    assert table.strings.values == ["click", "buy"]
    assert batch["USER_ID"].tolist() == [0, 1, 0]
    assert batch["EVENT_TYPE"].tolist() == [0, 1, 0]
    assert math.isnan(batch["EVENT_VALUE"][0]) and batch["EVENT_VALUE"][1] == 2.5


def test_parsing_stores_nothing():
    table = items_table()
    parse_csv(b"ITEM_ID,CREATION_TIMESTAMP\na,1\n", SOURCE, table)
    assert len(table) == 0


# ---- failures: file, row and column --------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("", "the file is empty; it must start with a header row."),
        ("  \n\n", "the file is empty; it must start with a header row."),
        ("ITEM_ID,CREATION_TIMESTAMP,COLOR,size\na,1,red,2\n",
         "Input CSV has columns that are not in the dataset's schema: ['COLOR', 'size']"),
        ("ITEM_ID,GENRES\na,x\n", "Input CSV is missing the following columns: ['CREATION_TIMESTAMP']"),
        ("GENRES\nx\n", "Input CSV is missing the following columns: ['ITEM_ID', 'CREATION_TIMESTAMP']"),
        ("ITEM_ID,item_id,CREATION_TIMESTAMP\na,a,1\n", "the header names column ITEM_ID twice."),
    ],
)
def test_header_failures(text, reason):
    assert failure(text) == f"{SOURCE}: {reason}"


def test_row_with_too_many_values_is_not_valid_csv():
    reason = failure("ITEM_ID,CREATION_TIMESTAMP\na,1\nb,2,3\n")
    assert reason.startswith(f"{SOURCE}: the file is not valid CSV: ")
    assert "Expected 2 columns, got 3" in reason


@pytest.mark.parametrize(
    ("rows", "reason"),
    [
        # Rows are counted from 1 for the first data row (the header is not counted).
        ("a,1\n,2\n", "row 2 (line 3 of the file), column ITEM_ID: a value is required (the field is not nullable)."),
        ("a,1\nb,\n", "row 2 (line 3 of the file), column CREATION_TIMESTAMP: a value is required (the field is not nullable)."),
        ("a,1\nb,2\nc,soon\n", "row 3 (line 4 of the file), column CREATION_TIMESTAMP: 'soon' is not a valid long."),
        ("a,1.0\n", "row 1 (line 2 of the file), column CREATION_TIMESTAMP: '1.0' is not a valid long."),
    ],
)
def test_required_and_long_failures(rows, reason):
    assert failure("ITEM_ID,CREATION_TIMESTAMP\n" + rows) == f"{SOURCE}: {reason}"


@pytest.mark.parametrize(
    ("column", "values", "reason"),
    [
        ("STOCK", ["1", "2", "3000000000"], "row 3 (line 4 of the file), column STOCK: '3000000000' is out of range for int."),
        ("STOCK", ["-2147483649"], "row 1 (line 2 of the file), column STOCK: '-2147483649' is out of range for int."),
        ("STOCK", ["1", "two"], "row 2 (line 3 of the file), column STOCK: 'two' is not a valid int."),
        ("PRICE", ["1", "2", "abc"], "row 3 (line 4 of the file), column PRICE: 'abc' is not a valid float."),
        ("RATING", ["1", "0x10"], "row 2 (line 3 of the file), column RATING: '0x10' is not a valid double."),
        ("STOCK", ["1e3"], "row 1 (line 2 of the file), column STOCK: '1e3' is not a valid int."),
        ("RATING", ["1,5"], None),  # an extra column: not valid CSV
        ("IS_NEW", ["true", "True"], "row 2 (line 3 of the file), column IS_NEW: 'True' is not a boolean (use true or false)."),
        ("IS_NEW", ["1"], "row 1 (line 2 of the file), column IS_NEW: '1' is not a boolean (use true or false)."),
        ("GENRES", ["ok", "x" * 1001], "row 2 (line 3 of the file), column GENRES: a categorical value is longer than 1000 characters."),
        ("GENRES", ["a|" + "x" * 1001], "row 1 (line 2 of the file), column GENRES: a categorical value is longer than 1000 characters."),
    ],
)
def test_value_failures(column, values, reason):
    text = f"ITEM_ID,CREATION_TIMESTAMP,{column}\n" + "".join(f"i{n},1,{v}\n" for n, v in enumerate(values))
    found = failure(text)
    if reason is None:
        assert "the file is not valid CSV" in found
    else:
        assert found == f"{SOURCE}: {reason}"


def test_long_cell_is_shortened_in_the_reason():
    reason = failure("ITEM_ID,CREATION_TIMESTAMP\na," + "9" * 30 + "x" * 50 + "\n")
    assert reason == f"{SOURCE}: row 1 (line 2 of the file), column CREATION_TIMESTAMP: '{'9' * 30 + 'x' * 30}...' is not a valid long."


def test_id_longer_than_256_characters_fails():
    assert failure(f"ITEM_ID,CREATION_TIMESTAMP\nok,1\n{'i' * 257},2\n") == (
        f"{SOURCE}: row 2 (line 3 of the file), column ITEM_ID: the id is longer than 256 characters."
    )
    assert failure(f"USER_ID,ITEM_ID,TIMESTAMP,EVENT_TYPE\n{'u' * 300},i,1,click\n", INTERACTIONS) == (
        f"{SOURCE}: row 1 (line 2 of the file), column USER_ID: the id is longer than 256 characters."
    )


def test_non_id_strings_may_be_longer_than_256():
    _, rows = load(f"ITEM_ID,CREATION_TIMESTAMP,BRAND\na,1,{'b' * 5000}\n")
    assert rows[0]["BRAND"] == "b" * 5000


# ---- number edge cases (fixed in csv_import.py after d3c97f7) -----------------------------


def test_long_overflow_names_its_row():
    assert failure("ITEM_ID,CREATION_TIMESTAMP\na,1\nb,2\nc,99999999999999999999\n") == (
        f"{SOURCE}: row 3 (line 4 of the file), column CREATION_TIMESTAMP: '99999999999999999999' is out of range for long."
    )


def test_long_with_plus_sign():
    # INTEGER allows a leading sign; pyarrow's own cast does not.
    _, rows = load("ITEM_ID,CREATION_TIMESTAMP\na,1\nb,+5\n")
    assert [r["CREATION_TIMESTAMP"] for r in rows] == [1, 5]


def test_long_minimum_is_never_silently_null():
    # tables.INT_NULL is int64's minimum: the value must be refused (with its row) or kept, never nulled.
    text = f"ITEM_ID,CREATION_TIMESTAMP\na,1\nb,{-(2**63)}\n"
    try:
        _, rows = load(text)
    except DataError as error:
        assert str(error).startswith(f"{SOURCE}: row 2 (line 3 of the file), column CREATION_TIMESTAMP: '{-(2**63)}' is out of range")
    else:
        assert rows[1]["CREATION_TIMESTAMP"] == -(2**63)


@pytest.mark.parametrize(("column", "value"), [("RATING", "nan"), ("RATING", "inf"), ("STOCK", "0x10")])
def test_fast_path_applies_the_same_number_rules(column, value):
    # pyarrow's typed parsing accepts these; the parser's own rules (DECIMAL / INTEGER) do not.
    reason = failure(f"ITEM_ID,CREATION_TIMESTAMP,{column}\ni0,1,{value}\n")
    kind = "double" if column == "RATING" else "int"
    assert reason == f"{SOURCE}: row 1 (line 2 of the file), column {column}: '{value}' is not a valid {kind}."


def test_columns_out_of_schema_order_fail_showing_both_orders():
    # *Dataset schemas*: the schema fields "must match the order of the corresponding column
    # headers in your CSV file". Omitted nullable columns do not count.
    assert failure("CREATION_TIMESTAMP,ITEM_ID,BRAND\n1,a,x\n") == (
        f"{SOURCE}: the CSV columns are in the order ['CREATION_TIMESTAMP', 'ITEM_ID', 'BRAND'] but the "
        "schema's fields are in the order ['ITEM_ID', 'CREATION_TIMESTAMP', 'BRAND']; the column headers "
        "must follow the schema's field order."
    )
    assert load("ITEM_ID,CREATION_TIMESTAMP,BRAND\na,1,x\n")[0] == 1


def test_failure_names_the_data_row_and_the_file_line():
    # The header is line 1; a quoted value may span lines and blank lines are skipped, so the
    # line is counted, not derived from the row.
    text = 'ITEM_ID,CREATION_TIMESTAMP,DESCRIPTION\na,1,"two\nlines"\n\nb,x,\n'
    assert failure(text) == f"{SOURCE}: row 2 (line 5 of the file), column CREATION_TIMESTAMP: 'x' is not a valid long."
