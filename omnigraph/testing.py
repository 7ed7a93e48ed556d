"""Test helpers for partners writing plugins, and for omnigraph's own suite.

    async with omnigraph.testing.harness(plugins=[("mycarrier", MyCarrierPlugin())]) as h:
        data = await h.graphql("{ channels { code } }")

``harness`` migrates a throw-away SQLite database (or the one in ``settings``), builds the
real app with the plugin registered for this test only, runs its start-up and shut-down,
and talks to it over the ASGI transport: real HTTP handling, no network.
"""

from __future__ import annotations

import contextlib
import tempfile
from collections.abc import AsyncIterator, Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
from starlette.applications import Starlette

from omnigraph.app import create_app
from omnigraph.services.core import Services
from omnigraph.settings import Settings


class GraphQLResponseError(AssertionError):
    """The response carried GraphQL errors the test did not expect."""


@dataclass
class GraphQLClient:
    http: httpx.AsyncClient
    path: str = "/graphql"

    async def post(
        self, query: str, variables: Mapping[str, Any] | None = None, **headers: str
    ) -> httpx.Response:
        return await self.http.post(
            self.path, json={"query": query, "variables": dict(variables or {})}, headers=headers
        )

    async def execute(
        self, query: str, variables: Mapping[str, Any] | None = None
    ) -> dict[str, Any]:
        """The response body; GraphQL errors are returned, not raised."""
        response = await self.post(query, variables)
        response.raise_for_status()
        body: dict[str, Any] = response.json()
        return body

    async def data(self, query: str, variables: Mapping[str, Any] | None = None) -> dict[str, Any]:
        """The ``data`` of a response that must have no errors."""
        body = await self.execute(query, variables)
        if body.get("errors"):
            raise GraphQLResponseError(f"unexpected GraphQL errors: {body['errors']}")
        data: dict[str, Any] = body["data"]
        return data


@dataclass
class Harness:
    app: Starlette
    services: Services
    client: GraphQLClient
    http: httpx.AsyncClient

    async def graphql(
        self, query: str, variables: Mapping[str, Any] | None = None
    ) -> dict[str, Any]:
        return await self.client.data(query, variables)


@contextlib.asynccontextmanager
async def serve_app(
    app: Starlette, base_url: str = "http://omnigraph.test"
) -> AsyncIterator[httpx.AsyncClient]:
    """Run the app's lifespan and hand back an HTTP client bound to it."""
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url=base_url) as http:
            yield http


@contextlib.asynccontextmanager
async def harness(
    settings: Settings | None = None,
    *,
    plugins: Iterable[tuple[str, object]] = (),
    demo: bool = False,
    migrate: bool = True,
    run_dispatcher: bool = False,
) -> AsyncIterator[Harness]:
    """The real app on a migrated database with ``plugins`` registered for this test.

    Without ``settings``, a fresh SQLite file in a temporary directory is used and the
    installed plugins are loaded as in production. ``demo=True`` loads the demo network.
    Event delivery to plugins is off unless ``run_dispatcher``; drive it with
    ``app.state.dispatcher.run_once()`` to keep tests deterministic.
    """
    with tempfile.TemporaryDirectory(prefix="omnigraph-test-") as tmp:
        if settings is None:
            settings = Settings(database_url=f"sqlite+aiosqlite:///{Path(tmp) / 'omnigraph.db'}")
        if migrate:
            from omnigraph.db.migrate import upgrade

            await upgrade(settings.database_url)
        app = create_app(settings, extra_plugins=plugins, run_dispatcher=run_dispatcher)
        services: Services = app.state.services
        async with serve_app(app) as http:
            if demo:
                from omnigraph.demo import load_demo

                await load_demo(services)
            yield Harness(app=app, services=services, client=GraphQLClient(http), http=http)
