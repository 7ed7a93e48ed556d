"""Inventory rules: safety stock, channel exposure and protected stock.

Effective safety stock is materialised into each level's ``safety_stock`` (with a
SAFETY_STOCK ledger movement, an ``inventory.changed`` event and the id of the rule that set
it), so the hot path that commits stock stays one conditional UPDATE. Exposure and protected
stock are evaluated when availability is read and when an order is captured.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from typing import TYPE_CHECKING, Any

from sqlalchemy import (
    ColumnElement,
    and_,
    bindparam,
    delete,
    false,
    or_,
    select,
    text,
    true,
    update,
)
from sqlalchemy.ext.asyncio import AsyncSession

from omnigraph.db.models import (
    Channel,
    ChannelExposureRule,
    Customer,
    InventoryLevel,
    InventoryMovement,
    Location,
    Product,
    ProtectedStockRule,
    SafetyStockRule,
)
from omnigraph.domain import stock_rules as rules
from omnigraph.domain.errors import DomainError, ErrorCode, Problem
from omnigraph.domain.inventory import StockLevel
from omnigraph.domain.orders import LineRequest, is_email
from omnigraph.domain.rules_file import ExposureSpec, ProtectedSpec, RulesDocument, SafetyStockSpec
from omnigraph.domain.vocabulary import InventoryBucket, MovementReason
from omnigraph.events.types import Topic
from omnigraph.services.inventory import LEVELS, change_payload
from omnigraph.services.unit_of_work import UnitOfWork

if TYPE_CHECKING:
    from omnigraph.services.core import Services

# Levels are re-evaluated in pages so a network-wide rule does not load millions of rows.
RECOMPUTE_PAGE = 2000


def to_safety_rule(row: SafetyStockRule) -> rules.SafetyStockRule:
    return rules.SafetyStockRule(
        id=row.id,
        quantity=row.quantity,
        location_id=row.location_id,
        product_id=row.product_id,
        category=row.category,
        location_type=row.location_type,
        season=rules.Season(row.starts_on, row.ends_on),
    )


def to_exposure_rule(row: ChannelExposureRule, channel_code: str) -> rules.ExposureRule:
    return rules.ExposureRule(
        id=row.id,
        channel=channel_code,
        percent=row.percent,
        cap=row.cap,
        product_id=row.product_id,
        category=row.category,
    )


def to_protected_rule(row: ProtectedStockRule) -> rules.ProtectedStockRule:
    return rules.ProtectedStockRule(
        id=row.id,
        quantity=row.quantity,
        tiers=frozenset(rules.CustomerTier(t) for t in row.tiers),
        product_id=row.product_id,
        category=row.category,
    )


def _scope_filter(rule: rules.SafetyStockRule) -> ColumnElement[bool]:
    """The levels a rule can touch, as SQL over levels joined to locations and products."""
    L = InventoryLevel
    scope = rule.scope
    if scope is rules.SafetyStockScope.SKU_AT_LOCATION:
        return and_(L.location_id == rule.location_id, L.product_id == rule.product_id)
    if scope is rules.SafetyStockScope.CATEGORY_AT_LOCATION:
        return and_(L.location_id == rule.location_id, Product.category == rule.category)
    condition: ColumnElement[bool] = true()
    if scope is rules.SafetyStockScope.LOCATION_TYPE:
        condition = Location.type == rule.location_type
    if rule.category is not None:
        condition = and_(condition, Product.category == rule.category)
    return condition


async def _one_rule_writer(uow: UnitOfWork) -> None:
    """Serialise safety stock rule changes on PostgreSQL: each recompute must read a rule
    set that includes every rule committed before it, or the last writer's stale view
    would win. SQLite's single writer already serialises them."""
    if not uow.is_sqlite:
        await uow.session.execute(text("LOCK TABLE safety_stock_rules IN SHARE ROW EXCLUSIVE MODE"))


async def recompute_safety_stock(
    uow: UnitOfWork, today: date, scopes: Iterable[rules.SafetyStockRule] | None = None
) -> int:
    """Re-evaluate the levels ``scopes`` can touch (all when None); returns how many changed."""
    session = uow.session
    all_rules = [to_safety_rule(r) for r in await session.scalars(select(SafetyStockRule))]
    if scopes is None:
        where: ColumnElement[bool] = true()
    else:
        filters = [_scope_filter(rule) for rule in scopes]
        where = or_(*filters) if filters else false()
    changed = 0
    after_id = 0
    while True:
        page = (
            await session.execute(
                select(InventoryLevel, Location.type, Product.category, Product.sku)
                .join(Location, Location.id == InventoryLevel.location_id)
                .join(Product, Product.id == InventoryLevel.product_id)
                .where(where, InventoryLevel.id > after_id)
                .order_by(InventoryLevel.id)
                .limit(RECOMPUTE_PAGE)
            )
        ).all()
        if not page:
            return changed
        for level, location_type, category, sku in page:
            target = rules.LevelTarget(level.location_id, location_type, level.product_id, category)
            quantity, rule = rules.effective_safety_stock(all_rules, target, today)
            rule_id = rule.id if rule else None
            if (level.safety_stock, level.safety_stock_rule_id) != (quantity, rule_id):
                _set_safety_stock(uow, level, sku, quantity, rule_id)
                changed += 1
        after_id = page[-1][0].id
        await session.flush()


def _set_safety_stock(
    uow: UnitOfWork, level: InventoryLevel, sku: str, quantity: int, rule_id: int | None
) -> None:
    before = StockLevel(
        level.on_hand,
        level.committed,
        level.reserved,
        level.safety_stock,
        level.damaged,
        level.incoming,
    )
    after = before.with_quantity(InventoryBucket.SAFETY_STOCK, quantity)
    delta = quantity - level.safety_stock
    level.safety_stock = quantity
    level.safety_stock_rule_id = rule_id
    level.updated_at = uow.now()
    if delta == 0:
        return
    uow.session.add(
        InventoryMovement(
            location_id=level.location_id,
            product_id=level.product_id,
            bucket=InventoryBucket.SAFETY_STOCK.value,
            delta=delta,
            reason=MovementReason.SAFETY_STOCK.value,
            actor=uow.actor,
            source="rules",
            note=f"rule {rule_id}" if rule_id else "no rule applies",
            created_at=uow.now(),
        )
    )
    uow.record(
        Topic.INVENTORY_CHANGED,
        "inventory_level",
        level.id,
        {
            **change_payload(
                level.location_id, level.product_id, sku, before, after, MovementReason.SAFETY_STOCK
            ),
            "safetyStockRuleId": rule_id,
        },
    )


@dataclass(frozen=True, slots=True)
class SafetyStockRuleInput:
    quantity: int
    rule_id: int | None = None
    location_id: int | None = None
    sku: str | None = None
    category: str | None = None
    location_type: str | None = None
    starts_on: date | None = None
    ends_on: date | None = None


@dataclass(frozen=True, slots=True)
class RuleChange:
    rule_id: int | None
    levels_changed: int


async def _product_id(session: AsyncSession, sku: str | None, field: tuple[str, ...]) -> int | None:
    if sku is None:
        return None
    product_id = await session.scalar(select(Product.id).where(Product.sku == sku))
    if product_id is None:
        raise DomainError.single(field, ErrorCode.UNKNOWN_SKU, f"unknown SKU {sku!r}")
    return int(product_id)


async def set_safety_stock_rule(
    services: Services, data: SafetyStockRuleInput, actor: str | None = None
) -> RuleChange:
    """Create or replace one rule and re-evaluate every level it touched before or touches now."""
    async with services.unit_of_work(actor=actor) as uow:
        await _one_rule_writer(uow)
        session = uow.session
        product_id = await _product_id(session, data.sku, ("sku",))
        if data.location_id is not None and await session.get(Location, data.location_id) is None:
            raise DomainError.single(
                ("locationId",), ErrorCode.UNKNOWN_LOCATION, "unknown location"
            )
        candidate = rules.SafetyStockRule(
            id=data.rule_id or 0,
            quantity=data.quantity,
            location_id=data.location_id,
            product_id=product_id,
            category=data.category,
            location_type=data.location_type,
            season=rules.Season(data.starts_on, data.ends_on),
        )
        rules.check_safety_stock_rule(candidate)
        scopes = [candidate]
        if data.rule_id is not None:
            row = await session.get(SafetyStockRule, data.rule_id)
            if row is None:
                raise DomainError.single(("id",), ErrorCode.NOT_FOUND, "no such safety stock rule")
            scopes.append(to_safety_rule(row))
        else:
            row = SafetyStockRule()
            session.add(row)
        row.quantity, row.location_id, row.product_id = data.quantity, data.location_id, product_id
        row.category, row.location_type = data.category, data.location_type
        row.starts_on, row.ends_on = data.starts_on, data.ends_on
        await session.flush()
        changed = await recompute_safety_stock(uow, services.clock().date(), scopes)
        await uow.commit()
        return RuleChange(row.id, changed)


async def delete_safety_stock_rule(
    services: Services, rule_id: int, actor: str | None = None
) -> RuleChange:
    async with services.unit_of_work(actor=actor) as uow:
        await _one_rule_writer(uow)
        row = await uow.session.get(SafetyStockRule, rule_id)
        if row is None:
            raise DomainError.single(("id",), ErrorCode.NOT_FOUND, "no such safety stock rule")
        scope = to_safety_rule(row)
        await uow.session.execute(
            update(LEVELS)
            .where(InventoryLevel.safety_stock_rule_id == rule_id)
            .values(safety_stock_rule_id=None)
        )
        await uow.session.delete(row)
        await uow.session.flush()
        uow.session.expire_all()
        changed = await recompute_safety_stock(uow, services.clock().date(), [scope])
        await uow.commit()
        return RuleChange(None, changed)


@dataclass(frozen=True, slots=True)
class ExposureRuleInput:
    channel: str
    percent: int | None = None
    cap: int | None = None
    sku: str | None = None
    category: str | None = None
    rule_id: int | None = None


async def _channel_id(session: AsyncSession, code: str, field: tuple[str, ...]) -> int:
    channel_id = await session.scalar(select(Channel.id).where(Channel.code == code))
    if channel_id is None:
        raise DomainError.single(field, ErrorCode.UNKNOWN_CHANNEL, f"unknown channel {code!r}")
    return int(channel_id)


async def set_exposure_rule(
    services: Services, data: ExposureRuleInput, actor: str | None = None
) -> RuleChange:
    async with services.unit_of_work(actor=actor) as uow:
        session = uow.session
        channel_id = await _channel_id(session, data.channel, ("channel",))
        product_id = await _product_id(session, data.sku, ("sku",))
        rules.check_exposure_rule(
            rules.ExposureRule(0, data.channel, data.percent, data.cap, product_id, data.category)
        )
        row = await _existing_or_new(
            session, ChannelExposureRule, data.rule_id, "channel exposure rule"
        )
        row.channel_id, row.product_id, row.category = channel_id, product_id, data.category
        row.percent, row.cap = data.percent, data.cap
        await session.flush()
        await uow.commit()
        return RuleChange(row.id, 0)


@dataclass(frozen=True, slots=True)
class ProtectedRuleInput:
    quantity: int
    tiers: frozenset[rules.CustomerTier]
    sku: str | None = None
    category: str | None = None
    rule_id: int | None = None


async def set_protected_rule(
    services: Services, data: ProtectedRuleInput, actor: str | None = None
) -> RuleChange:
    async with services.unit_of_work(actor=actor) as uow:
        session = uow.session
        product_id = await _product_id(session, data.sku, ("sku",))
        rules.check_protected_rule(
            rules.ProtectedStockRule(0, data.quantity, data.tiers, product_id, data.category)
        )
        row = await _existing_or_new(
            session, ProtectedStockRule, data.rule_id, "protected stock rule"
        )
        row.product_id, row.category, row.quantity = product_id, data.category, data.quantity
        row.tiers = sorted(t.value for t in data.tiers)
        await session.flush()
        await uow.commit()
        return RuleChange(row.id, 0)


async def _existing_or_new(
    session: AsyncSession, model: type[Any], rule_id: int | None, what: str
) -> Any:
    if rule_id is None:
        row = model()
        session.add(row)
        return row
    row = await session.get(model, rule_id)
    if row is None:
        raise DomainError.single(("id",), ErrorCode.NOT_FOUND, f"no such {what}")
    return row


async def delete_exposure_rule(services: Services, rule_id: int) -> None:
    await _delete_rule(services, ChannelExposureRule, rule_id, "channel exposure rule")


async def delete_protected_rule(services: Services, rule_id: int) -> None:
    await _delete_rule(services, ProtectedStockRule, rule_id, "protected stock rule")


async def _delete_rule(services: Services, model: type[Any], rule_id: int, what: str) -> None:
    """Delete an exposure or protected stock rule (they hold no materialised state)."""
    async with services.unit_of_work() as uow:
        deleted = await uow.session.execute(delete(model).where(model.id == rule_id))
        if deleted.rowcount == 0:  # type: ignore[attr-defined]
            raise DomainError.single(("id",), ErrorCode.NOT_FOUND, f"no such {what}")
        await uow.commit()


@dataclass(frozen=True, slots=True)
class ImportSummary:
    safety_stock_rules: int
    exposure_rules: int
    protected_rules: int
    levels_changed: int


async def _codes(session: AsyncSession, model: Any, column: Any, codes: set[str]) -> dict[str, int]:
    if not codes:
        return {}
    rows = await session.execute(select(column, model.id).where(column.in_(codes)))
    return {code: int(ident) for code, ident in rows}


async def import_rules(
    services: Services, document: RulesDocument, actor: str | None = "rules-file"
) -> ImportSummary:
    """Replace every inventory rule with the document's, then re-evaluate all safety stock.

    The file is declarative: what it does not list is removed. Unknown codes refuse the
    whole import, naming each entry, so a typo never silently drops a rule.
    """
    async with services.unit_of_work(actor=actor) as uow:
        await _one_rule_writer(uow)
        session = uow.session
        locations = await _codes(
            session,
            Location,
            Location.code,
            {s.location for s in document.safety_stock if s.location},
        )
        specs: list[SafetyStockSpec | ExposureSpec | ProtectedSpec] = [
            *document.safety_stock,
            *document.channel_exposure,
            *document.protected_stock,
        ]
        skus = {spec.sku for spec in specs if spec.sku}
        products = await _codes(session, Product, Product.sku, skus)
        channels = await _codes(
            session, Channel, Channel.code, {s.channel for s in document.channel_exposure}
        )
        problems = _unknown_codes(document, locations, products, channels)
        if problems:
            raise DomainError(problems)
        await session.execute(update(LEVELS).values(safety_stock_rule_id=None))
        for model in (SafetyStockRule, ChannelExposureRule, ProtectedStockRule):
            await session.execute(delete(model))
        session.add_all(
            SafetyStockRule(
                location_id=locations.get(s.location or ""),
                product_id=products.get(s.sku or ""),
                category=s.category,
                location_type=s.location_type,
                quantity=s.quantity,
                starts_on=s.season.starts_on,
                ends_on=s.season.ends_on,
            )
            for s in document.safety_stock
        )
        session.add_all(
            ChannelExposureRule(
                channel_id=channels[s.channel],
                product_id=products.get(s.sku or ""),
                category=s.category,
                percent=s.percent,
                cap=s.cap,
            )
            for s in document.channel_exposure
        )
        session.add_all(
            ProtectedStockRule(
                product_id=products.get(s.sku or ""),
                category=s.category,
                quantity=s.quantity,
                tiers=sorted(t.value for t in s.tiers),
            )
            for s in document.protected_stock
        )
        await session.flush()
        session.expire_all()
        changed = await recompute_safety_stock(uow, services.clock().date())
        await uow.commit()
    return ImportSummary(
        len(document.safety_stock),
        len(document.channel_exposure),
        len(document.protected_stock),
        changed,
    )


def _unknown_codes(
    document: RulesDocument,
    locations: Mapping[str, int],
    products: Mapping[str, int],
    channels: Mapping[str, int],
) -> list[Problem]:
    """Every code in the document that names nothing in the database, by its path."""
    known = {"location": locations, "sku": products, "channel": channels}
    codes = {
        "location": (ErrorCode.UNKNOWN_LOCATION, "location"),
        "sku": (ErrorCode.UNKNOWN_SKU, "SKU"),
        "channel": (ErrorCode.UNKNOWN_CHANNEL, "channel"),
    }
    sections: dict[str, Sequence[Any]] = {
        "safety_stock": document.safety_stock,
        "channel_exposure": document.channel_exposure,
        "protected_stock": document.protected_stock,
    }
    problems: list[Problem] = []
    for section, specs in sections.items():
        for index, spec in enumerate(specs):
            for field, (code, noun) in codes.items():
                value = getattr(spec, field, None)
                if value and value not in known[field]:
                    problems.append(
                        Problem((section, str(index), field), code, f"unknown {noun} {value!r}")
                    )
    return problems


async def refresh_seasons(services: Services) -> int:
    """Re-evaluate the levels under seasonal rules: run daily, it applies seasons as they turn."""
    async with services.unit_of_work(actor="seasons") as uow:
        await _one_rule_writer(uow)
        seasonal = [
            to_safety_rule(row)
            for row in await uow.session.scalars(
                select(SafetyStockRule).where(
                    or_(
                        SafetyStockRule.starts_on.is_not(None), SafetyStockRule.ends_on.is_not(None)
                    )
                )
            )
        ]
        if not seasonal:
            return 0
        changed = await recompute_safety_stock(uow, services.clock().date(), seasonal)
        await uow.commit()
        return changed


@dataclass(frozen=True, slots=True)
class SellingRules:
    """What limits one channel and customer beyond physical stock, for some products."""

    exposure: Sequence[rules.ExposureRule]
    protected: Sequence[rules.ProtectedStockRule]

    def sellable(
        self,
        channel: str | None,
        product: Product,
        network_available: int,
        tier: rules.CustomerTier,
    ) -> int:
        return self.sellable_of(channel, product.id, product.category, network_available, tier)

    def sellable_of(
        self,
        channel: str | None,
        product_id: int,
        category: str,
        network_available: int,
        tier: rules.CustomerTier,
    ) -> int:
        exposure = (
            rules.exposure_rule_for(self.exposure, channel, product_id, category)
            if channel is not None
            else None
        )
        protected = rules.protected_quantity(self.protected, product_id, category, tier)
        return rules.sellable_to(network_available, exposure, protected)

    def problems(
        self,
        channel: str | None,
        tier: rules.CustomerTier,
        lines: Sequence[LineRequest],
        products: Mapping[str, tuple[int, str]],
        network_available: Mapping[str, int],
    ) -> list[Problem]:
        """The lines beyond what ``channel`` may sell to a customer of ``tier``, each named;
        ``products`` gives each SKU's (id, category)."""
        found = []
        for index, line in enumerate(lines):
            product_id, category = products[line.sku]
            sellable = self.sellable_of(
                channel, product_id, category, network_available.get(line.sku, 0), tier
            )
            if line.quantity > sellable:
                who = channel or "this channel"
                found.append(
                    Problem(
                        ("lines", str(index), "quantity"),
                        ErrorCode.INSUFFICIENT_STOCK,
                        f"{who} can sell {sellable} of {line.sku} to this customer",
                    )
                )
        return found

    @property
    def any(self) -> bool:
        return bool(self.exposure or self.protected)


# Built once (every order capture and availability read runs it): building the OR of two
# IN lists per call cost more CPU than running it.
_PROTECTED_FOR = select(ProtectedStockRule).where(
    or_(
        ProtectedStockRule.product_id.in_(bindparam("ids", expanding=True)),
        ProtectedStockRule.category.in_(bindparam("categories", expanding=True)),
    )
)


async def selling_rules(
    session: AsyncSession,
    channel: str | None,
    products: Iterable[Product],
    *,
    exposure_rows: Sequence[ChannelExposureRule] | None = None,
    protected_rows: Sequence[ProtectedStockRule] | None = None,
) -> SellingRules:
    """The exposure rules of ``channel`` and the protections that touch ``products``.

    ``exposure_rows`` (``channel``'s exposure rules) and ``protected_rows`` (each protection
    of one of ``products`` or of their categories, once) are passed by a caller that read
    them already, as order capture does with the channel and the products; None reads them.
    """
    products = list(products)
    ids = {p.id for p in products}
    categories = {p.category for p in products}
    exposure: list[rules.ExposureRule] = []
    if channel is not None:
        if exposure_rows is None:
            exposure_rows = (
                await session.scalars(
                    select(ChannelExposureRule)
                    .join(Channel, Channel.id == ChannelExposureRule.channel_id)
                    .where(Channel.code == channel)
                )
            ).all()
        exposure = [to_exposure_rule(row, channel) for row in exposure_rows]
    if protected_rows is None:
        protected_rows = (
            await session.scalars(
                _PROTECTED_FOR, {"ids": list(ids), "categories": list(categories)}
            )
        ).all()
    protected = [to_protected_rule(row) for row in protected_rows]
    return SellingRules(exposure, protected)


@dataclass(frozen=True, slots=True)
class RuleListing:
    safety_stock: list[SafetyStockRule]
    channel_exposure: list[tuple[ChannelExposureRule, str, str | None]]
    protected_stock: list[tuple[ProtectedStockRule, str | None]]


async def list_rules(services: Services) -> RuleListing:
    """Every rule, with channel codes and SKUs resolved for display."""
    async with services.db.read_session() as session:
        safety = list(await session.scalars(select(SafetyStockRule).order_by(SafetyStockRule.id)))
        exposure = (
            await session.execute(
                select(ChannelExposureRule, Channel.code, Product.sku)
                .join(Channel, Channel.id == ChannelExposureRule.channel_id)
                .outerjoin(Product, Product.id == ChannelExposureRule.product_id)
                .order_by(ChannelExposureRule.id)
            )
        ).all()
        protected = (
            await session.execute(
                select(ProtectedStockRule, Product.sku)
                .outerjoin(Product, Product.id == ProtectedStockRule.product_id)
                .order_by(ProtectedStockRule.id)
            )
        ).all()
    return RuleListing(
        safety,
        [(row, code, sku) for row, code, sku in exposure],
        [(row, sku) for row, sku in protected],
    )


async def set_customer_tier(services: Services, email: str, tier: rules.CustomerTier) -> Customer:
    """Mark a customer as PRIORITY or B2B (or back to STANDARD); creates the customer if new."""
    if not is_email(email):
        raise DomainError.single(("email",), ErrorCode.INVALID, "a valid email address is required")
    async with services.unit_of_work() as uow:
        address = email.strip().lower()
        customer = await uow.session.scalar(select(Customer).where(Customer.email == address))
        if customer is None:
            customer = Customer(email=address)
            uow.session.add(customer)
        customer.tier = tier.value
        await uow.session.flush()
        await uow.commit()
        return customer


async def customer_tier(session: AsyncSession, email: str | None) -> rules.CustomerTier:
    """A customer's tier by e-mail; anyone unknown (or anonymous) is STANDARD."""
    if not email:
        return rules.CustomerTier.STANDARD
    tier = await session.scalar(
        select(Customer.tier).where(Customer.email == email.strip().lower())
    )
    return rules.CustomerTier(tier) if tier else rules.CustomerTier.STANDARD


async def ruled_and_locked(
    uow: UnitOfWork,
    channel: str | None,
    products: Iterable[Product],
    *,
    exposure_rows: Sequence[ChannelExposureRule] | None = None,
    protected_rows: Sequence[ProtectedStockRule] | None = None,
) -> SellingRules:
    """The selling rules for ``products``; on PostgreSQL, with those products locked.

    Call it before reading stock: a concurrent order of the same products then waits here
    and reads the stock this one leaves, so a protected or exposed quantity is never sold
    twice. SQLite's single writer already serialises them. ``exposure_rows`` and
    ``protected_rows`` as for ``selling_rules``.
    """
    products = list(products)
    limits = await selling_rules(
        uow.session,
        channel,
        products,
        exposure_rows=exposure_rows,
        protected_rows=protected_rows,
    )
    if limits.any and not uow.is_sqlite:
        await uow.session.execute(
            select(Product.id).where(Product.id.in_([p.id for p in products])).with_for_update()
        )
    return limits


async def check_sellable(
    uow: UnitOfWork,
    limits: SellingRules,
    channel: str | None,
    customer_email: str | None,
    lines: Sequence[LineRequest],
    products: Mapping[str, Product],
    network_available: Mapping[str, int],
) -> None:
    """Refuse lines beyond what ``channel`` may sell to the customer, naming each line."""
    if not limits.any:
        return
    tier = await customer_tier(uow.session, customer_email)
    facts = {sku: (product.id, product.category) for sku, product in products.items()}
    problems = limits.problems(channel, tier, lines, facts, network_available)
    if problems:
        raise DomainError(problems)


async def channel_exists(session: AsyncSession, code: str) -> bool:
    return await session.scalar(select(Channel.id).where(Channel.code == code)) is not None
