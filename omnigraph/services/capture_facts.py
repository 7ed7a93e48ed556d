"""What order capture reads before sourcing: its channel, customer, products and their
selling rules, in two statements where separate reads took five."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from sqlalchemy import bindparam, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from omnigraph.db.models import Channel, ChannelExposureRule, Customer, Product, ProtectedStockRule

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
# Each product with the protections of it or of its category (a category's protection
# comes once per product of that category).
_PRODUCTS = (
    select(Product, ProtectedStockRule)
    .outerjoin(
        ProtectedStockRule,
        or_(
            ProtectedStockRule.product_id == Product.id,
            ProtectedStockRule.category == Product.category,
        ),
    )
    .where(Product.sku.in_(bindparam("skus", expanding=True)))
    .order_by(Product.sku, ProtectedStockRule.id)
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


@dataclass(frozen=True, slots=True)
class CatalogFacts:
    """The order's products by SKU (unknown SKUs left out) and, once each, the protected
    stock rules of those products or their categories."""

    products: dict[str, Product]
    protected: tuple[ProtectedStockRule, ...]


async def products_with_protections(session: AsyncSession, skus: Iterable[str]) -> CatalogFacts:
    """The products ``skus`` name, with the protections that touch them."""
    wanted = sorted(set(skus))
    if not wanted:
        return CatalogFacts({}, ())
    products: dict[str, Product] = {}
    protected: dict[int, ProtectedStockRule] = {}
    for product, rule in await session.execute(_PRODUCTS, {"skus": wanted}):
        products[product.sku] = product
        if rule is not None:
            protected.setdefault(rule.id, rule)
    return CatalogFacts(products, tuple(protected.values()))
