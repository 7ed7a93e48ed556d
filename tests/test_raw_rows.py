"""Rows built by ``new_row`` are the rows the constructor builds, through either way of writing."""

from __future__ import annotations

import contextlib
import sqlite3
from datetime import UTC, datetime, timedelta, timezone

import pytest
from hypothesis import given
from hypothesis import strategies as st
from sqlalchemy import select
from sqlalchemy.dialects import sqlite as sqlite_dialect

from omnigraph.db.engine import Database
from omnigraph.db.models import Customer
from omnigraph.db.raw_rows import (
    insert_rows,
    loaded,
    new_row,
    read_rows,
    read_values,
    utc_text,
)
from omnigraph.domain.calendar import zone_named
from omnigraph.events.outbox import events_after, events_after_on, new_event
from omnigraph.testing import Harness
from tests.factories import Network
from tests.test_api_orders import CREATE, order_input

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


def test_read_values_names_an_attribute_the_class_does_not_have() -> None:
    with (
        contextlib.closing(sqlite3.connect(":memory:")) as connection,
        pytest.raises(TypeError, match="Customer has no column attribute emial"),
    ):
        read_values(connection, Customer, ("id", "emial"), "1")


async def test_the_writer_reads_events_as_the_orm_does(harness: Harness, network: Network) -> None:
    if not harness.services.db.is_sqlite:
        pytest.skip("events_after_on reads through the SQLite writer's connection")
    payload = await harness.graphql(CREATE, {"input": order_input()})
    assert payload["createOrder"]["userErrors"] == []
    async with harness.services.unit_of_work() as uow:  # an event with no order and no actor
        uow.session.add(new_event("test.bare", "test", 7, {"ids": [1, 2], "note": None}))
        await uow.commit()
    async with harness.services.db.read_session() as session:
        by_orm = await events_after(session, 0, limit=500)
    by_writer = await harness.services.db.sqlite_writer.run(
        lambda connection: events_after_on(connection, 0, 500)
    )
    assert len(by_orm) > 3 and by_writer == by_orm
    assert by_writer[-1].order_id is None and by_writer[-1].actor is None


@given(
    st.datetimes(
        min_value=datetime(1970, 1, 2),
        max_value=datetime(2200, 1, 1),
        timezones=st.sampled_from(
            [
                UTC,
                timezone(timedelta(hours=-5)),
                zone_named("Asia/Kolkata"),
                zone_named("America/New_York"),
            ]
        ),
    )
    | st.none()
)
def test_times_are_stored_as_the_dialect_stores_them(value: datetime | None) -> None:
    (column,) = Customer.__mapper__.column_attrs["created_at"].columns
    dialect = sqlite_dialect.dialect()
    expected = column.type.dialect_impl(dialect).bind_processor(dialect)(value)
    assert utc_text(value) == expected
    assert utc_text(value) == expected  # kept from the first time


def test_a_naive_time_is_refused() -> None:
    with pytest.raises(ValueError, match="naive datetimes"):
        utc_text(datetime(2026, 11, 23, 9, 30))


@pytest.mark.parametrize("first_fold", [0, 1])
def test_the_two_instants_of_a_repeated_hour_keep_their_own_texts(first_fold: int) -> None:
    # 01:30 happens twice in New York on 1 November 2026: at 05:30 UTC, then at 06:30 UTC.
    # The two compare equal (same wall time, same zone) but are different instants.
    wall = datetime(2026, 11, 1, 1, 30, tzinfo=zone_named("America/New_York"))
    texts = {0: "2026-11-01 05:30:00.000000", 1: "2026-11-01 06:30:00.000000"}
    for fold in (first_fold, 1 - first_fold, first_fold):
        assert utc_text(wall.replace(fold=fold)) == texts[fold]
        assert utc_text(wall.replace(fold=fold).astimezone(UTC)) == texts[fold]


def test_one_instant_has_one_text_in_any_zone_and_a_naive_time_is_refused_after_it() -> None:
    instant = datetime(2026, 11, 23, 9, 30, tzinfo=UTC)
    assert utc_text(instant) == "2026-11-23 09:30:00.000000"
    assert utc_text(instant.astimezone(zone_named("Asia/Kolkata"))) == "2026-11-23 09:30:00.000000"
    with pytest.raises(ValueError, match="naive datetimes"):
        utc_text(datetime(2026, 11, 23, 9, 30))  # the same wall time, without a zone


async def test_loaded_reads_what_the_attributes_read_and_loads_what_is_not_loaded(
    database_url: str,
) -> None:
    db = Database.from_url(database_url)
    try:
        async with db.sessions() as session, session.begin():
            session.add(new_row(Customer, email="c@example.com", name="Cy", created_at=WHEN))
        async with db.sessions() as session:
            stored = (await session.scalars(select(Customer))).one()
            values = loaded(stored)
            for key in ("id", "email", "name", "phone", "created_at", "tier"):
                assert values[key] == getattr(stored, key), key
            stored.name = "Cyd"  # a change not yet flushed reads as the attribute reads it
            assert loaded(stored)["name"] == "Cyd"
            session.expire(stored, ["email"])
            assert "email" not in vars(stored)
            # Not loaded: read through the attribute, which loads it (where the session
            # may do IO, as for ``stored.email``).
            email = await session.run_sync(lambda _: loaded(stored)["email"])
            assert email == "c@example.com"
            assert vars(stored)["email"] == "c@example.com"
        # A value the row never had is read through the attribute (None for a new row).
        fresh = new_row(Customer, email="d@example.com")
        assert "phone" not in vars(fresh)
        assert loaded(fresh)["phone"] is None
        with pytest.raises(AttributeError):
            loaded(fresh)["emial"]
    finally:
        await db.dispose()
