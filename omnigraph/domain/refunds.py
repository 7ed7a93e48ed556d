"""Refund maths for returned lines, in integer minor units.

What a line paid is its gross price, less its own discount, less its share of the order-level
discount, plus its tax. The order-level discount is split across lines in proportion to their
totals after line discounts (largest remainder method, so the shares add up to the cent);
allocating on the net totals guarantees no line's share exceeds what it is worth.

Partial returns use cumulative pro-rating: the refund for units ``a+1..a+k`` of ``n`` is
``share(a+k) - share(a)`` where ``share(q)`` is the component times ``q/n``, with discounts
rounded up and tax rounded down (see ``_Refunded``): no refund ever gives back a cent the
line did not pay for, and however a line is returned in pieces, its refunds add up to
exactly what it paid.

Idempotency: the caller passes the quantities already refunded per line, and a request that
would take a line past its bought quantity is refused with ``REFUND_EXCEEDS_PURCHASE``. A
replay of the same return is therefore refused, never paid twice.

Shipping (see ``ShippingRefundRule``) is refunded at most once, decided from the quantities
alone, so it too needs no extra state.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from enum import StrEnum

from omnigraph.domain.errors import DomainError, ErrorCode, Problem
from omnigraph.domain.money import Money


class ShippingRefundRule(StrEnum):
    WHOLE_ORDER_ONLY = "WHOLE_ORDER_ONLY"  # with the refund that returns the last unit
    NEVER = "NEVER"
    ALWAYS = "ALWAYS"  # with the first refund of the order


@dataclass(frozen=True, slots=True)
class PaidLine:
    """An order line as paid: ``discount`` and ``tax`` are for the whole line, all units."""

    line_id: int
    unit_price: Money
    quantity: int
    discount: Money | None = None
    tax: Money | None = None

    @property
    def gross(self) -> Money:
        return self.unit_price.times(self.quantity)


@dataclass(frozen=True, slots=True)
class PaidOrder:
    currency: str
    lines: Sequence[PaidLine]
    order_discount: Money
    shipping: Money


@dataclass(frozen=True, slots=True)
class LineRefund:
    line_id: int
    quantity: int
    price: Money
    line_discount: Money
    order_discount: Money
    tax: Money

    @property
    def total(self) -> Money:
        return self.price - self.line_discount - self.order_discount + self.tax


@dataclass(frozen=True, slots=True)
class Refund:
    lines: tuple[LineRefund, ...]
    shipping: Money

    @property
    def total(self) -> Money:
        total = self.shipping
        for line in self.lines:
            total = total + line.total
        return total


def allocate(amount: Money, weights: Sequence[int]) -> tuple[Money, ...]:
    """Split ``amount`` in proportion to ``weights``; the parts sum to ``amount`` exactly.

    Largest remainder method: everyone gets the floor of their exact share, and the cents
    left over go to the largest fractional remainders (earlier index first on ties, so the
    answer is deterministic). All-zero weights split the amount evenly.
    """
    if amount.minor < 0 or any(w < 0 for w in weights):
        raise ValueError("allocate needs a non-negative amount and weights")
    if not weights:
        if amount.minor:
            raise ValueError("cannot allocate a non-zero amount over nothing")
        return ()
    if sum(weights) == 0:
        weights = [1] * len(weights)
    whole = sum(weights)
    floors = [amount.minor * w // whole for w in weights]
    remainders = [amount.minor * w % whole for w in weights]
    leftover = amount.minor - sum(floors)
    order = sorted(range(len(weights)), key=lambda i: (-remainders[i], i))
    for i in order[:leftover]:
        floors[i] += 1
    return tuple(Money(part, amount.currency) for part in floors)


def _floor_share(amount: int, part: int, whole: int) -> int:
    return amount * part // whole


def _ceil_share(amount: int, part: int, whole: int) -> int:
    return -(-amount * part // whole)


@dataclass(frozen=True, slots=True)
class _Refunded:
    """What the first ``units`` of ``line`` refunded, cumulatively, whatever the batches.

    Discounts are taken back rounded up and tax is given back rounded down, so at every
    point the money refunded is at most the line's paid share for those units (never more
    than was paid) and every part of every refund is non-negative. After the last unit
    each part equals the line's exactly. The combined discount is split between the line's
    own and its share of the order's in proportion to the two.
    """

    price: int
    line_discount: int
    order_discount: int
    tax: int


def _refunded(line: PaidLine, order_share: int, units: int) -> _Refunded:
    n = line.quantity
    own = line.discount.minor if line.discount else 0
    discounts = own + order_share
    taken = _ceil_share(discounts, units, n)
    own_taken = own * taken // discounts if discounts else 0
    return _Refunded(
        price=line.unit_price.minor * units,
        line_discount=own_taken,
        order_discount=taken - own_taken,
        tax=_floor_share(line.tax.minor if line.tax else 0, units, n),
    )


def _order_problems(order: PaidOrder) -> list[Problem]:
    cur = order.currency
    problems: list[Problem] = []
    amounts = [order.order_discount, order.shipping]
    for line in order.lines:
        amounts.append(line.unit_price)
        amounts.extend(m for m in (line.discount, line.tax) if m is not None)
        if line.quantity < 1:
            problems.append(
                Problem(("lines",), ErrorCode.INVALID_QUANTITY, f"line {line.line_id}: no units")
            )
        if line.discount is not None and line.discount.minor > line.gross.minor:
            problems.append(
                Problem(
                    ("lines",), ErrorCode.INVALID, f"line {line.line_id}: discount exceeds price"
                )
            )
    if any(m.currency != cur for m in amounts):
        problems.append(Problem(("currency",), ErrorCode.INVALID_CURRENCY, f"mixed with {cur}"))
    elif any(m.minor < 0 for m in amounts):
        problems.append(Problem(("amount",), ErrorCode.INVALID, "amounts cannot be negative"))
    elif order.order_discount.minor > sum(_net(line).minor for line in order.lines):
        problems.append(
            Problem(("orderDiscount",), ErrorCode.INVALID, "discount exceeds the order's goods")
        )
    return problems


def _net(line: PaidLine) -> Money:
    return line.gross - (line.discount or Money.zero(line.unit_price.currency))


def order_discount_shares(order: PaidOrder) -> dict[int, Money]:
    """Each line's share of the order-level discount, by its total after line discounts."""
    shares = allocate(order.order_discount, [_net(line).minor for line in order.lines])
    return {line.line_id: share for line, share in zip(order.lines, shares, strict=True)}


def order_total(order: PaidOrder) -> Money:
    """What the customer paid: goods less all discounts, plus tax, plus shipping."""
    total = order.shipping - order.order_discount
    for line in order.lines:
        total = total + _net(line) + (line.tax or Money.zero(order.currency))
    return total


def compute_refund(
    order: PaidOrder,
    returned: Mapping[int, int],
    already_refunded: Mapping[int, int] | None = None,
    rule: ShippingRefundRule = ShippingRefundRule.WHOLE_ORDER_ONLY,
) -> Refund:
    """The refund for ``returned`` units per line, given units ``already_refunded`` per line.

    Raises ``NOT_FOUND`` for a line not on the order, ``INVALID_QUANTITY`` for a
    non-positive quantity and ``REFUND_EXCEEDS_PURCHASE`` when already refunded plus
    returned would pass the bought quantity; every problem is reported at once.
    """
    problems = _order_problems(order)
    if problems:
        raise DomainError(problems)
    before = dict(already_refunded or {})
    by_id = {line.line_id: line for line in order.lines}
    for line_id in sorted(set(returned) | set(before)):
        field = ("lines", str(line_id))
        line = by_id.get(line_id)
        qty, done = returned.get(line_id, 0), before.get(line_id, 0)
        if line is None:
            problems.append(Problem(field, ErrorCode.NOT_FOUND, f"line {line_id} not on order"))
        elif (line_id in returned and qty < 1) or done < 0:
            problems.append(Problem(field, ErrorCode.INVALID_QUANTITY, "quantities must be >= 1"))
        elif done + qty > line.quantity:
            problems.append(
                Problem(
                    field,
                    ErrorCode.REFUND_EXCEEDS_PURCHASE,
                    f"line {line_id}: bought {line.quantity}, already refunded {done}, "
                    f"cannot refund {qty} more",
                )
            )
    if not returned:
        problems.append(Problem(("lines",), ErrorCode.REQUIRED, "nothing to refund"))
    if problems:
        raise DomainError(problems)
    shares = order_discount_shares(order)
    refunds = []
    for line in order.lines:
        qty = returned.get(line.line_id, 0)
        if qty == 0:
            continue
        done = before.get(line.line_id, 0)
        start = _refunded(line, shares[line.line_id].minor, done)
        end = _refunded(line, shares[line.line_id].minor, done + qty)
        currency = order.currency
        refunds.append(
            LineRefund(
                line_id=line.line_id,
                quantity=qty,
                price=Money(end.price - start.price, currency),
                line_discount=Money(end.line_discount - start.line_discount, currency),
                order_discount=Money(end.order_discount - start.order_discount, currency),
                tax=Money(end.tax - start.tax, currency),
            )
        )
    return Refund(tuple(refunds), _shipping(order, returned, before, rule))


def _shipping(
    order: PaidOrder,
    returned: Mapping[int, int],
    before: Mapping[int, int],
    rule: ShippingRefundRule,
) -> Money:
    if rule is ShippingRefundRule.ALWAYS and not any(before.values()):
        return order.shipping
    whole_after = all(
        before.get(line.line_id, 0) + returned.get(line.line_id, 0) == line.quantity
        for line in order.lines
    )
    if rule is ShippingRefundRule.WHOLE_ORDER_ONLY and whole_after:
        return order.shipping
    return Money.zero(order.currency)
