"""Demo data built by code: a network of real US cities, a catalogue, uneven stock, orders.

``generate_network`` is pure and deterministic and serves tests and benchmarks at any size;
``load_network`` bulk-inserts its rows; ``place_demo_orders`` goes through the services;
``load_demo`` does all three, once, for ``omnigraph serve --demo-data``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from omnigraph.demo.loader import LoadSummary, is_empty, load_network
from omnigraph.demo.network import DemoNetwork, NetworkSpec, generate_network
from omnigraph.demo.orders import place_demo_orders

if TYPE_CHECKING:
    from omnigraph.services.core import Services

__all__ = [
    "DemoNetwork",
    "LoadSummary",
    "NetworkSpec",
    "generate_network",
    "is_empty",
    "load_demo",
    "load_network",
    "place_demo_orders",
]


async def load_demo(services: Services, spec: NetworkSpec | None = None) -> bool:
    """Load the demo network and its orders into an empty database; True if it did.

    A database that already holds channels, locations or products is left alone, so
    running this on every start is harmless. Without a spec, the default network is
    generated as of the services' clock, so holidays and deliveries fit today.
    """
    if not await is_empty(services.db):
        return False
    network = generate_network(spec or NetworkSpec(as_of=services.clock().date()))
    await load_network(services.db, network)
    await place_demo_orders(services, network)
    return True
