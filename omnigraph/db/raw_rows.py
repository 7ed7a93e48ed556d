"""Mapped rows written and read through a raw ``sqlite3`` connection (the SQLite writer
thread's).

A hot path that writes from the writer thread still builds its rows as the mapped classes
(``new_row(Order, ...)``, the constructor without an attribute event per value), so they
carry the same column values as rows the ORM flushes, and the caller can answer with
them. ``insert_rows`` turns them into one prepared INSERT per class (a multi-row one for
several rows) with each column converted by its own type's bind processor, as
SQLAlchemy's SQLite dialect converts it: aware times to naive UTC text, JSON to its text.
Columns left unset take their Python-side default, as a flush gives them. ``read_rows``
is the way back: rows selected by a WHERE clause, as mapped instances (not
attached to any session) with each column converted by its result processor.
"""

from __future__ import annotations

import functools
import sqlite3
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, TypeVar

from sqlalchemy import Table
from sqlalchemy.dialects import sqlite as sqlite_dialect
from sqlalchemy.orm import DeclarativeBase
from sqlalchemy.orm.instrumentation import manager_of_class

from omnigraph.db import json_text
from omnigraph.db.types import UTCDateTime

# The engine's dialect as configured (``engine._JSON_TEXT``): JSON columns in its text.
_DIALECT = sqlite_dialect.dialect(
    json_serializer=json_text.dumps, json_deserializer=json_text.loads
)
# Rows per statement at most: far below SQLite's limit on bound values for any table here.
ROWS_PER_INSERT = 32
_UNSET = object()
Row = TypeVar("Row", bound=DeclarativeBase)


@dataclass(frozen=True, slots=True)
class _Column:
    key: str  # the attribute's name on the mapped class
    default: Callable[[], Any] | None
    convert: Callable[[Any], Any] | None


@dataclass(frozen=True, slots=True)
class _Prepared:
    table: str
    columns: tuple[_Column, ...]
    head: str
    row: str


@dataclass(frozen=True, slots=True)
class _Readable:
    columns: str  # every column's name, comma-separated
    select: str  # every column, ending in "FROM <table> WHERE "
    keys: tuple[str, ...]
    converters: tuple[Callable[[Any], Any] | None, ...]


def _bind_processor(column: Any) -> Callable[[Any], Any] | None:
    """The whole conversion the SQLite dialect applies to a bound value of ``column``: a
    type decorator's own step and then its implementation's (for ``UTCDateTime``, to UTC
    and then to the dialect's fixed-width text), exactly as a flush stores it."""
    if isinstance(column.type, UTCDateTime):
        return utc_text
    return column.type.dialect_impl(_DIALECT).bind_processor(_DIALECT)


# Texts of recent UTC times: the rows of an order share its one capture time (a dozen
# columns), and a batch of orders a few. Only times in UTC are kept: two times of one other
# zone that differ only in ``fold`` (the repeated hour of a DST change) compare equal but
# are different instants.
_UTC_TEXTS: dict[datetime, str] = {}
_UTC_TEXTS_KEPT = 1024


def utc_text(value: datetime | None) -> str | None:
    """A ``UTCDateTime`` value as the SQLite dialect stores it ("2026-11-23 09:30:00.000000",
    in UTC), written in one step: the dialect's two steps took a tenth of the writer's time
    for an order's dozen times. A UTC time's text is worked out once and kept a while."""
    if value is None:
        return None
    if value.tzinfo is not UTC:
        if value.tzinfo is None:
            raise ValueError("naive datetimes are not stored; attach a time zone")
        return value.astimezone(UTC).replace(tzinfo=None).isoformat(" ", "microseconds")
    text = _UTC_TEXTS.get(value)
    if text is None:
        text = value.replace(tzinfo=None).isoformat(" ", "microseconds")
        if len(_UTC_TEXTS) >= _UTC_TEXTS_KEPT:
            _UTC_TEXTS.clear()
        _UTC_TEXTS[value] = text
    return text


def _default_of(column: Any) -> Callable[[], Any] | None:
    default = column.default
    if default is None:
        return None
    if default.is_scalar:
        value = default.arg
        return lambda: value
    if default.is_callable:
        # SQLAlchemy wraps a no-argument default into one taking the execution context.
        function = default.arg
        return lambda: function(None)
    raise TypeError(f"{column} has a default insert_rows cannot compute")


@functools.cache
def _prepared(mapped: type[DeclarativeBase]) -> _Prepared:
    table = mapped.__table__
    assert isinstance(table, Table)
    mapper = mapped.__mapper__
    columns = []
    for attribute in mapper.column_attrs:
        (column,) = attribute.columns
        if column is table.autoincrement_column:
            continue  # SQLite numbers the rows: the caller reads the ids back
        if column.server_default is not None and column.default is None:
            raise TypeError(f"{column} has only a server default; give it a Python one")
        columns.append(_Column(attribute.key, _default_of(column), _bind_processor(column)))
    names = ", ".join(mapper.columns[c.key].name for c in columns)
    return _Prepared(
        table.name,
        tuple(columns),
        f"INSERT INTO {table.name} ({names}) VALUES ",
        "(" + ", ".join("?" * len(columns)) + ")",
    )


@functools.lru_cache(maxsize=256)
def _statement(mapped: type[DeclarativeBase], rows: int) -> str:
    prepared = _prepared(mapped)
    return prepared.head + ", ".join([prepared.row] * rows)


def _values(prepared: _Prepared, row: Any) -> list[Any]:
    state = row.__dict__
    values: list[Any] = []
    for column in prepared.columns:
        value = state.get(column.key, _UNSET)
        if value is _UNSET:
            value = column.default() if column.default is not None else None
            setattr(row, column.key, value)  # the caller's row shows what was written
        values.append(column.convert(value) if column.convert else value)
    return values


def _mapping_values(prepared: _Prepared, row: Mapping[str, Any]) -> list[Any]:
    values: list[Any] = []
    for column in prepared.columns:
        value = row.get(column.key, _UNSET)
        if value is _UNSET:
            value = column.default() if column.default is not None else None
        values.append(column.convert(value) if column.convert else value)
    return values


def insert_values(
    connection: sqlite3.Connection,
    mapped: type[DeclarativeBase],
    rows: Sequence[Mapping[str, Any]],
) -> list[int]:
    """Insert ``rows`` of ``mapped``'s table given as attribute -> value mappings (rows
    nobody answers with need no mapped instance, which costs more to build than to write);
    returns their ids, in order."""
    prepared = _prepared(mapped)
    ids: list[int] = []
    for start in range(0, len(rows), ROWS_PER_INSERT):
        chunk = rows[start : start + ROWS_PER_INSERT]
        values = [value for row in chunk for value in _mapping_values(prepared, row)]
        cursor = connection.execute(_statement(mapped, len(chunk)), values)
        last = cursor.lastrowid
        assert last is not None
        ids.extend(range(last - len(chunk) + 1, last + 1))
    return ids


def insert_rows(connection: sqlite3.Connection, rows: Sequence[DeclarativeBase]) -> None:
    """Insert ``rows`` (all of one mapped class, ids unset) and set each row's ``id``.

    The writer thread is the only writer while it runs, so a statement's rows are numbered
    one after the other, ending at ``last_insert_rowid()``.
    """
    if not rows:
        return
    mapped = type(rows[0])
    prepared = _prepared(mapped)
    for start in range(0, len(rows), ROWS_PER_INSERT):
        chunk = rows[start : start + ROWS_PER_INSERT]
        values = [value for row in chunk for value in _values(prepared, row)]
        cursor = connection.execute(_statement(mapped, len(chunk)), values)
        last = cursor.lastrowid
        assert last is not None
        first = last - len(chunk) + 1
        for offset, row in enumerate(chunk):
            row.id = first + offset  # type: ignore[attr-defined]


@functools.cache
def _readable(mapped: type[DeclarativeBase]) -> _Readable:
    mapper = mapped.__mapper__
    keys: list[str] = []
    names: list[str] = []
    converters: list[Callable[[Any], Any] | None] = []
    for attribute in mapper.column_attrs:
        (column,) = attribute.columns
        keys.append(attribute.key)
        names.append(column.name)
        converters.append(column.type.dialect_impl(_DIALECT).result_processor(_DIALECT, None))
    table = mapped.__table__
    assert isinstance(table, Table)
    columns = ", ".join(names)
    return _Readable(
        columns,
        f"SELECT {columns} FROM {table.name} WHERE ",
        tuple(keys),
        tuple(converters),
    )


def column_names(mapped: type[DeclarativeBase]) -> str:
    """Every column of ``mapped``'s table, in the order ``to_instance`` takes them (for a
    RETURNING clause)."""
    return _readable(mapped).columns


def to_instance(mapped: type[DeclarativeBase], values: Sequence[Any]) -> Any:
    """An instance of ``mapped`` (in no session) from a row of ``column_names``."""
    readable = _readable(mapped)
    return _filled(
        mapped,
        {
            key: convert(value) if convert is not None and value is not None else value
            for key, convert, value in zip(readable.keys, readable.converters, values, strict=True)
        },
    )


def new_row(mapped: type[Row], **values: Any) -> Row:
    """``mapped(**values)`` for a row about to be inserted with ``insert_rows``, built the
    way the ORM builds the rows it loads: the values go straight into the instance's state
    instead of through an attribute event each (a tenth of the cost)."""
    unknown = values.keys() - _attribute_keys(mapped)
    if unknown:
        raise TypeError(f"{mapped.__name__} has no attribute {', '.join(sorted(unknown))}")
    return _filled(mapped, values)


def _filled(mapped: type[DeclarativeBase], values: dict[str, Any]) -> Any:
    instance: Any = manager_of_class(mapped).new_instance()
    instance.__dict__.update(values)
    return instance


@functools.cache
def _attribute_keys(mapped: type[DeclarativeBase]) -> frozenset[str]:
    return frozenset(mapped.__mapper__.attrs.keys())


class LoadedValues:
    """A row's attribute values by key, read with ``[]`` from the row's state at dict speed;
    a key the row has not loaded (expired, deferred, never set) is read through the
    attribute, loading it or raising as the attribute would."""

    __slots__ = ("_row", "_state")

    def __init__(self, row: DeclarativeBase) -> None:
        self._row = row
        self._state = row.__dict__

    def __getitem__(self, key: str) -> Any:
        try:
            return self._state[key]
        except KeyError:
            return getattr(self._row, key)


def loaded(row: DeclarativeBase) -> LoadedValues:
    """``row``'s values for building an answer: it reads dozens of a row's columns, and each
    read of an instrumented attribute costs a descriptor call."""
    return LoadedValues(row)


def bind(mapped: type[DeclarativeBase], key: str, value: Any) -> Any:
    """``value`` as the column ``key`` of ``mapped`` stores it (for hand-written SQL)."""
    if value is None:
        return None
    (column,) = mapped.__mapper__.column_attrs[key].columns
    convert = _bind_processor(column)
    return convert(value) if convert is not None else value


def insert_returning(
    connection: sqlite3.Connection,
    mapped: type[DeclarativeBase],
    row: Mapping[str, Any],
    *,
    skip_conflict_on: str | None = None,
) -> Any | None:
    """Insert one row given as attribute -> value and return it as an instance of
    ``mapped``; with ``skip_conflict_on`` (a unique column) a row that would clash is not
    inserted and None is returned."""
    prepared = _prepared(mapped)
    conflict = f" ON CONFLICT ({skip_conflict_on}) DO NOTHING" if skip_conflict_on else ""
    found = connection.execute(
        f"{_statement(mapped, 1)}{conflict} RETURNING {column_names(mapped)}",
        _mapping_values(prepared, row),
    ).fetchone()
    return to_instance(mapped, found) if found is not None else None


def read_rows(
    connection: sqlite3.Connection,
    mapped: type[DeclarativeBase],
    where: str,
    parameters: Sequence[Any] = (),
) -> list[Any]:
    """The rows of ``mapped``'s table matching ``where`` (SQL with ``?`` for
    ``parameters``), as instances of ``mapped`` that belong to no session."""
    readable = _readable(mapped)
    return [
        to_instance(mapped, values)
        for values in connection.execute(readable.select + where, parameters)
    ]


def read_values(
    connection: sqlite3.Connection,
    mapped: type[DeclarativeBase],
    keys: tuple[str, ...],
    where: str,
    parameters: Sequence[Any] = (),
) -> list[tuple[Any, ...]]:
    """The attributes ``keys`` of the rows ``read_rows`` would read, as tuples of values
    converted the same way: for a reader that builds its own values from them (an event
    for a plugin) and needs no mapped instance, which costs more to build than to read."""
    select, converters = _selected(mapped, keys)
    return [
        tuple(
            convert(value) if convert is not None and value is not None else value
            for convert, value in zip(converters, values, strict=True)
        )
        for values in connection.execute(select + where, parameters)
    ]


@functools.cache
def _selected(
    mapped: type[DeclarativeBase], keys: tuple[str, ...]
) -> tuple[str, tuple[Callable[[Any], Any] | None, ...]]:
    readable = _readable(mapped)
    index = {key: position for position, key in enumerate(readable.keys)}
    missing = [key for key in keys if key not in index]
    if missing:
        raise TypeError(f"{mapped.__name__} has no column attribute {', '.join(missing)}")
    names = readable.columns.split(", ")
    table = mapped.__table__
    assert isinstance(table, Table)
    columns = ", ".join(names[index[key]] for key in keys)
    return (
        f"SELECT {columns} FROM {table.name} WHERE ",
        tuple(readable.converters[index[key]] for key in keys),
    )
