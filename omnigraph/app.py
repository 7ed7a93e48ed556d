"""The application factory: settings in, a Starlette app out."""

from __future__ import annotations

import contextlib
import logging
from collections.abc import AsyncIterator, Iterable, Sequence
from typing import cast

from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.middleware.cors import CORSMiddleware
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import BaseRoute, Mount, Route, WebSocketRoute

from omnigraph import __version__
from omnigraph.api.http import GraphQLApp
from omnigraph.collector import ServerCollector
from omnigraph.db.engine import Database
from omnigraph.events.dispatcher import EventDispatcher
from omnigraph.periodic import PeriodicTask
from omnigraph.plugin_host import build_plugin_manager
from omnigraph.services.backorders import fill_all_waiting
from omnigraph.services.core import Services
from omnigraph.services.promise import refresh_inputs
from omnigraph.services.release import release_due
from omnigraph.services.reservations import sweep_due
from omnigraph.services.sla import check_sla
from omnigraph.services.stock_rules import refresh_seasons
from omnigraph.settings import Settings

logger = logging.getLogger(__name__)


def plugin_routes(services: Services) -> list[BaseRoute]:
    """Each plugin's routes, mounted under ``/plugins/<plugin name>/``."""
    mounts: list[BaseRoute] = []
    for impl in services.plugins.hook.omnigraph_routes.get_hookimpls():
        # Called per plugin (not through the hook relay) to know whose routes these are;
        # like pluggy, pass only the arguments the implementation declares.
        arguments = {"services": services} if "services" in impl.argnames else {}
        routes = cast("Sequence[BaseRoute] | None", impl.function(**arguments))
        if routes:
            mounts.append(Mount(f"/plugins/{impl.plugin_name}", routes=list(routes)))
    return mounts


def create_app(
    settings: Settings | None = None,
    *,
    extra_plugins: Iterable[tuple[str, object]] = (),
    run_dispatcher: bool = True,
    run_sweeper: bool | None = None,
) -> Starlette:
    """Build the service. Nothing touches the database until the app starts.

    ``extra_plugins`` registers (name, plugin) pairs beside the installed ones (tests,
    embedding). ``run_dispatcher=False`` leaves outbound event delivery to the caller;
    ``run_sweeper`` (default: as ``run_dispatcher``) does the same for reservation expiry,
    order release and the SLA monitor.
    """
    settings = settings or Settings.from_env()
    services = Services(
        settings=settings,
        db=Database.from_url(settings.database_url),
        plugins=build_plugin_manager(settings, extra=extra_plugins),
    )
    dispatcher = EventDispatcher(services, poll_seconds=settings.event_poll_seconds)
    sweeper = PeriodicTask(
        "reservation-sweeper", settings.reservation_sweep_seconds, lambda: sweep_due(services)
    )
    # Orders leave their remorse window by the clock; the orders table is the schedule, so a
    # restarted process releases on its first run whatever came due while it was down.
    releaser = PeriodicTask(
        "order-release", settings.release_sweep_seconds, lambda: release_due(services)
    )
    sla_monitor = PeriodicTask(
        "sla-monitor", settings.sla_check_seconds, lambda: check_sla(services)
    )
    backorder_filler = PeriodicTask(
        "backorder-fill", settings.backorder_fill_seconds, lambda: fill_all_waiting(services)
    )
    # Promises read the stock snapshot and the stored rules; refreshed here, a promise
    # seldom waits on the database for either (see ``promise.refresh_inputs``).
    promise_inputs = PeriodicTask(
        "promise-inputs", settings.event_poll_seconds / 2, lambda: refresh_inputs(services)
    )
    run_sweeper = run_dispatcher if run_sweeper is None else run_sweeper
    seasons = PeriodicTask(
        "safety-stock-seasons", settings.season_refresh_seconds, lambda: refresh_seasons(services)
    )
    graphql = GraphQLApp(services, graphql_ide="graphiql" if settings.graphiql else None)
    collector = ServerCollector(settings.gc_young_threshold)

    async def healthz(_: Request) -> JSONResponse:
        return JSONResponse({"status": "ok", "version": __version__})

    async def readyz(_: Request) -> JSONResponse:
        try:
            await services.db.ping()
        except Exception as exc:
            logger.warning("readiness check failed: %s", exc)
            return JSONResponse(
                {"status": "unavailable", "database": "unreachable"}, status_code=503
            )
        return JSONResponse({"status": "ready", "database": "ok"})

    @contextlib.asynccontextmanager
    async def lifespan(_: Starlette) -> AsyncIterator[None]:
        await services.startup()
        if run_dispatcher:
            dispatcher.start()
        if run_sweeper:
            sweeper.start()
            seasons.start()
            releaser.start()
            sla_monitor.start()
            backorder_filler.start()
            promise_inputs.start()
        collector.start()
        try:
            yield
        finally:
            collector.stop()
            await sweeper.stop()
            await seasons.stop()
            await releaser.stop()
            await sla_monitor.stop()
            await backorder_filler.stop()
            await promise_inputs.stop()
            if run_dispatcher:
                await dispatcher.stop()
            await services.shutdown()
            await services.db.dispose()

    middleware = []
    if settings.cors_origins:
        middleware.append(
            Middleware(
                CORSMiddleware,
                allow_origins=list(settings.cors_origins),
                allow_methods=["GET", "POST"],
                allow_headers=["*"],
            )
        )
    app = Starlette(
        routes=[
            Route("/healthz", healthz),
            Route("/readyz", readyz),
            Route("/graphql", graphql, methods=["GET", "POST"]),
            WebSocketRoute("/graphql", graphql),
            *plugin_routes(services),
        ],
        middleware=middleware,
        lifespan=lifespan,
    )
    app.state.services = services
    app.state.dispatcher = dispatcher
    app.state.reservation_sweeper = sweeper
    app.state.release_scheduler = releaser
    app.state.sla_monitor = sla_monitor
    app.state.backorder_filler = backorder_filler
    app.state.promise_inputs = promise_inputs
    return app
