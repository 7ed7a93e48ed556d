"""Where products sit at a location (a bin or an aisle), for pick lists."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from sqlalchemy import delete, select
from sqlalchemy.exc import IntegrityError

from omnigraph.db.models import Location, Product, ProductBin
from omnigraph.domain.errors import DomainError, ErrorCode, Problem

if TYPE_CHECKING:
    from omnigraph.services.core import Services

MAX_BIN_LENGTH = 40


@dataclass(frozen=True, slots=True)
class BinView:
    location_id: int
    sku: str
    bin: str | None


def _checked_bin(value: str | None) -> str | None:
    if value is None:
        return None
    cleaned = " ".join(value.split())
    if not cleaned or len(cleaned) > MAX_BIN_LENGTH:
        raise DomainError.single(
            ("bin",),
            ErrorCode.INVALID,
            f"a bin is 1 to {MAX_BIN_LENGTH} characters (null clears it)",
        )
    return cleaned


async def set_bin(
    services: Services, location_id: int, sku: str, bin_: str | None, actor: str | None = None
) -> BinView:
    """Record (or, with ``None``, forget) where ``sku`` sits at a location. Setting the same
    bin again changes nothing; two writers racing for a new row end with the last one's."""
    value = _checked_bin(bin_)
    for _ in range(2):
        try:
            return await _set(services, location_id, sku, value, actor)
        except IntegrityError:
            continue  # a concurrent first write won; the second pass updates its row
    raise RuntimeError("product bin kept conflicting")


async def _set(
    services: Services, location_id: int, sku: str, value: str | None, actor: str | None
) -> BinView:
    async with services.unit_of_work(actor=actor) as uow:
        session = uow.session
        location = await session.get(Location, location_id)
        product = await session.scalar(select(Product).where(Product.sku == sku))
        problems = []
        if location is None:
            problems.append(
                Problem(("locationId",), ErrorCode.UNKNOWN_LOCATION, "unknown location")
            )
        if product is None:
            problems.append(Problem(("sku",), ErrorCode.UNKNOWN_SKU, f"unknown SKU {sku!r}"))
        if location is None or product is None:
            raise DomainError(problems)
        where = (ProductBin.location_id == location.id, ProductBin.product_id == product.id)
        if value is None:
            await session.execute(delete(ProductBin).where(*where))
        else:
            row = await session.scalar(select(ProductBin).where(*where))
            if row is None:
                session.add(
                    ProductBin(
                        location_id=location.id,
                        product_id=product.id,
                        bin=value,
                        updated_at=uow.now(),
                    )
                )
            elif row.bin != value:
                row.bin = value
                row.updated_at = uow.now()
        await session.flush()
        await uow.commit()
        return BinView(location.id, product.sku, value)
