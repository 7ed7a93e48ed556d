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

    [[sourcing]]                # standard shipping, every channel: 5 business days, 2 boxes
    method = "SHIP_STANDARD"
    promise_business_days = 5
    max_packages = 2
    split_penalty = "3.00"
    min_stock = { STORE = 3 }

    [[sourcing]]                # marketplace orders never split
    channel = "MARKETPLACE"
    method = "SHIP_STANDARD"
    max_packages = 1

    [[sourcing_exclusion]]      # the call centre never sources from stores
    channel = "CALL_CENTER"
    location_types = ["STORE"]

    [sourcing_margin]           # ship from a DC unless a store saves more than 2.50
    threshold = "2.50"
    prefer = "DC"
    over = "STORE"

Specifications name things by code (location code, SKU, channel code); the service resolves
them. Every problem is reported with its path, e.g. ``safety_stock.2.quantity``.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from omnigraph.domain.errors import DomainError, ErrorCode, Problem
from omnigraph.domain.rules_reader import TableReader
from omnigraph.domain.sourcing.file import (
    SourcingExclusionSpec,
    SourcingMarginSpec,
    SourcingSpec,
    duplicates,
    read_sourcing,
    read_sourcing_exclusion,
    read_sourcing_margin,
)
from omnigraph.domain.stock_rules import CustomerTier, Season, safety_stock_problems
from omnigraph.domain.vocabulary import LocationType

SECTIONS = ("safety_stock", "channel_exposure", "protected_stock", "sourcing", "sourcing_exclusion")
# A single table ([sourcing_margin]), not an array of tables.
TABLES = ("sourcing_margin",)


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
    sourcing: tuple[SourcingSpec, ...] = ()
    sourcing_exclusion: tuple[SourcingExclusionSpec, ...] = ()
    sourcing_margin: SourcingMarginSpec | None = None


def _safety_stock(
    table: Mapping[str, Any], path: tuple[str, ...], problems: list[Problem]
) -> SafetyStockSpec | None:
    read = TableReader(
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
    read = TableReader(table, path, {"channel", "sku", "category", "percent", "cap"}, problems)
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
    read = TableReader(table, path, {"sku", "category", "quantity", "tiers"}, problems)
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
    known = (*SECTIONS, *TABLES)
    problems: list[Problem] = [
        Problem(
            (key,),
            ErrorCode.INVALID,
            f"unknown section {key!r}; expected one of {', '.join(known)}",
        )
        for key in sorted(set(document) - set(known))
    ]
    parsed: dict[str, list[Any]] = {section: [] for section in SECTIONS}
    positions: dict[int, int] = {}  # a parsed entry's index in its section of the file
    readers = {
        "safety_stock": _safety_stock,
        "channel_exposure": _exposure,
        "protected_stock": _protected,
        "sourcing": read_sourcing,
        "sourcing_exclusion": read_sourcing_exclusion,
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
                positions[id(spec)] = index
    problems += duplicates(parsed["sourcing"], parsed["sourcing_exclusion"], positions)
    margin = None
    if "sourcing_margin" in document:
        table = document["sourcing_margin"]
        if not isinstance(table, dict):
            problems.append(
                Problem(
                    ("sourcing_margin",),
                    ErrorCode.INVALID,
                    "sourcing_margin must be a table ([sourcing_margin])",
                )
            )
        else:
            margin = read_sourcing_margin(table, ("sourcing_margin",), problems)
    if problems:
        raise DomainError(problems)
    return RulesDocument(
        tuple(parsed["safety_stock"]),
        tuple(parsed["channel_exposure"]),
        tuple(parsed["protected_stock"]),
        tuple(parsed["sourcing"]),
        tuple(parsed["sourcing_exclusion"]),
        margin,
    )
