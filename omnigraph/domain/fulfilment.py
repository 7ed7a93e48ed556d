"""Store and warehouse work on a fulfilment order: pick by scanning, short pick, pack, hand over.

Every function takes values and returns new values; a refused action raises a DomainError
whose code the store app shows as a userError. The pick state is immutable, so a service can
load it, apply one scan and persist the result without partial updates.
"""

from __future__ import annotations

import hmac
import unicodedata
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from enum import StrEnum

from omnigraph.domain.errors import DomainError, ErrorCode, Problem


class ShortReason(StrEnum):
    MISSING = "MISSING"
    DAMAGED = "DAMAGED"


@dataclass(frozen=True, slots=True)
class PickLine:
    """One order line as the picker sees it; ``location`` is the bin or aisle when known."""

    line_id: int
    sku: str
    quantity: int
    barcode: str | None = None
    location: str | None = None

    def matches(self, code: str) -> bool:
        return code == self.sku or (self.barcode is not None and code == self.barcode)


@dataclass(frozen=True, slots=True)
class ShortPick:
    line_id: int
    quantity: int
    reason: ShortReason


@dataclass(frozen=True, slots=True)
class PickState:
    """The pick list and what has happened to it so far; never mutated, only replaced."""

    lines: tuple[PickLine, ...]
    picked: Mapping[int, int] = field(default_factory=dict)
    shorts: tuple[ShortPick, ...] = ()

    def line(self, line_id: int) -> PickLine:
        for line in self.lines:
            if line.line_id == line_id:
                return line
        raise DomainError.single(
            ("lineId",), ErrorCode.NOT_FOUND, f"line {line_id} is not on this pick list"
        )

    def short_of(self, line_id: int) -> int:
        return sum(s.quantity for s in self.shorts if s.line_id == line_id)

    def remaining(self, line_id: int) -> int:
        """Units still to pick: a unit marked short is settled, so it cannot be scanned too."""
        line = self.line(line_id)
        return line.quantity - self.picked.get(line_id, 0) - self.short_of(line_id)


@dataclass(frozen=True, slots=True)
class PickOutcome:
    picked: Mapping[int, int]
    short: Mapping[int, int]
    outstanding: Mapping[int, int]

    @property
    def complete(self) -> bool:
        """Every unit is either picked or marked short; the pick can be closed."""
        return not any(self.outstanding.values())

    @property
    def has_shortfall(self) -> bool:
        return any(self.short.values())


def start_pick(lines: Iterable[PickLine]) -> PickState:
    """A fresh pick state; refuses duplicate line ids and non-positive quantities."""
    lines = tuple(lines)
    if not lines:
        raise DomainError.single(("lines",), ErrorCode.REQUIRED, "a pick list needs lines")
    seen: set[int] = set()
    for line in lines:
        if line.line_id in seen:
            raise DomainError.single(
                ("lines",), ErrorCode.DUPLICATE_LINE, f"line {line.line_id} appears twice"
            )
        seen.add(line.line_id)
        if line.quantity < 1:
            raise DomainError.single(
                ("lines",), ErrorCode.INVALID_QUANTITY, f"line {line.line_id} has no units"
            )
    return PickState(lines, {line.line_id: 0 for line in lines})


def _positive(quantity: int, field_name: str) -> None:
    if quantity < 1:
        raise DomainError.single(
            (field_name,), ErrorCode.INVALID_QUANTITY, "quantity must be at least 1"
        )


def _expected(state: PickState) -> str:
    wanted = [
        f"{line.sku}" + (f" (barcode {line.barcode})" if line.barcode else "")
        for line in state.lines
        if state.remaining(line.line_id) > 0
    ]
    return ", ".join(wanted) if wanted else "nothing (every unit is settled)"


def scan(state: PickState, code: str, quantity: int = 1) -> PickState:
    """Record ``quantity`` units scanned by barcode or SKU.

    Refuses ``WRONG_ITEM`` when the code is on no line (naming what was scanned and what is
    still expected) and ``OVER_PICK`` when the units exceed what remains to pick. When the
    same SKU sits on several lines, units fill the lines in pick-list order.
    """
    _positive(quantity, "quantity")
    scanned = code.strip()
    matching = [line for line in state.lines if line.matches(scanned)]
    if not matching:
        raise DomainError.single(
            ("barcode",),
            ErrorCode.WRONG_ITEM,
            f"scanned {scanned!r}, which is not on this pick list; expected {_expected(state)}",
        )
    open_units = sum(state.remaining(line.line_id) for line in matching)
    if quantity > open_units:
        sku = matching[0].sku
        raise DomainError.single(
            ("quantity",),
            ErrorCode.OVER_PICK,
            f"scanned {quantity} x {sku} but only {open_units} remain to pick",
        )
    picked = dict(state.picked)
    left = quantity
    for line in matching:
        take = min(left, state.remaining(line.line_id))
        picked[line.line_id] = picked.get(line.line_id, 0) + take
        left -= take
    return replace(state, picked=picked)


def short_pick(state: PickState, line_id: int, missing: int, reason: ShortReason) -> PickState:
    """Mark ``missing`` units of a line as not pickable (missing or damaged).

    Only units not yet picked can be short; the service then adjusts stock and re-sources.
    """
    _positive(missing, "missing")
    remaining = state.remaining(line_id)
    if missing > remaining:
        raise DomainError.single(
            ("missing",),
            ErrorCode.INVALID_QUANTITY,
            f"line {line_id} has {remaining} unit(s) left to pick, cannot mark {missing} short",
        )
    return replace(state, shorts=(*state.shorts, ShortPick(line_id, missing, reason)))


def pick_outcome(state: PickState) -> PickOutcome:
    """Picked, short and outstanding units per line; ``complete`` once nothing is outstanding."""
    ids = [line.line_id for line in state.lines]
    return PickOutcome(
        picked={i: state.picked.get(i, 0) for i in ids},
        short={i: state.short_of(i) for i in ids},
        outstanding={i: state.remaining(i) for i in ids},
    )


def pack(
    picked: Mapping[int, int], packages: Sequence[Mapping[int, int]]
) -> tuple[dict[int, int], ...]:
    """Check that the packages hold exactly the picked units, and return them normalised.

    Every problem is reported at once with ``PACKING_MISMATCH``: an empty package, a line
    that was not picked, a non-positive quantity, or a line whose packed total differs from
    its picked total. Lines picked zero times need not appear.
    """
    problems: list[Problem] = []
    if not packages:
        problems.append(Problem(("packages",), ErrorCode.PACKING_MISMATCH, "no package given"))
    packed: dict[int, int] = {}
    for index, package in enumerate(packages):
        where = ("packages", str(index))
        if not package:
            problems.append(Problem(where, ErrorCode.PACKING_MISMATCH, "package is empty"))
        for line_id, qty in package.items():
            if qty < 1:
                problems.append(
                    Problem(
                        (*where, str(line_id)),
                        ErrorCode.PACKING_MISMATCH,
                        f"line {line_id} has quantity {qty}; packages hold whole units",
                    )
                )
            elif picked.get(line_id, 0) == 0:
                problems.append(
                    Problem(
                        (*where, str(line_id)),
                        ErrorCode.PACKING_MISMATCH,
                        f"line {line_id} was not picked",
                    )
                )
            packed[line_id] = packed.get(line_id, 0) + max(qty, 0)
    for line_id, qty in picked.items():
        if qty > 0 and packed.get(line_id, 0) != qty:
            problems.append(
                Problem(
                    ("packages",),
                    ErrorCode.PACKING_MISMATCH,
                    f"line {line_id}: picked {qty}, packed {packed.get(line_id, 0)}",
                )
            )
    if problems:
        raise DomainError(problems)
    return tuple(dict(package) for package in packages)


class HandoverProof(StrEnum):
    """How the customer proved who they are, for the audit trail."""

    PICKUP_CODE = "PICKUP_CODE"
    ORDER_AND_NAME = "ORDER_AND_NAME"


def _normal_name(name: str) -> str:
    # NFKC + casefold + collapsed spaces: "  ADA   lovelace" matches "Ada Lovelace".
    return " ".join(unicodedata.normalize("NFKC", name).casefold().split())


def _normal_code(code: str) -> bytes:
    return "".join(code.split()).upper().encode()


def _refused(message: str) -> DomainError:
    return DomainError.single(("handover",), ErrorCode.HANDOVER_REFUSED, message)


def verify_handover(
    order_number: str,
    customer_name: str | None,
    pickup_code: str | None,
    *,
    presented_order_number: str | None = None,
    presented_name: str | None = None,
    presented_code: str | None = None,
) -> HandoverProof:
    """Decide whether goods may be handed to the person at the counter.

    Accepted on a matching pickup code alone (compared in constant time, ignoring case and
    spaces), or on the order number together with the customer's name (ignoring case and
    extra whitespace). A presented code that does not match refuses the hand-over even if
    the name matches: a wrong code is a warning sign, not a typo to fall back from. Messages
    never reveal the expected name or code.
    """
    if presented_code is not None and presented_code.strip():
        if pickup_code and hmac.compare_digest(
            _normal_code(presented_code), _normal_code(pickup_code)
        ):
            return HandoverProof.PICKUP_CODE
        raise _refused("the pickup code does not match this order")
    if not presented_order_number or not presented_name:
        raise _refused("give the pickup code, or the order number and the customer's name")
    if presented_order_number.strip().upper() != order_number.strip().upper():
        raise _refused("the order number does not match this order")
    if not customer_name or _normal_name(presented_name) != _normal_name(customer_name):
        raise _refused("the name does not match the customer on this order")
    return HandoverProof.ORDER_AND_NAME
