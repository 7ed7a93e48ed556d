"""Payment marks and incoming-supply claims, as pure rules."""

from __future__ import annotations

import pytest

from omnigraph.domain.errors import DomainError
from omnigraph.domain.payments import check_payment_change
from omnigraph.domain.supply import claims_fit, free_incoming
from omnigraph.domain.vocabulary import OrderStatus, PaymentStatus

O, P = OrderStatus, PaymentStatus  # noqa: E741


@pytest.mark.parametrize("order", [O.PENDING, O.CONFIRMED, O.ON_HOLD])
def test_an_unreleased_order_may_be_held_and_cleared(order: OrderStatus) -> None:
    for payment in P:
        check_payment_change(order, payment)


@pytest.mark.parametrize("order", [O.RELEASED, O.IN_PROGRESS, O.FULFILLED])
def test_a_released_order_may_be_cleared_but_not_held(order: OrderStatus) -> None:
    check_payment_change(order, P.AUTHORIZED)
    check_payment_change(order, P.PAID)
    with pytest.raises(DomainError) as raised:
        check_payment_change(order, P.ON_HOLD)
    assert raised.value.problems[0].field == ("status",)


def test_a_completed_order_may_only_be_marked_paid_and_a_cancelled_one_not_at_all() -> None:
    check_payment_change(O.COMPLETED, P.PAID)
    for order, payment in [(O.COMPLETED, P.AUTHORIZED), (O.COMPLETED, P.ON_HOLD)] + [
        (O.CANCELLED, p) for p in P
    ]:
        with pytest.raises(DomainError) as raised:
            check_payment_change(order, payment)
        assert raised.value.problems[0].field == ("orderId",)


def test_free_incoming_is_what_waiting_orders_have_not_claimed() -> None:
    assert free_incoming(20, 5) == 15
    assert free_incoming(20, 0) == 20
    assert free_incoming(5, 8) == 0  # supply cut after the claims: nothing is free


def test_claims_fit_key_by_key() -> None:
    incoming = {(1, 3): 20, (2, 3): 4}
    waiting = {(1, 3): 15}
    assert claims_fit(incoming, waiting, {(1, 3): 5, (2, 3): 4})
    assert not claims_fit(incoming, waiting, {(1, 3): 6})
    assert not claims_fit(incoming, waiting, {(9, 3): 1})  # nothing incoming there
    assert claims_fit(incoming, waiting, {})
