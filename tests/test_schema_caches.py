"""Each query text is parsed and validated once, and the token and depth limits still hold."""

from __future__ import annotations

import strawberry
from graphql import specified_rules

from omnigraph.api.documents import DocumentCache, PreparedDocuments
from omnigraph.api.schema import MAX_QUERY_DEPTH, MAX_QUERY_TOKENS, build_schema
from omnigraph.testing import Harness


def document_cache() -> DocumentCache:
    (cache,) = {
        extension.cache
        for factory in build_schema().extensions
        if isinstance(extension := factory(), PreparedDocuments)
    }
    return cache


async def test_a_repeated_query_is_parsed_and_validated_once(harness: Harness) -> None:
    cache = document_cache()
    query = "{ channels { code name } }"
    await harness.graphql(query)
    hits, misses = cache.hits, cache.misses
    first = await harness.graphql(query)
    second = await harness.graphql(query)
    assert (cache.hits, cache.misses) == (hits + 2, misses)
    assert first == second
    assert isinstance(first["channels"], list)


async def test_queries_deeper_than_the_limit_are_refused_every_time(harness: Harness) -> None:
    nested = "fulfillmentOrders { order { " * 5
    closing = "} } " * 5
    query = f"{{ orders(first: 1) {{ edges {{ node {{ {nested} number {closing} }} }} }} }}"
    for _ in range(2):  # the second answer comes from the cache
        body = await harness.client.execute(query)
        assert "data" not in body or body["data"] is None
        message = body["errors"][0]["message"]
        assert "exceeds maximum operation depth" in message
        assert str(MAX_QUERY_DEPTH) in message


async def test_documents_over_the_token_limit_are_refused(harness: Harness) -> None:
    query = "{ " + " ".join(["__typename"] * MAX_QUERY_TOKENS) + " }"
    for _ in range(2):
        body = await harness.client.execute(query)
        assert f"more than {MAX_QUERY_TOKENS} tokens" in body["errors"][0]["message"]
    assert all(text != query for _, text in document_cache()._kept)


async def test_an_invalid_field_is_reported_from_the_cache_too(harness: Harness) -> None:
    query = "{ channels { code doesNotExist } }"
    answers = [await harness.client.execute(query) for _ in range(2)]
    assert answers[0] == answers[1]
    assert "doesNotExist" in answers[0]["errors"][0]["message"]
    assert answers[0]["errors"][0]["locations"] == [{"line": 1, "column": 19}]


async def test_syntax_errors_are_answered_and_not_kept(harness: Harness) -> None:
    query = "{ channels { code "
    answers = [await harness.client.execute(query) for _ in range(2)]
    assert answers[0] == answers[1]
    assert answers[0]["errors"][0]["message"].startswith("Syntax Error")
    assert all(text != query for _, text in document_cache()._kept)


def test_the_least_recently_used_text_leaves_first() -> None:
    schema = build_schema()
    cache = DocumentCache(max_size=2, max_tokens=100, extra_rules=())

    class Context:  # the two attributes the cache reads from strawberry's execution context
        def __init__(self, query: str) -> None:
            self.query = query
            self.schema = schema
            self.validation_rules = ()

    for query in ("{ a: __typename }", "{ b: __typename }", "{ a: __typename }"):
        cache.prepared(Context(query))  # type: ignore[arg-type]
    cache.prepared(Context("{ c: __typename }"))  # type: ignore[arg-type]
    assert [text for _, text in cache._kept] == ["{ a: __typename }", "{ c: __typename }"]
    assert (cache.hits, cache.misses) == (1, 3)


def test_one_cache_keeps_each_schemas_answer_apart() -> None:
    @strawberry.type
    class Query:
        hello: str = "world"

    small = strawberry.Schema(query=Query)
    cache = DocumentCache(max_size=8, max_tokens=100, extra_rules=())

    class Context:
        def __init__(self, schema: strawberry.Schema) -> None:
            self.query = "{ channels { code } }"
            self.schema = schema
            self.validation_rules = specified_rules

    product = cache.prepared(Context(build_schema()))  # type: ignore[arg-type]
    other = cache.prepared(Context(small))  # type: ignore[arg-type]
    assert product is not None and other is not None
    assert product.errors == ()
    assert "channels" in other.errors[0].message
