"""Admin use cases for sourcing rules: per channel and method policies, channel exclusions,
the margin rule, and importing them from a rules file.

Every change is validated in full before anything is written: a refused change leaves the
rules as they were. Problems name the input field the caller sent (``maxPackages``).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import TYPE_CHECKING

from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncSession

from omnigraph.db.models import (
    Channel,
    Location,
    SourcingExclusion,
    SourcingMarginRule,
    SourcingMethodRule,
)
from omnigraph.db.models.sourcing import ALL_CHANNELS
from omnigraph.domain.errors import DomainError, ErrorCode, Problem
from omnigraph.domain.money import Money
from omnigraph.domain.sourcing.file import (
    SourcingExclusionSpec,
    SourcingMarginSpec,
    SourcingSpec,
)
from omnigraph.domain.sourcing.rules import MarginRule, margin_problems
from omnigraph.domain.vocabulary import DeliveryMethod, LocationType

if TYPE_CHECKING:
    from omnigraph.services.core import Services

# Domain field names as the GraphQL inputs spell them.
_API_NAMES = {
    "max_distance_km": "maxDistanceKm",
    "min_stock": "minStock",
    "promise_business_days": "promiseBusinessDays",
    "max_packages": "maxPackages",
    "split_penalty": "splitPenalty",
    "allow_backorder": "allowBackorder",
}


# One method's policy as ``set_method_rule`` takes it: the same values a rules file's
# ``[[sourcing]]`` table holds, so both paths check and store them alike.
MethodRuleInput = SourcingSpec


@dataclass(frozen=True, slots=True)
class SourcingRuleSet:
    """Every stored sourcing rule, for the admin query."""

    methods: tuple[SourcingMethodRule, ...]
    exclusions: tuple[SourcingExclusion, ...]
    margin: SourcingMarginRule | None


def _renamed(error: DomainError, names: Mapping[str, str]) -> DomainError:
    return DomainError(
        [
            Problem(tuple(names.get(part, part) for part in p.field), p.code, p.message)
            for p in error.problems
        ]
    )


def _check_policy(data: MethodRuleInput, currency: str, names: Mapping[str, str]) -> None:
    try:
        data.policy(currency)
    except DomainError as error:
        raise _renamed(error, names) from None


async def _known_channels(session: AsyncSession, codes: set[str]) -> set[str]:
    if not codes:
        return set()
    return set(await session.scalars(select(Channel.code).where(Channel.code.in_(codes))))


async def _check_channel(session: AsyncSession, channel: str | None) -> str:
    if channel is None:
        return ALL_CHANNELS
    if not await _known_channels(session, {channel}):
        raise DomainError.single(
            ("channel",), ErrorCode.UNKNOWN_CHANNEL, f"unknown channel {channel!r}"
        )
    return channel


def _fill(row: SourcingMethodRule, data: MethodRuleInput, currency: str, now: datetime) -> None:
    row.max_distance_km = data.max_distance_km
    row.min_stock = dict(data.min_stock)
    row.promise_business_days = data.promise_business_days
    row.max_packages = data.max_packages
    row.split_penalty_minor = (
        None
        if data.split_penalty is None
        else Money.from_decimal(data.split_penalty, currency).minor
    )
    row.allow_backorder = data.allow_backorder
    row.updated_at = now


async def set_method_rule(
    services: Services, data: MethodRuleInput, actor: str | None = None
) -> SourcingMethodRule:
    """Create or replace the policy for (channel, method)."""
    currency = services.settings.default_currency
    _check_policy(data, currency, _API_NAMES)
    async with services.unit_of_work(actor=actor) as uow:
        session = uow.session
        channel = await _check_channel(session, data.channel)
        row = await session.scalar(
            select(SourcingMethodRule).where(
                SourcingMethodRule.channel == channel,
                SourcingMethodRule.method == data.method.value,
            )
        )
        if row is None:
            row = SourcingMethodRule(channel=channel, method=data.method.value)
            session.add(row)
        _fill(row, data, currency, services.clock())
        await session.flush()
        await uow.commit()
        services.stored_rules.invalidate()
        return row


async def delete_method_rule(
    services: Services, method: DeliveryMethod, channel: str | None, actor: str | None = None
) -> None:
    """Remove the policy for (channel, method); the defaults apply again."""
    async with services.unit_of_work(actor=actor) as uow:
        result = await uow.session.execute(
            delete(SourcingMethodRule).where(
                SourcingMethodRule.channel == (channel or ALL_CHANNELS),
                SourcingMethodRule.method == method.value,
            )
        )
        if not result.rowcount:  # type: ignore[attr-defined]
            who = channel or "every channel"
            raise DomainError.single(
                ("method",), ErrorCode.NOT_FOUND, f"no {method.value} rule for {who}"
            )
        await uow.commit()
        services.stored_rules.invalidate()


async def set_exclusions(
    services: Services,
    channel: str,
    location_ids: Sequence[int],
    location_types: Sequence[LocationType],
    actor: str | None = None,
) -> SourcingExclusion | None:
    """Replace what one channel may not be sourced from; both lists empty removes it."""
    async with services.unit_of_work(actor=actor) as uow:
        session = uow.session
        await _check_channel(session, channel)
        wanted = sorted(set(location_ids))
        found = set(await session.scalars(select(Location.id).where(Location.id.in_(wanted))))
        missing = [lid for lid in wanted if lid not in found]
        if missing:
            raise DomainError.single(
                ("locationIds",),
                ErrorCode.UNKNOWN_LOCATION,
                f"unknown location id(s): {', '.join(map(str, missing))}",
            )
        row = await session.scalar(
            select(SourcingExclusion).where(SourcingExclusion.channel == channel)
        )
        if not wanted and not location_types:
            if row is not None:
                await session.delete(row)
            await uow.commit()
            services.stored_rules.invalidate()
            return None
        if row is None:
            row = SourcingExclusion(channel=channel)
            session.add(row)
        row.location_ids = wanted
        row.location_types = sorted({t.value for t in location_types})
        row.updated_at = services.clock()
        await session.flush()
        await uow.commit()
        services.stored_rules.invalidate()
        return row


def _margin(
    threshold: Decimal, prefer: LocationType, over: LocationType, currency: str
) -> MarginRule:
    margin = MarginRule(Money.from_decimal(threshold, currency), prefer, over)
    problems = margin_problems(margin, currency)
    if problems:
        raise DomainError(problems)
    return margin


async def set_margin_rule(
    services: Services,
    threshold: Decimal,
    prefer: LocationType = LocationType.DC,
    over: LocationType = LocationType.STORE,
    actor: str | None = None,
) -> SourcingMarginRule:
    """Replace the margin rule (there is at most one)."""
    margin = _margin(threshold, prefer, over, services.settings.default_currency)
    async with services.unit_of_work(actor=actor) as uow:
        session = uow.session
        await session.execute(delete(SourcingMarginRule))
        row = SourcingMarginRule(
            threshold_minor=margin.threshold.minor,
            prefer=prefer.value,
            over=over.value,
            updated_at=services.clock(),
        )
        session.add(row)
        await session.flush()
        await uow.commit()
        services.stored_rules.invalidate()
        return row


async def delete_margin_rule(services: Services, actor: str | None = None) -> None:
    async with services.unit_of_work(actor=actor) as uow:
        result = await uow.session.execute(delete(SourcingMarginRule))
        if not result.rowcount:  # type: ignore[attr-defined]
            raise DomainError.single((), ErrorCode.NOT_FOUND, "there is no margin rule")
        await uow.commit()
        services.stored_rules.invalidate()


async def sourcing_rule_set(services: Services) -> SourcingRuleSet:
    async with services.db.read_session() as session:
        methods = await session.scalars(
            select(SourcingMethodRule).order_by(
                SourcingMethodRule.channel, SourcingMethodRule.method
            )
        )
        exclusions = await session.scalars(
            select(SourcingExclusion).order_by(SourcingExclusion.channel)
        )
        margin = await session.scalar(select(SourcingMarginRule))
        return SourcingRuleSet(tuple(methods), tuple(exclusions), margin)


@dataclass(frozen=True, slots=True)
class SourcingImport:
    method_rules: int
    exclusions: int
    margin: bool


async def check_import_codes(
    services: Services,
    sourcing: Sequence[SourcingSpec],
    exclusions: Sequence[SourcingExclusionSpec],
) -> None:
    """Refuse a file naming channels or locations that do not exist, naming each entry."""
    async with services.db.read_session() as session:
        await resolve_codes(session, sourcing, exclusions)


async def resolve_codes(
    session: AsyncSession,
    sourcing: Sequence[SourcingSpec],
    exclusions: Sequence[SourcingExclusionSpec],
) -> dict[str, int]:
    channels = await _known_channels(
        session,
        {s.channel for s in sourcing if s.channel} | {e.channel for e in exclusions},
    )
    codes = {code for e in exclusions for code in e.locations}
    locations = (
        {
            code: lid
            for code, lid in await session.execute(
                select(Location.code, Location.id).where(Location.code.in_(codes))
            )
        }
        if codes
        else {}
    )
    problems: list[Problem] = []
    for index, spec in enumerate(sourcing):
        if spec.channel and spec.channel not in channels:
            problems.append(
                Problem(
                    ("sourcing", str(index), "channel"),
                    ErrorCode.UNKNOWN_CHANNEL,
                    f"unknown channel {spec.channel!r}",
                )
            )
    for index, exclusion in enumerate(exclusions):
        path = ("sourcing_exclusion", str(index))
        if exclusion.channel not in channels:
            problems.append(
                Problem(
                    (*path, "channel"),
                    ErrorCode.UNKNOWN_CHANNEL,
                    f"unknown channel {exclusion.channel!r}",
                )
            )
        for code in exclusion.locations:
            if code not in locations:
                problems.append(
                    Problem(
                        (*path, "locations"),
                        ErrorCode.UNKNOWN_LOCATION,
                        f"unknown location {code!r}",
                    )
                )
    if problems:
        raise DomainError(problems)
    return locations


async def import_sourcing_rules(
    services: Services,
    sourcing: Sequence[SourcingSpec],
    exclusions: Sequence[SourcingExclusionSpec],
    margin: SourcingMarginSpec | None,
    actor: str | None = "rules-file",
) -> SourcingImport:
    """Replace every sourcing rule with the file's, in one transaction.

    Declarative like the rest of the rules file: rules it does not list are removed.
    """
    currency = services.settings.default_currency
    for index, spec in enumerate(sourcing):
        try:
            _check_policy(spec, currency, {})
        except DomainError as error:
            raise DomainError(
                [
                    Problem(("sourcing", str(index), *p.field), p.code, p.message)
                    for p in error.problems
                ]
            ) from None
    checked_margin = (
        None if margin is None else _margin(margin.threshold, margin.prefer, margin.over, currency)
    )
    now = services.clock()
    async with services.unit_of_work(actor=actor) as uow:
        session = uow.session
        locations = await resolve_codes(session, sourcing, exclusions)
        for model in (SourcingMethodRule, SourcingExclusion, SourcingMarginRule):
            await session.execute(delete(model))
        for spec in sourcing:
            row = SourcingMethodRule(channel=spec.channel or ALL_CHANNELS, method=spec.method.value)
            _fill(row, spec, currency, now)
            session.add(row)
        session.add_all(
            SourcingExclusion(
                channel=e.channel,
                location_ids=sorted({locations[code] for code in e.locations}),
                location_types=sorted({t.value for t in e.location_types}),
                updated_at=now,
            )
            for e in exclusions
        )
        if checked_margin is not None:
            session.add(
                SourcingMarginRule(
                    threshold_minor=checked_margin.threshold.minor,
                    prefer=checked_margin.prefer.value,
                    over=checked_margin.over.value,
                    updated_at=now,
                )
            )
        await session.flush()
        await uow.commit()
        services.stored_rules.invalidate()
    return SourcingImport(len(sourcing), len(exclusions), checked_margin is not None)
