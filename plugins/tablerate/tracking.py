"""Self-describing tracking numbers for the table-rate carrier.

The carrier keeps no database, so a tracking number carries what the label and the
tracking answer need, the way a UPS ``1Z`` number carries a service code::

    TR 03 4 005 09462 12345678 9
       |  | |   |     |        +-- Luhn check digit over the 19 digits before it
       |  | |   |     +----------- 8 digits of SHA-256 of the shipment reference
       |  | |   +----------------- label date, days since 2000-01-01 (UTC)
       |  | +--------------------- billable kilograms
       |  +----------------------- distance zone (0-9)
       +-------------------------- service number from the rate card

The same reference, service, zone, weight and day always give the same number, so a
label bought again after a timeout is the same label.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import date, timedelta

PREFIX = "TR"
EPOCH = date(2000, 1, 1)
_DIGITS = 20
_MAX_DAY = 99_999


class InvalidTrackingNumber(ValueError):
    """The string is not a table-rate tracking number; the message says which part is wrong."""


@dataclass(frozen=True, slots=True)
class TrackingFacts:
    service_number: int
    zone: int
    billable_kg: int
    label_date: date
    reference_digest: int


def reference_digest(reference: str) -> int:
    """Eight decimal digits that stand for the shipment reference."""
    return int.from_bytes(hashlib.sha256(reference.encode("utf-8")).digest()[:8], "big") % 10**8


def luhn_check_digit(payload: str) -> int:
    """The digit that makes ``payload + digit`` pass the Luhn test.

    Luhn catches every single-digit typo and most swaps of neighbouring digits, the two
    mistakes people make when they read a number out over the phone.
    """
    total = 0
    for position, char in enumerate(reversed(payload)):
        digit = int(char)
        # The check digit goes on the right: double the payload's last digit, then every other.
        if position % 2 == 0:
            digit *= 2
            if digit > 9:
                digit -= 9
        total += digit
    return (10 - total % 10) % 10


def encode(facts: TrackingFacts) -> str:
    day = (facts.label_date - EPOCH).days
    if not 1 <= facts.service_number <= 99:
        raise ValueError(f"service number must be 1-99, got {facts.service_number}")
    if not 0 <= facts.zone <= 9:
        raise ValueError(f"zone must be 0-9, got {facts.zone}")
    if not 1 <= facts.billable_kg <= 999:
        raise ValueError(f"billable weight must be 1-999 kg, got {facts.billable_kg}")
    if not 0 <= day <= _MAX_DAY:
        raise ValueError(f"label date {facts.label_date} is outside the encodable range")
    payload = (
        f"{facts.service_number:02d}{facts.zone:01d}{facts.billable_kg:03d}"
        f"{day:05d}{facts.reference_digest % 10**8:08d}"
    )
    return f"{PREFIX}{payload}{luhn_check_digit(payload)}"


def decode(tracking_number: str) -> TrackingFacts:
    """The facts in a tracking number; ``InvalidTrackingNumber`` if it is not one of ours."""
    number = tracking_number.strip().upper()
    if not number.startswith(PREFIX):
        raise InvalidTrackingNumber(f"must start with {PREFIX}")
    digits = number[len(PREFIX) :]
    if len(digits) != _DIGITS or not digits.isascii() or not digits.isdigit():
        raise InvalidTrackingNumber(f"must be {PREFIX} followed by {_DIGITS} digits")
    payload, check = digits[:-1], int(digits[-1])
    if luhn_check_digit(payload) != check:
        raise InvalidTrackingNumber("check digit does not match; the number was probably mistyped")
    facts = TrackingFacts(
        service_number=int(payload[0:2]),
        zone=int(payload[2]),
        billable_kg=int(payload[3:6]),
        label_date=EPOCH + timedelta(days=int(payload[6:11])),
        reference_digest=int(payload[11:19]),
    )
    if facts.service_number == 0 or facts.billable_kg == 0:
        raise InvalidTrackingNumber("service number and weight cannot be zero")
    return facts
