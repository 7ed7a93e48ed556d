"""US holidays on which demo locations close, computed from their rules for any year."""

from __future__ import annotations

from datetime import date, timedelta

MONDAY, THURSDAY = 0, 3


def nth_weekday(year: int, month: int, weekday: int, n: int) -> date:
    """The ``n``-th ``weekday`` (0 = Monday) of a month; ``n = -1`` for the last one."""
    if n > 0:
        first = date(year, month, 1)
        return first + timedelta(days=(weekday - first.weekday()) % 7 + 7 * (n - 1))
    following = date(year + (month == 12), month % 12 + 1, 1)
    last = following - timedelta(days=1)
    return last - timedelta(days=(last.weekday() - weekday) % 7)


def easter_sunday(year: int) -> date:
    """Western Easter by the Gregorian computus (the anonymous algorithm of 1876)."""
    a = year % 19
    b, c = divmod(year, 100)
    d, e = divmod(b, 4)
    f = (b + 8) // 25
    g = (b - f + 1) // 3
    h = (19 * a + b - d - g + 15) % 30
    i, k = divmod(c, 4)
    el = (32 + 2 * e + 2 * i - h - k) % 7
    m = (a + 11 * h + 22 * el) // 451
    month, day = divmod(h + el - 7 * m + 114, 31)
    return date(year, month, day + 1)


def observed(day: date) -> date:
    """Where a fixed-date federal holiday is kept: Saturday's on Friday, Sunday's on Monday."""
    if day.weekday() == 5:
        return day - timedelta(days=1)
    if day.weekday() == 6:
        return day + timedelta(days=1)
    return day


def thanksgiving(year: int) -> date:
    return nth_weekday(year, 11, THURSDAY, 4)


def store_holidays(year: int) -> list[date]:
    """Days shops close: Easter Sunday, Thanksgiving and Christmas Day themselves."""
    return [easter_sunday(year), thanksgiving(year), date(year, 12, 25)]


def warehouse_holidays(year: int) -> list[date]:
    """Days a distribution centre closes: the federal holidays carriers do not collect on."""
    return [
        observed(date(year, 1, 1)),
        nth_weekday(year, 5, MONDAY, -1),
        observed(date(year, 7, 4)),
        nth_weekday(year, 9, MONDAY, 1),
        thanksgiving(year),
        observed(date(year, 12, 25)),
    ]


def iso_days(days: list[date]) -> tuple[str, ...]:
    return tuple(day.isoformat() for day in sorted(set(days)))
