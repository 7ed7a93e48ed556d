"""Incoming supply that orders wait for: what is still free to promise, and whether new
claims fit in it."""

from __future__ import annotations

from collections.abc import Mapping
from typing import TypeVar

K = TypeVar("K")


def free_incoming(incoming: int, waiting: int) -> int:
    """Incoming units not yet promised to waiting orders (never below zero)."""
    return max(0, incoming - waiting)


def claims_fit(
    incoming: Mapping[K, int], waiting: Mapping[K, int], wanted: Mapping[K, int]
) -> bool:
    """Whether every claim in ``wanted`` fits in what ``incoming`` has not promised to
    ``waiting`` orders, key by key (a key is a location's product)."""
    return all(
        free_incoming(incoming.get(key, 0), waiting.get(key, 0)) >= units
        for key, units in wanted.items()
    )
