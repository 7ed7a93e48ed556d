"""What a store or warehouse action hands back to the API."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from omnigraph.db.models import FulfillmentOrder, Order, Shipment


@dataclass(frozen=True, slots=True)
class WorkOutcome:
    """The fulfilment order and its order after the action.

    ``replayed`` when the action had already been done (nothing changed); ``rerouted``
    holds the fulfilment orders a rejection or short pick created elsewhere, and
    ``backordered`` the units (by order line id) no location could take.
    """

    fulfilment: FulfillmentOrder
    order: Order
    replayed: bool = False
    rerouted: tuple[FulfillmentOrder, ...] = ()
    backordered: Mapping[int, int] = field(default_factory=dict)
    shipments: tuple[Shipment, ...] = ()
