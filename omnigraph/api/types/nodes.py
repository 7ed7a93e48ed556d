"""Relay node plumbing shared by every node type."""

from collections.abc import Iterable, Sequence
from typing import Any

from strawberry.dataloader import DataLoader

from omnigraph.api.errors import NotFound


async def load_nodes(
    loader: DataLoader[int, Any], node_ids: Iterable[str], build: Any, required: bool
) -> Sequence[Any]:
    """Rows for Relay ``node``/``nodes``: unparseable or unknown ids resolve to null."""
    keys = [
        int(node_id) if str(node_id).isascii() and str(node_id).isdigit() else 0
        for node_id in node_ids
    ]
    rows = await loader.load_many(keys)
    nodes = [build(row) if row is not None else None for row in rows]
    if required and any(node is None for node in nodes):
        raise NotFound("no node with that id")
    return nodes
