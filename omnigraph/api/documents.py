"""Documents parsed, limited and validated once per query text.

A storefront, a console or a connector sends the same few documents all day. Each text is
parsed (with the token limit) and validated (with the depth limit) the first time it
arrives; later requests with the same text take the stored result with one dict lookup.
The bounded cache keeps unique texts from growing memory without limit.

One extension does what strawberry's ``ParserCache``, ``ValidationCache``,
``MaxTokensLimiter`` and ``AddValidationRules`` do together. Those four each run per
request, and ``ValidationCache`` keys its cache by the parsed document, whose hash walks
the whole syntax tree every time.
"""

from collections import OrderedDict
from collections.abc import Iterator, Sequence
from dataclasses import dataclass

from graphql import ASTValidationRule, DocumentNode, GraphQLError, GraphQLSchema, parse
from strawberry.extensions import SchemaExtension
from strawberry.schema.schema import validate_document
from strawberry.types import ExecutionContext


@dataclass(frozen=True, slots=True)
class Prepared:
    document: DocumentNode
    errors: tuple[GraphQLError, ...]  # validation errors; empty when the document is valid


class DocumentCache:
    """Query text → its parsed document and validation errors, least recently used first out.

    Texts that do not parse are not kept: strawberry parses them again and answers with the
    syntax error, as it would without the cache. Entries are per schema, so a cache shared
    by two schemas never answers one with the other's validation.
    """

    def __init__(
        self,
        *,
        max_size: int,
        max_tokens: int,
        extra_rules: Sequence[type[ASTValidationRule]],
    ) -> None:
        self.max_size = max_size
        self.max_tokens = max_tokens
        self.extra_rules = tuple(extra_rules)
        self._kept: OrderedDict[tuple[GraphQLSchema, str], Prepared] = OrderedDict()
        # Lookups answered from the cache and texts parsed and validated, for operators and
        # the benchmarks.
        self.hits = 0
        self.misses = 0

    def __len__(self) -> int:
        return len(self._kept)

    def prepared(self, context: ExecutionContext) -> Prepared | None:
        query = context.query
        if query is None:
            return None
        schema = context.schema._schema
        key = (schema, query)
        kept = self._kept.get(key)
        if kept is not None:
            self._kept.move_to_end(key)
            self.hits += 1
            return kept
        self.misses += 1
        try:
            document = parse(query, max_tokens=self.max_tokens)
        except GraphQLError:
            return None
        errors = validate_document(schema, document, context.validation_rules)
        kept = Prepared(document, tuple(errors))
        self._kept[key] = kept
        if len(self._kept) > self.max_size:
            self._kept.popitem(last=False)
        return kept


class PreparedDocuments(SchemaExtension):
    """Hands strawberry the stored document and its validation errors before it would parse
    and validate; strawberry skips both when they are already there."""

    def __init__(self, cache: DocumentCache) -> None:
        self.cache = cache

    def on_operation(self) -> Iterator[None]:
        context = self.execution_context
        # Also for texts the cache does not keep, so strawberry's own parse and validation
        # apply the same limits.
        context.parse_options["max_tokens"] = self.cache.max_tokens
        context.validation_rules = context.validation_rules + self.cache.extra_rules
        if context.graphql_document is None:
            prepared = self.cache.prepared(context)
            if prepared is not None:
                context.graphql_document = prepared.document
                context.pre_execution_errors = list(prepared.errors)
        yield
