from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from omnigraph.domain.errors import DomainError, ErrorCode
from omnigraph.domain.inventory import StockLevel, check_manual_reason, plan_adjustment, plan_set
from omnigraph.domain.vocabulary import InventoryBucket

quantities = st.integers(min_value=0, max_value=10_000)


@given(quantities, quantities, quantities, quantities, quantities)
def test_available_is_on_hand_minus_every_hold_and_never_negative(
    on_hand, committed, reserved, safety, damaged
):
    level = StockLevel(
        on_hand=on_hand,
        committed=committed,
        reserved=reserved,
        safety_stock=safety,
        damaged=damaged,
    )
    assert level.raw_available == on_hand - committed - reserved - safety - damaged
    assert level.available == max(0, level.raw_available)
    assert level.available >= 0


def test_adjustment_adds_to_the_named_bucket_only():
    level = StockLevel(on_hand=10, committed=3, damaged=1)
    after = plan_adjustment(level, InventoryBucket.DAMAGED, 2)
    assert (after.on_hand, after.committed, after.damaged) == (10, 3, 3)
    assert after.available == 10 - 3 - 3


def test_adjustment_below_zero_is_refused_with_negative_stock():
    with pytest.raises(DomainError) as caught:
        plan_adjustment(StockLevel(on_hand=2), InventoryBucket.ON_HAND, -3)
    assert caught.value.code is ErrorCode.NEGATIVE_STOCK
    assert caught.value.problems[0].field == ("delta",)


def test_zero_delta_is_refused():
    with pytest.raises(DomainError) as caught:
        plan_adjustment(StockLevel(on_hand=2), InventoryBucket.ON_HAND, 0)
    assert caught.value.code is ErrorCode.INVALID_QUANTITY


@pytest.mark.parametrize("bucket", [InventoryBucket.COMMITTED, InventoryBucket.RESERVED])
def test_committed_and_reserved_cannot_be_hand_edited(bucket):
    with pytest.raises(DomainError) as caught:
        plan_adjustment(StockLevel(on_hand=5), bucket, 1)
    assert caught.value.problems[0].field == ("bucket",)
    with pytest.raises(DomainError):
        plan_set(StockLevel(on_hand=5), bucket, 1)


@given(quantities, quantities)
def test_set_returns_the_delta_that_reaches_the_count(current, counted):
    after, delta = plan_set(StockLevel(on_hand=current), InventoryBucket.ON_HAND, counted)
    assert after.on_hand == counted
    assert current + delta == counted


def test_set_to_a_negative_count_is_refused():
    with pytest.raises(DomainError) as caught:
        plan_set(StockLevel(on_hand=5), InventoryBucket.ON_HAND, -1)
    assert caught.value.code is ErrorCode.NEGATIVE_STOCK


@pytest.mark.parametrize("reason", ["COMMIT", "RELEASE", "RESERVATION"])
def test_system_reasons_are_not_for_manual_movements(reason):
    with pytest.raises(DomainError) as caught:
        check_manual_reason(reason)
    assert caught.value.problems[0].field == ("reason",)


def test_manual_reasons_pass():
    check_manual_reason("RECEIPT")
    check_manual_reason("DAMAGE")
