"""The JSON codec of the columns and the HTTP answers reads back what the standard library's
text reads back, for every value the project stores."""

from __future__ import annotations

import json
import sqlite3

import pytest
from hypothesis import given
from hypothesis import strategies as st
from sqlalchemy import select

from omnigraph.db import json_text
from omnigraph.db.models import OutboxEvent
from omnigraph.db.raw_rows import insert_values, read_rows
from omnigraph.testing import Harness

_SCALARS = (
    st.none()
    | st.booleans()
    | st.integers(min_value=-(2**63), max_value=2**63 - 1)
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text()
)
_VALUES = st.recursive(
    _SCALARS,
    lambda inner: (
        st.lists(inner, max_size=4)
        | st.tuples(inner, inner)
        | st.dictionaries(st.text() | st.integers(-1000, 1000), inner, max_size=4)
    ),
    max_leaves=20,
)


@given(_VALUES)
def test_reads_back_as_the_standard_librarys_text_does(value: object) -> None:
    assert json.loads(json_text.dumps(value)) == json.loads(json.dumps(value))
    assert json_text.loads(json_text.dumps(value)) == json.loads(json.dumps(value))


def test_int_keys_are_written_as_strings() -> None:
    assert json_text.loads(json_text.dumps({7: {"DC": 2}})) == {"7": {"DC": 2}}


def test_invalid_text_raises_the_standard_error() -> None:
    with pytest.raises(json.JSONDecodeError):
        json_text.loads("{not json")


async def test_columns_written_by_the_orm_and_the_writer_read_back_alike(
    harness: Harness,
) -> None:
    payload = {"sku": "Zoë-1", 7: [1, 2.5, None], "nested": {"ok": True}}
    async with harness.services.unit_of_work() as uow:
        uow.session.add(
            OutboxEvent(topic="test.orm", aggregate_type="t", aggregate_id=1, payload=payload)
        )
        await uow.commit()
    if harness.services.db.is_sqlite:
        await harness.services.db.sqlite_writer.run(
            lambda db: insert_values(
                db,
                OutboxEvent,
                [
                    {
                        "topic": "test.raw",
                        "aggregate_type": "t",
                        "aggregate_id": 2,
                        "payload": payload,
                    }
                ],
            )
        )
    expected = {"sku": "Zoë-1", "7": [1, 2.5, None], "nested": {"ok": True}}
    async with harness.services.db.read_session() as session:
        rows = (
            await session.scalars(select(OutboxEvent).where(OutboxEvent.topic.like("test.%")))
        ).all()
    assert rows and all(row.payload == expected for row in rows)
    if harness.services.db.is_sqlite:
        raw = await harness.services.db.sqlite_writer.run(
            lambda db: read_rows(db, OutboxEvent, "topic LIKE 'test.%' ORDER BY id", ())
        )
        assert [row.payload for row in raw] == [expected, expected]


def test_the_sqlite_json_functions_read_the_text() -> None:
    with sqlite3.connect(":memory:") as db:
        text = json_text.dumps({"name": "Zoë", "ids": [3, 4]})
        found = db.execute(
            "SELECT json_extract(?, '$.name'), json_extract(?, '$.ids[1]')", (text, text)
        )
        assert found.fetchone() == ("Zoë", 4)


async def test_an_answer_over_http_carries_non_ascii_text(harness: Harness) -> None:
    response = await harness.http.post(
        "/graphql",
        json={
            "query": "query ($n: Int!) { orders(first: $n) { __typename } }",
            "variables": {"n": "Zoë"},
        },
    )
    assert response.headers["content-type"].startswith("application/json")
    (error,) = json.loads(response.content.decode("utf-8"))["errors"]
    assert "'Zoë'" in error["message"]
