"""What keeping parsed and validated documents saves per request, measured in process.

    .venv/bin/python benchmarks/schema_caches.py            # about 1.5 minutes
    .venv/bin/python benchmarks/schema_caches.py --quick    # about 15 seconds

Three queries (trivial, deliveryPromise, orders(first: 20) with relations) run through
``strawberry.Schema.execute`` against the demo network in a throw-away SQLite file, each with
a fresh per-request context as the HTTP view builds it, under three extension lists:

- ``production``: the schema ``omnigraph.api.schema.build_schema`` returns (the baseline):
  ``PreparedDocuments`` keeps each text's parsed document and validation errors;
- ``strawberry's caches``: strawberry's ``ParserCache``, ``ValidationCache`` (keyed by the
  parsed document), ``MaxTokensLimiter`` and ``AddValidationRules`` for the depth limit,
  the extensions ``PreparedDocuments`` replaces;
- ``no caches``: the same limits, every request parsed and validated.

Every variant keeps ``MaskErrors``.

A second ``strawberry.Schema`` cannot be built from the same ``Query`` (strawberry's relay
field extension binds the ``node`` field once: ``assert field.base_resolver is None``), so
the variants are shallow copies of the built schema with another extension list: the same
graphql-core schema and resolvers, only the per-request extensions differ. Variants take
turns in small batches so that drift on a busy machine falls on all of them alike.
"""

from __future__ import annotations

import argparse
import asyncio
import copy
import datetime as dt
import functools
import gc
import os
import platform
import sqlite3
import statistics
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from importlib import metadata
from typing import Any, cast

import strawberry
from graphql import parse, specified_rules
from strawberry.extensions import (
    AddValidationRules,
    MaxTokensLimiter,
    ParserCache,
    SchemaExtension,
    ValidationCache,
)
from strawberry.extensions.validation_cache import _get_validate_cache
from strawberry.schema.schema import validate_document
from workload import Request, Workload, prepare

from omnigraph import testing
from omnigraph.api.context import Context
from omnigraph.api.dataloaders import Loaders
from omnigraph.api.documents import DocumentCache, PreparedDocuments
from omnigraph.api.schema import CACHE_SIZE, MAX_QUERY_TOKENS, build_schema
from omnigraph.services.core import Services

Factory = Callable[[], SchemaExtension]
BATCH = 10


@dataclass(frozen=True, slots=True)
class Variant:
    name: str
    schema: strawberry.Schema
    # Hits and lookups of the variant's document or validation cache so far; None without.
    counts: Callable[[], tuple[int, int]] | None


def _with_extensions(schema: strawberry.Schema, extensions: Sequence[Factory]) -> strawberry.Schema:
    clone = copy.copy(schema)
    clone.extensions = tuple(extensions)
    return clone


def _document_cache(schema: strawberry.Schema) -> DocumentCache:
    (cache,) = {
        extension.cache
        for factory in schema.extensions
        if isinstance(extension := factory(), PreparedDocuments)
    }
    return cache


def _validate_cache_counts() -> tuple[int, int]:
    # strawberry types its cache as a plain callable; it is a functools.lru_cache wrapper.
    info = cast("Any", _get_validate_cache(CACHE_SIZE)).cache_info()
    return int(info.hits), int(info.hits + info.misses)


def variants() -> list[Variant]:
    production = build_schema()
    documents = _document_cache(production)
    others = [
        factory for factory in production.extensions if not isinstance(factory(), PreparedDocuments)
    ]
    limits: list[Factory] = [
        functools.partial(AddValidationRules, list(documents.extra_rules)),
        functools.partial(MaxTokensLimiter, max_token_count=MAX_QUERY_TOKENS),
    ]
    strawberry_caches: list[Factory] = [
        functools.partial(ParserCache, maxsize=CACHE_SIZE),
        functools.partial(ValidationCache, maxsize=CACHE_SIZE),
        *limits,
        *others,
    ]
    return [
        Variant(
            "production",
            production,
            lambda: (documents.hits, documents.hits + documents.misses),
        ),
        Variant(
            "strawberry's caches",
            _with_extensions(production, strawberry_caches),
            _validate_cache_counts,
        ),
        Variant("no caches", _with_extensions(production, [*limits, *others]), None),
    ]


@dataclass
class Samples:
    times_ms: list[float]
    cpu_ms: float = 0.0
    hits: int = 0
    lookups: int = 0


async def _execute(schema: strawberry.Schema, services: Services, request: Request) -> None:
    context = Context(
        services=services, loaders=Loaders(services.db, services.catalog), actor="benchmarks"
    )
    result = await schema.execute(
        request.query, variable_values=request.variables, context_value=context
    )
    if result.errors:
        raise RuntimeError(f"{request.query[:40]!r} failed: {result.errors}")


async def measure(
    services: Services, request: Request, candidates: Sequence[Variant], samples: int
) -> dict[str, Samples]:
    results = {variant.name: Samples([]) for variant in candidates}
    for variant in candidates:  # warm-up: fill the caches, load the code paths
        for _ in range(3):
            await _execute(variant.schema, services, request)
    for turn in range(max(1, samples // BATCH)):
        shift = turn % len(candidates)
        for variant in [*candidates[shift:], *candidates[:shift]]:
            samples_of = results[variant.name]
            hits, lookups = variant.counts() if variant.counts else (0, 0)
            cpu = time.process_time()
            for _ in range(BATCH):
                started = time.perf_counter()
                await _execute(variant.schema, services, request)
                samples_of.times_ms.append((time.perf_counter() - started) * 1000)
            samples_of.cpu_ms += (time.process_time() - cpu) * 1000
            after_hits, after_lookups = variant.counts() if variant.counts else (0, 0)
            samples_of.hits += after_hits - hits
            samples_of.lookups += after_lookups - lookups
    return results


def per_call_us(action: Callable[[], Any], repeat: int) -> float:
    """Median microseconds of ``action`` over ``repeat`` calls."""
    times = []
    for _ in range(repeat):
        started = time.perf_counter()
        action()
        times.append((time.perf_counter() - started) * 1e6)
    return statistics.median(times)


def parse_validate_cost(schema: strawberry.Schema, query: str, repeat: int) -> tuple[float, float]:
    """What a request pays without the caches: graphql-core's parse and strawberry's
    validate_document with the rules a request runs (graphql's plus the depth limit)."""
    rules = (*specified_rules, *_document_cache(schema).extra_rules)
    document = parse(query, max_tokens=MAX_QUERY_TOKENS)
    parse_us = per_call_us(lambda: parse(query, max_tokens=MAX_QUERY_TOKENS), repeat)
    validate_us = per_call_us(lambda: validate_document(schema._schema, document, rules), repeat)
    return parse_us, validate_us


def percentile(values: Sequence[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered), max(1, round(share * len(ordered)))) - 1]


def _row(cells: Sequence[str], widths: Sequence[int]) -> str:
    return "  ".join(
        cell.ljust(width) if index < 2 else cell.rjust(width)
        for index, (cell, width) in enumerate(zip(cells, widths, strict=True))
    ).rstrip()


def table(rows: Sequence[Sequence[str]]) -> str:
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    lines = [_row(row, widths) for row in rows]
    lines.insert(1, "  ".join("-" * width for width in widths))
    return "\n".join(lines)


async def run(samples: dict[str, int], repeat: int) -> str:
    candidates = variants()
    header = (
        "query", "variant", "p50 ms", "p99 ms", "mean ms", "CPU ms", "n",
        "CPU vs production", "cache hits", "parse us", "validate us",
    )  # fmt: skip
    rows: list[Sequence[str]] = [header]
    async with testing.harness(demo=True) as harness:
        workload: Workload = await prepare(harness.http)
        queries = {
            "trivial": workload.trivial,
            "promise": workload.promise,
            "orders20": workload.orders,
        }
        for name, request in queries.items():
            results = await measure(harness.services, request, candidates, samples[name])
            parse_us, validate_us = parse_validate_cost(candidates[0].schema, request.query, repeat)
            base = results["production"]
            base_cpu = base.cpu_ms / len(base.times_ms)
            for variant in candidates:
                got = results[variant.name]
                median = statistics.median(got.times_ms)
                cpu = got.cpu_ms / len(got.times_ms)
                rows.append(
                    (
                        name,
                        variant.name,
                        f"{median:.2f}",
                        f"{percentile(got.times_ms, 0.99):.2f}",
                        f"{statistics.fmean(got.times_ms):.2f}",
                        f"{cpu:.3f}",
                        str(len(got.times_ms)),
                        f"{cpu / base_cpu:.2f}x",
                        f"{got.hits}/{got.lookups}" if variant.counts else "-",
                        f"{parse_us:.0f}",
                        f"{validate_us:.0f}",
                    )
                )
    return table(rows)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=(
            "Time Schema.execute for a small, a medium and a large query with the product's "
            "document cache, strawberry's caches and none, in process, on the demo network."
        )
    )
    parser.add_argument("--quick", action="store_true", help="fewer samples (about 15 s)")
    args = parser.parse_args(argv)
    # Per variant; the slower the query, the fewer samples fit in the time.
    samples = (
        {"trivial": 100, "promise": 40, "orders20": 20}
        if args.quick
        else {"trivial": 600, "promise": 200, "orders20": 100}
    )
    repeat = 100 if args.quick else 400
    load_before = os.getloadavg()[0]
    output = asyncio.run(run(samples, repeat))
    print(
        f"{dt.datetime.now().astimezone():%Y-%m-%d %H:%M %Z}; {os.cpu_count()} cores; "
        f"Python {platform.python_version()}; SQLite {sqlite3.sqlite_version}; "
        f"strawberry {metadata.version('strawberry-graphql')}; "
        f"load average {load_before:.1f} before, {os.getloadavg()[0]:.1f} after; "
        f"gc {'on' if gc.isenabled() else 'off'}"
    )
    print()
    print(output)
    print()
    print(
        "Times are one Schema.execute each (parse, validate, run the resolvers against SQLite); "
        "CPU ms is the process's CPU time per execute, the variants taking turns in batches of "
        f"{BATCH}. parse us / validate us: graphql-core's parse and strawberry's "
        "validate_document timed alone, the work the caches save when they hit. cache hits: "
        "hits/lookups in the variant's document cache (production) or ValidationCache "
        "(strawberry's) during its samples."
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
