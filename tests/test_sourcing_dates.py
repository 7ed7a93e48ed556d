"""Arrival dates memoised within one decision agree with computing them per location."""

from __future__ import annotations

from datetime import time

import pytest

from omnigraph.domain.calendar import LocationSchedule
from omnigraph.domain.promise import Window, collection_window, shipping_window
from omnigraph.domain.rating import us_ground_and_express
from omnigraph.domain.sourcing import MethodPolicy, Reason, SourcingRules
from omnigraph.domain.vocabulary import DeliveryMethod
from tests.test_sourcing_builders import NOW, SCHEDULE, loc, run

RATES = us_ground_and_express()
SERVICE = {DeliveryMethod.SHIP_STANDARD: "GROUND", DeliveryMethod.SHIP_EXPRESS: "EXPRESS"}
# Equal to SCHEDULE but another object; one with an earlier cut-off (past it at NOW);
# one in another zone; one that never opens.
TWIN = LocationSchedule(
    SCHEDULE.timezone, dict(SCHEDULE.hours), SCHEDULE.holidays, SCHEDULE.cutoff, SCHEDULE.processing
)
EARLY = LocationSchedule(
    SCHEDULE.timezone, SCHEDULE.hours, SCHEDULE.holidays, time(8, 30), SCHEDULE.processing
)
EAST = LocationSchedule("America/New_York", SCHEDULE.hours, cutoff=time(9, 0))
NEVER = LocationSchedule("America/Chicago", {})
SCHEDULES = (SCHEDULE, TWIN, EARLY, EAST, NEVER, SCHEDULE, EARLY)


def expected(method: DeliveryMethod, schedule: LocationSchedule, km: float) -> Window:
    if method is DeliveryMethod.PICKUP:
        return collection_window(schedule, NOW)
    quote = RATES.quote(SERVICE[method], km, 0)
    assert quote is not None
    return shipping_window(method, schedule, NOW, quote.transit_business_days)


@pytest.mark.parametrize(
    "method",
    [DeliveryMethod.SHIP_STANDARD, DeliveryMethod.SHIP_EXPRESS, DeliveryMethod.PICKUP],
)
def test_every_location_gets_its_own_schedules_dates(method: DeliveryMethod) -> None:
    distances = (5.0, 100.0, 300.0, 1000.0, 2000.0, 60.0, 700.0)
    candidates = [
        loc(index + 1, km, {"A": 1}, schedule=schedule)
        for index, (km, schedule) in enumerate(zip(distances, SCHEDULES, strict=True))
    ]
    rules = SourcingRules(methods={method: MethodPolicy(promise_business_days=None)})
    result = run(candidates, rules=rules, method=method)
    verdicts = {v.location_id: v for v in result.explanation.candidates}
    for index, (km, schedule) in enumerate(zip(distances, SCHEDULES, strict=True)):
        verdict = verdicts[index + 1]
        if schedule is NEVER:
            assert verdict.reason is Reason.CLOSED
            continue
        assert verdict.reason is None
        assert verdict.arrives_on == expected(method, schedule, km).earliest
