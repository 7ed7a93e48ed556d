"""Run the Alembic migrations from Python: the CLI and the app's startup use this.

``migrations/env.py`` drives the async engine with ``asyncio.run``, which cannot be called
from a running event loop, so every Alembic command here runs in a worker thread. Run one
command at a time per process: Alembic's ``op`` and ``context`` proxies are process-wide.
"""

from __future__ import annotations

import asyncio
from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy.engine import Connection, make_url

from omnigraph.db.engine import create_migration_engine
from omnigraph.settings import project_root


def alembic_config(database_url: str) -> Config:
    """The project's Alembic configuration, aimed at ``database_url``.

    The URL travels in ``config.attributes`` rather than as ``sqlalchemy.url``, which goes
    through ConfigParser interpolation and would break on a ``%`` in a password.
    """
    config = _project_config()
    config.attributes["database_url"] = database_url
    # The host application owns logging; alembic.ini's logging is for the bare CLI.
    config.attributes["configure_logging"] = False
    return config


def _project_config() -> Config:
    root = project_root()
    config = Config(str(root / "alembic.ini"))
    # Absolute, so the caller's working directory does not matter.
    config.set_main_option("script_location", str(root / "migrations"))
    return config


def _sqlite_file(database_url: str) -> Path | None:
    """The file behind a SQLite URL; ``None`` for other databases, memory and ``uri=true``."""
    url = make_url(database_url)
    if url.get_backend_name() != "sqlite" or "uri" in url.query:
        return None
    if not url.database or url.database == ":memory:":
        return None
    return Path(url.database)


def _ensure_sqlite_directory(database_url: str) -> None:
    path = _sqlite_file(database_url)
    if path is not None:
        path.parent.mkdir(parents=True, exist_ok=True)


async def upgrade(database_url: str, revision: str = "head") -> None:
    """Migrate the database forward to ``revision`` (the newest by default)."""
    _ensure_sqlite_directory(database_url)
    await asyncio.to_thread(command.upgrade, alembic_config(database_url), revision)


async def downgrade(database_url: str, revision: str = "base") -> None:
    """Migrate the database back to ``revision`` (an empty schema by default)."""
    await asyncio.to_thread(command.downgrade, alembic_config(database_url), revision)


def _revision_of(connection: Connection) -> str | None:
    return MigrationContext.configure(connection).get_current_revision()


async def current_revision(database_url: str) -> str | None:
    """The revision the database is at, or ``None`` if it has never been migrated."""
    path = _sqlite_file(database_url)
    if path is not None and not path.exists():
        # Connecting would create an empty file (or fail on a missing directory) just to ask.
        return None
    engine = create_migration_engine(database_url)
    try:
        async with engine.connect() as connection:
            return await connection.run_sync(_revision_of)
    finally:
        await engine.dispose()


def head_revision() -> str | None:
    """The newest revision in ``migrations/versions``."""
    return ScriptDirectory.from_config(_project_config()).get_current_head()


async def is_up_to_date(database_url: str) -> bool:
    """Whether the database is at the newest revision, so the app may start on it."""
    return await current_revision(database_url) == head_revision()
