"""Cursor connections over service pages."""

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any, TypeVar

from strawberry import relay

from omnigraph.api.errors import bad_input_from
from omnigraph.api.ids import encode_cursor
from omnigraph.domain.errors import DomainError
from omnigraph.services.queries import Page

NodeT = TypeVar("NodeT", bound=relay.Node)


def connection_of(
    page: Page[Any], build: Callable[[Any], NodeT], after_given: bool
) -> relay.Connection[NodeT]:
    edges = [
        relay.Edge(cursor=encode_cursor(key), node=build(item))
        for item, key in zip(page.items, page.keys, strict=True)
    ]
    return relay.Connection(
        edges=edges,
        page_info=relay.PageInfo(
            has_next_page=page.has_next_page,
            has_previous_page=after_given,
            start_cursor=edges[0].cursor if edges else None,
            end_cursor=edges[-1].cursor if edges else None,
        ),
    )


@contextmanager
def as_bad_input() -> Iterator[None]:
    """Queries carry no payload, so a refused input becomes a BAD_USER_INPUT error."""
    try:
        yield
    except DomainError as error:
        raise bad_input_from(error) from error
