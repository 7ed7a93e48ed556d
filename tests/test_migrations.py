"""The Alembic migrations build exactly the models' schema and can be walked both ways."""

from __future__ import annotations

import asyncio
import io
import os
import subprocess
import sys
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, TypeVar

import pytest
import sqlalchemy as sa
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy.engine import Connection

from omnigraph.db import migrate
from omnigraph.db.engine import create_migration_engine
from omnigraph.db.models import (
    Base,
    Channel,
    Customer,
    FulfillmentOrder,
    InventoryMovement,
    Location,
    Notification,
    Order,
    OrderLine,
    Product,
    Shipment,
)
from omnigraph.settings import project_root

T = TypeVar("T")

MODEL_TABLES = frozenset(Base.metadata.tables)
VERSION_TABLE = "alembic_version"
# Fixed, so no test depends on the clock.
WHEN = datetime(2026, 1, 5, 9, 30, tzinfo=UTC)


async def on_connection(database_url: str, fn: Callable[[Connection], T]) -> T:
    """Run a synchronous inspection or comparison on a connection to the database."""
    engine = create_migration_engine(database_url)
    try:
        async with engine.begin() as connection:
            return await connection.run_sync(fn)
    finally:
        await engine.dispose()


def table_names(connection: Connection) -> set[str]:
    return set(sa.inspect(connection).get_table_names())


def revisions_base_to_head() -> list[str]:
    script = ScriptDirectory(str(project_root() / "migrations"))
    return [revision.revision for revision in reversed(list(script.walk_revisions()))]


def schema_snapshot(connection: Connection) -> dict[str, dict[str, Any]]:
    """Everything the database reports about each table, in a comparable shape.

    Broader than autogenerate: it also covers check constraints, foreign key actions,
    constraint names and column order.
    """
    inspector = sa.inspect(connection)
    snapshot: dict[str, dict[str, Any]] = {}
    for table in sorted(inspector.get_table_names()):
        if table == VERSION_TABLE:
            continue
        snapshot[table] = {
            "columns": [
                (c["name"], str(c["type"]), c["nullable"], c["default"])
                for c in inspector.get_columns(table)
            ],
            "primary_key": inspector.get_pk_constraint(table),
            "foreign_keys": sorted(
                (
                    fk["name"],
                    tuple(fk["constrained_columns"]),
                    fk["referred_table"],
                    tuple(fk["referred_columns"]),
                    sorted(fk["options"].items()),
                )
                for fk in inspector.get_foreign_keys(table)
            ),
            "unique_constraints": sorted(
                (uq["name"], tuple(uq["column_names"]))
                for uq in inspector.get_unique_constraints(table)
            ),
            "indexes": sorted(
                (ix["name"], tuple(ix["column_names"]), ix["unique"], _predicate(ix))
                for ix in inspector.get_indexes(table)
            ),
            "check_constraints": sorted(
                (ck["name"], ck["sqltext"]) for ck in inspector.get_check_constraints(table)
            ),
        }
    return snapshot


def _predicate(index: Any) -> str:
    """A partial index's WHERE clause as the database reports it ("" for a full index)."""
    options = index.get("dialect_options") or {}
    where = options.get("sqlite_where", options.get("postgresql_where"))
    return "" if where is None else " ".join(str(where).split())


def model_differences(connection: Connection) -> list[Any]:
    context = MigrationContext.configure(
        connection,
        opts={
            "target_metadata": Base.metadata,
            "compare_type": True,
            "compare_server_default": True,
        },
    )
    return list(compare_metadata(context, Base.metadata))


async def test_upgrade_to_head_creates_every_model_table(empty_database_url: str) -> None:
    await migrate.upgrade(empty_database_url)

    tables = await on_connection(empty_database_url, table_names)
    assert tables == MODEL_TABLES | {VERSION_TABLE}


async def test_downgrade_to_base_removes_every_table_and_upgrade_works_again(
    empty_database_url: str,
) -> None:
    await migrate.upgrade(empty_database_url)
    await migrate.downgrade(empty_database_url)

    assert await on_connection(empty_database_url, table_names) <= {VERSION_TABLE}
    assert await migrate.current_revision(empty_database_url) is None

    await migrate.upgrade(empty_database_url)
    assert await on_connection(empty_database_url, table_names) == MODEL_TABLES | {VERSION_TABLE}


async def test_every_revision_upgrades_and_downgrades_one_step_at_a_time(
    empty_database_url: str,
) -> None:
    revisions = revisions_base_to_head()
    assert revisions[-1] == migrate.head_revision()
    schema_at: dict[str | None, dict[str, dict[str, Any]]] = {None: {}}

    for previous, revision in zip([None, *revisions], revisions, strict=False):
        await migrate.upgrade(empty_database_url, revision)
        assert await migrate.current_revision(empty_database_url) == revision
        schema = await on_connection(empty_database_url, schema_snapshot)
        # A revision adds tables or columns; it never loses what came before.
        assert set(schema) >= set(schema_at[previous]), f"{revision} dropped a table"
        assert schema != schema_at[previous], f"{revision} changed nothing"
        schema_at[revision] = schema

    for previous, revision in reversed(list(zip([None, *revisions], revisions, strict=False))):
        assert await migrate.current_revision(empty_database_url) == revision
        await migrate.downgrade(empty_database_url, "-1")
        assert await migrate.current_revision(empty_database_url) == previous
        schema = await on_connection(empty_database_url, schema_snapshot)
        assert schema == schema_at[previous], f"downgrade of {revision} left a different schema"


async def test_migrated_schema_has_no_autogenerate_differences_from_models(
    empty_database_url: str,
) -> None:
    await migrate.upgrade(empty_database_url)

    differences = await on_connection(empty_database_url, model_differences)
    assert differences == []


async def test_migrated_schema_is_identical_to_create_all(empty_database_url: str) -> None:
    await migrate.upgrade(empty_database_url)
    migrated = await on_connection(empty_database_url, schema_snapshot)

    await migrate.downgrade(empty_database_url)
    await on_connection(empty_database_url, Base.metadata.create_all)
    created = await on_connection(empty_database_url, schema_snapshot)

    assert set(migrated) == MODEL_TABLES
    for table in sorted(MODEL_TABLES):
        assert migrated[table] == created[table], table


async def test_current_revision_reports_head_after_upgrade(empty_database_url: str) -> None:
    assert await migrate.current_revision(empty_database_url) is None
    assert not await migrate.is_up_to_date(empty_database_url)

    await migrate.upgrade(empty_database_url, revisions_base_to_head()[0])
    assert not await migrate.is_up_to_date(empty_database_url)

    await migrate.upgrade(empty_database_url)
    assert await migrate.current_revision(empty_database_url) == migrate.head_revision()
    assert await migrate.is_up_to_date(empty_database_url)


async def test_upgrade_creates_the_directory_of_a_sqlite_file(tmp_path: Path) -> None:
    database_url = f"sqlite+aiosqlite:///{tmp_path / 'not' / 'yet' / 'omnigraph.db'}"
    assert await migrate.current_revision(database_url) is None
    assert not (tmp_path / "not").exists(), "asking for the revision created the file"

    await migrate.upgrade(database_url)

    assert await migrate.current_revision(database_url) == migrate.head_revision()


async def test_alembic_command_line_upgrades_to_head(empty_database_url: str) -> None:
    env = {**os.environ, "OMNIGRAPH_DATABASE_URL": empty_database_url}
    result = await asyncio.to_thread(
        subprocess.run,
        [sys.executable, "-m", "alembic", "-c", "alembic.ini", "upgrade", "head"],
        cwd=project_root(),
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )

    assert result.returncode == 0, result.stderr
    assert await migrate.current_revision(empty_database_url) == migrate.head_revision()
    assert await on_connection(empty_database_url, table_names) == MODEL_TABLES | {VERSION_TABLE}


async def test_offline_mode_prints_the_ddl_without_touching_the_database(
    empty_database_url: str,
) -> None:
    config = migrate.alembic_config(empty_database_url)
    config.output_buffer = io.StringIO()

    await asyncio.to_thread(command.upgrade, config, "head", sql=True)

    sql = config.output_buffer.getvalue()
    for table in MODEL_TABLES | {VERSION_TABLE}:
        assert f"CREATE TABLE {table} (" in sql
    assert await on_connection(empty_database_url, table_names) == set()


def add_revision(tmp_path: Path, revision: str, upgrade_body: str) -> Path:
    """Put one more revision after head in a scratch directory, for this test only."""
    versions = tmp_path / "extra_versions"
    versions.mkdir(exist_ok=True)
    (versions / f"{revision}.py").write_text(
        "import sqlalchemy as sa\n"
        "from alembic import op\n\n"
        f"revision = {revision!r}\n"
        f"down_revision = {migrate.head_revision()!r}\n"
        "branch_labels = None\n"
        "depends_on = None\n\n\n"
        "def upgrade():\n"
        f"{upgrade_body}\n\n"
        "def downgrade():\n"
        "    pass\n"
    )
    return versions


async def upgrade_with_extra(database_url: str, versions: Path, revision: str) -> None:
    config = migrate.alembic_config(database_url)
    main_versions = project_root() / "migrations" / "versions"
    locations = os.pathsep.join([str(main_versions), str(versions)])
    config.set_main_option("version_locations", locations)
    await asyncio.to_thread(command.upgrade, config, revision)


async def test_failing_revision_leaves_nothing_behind(
    empty_database_url: str, tmp_path: Path
) -> None:
    await migrate.upgrade(empty_database_url)
    versions = add_revision(
        tmp_path,
        "9001_broken",
        '    op.create_table("scratch", sa.Column("id", sa.Integer(), primary_key=True))\n'
        '    raise RuntimeError("this revision fails half-way")\n',
    )

    with pytest.raises(RuntimeError, match="half-way"):
        await upgrade_with_extra(empty_database_url, versions, "9001_broken")

    assert await migrate.current_revision(empty_database_url) == migrate.head_revision()
    assert "scratch" not in await on_connection(empty_database_url, table_names)


def insert_an_order_with_everything_hanging_off_it(connection: Connection) -> None:
    connection.execute(
        sa.insert(Channel).values(
            id=1, code="WEB", name="Web", remorse_minutes=30, allowed_methods=[]
        )
    )
    connection.execute(sa.insert(Customer).values(id=1, email="ada@example.com", created_at=WHEN))
    connection.execute(
        sa.insert(Location).values(
            id=1,
            code="DC1",
            name="DC",
            type="DC",
            address_line1="1 Way",
            city="Leeds",
            postal_code="LS1",
            country="GB",
            latitude=53.8,
            longitude=-1.5,
            timezone="Europe/London",
            opening_hours={},
            holidays=[],
            capabilities=["SHIP"],
            cutoff_time="14:00",
            processing_minutes=60,
            pick_cost_minor=0,
            currency="GBP",
            daily_capacity=100,
        )
    )
    connection.execute(
        sa.insert(Product).values(
            id=1,
            sku="SKU-1",
            name="Kettle",
            category="kitchen",
            weight_grams=900,
            price_minor=2500,
            currency="GBP",
        )
    )
    connection.execute(
        sa.insert(Order).values(
            id=1,
            channel_id=1,
            customer_id=1,
            status="CONFIRMED",
            payment_status="AUTHORIZED",
            delivery_method="SHIP_STANDARD",
            currency="GBP",
            subtotal_minor=2500,
            shipping_minor=0,
            total_minor=2500,
            created_at=WHEN,
            updated_at=WHEN,
        )
    )
    connection.execute(
        sa.insert(OrderLine).values(
            id=1,
            order_id=1,
            line_number=1,
            product_id=1,
            quantity=1,
            quantity_cancelled=0,
            unit_price_minor=2500,
        )
    )
    connection.execute(
        sa.insert(FulfillmentOrder).values(
            id=1,
            order_id=1,
            location_id=1,
            kind="SHIP",
            status="OPEN",
            created_at=WHEN,
            updated_at=WHEN,
        )
    )
    connection.execute(
        sa.insert(Shipment).values(
            id=1,
            order_id=1,
            fulfillment_order_id=1,
            carrier="ups",
            service="ground",
            status="LABEL_CREATED",
            tracking_events=[],
            created_at=WHEN,
            updated_at=WHEN,
        )
    )
    connection.execute(
        sa.insert(InventoryMovement).values(
            id=1,
            location_id=1,
            product_id=1,
            bucket="committed",
            delta=1,
            reason="ORDER",
            source="omnigraph",
            order_id=1,
            created_at=WHEN,
        )
    )
    connection.execute(
        sa.insert(Notification).values(
            id=1,
            order_id=1,
            template="order_confirmed",
            channel="EMAIL",
            recipient="ada@example.com",
            body="Thanks",
            idempotency_key="evt-1:email",
            state="SENT",
            attempts=1,
            created_at=WHEN,
            updated_at=WHEN,
        )
    )


CHILDREN_OF_ORDERS = (
    "order_lines",
    "fulfillment_orders",
    "shipments",
    "inventory_movements",
    "notifications",
)


def rows_hanging_off_order_1(connection: Connection) -> dict[str, int]:
    """How many rows still point at order 1 (through their foreign key)."""
    counts = {}
    for name in CHILDREN_OF_ORDERS:
        table = Base.metadata.tables[name]
        counts[name] = connection.execute(
            sa.select(sa.func.count()).select_from(table).where(table.c.order_id == 1)
        ).scalar_one()
    return counts


async def test_rebuilding_a_parent_table_keeps_its_child_rows(
    empty_database_url: str, tmp_path: Path
) -> None:
    # On SQLite, altering a column type rebuilds the table (batch mode: copy, drop, rename).
    # Dropping the old "orders" must not cascade to, or null the links of, its children.
    await migrate.upgrade(empty_database_url)
    await on_connection(empty_database_url, insert_an_order_with_everything_hanging_off_it)
    before = await on_connection(empty_database_url, rows_hanging_off_order_1)
    assert before == dict.fromkeys(CHILDREN_OF_ORDERS, 1)
    versions = add_revision(
        tmp_path,
        "9002_widen_cancel_reason",
        '    with op.batch_alter_table("orders") as batch:\n'
        '        batch.alter_column("cancel_reason", type_=sa.String(400))\n',
    )

    await upgrade_with_extra(empty_database_url, versions, "9002_widen_cancel_reason")

    columns = await on_connection(empty_database_url, lambda c: sa.inspect(c).get_columns("orders"))
    assert [str(col["type"]) for col in columns if col["name"] == "cancel_reason"] == [
        "VARCHAR(400)"
    ]
    assert await on_connection(empty_database_url, rows_hanging_off_order_1) == before


async def test_revision_that_orphans_rows_is_rolled_back(
    empty_database_url: str, tmp_path: Path
) -> None:
    # PostgreSQL refuses the DELETE itself; SQLite migrates with foreign keys off, so env.py
    # checks them after the revision and fails it there.
    await migrate.upgrade(empty_database_url)
    await on_connection(empty_database_url, insert_an_order_with_everything_hanging_off_it)
    versions = add_revision(
        tmp_path, "9003_delete_customers", '    op.execute("DELETE FROM customers")\n'
    )

    with pytest.raises((RuntimeError, sa.exc.IntegrityError), match="foreign key"):
        await upgrade_with_extra(empty_database_url, versions, "9003_delete_customers")

    assert await migrate.current_revision(empty_database_url) == migrate.head_revision()
    customers = await on_connection(
        empty_database_url,
        lambda c: c.execute(sa.select(sa.func.count()).select_from(Customer)).scalar_one(),
    )
    assert customers == 1
