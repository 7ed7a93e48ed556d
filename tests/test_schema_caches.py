"""Each query text is parsed and validated once, and the token and depth limits still hold."""

from __future__ import annotations

import strawberry
from graphql import ASTValidationRule, NoSchemaIntrospectionCustomRule, specified_rules
from strawberry.extensions import AddValidationRules

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
    (prepared,) = [kept for (_, text), kept in cache._kept.items() if text == query]
    assert len(prepared.errors) == 1  # validated once, under the schema's one set of rules
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


class _Context:
    """The attributes the cache reads from strawberry's execution context."""

    def __init__(
        self,
        query: str,
        schema: strawberry.Schema | None = None,
        rules: tuple[type[ASTValidationRule], ...] = tuple(specified_rules),
    ) -> None:
        self.query = query
        self.schema = schema or build_schema()
        self.validation_rules = rules


def test_the_least_recently_used_text_leaves_first() -> None:
    cache = DocumentCache(max_size=2, max_tokens=100, extra_rules=())
    for query in ("{ a: __typename }", "{ b: __typename }", "{ a: __typename }"):
        cache.parsed(_Context(query))  # type: ignore[arg-type]
    cache.parsed(_Context("{ c: __typename }"))  # type: ignore[arg-type]
    assert [text for _, text in cache._kept] == ["{ a: __typename }", "{ c: __typename }"]
    assert (cache.hits, cache.misses) == (1, 3)


def test_one_cache_keeps_each_schemas_answer_apart() -> None:
    @strawberry.type
    class Query:
        hello: str = "world"

    cache = DocumentCache(max_size=8, max_tokens=100, extra_rules=())
    answers = []
    for schema in (build_schema(), strawberry.Schema(query=Query)):
        context = _Context("{ channels { code } }", schema)
        prepared = cache.parsed(context)  # type: ignore[arg-type]
        assert prepared is not None
        answers.append(cache.validated(prepared, context))  # type: ignore[arg-type]
    assert answers[0] == []
    assert "channels" in answers[1][0].message


def test_errors_are_kept_per_set_of_rules() -> None:
    cache = DocumentCache(max_size=8, max_tokens=100, extra_rules=())
    query = "{ __schema { queryType { name } } }"
    plain = _Context(query)
    closed = _Context(query, rules=(*specified_rules, NoSchemaIntrospectionCustomRule))
    prepared = cache.parsed(plain)  # type: ignore[arg-type]
    assert prepared is not None
    for _ in range(2):
        assert cache.validated(prepared, plain) == []  # type: ignore[arg-type]
        refused = cache.validated(prepared, closed)  # type: ignore[arg-type]
        assert "introspection" in refused[0].message


async def test_a_rule_an_extension_after_it_adds_still_applies() -> None:
    @strawberry.type
    class Query:
        @strawberry.field
        def hello(self) -> str:
            return "world"

    cache = DocumentCache(max_size=8, max_tokens=100, extra_rules=())
    schema = strawberry.Schema(
        query=Query,
        extensions=[
            lambda: PreparedDocuments(cache),
            lambda: AddValidationRules([NoSchemaIntrospectionCustomRule]),
        ],
    )
    query = "{ __schema { queryType { name } } }"
    for _ in range(2):
        result = await schema.execute(query)
        assert result.data is None
        assert result.errors is not None and "introspection" in result.errors[0].message
    assert (await schema.execute("{ hello }")).data == {"hello": "world"}
    assert cache.hits == 1
