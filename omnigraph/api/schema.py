"""The one GraphQL schema, built by a factory (nothing is created at import)."""

import functools

import strawberry
from strawberry.extensions import MaskErrors, QueryDepthLimiter
from strawberry.schema.config import StrawberryConfig

from omnigraph.api.documents import DocumentCache, PreparedDocuments
from omnigraph.api.errors import should_mask
from omnigraph.api.execution import ExecutionContext
from omnigraph.api.input_plans import plan_inputs
from omnigraph.api.mutations import Mutation
from omnigraph.api.queries import Query
from omnigraph.api.subscriptions import Subscription
from omnigraph.api.types.catalog import Customer, Location, Product
from omnigraph.api.types.orders import FulfillmentOrder, Order, Shipment

# Parse and validation results are kept per query text (bounded, so unique query texts
# cannot grow memory without limit): validating costs 0.45-0.8 ms per request here.
CACHE_SIZE = 256
MAX_QUERY_DEPTH = 12
MAX_QUERY_TOKENS = 4000


@functools.cache
def build_schema() -> strawberry.Schema:
    """Built on first use and shared: the schema holds no per-app state, and strawberry's
    relay fields can only be bound into one schema."""
    # The depth rule is built once: a limiter builds a new rule class each time.
    documents = DocumentCache(
        max_size=CACHE_SIZE,
        max_tokens=MAX_QUERY_TOKENS,
        extra_rules=QueryDepthLimiter(max_depth=MAX_QUERY_DEPTH).validation_rules,
    )
    schema = strawberry.Schema(
        query=Query,
        mutation=Mutation,
        subscription=Subscription,
        types=[Order, FulfillmentOrder, Shipment, Location, Product, Customer],
        extensions=[
            lambda: PreparedDocuments(documents),
            lambda: MaskErrors(should_mask_error=should_mask, error_message="Unexpected error."),
        ],
        config=StrawberryConfig(auto_camel_case=True),
        execution_context_class=ExecutionContext,
    )
    plan_inputs(schema)
    return schema


def export_sdl() -> str:
    return build_schema().as_str().rstrip() + "\n"
