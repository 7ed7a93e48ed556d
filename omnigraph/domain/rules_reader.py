"""Reading one table of a TOML rules file, collecting problems instead of stopping."""

from __future__ import annotations

import datetime
from collections.abc import Mapping
from decimal import Decimal, InvalidOperation
from typing import Any

from omnigraph.domain.errors import ErrorCode, Problem


class TableReader:
    """Reads one table of the document, collecting problems instead of stopping at the first."""

    def __init__(
        self,
        table: Mapping[str, Any],
        path: tuple[str, ...],
        allowed: set[str],
        problems: list[Problem],
    ) -> None:
        self.table = table
        self.path = path
        self.problems = problems
        for key in sorted(set(table) - allowed):
            problems.append(Problem((*path, key), ErrorCode.INVALID, f"unknown key {key!r}"))

    def text(self, key: str, required: bool = False) -> str | None:
        value = self.table.get(key)
        if value is None:
            if required:
                self.problems.append(
                    Problem((*self.path, key), ErrorCode.REQUIRED, f"{key} is required")
                )
            return None
        if not isinstance(value, str) or not value.strip():
            self.problems.append(
                Problem((*self.path, key), ErrorCode.INVALID, f"{key} must be a non-empty string")
            )
            return None
        return value.strip()

    def whole(
        self, key: str, required: bool = False, low: int = 0, high: int | None = None
    ) -> int | None:
        value = self.table.get(key)
        if value is None:
            if required:
                self.problems.append(
                    Problem((*self.path, key), ErrorCode.REQUIRED, f"{key} is required")
                )
            return None
        if (
            isinstance(value, bool)
            or not isinstance(value, int)
            or value < low
            or (high is not None and value > high)
        ):
            bounds = f"between {low} and {high}" if high is not None else f"at least {low}"
            self.problems.append(
                Problem(
                    (*self.path, key), ErrorCode.INVALID, f"{key} must be a whole number {bounds}"
                )
            )
            return None
        return value

    def day(self, key: str) -> datetime.date | None:
        value = self.table.get(key)
        if value is None:
            return None
        if isinstance(value, datetime.date) and not isinstance(value, datetime.datetime):
            return value
        if isinstance(value, str):
            try:
                return datetime.date.fromisoformat(value)
            except ValueError:
                pass
        self.problems.append(
            Problem((*self.path, key), ErrorCode.INVALID, f"{key} must be a date (YYYY-MM-DD)")
        )
        return None


def read_amount(
    table: Mapping[str, Any], key: str, path: tuple[str, ...], problems: list[Problem]
) -> Decimal | None:
    """A money amount written as a string ("2.50") or a number (2.5)."""
    value = table.get(key)
    if value is None:
        return None
    if not isinstance(value, bool) and isinstance(value, str | int | float):
        try:
            amount = Decimal(str(value).strip())
        except InvalidOperation:
            amount = None
        if amount is not None and amount.is_finite():
            return amount
    problems.append(
        Problem((*path, key), ErrorCode.INVALID, f'{key} must be an amount such as "2.50"')
    )
    return None
