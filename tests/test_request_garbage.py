"""A request leaves no reference cycles of the app's own behind: its executor, context,
loaders and the rows they hold are freed by reference counting when the answer is sent,
not left for the cyclic garbage collector (which, at 64 concurrent checkouts, walked a few
hundred objects per request and took up to a tenth of the server's CPU).

SQLAlchemy still leaves a small cycle per ``IN`` clause it builds (a bound parameter and
its expanding twin); those are the library's and are left out here.
"""

from __future__ import annotations

import gc
import json
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from starlette.applications import Starlette

from omnigraph.testing import Harness
from tests.factories import Network
from tests.test_api_orders import CREATE, order_input
from tests.test_capture_statements import READ_DEEP

# Whose objects must never be left in a cycle by a request.
OWN = ("omnigraph", "graphql", "strawberry", "starlette", "asyncio", "_asyncio")


@contextmanager
def cyclic_garbage() -> Iterator[list[object]]:
    """The objects that only the cyclic collector could free, made inside the block."""
    gc.collect()
    found: list[object] = []
    gc.set_debug(gc.DEBUG_SAVEALL)
    try:
        yield found
        gc.collect()
        found.extend(gc.garbage)
    finally:
        gc.set_debug(0)
        gc.garbage.clear()


async def post(app: Starlette, query: str, variables: dict[str, Any]) -> dict[str, Any]:
    """The app called as the server calls it, with no HTTP client (whose own objects are
    not the app's)."""
    body = json.dumps({"query": query, "variables": variables}).encode()
    scope = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": "POST",
        "scheme": "http",
        "path": "/graphql",
        "raw_path": b"/graphql",
        "query_string": b"",
        "root_path": "",
        "headers": [(b"host", b"omnigraph.test"), (b"content-type", b"application/json")],
        "client": ("127.0.0.1", 50000),
        "server": ("127.0.0.1", 80),
        "state": {},
    }
    sent: list[dict[str, Any]] = []

    async def receive() -> dict[str, Any]:
        return {"type": "http.request", "body": body, "more_body": False}

    async def send(message: dict[str, Any]) -> None:
        sent.append(message)

    await app(scope, receive, send)
    answer = b"".join(m.get("body", b"") for m in sent if m["type"] == "http.response.body")
    data: dict[str, Any] = json.loads(answer)["data"]
    return data


async def test_checkouts_and_reads_leave_no_cycles_of_their_own(
    harness: Harness, network: Network
) -> None:
    first = await post(harness.app, CREATE, {"input": order_input()})  # warms every cache
    order_id = first["createOrder"]["order"]["id"]
    await post(harness.app, READ_DEEP, {"id": order_id})
    with cyclic_garbage() as garbage:
        for _ in range(3):
            created = await post(harness.app, CREATE, {"input": order_input()})
            assert created["createOrder"]["userErrors"] == []
        read = await post(harness.app, READ_DEEP, {"id": order_id})
        assert read["node"]["lines"]
    own = Counter(
        f"{type(o).__module__}.{type(o).__qualname__}"
        for o in garbage
        if type(o).__module__.split(".")[0] in OWN
    )
    assert not own, own.most_common(10)
