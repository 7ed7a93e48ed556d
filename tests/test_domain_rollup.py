from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from omnigraph.domain.errors import DomainError, ErrorCode
from omnigraph.domain.lifecycle import ORDER_TRANSITIONS, check_transition
from omnigraph.domain.rollup import (
    FulfilmentFacts,
    OrderLineFacts,
    derive_status,
    rank,
    rollup_path,
    rollup_status,
)
from omnigraph.domain.vocabulary import FulfillmentKind, FulfillmentStatus, OrderStatus

F = FulfillmentStatus
O = OrderStatus  # noqa: E741
TWO_LINES = [OrderLineFacts(1, 2), OrderLineFacts(2, 1)]


def fo(status: F, lines: dict[int, int], kind=FulfillmentKind.SHIP) -> FulfilmentFacts:
    return FulfilmentFacts(status, lines, kind)


def split(first: F, second: F) -> list[FulfilmentFacts]:
    """The usual split: line 1 from one location, line 2 from another."""
    return [fo(first, {1: 2}), fo(second, {2: 1})]


# Rule 1
def test_every_line_cancelled_is_cancelled():
    lines = [OrderLineFacts(1, 2, cancelled_quantity=2), OrderLineFacts(2, 1, 1)]
    assert derive_status(lines, split(F.CANCELLED, F.CANCELLED)) is O.CANCELLED


def test_some_lines_cancelled_is_not_cancelled():
    lines = [OrderLineFacts(1, 2, cancelled_quantity=2), OrderLineFacts(2, 1)]
    assert derive_status(lines, split(F.CANCELLED, F.RELEASED)) is O.RELEASED


# Rule 2
def test_a_rejected_fulfilment_order_does_not_hold_back_release():
    fos = [fo(F.REJECTED, {1: 2}), fo(F.RELEASED, {1: 2}), fo(F.ACCEPTED, {2: 1})]
    assert derive_status(TWO_LINES, fos) is O.RELEASED


def test_a_cancelled_fulfilment_order_for_a_cancelled_line_does_not_block_fulfilled():
    lines = [OrderLineFacts(1, 2), OrderLineFacts(2, 1, cancelled_quantity=1)]
    assert derive_status(lines, split(F.SHIPPED, F.CANCELLED)) is O.FULFILLED


def test_units_on_a_rejected_order_do_not_count_as_shipped():
    # The REJECTED FO still names its units; they must not count even if merged elsewhere.
    fos = [fo(F.REJECTED, {2: 1}), fo(F.SHIPPED, {1: 2}), fo(F.PACKED, {2: 1})]
    assert derive_status(TWO_LINES, fos) is O.PARTIALLY_FULFILLED


# Rule 3
def test_a_delivered_transfer_is_not_a_delivery_to_the_customer():
    fos = [
        fo(F.DELIVERED, {1: 2, 2: 1}, FulfillmentKind.TRANSFER),
        fo(F.ACCEPTED, {1: 2, 2: 1}, FulfillmentKind.PICKUP),
    ]
    assert derive_status(TWO_LINES, fos) is O.IN_PROGRESS


def test_a_released_transfer_waits_like_any_other():
    fos = [
        fo(F.RELEASED, {1: 2, 2: 1}, FulfillmentKind.TRANSFER),
        fo(F.ACCEPTED, {1: 2, 2: 1}, FulfillmentKind.PICKUP),
    ]
    assert derive_status(TWO_LINES, fos) is O.RELEASED


# Rule 4
def test_units_are_capped_at_the_non_cancelled_quantity():
    lines = [OrderLineFacts(1, 2, cancelled_quantity=1), OrderLineFacts(2, 1)]
    assert derive_status(lines, split(F.SHIPPED, F.PICKING)) is O.PARTIALLY_FULFILLED


# Rule 5
def test_all_delivered_or_picked_up_is_completed():
    fos = [fo(F.DELIVERED, {1: 2}), fo(F.PICKED_UP, {2: 1}, FulfillmentKind.PICKUP)]
    assert derive_status(TWO_LINES, fos) is O.COMPLETED


def test_all_handed_over_but_one_still_in_transit_is_fulfilled():
    assert derive_status(TWO_LINES, split(F.DELIVERED, F.SHIPPED)) is O.FULFILLED


def test_cancelled_units_do_not_hold_back_completion():
    lines = [OrderLineFacts(1, 2), OrderLineFacts(2, 1, cancelled_quantity=1)]
    assert derive_status(lines, [fo(F.DELIVERED, {1: 2})]) is O.COMPLETED


# Rule 6
def test_some_units_shipped_is_partially_fulfilled():
    assert derive_status(TWO_LINES, split(F.SHIPPED, F.PACKED)) is O.PARTIALLY_FULFILLED


def test_a_line_split_across_locations_counts_units_not_lines():
    fos = [fo(F.SHIPPED, {1: 1}), fo(F.SHIPPED, {2: 1}), fo(F.PICKING, {1: 1})]
    assert derive_status(TWO_LINES, fos) is O.PARTIALLY_FULFILLED


# Rule 7
@pytest.mark.parametrize("working", [F.PICKING, F.PACKED, F.READY_FOR_PICKUP])
def test_any_work_started_is_in_progress(working):
    assert derive_status(TWO_LINES, split(working, F.RELEASED)) is O.IN_PROGRESS


# Rule 8
def test_all_released_or_accepted_is_released():
    assert derive_status(TWO_LINES, split(F.RELEASED, F.ACCEPTED)) is O.RELEASED


# Rule 9
def test_an_open_fulfilment_order_gives_no_opinion():
    assert derive_status(TWO_LINES, split(F.RELEASED, F.OPEN)) is None
    assert derive_status(TWO_LINES, []) is None
    assert rollup_status(O.CONFIRMED, TWO_LINES, []) is O.CONFIRMED


def test_resourcing_after_a_rejection_never_moves_the_order_back():
    fos = [fo(F.CANCELLED, {1: 2}), fo(F.RELEASED, {1: 2}), fo(F.PICKING, {2: 1})]
    assert rollup_status(O.IN_PROGRESS, TWO_LINES, fos) is O.IN_PROGRESS
    fos = [fo(F.REJECTED, {1: 2, 2: 1}), fo(F.RELEASED, {1: 2, 2: 1})]
    assert rollup_status(O.IN_PROGRESS, TWO_LINES, fos) is O.IN_PROGRESS


def test_terminal_orders_stay_terminal():
    assert rollup_status(O.COMPLETED, TWO_LINES, split(F.SHIPPED, F.SHIPPED)) is O.COMPLETED


def test_path_passes_through_fulfilled_on_the_way_to_completed():
    fos = [fo(F.DELIVERED, {1: 2}), fo(F.PICKED_UP, {2: 1}, FulfillmentKind.PICKUP)]
    assert rollup_path(O.PARTIALLY_FULFILLED, TWO_LINES, fos) == (O.FULFILLED, O.COMPLETED)
    assert rollup_path(O.RELEASED, TWO_LINES, split(F.PICKING, F.RELEASED)) == (O.IN_PROGRESS,)
    assert rollup_path(O.RELEASED, TWO_LINES, split(F.RELEASED, F.ACCEPTED)) == ()


def test_path_refuses_cancelling_an_order_that_has_shipped():
    lines = [OrderLineFacts(1, 2, cancelled_quantity=2), OrderLineFacts(2, 1, 1)]
    with pytest.raises(DomainError) as caught:
        rollup_path(O.FULFILLED, lines, [])
    assert caught.value.code is ErrorCode.INVALID_TRANSITION


def test_bad_facts_are_programming_errors():
    with pytest.raises(ValueError):
        derive_status([], [])
    with pytest.raises(ValueError):
        derive_status(TWO_LINES, [fo(F.SHIPPED, {9: 1})])


SHIP_PATH = [F.OPEN, F.RELEASED, F.ACCEPTED, F.PICKING, F.PACKED, F.SHIPPED, F.DELIVERED]
PICKUP_PATH = [*SHIP_PATH[:5], F.READY_FOR_PICKUP, F.PICKED_UP]


@st.composite
def orders(draw):
    quantities = draw(st.lists(st.integers(1, 3), min_size=1, max_size=3))
    lines = [OrderLineFacts(i + 1, q) for i, q in enumerate(quantities)]
    fo_count = draw(st.integers(1, 3))
    carried: list[dict[int, int]] = [{} for _ in range(fo_count)]
    for line in lines:
        for _ in range(line.quantity):
            target = carried[draw(st.integers(0, fo_count - 1))]
            target[line.line_id] = target.get(line.line_id, 0) + 1
    paths = [draw(st.sampled_from([SHIP_PATH, PICKUP_PATH])) for _ in carried]
    steps = draw(st.lists(st.integers(0, fo_count - 1), max_size=20))
    return lines, carried, paths, steps


@given(orders())
def test_rollup_never_moves_backwards_as_fulfilment_orders_advance(order):
    lines, carried, paths, steps = order
    position = [0] * len(carried)
    current, last_rank, seen_opinion = O.CONFIRMED, rank(O.CONFIRMED), False

    def facts():
        return [fo(p[i], c) for p, i, c in zip(paths, position, carried, strict=True) if c]

    # Advance by the drawn steps, then drive everything to the end of its path.
    finish = [i for i in range(len(carried)) for _ in range(len(SHIP_PATH))]
    for index in [*steps, *finish]:
        position[index] = min(position[index] + 1, len(paths[index]) - 1)
        derived = derive_status(lines, facts())
        if derived is None:
            assert not seen_opinion, "an opinion, once given, is never withdrawn"
            continue
        seen_opinion = True
        assert rank(derived) is not None and rank(derived) >= last_rank
        last_rank = rank(derived)
        for step in rollup_path(current, lines, facts()):
            check_transition("order", ORDER_TRANSITIONS, current, step)
            current = step
        assert current is derived
    assert current is O.COMPLETED
