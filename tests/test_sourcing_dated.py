"""Future-dated (B2B) promises: on-hand plus incoming supply, part by part."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy import select

from omnigraph.db.models import InventoryLevel, Product
from omnigraph.domain.sourcing import (
    ChannelPolicy,
    IncomingSupply,
    MethodPolicy,
    NoPlanReason,
    SourcingRules,
    rules_for_requested_date,
)
from omnigraph.domain.vocabulary import DeliveryMethod, LocationType
from omnigraph.testing import Harness
from tests.factories import HOME, Network
from tests.test_sourcing_builders import decided, loc, refused, run
from tests.test_sourcing_wiring import at_tuesday

DATED = """
query($input: DeliveryPromiseInput!) {
  deliveryPromise(input: $input) {
    options {
      method earliestDate latestDate requestedDate price { amount }
      supply { sku quantity source availableOn arrivesOn location { code } }
      explanation { backorders { sku quantity availableOn arrivesOn location { code } } }
    }
    unavailable { method reason detail }
  }
}
"""
# Tuesday 17 November 2026; the DC expects 20 lamps on Friday the 20th.
LAMPS_DUE = datetime(2026, 11, 20, 15, 0, tzinfo=UTC)
FIFTEEN_LAMPS = [{"sku": "LAMP-003", "quantity": 15}]


async def lamps_incoming(harness: Harness, network: Network) -> None:
    async with harness.services.unit_of_work() as uow:
        lamp = await uow.session.scalar(select(Product).where(Product.sku == "LAMP-003"))
        assert lamp is not None
        level = await uow.session.scalar(
            select(InventoryLevel).where(
                InventoryLevel.location_id == network.dc, InventoryLevel.product_id == lamp.id
            )
        )
        assert level is not None
        level.incoming, level.incoming_expected_at = 20, LAMPS_DUE
        await uow.commit()


async def dated(harness: Harness, method: str, requested: str | None) -> dict[str, Any]:
    variables = {
        "input": {
            "lines": FIFTEEN_LAMPS,
            "destination": HOME,
            "methods": [method],
            "requestedDate": requested,
        }
    }
    return (await harness.graphql(DATED, variables))["deliveryPromise"]


async def test_a_requested_date_is_met_from_stock_on_hand_and_incoming_supply(
    harness: Harness, network: Network
) -> None:
    await lamps_incoming(harness, network)
    at_tuesday(harness)
    [option] = (await dated(harness, "SHIP_STANDARD", "2026-11-30"))["options"]
    assert option["requestedDate"] == "2026-11-30"
    parts = [(p["source"], p["quantity"], p["location"]["code"]) for p in option["supply"]]
    assert parts == [("ON_HAND", 10, "DC-JOLIET"), ("INCOMING", 5, "DC-JOLIET")]
    incoming = option["supply"][1]
    assert incoming["availableOn"] == "2026-11-20"
    # Received Friday, sent the next working day, one carrier day to Chicago.
    assert date.fromisoformat(incoming["arrivesOn"]) > date(2026, 11, 20)
    assert option["supply"][0]["availableOn"] == "2026-11-17"
    assert date.fromisoformat(option["latestDate"]) <= date(2026, 11, 30)
    assert date.fromisoformat(option["earliestDate"]) >= date.fromisoformat(incoming["arrivesOn"])
    [backorder] = option["explanation"]["backorders"]
    assert (backorder["sku"], backorder["quantity"]) == ("LAMP-003", 5)


async def test_a_date_the_supply_cannot_meet_is_refused_and_no_date_means_no_waiting(
    harness: Harness, network: Network
) -> None:
    await lamps_incoming(harness, network)
    at_tuesday(harness)
    early = await dated(harness, "SHIP_STANDARD", "2026-11-19")
    assert early["options"] == []
    assert early["unavailable"][0]["reason"] == "REQUESTED_DATE_NOT_MET"
    undated = await dated(harness, "SHIP_STANDARD", None)
    assert undated["options"] == []
    assert undated["unavailable"][0]["reason"] == "INSUFFICIENT_STOCK"
    same_day = await dated(harness, "SAME_DAY", "2026-11-30")
    assert same_day["unavailable"][0] == {
        "method": "SAME_DAY",
        "reason": "REQUESTED_DATE_NOT_MET",
        "detail": "same day means today",
    }


async def test_a_requested_date_in_the_past_is_bad_input(
    harness: Harness, network: Network
) -> None:
    at_tuesday(harness)
    body = await harness.client.execute(
        DATED,
        {
            "input": {
                "lines": FIFTEEN_LAMPS,
                "destination": HOME,
                "requestedDate": "2026-11-16",
            }
        },
    )
    [error] = body["errors"]
    assert error["extensions"]["code"] == "BAD_USER_INPUT"
    assert error["extensions"]["problems"][0]["field"] == ["requestedDate"]


def test_asking_for_a_date_allows_waiting_and_keeps_every_other_rule() -> None:
    store_free = ChannelPolicy(
        excluded_location_types=frozenset({LocationType.STORE}),
        methods={DeliveryMethod.SHIP_EXPRESS: MethodPolicy(max_packages=1)},
    )
    rules = SourcingRules(
        methods={DeliveryMethod.SHIP_STANDARD: MethodPolicy(max_packages=2)},
        channels={"B2B": store_free},
    )
    dated_rules = rules_for_requested_date(rules, "B2B", DeliveryMethod.SHIP_STANDARD)
    policy = dated_rules.policy_for("B2B", DeliveryMethod.SHIP_STANDARD)
    assert policy.allow_backorder and policy.max_packages == 2
    assert dated_rules.channel("B2B").excluded_location_types == frozenset({LocationType.STORE})
    assert dated_rules.policy_for("B2B", DeliveryMethod.SHIP_EXPRESS).max_packages == 1
    assert not dated_rules.policy_for("WEB", DeliveryMethod.SHIP_STANDARD).allow_backorder
    assert rules_for_requested_date(rules, "B2B", DeliveryMethod.SAME_DAY) is rules


def test_stock_spread_over_more_locations_than_allowed_waits_for_supply_for_the_rest() -> None:
    rules = SourcingRules(
        methods={DeliveryMethod.SHIP_STANDARD: MethodPolicy(max_packages=1, allow_backorder=True)}
    )
    due = date(2024, 5, 20)
    cands = [
        loc(1, 60, {"A": 2}),
        loc(2, 70, {"A": 3}, kind=LocationType.DC, incoming=[IncomingSupply("A", 9, due)]),
        loc(3, 80, {"A": 2}),
    ]
    decision = decided(run(cands, {"A": 6}, rules=rules))
    # One package from the location holding most (3), the other 3 wait for its supply.
    assert [(p.source.location_id, dict(p.quantities)) for p in decision.packages] == [
        (2, {"A": 3})
    ]
    [backorder] = decision.backorders
    assert (backorder.location_id, backorder.quantity, backorder.available_on) == (2, 3, due)
    without = SourcingRules(methods={DeliveryMethod.SHIP_STANDARD: MethodPolicy(max_packages=1)})
    assert refused(run(cands, {"A": 6}, rules=without)).reason is NoPlanReason.INSUFFICIENT_STOCK
