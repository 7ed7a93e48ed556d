"""The typed per-request context handed to every resolver."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from strawberry.types import Info as StrawberryInfo

from omnigraph.api.dataloaders import Loaders
from omnigraph.services.core import Services


@dataclass
class Context:
    services: Services
    loaders: Loaders
    request: Any = None
    response: Any = None
    actor: str = "api"
    extras: dict[str, Any] = field(default_factory=dict)


Info = StrawberryInfo[Context, None]
