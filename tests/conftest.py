"""Fixtures shared by the whole suite.

Every test that touches a database gets a fresh one. The suite runs on SQLite by default
and on PostgreSQL when ``OMNIGRAPH_TEST_POSTGRES_URL`` names a server's maintenance
database (``scripts/test`` starts a throw-away server and sets it).
"""

from __future__ import annotations

import asyncio
import os
import shutil
import uuid
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import asyncpg
import pytest
from sqlalchemy.engine import make_url

from omnigraph import testing
from omnigraph.db.engine import Database, create_migration_engine
from omnigraph.db.models import Base
from omnigraph.plugin_host import build_plugin_manager
from omnigraph.services.core import Services
from omnigraph.settings import Settings
from omnigraph.testing import Harness
from tests.factories import Network, build_network

POSTGRES_URL = os.environ.get("OMNIGRAPH_TEST_POSTGRES_URL")
TEMPLATE_DATABASE = "omnigraph_test_template"


def _asyncpg_dsn(url: str, database: str | None = None) -> str:
    parsed = make_url(url).set(drivername="postgresql")
    if database is not None:
        parsed = parsed.set(database=database)
    return parsed.render_as_string(hide_password=False)


async def _create_schema(url: str) -> None:
    engine = create_migration_engine(url)
    async with engine.begin() as connection:
        await connection.run_sync(Base.metadata.create_all)
    await engine.dispose()


async def _postgres_admin(statement: str) -> None:
    assert POSTGRES_URL is not None
    connection = await asyncpg.connect(_asyncpg_dsn(POSTGRES_URL))
    try:
        await connection.execute(statement)
    finally:
        await connection.close()


@pytest.fixture(scope="session")
def backend() -> str:
    return "postgresql" if POSTGRES_URL else "sqlite"


@pytest.fixture(scope="session")
def schema_template(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A database with the schema, created once and copied for every test."""
    if POSTGRES_URL is None:
        path = tmp_path_factory.mktemp("template") / "template.db"
        asyncio.run(_create_schema(f"sqlite+aiosqlite:///{path}"))
        yield str(path)
        return

    async def build() -> None:
        await _postgres_admin(f'DROP DATABASE IF EXISTS "{TEMPLATE_DATABASE}"')
        await _postgres_admin(f'CREATE DATABASE "{TEMPLATE_DATABASE}"')
        url = (
            make_url(POSTGRES_URL)
            .set(database=TEMPLATE_DATABASE)
            .render_as_string(hide_password=False)
        )
        await _create_schema(url)

    asyncio.run(build())
    yield TEMPLATE_DATABASE
    asyncio.run(_postgres_admin(f'DROP DATABASE IF EXISTS "{TEMPLATE_DATABASE}"'))


async def _fresh_postgres(template: str | None) -> str:
    assert POSTGRES_URL is not None
    name = f"omnigraph_test_{uuid.uuid4().hex[:12]}"
    clause = f' TEMPLATE "{template}"' if template else ""
    await _postgres_admin(f'CREATE DATABASE "{name}"{clause}')
    return name


async def _drop_postgres(name: str) -> None:
    await _postgres_admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture
async def empty_database_url(tmp_path: Path) -> AsyncIterator[str]:
    """A database with no tables at all (for migration tests)."""
    if POSTGRES_URL is None:
        yield f"sqlite+aiosqlite:///{tmp_path / 'empty.db'}"
        return
    name = await _fresh_postgres(None)
    yield make_url(POSTGRES_URL).set(database=name).render_as_string(hide_password=False)
    await _drop_postgres(name)


@pytest.fixture
async def database_url(tmp_path: Path, schema_template: str) -> AsyncIterator[str]:
    """A database with the current schema and no rows."""
    if POSTGRES_URL is None:
        path = tmp_path / "omnigraph.db"
        shutil.copyfile(schema_template, path)
        yield f"sqlite+aiosqlite:///{path}"
        return
    name = await _fresh_postgres(schema_template)
    yield make_url(POSTGRES_URL).set(database=name).render_as_string(hide_password=False)
    await _drop_postgres(name)


@pytest.fixture
def settings(database_url: str) -> Settings:
    # Every promise checks its stock snapshot against the database: a write path that
    # changes stock without an event fails the test that exercises it.
    return Settings(database_url=database_url, stock_snapshot_verify=True)


@pytest.fixture
async def services(settings: Settings) -> AsyncIterator[Services]:
    """The core with the installed plugins, on a fresh empty database."""
    db = Database.from_url(settings.database_url)
    core = Services(settings=settings, db=db, plugins=build_plugin_manager(settings))
    yield core
    await db.dispose()


@pytest.fixture
async def harness(settings: Settings) -> AsyncIterator[Harness]:
    """The real app over ASGI on the fresh database, with the installed plugins."""
    async with testing.harness(settings, migrate=False) as running:
        yield running


@pytest.fixture
async def network(harness: Harness) -> Network:
    return await build_network(harness.services)
