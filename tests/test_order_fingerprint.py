"""An order's request fingerprint is stored with it, so its digest never changes."""

from __future__ import annotations

import hashlib
import json
from dataclasses import asdict, replace

from hypothesis import given, settings
from hypothesis import strategies as st

from omnigraph.domain.orders import Address, CustomerDetails, LineRequest, OrderRequest
from omnigraph.domain.vocabulary import DeliveryMethod, PaymentStatus
from omnigraph.services.orders import fingerprint, stored_fingerprint

# Frozen here on purpose: a change to the service's list would change stored digests.
_LATER_FIELDS = {
    "reservation_id": None,
    "requested_date": None,
    "payment_status": PaymentStatus.AUTHORIZED,
    "carried_out": False,
}


def digest_as_first_stored(request: OrderRequest) -> str:
    """The digest as orders stored it from the start: ``asdict`` turned into sorted JSON."""
    payload = asdict(request)
    payload.pop("idempotency_key", None)
    for later, default in _LATER_FIELDS.items():
        if payload.get(later) == default:
            payload.pop(later, None)
    return hashlib.sha256(json.dumps(payload, sort_keys=True, default=str).encode()).hexdigest()


_text = st.text(max_size=6)
_maybe_text = st.none() | _text
addresses = st.builds(
    Address,
    name=_text,
    line1=_text,
    city=_text,
    postal_code=_text,
    country=_text,
    line2=_maybe_text,
    region=_maybe_text,
    latitude=st.none() | st.floats(-90, 90),
    longitude=st.none() | st.floats(-180, 180),
    phone=_maybe_text,
)
requests = st.builds(
    OrderRequest,
    channel=_text,
    method=st.sampled_from(DeliveryMethod),
    lines=st.lists(st.builds(LineRequest, sku=_text, quantity=st.integers(1, 9)), max_size=3)
    | st.tuples(st.builds(LineRequest, sku=_text, quantity=st.integers(1, 9))),
    customer=st.builds(CustomerDetails, email=_text, name=_maybe_text, phone=_maybe_text),
    shipping_address=st.none() | addresses,
    pickup_location_id=st.none() | st.integers(1, 99),
    idempotency_key=_maybe_text,
    external_reference=_maybe_text,
    reservation_id=st.none() | st.integers(1, 99),
    requested_date=st.none() | st.dates(),
    payment_status=st.sampled_from(PaymentStatus),
    carried_out=st.booleans(),
)


@settings(max_examples=200, deadline=None)
@given(request=requests)
def test_the_fingerprint_is_the_digest_orders_were_stored_with(request: OrderRequest) -> None:
    assert fingerprint(request) == digest_as_first_stored(request)


def test_the_idempotency_key_is_not_part_of_the_fingerprint() -> None:
    def checkout(quantity: int, key: str) -> OrderRequest:
        return OrderRequest(
            "WEB",
            DeliveryMethod.SHIP_STANDARD,
            [LineRequest("A", quantity)],
            CustomerDetails("a@example.com"),
            idempotency_key=key,
        )

    assert fingerprint(checkout(1, "k1")) == fingerprint(checkout(1, "k2"))
    assert fingerprint(checkout(1, "k1")) != fingerprint(checkout(2, "k1"))


def test_an_order_keeps_a_fingerprint_only_when_a_retry_can_be_compared_with_it() -> None:
    keyed = OrderRequest(
        "WEB",
        DeliveryMethod.SHIP_STANDARD,
        [LineRequest("A", 1)],
        CustomerDetails("a@example.com"),
        idempotency_key="k1",
    )
    assert stored_fingerprint(keyed) == fingerprint(keyed)
    assert stored_fingerprint(replace(keyed, idempotency_key=None)) is None
