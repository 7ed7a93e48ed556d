"""What order capture reads about its channel and its customer, in one statement."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import bindparam, select
from sqlalchemy.ext.asyncio import AsyncSession

from omnigraph.db.models import Channel, ChannelExposureRule, Customer

# Built once: a statement built per call costs more CPU than running it does. The exposure
# rules and the customer ride on the channel's row through outer joins, so an unknown
# channel finds no row at all, as the separate reads did.
_FACTS = (
    select(Channel, ChannelExposureRule, Customer)
    .outerjoin(ChannelExposureRule, ChannelExposureRule.channel_id == Channel.id)
    .outerjoin(Customer, Customer.email == bindparam("email"))
    .where(Channel.code == bindparam("code"))
    .order_by(ChannelExposureRule.id)
)


@dataclass(frozen=True, slots=True)
class CaptureFacts:
    """The order's channel (None when unknown), that channel's exposure rules, and the
    customer with the order's e-mail (None for a first order)."""

    channel: Channel | None
    exposure: tuple[ChannelExposureRule, ...]
    customer: Customer | None


def customer_email(email: str) -> str:
    """The form customers are stored and looked up by."""
    return email.strip().lower()


async def capture_facts(session: AsyncSession, channel_code: str, email: str) -> CaptureFacts:
    """The channel ``channel_code`` with its exposure rules, and the customer ``email``."""
    rows = (
        await session.execute(_FACTS, {"code": channel_code, "email": customer_email(email)})
    ).all()
    if not rows:
        return CaptureFacts(None, (), None)
    channel, _rule, customer = rows[0]
    return CaptureFacts(
        channel, tuple(rule for _channel, rule, _customer in rows if rule is not None), customer
    )
