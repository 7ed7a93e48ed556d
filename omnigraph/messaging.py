"""The messaging provider protocol: email, SMS and push."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Protocol, runtime_checkable


class MessageChannel(StrEnum):
    EMAIL = "EMAIL"
    SMS = "SMS"
    PUSH = "PUSH"


class DeliveryState(StrEnum):
    QUEUED = "QUEUED"
    SENT = "SENT"
    DELIVERED = "DELIVERED"
    FAILED = "FAILED"


@dataclass(frozen=True, slots=True)
class OutboundMessage:
    """A rendered message. ``idempotency_key`` is stable per event and recipient."""

    channel: MessageChannel
    recipient: str
    subject: str | None
    body: str
    idempotency_key: str
    metadata: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class DeliveryReceipt:
    provider: str
    provider_message_id: str
    state: DeliveryState
    detail: str | None = None


@runtime_checkable
class Messenger(Protocol):
    """What a messaging plugin hands back from ``omnigraph_messengers``."""

    name: str
    channel: MessageChannel

    async def send(self, message: OutboundMessage) -> DeliveryReceipt:
        """Send once; a provider that sees the same idempotency key again must not resend."""
        ...
