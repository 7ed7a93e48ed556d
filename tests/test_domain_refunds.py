from __future__ import annotations

from fractions import Fraction

import pytest
from hypothesis import given
from hypothesis import strategies as st

from omnigraph.domain.errors import DomainError, ErrorCode
from omnigraph.domain.money import Money
from omnigraph.domain.refunds import (
    PaidLine,
    PaidOrder,
    ShippingRefundRule,
    allocate,
    compute_refund,
    order_discount_shares,
    order_total,
)


def usd(minor: int) -> Money:
    return Money(minor, "USD")


# Line 1: 2 x 10.00, 2.00 line discount, net 18.00, tax 1.80.
# Line 2: 3 x 2.00, no discount, net 6.00, tax 1.00 (a third of a cent per unit to round).
ORDER = PaidOrder(
    currency="USD",
    lines=[
        PaidLine(1, usd(1000), 2, discount=usd(200), tax=usd(180)),
        PaidLine(2, usd(200), 3, tax=usd(100)),
    ],
    order_discount=usd(240),
    shipping=usd(500),
)


def refused(code: ErrorCode, *args, **kwargs) -> DomainError:
    with pytest.raises(DomainError) as caught:
        compute_refund(*args, **kwargs)
    assert code in {p.code for p in caught.value.problems}
    return caught.value


def test_allocate_gives_leftover_cents_to_largest_remainders():
    assert [m.minor for m in allocate(usd(100), [1, 1, 1])] == [34, 33, 33]
    assert [m.minor for m in allocate(usd(10), [1, 2, 7])] == [1, 2, 7]
    assert [m.minor for m in allocate(usd(10), [3, 3, 1])] == [4, 4, 2]


def test_allocate_with_zero_weights_splits_evenly_and_refuses_negatives():
    assert [m.minor for m in allocate(usd(5), [0, 0])] == [3, 2]
    assert allocate(usd(0), []) == ()
    with pytest.raises(ValueError):
        allocate(usd(-1), [1])
    with pytest.raises(ValueError):
        allocate(usd(1), [])


@given(st.integers(0, 10**9), st.lists(st.integers(0, 10**6), min_size=1, max_size=12))
def test_allocation_sums_exactly_and_each_part_is_within_a_cent(amount, weights):
    parts = allocate(usd(amount), weights)
    assert sum(p.minor for p in parts) == amount
    whole = sum(weights) or len(weights)
    for part, weight in zip(parts, weights, strict=True):
        exact = Fraction(amount * (weight if sum(weights) else 1), whole)
        assert abs(part.minor - exact) < 1


def test_order_discount_is_shared_by_totals_after_line_discounts():
    # Net 18.00 and 6.00: 2.40 splits 1.80 / 0.60, not 2.00 / 0.40 as gross would give.
    assert order_discount_shares(ORDER) == {1: usd(180), 2: usd(60)}


def test_order_total_is_goods_less_discounts_plus_tax_and_shipping():
    assert order_total(ORDER) == usd(2000 - 200 + 600 - 240 + 180 + 100 + 500)


def test_one_unit_refund_itemises_price_discounts_and_tax():
    refund = compute_refund(ORDER, {1: 1})
    (line,) = refund.lines
    assert (line.price, line.line_discount, line.order_discount, line.tax) == (
        usd(1000),
        usd(100),
        usd(90),
        usd(90),
    )
    assert refund.shipping == usd(0)
    assert refund.total == usd(1000 - 100 - 90 + 90)


def test_unit_by_unit_refunds_add_up_to_the_line_exactly():
    taxes = []
    for already in range(3):
        refund = compute_refund(ORDER, {2: 1}, {2: already}, ShippingRefundRule.NEVER)
        taxes.append(refund.lines[0].tax.minor)
    assert taxes == [33, 33, 34]  # rounded down while units remain: 33.3, 66.7, 100


def test_rounding_never_refunds_a_cent_that_was_not_paid():
    # 2 units at 0.01 less 0.01 off the line and 0.01 off the order: nothing was paid for
    # them, so rounding each unit's half-cent discounts must not give a cent back.
    line = PaidLine(1, usd(1), 2, usd(1), usd(0))
    order = PaidOrder("USD", [line], usd(1), usd(0))
    first = compute_refund(order, {1: 1}, {}, ShippingRefundRule.NEVER)
    second = compute_refund(order, {1: 1}, {1: 1}, ShippingRefundRule.NEVER)
    assert [first.total, second.total] == [usd(0), usd(0)]
    parts = [(r.lines[0].line_discount, r.lines[0].order_discount) for r in (first, second)]
    assert parts == [(usd(0), usd(1)), (usd(1), usd(0))]  # each discount taken back once


def test_the_same_return_twice_is_refused_not_paid_twice():
    compute_refund(ORDER, {1: 2})
    error = refused(ErrorCode.REFUND_EXCEEDS_PURCHASE, ORDER, {1: 2}, {1: 2})
    assert "bought 2, already refunded 2" in str(error)


def test_returning_more_than_bought_is_refused():
    refused(ErrorCode.REFUND_EXCEEDS_PURCHASE, ORDER, {2: 4})
    refused(ErrorCode.REFUND_EXCEEDS_PURCHASE, ORDER, {2: 2}, {2: 2})


def test_unknown_lines_bad_quantities_and_empty_requests_are_refused():
    refused(ErrorCode.NOT_FOUND, ORDER, {9: 1})
    refused(ErrorCode.NOT_FOUND, ORDER, {1: 1}, {9: 1})
    refused(ErrorCode.INVALID_QUANTITY, ORDER, {1: 0})
    refused(ErrorCode.INVALID_QUANTITY, ORDER, {1: 1}, {2: -1})
    refused(ErrorCode.REQUIRED, ORDER, {})


def test_inconsistent_orders_are_refused():
    mixed = PaidOrder("USD", [PaidLine(1, Money(100, "EUR"), 1)], usd(0), usd(0))
    refused(ErrorCode.INVALID_CURRENCY, mixed, {1: 1})
    too_much = PaidOrder("USD", [PaidLine(1, usd(100), 1, discount=usd(101))], usd(0), usd(0))
    refused(ErrorCode.INVALID, too_much, {1: 1})
    over = PaidOrder("USD", [PaidLine(1, usd(100), 1, discount=usd(50))], usd(51), usd(0))
    refused(ErrorCode.INVALID, over, {1: 1})
    negative = PaidOrder("USD", [PaidLine(1, usd(100), 1, tax=usd(-1))], usd(0), usd(0))
    refused(ErrorCode.INVALID, negative, {1: 1})
    no_units = PaidOrder("USD", [PaidLine(1, usd(100), 0)], usd(0), usd(0))
    refused(ErrorCode.INVALID_QUANTITY, no_units, {1: 1})


def test_shipping_whole_order_only_comes_with_the_last_unit():
    rule = ShippingRefundRule.WHOLE_ORDER_ONLY
    assert compute_refund(ORDER, {1: 2}, rule=rule).shipping == usd(0)
    assert compute_refund(ORDER, {2: 3}, {1: 2}, rule).shipping == usd(500)
    assert compute_refund(ORDER, {1: 2, 2: 3}, rule=rule).shipping == usd(500)


def test_shipping_never_and_always():
    assert compute_refund(ORDER, {1: 2, 2: 3}, rule=ShippingRefundRule.NEVER).shipping == usd(0)
    always = ShippingRefundRule.ALWAYS
    assert compute_refund(ORDER, {2: 1}, rule=always).shipping == usd(500)
    assert compute_refund(ORDER, {2: 1}, {2: 1}, always).shipping == usd(0)


@st.composite
def paid_orders(draw):
    lines = []
    for line_id in range(1, draw(st.integers(1, 4)) + 1):
        unit, qty = draw(st.integers(0, 50_000)), draw(st.integers(1, 5))
        discount = draw(st.integers(0, unit * qty))
        tax = draw(st.integers(0, 10_000))
        lines.append(PaidLine(line_id, usd(unit), qty, usd(discount), usd(tax)))
    net = sum(line.gross.minor - (line.discount or usd(0)).minor for line in lines)
    order = PaidOrder("USD", lines, usd(draw(st.integers(0, net))), usd(draw(st.integers(0, 2000))))
    # Every unit returned, in a random number of refunds of random sizes.
    batches: list[dict[int, int]] = []
    for line in lines:
        left = line.quantity
        while left:
            take = draw(st.integers(1, left))
            slot = draw(st.integers(0, len(batches)))
            if slot == len(batches):
                batches.append({})
            batches[slot][line.line_id] = batches[slot].get(line.line_id, 0) + take
            left -= take
    rule = draw(st.sampled_from(list(ShippingRefundRule)))
    return order, batches, rule


@given(paid_orders())
def test_refunding_everything_returns_the_total_and_never_more_than_paid(case):
    order, batches, rule = case
    shares = order_discount_shares(order)
    paid = {
        line.line_id: line.gross.minor
        - (line.discount or usd(0)).minor
        - shares[line.line_id].minor
        + (line.tax or usd(0)).minor
        for line in order.lines
    }
    refunded_units: dict[int, int] = {}
    refunded_money: dict[int, int] = {}
    total = 0
    for batch in batches:
        refund = compute_refund(order, batch, refunded_units, rule)
        for line in refund.lines:
            assert line.total.minor >= 0
            refunded_money[line.line_id] = refunded_money.get(line.line_id, 0) + line.total.minor
            assert refunded_money[line.line_id] <= paid[line.line_id]
            refunded_units[line.line_id] = refunded_units.get(line.line_id, 0) + line.quantity
        total += refund.total.minor
        assert total <= order_total(order).minor
    kept = order.shipping.minor if rule is ShippingRefundRule.NEVER else 0
    assert total == order_total(order).minor - kept
    assert refunded_money == paid
    with pytest.raises(DomainError):
        compute_refund(order, {order.lines[0].line_id: 1}, refunded_units, rule)
