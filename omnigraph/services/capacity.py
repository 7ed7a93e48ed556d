"""A location's daily order capacity, counted again where an order takes its place.

A decision reads each location's orders today when it starts; on PostgreSQL two orders
deciding at once both see the last free place, and both would take it. So the capture
locks the capped locations of its plan (an advisory lock per location, held to the
commit, taken in id order before any stock row) and counts them again: a concurrent
order for the same location waits for the lock, then counts the order that held it.

SQLite needs neither: the capture holds the database's write lock (``write_gate``) from
the start of its transaction, so the decision's own count is already the last word; the
express path checks capacity in the writer thread.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from sqlalchemy import text
from sqlalchemy.exc import DBAPIError

from omnigraph.services.catalog_cache import CatalogCache
from omnigraph.services.sourcing import orders_today
from omnigraph.services.unit_of_work import UnitOfWork

# The class of the advisory locks on a location's day (the other key is the location id).
CAPACITY_LOCK_CLASS = 4101
_DEADLOCK_DETECTED = "40P01"
_LOCK = text(
    f"SELECT pg_advisory_xact_lock({CAPACITY_LOCK_CLASS}, id)"
    " FROM unnest(CAST(:ids AS integer[])) AS id"
)


async def places_left(
    uow: UnitOfWork, location_ids: Iterable[int], catalog: CatalogCache, now: datetime
) -> bool:
    """Whether every capped location among ``location_ids`` (those an order places a
    fulfilment order at) still takes one today, counted in the order's transaction with
    those locations locked (always True on SQLite)."""
    if uow.is_sqlite:
        return True
    wanted = set(location_ids)
    known = await catalog.locations(wanted, uow.session)
    if known.keys() != wanted:  # a location gone since the decision: decide again
        return False
    capped = [known[lid] for lid in sorted(wanted) if known[lid].daily_capacity > 0]
    if not capped:
        return True
    # Locked in id order (unnest keeps the array's order), then counted by a statement of
    # its own: a statement sees what was committed when it began, and only the next one
    # starts after the locks were granted.
    await uow.session.execute(_LOCK, {"ids": [facts.id for facts in capped]})
    counted = await orders_today(uow.session, capped, now)
    return all(counted.get(facts.id, 0) < facts.daily_capacity for facts in capped)


def is_deadlock(error: DBAPIError) -> bool:
    """Whether PostgreSQL rolled the transaction back to break a deadlock (SQLSTATE 40P01):
    the attempt may simply run again. A capture whose selling rules lock its products
    first can meet one that holds a capped location's lock and then needs a product row
    (its order line's foreign key)."""
    return getattr(error.orig, "sqlstate", None) == _DEADLOCK_DETECTED
