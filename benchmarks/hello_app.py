"""A bare strawberry endpoint answering ``{ hello }``: the ceiling for one server process.

The schema has one field and no database, but the same per-request extensions as the
product's schema: the extension factories are taken from
``omnigraph.api.schema.build_schema()`` itself (the document cache with its token and depth
limits, MaskErrors) and its execution context class, so a change there
shows up here too. It is served by strawberry's ASGI view on Starlette at ``/graphql``,
beside a ``/readyz`` for the start-up check, and ``promise_http.py`` starts it with the
same uvicorn options as the real server:

    python -m uvicorn hello_app:create_app --factory --app-dir benchmarks ...
"""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator

import strawberry
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route
from strawberry.asgi import GraphQL
from strawberry.schema.config import StrawberryConfig

from omnigraph.api.schema import build_schema
from omnigraph.collector import ServerCollector
from omnigraph.settings import Settings


@strawberry.type
class Query:
    @strawberry.field
    def hello(self) -> str:
        return "world"


def hello_schema() -> strawberry.Schema:
    """``{ hello }`` with the production schema's extension factories."""
    product = build_schema()
    return strawberry.Schema(
        query=Query,
        extensions=product.extensions,
        config=StrawberryConfig(auto_camel_case=True),
        execution_context_class=product.execution_context_class,
    )


def create_app() -> Starlette:
    async def readyz(_: Request) -> JSONResponse:
        return JSONResponse({"status": "ready"})

    view: GraphQL[None, None] = GraphQL(hello_schema(), graphql_ide=None)
    collector = ServerCollector(Settings().gc_young_threshold)

    @contextlib.asynccontextmanager
    async def lifespan(_: Starlette) -> AsyncIterator[None]:
        collector.start()
        try:
            yield
        finally:
            collector.stop()

    return Starlette(
        routes=[Route("/readyz", readyz), Route("/graphql", view, methods=["GET", "POST"])],
        lifespan=lifespan,
    )
