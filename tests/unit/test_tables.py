"""Known-answer tests of the columnar tables (engine/tables.py), without moto."""

import math

import numpy as np
import pytest

from personalize_mock.engine.tables import (
    INT_NULL,
    NO_CODE,
    ORIGIN_BULK,
    ORIGIN_PUT,
    Catalog,
    Interner,
    Table,
    column_dtype,
    null_value,
)
from personalize_mock.resources.schema_rules import Field

INTERACTIONS = [
    Field("USER_ID", "string", False),
    Field("ITEM_ID", "string", False),
    Field("TIMESTAMP", "long", False),
    Field("EVENT_TYPE", "string", False),
]
USERS = [
    Field("USER_ID", "string", False),
    Field("MEMBERSHIP", "string", False, categorical=True),
    Field("AGE", "int", True),
]
ITEMS = [
    Field("ITEM_ID", "string", False),
    Field("GENRES", "string", True, categorical=True),
    Field("PRICE", "float", True),
    Field("RATING", "double", True),
    Field("CREATION_TIMESTAMP", "long", True),
    Field("IS_NEW", "boolean", True),
]


def interactions(catalog=None):
    return Table(INTERACTIONS, catalog or Catalog())


def users(catalog=None):
    return Table(USERS, catalog or Catalog(), key="USER_ID")


def records(table, *rows):
    return table.batch_from_records(list(rows))


def ids(table, column="USER_ID", origins=(ORIGIN_BULK, ORIGIN_PUT)):
    return [row[column] for row in table.rows(origins)]


# ---- Interner / Catalog --------------------------------------------------------------------


def test_interner_codes_are_dense_and_stable():
    interner = Interner()
    assert [interner.code(v) for v in ["b", "a", "b", "c", "a"]] == [0, 1, 0, 2, 1]
    assert interner.values == ["b", "a", "c"]
    assert len(interner) == 3
    assert interner.find("c") == 2
    assert interner.find("zz") is None
    assert len(interner) == 3  # find does not intern


def test_interner_codes_with_nulls_and_decode():
    interner = Interner()
    codes = interner.codes(["x", None, "y", "x"])
    assert codes.dtype == np.int32
    assert codes.tolist() == [0, NO_CODE, 1, 0]
    assert [interner.decode(int(c)) for c in codes] == ["x", None, "y", "x"]


def test_interner_encode_dictionary_input():
    interner = Interner()
    interner.code("already")
    encoded = interner.encode(["q", None, "already"], np.array([2, 0, 1, 0, 2]))
    assert encoded.tolist() == [0, 1, NO_CODE, 1, 0]
    assert interner.values == ["already", "q"]
    # No uniques at all (an all-empty column): every row is null.
    assert Interner().encode([], np.array([], np.int64)).tolist() == []
    assert Interner().encode([], np.zeros(3, np.int64)).tolist() == [NO_CODE] * 3


def test_catalog_spaces():
    catalog = Catalog()
    assert catalog.space("USER_ID") is catalog.users
    assert catalog.space("ITEM_ID") is catalog.items
    assert catalog.space("ACTION_ID") is catalog.actions
    assert catalog.space("EVENT_TYPE") is None


@pytest.mark.parametrize(
    ("avro_type", "dtype", "null"),
    [
        ("int", np.int64, INT_NULL),
        ("long", np.int64, INT_NULL),
        ("float", np.float32, None),
        ("double", np.float64, None),
        ("boolean", np.int8, NO_CODE),
        ("string", np.int32, NO_CODE),
    ],
)
def test_column_dtypes_and_nulls(avro_type, dtype, null):
    found = column_dtype(Field("X", avro_type, True))
    assert found == np.dtype(dtype)
    if null is None:
        assert math.isnan(null_value(found))
    else:
        assert null_value(found) == null


# ---- ids share the group's code space ------------------------------------------------------


def test_ids_interned_group_wide_other_strings_per_table():
    catalog = Catalog()
    inter, members = interactions(catalog), users(catalog)
    inter.append(records(inter, {"USER_ID": "u1", "ITEM_ID": "i1", "TIMESTAMP": 1, "EVENT_TYPE": "click"}))
    members.append(records(members, {"USER_ID": "u2", "MEMBERSHIP": "gold"}, {"USER_ID": "u1", "MEMBERSHIP": "click"}))
    assert catalog.users.values == ["u1", "u2"]
    assert catalog.items.values == ["i1"]
    assert members.column("USER_ID").tolist() == [1, 0]
    # EVENT_TYPE and MEMBERSHIP each have their own string table.
    assert inter.strings.values == ["click"]
    assert members.strings.values == ["gold", "click"]
    assert members.column("MEMBERSHIP").tolist() == [0, 1]


# ---- append / upsert -----------------------------------------------------------------------


def test_append_keeps_insertion_order_for_unkeyed_tables():
    table = interactions()
    table.append(records(table, *({"USER_ID": f"u{i % 2}", "ITEM_ID": "i", "TIMESTAMP": i, "EVENT_TYPE": "e"}
                                  for i in range(3))))
    table.append(records(table, {"USER_ID": "u0", "ITEM_ID": "i", "TIMESTAMP": 9, "EVENT_TYPE": "e"}))
    assert len(table) == 4
    assert [r["TIMESTAMP"] for r in table.rows()] == [0, 1, 2, 9]
    assert ids(table) == ["u0", "u1", "u0", "u0"]  # duplicates are kept: no key


def test_upsert_within_a_batch_last_record_wins():
    table = users()
    table.append(records(
        table,
        {"USER_ID": "a", "MEMBERSHIP": "bronze"},
        {"USER_ID": "b", "MEMBERSHIP": "silver"},
        {"USER_ID": "a", "MEMBERSHIP": "gold", "AGE": 40},
        {"USER_ID": "c", "MEMBERSHIP": "basic"},
    ))
    assert len(table) == 3
    # Each id sits where its last record was.
    assert list(table.rows()) == [
        {"USER_ID": "b", "MEMBERSHIP": "silver", "AGE": None},
        {"USER_ID": "a", "MEMBERSHIP": "gold", "AGE": 40},
        {"USER_ID": "c", "MEMBERSHIP": "basic", "AGE": None},
    ]


def test_upsert_across_batches_replaces_and_moves_to_the_end():
    table = users()
    table.append(records(table, *({"USER_ID": u, "MEMBERSHIP": "m1"} for u in "xyz")))
    table.append(records(table, {"USER_ID": "y", "MEMBERSHIP": "m2"}, {"USER_ID": "w", "MEMBERSHIP": "m2"}))
    assert [(r["USER_ID"], r["MEMBERSHIP"]) for r in table.rows()] == [
        ("x", "m1"), ("z", "m1"), ("y", "m2"), ("w", "m2"),
    ]
    assert len(table) == 4


def test_append_zero_length_batch_is_a_no_op():
    table = users()
    table.append(records(table, {"USER_ID": "a", "MEMBERSHIP": "m"}))
    table.append({"USER_ID": np.empty(0, np.int32)})
    assert len(table) == 1


def test_append_batch_from_no_records_is_a_no_op():
    table = users()
    table.append(table.batch_from_records([]))
    assert len(table) == 0


def test_append_records_origin():
    table = users()
    table.append(records(table, {"USER_ID": "bulk", "MEMBERSHIP": "m"}), ORIGIN_BULK)
    table.append(records(table, {"USER_ID": "put", "MEMBERSHIP": "m"}), ORIGIN_PUT)
    assert table.origin.tolist() == [ORIGIN_BULK, ORIGIN_PUT]
    assert ids(table, origins=(ORIGIN_BULK,)) == ["bulk"]
    assert ids(table, origins=(ORIGIN_PUT,)) == ["put"]
    assert ids(table) == ["bulk", "put"]


# ---- replace (FULL import) -----------------------------------------------------------------


def test_replace_drops_only_bulk_rows():
    table = interactions()
    row = lambda u, t: {"USER_ID": u, "ITEM_ID": "i", "TIMESTAMP": t, "EVENT_TYPE": "e"}
    table.append(records(table, row("b1", 1), row("b2", 2)), ORIGIN_BULK)
    table.append(records(table, row("p1", 3)), ORIGIN_PUT)
    table.append(records(table, row("b3", 4)), ORIGIN_BULK)
    table.replace(records(table, row("n1", 5), row("n2", 6)), ORIGIN_BULK)
    assert ids(table) == ["p1", "n1", "n2"]
    assert ids(table, origins=(ORIGIN_PUT,)) == ["p1"]
    assert table.origin.tolist() == [ORIGIN_PUT, ORIGIN_BULK, ORIGIN_BULK]
    assert len(table) == 3


def test_replace_into_an_empty_table_and_with_an_empty_batch():
    table = users()
    table.replace(records(table, {"USER_ID": "a", "MEMBERSHIP": "m"}))
    assert ids(table) == ["a"]
    table.replace({"USER_ID": np.empty(0, np.int32), "MEMBERSHIP": np.empty(0, np.int32)})
    assert len(table) == 0


# ---- delete_ids ----------------------------------------------------------------------------


def test_delete_ids_counts_rows_removed():
    catalog = Catalog()
    table = interactions(catalog)
    table.append(records(table, *({"USER_ID": u, "ITEM_ID": "i", "TIMESTAMP": n, "EVENT_TYPE": "e"}
                                  for n, u in enumerate(["a", "b", "a", "c", "a"]))))
    table.append(records(table, {"USER_ID": "b", "ITEM_ID": "i", "TIMESTAMP": 9, "EVENT_TYPE": "e"}), ORIGIN_PUT)
    codes = catalog.users.codes(["a", "b"])
    assert table.delete_ids("USER_ID", codes) == 5
    assert ids(table) == ["c"]
    assert [r["TIMESTAMP"] for r in table.rows()] == [3]
    assert table.delete_ids("USER_ID", codes) == 0
    assert table.delete_ids("NO_SUCH_COLUMN", codes) == 0
    assert interactions().delete_ids("USER_ID", codes) == 0  # empty table


# ---- rows(): decoding ----------------------------------------------------------------------


def test_rows_decode_every_type_and_null():
    table = Table(ITEMS, Catalog(), key="ITEM_ID")
    table.append(records(
        table,
        {"ITEM_ID": "i1", "GENRES": "a|b", "PRICE": 2.5, "RATING": 0.1, "CREATION_TIMESTAMP": 17, "IS_NEW": True},
        {"ITEM_ID": "i2", "IS_NEW": False},
        {"ITEM_ID": "i3", "CREATION_TIMESTAMP": 0, "PRICE": 0.0},
    ))
    rows = list(table.rows())
    assert rows[0] == {"ITEM_ID": "i1", "GENRES": "a|b", "PRICE": 2.5, "RATING": 0.1,
                       "CREATION_TIMESTAMP": 17, "IS_NEW": True}
    assert rows[1] == {"ITEM_ID": "i2", "GENRES": None, "PRICE": None, "RATING": None,
                       "CREATION_TIMESTAMP": None, "IS_NEW": False}
    # Zero is a value, not null.
    assert rows[2]["CREATION_TIMESTAMP"] == 0 and rows[2]["PRICE"] == 0.0 and rows[2]["IS_NEW"] is None
    assert type(rows[0]["CREATION_TIMESTAMP"]) is int and type(rows[0]["PRICE"]) is float
    # Storage: NaN / INT_NULL / -1 for nulls.
    assert math.isnan(table.column("PRICE")[1])
    assert table.column("CREATION_TIMESTAMP")[1] == INT_NULL
    assert table.column("IS_NEW").tolist() == [1, 0, -1]
    assert table.column("GENRES")[1] == NO_CODE


def test_column_of_an_empty_table():
    table = users()
    assert table.column("AGE").dtype == np.int64 and len(table.column("AGE")) == 0
    assert list(table.rows()) == []
    assert len(table.origin) == 0


# ---- concat / _normalise -------------------------------------------------------------------


def test_concat_fills_missing_columns_with_nulls():
    table = users()
    first = records(table, {"USER_ID": "a", "MEMBERSHIP": "m", "AGE": 3})
    second = records(table, {"USER_ID": "b", "MEMBERSHIP": "m"}, {"USER_ID": "c", "MEMBERSHIP": "n"})
    assert "AGE" not in second  # an all-null column is left out of a batch
    batch = table.concat([first, second])
    assert set(batch) == {"USER_ID", "MEMBERSHIP", "AGE"}
    assert batch["AGE"].tolist() == [3, INT_NULL, INT_NULL]
    assert batch["AGE"].dtype == np.int64
    assert [table.catalog.users.decode(int(c)) for c in batch["USER_ID"]] == ["a", "b", "c"]


def test_concat_casts_to_the_column_dtype():
    table = Table(ITEMS, Catalog())
    batch = table.concat([{"ITEM_ID": np.array([0, 1], np.int64), "PRICE": np.array([1.5, 2.0])}])
    assert batch["ITEM_ID"].dtype == np.int32
    assert batch["PRICE"].dtype == np.float32
    assert batch["IS_NEW"].tolist() == [-1, -1]


def test_batch_with_uneven_columns_is_refused():
    table = users()
    with pytest.raises(ValueError, match="differ in length"):
        table.append({"USER_ID": np.zeros(2, np.int32), "MEMBERSHIP": np.zeros(3, np.int32)})


# ---- memory --------------------------------------------------------------------------------


def test_nbytes_per_interaction_row_is_at_most_40():
    table = interactions()
    n = 10_000
    batch = {
        "USER_ID": table.catalog.users.codes(f"u{i % 500}" for i in range(n)),
        "ITEM_ID": table.catalog.items.codes(f"i{i % 300}" for i in range(n)),
        "TIMESTAMP": np.arange(n, dtype=np.int64),
        "EVENT_TYPE": table.strings.codes("click" for _ in range(n)),
    }
    table.append(batch)
    table.append(batch, ORIGIN_PUT)
    assert len(table) == 2 * n
    assert table.nbytes / len(table) <= 40
    # 4 + 4 + 8 + 4 bytes of columns and 1 byte of origin.
    assert table.nbytes == 2 * n * 21


def test_group_mark_counts_rows_and_names_the_newest():
    table = interactions()
    table.append(records(table, *({"USER_ID": f"u{i % 2}", "ITEM_ID": f"i{i}", "TIMESTAMP": i, "EVENT_TYPE": "e"}
                                  for i in range(5))))
    catalog = table.catalog
    u0 = catalog.users.find("u0")
    assert table.group_mark("USER_ID", u0, "ITEM_ID") == (3, catalog.items.find("i4"))
    rows = table.rows_of("USER_ID", u0)
    assert table.group_mark("USER_ID", u0, "ITEM_ID")[0] == len(rows)
    table.append(records(table, {"USER_ID": "u0", "ITEM_ID": "i1", "TIMESTAMP": 9, "EVENT_TYPE": "e"}))
    assert table.group_mark("USER_ID", u0, "ITEM_ID") == (4, catalog.items.find("i1"))
    assert table.group_mark("USER_ID", 999, "ITEM_ID") == (0, -1)
