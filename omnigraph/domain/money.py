"""Money as integer minor units with an ISO 4217 currency; never a float."""

from __future__ import annotations

import functools
from dataclasses import dataclass
from decimal import ROUND_HALF_EVEN, Decimal

# Currencies whose minor unit is not 1/100; everything else here uses two decimals.
_EXPONENTS = {"JPY": 0, "KRW": 0, "CLP": 0, "ISK": 0, "BHD": 3, "KWD": 3, "JOD": 3, "TND": 3}


def currency_exponent(currency: str) -> int:
    return _EXPONENTS.get(currency, 2)


@functools.cache
def _quantum(exponent: int) -> Decimal:
    return Decimal(1).scaleb(-exponent)


# Currency codes already checked: an order makes dozens of Money values, all in one or two.
_CHECKED: set[str] = set()


@dataclass(frozen=True, slots=True, order=True)
class Money:
    minor: int
    currency: str

    def __post_init__(self) -> None:
        _check_minor(self.minor)
        if self.currency not in _CHECKED:
            _check_currency(self.currency)

    @classmethod
    def zero(cls, currency: str) -> Money:
        return cls(0, currency)

    @classmethod
    def from_decimal(cls, amount: Decimal | str, currency: str) -> Money:
        exponent = currency_exponent(currency)
        quantum = Decimal(1).scaleb(-exponent)
        value = Decimal(amount).quantize(quantum, rounding=ROUND_HALF_EVEN)
        return cls(int(value.scaleb(exponent)), currency)

    @property
    def amount(self) -> Decimal:
        return decimal_amount(self.minor, self.currency)

    def _same(self, other: Money) -> None:
        if other.currency != self.currency:
            raise ValueError(f"cannot combine {self.currency} with {other.currency}")

    def __add__(self, other: Money) -> Money:
        self._same(other)
        return Money(self.minor + other.minor, self.currency)

    def __sub__(self, other: Money) -> Money:
        self._same(other)
        return Money(self.minor - other.minor, self.currency)

    def times(self, quantity: int) -> Money:
        return Money(self.minor * quantity, self.currency)

    def __str__(self) -> str:
        return money_text(self.minor, self.currency)


def _check_minor(minor: int) -> None:
    if type(minor) is not int and (isinstance(minor, bool) or not isinstance(minor, int)):
        raise TypeError("an amount must be an int of minor units, not a float or a bool")


def _check_currency(currency: str) -> None:
    if len(currency) != 3 or not currency.isalpha() or not currency.isupper():
        raise ValueError(f"currency must be a three-letter ISO 4217 code, got {currency!r}")
    _CHECKED.add(currency)


def decimal_amount(minor: int, currency: str) -> Decimal:
    """``Money(minor, currency).amount`` without making one (an answer shows several
    amounts of every order); the currency is checked as ``Money`` checks it."""
    _check_minor(minor)
    if currency not in _CHECKED:
        _check_currency(currency)
    exponent = currency_exponent(currency)
    return Decimal(minor).scaleb(-exponent).quantize(_quantum(exponent))


def money_text(minor: int, currency: str) -> str:
    """``str(Money(minor, currency))`` without making one: ``amount``'s text, written from
    the integer (no Decimal for a log line or a decision's trace)."""
    exponent = currency_exponent(currency)
    if exponent == 0:
        return f"{minor} {currency}"
    units, fraction = divmod(abs(minor), 10**exponent)
    sign = "-" if minor < 0 else ""
    return f"{sign}{units}.{fraction:0{exponent}d} {currency}"
