"""The ``omnigraph`` command: serve, migrate, load demo data, export the schema, list plugins."""

from __future__ import annotations

import asyncio
import logging
import sys
from pathlib import Path
from typing import TYPE_CHECKING

import click

from omnigraph.settings import Settings, SettingsError

if TYPE_CHECKING:
    from omnigraph.domain.rules_file import RulesDocument
    from omnigraph.services.reconciliation import Reconciliation
    from omnigraph.services.simulation import SimulationReport
    from omnigraph.services.sourcing_rules import SourcingImport
    from omnigraph.services.stock_rules import ImportSummary


def _settings(**overrides: object) -> Settings:
    try:
        settings = Settings.from_env()
    except SettingsError as exc:
        raise click.UsageError(str(exc)) from exc
    changes = {key: value for key, value in overrides.items() if value is not None}
    return settings.with_overrides(**changes) if changes else settings


async def _migrate(settings: Settings) -> None:
    from omnigraph.db.migrate import upgrade

    await upgrade(settings.database_url)


async def _load_demo(settings: Settings, stores: int, skus: int, seed: int) -> bool:
    from omnigraph.db.engine import Database
    from omnigraph.demo import NetworkSpec, load_demo
    from omnigraph.plugin_host import build_plugin_manager
    from omnigraph.services.core import Services

    services = Services(
        settings=settings,
        db=Database.from_url(settings.database_url),
        plugins=build_plugin_manager(settings),
    )
    try:
        return await load_demo(services, NetworkSpec(stores=stores, skus=skus, seed=seed))
    finally:
        await services.db.dispose()


@click.group()
@click.version_option(package_name="omnigraph")
def main() -> None:
    """omnigraph: omnichannel order management and fulfilment."""


@main.command()
@click.option("--host", help="Interface to listen on (default OMNIGRAPH_HOST or 127.0.0.1).")
@click.option("--port", type=int, help="Port to listen on (default OMNIGRAPH_PORT or 8000).")
@click.option(
    "--demo-data/--no-demo-data", default=None, help="Load the demo network into an empty database."
)
@click.option(
    "--migrate/--no-migrate", default=None, help="Apply migrations first (default: on for SQLite)."
)
def serve(host: str | None, port: int | None, demo_data: bool | None, migrate: bool | None) -> None:
    """Run the GraphQL server (GraphiQL at /graphql)."""
    import uvicorn

    from omnigraph.app import create_app

    settings = _settings(host=host, port=port, demo_data=demo_data)
    logging.basicConfig(
        level=settings.log_level.upper(), format="%(asctime)s %(levelname)s %(name)s: %(message)s"
    )
    if migrate if migrate is not None else settings.is_sqlite:
        asyncio.run(_migrate(settings))
    if settings.demo_data and asyncio.run(_load_demo(settings, stores=20, skus=200, seed=7)):
        click.echo("Loaded the demo network.")
    click.echo(f"omnigraph on http://{settings.host}:{settings.port}/graphql")
    # The standard asyncio loop: under saturation uvloop's p99 was far worse here.
    uvicorn.run(
        create_app(settings),
        host=settings.host,
        port=settings.port,
        loop="asyncio",
        log_level=settings.log_level,
        lifespan="on",
    )


@main.command()
def migrate() -> None:
    """Apply every pending database migration."""
    settings = _settings()
    asyncio.run(_migrate(settings))
    click.echo("Database is at the latest migration.")


@main.command("demo-data")
@click.option("--stores", default=20, show_default=True, help="How many stores.")
@click.option("--skus", default=200, show_default=True, help="How many SKUs.")
@click.option(
    "--seed",
    default=7,
    show_default=True,
    help="Random seed; the same seed gives the same network.",
)
def demo_data(stores: int, skus: int, seed: int) -> None:
    """Migrate, then load the demo network into an empty database."""
    settings = _settings()
    asyncio.run(_migrate(settings))
    loaded = asyncio.run(_load_demo(settings, stores=stores, skus=skus, seed=seed))
    click.echo(
        "Loaded the demo network." if loaded else "The database already has data; nothing loaded."
    )


@main.command()
@click.option(
    "--output",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Write to a file instead of stdout.",
)
@click.option(
    "--check",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="Fail if this file differs.",
)
def schema(output: Path | None, check: Path | None) -> None:
    """Print the GraphQL schema (SDL) exported from the code."""
    from omnigraph.api.schema import export_sdl

    sdl = export_sdl()
    if check is not None:
        if check.read_text() != sdl:
            click.echo(f"{check} is stale; run: omnigraph schema --output {check}", err=True)
            sys.exit(1)
        click.echo(f"{check} matches the code.")
        return
    if output is not None:
        output.write_text(sdl)
        click.echo(f"Wrote {output}.")
        return
    click.echo(sdl, nl=False)


@main.command()
def plugins() -> None:
    """List the enabled plugins and the hooks each implements."""
    from omnigraph.plugin_host import build_plugin_manager, describe_plugins

    infos = describe_plugins(build_plugin_manager(_settings()))
    if not infos:
        click.echo("No plugins enabled.")
    for info in infos:
        version = f" {info.version}" if info.version else ""
        click.echo(f"{info.name}{version} ({info.module})")
        for hook in info.hooks:
            click.echo(f"  - {hook}")


async def _reconcile(
    settings: Settings, location: str | None, skus: tuple[str, ...]
) -> Reconciliation:
    from omnigraph.db.engine import Database
    from omnigraph.plugin_host import build_plugin_manager
    from omnigraph.services.core import Services
    from omnigraph.services.reconciliation import ReconciliationFilter, reconcile_inventory

    services = Services(
        settings=settings,
        db=Database.from_url(settings.database_url),
        plugins=build_plugin_manager(settings),
    )
    try:
        return await reconcile_inventory(
            services, ReconciliationFilter(location_code=location, skus=skus)
        )
    finally:
        await services.db.dispose()


@main.command()
@click.option("--location", help="Only this location (its code, e.g. DC-COLUMBUS).")
@click.option("--sku", "skus", multiple=True, help="Only this SKU; repeat for several.")
def reconcile(location: str | None, skus: tuple[str, ...]) -> None:
    """Recompute inventory levels from the ledger; exit 1 when any level drifted."""
    from omnigraph.domain.errors import DomainError

    try:
        report = asyncio.run(_reconcile(_settings(), location, skus))
    except DomainError as exc:
        raise click.UsageError(str(exc)) from exc
    for drift in report.drifts:
        click.echo(
            f"{report.location_codes[drift.location_id]}\t{report.skus[drift.product_id]}"
            f"\t{drift.bucket.value}\trecorded {drift.recorded}\tledger {drift.from_ledger}"
        )
    if report.drifts:
        click.echo(f"Checked {report.checked_levels} levels: {len(report.drifts)} drifted.")
        sys.exit(1)
    click.echo(f"Checked {report.checked_levels} levels: no drift.")


@main.group()
def rules() -> None:
    """Rules: safety stock, channel exposure, protected stock and sourcing."""


def _read_rules(path: Path) -> RulesDocument:
    import tomllib

    from omnigraph.domain.errors import DomainError
    from omnigraph.domain.rules_file import parse_rules

    try:
        return parse_rules(tomllib.loads(path.read_text()))
    except tomllib.TOMLDecodeError as exc:
        raise click.ClickException(f"{path}: not valid TOML: {exc}") from exc
    except DomainError as exc:
        lines = "\n".join(f"  {'.'.join(p.field)}: {p.message}" for p in exc.problems)
        raise click.ClickException(f"{path} has {len(exc.problems)} problem(s):\n{lines}") from exc


@rules.command("check")
@click.argument("path", type=click.Path(exists=True, dir_okay=False, path_type=Path))
def rules_check(path: Path) -> None:
    """Validate a rules file without touching the database."""
    document = _read_rules(path)
    click.echo(
        f"{path} is valid: {len(document.safety_stock)} safety stock, "
        f"{len(document.channel_exposure)} channel exposure, "
        f"{len(document.protected_stock)} protected stock rules; "
        f"{len(document.sourcing)} sourcing rules, "
        f"{len(document.sourcing_exclusion)} sourcing exclusions, "
        f"{'a' if document.sourcing_margin else 'no'} margin rule."
    )


async def _import_rules(
    settings: Settings, document: RulesDocument
) -> tuple[ImportSummary, SourcingImport]:
    from omnigraph.db.engine import Database
    from omnigraph.plugin_host import build_plugin_manager
    from omnigraph.services.core import Services
    from omnigraph.services.sourcing_rules import check_import_codes, import_sourcing_rules
    from omnigraph.services.stock_rules import import_rules

    services = Services(
        settings=settings,
        db=Database.from_url(settings.database_url),
        plugins=build_plugin_manager(settings),
    )
    try:
        # Sourcing codes are checked first so a bad one stops the import before anything
        # is written; each part then replaces its rules in its own transaction.
        await check_import_codes(services, document.sourcing, document.sourcing_exclusion)
        summary = await import_rules(services, document)
        sourcing = await import_sourcing_rules(
            services, document.sourcing, document.sourcing_exclusion, document.sourcing_margin
        )
        return summary, sourcing
    finally:
        await services.db.dispose()


@rules.command("import")
@click.argument("path", type=click.Path(exists=True, dir_okay=False, path_type=Path))
def rules_import(path: Path) -> None:
    """Replace every inventory and sourcing rule with the file's; re-evaluate safety stock."""
    from omnigraph.domain.errors import DomainError

    document = _read_rules(path)
    try:
        summary, sourcing = asyncio.run(_import_rules(_settings(), document))
    except DomainError as exc:
        lines = "\n".join(f"  {'.'.join(p.field)}: {p.message}" for p in exc.problems)
        raise click.ClickException(f"{path} was not imported:\n{lines}") from exc
    click.echo(
        f"Imported {summary.safety_stock_rules} safety stock, {summary.exposure_rules} channel "
        f"exposure and {summary.protected_rules} protected stock rules; "
        f"{summary.levels_changed} levels changed; {sourcing.method_rules} sourcing rules, "
        f"{sourcing.exclusions} sourcing exclusions, "
        f"{'a' if sourcing.margin else 'no'} margin rule."
    )


async def _simulate(
    settings: Settings,
    rules_text: str,
    order_numbers: tuple[str, ...],
    sample: int,
    seed: int,
) -> SimulationReport:
    from rich.progress import Progress

    from omnigraph.db.engine import Database
    from omnigraph.domain.errors import DomainError, ErrorCode
    from omnigraph.domain.orders import order_id_from_number
    from omnigraph.plugin_host import build_plugin_manager
    from omnigraph.services.core import Services
    from omnigraph.services.simulation import SimulationRequest, parse_alternative, simulate

    ids = []
    for number in order_numbers:
        order_id = order_id_from_number(number)
        if order_id is None:
            raise DomainError.single(("order",), ErrorCode.INVALID, f"not an order: {number}")
        ids.append(order_id)
    request = SimulationRequest(
        alternative=parse_alternative(rules_text),
        order_ids=ids,
        sample_size=None if ids else sample,
        seed=seed,
        max_orders=None,
    )
    services = Services(
        settings=settings,
        db=Database.from_url(settings.database_url),
        plugins=build_plugin_manager(settings),
    )
    try:
        with Progress(transient=True) as bar:
            task = bar.add_task("Replaying orders", total=None)
            return await simulate(
                services,
                request,
                on_total=lambda total: bar.update(task, total=total),
                progress=lambda done: bar.advance(task, done),
            )
    finally:
        await services.db.dispose()


@main.command()
@click.option(
    "--rules",
    "rules_path",
    required=True,
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="The alternative rules: a rules file's sourcing sections.",
)
@click.option("--order", "orders", multiple=True, help="Replay this order (OG100042); repeat.")
@click.option("--sample", default=500, show_default=True, help="Generated carts, without --order.")
@click.option("--seed", default=7, show_default=True, help="The same seed draws the same sample.")
@click.option(
    "--chart",
    type=click.Path(dir_okay=False, path_type=Path),
    default=Path("simulation.html"),
    show_default=True,
    help="Where to write the comparison chart (self-contained HTML with SVG).",
)
def simulate(
    rules_path: Path, orders: tuple[str, ...], sample: int, seed: int, chart: Path
) -> None:
    """Replay orders against the current and an alternative sourcing rule set; change nothing."""
    from omnigraph.domain.errors import DomainError
    from omnigraph.simulation_chart import METRICS, comparison_html

    try:
        report = asyncio.run(_simulate(_settings(), rules_path.read_text(), orders, sample, seed))
    except DomainError as exc:
        lines = "\n".join(f"  {'.'.join(p.field)}: {p.message}" for p in exc.problems)
        raise click.ClickException(f"cannot simulate:\n{lines}") from exc
    current, alternative = report.current, report.alternative
    click.echo(f"{'':24}{'current':>18}{'alternative':>18}")
    for metric in METRICS:
        click.echo(f"{metric.title:24}{metric.text(current):>18}{metric.text(alternative):>18}")
    click.echo(f"CO2 estimate: {report.co2_grams_per_kg_km} g per kg-km (see README).")
    title = f"Sourcing simulation: current rules vs {rules_path.name}"
    chart.write_text(comparison_html(current, alternative, title))
    click.echo(f"Wrote {chart}.")
