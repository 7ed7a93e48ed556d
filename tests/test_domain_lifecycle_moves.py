"""Pure decisions of the lifecycle: stock after a sale or a short pick, tracking paths and
where cancelled units come from."""

from __future__ import annotations

import pytest

from omnigraph.domain.cancellation import (
    Holding,
    Take,
    check_lines_cancellable,
    plan_cancellation,
)
from omnigraph.domain.errors import DomainError, ErrorCode
from omnigraph.domain.fulfilment import ShortReason
from omnigraph.domain.inventory import StockLevel
from omnigraph.domain.returns import Disposition, check_returnable, plan_return
from omnigraph.domain.stock_outcomes import plan_sale, plan_short
from omnigraph.domain.tracking import all_delivered, tracking_path
from omnigraph.domain.vocabulary import (
    FulfillmentStatus,
    InventoryBucket,
    MovementReason,
    OrderStatus,
    ShipmentStatus,
)

S = ShipmentStatus


def test_a_sale_releases_the_commitment_and_takes_the_units_off_hand() -> None:
    released, gone = plan_sale(StockLevel(on_hand=5, committed=3), 2)
    assert (released.bucket, released.delta, released.reason) == (
        InventoryBucket.COMMITTED,
        -2,
        MovementReason.SALE,
    )
    assert released.after == StockLevel(on_hand=5, committed=1)
    assert (gone.bucket, gone.delta) == (InventoryBucket.ON_HAND, -2)
    assert gone.after == StockLevel(on_hand=3, committed=1)
    # Selling leaves what others may buy unchanged.
    assert gone.after.available == StockLevel(on_hand=5, committed=3).available


def test_a_sale_of_more_than_is_committed_is_refused() -> None:
    with pytest.raises(DomainError) as refused:
        plan_sale(StockLevel(on_hand=5, committed=1), 2)
    assert refused.value.code is ErrorCode.NEGATIVE_STOCK


@pytest.mark.parametrize("quantity", [0, -1])
def test_sales_and_shorts_need_a_positive_quantity(quantity: int) -> None:
    with pytest.raises(DomainError) as refused:
        plan_sale(StockLevel(on_hand=5, committed=3), quantity)
    assert refused.value.code is ErrorCode.INVALID_QUANTITY
    with pytest.raises(DomainError):
        plan_short(StockLevel(on_hand=5, committed=3), quantity, ShortReason.MISSING)


def test_missing_units_leave_stock_and_damaged_units_stay_but_cannot_be_sold() -> None:
    level = StockLevel(on_hand=4, committed=2)
    _, missing = plan_short(level, 1, ShortReason.MISSING)
    assert missing.after == StockLevel(on_hand=3, committed=1)
    assert missing.reason is MovementReason.ADJUSTMENT
    _, damaged = plan_short(level, 1, ShortReason.DAMAGED)
    assert damaged.after == StockLevel(on_hand=4, committed=1, damaged=1)
    assert damaged.reason is MovementReason.DAMAGE
    # Either way the units are not sellable again.
    assert missing.after.available == damaged.after.available == level.available


def test_a_repeated_status_is_a_scan_without_a_transition() -> None:
    assert tracking_path(S.IN_TRANSIT, S.IN_TRANSIT) == ()


def test_skipped_scans_pass_in_transit_first() -> None:
    assert tracking_path(S.LABEL_CREATED, S.DELIVERED) == (S.IN_TRANSIT, S.DELIVERED)
    assert tracking_path(S.LABEL_CREATED, S.OUT_FOR_DELIVERY) == (
        S.IN_TRANSIT,
        S.OUT_FOR_DELIVERY,
    )
    assert tracking_path(S.IN_TRANSIT, S.DELIVERED) == (S.DELIVERED,)


def test_nothing_moves_after_delivery_and_label_created_is_not_reportable() -> None:
    with pytest.raises(DomainError) as refused:
        tracking_path(S.DELIVERED, S.IN_TRANSIT)
    assert refused.value.code is ErrorCode.INVALID_TRANSITION
    assert "DELIVERED" in str(refused.value)
    with pytest.raises(DomainError) as invented:
        tracking_path(S.IN_TRANSIT, S.LABEL_CREATED)
    assert invented.value.code is ErrorCode.INVALID


def test_a_fulfilment_is_delivered_once_every_parcel_is() -> None:
    assert all_delivered([S.DELIVERED, S.DELIVERED])
    assert not all_delivered([S.DELIVERED, S.OUT_FOR_DELIVERY])
    assert not all_delivered([])


def test_cancellation_takes_backordered_then_unpicked_units_first() -> None:
    holdings = [
        Holding(7, FulfillmentStatus.PICKING, quantity=3, picked=1),
        Holding(9, FulfillmentStatus.RELEASED, quantity=2),
    ]
    takes = plan_cancellation(1, active=6, keep=1, backordered=1, holdings=holdings, field=("q",))
    assert takes == (Take(None, 1), Take(9, 2), Take(7, 2))


def test_cancellation_puts_picked_units_back_last_least_advanced_first() -> None:
    holdings = [
        Holding(5, FulfillmentStatus.READY_FOR_PICKUP, quantity=1, picked=1),
        Holding(6, FulfillmentStatus.PACKED, quantity=2, picked=2),
        Holding(7, FulfillmentStatus.PICKING, quantity=3, picked=2),
        Holding(9, FulfillmentStatus.ACCEPTED, quantity=1),
    ]

    def plan(keep: int) -> tuple[Take, ...]:
        return plan_cancellation(1, active=7, keep=keep, backordered=0, holdings=holdings, field=())

    assert plan(5) == (Take(9, 1), Take(7, 1))
    # The pick in progress loses its unpicked unit and then its picked ones, in one take.
    assert plan(3) == (Take(9, 1), Take(7, 3, put_back=2))
    assert plan(1) == (Take(9, 1), Take(7, 3, put_back=2), Take(6, 2, put_back=2))
    assert plan(0) == (
        Take(9, 1),
        Take(7, 3, put_back=2),
        Take(6, 2, put_back=2),
        Take(5, 1, put_back=1),
    )


def test_cancellation_never_takes_shipped_or_handed_over_units() -> None:
    holdings = [
        Holding(7, FulfillmentStatus.PACKED, quantity=2, picked=2),
        Holding(8, FulfillmentStatus.SHIPPED, quantity=1, picked=1),
        Holding(9, FulfillmentStatus.PICKED_UP, quantity=1, picked=1),
        Holding(10, FulfillmentStatus.DELIVERED, quantity=1, picked=1),
    ]
    with pytest.raises(DomainError) as refused:
        plan_cancellation(1, active=5, keep=2, backordered=0, holdings=holdings, field=("q",))
    [problem] = refused.value.problems
    assert (problem.field, problem.code) == (("q",), ErrorCode.INVALID_TRANSITION)
    assert "1 unit(s) of line 1 have already shipped" in problem.message
    assert "at most 2 of its 5" in problem.message
    assert plan_cancellation(1, active=5, keep=3, backordered=0, holdings=holdings, field=()) == (
        Take(7, 2, put_back=2),
    )


@pytest.mark.parametrize("status", list(OrderStatus))
def test_lines_can_be_cancelled_while_some_goods_are_still_to_leave(status: OrderStatus) -> None:
    still_here = status not in (OrderStatus.FULFILLED, OrderStatus.COMPLETED, OrderStatus.CANCELLED)
    if still_here:
        check_lines_cancellable(status)
        return
    with pytest.raises(DomainError) as refused:
        check_lines_cancellable(status)
    assert refused.value.problems[0].field == ("orderId",)
    assert status.value in refused.value.problems[0].message


@pytest.mark.parametrize("keep", [-1, 5])
def test_cancellation_keeps_between_nothing_and_what_is_left(keep: int) -> None:
    with pytest.raises(DomainError) as refused:
        plan_cancellation(2, active=4, keep=keep, backordered=0, holdings=[], field=("q",))
    assert refused.value.code is ErrorCode.INVALID_QUANTITY


def test_returned_units_restock_or_stay_unsellable_or_leave_with_the_vendor() -> None:
    level = StockLevel(on_hand=2, committed=1)
    [restock] = plan_return(level, 3, Disposition.RESTOCK)
    assert restock.after == StockLevel(on_hand=5, committed=1)
    assert restock.reason is MovementReason.RETURN_RESTOCK
    back, damaged = plan_return(level, 3, Disposition.DAMAGED)
    assert back.after.on_hand == 5
    assert damaged.after == StockLevel(on_hand=5, committed=1, damaged=3)
    assert damaged.after.available == level.available
    assert plan_return(level, 3, Disposition.RETURN_TO_VENDOR) == ()


def test_only_units_with_the_customer_can_be_returned() -> None:
    fields = {1: ("lines", "0", "quantity"), 2: ("lines", "1", "quantity")}
    check_returnable({1: 2}, {1: 2}, fields)
    with pytest.raises(DomainError) as refused:
        check_returnable({1: 3, 2: 0}, {1: 2, 2: 1}, fields)
    assert [(p.field, p.code) for p in refused.value.problems] == [
        (("lines", "0", "quantity"), ErrorCode.REFUND_EXCEEDS_PURCHASE),
        (("lines", "1", "quantity"), ErrorCode.INVALID_QUANTITY),
    ]
