"""A light closed-loop HTTP/1.1 load generator on bare asyncio streams.

``http_load.py`` drives the server with httpx, which costs about 1 ms of client CPU per
request here: on a 2-core machine that caps and distorts a server answering in a few
milliseconds. This client does as little as it can per request: the request bytes are
built once, the answer is read by its status line and ``Content-Length``, and the only
per-request work beyond the socket is one ``json.loads`` to check the body.

Each of N keep-alive connections sends its next request as soon as the previous answer has
arrived (a closed loop, like ``wrk``). A cell first sends unrecorded warm-up requests (at
least one per connection), then is measured for a number of requests or seconds,
whichever comes first; requests in flight at the end are waited for. A job may give several
bodies, sent in turn (the n-th request of a phase sends the n-th). A success is HTTP 200
with a JSON body that has ``data``, no ``errors`` and, if asked, a non-empty value at a
path inside ``data``. Not a general HTTP client: no chunked bodies, no redirects, no TLS.

``run_load`` is meant to run in its own process (its own interpreter and GIL), so the
client does not slow the server down; ``promise_http.py`` calls it through a
``ProcessPoolExecutor``.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import time
from dataclasses import dataclass
from typing import Any

from http_load import LoadResult, _cpu_seconds

REQUEST_TIMEOUT_S = 30.0
# Below uvicorn's 5 s keep-alive timeout: a connection left idle that long (while slow
# requests of the warm-up finish) is reopened before its next request rather than racing
# the server's close. The reconnect happens before the request's clock starts.
KEEPALIVE_EXPIRY_S = 2.0


@dataclass(frozen=True, slots=True)
class RawJob:
    """One measured cell, as sent to the load-generator process."""

    host: str
    port: int
    path: str
    body: bytes
    concurrency: int
    requests: int
    seconds: float
    warmup: int
    warmup_seconds: float
    server_pid: int = 0
    # Dotted path inside "data" whose value must be non-empty, e.g. "deliveryPromise.options".
    require: str | None = None
    # Bodies sent in turn instead of ``body`` (the n-th request of a phase sends the n-th).
    bodies: tuple[bytes, ...] = ()

    def requests_bytes(self) -> list[bytes]:
        return [self.request_bytes(body) for body in self.bodies or (self.body,)]

    def request_bytes(self, body: bytes) -> bytes:
        head = (
            f"POST {self.path} HTTP/1.1\r\n"
            f"Host: {self.host}:{self.port}\r\n"
            "Content-Type: application/json\r\n"
            "Accept: application/json\r\n"
            f"Content-Length: {len(body)}\r\n"
            "\r\n"
        )
        return head.encode("ascii") + body


class ProtocolError(Exception):
    """An answer this client cannot read (no Content-Length, a chunked body, garbage)."""


def problem_of(status: int, body: bytes, require: str | None) -> str | None:
    """Why an answer is not a success, or None."""
    if status != 200:
        return f"HTTP {status}: {body[:200]!r}"
    try:
        document = json.loads(body)
    except ValueError:
        return f"not JSON: {body[:200]!r}"
    if document.get("errors"):
        return f"GraphQL errors: {json.dumps(document['errors'])[:200]}"
    value: Any = document.get("data")
    if not value:
        return "no data"
    if require:
        for key in require.split("."):
            value = value.get(key) if isinstance(value, dict) else None
        if not value:
            return f"data.{require} is empty"
    return None


class Connection:
    """One keep-alive connection sending the same prebuilt request again and again."""

    def __init__(self, job: RawJob) -> None:
        self.job = job
        self.requests = job.requests_bytes()
        self.reader: asyncio.StreamReader | None = None
        self.writer: asyncio.StreamWriter | None = None
        self.last_used = 0.0

    async def open(self) -> None:
        # asyncio turns Nagle's algorithm off on TCP sockets (TCP_NODELAY).
        self.reader, self.writer = await asyncio.open_connection(self.job.host, self.job.port)
        self.last_used = time.perf_counter()

    async def ready(self) -> None:
        """Open, or reopen a connection idle long enough for the server to drop it."""
        if self.writer is not None and time.perf_counter() - self.last_used > KEEPALIVE_EXPIRY_S:
            await self.close()
        if self.writer is None:
            await self.open()

    async def close(self) -> None:
        writer, self.reader, self.writer = self.writer, None, None
        if writer is not None:
            writer.close()
            with contextlib.suppress(OSError):
                await writer.wait_closed()

    async def exchange(self, number: int) -> str | None:
        """Send request ``number`` (counted over the phase), read the whole answer; why it
        failed, or None."""
        if self.reader is None or self.writer is None:
            await self.open()
        assert self.reader is not None and self.writer is not None
        self.writer.write(self.requests[number % len(self.requests)])
        head = await self.reader.readuntil(b"\r\n\r\n")
        status_line, _, headers = head[:-4].partition(b"\r\n")
        parts = status_line.split(b" ", 2)
        if len(parts) < 2 or not parts[0].startswith(b"HTTP/1."):
            raise ProtocolError(f"bad status line {status_line[:80]!r}")
        status = int(parts[1])
        length: int | None = None
        keep_alive = parts[0] != b"HTTP/1.0"
        for line in headers.split(b"\r\n"):
            name, _, value = line.partition(b":")
            name = name.strip().lower()
            if name == b"content-length":
                length = int(value)
            elif name == b"transfer-encoding":
                raise ProtocolError(f"Transfer-Encoding {value.strip()!r} is not supported")
            elif name == b"connection":
                keep_alive = value.strip().lower() != b"close"
        if length is None:
            raise ProtocolError("an answer without Content-Length")
        body = await self.reader.readexactly(length)
        self.last_used = time.perf_counter()
        if not keep_alive:
            await self.close()
        return problem_of(status, body, self.job.require)


@dataclass
class _Phase:
    latencies_ms: list[float]
    issued: int = 0
    errors: int = 0
    first_error: str | None = None
    elapsed_s: float = 0.0


async def _phase(connections: list[Connection], budget: int, seconds: float) -> _Phase:
    phase = _Phase([])
    started = time.perf_counter()
    deadline = started + seconds
    finished = started

    async def loop(connection: Connection) -> None:
        nonlocal finished
        while phase.issued < budget and time.perf_counter() < deadline:
            number = phase.issued
            phase.issued += 1
            sent = time.perf_counter()
            try:
                async with asyncio.timeout(REQUEST_TIMEOUT_S):
                    await connection.ready()
                    sent = time.perf_counter()
                    problem = await connection.exchange(number)
            except (OSError, EOFError, TimeoutError, ProtocolError, ValueError) as exc:
                problem = f"{type(exc).__name__}: {exc}"
                # The stream may hold half an answer: start over on a new connection.
                await connection.close()
            finished = time.perf_counter()
            if problem is None:
                phase.latencies_ms.append((finished - sent) * 1000.0)
            else:
                phase.errors += 1
                phase.first_error = phase.first_error or problem

    await asyncio.gather(*(loop(connection) for connection in connections))
    phase.elapsed_s = finished - started
    return phase


async def _drive(job: RawJob) -> LoadResult:
    connections = [Connection(job) for _ in range(job.concurrency)]
    await asyncio.gather(*(connection.open() for connection in connections))
    try:
        # Warm-up: every connection sends at least one request; fills the server's caches.
        await _phase(connections, max(job.warmup, job.concurrency), job.warmup_seconds)
        client_before, server_before = time.process_time(), _cpu_seconds(job.server_pid)
        measured = await _phase(connections, job.requests, job.seconds)
        client_cpu = time.process_time() - client_before
        server_cpu = _cpu_seconds(job.server_pid) - server_before
    finally:
        await asyncio.gather(*(connection.close() for connection in connections))
    return LoadResult(
        completed=measured.issued,
        errors=measured.errors,
        elapsed_s=measured.elapsed_s,
        latencies_ms=tuple(measured.latencies_ms),
        client_cpu_s=client_cpu,
        server_cpu_s=server_cpu,
        first_error=measured.first_error,
    )


def run_load(job: RawJob) -> LoadResult:
    """Entry point of the load-generator process: one cell on the standard asyncio loop."""
    return asyncio.run(_drive(job))
