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

# Sets of validation rules a document's errors are kept for.
RULE_SETS_KEPT = 4


@dataclass(slots=True)
class Prepared:
    document: DocumentNode
    # Validation errors by the rules they were found with (empty: valid). The rules are
    # the same for every request unless an extension changes them per request.
    errors: dict[tuple[type[ASTValidationRule], ...], tuple[GraphQLError, ...]]


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
        # Texts answered from the cache and texts parsed, for operators and the benchmarks.
        self.hits = 0
        self.misses = 0

    def __len__(self) -> int:
        return len(self._kept)

    def parsed(self, context: ExecutionContext) -> Prepared | None:
        """The request's text, parsed (None when it does not parse)."""
        query = context.query
        if query is None:
            return None
        key = (context.schema._schema, query)
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
        kept = Prepared(document, {})
        self._kept[key] = kept
        if len(self._kept) > self.max_size:
            self._kept.popitem(last=False)
        return kept

    @staticmethod
    def validated(prepared: Prepared, context: ExecutionContext) -> list[GraphQLError]:
        """The document's validation errors under the request's rules."""
        rules = tuple(context.validation_rules)
        errors = prepared.errors.get(rules)
        if errors is None:
            errors = tuple(validate_document(context.schema._schema, prepared.document, rules))
            if len(prepared.errors) >= RULE_SETS_KEPT:
                prepared.errors.clear()  # rules that differ per request: keep few
            prepared.errors[rules] = errors
        return list(errors)


class PreparedDocuments(SchemaExtension):
    """Hands strawberry the stored document before it would parse, and its validation
    errors before it would validate; strawberry skips each step when its result is there.

    Validation errors are looked up when validation starts, after every extension's
    ``on_operation``, so rules other extensions add apply (and are part of the key).
    """

    def __init__(self, cache: DocumentCache) -> None:
        self.cache = cache
        self._prepared: Prepared | None = None

    def on_operation(self) -> Iterator[None]:
        context = self.execution_context
        # Also for texts the cache does not keep, so strawberry's own parse and validation
        # apply the same limits.
        context.parse_options["max_tokens"] = self.cache.max_tokens
        context.validation_rules = context.validation_rules + self.cache.extra_rules
        yield

    def on_parse(self) -> Iterator[None]:
        context = self.execution_context
        if context.graphql_document is None:
            self._prepared = self.cache.parsed(context)
            if self._prepared is not None:
                context.graphql_document = self._prepared.document
        yield

    def on_validate(self) -> Iterator[None]:
        context = self.execution_context
        prepared = self._prepared
        if (
            prepared is not None
            and context.graphql_document is prepared.document
            and context.pre_execution_errors is None
        ):
            context.pre_execution_errors = self.cache.validated(prepared, context)
        yield
