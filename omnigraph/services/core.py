"""The service façade: what the API and plugins call. One object per running application."""

from __future__ import annotations

import asyncio
import inspect
import logging
from collections.abc import Awaitable, Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any

import pluggy

from omnigraph.carriers import Carrier
from omnigraph.db.engine import Database
from omnigraph.db.types import utcnow
from omnigraph.domain.promise import EligibilityRule, is_filter
from omnigraph.domain.sourcing import CostTerm, is_cost_term
from omnigraph.events.broker import EventBroker
from omnigraph.messaging import MessageChannel, Messenger
from omnigraph.plugin_host import sourcing_contributions
from omnigraph.services.catalog_cache import CatalogCache
from omnigraph.services.sourcing import StoredRulesCache
from omnigraph.services.stock_snapshot import StockSnapshot
from omnigraph.services.unit_of_work import UnitOfWork
from omnigraph.settings import Settings

if TYPE_CHECKING:
    from omnigraph.services.express_holds_postgres import HoldBatcher

logger = logging.getLogger(__name__)


def flatten(results: Iterable[Sequence[Any] | None]) -> list[Any]:
    return [item for result in results if result for item in result]


async def await_all(results: Iterable[Awaitable[None] | None]) -> None:
    pending = [result for result in results if inspect.isawaitable(result)]
    if pending:
        await asyncio.gather(*pending)


@dataclass
class Services:
    """The running core: settings, database, event broker and what plugins contributed.

    Plugins receive this object in their hooks and call the use cases through it; they never
    touch the database directly.
    """

    settings: Settings
    db: Database
    plugins: pluggy.PluginManager
    broker: EventBroker = field(default_factory=EventBroker)
    # Injected so tests can stand at a chosen moment (before a cut-off, on a holiday).
    clock: Callable[[], datetime] = utcnow
    carriers: list[Carrier] = field(init=False)
    messengers: dict[MessageChannel, Messenger] = field(init=False)
    # What omnigraph_sourcing_rules returned, by kind (an object with both methods is in
    # both lists): eligibility filters, which reservations apply too, and cost terms.
    sourcing_rules: list[EligibilityRule] = field(init=False)
    sourcing_terms: list[CostTerm] = field(init=False)
    catalog: CatalogCache = field(init=False)
    stored_rules: StoredRulesCache = field(init=False)
    stock_snapshot: StockSnapshot = field(init=False)
    # Created on first use, on PostgreSQL only (see express_reservations).
    hold_batcher: HoldBatcher | None = field(init=False, default=None)

    def __post_init__(self) -> None:
        hook = self.plugins.hook
        # pluggy's call order, as in pytest: tryfirst, then the most recently registered
        # plugin, trylast at the end. An installed plugin therefore overrides a built-in.
        self.carriers = flatten(hook.omnigraph_carriers(settings=self.settings))
        self.messengers = {}
        for messenger in flatten(hook.omnigraph_messengers(settings=self.settings)):
            self.messengers.setdefault(MessageChannel(messenger.channel), messenger)
        contributed = sourcing_contributions(self.plugins, self.settings)
        self.sourcing_rules = [item for item in contributed if is_filter(item)]
        self.sourcing_terms = [item for item in contributed if is_cost_term(item)]
        self.catalog = CatalogCache(self.db)
        self.stored_rules = StoredRulesCache()
        self.stock_snapshot = StockSnapshot(
            self.broker,
            is_sqlite=self.db.is_sqlite,
            poll_seconds=self.settings.event_poll_seconds,
            verify=self.settings.stock_snapshot_verify,
        )

    def unit_of_work(self, actor: str | None = None) -> UnitOfWork:
        return UnitOfWork(self.db, self.broker, actor=actor, clock=self.clock)

    async def startup(self) -> None:
        await await_all(self.plugins.hook.omnigraph_startup(services=self))

    async def shutdown(self) -> None:
        await await_all(self.plugins.hook.omnigraph_shutdown(services=self))
        if self.hold_batcher is not None:  # before the pool closes under it
            await self.hold_batcher.analysis_done()
