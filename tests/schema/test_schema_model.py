"""Snapshot values: strict wire parsing and table lookup."""

from __future__ import annotations

import copy
from typing import Any

import pytest

from conexor.errors import ConexorError
from conexor.schema import Column, ForeignKey, MalformedSchema, SchemaError, Snapshot, Table


def _t(name: str, schema: str | None = None, kind: str = "table") -> Table:
    return Table(
        schema=schema,
        name=name,
        kind=kind,  # type: ignore[arg-type]
        comment=None,
        columns=(
            Column("id", "INTEGER", False, None, "key", True),
            Column("customer_id", "INTEGER", True, "0", None, False),
        ),
        foreign_keys=(ForeignKey(("customer_id",), "customers", ("id",)),),
    )


SNAP = Snapshot(
    dialect="postgresql",
    default_schema="public",
    tables=(
        _t("orders"),
        _t("Invoices"),
        _t("orders", "sales"),
        _t("refunds", "sales"),
        _t("refunds", "archive"),
        _t("Shipments", "ops"),
        _t("shipments", "old"),
        _t("big_orders", "sales", "view"),
    ),
)


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("orders", (None, "orders")),  # default schema wins over sales.orders
        ("public.orders", (None, "orders")),
        ("sales.orders", ("sales", "orders")),
        ("big_orders", ("sales", "big_orders")),  # unique bare name elsewhere
        ("Invoices", (None, "Invoices")),
        ("invoices", (None, "Invoices")),  # case-insensitive, unique
        ("SALES.ORDERS", ("sales", "orders")),
        ("Shipments", ("ops", "Shipments")),  # exact case beats the other spelling
        ("shipments", ("old", "shipments")),
        ("SHIPMENTS", None),  # ambiguous without case
        ("refunds", None),  # two schemas, none default: ambiguous
        ("archive.refunds", ("archive", "refunds")),
        ("missing", None),
        ("", None),
    ],
)
def test_find_table(name: str, expected: tuple[str | None, str] | None) -> None:
    found = SNAP.find_table(name)
    assert (None if found is None else (found.schema, found.name)) == expected


def test_json_round_trip() -> None:
    assert Snapshot.from_json(SNAP.to_json()) == SNAP
    assert Snapshot.from_json(Snapshot("sqlite", ()).to_json()) == Snapshot("sqlite", ())


def _bad(mutate: Any) -> dict[str, Any]:
    d: dict[str, Any] = copy.deepcopy(SNAP.to_json())
    mutate(d)
    return d


@pytest.mark.parametrize(
    "doc",
    [
        None,
        [],
        "snapshot",
        _bad(lambda d: d.pop("version")),
        _bad(lambda d: d.update(version=2)),
        _bad(lambda d: d.update(version=True)),
        _bad(lambda d: d.update(extra=1)),
        _bad(lambda d: d.update(dialect="")),
        _bad(lambda d: d.update(dialect=3)),
        _bad(lambda d: d.update(tables={})),
        _bad(lambda d: d["tables"].append(d["tables"][0])),
        _bad(lambda d: d["tables"][0].update(kind="index")),
        _bad(lambda d: d["tables"][0].update(schema="")),
        _bad(lambda d: d["tables"][0].update(name="")),
        _bad(lambda d: d["tables"][0].update(comment=["x"])),
        _bad(lambda d: d["tables"][0].pop("foreign_keys")),
        _bad(lambda d: d["tables"][0]["columns"][0].update(nullable=0)),
        _bad(lambda d: d["tables"][0]["columns"][0].update(primary_key="yes")),
        _bad(lambda d: d["tables"][0]["columns"][0].update(type=None)),
        _bad(lambda d: d["tables"][0]["columns"][0].update(default="x" * 70_000)),
        _bad(lambda d: d["tables"][0]["columns"].append(d["tables"][0]["columns"][0])),
        _bad(lambda d: d["tables"][0]["foreign_keys"][0].update(columns=[])),
        _bad(lambda d: d["tables"][0]["foreign_keys"][0].update(ref_columns=["a", "b"])),
        _bad(lambda d: d["tables"][0]["foreign_keys"][0].update(columns=["nope"])),
        _bad(lambda d: d["tables"][0]["foreign_keys"][0].update(columns="customer_id")),
        _bad(lambda d: d.update(tables=[d["tables"][0]] * 10_001)),
    ],
)
def test_from_json_is_strict(doc: Any) -> None:
    with pytest.raises(MalformedSchema) as exc:
        Snapshot.from_json(doc)
    assert exc.value.code == "schema_malformed"
    assert len(exc.value.public) < 200


def test_errors_tree() -> None:
    assert issubclass(MalformedSchema, SchemaError)
    assert issubclass(SchemaError, ConexorError)
    assert SchemaError.code == "schema_error"


def test_indexes_are_optional_and_checked() -> None:
    import pytest

    from conexor.schema import MalformedSchema, Snapshot

    table = {
        "schema": None,
        "name": "t",
        "kind": "table",
        "comment": None,
        "columns": [
            {"name": "a", "type": "INTEGER", "nullable": False, "default": None,
             "comment": None, "primary_key": True},
        ],
        "foreign_keys": [],
    }  # fmt: skip
    snap = {"version": 1, "dialect": "sqlite", "default_schema": "main", "tables": [table]}
    assert Snapshot.from_json(snap).tables[0].indexes == ()  # stored before indexes existed
    with_index = {**snap, "tables": [{**table, "indexes": [["a"]]}]}
    assert Snapshot.from_json(with_index).tables[0].indexes == (("a",),)
    for bad, message in (([["zz"]], "index names a column"), ([[]], "at least one column")):
        broken = {**snap, "tables": [{**table, "indexes": bad}]}
        with pytest.raises(MalformedSchema, match=message):
            Snapshot.from_json(broken)
