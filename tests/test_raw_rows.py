"""Rows built by ``new_row`` are the rows the constructor builds, through either way of writing."""

from __future__ import annotations

import contextlib
import sqlite3
from datetime import UTC, datetime

import pytest
from sqlalchemy import select

from omnigraph.db.engine import Database
from omnigraph.db.models import Customer
from omnigraph.db.raw_rows import insert_rows, new_row, read_rows

WHEN = datetime(2026, 11, 23, 9, 30, tzinfo=UTC)


def test_new_row_names_an_attribute_the_class_does_not_have() -> None:
    with pytest.raises(TypeError, match="Customer has no attribute emial"):
        new_row(Customer, emial="a@example.com")


def test_new_row_reads_like_a_constructed_row() -> None:
    built = new_row(Customer, email="a@example.com", name="Ann", created_at=WHEN)
    constructed = Customer(email="a@example.com", name="Ann", created_at=WHEN)
    for key in ("email", "name", "phone", "created_at", "tier", "id"):
        assert getattr(built, key) == getattr(constructed, key), key
    built.phone = "555"  # still an ordinary instrumented instance
    assert built.phone == "555"


async def test_a_new_row_added_to_a_session_is_inserted_with_its_values(database_url: str) -> None:
    db = Database.from_url(database_url)
    try:
        async with db.sessions() as session, session.begin():
            session.add(new_row(Customer, email="b@example.com", name="Bo", created_at=WHEN))
        async with db.read_session() as session:
            stored = (await session.scalars(select(Customer))).one()
        assert (stored.email, stored.name, stored.created_at, stored.tier) == (
            "b@example.com",
            "Bo",
            WHEN,
            "STANDARD",  # the Python-side default, as for a constructed row
        )
    finally:
        await db.dispose()


async def test_insert_rows_writes_a_new_row_as_the_orm_writes_a_constructed_one(
    database_url: str, backend: str
) -> None:
    if backend != "sqlite":
        pytest.skip("insert_rows writes through the SQLite writer's connection")
    db = Database.from_url(database_url)
    try:
        async with db.sessions() as session, session.begin():
            session.add(Customer(email="orm@example.com", name="Cy", created_at=WHEN))
    finally:
        await db.dispose()
    path = database_url.removeprefix("sqlite+aiosqlite:///")
    with contextlib.closing(sqlite3.connect(path)) as connection:
        row = new_row(Customer, email="raw@example.com", name="Cy", created_at=WHEN)
        insert_rows(connection, [row])
        assert row.id is not None
        columns = "name, phone, created_at, tier"
        by_orm, by_raw = (
            connection.execute(
                f"SELECT {columns} FROM customers WHERE email = ?", (email,)
            ).fetchone()
            for email in ("orm@example.com", "raw@example.com")
        )
        assert by_raw == by_orm
        (read,) = read_rows(connection, Customer, "id = ?", (row.id,))
    assert (read.email, read.created_at, read.tier) == ("raw@example.com", WHEN, "STANDARD")
