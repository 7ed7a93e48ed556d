"""Notification rows on SQLite, read and written by the writer thread (``db.sqlite_writer``).

Every order leaves a confirmation to record; through the async ORM each of its statements
cost more CPU than the order's own capture. Here the same statements run as small writer
jobs on prepared SQL, committed with whatever else is queued: the claim (one INSERT that
skips a key already there, else the conditional UPDATE that reclaims a FAILED or abandoned
row), the provider's answer, and the customer an order is for. PostgreSQL keeps the
ORM path in ``notifications``, which these mirror statement for statement.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Mapping
from datetime import datetime
from typing import Any

from omnigraph.db.models import Notification
from omnigraph.db.raw_rows import bind, column_names, insert_returning, to_instance
from omnigraph.messaging import DeliveryState

_CONTACT = (
    "SELECT c.id, c.email, c.name, c.phone FROM orders o"
    " JOIN customers c ON c.id = o.customer_id WHERE o.id = ?"
)


def claim(
    db: sqlite3.Connection,
    fields: Mapping[str, Any],
    state: DeliveryState,
    failed: str | None,
    now: datetime,
    stale_before: datetime,
) -> tuple[Notification, bool]:
    """``notifications._claim`` on the writer's connection."""
    row = insert_returning(
        db,
        Notification,
        {
            **fields,
            "state": state.value,
            "attempts": 1,
            "last_error": failed,
            "created_at": now,
            "updated_at": now,
        },
        skip_conflict_on="idempotency_key",
    )
    if row is not None:
        return row, True
    reclaimed = db.execute(
        "UPDATE notifications SET state = ?, attempts = attempts + 1, last_error = ?,"
        " updated_at = ? WHERE idempotency_key = ? AND (state = ? OR (state = ?"
        " AND provider_message_id IS NULL AND updated_at < ?))"
        f" RETURNING {column_names(Notification)}",
        (
            state.value,
            failed,
            bind(Notification, "updated_at", now),
            fields["idempotency_key"],
            DeliveryState.FAILED.value,
            DeliveryState.QUEUED.value,
            bind(Notification, "updated_at", stale_before),
        ),
    ).fetchone()
    if reclaimed is not None:
        return to_instance(Notification, reclaimed), True
    existing = db.execute(
        f"SELECT {column_names(Notification)} FROM notifications WHERE idempotency_key = ?",
        (fields["idempotency_key"],),
    ).fetchone()
    if existing is None:  # the key's row was deleted between the two statements
        raise RuntimeError(f"notification {fields['idempotency_key']!r} vanished while claimed")
    return to_instance(Notification, existing), False


def finish(db: sqlite3.Connection, notification_id: int, values: Mapping[str, Any]) -> Notification:
    """``notifications._finish`` on the writer's connection: ``values`` by attribute."""
    names = list(values)
    found = db.execute(
        f"UPDATE notifications SET {', '.join(f'{name} = ?' for name in names)}"
        f" WHERE id = ? RETURNING {column_names(Notification)}",
        (*(bind(Notification, name, values[name]) for name in names), notification_id),
    ).fetchone()
    if found is None:
        raise RuntimeError("a claimed notification row disappeared")
    row: Notification = to_instance(Notification, found)
    return row


def contact(
    db: sqlite3.Connection, order_id: int
) -> tuple[int, str, str | None, str | None] | None:
    """(customer id, e-mail, name, phone) of the order's customer."""
    found = db.execute(_CONTACT, (order_id,)).fetchone()
    return None if found is None else (found[0], found[1], found[2], found[3])
