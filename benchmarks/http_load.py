"""HTTP load test: the real server, four GraphQL scenarios, uvicorn on asyncio and on uvloop.

    .venv/bin/python benchmarks/http_load.py            # the full matrix, about 6 minutes
    .venv/bin/python benchmarks/http_load.py --quick    # shorter cells, about 2 minutes

For each event loop the script loads the demo network into a throw-away SQLite file, starts
``uvicorn omnigraph.app:create_app --factory --loop <loop>`` in a subprocess (what
``omnigraph serve`` runs, with the loop left open), waits for ``/readyz`` and drives it from
a separate load-generator process: N keep-alive connections (one httpx client each), every
connection sending its next request as soon as the previous one is answered. Every cell is
bounded by a request count and by seconds, whichever comes first, and traffic only goes to
127.0.0.1. The trivial query is the baseline for the other scenarios and asyncio is the
baseline for uvloop; both are measured in the same run.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import datetime as dt
import json
import multiprocessing
import os
import platform
import shutil
import signal
import socket
import sqlite3
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator, Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path

import httpx
from workload import JSON_HEADERS, Workload, numbered, prepare

HOST = "127.0.0.1"
BENCHMARKS = Path(__file__).resolve().parent  # app factories of their own live here
LOOPS = ("asyncio", "uvloop")
SCENARIOS = ("trivial", "promise", "orders20", "createOrder")
READ_CONCURRENCY = (1, 32, 64)
WRITE_CONCURRENCY = (1, 32)
# A request that takes longer than this is counted as an error, so a cell always ends.
REQUEST_TIMEOUT_S = 30.0
READY_TIMEOUT_S = 60.0
# Warm-up stops after this long even if its request count is not reached.
WARMUP_SECONDS = 3.0
SETTLE_TIMEOUT_S = 60.0
# A concurrency is skipped for a scenario whose p99 at a lower one already passed this:
# more connections would only queue longer and stretch the run.
SANE_P99_MS = 5_000.0
# Below uvicorn's 5 s keep-alive timeout: a connection left idle while slower requests of
# the warm-up finish is reopened instead of racing the server's close (a ReadError).
KEEPALIVE_EXPIRY_S = 2.0


# --- the load generator (runs in its own process) -----------------------------------------


@dataclass(frozen=True, slots=True)
class LoadJob:
    """One cell of the matrix, as sent to the load-generator process."""

    url: str
    body: bytes
    concurrency: int
    requests: int
    seconds: float
    warmup: int
    # createOrder: the payload field whose userErrors must be empty.
    mutation: str | None = None
    # Replaces SEQ in the body so each request is a new customer and idempotency key.
    run_id: str = ""
    server_pid: int = 0


@dataclass(frozen=True, slots=True)
class LoadResult:
    completed: int
    errors: int
    elapsed_s: float
    latencies_ms: tuple[float, ...]
    client_cpu_s: float
    server_cpu_s: float
    first_error: str | None

    @property
    def rate(self) -> float:
        return (self.completed - self.errors) / self.elapsed_s if self.elapsed_s else 0.0

    def percentile(self, share: float) -> float:
        """Nearest-rank percentile of the successful requests' latencies."""
        if not self.latencies_ms:
            return float("nan")
        ordered = sorted(self.latencies_ms)
        rank = max(1, round(share * len(ordered)))
        return ordered[min(rank, len(ordered)) - 1]


def _cpu_seconds(pid: int) -> float:
    """User plus system CPU of a process and all its threads (aiosqlite's included)."""
    if not pid:
        return 0.0
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _problem(response: httpx.Response, mutation: str | None) -> str | None:
    """Why a response does not count as a success, or None."""
    if response.status_code != 200:
        return f"HTTP {response.status_code}: {response.text[:200]}"
    body = response.json()
    if body.get("errors"):
        return f"GraphQL errors: {json.dumps(body['errors'])[:200]}"
    if mutation is not None and body["data"][mutation]["userErrors"]:
        return f"userErrors: {json.dumps(body['data'][mutation]['userErrors'])[:200]}"
    return None


async def _phase(
    clients: Sequence[httpx.AsyncClient], job: LoadJob, budget: int, seconds: float, tag: str
) -> tuple[list[float], int, int, str | None, float]:
    latencies: list[float] = []
    issued = errors = 0
    first_error: str | None = None
    started = time.perf_counter()
    deadline = started + seconds
    finished = started

    async def connection(client: httpx.AsyncClient) -> None:
        nonlocal issued, errors, first_error, finished
        while issued < budget and time.perf_counter() < deadline:
            issued += 1
            body = numbered(job.body, f"{job.run_id}-{tag}{issued}")
            sent = time.perf_counter()
            try:
                response = await client.post("/graphql", content=body)
                problem = _problem(response, job.mutation)
            except httpx.HTTPError as exc:
                problem = f"{type(exc).__name__}: {exc}"
            finished = time.perf_counter()
            if problem is None:
                latencies.append((finished - sent) * 1000)
            else:
                errors += 1
                first_error = first_error or problem

    await asyncio.gather(*(connection(client) for client in clients))
    return latencies, issued, errors, first_error, finished - started


async def _drive(job: LoadJob) -> LoadResult:
    limits = httpx.Limits(
        max_connections=1, max_keepalive_connections=1, keepalive_expiry=KEEPALIVE_EXPIRY_S
    )
    async with contextlib.AsyncExitStack() as stack:
        clients = [
            await stack.enter_async_context(
                httpx.AsyncClient(
                    base_url=job.url, headers=JSON_HEADERS, limits=limits, timeout=REQUEST_TIMEOUT_S
                )
            )
            for _ in range(job.concurrency)
        ]
        # Warm-up: opens every connection and fills the server's caches; not recorded.
        await _phase(clients, job, job.warmup, min(job.seconds, WARMUP_SECONDS), "w")
        cpu_client, cpu_server = time.process_time(), _cpu_seconds(job.server_pid)
        latencies, issued, errors, first_error, elapsed = await _phase(
            clients, job, job.requests, job.seconds, "m"
        )
        return LoadResult(
            completed=issued,
            errors=errors,
            elapsed_s=elapsed,
            latencies_ms=tuple(latencies),
            client_cpu_s=time.process_time() - cpu_client,
            server_cpu_s=_cpu_seconds(job.server_pid) - cpu_server,
            first_error=first_error,
        )


def run_load(job: LoadJob) -> LoadResult:
    """Entry point of the load-generator process: one cell, on the standard asyncio loop."""
    return asyncio.run(_drive(job))


# --- the server under test -------------------------------------------------------------------


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind((HOST, 0))
        return int(sock.getsockname()[1])


def _sqlite_url(path: Path) -> str:
    return f"sqlite+aiosqlite:///{path}"


def prepare_template(workdir: Path) -> Path:
    """Migrate a fresh SQLite file and load the demo network into it, with the project CLI."""
    path = workdir / "template.db"
    env = {**os.environ, "OMNIGRAPH_DATABASE_URL": _sqlite_url(path)}
    subprocess.run(
        [sys.executable, "-m", "omnigraph", "demo-data"],
        env=env,
        cwd=workdir,
        check=True,
        stdout=subprocess.DEVNULL,
    )
    return path


def copy_database(template: Path, target: Path) -> None:
    # The backup API copies a consistent image whatever is left in the WAL.
    with (
        contextlib.closing(sqlite3.connect(template)) as source,
        contextlib.closing(sqlite3.connect(target)) as copy,
    ):
        source.backup(copy)


@dataclass
class Server:
    loop: str
    port: int
    process: subprocess.Popen[bytes]
    log: Path
    database: Path

    @property
    def url(self) -> str:
        return f"http://{HOST}:{self.port}"


@contextlib.contextmanager
def serve(
    loop: str, database: Path, workdir: Path, app: str = "omnigraph.app:create_app"
) -> Iterator[Server]:
    """Uvicorn as ``omnigraph serve`` runs it (httptools, info logging with the access log),
    but on the chosen event loop; stopped with SIGINT, killed if it does not stop. ``app``
    is the factory, from the project or from this directory (``replay_app``)."""
    port = _free_port()
    log = workdir / f"server-{loop}-{app.partition(':')[0]}.log"
    env = {
        **os.environ,
        "OMNIGRAPH_DATABASE_URL": _sqlite_url(database),
        "OMNIGRAPH_LOG_LEVEL": "info",
    }
    command = [
        sys.executable, "-m", "uvicorn", app, "--factory", "--app-dir", str(BENCHMARKS),
        "--host", HOST, "--port", str(port), "--loop", loop, "--lifespan", "on",
        "--log-level", "info",
    ]  # fmt: skip
    with log.open("wb") as out:
        process = subprocess.Popen(command, env=env, cwd=workdir, stdout=out, stderr=out)
    server = Server(loop, port, process, log, database)
    try:
        _wait_ready(server)
        yield server
    finally:
        process.send_signal(signal.SIGINT)
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def _wait_ready(server: Server) -> None:
    deadline = time.monotonic() + READY_TIMEOUT_S
    while time.monotonic() < deadline:
        if server.process.poll() is not None:
            raise RuntimeError(f"server exited early:\n{server.log.read_text()[-3000:]}")
        with contextlib.suppress(httpx.HTTPError):
            if httpx.get(f"{server.url}/readyz", timeout=2).status_code == 200:
                return
        time.sleep(0.2)
    raise RuntimeError(f"server not ready after {READY_TIMEOUT_S:.0f} s")


# --- scenarios ---------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Scenario:
    name: str
    body: bytes
    concurrency: tuple[int, ...]
    # createOrder: the payload field whose userErrors must be empty.
    mutation: str | None = None


async def _prepare(server: Server, skus: Sequence[str]) -> Workload:
    async with httpx.AsyncClient(base_url=server.url, timeout=REQUEST_TIMEOUT_S) as client:
        return await prepare(client, skus)


def scenarios_of(workload: Workload) -> list[Scenario]:
    return [
        Scenario("trivial", workload.trivial.body(), READ_CONCURRENCY),
        Scenario("promise", workload.promise.body(), READ_CONCURRENCY),
        Scenario("orders20", workload.orders.body(), READ_CONCURRENCY),
        Scenario(
            "createOrder", workload.create_order.body(), WRITE_CONCURRENCY, mutation="createOrder"
        ),
    ]


# --- the run and its table ---------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Plan:
    """What to run; every cell is bounded by ``requests`` and by ``seconds``."""

    loops: tuple[str, ...]
    scenarios: tuple[str, ...]
    max_concurrency: int
    requests: int
    seconds: float
    warmup: int


@dataclass(frozen=True, slots=True)
class Cell:
    scenario: str
    concurrency: int
    loop: str
    result: LoadResult


def _event_backlog(database: Path) -> int:
    """Outbox events some plugin consumer has not handled yet (read beside the server)."""
    with contextlib.closing(sqlite3.connect(f"file:{database}?mode=ro", uri=True)) as db:
        (latest,) = db.execute("SELECT COALESCE(MAX(id), 0) FROM outbox_events").fetchone()
        (slowest,) = db.execute(
            "SELECT COALESCE(MIN(last_event_id), ?) FROM event_cursors", (latest,)
        ).fetchone()
    return int(latest) - int(slowest)


def settle(server: Server) -> float:
    """Wait until the server's event dispatcher has delivered every event (the order
    confirmations createOrder leaves behind), so that work does not land in the next cell.
    Returns the seconds it took."""
    started = time.monotonic()
    while time.monotonic() - started < SETTLE_TIMEOUT_S and _event_backlog(server.database):
        time.sleep(0.2)
    return time.monotonic() - started


def _start_servers(
    plan: Plan, workdir: Path, stack: contextlib.ExitStack
) -> tuple[dict[str, Server], Workload]:
    """One server per loop, each on its own copy of the demo database, with the same
    workload set up on each."""
    template = prepare_template(workdir)
    servers: dict[str, Server] = {}
    for loop in plan.loops:
        database = workdir / f"{loop}.db"
        copy_database(template, database)
        servers[loop] = stack.enter_context(serve(loop, database, workdir))
    skus: tuple[str, ...] = ()
    for server in servers.values():
        # The first server's choice of SKUs is passed on, so every server gets the same.
        workload = asyncio.run(_prepare(server, skus))
        skus = workload.skus
    return servers, workload


def _too_slow(cells: Sequence[Cell], scenario: str, concurrency: int) -> bool:
    """Whether a lower concurrency already queued past SANE_P99_MS on some loop."""
    return any(
        cell.result.percentile(0.99) > SANE_P99_MS
        for cell in cells
        if cell.scenario == scenario and cell.concurrency < concurrency
    )


def run_matrix(plan: Plan, workdir: Path) -> tuple[tuple[str, ...], list[Cell], list[str]]:
    """Every cell is measured on one loop right after the other (alternating which goes
    first) with both servers up, so other work on the machine falls on both loops alike."""
    cells: list[Cell] = []
    skipped: list[str] = []
    spawn = multiprocessing.get_context("spawn")
    with contextlib.ExitStack() as stack:
        servers, workload = _start_servers(plan, workdir, stack)
        generator = stack.enter_context(ProcessPoolExecutor(max_workers=1, mp_context=spawn))
        cells_run = 0
        for scenario in scenarios_of(workload):
            if scenario.name not in plan.scenarios:
                continue
            for concurrency in scenario.concurrency:
                if concurrency > plan.max_concurrency:
                    continue
                if concurrency > 1 and _too_slow(cells, scenario.name, concurrency):
                    skipped.append(f"{scenario.name} c={concurrency}")
                    continue
                loops = plan.loops if cells_run % 2 == 0 else plan.loops[::-1]
                cells_run += 1
                for loop in loops:
                    server = servers[loop]
                    job = LoadJob(
                        url=server.url,
                        body=scenario.body,
                        concurrency=concurrency,
                        requests=plan.requests,
                        seconds=plan.seconds,
                        warmup=max(plan.warmup, concurrency),
                        mutation=scenario.mutation,
                        run_id=f"c{concurrency}",
                        server_pid=server.process.pid,
                    )
                    result = generator.submit(run_load, job).result()
                    cell = Cell(scenario.name, concurrency, loop, result)
                    cells.append(cell)
                    _progress(cell)
                    if scenario.mutation is not None:
                        print(f"    events delivered {settle(server):.1f} s later", file=sys.stderr)
                    if server.process.poll() is not None:
                        raise RuntimeError(f"server died:\n{server.log.read_text()[-3000:]}")
    return workload.skus, cells, skipped


def _progress(cell: Cell) -> None:
    result = cell.result
    print(
        f"  {cell.loop:8} {cell.scenario:12} c={cell.concurrency:<3} "
        f"{result.rate:8.1f} req/s  p99 {result.percentile(0.99):8.1f} ms"
        f"  errors {result.errors}",
        file=sys.stderr,
        flush=True,
    )
    if result.first_error:
        print(f"    first error: {result.first_error}", file=sys.stderr, flush=True)


def _ratio(value: float, base: float) -> str:
    return f"{value / base:.2f}x" if base and base == base and value == value else "-"


def _row(result: LoadResult) -> tuple[str, ...]:
    p50, p99 = result.percentile(0.50), result.percentile(0.99)
    successes = result.completed - result.errors
    return (
        f"{result.rate:.1f}",
        f"{p50:.1f}",
        f"{p99:.1f}",
        f"{max(result.latencies_ms, default=float('nan')):.1f}",
        f"{p99 / p50:.1f}" if p50 else "-",
        str(result.errors),
        str(result.completed),
        f"{100 * result.server_cpu_s / result.elapsed_s:.0f}%",
        f"{1000 * result.server_cpu_s / successes:.1f}" if successes else "-",
        f"{100 * result.client_cpu_s / result.elapsed_s:.0f}%",
    )


def table(cells: Sequence[Cell]) -> str:
    """One aligned table; each row beside its baselines from the same run."""
    by_key = {(c.scenario, c.concurrency, c.loop): c.result for c in cells}
    header = (
        "scenario", "conc", "loop", "req/s", "p50 ms", "p99 ms", "max ms", "p99/p50", "errors",
        "n", "srv cpu", "srv cpu ms/req", "cli cpu", "req/s vs trivial", "p99 vs asyncio",
    )  # fmt: skip
    rows: list[tuple[str, ...]] = [header]
    order = {name: index for index, name in enumerate(dict.fromkeys(c.scenario for c in cells))}
    for cell in sorted(cells, key=lambda c: (order[c.scenario], c.concurrency, c.loop)):
        r = cell.result
        trivial = by_key.get(("trivial", cell.concurrency, cell.loop))
        on_asyncio = by_key.get((cell.scenario, cell.concurrency, "asyncio"))
        rows.append(
            (
                cell.scenario,
                str(cell.concurrency),
                cell.loop,
                *_row(r),
                _ratio(r.rate, trivial.rate) if trivial else "-",
                _ratio(r.percentile(0.99), on_asyncio.percentile(0.99)) if on_asyncio else "-",
            )
        )
    widths = [max(len(row[i]) for row in rows) for i in range(len(header))]
    left = {0, 2}
    lines = [
        "  ".join(
            value.ljust(widths[i]) if i in left else value.rjust(widths[i])
            for i, value in enumerate(row)
        ).rstrip()
        for row in rows
    ]
    lines.insert(1, "  ".join("-" * width for width in widths))
    return "\n".join(lines)


def _version(package: str) -> str:
    try:
        return metadata.version(package)
    except metadata.PackageNotFoundError:
        return "not installed"


def environment(load_before: tuple[float, float, float]) -> str:
    """Where the figures come from; the 1-minute load average shows other work on the machine."""
    load = f"{load_before[0]:.1f} before, {os.getloadavg()[0]:.1f} after"
    return (
        f"{dt.datetime.now().astimezone():%Y-%m-%d %H:%M %Z}; {os.cpu_count()} cores; "
        f"Python {platform.python_version()}; SQLite {sqlite3.sqlite_version}; "
        f"uvicorn {_version('uvicorn')}, uvloop {_version('uvloop')}, "
        f"httptools {_version('httptools')}, strawberry {_version('strawberry-graphql')}; "
        f"client httpx {_version('httpx')}; load average {load}"
    )


def parse_args(argv: Sequence[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description=(
            "Load-test the GraphQL server over loopback HTTP: a trivial query (the baseline), "
            "deliveryPromise, orders(first: 20) with relations and createOrder, at several "
            "concurrencies, on uvicorn's asyncio and uvloop event loops."
        )
    )
    parser.add_argument(
        "--quick",
        action="store_true",
        help="short run: 200 requests or 3 s per cell, concurrency up to 32",
    )
    parser.add_argument("--requests", type=int, help="requests per cell (default 2000)")
    parser.add_argument(
        "--seconds",
        type=float,
        help="stop sending after this long (default 10); requests in flight still finish",
    )
    parser.add_argument("--warmup", type=int, help="unrecorded requests per cell (default 100)")
    parser.add_argument(
        "--loops",
        default=",".join(LOOPS),
        help="comma-separated uvicorn loops to compare (default: asyncio,uvloop)",
    )
    parser.add_argument(
        "--scenarios",
        default=",".join(SCENARIOS),
        help=f"comma-separated scenarios to run (default: {','.join(SCENARIOS)})",
    )
    parser.add_argument(
        "--max-concurrency",
        type=int,
        help="skip cells above this concurrency (default 64, 32 with --quick)",
    )
    parser.add_argument(
        "--keep", action="store_true", help="keep the work directory (databases, server logs)"
    )
    return parser.parse_args(argv)


def _names(raw: str, known: Sequence[str], what: str) -> tuple[str, ...]:
    names = tuple(name.strip() for name in raw.split(",") if name.strip())
    unknown = set(names) - set(known)
    if unknown or not names:
        raise SystemExit(f"choose {what} from {', '.join(known)}; got {raw!r}")
    return names


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    requests, seconds, warmup, most = (200, 3.0, 20, 32) if args.quick else (2000, 10.0, 100, 64)
    plan = Plan(
        loops=_names(args.loops, LOOPS, "loops"),
        scenarios=_names(args.scenarios, SCENARIOS, "scenarios"),
        max_concurrency=args.max_concurrency or most,
        requests=args.requests or requests,
        seconds=args.seconds or seconds,
        warmup=args.warmup if args.warmup is not None else warmup,
    )
    load_before = os.getloadavg()
    workdir = Path(tempfile.mkdtemp(prefix="omnigraph-load-"))
    print(f"work directory: {workdir}", file=sys.stderr)
    try:
        skus, cells, skipped = run_matrix(plan, workdir)
    finally:
        if not args.keep:
            shutil.rmtree(workdir, ignore_errors=True)
    print(environment(load_before))
    print(
        f"each cell: {plan.requests} requests or {plan.seconds:g} s, whichever first, after "
        f"{plan.warmup} warm-up requests (at least one per connection); "
        f"promise and createOrder SKUs: {', '.join(skus)}"
    )
    print()
    print(table(cells))
    print()
    if skipped:
        print(f"skipped (p99 already above {SANE_P99_MS / 1000:g} s): {', '.join(skipped)}")
    print(
        "srv cpu: the server process's CPU time (all threads) over wall time, and per "
        "successful request; cli cpu: the load generator's. req/s and latencies count "
        "successful requests only."
    )
    return 1 if any(cell.result.errors for cell in cells) else 0


if __name__ == "__main__":
    sys.exit(main())
