"""The rules file's sourcing sections, and plugins' cost terms through the sourcing hook."""

from __future__ import annotations

import sqlite3
import tomllib
from collections.abc import Sequence
from decimal import Decimal
from pathlib import Path

import pytest
from click.testing import CliRunner

from omnigraph.cli import main
from omnigraph.db.engine import Database
from omnigraph.domain.errors import DomainError
from omnigraph.domain.geo import GeoPoint
from omnigraph.domain.money import Money
from omnigraph.domain.orders import LineRequest
from omnigraph.domain.rules_file import parse_rules
from omnigraph.domain.sourcing import CostContext, CostTerm, PlannedPackage
from omnigraph.domain.vocabulary import DeliveryMethod, LocationType
from omnigraph.hookspecs import hookimpl
from omnigraph.plugin_host import build_plugin_manager
from omnigraph.services.core import Services
from omnigraph.services.promise import PromiseRequest, delivery_promise
from omnigraph.services.reservations import ReservationRequest, reserve_inventory
from omnigraph.services.sourcing import load_rules
from omnigraph.services.sourcing_rules import import_sourcing_rules, sourcing_rule_set
from omnigraph.settings import Settings, project_root
from tests.factories import HOME, Network, build_network
from tests.test_sourcing_wiring import TUESDAY_AFTERNOON

EXAMPLE = project_root() / "docs" / "rules.example.toml"
DOORSTEP_LINES = [LineRequest("TEE-001", 1)]
DOORSTEP = GeoPoint(HOME["latitude"], HOME["longitude"])


def problems(text: str) -> dict[str, str]:
    with pytest.raises(DomainError) as caught:
        parse_rules(tomllib.loads(text))
    return {".".join(p.field): p.code.value for p in caught.value.problems}


def test_the_example_file_parses_its_sourcing_sections() -> None:
    document = parse_rules(tomllib.loads(EXAMPLE.read_text()))
    standard = next(s for s in document.sourcing if s.method is DeliveryMethod.SHIP_STANDARD)
    assert standard.channel is None and standard.max_packages == 2
    assert standard.split_penalty == Decimal("3.00") and standard.min_stock == {"STORE": 3}
    assert [e.location_types for e in document.sourcing_exclusion] == [(LocationType.STORE,)]
    assert document.sourcing_margin is not None
    assert document.sourcing_margin.threshold == Decimal("2.50")


def test_every_sourcing_problem_is_named_by_its_path() -> None:
    found = problems(
        """
        [[sourcing]]
        method = "TELEPORT"
        [[sourcing]]
        method = "PICKUP"
        max_packages = 2
        split_penalty = "lots"
        [[sourcing]]
        method = "SAME_DAY"
        promise_business_days = 2
        min_stock = { SHED = 1 }
        colour = "red"
        [[sourcing]]
        channel = "WEB"
        method = "SHIP_STANDARD"
        [[sourcing]]
        channel = "WEB"
        method = "SHIP_STANDARD"
        [[sourcing_exclusion]]
        channel = "WEB"
        location_types = ["CASTLE"]
        [sourcing_margin]
        prefer = "DC"
        over = "DC"
        """
    )
    assert found == {
        "sourcing.0.method": "INVALID",
        "sourcing.1.split_penalty": "INVALID",
        "sourcing.2.colour": "INVALID",
        "sourcing.2.min_stock": "INVALID",
        "sourcing.2.promise_business_days": "INVALID",
        "sourcing.4.method": "INVALID",
        "sourcing_exclusion.0.location_types": "INVALID",
        "sourcing_margin.threshold": "REQUIRED",
    }
    assert problems('[[sourcing]]\nmethod = "PICKUP"\nmax_packages = 2\n') == {
        "sourcing.0.max_packages": "INVALID"
    }
    assert problems('[sourcing_margin]\nthreshold = "1"\nprefer = "DC"\nover = "DC"\n') == {
        "sourcing_margin.over": "INVALID"
    }


async def test_import_replaces_sourcing_rules_and_refuses_unknown_codes(
    services: Services,
) -> None:
    await build_network(services)
    document = parse_rules(
        tomllib.loads(
            """
            [[sourcing]]
            method = "SHIP_STANDARD"
            max_packages = 2
            split_penalty = 1.25
            [[sourcing]]
            channel = "WEB"
            method = "SHIP_EXPRESS"
            promise_business_days = 2
            [[sourcing_exclusion]]
            channel = "POS"
            locations = ["ST-LOOP"]
            location_types = ["DC"]
            [sourcing_margin]
            threshold = "2.50"
            """
        )
    )
    summary = await import_sourcing_rules(
        services, document.sourcing, document.sourcing_exclusion, document.sourcing_margin
    )
    assert (summary.method_rules, summary.exclusions, summary.margin) == (2, 1, True)
    async with services.db.read_session() as session:
        rules = await load_rules(session, "USD")
    standard = rules.policy_for("POS", DeliveryMethod.SHIP_STANDARD)
    assert standard.max_packages == 2 and standard.split_penalty == Money(125, "USD")
    assert rules.policy_for("WEB", DeliveryMethod.SHIP_EXPRESS).promise_business_days == 2
    assert rules.policy_for("APP", DeliveryMethod.SHIP_EXPRESS).promise_business_days is None
    assert rules.channel("POS").excluded_location_ids == frozenset({2})
    assert rules.channel("POS").excluded_location_types == frozenset({LocationType.DC})
    assert rules.margin is not None and rules.margin.threshold == Money(250, "USD")

    bad = parse_rules(
        tomllib.loads(
            '[[sourcing]]\nchannel = "FAX"\nmethod = "PICKUP"\n'
            '[[sourcing_exclusion]]\nchannel = "WEB"\nlocations = ["ST-NOWHERE"]\n'
        )
    )
    with pytest.raises(DomainError) as refused:
        await import_sourcing_rules(services, bad.sourcing, bad.sourcing_exclusion, None)
    assert {".".join(p.field) for p in refused.value.problems} == {
        "sourcing.0.channel",
        "sourcing_exclusion.0.locations",
    }
    kept = await sourcing_rule_set(services)
    assert len(kept.methods) == 2 and kept.margin is not None  # nothing changed


def test_the_cli_imports_the_example_sourcing_rules(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("OMNIGRAPH_DATABASE_URL", f"sqlite+aiosqlite:///{tmp_path / 'rules.db'}")
    runner = CliRunner()
    assert runner.invoke(main, ["demo-data"]).exit_code == 0
    result = runner.invoke(main, ["rules", "import", str(EXAMPLE)])
    assert result.exit_code == 0, result.output
    assert "3 sourcing rules, 1 sourcing exclusions, a margin rule" in result.output
    unknown = tmp_path / "unknown.toml"
    unknown.write_text('[[sourcing_exclusion]]\nchannel = "FAX"\nlocation_types = ["STORE"]\n')
    refused = runner.invoke(main, ["rules", "import", str(unknown)])
    assert refused.exit_code == 1
    assert "sourcing_exclusion.0.channel: unknown channel 'FAX'" in refused.output
    # The refused file changed nothing: the example's rules are still there.
    with sqlite3.connect(tmp_path / "rules.db") as connection:
        methods = connection.execute("SELECT count(*) FROM sourcing_method_rules").fetchone()
        exclusions = connection.execute("SELECT channel FROM sourcing_exclusions").fetchall()
    assert methods == (3,) and exclusions == [("CALL_CENTER",)]


class StoreSurcharge:
    """A plugin cost term: every package from a store costs 10.00 more."""

    name = "store-surcharge"

    def cost(self, package: PlannedPackage, context: CostContext) -> Money:
        minor = 1000 if package.source.location_type is LocationType.STORE else 0
        return Money(minor, context.currency)


async def test_hook_omnigraph_sourcing_rules_cost_terms(settings: Settings) -> None:
    term = StoreSurcharge()

    class Terms:
        @hookimpl
        def omnigraph_sourcing_rules(self, settings: Settings) -> Sequence[CostTerm]:
            return [term]

    db = Database.from_url(settings.database_url)
    try:
        plain = Services(settings=settings, db=db, plugins=build_plugin_manager(settings))
        plain.clock = lambda: TUESDAY_AFTERNOON
        network: Network = await build_network(plain)
        request = PromiseRequest(
            DOORSTEP_LINES, [DeliveryMethod.SHIP_STANDARD], destination=DOORSTEP
        )
        [unruled] = (await delivery_promise(plain, request)).options
        assert unruled.plan.location_ids == (network.loop,)

        services = Services(
            settings=settings,
            db=db,
            plugins=build_plugin_manager(settings, extra=[("surcharge", Terms())]),
        )
        services.clock = lambda: TUESDAY_AFTERNOON
        [ruled] = (await delivery_promise(services, request)).options
        assert ruled.plan.location_ids == (network.dc,)
        explanation = ruled.decision.explanation
        assert explanation.runner_up is not None
        [store_package] = explanation.runner_up.cost.packages
        assert store_package.terms == (("store-surcharge", Money(1000, "USD")),)
        [dc_package] = ruled.decision.cost.packages
        assert dc_package.terms == (("store-surcharge", Money(0, "USD")),)

        # A checkout hold applies the filters only; the term is not taken for one.
        assert services.sourcing_rules == [] and services.sourcing_terms == [term]
        held = await reserve_inventory(
            services,
            ReservationRequest("cart-1", DOORSTEP_LINES, destination=DOORSTEP, actor="checkout"),
        )
        assert [(line.sku, line.quantity) for line in held.reservation.lines] == [("TEE-001", 1)]
    finally:
        await db.dispose()
