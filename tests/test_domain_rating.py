from __future__ import annotations

import pytest

from omnigraph.domain.rating import RateTable, ServiceTariff, us_ground_and_express


def test_price_grows_with_distance_and_weight():
    table = us_ground_and_express()
    near_light = table.quote("GROUND", 50, 500)
    far_light = table.quote("GROUND", 2000, 500)
    near_heavy = table.quote("GROUND", 50, 9_500)
    assert near_light and far_light and near_heavy
    assert far_light.price > near_light.price
    assert near_heavy.price > near_light.price
    assert near_heavy.billable_kg == 10
    assert far_light.transit_business_days > near_light.transit_business_days


def test_no_quote_beyond_the_last_zone_or_the_weight_limit_or_for_unknown_services():
    table = us_ground_and_express()
    assert table.quote("GROUND", 9000, 500) is None
    assert table.quote("GROUND", 100, 70_000) is None
    assert table.quote("TELEPORT", 100, 500) is None


def test_local_courier_has_its_own_reach():
    table = us_ground_and_express()
    assert table.quote("LOCAL_COURIER", 30, 1000) is not None
    assert table.quote("LOCAL_COURIER", 200, 1000) is None


def test_tables_must_have_one_value_per_zone():
    with pytest.raises(ValueError, match="one value per zone"):
        RateTable("USD", (100, 200), {"X": ServiceTariff("X", (1,), (1, 2), (1, 2))})
