"""Engines and sessions for the embedded SQLite database and for PostgreSQL."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any, cast

import asyncpg
from sqlalchemy import event, text
from sqlalchemy.ext.asyncio import (
    AsyncEngine,
    AsyncSession,
    async_sessionmaker,
    create_async_engine,
)
from sqlalchemy.pool import NullPool

from omnigraph.db import json_text
from omnigraph.db.sqlite_writer import SQLiteWriter

# JSON columns are written and read with the project's codec on both databases.
_JSON_TEXT: dict[str, Any] = {
    "json_serializer": json_text.dumps,
    "json_deserializer": json_text.loads,
}
# The hot write paths' own asyncpg pool on PostgreSQL (beside SQLAlchemy's pool).
EXPRESS_POOL_SIZE = 16


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    # WAL lets readers run beside the writer; NORMAL is durable across crashes of the process.
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA busy_timeout=10000")
    cursor.close()


def create_engine(database_url: str, *, echo: bool = False) -> AsyncEngine:
    if database_url.startswith("sqlite"):
        if ":memory:" in database_url:
            raise ValueError(
                "use a file for SQLite: every connection of :memory: is a new database"
            )
        engine = create_async_engine(database_url, echo=echo, **_JSON_TEXT)
        event.listen(engine.sync_engine, "connect", _sqlite_pragmas)
        return engine
    return create_async_engine(
        database_url,
        echo=echo,
        pool_size=10,
        max_overflow=10,
        pool_pre_ping=True,
        **_JSON_TEXT,
    )


def create_migration_engine(database_url: str) -> AsyncEngine:
    """A short-lived engine for Alembic: no pool left behind after the run."""
    engine = create_async_engine(database_url, poolclass=NullPool, **_JSON_TEXT)
    if database_url.startswith("sqlite"):
        event.listen(engine.sync_engine, "connect", _sqlite_pragmas)
    return engine


async def _rollback_if_open(connection: asyncpg.Connection) -> None:
    """What a hot-path connection needs before reuse. asyncpg's default reset is a round trip
    per release (advisory locks, LISTEN, session settings), none of which these paths use."""
    if connection.is_in_transaction():
        await connection.execute("ROLLBACK")


class _OnDemandSession:
    """Stands for an ``AsyncSession`` and opens it at the first attribute asked for."""

    __slots__ = ("_opened", "_sessions")

    def __init__(self, sessions: async_sessionmaker[AsyncSession]) -> None:
        self._sessions = sessions
        self._opened: AsyncSession | None = None

    def __getattr__(self, name: str) -> Any:
        if self._opened is None:
            self._opened = self._sessions()
        return getattr(self._opened, name)

    async def close_if_opened(self) -> None:
        if self._opened is not None:
            await self._opened.close()


class Database:
    """The engine, a session factory, and the write gate for SQLite.

    SQLite allows one writer at a time; rather than let concurrent transactions fail with
    "database is locked", write units of work in this process queue on ``write_gate``.
    PostgreSQL needs no gate: its row locks and conditional updates serialise what matters.
    """

    def __init__(self, engine: AsyncEngine) -> None:
        self.engine = engine
        self.sessions = async_sessionmaker(engine, expire_on_commit=False, autoflush=False)
        self.is_sqlite = engine.dialect.name == "sqlite"
        self.write_gate = asyncio.Lock() if self.is_sqlite else None
        self._writer: SQLiteWriter | None = None
        self._pool: asyncpg.Pool | None = None
        self._pool_lock = asyncio.Lock()

    @classmethod
    def from_url(cls, database_url: str) -> Database:
        return cls(create_engine(database_url))

    @asynccontextmanager
    async def read_session(self) -> AsyncIterator[AsyncSession]:
        async with self.sessions() as session:
            yield session

    @asynccontextmanager
    async def read_session_on_demand(self) -> AsyncIterator[AsyncSession]:
        """A read session opened only when first used, for reads usually answered from
        memory (a promise of a cart the server holds): opening and closing one costs about
        as much as the rest of such a read."""
        on_demand = _OnDemandSession(self.sessions)
        try:
            yield cast(AsyncSession, on_demand)
        finally:
            await on_demand.close_if_opened()

    @property
    def sqlite_writer(self) -> SQLiteWriter:
        """The writer thread of the SQLite hot paths (see ``sqlite_writer``)."""
        if self.write_gate is None:
            raise RuntimeError("the SQLite writer exists on SQLite only")
        if self._writer is None:
            path = self.engine.url.database
            assert path is not None  # create_engine refused :memory: and empty paths
            self._writer = SQLiteWriter(path, self.write_gate)
        return self._writer

    async def asyncpg_pool(self) -> asyncpg.Pool:
        """A plain asyncpg pool for the PostgreSQL hot paths: one statement per call, no
        ORM or pool pre-ping around it."""
        if self.is_sqlite:
            raise RuntimeError("the asyncpg pool exists on PostgreSQL only")
        async with self._pool_lock:
            if self._pool is None:
                dsn = self.engine.url.set(drivername="postgresql").render_as_string(
                    hide_password=False
                )
                self._pool = await asyncpg.create_pool(
                    dsn, min_size=1, max_size=EXPRESS_POOL_SIZE, reset=_rollback_if_open
                )
            return self._pool

    async def ping(self) -> None:
        async with self.engine.connect() as connection:
            await connection.execute(text("SELECT 1"))

    async def dispose(self) -> None:
        if self._writer is not None:
            await self._writer.close()
            self._writer = None
        if self._pool is not None:
            await self._pool.close()
            self._pool = None
        await self.engine.dispose()
