"""The execution context the schema runs operations with: strawberry's, without a reference
cycle.

graphql-core hands resolvers two helpers (``info.async_helpers``: gather and track
asynchronous work) made of the executor's own bound methods, so every executor refers to
itself. Such a cycle is freed only by the cyclic garbage collector, not when the request
ends, and with the executor waited everything it held: the parsed operation's collected
fields, the variables, the request's context. At 64 concurrent checkouts that was about a
hundred objects per request for every collector pass to walk, and the collector took
3-9% of the server's CPU. Here the helpers reach the executor through a weak reference,
so a request's objects are freed by reference counting as soon as its answer is sent.
"""

from __future__ import annotations

import weakref
from collections.abc import Awaitable, Sequence
from typing import Any

from graphql.type.definition import GraphQLResolveInfoHelpers
from strawberry.schema.schema import StrawberryGraphQLCoreExecutionContext


class ExecutionContext(StrawberryGraphQLCoreExecutionContext):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # Resolvers run only while the executor does, so it is alive whenever they call.
        executor = weakref.ref(self)

        def gather(values: Sequence[Awaitable[Any]]) -> Awaitable[list[Any]]:
            return _running(executor).gather_async_work(values)

        def track(values: Sequence[Any]) -> None:
            _running(executor).track_async_work(values)

        self.async_helpers = GraphQLResolveInfoHelpers(gather=gather, track=track)


def _running(executor: weakref.ref[ExecutionContext]) -> ExecutionContext:
    found = executor()
    if found is None:
        raise RuntimeError("asynchronous work was handed to an operation that has finished")
    return found
