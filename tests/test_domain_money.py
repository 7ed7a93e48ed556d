from __future__ import annotations

from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from omnigraph.api.types.common import Money as ApiMoney
from omnigraph.domain.money import Money, decimal_amount


def test_amount_is_a_decimal_with_the_currency_exponent():
    assert Money(1999, "USD").amount == Decimal("19.99")
    assert Money(1999, "JPY").amount == Decimal("1999")
    assert Money(1999, "KWD").amount == Decimal("1.999")


def test_from_decimal_rounds_half_even_to_minor_units():
    assert Money.from_decimal("10.005", "USD").minor == 1000
    assert Money.from_decimal("10.015", "USD").minor == 1002


def test_currencies_do_not_mix():
    with pytest.raises(ValueError, match="cannot combine"):
        Money(100, "USD") + Money(100, "EUR")


def test_floats_are_refused():
    with pytest.raises(TypeError):
        Money(1.5, "USD")  # type: ignore[arg-type]


def test_currency_must_be_iso_shaped():
    with pytest.raises(ValueError):
        Money(100, "usd")


@given(st.integers(-(10**9), 10**9), st.integers(-(10**9), 10**9))
def test_addition_and_subtraction_are_exact(a, b):
    assert (Money(a, "USD") + Money(b, "USD")).minor == a + b
    assert (Money(a, "USD") - Money(b, "USD")).minor == a - b
    assert Money.from_decimal(Money(a, "USD").amount, "USD") == Money(a, "USD")


@given(st.integers(-(10**20), 10**20), st.sampled_from(["USD", "JPY", "KWD", "EUR"]))
def test_text_is_the_amount_and_the_currency(minor, currency):
    money = Money(minor, currency)
    assert str(money) == f"{money.amount} {currency}"


def test_booleans_are_refused_and_the_currency_checked_every_time():
    with pytest.raises(TypeError):
        Money(True, "USD")
    Money(1, "USD")
    with pytest.raises(ValueError):
        Money(1, "US")
    with pytest.raises(ValueError):
        Money(1, "usd")  # after a valid code was seen


@given(st.integers(-(10**20), 10**20), st.sampled_from(["USD", "JPY", "KWD", "EUR"]))
def test_an_amount_without_a_money_is_the_moneys_amount(minor, currency):
    amount = decimal_amount(minor, currency)
    assert amount == Money(minor, currency).amount
    assert str(amount) == str(Money(minor, currency).amount)  # the same exponent too
    assert ApiMoney.minor(minor, currency) == ApiMoney.of(Money(minor, currency))


def test_an_amount_without_a_money_checks_like_one():
    with pytest.raises(TypeError):
        decimal_amount(1.5, "USD")  # type: ignore[arg-type]
    with pytest.raises(TypeError):
        decimal_amount(True, "USD")
    with pytest.raises(ValueError):
        decimal_amount(1, "usd")
