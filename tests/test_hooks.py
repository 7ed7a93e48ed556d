"""One test per hook: the core calls it and uses what it returns.

``omnigraph_routes`` is tested with the app factory (``tests/test_app.py``), which is what
mounts routes; ``tests/test_hookspecs_documented.py`` checks every hook has its test.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Sequence
from dataclasses import dataclass, field

import pytest
from sqlalchemy import delete

from omnigraph.carriers import Carrier, Label, LabelRequest, RateOffer, RateRequest, TrackingEvent
from omnigraph.db.engine import Database
from omnigraph.db.models import InventoryLevel
from omnigraph.domain.geo import GeoPoint
from omnigraph.domain.money import Money
from omnigraph.domain.orders import LineRequest
from omnigraph.domain.promise import Candidate, EligibilityRule, Unavailable
from omnigraph.domain.vocabulary import DeliveryMethod, LocationType
from omnigraph.events.dispatcher import EventDispatcher
from omnigraph.events.types import Event, Topic
from omnigraph.hookspecs import hookimpl
from omnigraph.messaging import (
    DeliveryReceipt,
    DeliveryState,
    MessageChannel,
    Messenger,
    OutboundMessage,
)
from omnigraph.plugin_host import build_plugin_manager
from omnigraph.services.core import Services
from omnigraph.services.inventory import AdjustInventory, adjust_inventory
from omnigraph.services.notifications import send_notification
from omnigraph.services.promise import PromiseRequest, delivery_promise
from omnigraph.settings import Settings
from tests.factories import HOME, build_network

DOORSTEP = GeoPoint(HOME["latitude"], HOME["longitude"])


@pytest.fixture
async def db(settings: Settings) -> AsyncIterator[Database]:
    database = Database.from_url(settings.database_url)
    yield database
    await database.dispose()


def core(settings: Settings, db: Database, **plugins: object) -> Services:
    return Services(
        settings=settings, db=db, plugins=build_plugin_manager(settings, extra=plugins.items())
    )


async def test_hook_omnigraph_startup(settings: Settings, db: Database) -> None:
    opened: list[str] = []

    class Opens:
        @hookimpl
        def omnigraph_startup(self, services: Services) -> Awaitable[None]:
            async def open_client() -> None:
                opened.append(services.settings.database_url)

            return open_client()

    class Quiet:
        @hookimpl
        def omnigraph_startup(self, services: Services) -> None:
            opened.append("sync")

    services = core(settings, db, opens=Opens(), quiet=Quiet())
    assert opened == []
    await services.startup()
    assert sorted(opened) == sorted([settings.database_url, "sync"])


async def test_hook_omnigraph_shutdown(settings: Settings, db: Database) -> None:
    closed: list[str] = []

    class Closes:
        @hookimpl
        async def omnigraph_shutdown(self, services: Services) -> None:
            closed.append("client closed")

    services = core(settings, db, closes=Closes())
    await services.startup()
    assert closed == []
    await services.shutdown()
    assert closed == ["client closed"]


async def test_hook_omnigraph_handle_event(settings: Settings, db: Database) -> None:
    received: list[Event] = []

    class Pushes:
        @hookimpl
        def omnigraph_handle_event(
            self, event: Event, services: Services
        ) -> Awaitable[None] | None:
            if event.topic != Topic.INVENTORY_CHANGED:
                return None

            async def push() -> None:
                received.append(event)

            return push()

    services = core(settings, db, pushes=Pushes())
    network = await build_network(services)
    dispatcher = EventDispatcher(services)
    await dispatcher.run_once()
    await adjust_inventory(
        services, AdjustInventory(location_id=network.dc, sku="TEE-001", delta=7)
    )
    await dispatcher.run_once()
    [event] = received
    assert event.payload["sku"] == "TEE-001"
    assert event.payload["available"] - event.payload["availableBefore"] == 7


@dataclass
class FlatRateCarrier:
    code: str
    name: str
    price_minor: int
    quoted: list[RateRequest] = field(default_factory=list)

    async def rates(self, request: RateRequest) -> list[RateOffer]:
        self.quoted.append(request)
        return [
            RateOffer(self.code, s, Money(self.price_minor, request.currency), 2)
            for s in request.services
        ]

    async def buy_label(self, request: LabelRequest) -> Label:
        raise NotImplementedError("not needed for quoting")

    async def track(self, tracking_number: str) -> list[TrackingEvent]:
        return []


@dataclass
class CarrierPlugin:
    carriers: Sequence[Carrier]

    @hookimpl
    def omnigraph_carriers(self, settings: Settings) -> Sequence[Carrier]:
        return list(self.carriers)


async def test_hook_omnigraph_carriers(settings: Settings, db: Database) -> None:
    cheap, dear = (
        FlatRateCarrier("cheap", "Cheap Co", 1),
        FlatRateCarrier("dear", "Dear Co", 99_999),
    )
    services = core(settings, db, partner=CarrierPlugin([dear, cheap]))
    # Collected in call order: the most recently registered plugin (the extra) first, each
    # plugin's own carriers in the order it returned them, the installed table-rate after.
    codes = [c.code for c in services.carriers]
    assert codes[:2] == ["dear", "cheap"]
    assert codes.index("tablerate") > codes.index("cheap")
    await build_network(services)
    result = await delivery_promise(
        services,
        PromiseRequest(
            [LineRequest("TEE-001", 1)], [DeliveryMethod.SHIP_STANDARD], destination=DOORSTEP
        ),
    )
    [option] = result.options
    [package] = option.packages
    assert package.offer is not None and package.offer.carrier == "cheap"
    assert option.price == Money(1, "USD")
    assert dear.quoted and dear.quoted[0].services == ("GROUND",)


@dataclass
class RecordingMessenger:
    name: str
    channel: MessageChannel
    sent: list[OutboundMessage] = field(default_factory=list)

    async def send(self, message: OutboundMessage) -> DeliveryReceipt:
        self.sent.append(message)
        return DeliveryReceipt(self.name, f"{self.name}-{len(self.sent)}", DeliveryState.SENT)


@dataclass
class MessengerPlugin:
    messengers: Sequence[Messenger]

    @hookimpl
    def omnigraph_messengers(self, settings: Settings) -> Sequence[Messenger]:
        return list(self.messengers)


async def test_hook_omnigraph_messengers(settings: Settings, db: Database) -> None:
    first_mail = RecordingMessenger("first-mail", MessageChannel.EMAIL)
    second_mail = RecordingMessenger("second-mail", MessageChannel.EMAIL)
    sms = RecordingMessenger("texts", MessageChannel.SMS)
    services = core(
        settings,
        db,
        first=MessengerPlugin([first_mail]),
        second=MessengerPlugin([second_mail, sms]),
    )
    # The later-registered plugin is called first, so its e-mail messenger takes the channel.
    assert services.messengers == {MessageChannel.EMAIL: second_mail, MessageChannel.SMS: sms}
    view = await send_notification(
        services,
        channel=MessageChannel.SMS,
        recipient="+13125550100",
        template="pickup_ready",
        subject=None,
        body="Your order is ready",
        idempotency_key="pickup_ready:1:SMS",
    )
    assert (view.provider, view.provider_message_id) == ("texts", "texts-1")
    assert [m.body for m in sms.sent] == ["Your order is ready"]
    await send_notification(
        services,
        channel=MessageChannel.EMAIL,
        recipient="ada@example.com",
        template="t",
        subject="s",
        body="b",
        idempotency_key="t:1:EMAIL",
    )
    assert (len(first_mail.sent), len(second_mail.sent)) == (0, 1)


class FallbackMessengerPlugin(MessengerPlugin):
    @hookimpl(trylast=True)
    def omnigraph_messengers(self, settings: Settings) -> Sequence[Messenger]:
        return list(self.messengers)


async def test_a_trylast_messenger_gives_way_even_when_registered_last(
    settings: Settings, db: Database
) -> None:
    preferred = RecordingMessenger("preferred", MessageChannel.EMAIL)
    fallback = RecordingMessenger("fallback", MessageChannel.EMAIL)
    services = core(
        settings,
        db,
        partner=MessengerPlugin([preferred]),
        fallback=FallbackMessengerPlugin([fallback]),
    )
    assert services.messengers[MessageChannel.EMAIL] is preferred


@dataclass
class NoShippingFromStores:
    name: str = "no-store-shipping"
    checked: list[str] = field(default_factory=list)

    def check(self, candidate: Candidate, method: DeliveryMethod) -> str | None:
        self.checked.append(candidate.code)
        if candidate.location_type is LocationType.STORE and not method.is_collection:
            return f"{candidate.code}: stores do not ship during stock-take"
        return None


async def test_hook_omnigraph_sourcing_rules(settings: Settings, db: Database) -> None:
    rule = NoShippingFromStores()

    class Rules:
        @hookimpl
        def omnigraph_sourcing_rules(self, settings: Settings) -> Sequence[EligibilityRule]:
            return [rule]

    plain = core(settings, db)
    network = await build_network(plain)
    request = PromiseRequest(
        [LineRequest("TEE-001", 1)], [DeliveryMethod.SHIP_STANDARD], destination=DOORSTEP
    )
    [unruled] = (await delivery_promise(plain, request)).options
    assert unruled.plan.location_ids == (network.loop,)

    services = core(settings, db, rules=Rules())
    assert services.sourcing_rules == [rule]
    [ruled] = (await delivery_promise(services, request)).options
    assert ruled.plan.location_ids == (network.dc,)
    assert "ST-LOOP" in rule.checked

    # With only stores holding the cart, the rule's reason is the explanation.
    async with services.unit_of_work() as uow:
        await uow.session.execute(
            delete(InventoryLevel).where(InventoryLevel.location_id == network.dc)
        )
        await uow.commit()
    # The delete bypassed the services and wrote no event, so promises cannot hear of it.
    services.stock_snapshot.clear()
    [refusal] = (await delivery_promise(services, request)).unavailable
    assert refusal.reason is Unavailable.EXCLUDED_BY_RULE
    assert "ST-LOOP: stores do not ship during stock-take" in refusal.detail
