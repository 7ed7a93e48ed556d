"""``createOrder`` of one hot SKU over HTTP on SQLite, beside a bare ``{ hello }``.

    .venv/bin/python benchmarks/order_http.py            # about 2 minutes
    .venv/bin/python benchmarks/order_http.py --quick    # about 40 seconds

Issue #3's last target: through the HTTP API, ``createOrder`` on a hot SKU at least 500
orders/s per process on SQLite. The demo network is loaded into a throw-away SQLite file with
the project's CLI (``http_load.prepare_template``); one SKU, stocked near every buyer, gets a
million more units at the DC (``workload.prepare``, which also checks that its orders ship
from there). Every request is a checkout of one unit of that SKU by a returning customer,
shipped to Columbus, answered with what a storefront shows after "place order" (number,
status, total, promised window, where it ships from).

The servers and the load generator are those of ``promise_http.py``: the real server as
``omnigraph serve`` runs it, ``hello_app.py`` beside it with the same uvicorn options, and
``raw_http_load.py`` in its own process, the endpoints taking turns at 1 and 64 concurrent
clients. A third server, ``replay_app.py`` on a copy of the prepared database, answers the
same checkout with its first order's outcome: the HTTP and GraphQL layers' own cost for
this document, the ceiling any order path could reach under them.

A success is HTTP 200 with an order and no errors. The server delivers each order's events
(its confirmation e-mail among them) in the background; each round of orders is also
measured whole, from its first warm-up request until the server has delivered every event
the orders left, so the sustained rate is what the server can keep up. Afterwards the
database must agree with the clients: at least as many new orders as successful answers
(warm-up requests place orders too), one unit each, the SKU's committed units grown by as
many, and no level below zero.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import datetime as dt
import json
import os
import shutil
import sqlite3
import sys
import tempfile
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

import httpx
from http_load import (
    LoadResult,
    Server,
    _cpu_seconds,
    copy_database,
    prepare_template,
    serve,
    settle,
)
from inventory_common import machine_line, render_table
from promise_http import HELLO, Plan, check_hello, serve_hello, versions
from promise_http import measure as measure_endpoints
from workload import COLUMBUS_ADDRESS, Request, pick_skus, prepare

ORDER = "createOrder"
# The same checkout on a server whose order service answers with its first order's outcome
# (``replay_app``): the HTTP and GraphQL layers' share of an order.
REPLAYED = "createOrder, answer replayed"
# The target for one server process on SQLite.
TARGET_ORDERS_PER_S = 500.0
CHECKOUT = """
mutation PlaceOrder($input: CreateOrderInput!) {
  createOrder(input: $input) {
    order {
      id number status
      total { amount currencyCode }
      promised { earliest latest }
      fulfillmentOrders { location { code } }
    }
    userErrors { field code message }
  }
}
"""


def checkout(sku: str) -> Request:
    return Request(
        CHECKOUT,
        {
            "input": {
                "channel": "WEB",
                "deliveryMethod": "SHIP_STANDARD",
                "customer": {"email": "returning.buyer@example.com", "name": "Returning Buyer"},
                "lines": [{"sku": sku, "quantity": 1}],
                "shippingAddress": COLUMBUS_ADDRESS,
            }
        },
    )


async def _set_up(url: str) -> str:
    """The hot SKU: chosen, topped up at the DC, checked to ship from there."""
    async with httpx.AsyncClient(base_url=url, timeout=60) as client:
        (sku,) = await pick_skus(client, 1)
        await prepare(client, (sku,))
    return sku


def check_order(url: str, request: Request) -> int:
    response = httpx.post(
        f"{url}/graphql",
        content=request.body(),
        headers={"content-type": "application/json"},
        timeout=60,
    )
    body = response.json()
    payload = (body.get("data") or {}).get(ORDER) or {}
    if body.get("errors") or payload.get("userErrors") or not payload.get("order"):
        raise SystemExit(f"the check order failed: {json.dumps(body)[:2000]}")
    order = payload["order"]
    print(
        f"    order {order['number']} {order['status']} {order['total']['amount']}"
        f" {order['total']['currencyCode']}, ships from"
        f" {', '.join(fo['location']['code'] for fo in order['fulfillmentOrders'])},"
        f" promised {order['promised']['earliest']}..{order['promised']['latest']};"
        f" response {len(response.content):,} bytes",
        flush=True,
    )
    return len(response.content)


@dataclass(frozen=True, slots=True)
class Ledger:
    orders: int
    ordered: int  # units of the hot SKU on order lines
    committed: int  # units of the hot SKU committed at its levels
    negative: int  # levels of the hot SKU with less than nothing available


def ledger(database: Path, sku: str) -> Ledger:
    with contextlib.closing(sqlite3.connect(f"file:{database}?mode=ro", uri=True)) as db:
        orders = db.execute("SELECT count(*) FROM orders").fetchone()[0]
        ordered = db.execute(
            "SELECT coalesce(sum(l.quantity), 0) FROM order_lines l"
            " JOIN products p ON p.id = l.product_id WHERE p.sku = ?",
            (sku,),
        ).fetchone()[0]
        committed, negative = db.execute(
            "SELECT coalesce(sum(v.committed), 0),"
            " coalesce(sum(v.on_hand - v.committed - v.reserved - v.safety_stock < 0), 0)"
            " FROM inventory_levels v JOIN products p ON p.id = v.product_id WHERE p.sku = ?",
            (sku,),
        ).fetchone()
    return Ledger(int(orders), int(ordered), int(committed), int(negative))


def ledger_problems(before: Ledger, after: Ledger, answered: int) -> list[str]:
    """What in the database disagrees with the answers (every order is one unit)."""
    found = []
    if after.orders - before.orders < answered:
        found.append(f"{after.orders - before.orders} new orders for {answered} answered")
    if after.ordered - before.ordered != after.orders - before.orders:
        found.append(
            f"{after.orders - before.orders} new orders with {after.ordered - before.ordered} units"
        )
    if after.committed - before.committed != after.ordered - before.ordered:
        found.append(
            f"{after.committed - before.committed} more units committed for"
            f" {after.ordered - before.ordered} more ordered"
        )
    if after.negative:
        found.append(f"{after.negative} levels below zero")
    return found


@dataclass(frozen=True, slots=True)
class Sustained:
    """Rounds of orders measured whole, from the first warm-up request until the server had
    also delivered every event the orders left (order confirmations among them): what the
    server can keep up for good, not only what it answers while deferring the rest."""

    orders: int  # placed, counted in the database (warm-up requests included)
    seconds: float
    cpu_s: float

    def __add__(self, other: Sustained) -> Sustained:
        return Sustained(
            self.orders + other.orders, self.seconds + other.seconds, self.cpu_s + other.cpu_s
        )

    @property
    def rate(self) -> float:
        return self.orders / self.seconds if self.seconds else 0.0

    @property
    def cpu_ms_per_order(self) -> float:
        return 1000 * self.cpu_s / self.orders if self.orders else float("nan")


def measure(
    plan: Plan, servers: dict[str, Server], bodies: dict[str, bytes], sku: str
) -> tuple[dict[tuple[str, int], LoadResult], dict[int, Sustained]]:
    """``promise_http.measure`` of the two endpoints, each round of orders also measured
    whole (``Sustained``): it ends when the server's event backlog is delivered (``settle``)."""
    whole: dict[int, Sustained] = {}

    @contextlib.contextmanager
    def round_of(name: str, concurrency: int, server: Server) -> Iterator[None]:
        if name != ORDER:
            yield
            return
        orders_before = ledger(server.database, sku).orders
        cpu_before = _cpu_seconds(server.process.pid)
        started = time.perf_counter()
        yield
        settle(server)
        measured = Sustained(
            ledger(server.database, sku).orders - orders_before,
            time.perf_counter() - started,
            _cpu_seconds(server.process.pid) - cpu_before,
        )
        whole[concurrency] = whole.get(concurrency, Sustained(0, 0.0, 0.0)) + measured

    results = measure_endpoints(
        plan,
        servers,
        bodies,
        require={ORDER: f"{ORDER}.order", REPLAYED: f"{ORDER}.order"},
        around=round_of,
    )
    return results, whole


def _label(name: str) -> str:
    return {HELLO: "`{ hello }`", REPLAYED: "`createOrder`, answer replayed"}.get(name, f"`{name}`")


def results_table(results: dict[tuple[str, int], LoadResult], whole: dict[int, Sustained]) -> str:
    headers = [
        "endpoint", "clients", "req/s", "p50 ms", "p99 ms", "server CPU ms/req",
        "sustained orders/s", "CPU ms/order, events included", "errors / n",
        "req/s vs { hello }",
    ]  # fmt: skip
    rows = []
    for (name, clients), r in sorted(results.items(), key=lambda item: (item[0][1], item[0][0])):
        hello = results.get((HELLO, clients))
        successes = r.completed - r.errors
        kept = whole.get(clients) if name == ORDER else None
        rows.append(
            [
                _label(name),
                str(clients),
                f"{r.rate:,.0f}",
                f"{r.percentile(0.5):.2f}",
                f"{r.percentile(0.99):.2f}",
                f"{1000 * r.server_cpu_s / successes:.2f}" if successes else "-",
                f"{kept.rate:,.0f}" if kept else "-",
                f"{kept.cpu_ms_per_order:.2f}" if kept else "-",
                f"{r.errors} / {r.completed:,}",
                f"{100 * r.rate / hello.rate:.0f}%" if hello and hello.rate else "-",
            ]
        )
    return render_table(headers, rows)


def target_table(results: dict[tuple[str, int], LoadResult], whole: dict[int, Sustained]) -> str:
    rate, clients = max((kept.rate, clients) for clients, kept in whole.items())
    return render_table(
        ["target (issue #3)", "measured", "met"],
        [
            [
                f"`createOrder` on a hot SKU >= {TARGET_ORDERS_PER_S:.0f} orders/s, SQLite, HTTP",
                f"{rate:,.0f} orders/s sustained ({clients} client{'s' if clients > 1 else ''})",
                "yes" if rate >= TARGET_ORDERS_PER_S else "NO",
            ]
        ],
    )


def parse_args(argv: Sequence[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description="createOrder of one hot SKU over HTTP on SQLite, beside a bare strawberry "
        "{ hello }, at 1 and 64 concurrent clients (issue #3)."
    )
    parser.add_argument(
        "--quick", action="store_true", help="short cells: one round of 500 requests or 2 s"
    )
    parser.add_argument("--rounds", type=int, help="rounds per cell (default 3)")
    parser.add_argument("--requests", type=int, help="requests per cell and round (default 3000)")
    parser.add_argument("--seconds", type=float, help="seconds per cell and round (default 6)")
    parser.add_argument(
        "--keep", action="store_true", help="keep the work directory (database, server logs)"
    )
    return parser.parse_args(argv)


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    plan = Plan.from_args(args, requests=3000, seconds=6.0)
    started_at = dt.datetime.now(dt.UTC)
    print(machine_line(), flush=True)
    workdir = Path(tempfile.mkdtemp(prefix="omnigraph-orders-"))
    print(f"  work directory: {workdir}", file=sys.stderr)
    problems: list[str] = []
    try:
        print("  loading the demo network ...", flush=True)
        template = prepare_template(workdir)
        database = workdir / "omnigraph.db"
        copy_database(template, database)
        with contextlib.ExitStack() as stack:
            servers = {
                HELLO: stack.enter_context(serve_hello(workdir)),
                ORDER: stack.enter_context(serve("asyncio", database, workdir)),
            }
            check_hello(servers[HELLO])
            sku = asyncio.run(_set_up(servers[ORDER].url))
            request = checkout(sku)
            print(f"  the checkout: one {sku} to Columbus", flush=True)
            size = check_order(servers[ORDER].url, request)
            replayed = workdir / "replayed.db"
            copy_database(database, replayed)
            servers[REPLAYED] = stack.enter_context(
                serve("asyncio", replayed, workdir, app="replay_app:create_app")
            )
            check_order(servers[REPLAYED].url, request)
            before = ledger(database, sku)
            load_before = os.getloadavg()
            measure_started = time.perf_counter()
            body = request.body()
            results, whole = measure(
                plan,
                servers,
                {HELLO: Request(HELLO, {}).body(), ORDER: body, REPLAYED: body},
                sku,
            )
            took = time.perf_counter() - measure_started
        # Warm-up requests place orders too: at least the measured successes are there.
        answered = sum(r.completed - r.errors for (name, _), r in results.items() if name == ORDER)
        after = ledger(database, sku)
        problems = ledger_problems(before, after, answered)
        print()
        print(
            f"{started_at:%Y-%m-%d %H:%M} UTC; {versions()}; load average"
            f" {load_before[0]:.1f} before measuring, {os.getloadavg()[0]:.1f} after"
        )
        print(
            f"demo network; hot SKU {sku} (1,000,000 more units at the DC); one unit per"
            f" order, shipped to Columbus; response {size:,} bytes"
        )
        print(
            f"each cell: {plan.rounds} round(s) of {plan.requests:,} requests or"
            f" {plan.seconds:g} s, whichever first, each after {plan.warmup} warm-up requests"
            f" or {plan.warmup_seconds:g} s; measuring took {took:.0f} s"
        )
        print()
        print(results_table(results, whole))
        print()
        print(target_table(results, whole))
        print()
        print(
            "req/s, p50, p99, server CPU: the measured requests, while the clients send. The"
            " server delivers each order's events (its confirmation among them) in the"
            " background and may defer them under load; sustained orders/s and CPU per order"
            " count each round of orders whole, from its first warm-up request until the"
            " server had delivered every event: the rate it can keep up for good. The"
            " replayed answer is the same checkout on a server whose order service hands"
            " back its first order (replay_app.py): what HTTP and GraphQL alone cost, so the"
            " most any order path could reach on this stack and machine."
        )
        print()
        print(
            "after the run: "
            + ("the orders and the committed units agree with the answers" if not problems
               else "PROBLEMS: " + "; ".join(problems))
        )  # fmt: skip
        print(machine_line())
    finally:
        if args.keep:
            print(f"kept {workdir}", file=sys.stderr)
        else:
            shutil.rmtree(workdir, ignore_errors=True)
    return 1 if problems or any(r.errors for r in results.values()) else 0


if __name__ == "__main__":
    sys.exit(main())
