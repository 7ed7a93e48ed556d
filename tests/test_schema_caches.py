"""Parsing and validation are cached across requests, and the depth limit still holds."""

from __future__ import annotations

from strawberry.extensions.validation_cache import _get_validate_cache

from omnigraph.api.schema import CACHE_SIZE, MAX_QUERY_DEPTH
from omnigraph.testing import Harness


async def test_a_repeated_query_is_validated_once(harness: Harness) -> None:
    # The cache is strawberry's module-level LRU: its statistics show whether it is hit.
    cache_info = _get_validate_cache(CACHE_SIZE).cache_info
    query = "{ channels { code name } }"
    await harness.graphql(query)
    hits_before = cache_info().hits
    await harness.graphql(query)
    await harness.graphql(query)
    assert cache_info().hits == hits_before + 2


async def test_queries_deeper_than_the_limit_are_refused(harness: Harness) -> None:
    nested = "fulfillmentOrders { order { " * 5
    closing = "} } " * 5
    query = f"{{ orders(first: 1) {{ edges {{ node {{ {nested} number {closing} }} }} }} }}"
    body = await harness.client.execute(query)
    assert "exceeds maximum operation depth" in body["errors"][0]["message"]
    assert str(MAX_QUERY_DEPTH) in body["errors"][0]["message"]
