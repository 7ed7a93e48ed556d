"""The rows a generated network is made of: plain values whose fields are table columns.

Field names match the columns of ``omnigraph.db.models`` one to one, so the loader can
insert them without a mapping table, and the generator stays free of SQLAlchemy.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import NamedTuple


@dataclass(frozen=True, slots=True)
class ChannelRow:
    id: int
    code: str
    name: str
    remorse_minutes: int
    allowed_methods: Sequence[str]


@dataclass(frozen=True, slots=True)
class LocationRow:
    id: int
    code: str
    name: str
    type: str
    address_line1: str
    address_line2: str | None
    city: str
    region: str
    postal_code: str
    country: str
    latitude: float
    longitude: float
    timezone: str
    opening_hours: Mapping[str, Sequence[Sequence[str]]]
    holidays: Sequence[str]
    capabilities: Sequence[str]
    cutoff_time: str
    processing_minutes: int
    pick_cost_minor: int
    currency: str
    daily_capacity: int


@dataclass(frozen=True, slots=True)
class ProductRow:
    id: int
    sku: str
    name: str
    category: str
    barcode: str
    weight_grams: int
    price_minor: int
    currency: str


class LevelRow(NamedTuple):
    """One inventory level as counted at load time; nothing is committed or reserved yet.

    A named tuple rather than a dataclass: big networks have about a million of these, and
    a tuple is made several times faster than a frozen dataclass.
    """

    id: int
    location_id: int
    product_id: int
    on_hand: int
    safety_stock: int
    damaged: int
    incoming: int
    incoming_expected_at: datetime | None

    @property
    def sellable(self) -> int:
        return max(0, self.on_hand - self.safety_stock - self.damaged)
