"""A real uvicorn server on a loopback port, for WebSocket and end-to-end tests."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator

import uvicorn
from starlette.applications import Starlette

STARTUP_CHECKS = 500


@contextlib.asynccontextmanager
async def live_server(app: Starlette) -> AsyncIterator[str]:
    """Serve ``app`` on 127.0.0.1 at a free port; yields the base URL ``http://127.0.0.1:<port>``."""
    config = uvicorn.Config(
        app, host="127.0.0.1", port=0, loop="asyncio", lifespan="on", log_level="warning"
    )
    server = uvicorn.Server(config)
    task = asyncio.create_task(server.serve())
    # Bounded: uvicorn sets ``started`` once its socket listens and the lifespan ran.
    for _ in range(STARTUP_CHECKS):
        if server.started or task.done():
            break
        await asyncio.sleep(0.01)
    if not server.started:
        task.cancel()
        raise RuntimeError("uvicorn did not start")
    port = server.servers[0].sockets[0].getsockname()[1]
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        await task
