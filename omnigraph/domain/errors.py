"""Domain errors carry a stable code and the input field they concern.

The API layer turns them into ``userErrors { field code message }`` in one place, so the
codes below are part of the public contract: add new ones, never rename.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from enum import StrEnum


class ErrorCode(StrEnum):
    INVALID = "INVALID"
    REQUIRED = "REQUIRED"
    NOT_FOUND = "NOT_FOUND"
    UNKNOWN_SKU = "UNKNOWN_SKU"
    UNKNOWN_CHANNEL = "UNKNOWN_CHANNEL"
    UNKNOWN_LOCATION = "UNKNOWN_LOCATION"
    INVALID_QUANTITY = "INVALID_QUANTITY"
    DUPLICATE_LINE = "DUPLICATE_LINE"
    INVALID_ADDRESS = "INVALID_ADDRESS"
    INVALID_COORDINATES = "INVALID_COORDINATES"
    METHOD_NOT_ALLOWED = "METHOD_NOT_ALLOWED"
    METHOD_UNAVAILABLE = "METHOD_UNAVAILABLE"
    OUT_OF_RANGE = "OUT_OF_RANGE"
    PICKUP_NOT_SUPPORTED = "PICKUP_NOT_SUPPORTED"
    INSUFFICIENT_STOCK = "INSUFFICIENT_STOCK"
    NEGATIVE_STOCK = "NEGATIVE_STOCK"
    INVALID_TRANSITION = "INVALID_TRANSITION"
    IDEMPOTENCY_CONFLICT = "IDEMPOTENCY_CONFLICT"
    TOO_MANY_LINES = "TOO_MANY_LINES"
    INVALID_CURRENCY = "INVALID_CURRENCY"
    RESERVATION_EXPIRED = "RESERVATION_EXPIRED"
    RESERVATION_NOT_ACTIVE = "RESERVATION_NOT_ACTIVE"
    RESERVATION_MISMATCH = "RESERVATION_MISMATCH"
    WRONG_ITEM = "WRONG_ITEM"
    OVER_PICK = "OVER_PICK"
    PACKING_MISMATCH = "PACKING_MISMATCH"
    HANDOVER_REFUSED = "HANDOVER_REFUSED"
    REFUND_EXCEEDS_PURCHASE = "REFUND_EXCEEDS_PURCHASE"
    CARRIER_REFUSED = "CARRIER_REFUSED"


@dataclass(frozen=True, slots=True)
class Problem:
    """One thing wrong with an input: which field (a path), a stable code, a message."""

    field: tuple[str, ...]
    code: ErrorCode
    message: str


class DomainError(Exception):
    """A decision refused for reasons the caller can fix; carries one or more problems."""

    def __init__(self, problems: Sequence[Problem]) -> None:
        if not problems:
            raise ValueError("a DomainError needs at least one problem")
        self.problems: tuple[Problem, ...] = tuple(problems)
        super().__init__("; ".join(p.message for p in self.problems))

    @classmethod
    def single(cls, field: Iterable[str], code: ErrorCode, message: str) -> DomainError:
        return cls([Problem(tuple(field), code, message)])

    @property
    def code(self) -> ErrorCode:
        return self.problems[0].code
