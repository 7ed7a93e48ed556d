"""The real server with every ``createOrder`` after the first answered with the first's
outcome: what the HTTP and GraphQL layers alone cost for ``order_http.py``'s checkout.

Everything but the order service runs as ``omnigraph serve`` runs it: uvicorn, Starlette,
strawberry with the product's schema and extensions, the argument conversion, the
resolver, the answer's fields (from the rows the first order primed), the JSON. Only
``services.orders.create_order`` is replaced, by a wrapper that places the first order for
real and hands its outcome back to every later call. The gap between this server's rate
and the real one's is the order's own work (sourcing, checks, writes, events); this rate is
the most any order path could reach under this GraphQL stack on this machine.
``order_http.py`` starts it on a copy of the prepared database:

    python -m uvicorn replay_app:create_app --factory --app-dir benchmarks ...
"""

from __future__ import annotations

from starlette.applications import Starlette

from omnigraph.app import create_app as create_real_app
from omnigraph.domain.orders import OrderRequest
from omnigraph.services import orders
from omnigraph.services.core import Services


class FirstOutcome:
    """``orders.create_order`` that runs once and then answers every call with that outcome."""

    def __init__(self) -> None:
        self._place = orders.create_order
        self._outcome: orders.OrderOutcome | None = None

    async def __call__(self, services: Services, request: OrderRequest) -> orders.OrderOutcome:
        if self._outcome is None:
            self._outcome = await self._place(services, request)
        return self._outcome


def create_app() -> Starlette:
    orders.create_order = FirstOutcome()  # type: ignore[method-assign]
    return create_real_app()
