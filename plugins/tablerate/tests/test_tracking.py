"""Tracking numbers: they carry their facts and catch the typos people make."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from plugins.tablerate.tracking import (
    EPOCH,
    InvalidTrackingNumber,
    TrackingFacts,
    decode,
    encode,
    luhn_check_digit,
    reference_digest,
)

facts_strategy = st.builds(
    TrackingFacts,
    service_number=st.integers(1, 99),
    zone=st.integers(0, 9),
    billable_kg=st.integers(1, 999),
    label_date=st.integers(0, 99_999).map(lambda days: EPOCH + timedelta(days=days)),
    reference_digest=st.integers(0, 10**8 - 1),
)


def test_luhn_matches_the_published_example() -> None:
    # The worked example from ISO/IEC 7812-1: 7992739871 gets check digit 3.
    assert luhn_check_digit("7992739871") == 3


@given(facts_strategy)
def test_a_number_decodes_to_the_facts_it_was_made_from(facts: TrackingFacts) -> None:
    assert decode(encode(facts)) == facts


@given(facts_strategy, st.integers(2, 21), st.integers(1, 9))
def test_every_single_digit_typo_is_caught(facts: TrackingFacts, position: int, shift: int) -> None:
    number = encode(facts)
    digit = (int(number[position]) + shift) % 10
    typo = number[:position] + str(digit) + number[position + 1 :]
    with pytest.raises(InvalidTrackingNumber):
        decode(typo)


def test_lower_case_and_spaces_around_are_accepted() -> None:
    number = encode(TrackingFacts(3, 2, 5, date(2025, 3, 14), 1234))
    assert decode(f"  {number.lower()} ") == decode(number)


def test_the_format_is_stable() -> None:
    # A compatibility pin: labels already printed must keep meaning the same thing, so a
    # change to the layout or the digest has to be a deliberate, visible one.
    facts = TrackingFacts(3, 3, 5, date(2025, 3, 14), reference_digest("SHP-1001"))
    assert encode(facts) == "TR03300509204889983909"
    assert reference_digest("SHP-1002") != reference_digest("SHP-1001")


@pytest.mark.parametrize(
    ("number", "reason"),
    [
        ("XX12345678901234567890", "must start with TR"),
        ("TR123", "followed by 20 digits"),
        # Full-width digits pass str.isdigit(); they are not what a scanner prints.
        ("TR" + "\uff11" * 20, "followed by 20 digits"),
        ("TR" + "0" * 20, "cannot be zero"),
    ],
)
def test_malformed_numbers_say_what_is_wrong(number: str, reason: str) -> None:
    with pytest.raises(InvalidTrackingNumber, match=reason):
        decode(number)


def test_encode_refuses_facts_that_do_not_fit() -> None:
    with pytest.raises(ValueError, match="zone"):
        encode(TrackingFacts(3, 10, 1, date(2025, 1, 1), 0))
    with pytest.raises(ValueError, match="weight"):
        encode(TrackingFacts(3, 1, 1000, date(2025, 1, 1), 0))
