"""The inventory rules file: parsed from a TOML document into rule specifications.

    [[safety_stock]]            # SKU at a location
    location = "ST-0001"
    sku = "FTW-00042"
    quantity = 3

    [[safety_stock]]            # a category at a location, for the holiday season
    location = "ST-0001"
    category = "Footwear"
    quantity = 2
    starts_on = 2026-11-20
    ends_on = 2026-12-31

    [[safety_stock]]            # every store
    location_type = "STORE"
    quantity = 1

    [[channel_exposure]]        # marketplaces see half of electronics, at most 20 units
    channel = "MARKETPLACE"
    category = "Electronics"
    percent = 50
    cap = 20

    [[protected_stock]]         # five units kept for priority and B2B customers
    sku = "ELC-00002"
    quantity = 5
    tiers = ["PRIORITY", "B2B"]

Specifications name things by code (location code, SKU, channel code); the service resolves
them. Every problem is reported with its path, e.g. ``safety_stock.2.quantity``.
"""

from __future__ import annotations

import datetime
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from omnigraph.domain.errors import DomainError, ErrorCode, Problem
from omnigraph.domain.stock_rules import CustomerTier, Season, safety_stock_problems
from omnigraph.domain.vocabulary import LocationType

SECTIONS = ("safety_stock", "channel_exposure", "protected_stock")


@dataclass(frozen=True, slots=True)
class SafetyStockSpec:
    quantity: int
    location: str | None = None
    sku: str | None = None
    category: str | None = None
    location_type: str | None = None
    season: Season = field(default_factory=Season)


@dataclass(frozen=True, slots=True)
class ExposureSpec:
    channel: str
    percent: int | None = None
    cap: int | None = None
    sku: str | None = None
    category: str | None = None


@dataclass(frozen=True, slots=True)
class ProtectedSpec:
    quantity: int
    tiers: frozenset[CustomerTier]
    sku: str | None = None
    category: str | None = None


@dataclass(frozen=True, slots=True)
class RulesDocument:
    safety_stock: tuple[SafetyStockSpec, ...] = ()
    channel_exposure: tuple[ExposureSpec, ...] = ()
    protected_stock: tuple[ProtectedSpec, ...] = ()


class _Reader:
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


def _safety_stock(
    table: Mapping[str, Any], path: tuple[str, ...], problems: list[Problem]
) -> SafetyStockSpec | None:
    read = _Reader(
        table,
        path,
        {"location", "sku", "category", "location_type", "quantity", "starts_on", "ends_on"},
        problems,
    )
    before = len(problems)
    quantity = read.whole("quantity", required=True)
    location, sku, category = read.text("location"), read.text("sku"), read.text("category")
    location_type = read.text("location_type")
    if location_type is not None and location_type not in LocationType.__members__:
        problems.append(
            Problem(
                (*path, "location_type"),
                ErrorCode.INVALID,
                f"unknown location type {location_type!r}",
            )
        )
    season = Season(read.day("starts_on"), read.day("ends_on"))
    problems.extend(
        safety_stock_problems(
            quantity=None,
            has_location=location is not None,
            has_sku=sku is not None,
            has_category=category is not None,
            has_location_type=location_type is not None,
            season=season,
            path=path,
            names={"locationId": "location", "locationType": "location_type", "endsOn": "ends_on"},
        )
    )
    if len(problems) > before or quantity is None:
        return None
    return SafetyStockSpec(quantity, location, sku, category, location_type, season)


def _exposure(
    table: Mapping[str, Any], path: tuple[str, ...], problems: list[Problem]
) -> ExposureSpec | None:
    read = _Reader(table, path, {"channel", "sku", "category", "percent", "cap"}, problems)
    before = len(problems)
    channel = read.text("channel", required=True)
    percent = read.whole("percent", high=100)
    cap = read.whole("cap")
    sku, category = read.text("sku"), read.text("category")
    if "percent" not in table and "cap" not in table:
        problems.append(
            Problem((*path, "percent"), ErrorCode.REQUIRED, "give a percent, a cap, or both")
        )
    if sku is not None and category is not None:
        problems.append(
            Problem((*path, "category"), ErrorCode.INVALID, "give a SKU or a category, not both")
        )
    if len(problems) > before or channel is None:
        return None
    return ExposureSpec(channel, percent, cap, sku, category)


def _protected(
    table: Mapping[str, Any], path: tuple[str, ...], problems: list[Problem]
) -> ProtectedSpec | None:
    read = _Reader(table, path, {"sku", "category", "quantity", "tiers"}, problems)
    before = len(problems)
    quantity = read.whole("quantity", required=True)
    sku, category = read.text("sku"), read.text("category")
    if (sku is None) == (category is None):
        problems.append(
            Problem((*path, "sku"), ErrorCode.REQUIRED, "give exactly one of sku and category")
        )
    raw_tiers = table.get("tiers")
    tiers: set[CustomerTier] = set()
    if not isinstance(raw_tiers, list) or not raw_tiers:
        problems.append(
            Problem((*path, "tiers"), ErrorCode.REQUIRED, "tiers must list PRIORITY and/or B2B")
        )
    else:
        for tier in raw_tiers:
            if tier not in CustomerTier.__members__:
                problems.append(
                    Problem((*path, "tiers"), ErrorCode.INVALID, f"unknown tier {tier!r}")
                )
            else:
                tiers.add(CustomerTier(tier))
    if len(problems) > before or quantity is None:
        return None
    return ProtectedSpec(quantity, frozenset(tiers), sku, category)


def parse_rules(document: Mapping[str, Any]) -> RulesDocument:
    """Validate a parsed TOML document; raise one DomainError listing every problem."""
    problems: list[Problem] = [
        Problem(
            (key,),
            ErrorCode.INVALID,
            f"unknown section {key!r}; expected one of {', '.join(SECTIONS)}",
        )
        for key in sorted(set(document) - set(SECTIONS))
    ]
    parsed: dict[str, list[Any]] = {section: [] for section in SECTIONS}
    readers = {
        "safety_stock": _safety_stock,
        "channel_exposure": _exposure,
        "protected_stock": _protected,
    }
    for section, read in readers.items():
        entries = document.get(section, [])
        if not isinstance(entries, list) or not all(isinstance(e, dict) for e in entries):
            problems.append(
                Problem(
                    (section,),
                    ErrorCode.INVALID,
                    f"{section} must be an array of tables ([[{section}]])",
                )
            )
            continue
        for index, entry in enumerate(entries):
            spec = read(entry, (section, str(index)), problems)
            if spec is not None:
                parsed[section].append(spec)
    if problems:
        raise DomainError(problems)
    return RulesDocument(
        tuple(parsed["safety_stock"]),
        tuple(parsed["channel_exposure"]),
        tuple(parsed["protected_stock"]),
    )
