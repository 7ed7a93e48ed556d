"""The table-rate carrier's rate card: a domain ``RateTable`` plus a number per service.

The numbers go into tracking numbers (like the two-digit service code of a UPS ``1Z``
number), so they must stay stable when services are added to a rates file; that is why
they are declared rather than derived from the order of services.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from itertools import pairwise
from pathlib import Path
from typing import Any, NoReturn

from omnigraph.domain.rating import RateTable, ServiceTariff, us_ground_and_express

# Tracking numbers keep the zone in one digit and the billable weight in three.
MAX_ZONES = 10
MAX_WEIGHT_GRAMS = 999_000
MAX_SERVICE_NUMBER = 99
# Shipment.service is a 40-character column; codes are also shown on labels.
_SERVICE_CODE = re.compile(r"^[A-Z][A-Z0-9_]{0,39}$")
_CURRENCY = re.compile(r"^[A-Z]{3}$")

DEFAULT_SERVICE_NUMBERS: Mapping[str, int] = {"EXPRESS": 1, "GROUND": 3, "LOCAL_COURIER": 5}


class RateCardError(ValueError):
    """A rates file that cannot be used; the message names the file and the bad field."""


@dataclass(frozen=True, slots=True)
class RateCard:
    table: RateTable
    service_numbers: Mapping[str, int]

    def __post_init__(self) -> None:
        if set(self.service_numbers) != set(self.table.services):
            raise RateCardError("every service needs exactly one service number")
        if len(set(self.service_numbers.values())) != len(self.service_numbers):
            raise RateCardError("service numbers must be unique")

    def service_for_number(self, number: int) -> str | None:
        for code, value in self.service_numbers.items():
            if value == number:
                return code
        return None


def default_rate_card(currency: str = "USD") -> RateCard:
    """The domain's US ground/express table with the plugin's fixed service numbers."""
    return RateCard(us_ground_and_express(currency), dict(DEFAULT_SERVICE_NUMBERS))


def load_rate_card(path: str | Path) -> RateCard:
    """Read and validate a JSON rates file (format in the plugin's README)."""
    source = Path(path)
    try:
        text = source.read_text(encoding="utf-8")
    except OSError as exc:
        raise RateCardError(f"{source}: cannot read the rates file: {exc.strerror or exc}") from exc
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise RateCardError(f"{source}: not valid JSON: {exc.msg} (line {exc.lineno})") from exc
    return parse_rate_card(data, source=str(source))


def parse_rate_card(data: Any, *, source: str = "rates") -> RateCard:
    """Turn decoded JSON into a ``RateCard``, naming the first bad field in the error."""
    reader = _Reader(source)
    top = reader.mapping(
        data, "", required={"currency", "zone_limits_km", "services"}, optional={"max_weight_grams"}
    )
    currency = top["currency"]
    if not isinstance(currency, str) or not _CURRENCY.match(currency):
        reader.fail(
            "currency", f"expected a three-letter upper-case ISO 4217 code, got {currency!r}"
        )
    limits = reader.numbers(top["zone_limits_km"], "zone_limits_km", positive=True)
    if not 1 <= len(limits) <= MAX_ZONES:
        reader.fail("zone_limits_km", f"expected 1 to {MAX_ZONES} zones, got {len(limits)}")
    if any(b <= a for a, b in pairwise(limits)):
        reader.fail("zone_limits_km", "zone limits must be strictly ascending")
    max_weight = top.get("max_weight_grams", 68_000)
    if not _is_int(max_weight) or not 1 <= max_weight <= MAX_WEIGHT_GRAMS:
        reader.fail(
            "max_weight_grams",
            f"expected a whole number from 1 to {MAX_WEIGHT_GRAMS}, got {max_weight!r}",
        )
    services_raw = top["services"]
    if not isinstance(services_raw, list) or not services_raw:
        reader.fail("services", "expected a non-empty list of services")
    tariffs: dict[str, ServiceTariff] = {}
    numbers: dict[str, int] = {}
    for index, raw in enumerate(services_raw):
        tariff, number = _service(reader, raw, f"services[{index}]", len(limits))
        if tariff.code in tariffs:
            reader.fail(f"services[{index}].code", f"service {tariff.code} is listed twice")
        if number in numbers.values():
            reader.fail(f"services[{index}].number", f"service number {number} is used twice")
        tariffs[tariff.code] = tariff
        numbers[tariff.code] = number
    table = RateTable(
        currency=currency,
        zone_limits_km=tuple(limits),
        services=tariffs,
        max_weight_grams=max_weight,
    )
    return RateCard(table, numbers)


def _service(reader: _Reader, raw: Any, where: str, zones: int) -> tuple[ServiceTariff, int]:
    entry = reader.mapping(
        raw,
        where,
        required={"code", "number", "base_minor", "per_kg_minor", "transit_days"},
        optional={"max_distance_km"},
    )
    code = entry["code"]
    if not isinstance(code, str) or not _SERVICE_CODE.match(code):
        reader.fail(
            f"{where}.code", f"expected upper-case letters, digits and _ (at most 40), got {code!r}"
        )
    number = entry["number"]
    if not _is_int(number) or not 1 <= number <= MAX_SERVICE_NUMBER:
        reader.fail(
            f"{where}.number",
            f"expected a whole number from 1 to {MAX_SERVICE_NUMBER}, got {number!r}",
        )
    columns = {
        name: reader.per_zone(entry[name], f"{where}.{name}", zones)
        for name in ("base_minor", "per_kg_minor", "transit_days")
    }
    max_distance = entry.get("max_distance_km")
    if max_distance is not None and (not _is_number(max_distance) or max_distance <= 0):
        reader.fail(
            f"{where}.max_distance_km", f"expected a positive number or null, got {max_distance!r}"
        )
    tariff = ServiceTariff(
        code,
        base_minor=columns["base_minor"],
        per_kg_minor=columns["per_kg_minor"],
        transit_days=columns["transit_days"],
        max_distance_km=float(max_distance) if max_distance is not None else None,
    )
    return tariff, number


def _is_int(value: Any) -> bool:
    # JSON true/false decode to bool, which Python also counts as int.
    return isinstance(value, int) and not isinstance(value, bool)


def _is_number(value: Any) -> bool:
    return _is_int(value) or isinstance(value, float)


class _Reader:
    """Validation helpers that raise ``RateCardError`` naming the file and the field."""

    def __init__(self, source: str) -> None:
        self.source = source

    def fail(self, where: str, message: str) -> NoReturn:
        field = f" {where}:" if where else ""
        raise RateCardError(f"{self.source}:{field} {message}")

    def mapping(
        self, value: Any, where: str, *, required: set[str], optional: set[str]
    ) -> dict[str, Any]:
        if not isinstance(value, dict):
            self.fail(where, f"expected an object, got {type(value).__name__}")
        missing = sorted(required - set(value))
        if missing:
            self.fail(where, f"missing {', '.join(missing)}")
        # Unknown keys are usually typos ("per_kg" for "per_kg_minor"); refuse them.
        unknown = sorted(set(value) - required - optional)
        if unknown:
            self.fail(where, f"unknown field(s) {', '.join(unknown)}")
        return value

    def numbers(self, value: Any, where: str, *, positive: bool) -> list[float]:
        if not isinstance(value, list) or not all(_is_number(item) for item in value):
            self.fail(where, "expected a list of numbers")
        if positive and any(item <= 0 for item in value):
            self.fail(where, "every value must be greater than zero")
        return [float(item) for item in value]

    def per_zone(self, value: Any, where: str, zones: int) -> Sequence[int]:
        if not isinstance(value, list) or not all(_is_int(item) and item >= 0 for item in value):
            self.fail(where, "expected a list of whole numbers, none negative")
        if len(value) != zones:
            self.fail(where, f"expected one value per zone ({zones}), got {len(value)}")
        return tuple(value)
