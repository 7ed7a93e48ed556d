"""Dates the calendar keeps between calls answer as working them out again does:
``local_day_start`` (the last day asked for per zone, across clock changes) and a
schedule's ready-by time and dispatch day (per schedule value and minute)."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta

from hypothesis import given
from hypothesis import strategies as st

from omnigraph.domain.calendar import (
    LocationSchedule,
    local_day_start,
    whole_minute_after,
    zone_named,
)
from tests.test_domain_promise import MOMENTS, WEEK_START, schedules

# Zones with clock changes at or around midnight, a skipped day (Apia, 2011-12-30) and
# half-hour changes (Lord Howe), beside the usual ones.
ZONES = (
    "America/Chicago",
    "Europe/London",
    "America/Sao_Paulo",
    "America/Havana",
    "Asia/Gaza",
    "Pacific/Apia",
    "Australia/Lord_Howe",
)
_EPOCH = datetime(1990, 1, 1, tzinfo=UTC)


def converted(zone_key: str, now: datetime) -> datetime:
    zone = zone_named(zone_key)
    return datetime.combine(now.astimezone(zone).date(), time.min, tzinfo=zone).astimezone(UTC)


instants = st.integers(0, 50 * 365 * 24 * 3600).map(lambda s: _EPOCH + timedelta(seconds=s))
near_changes = st.tuples(instants, st.integers(-3 * 3600, 3 * 3600)).map(
    # An instant, then one within three hours of it: the same day, or the one next to it.
    lambda pair: pair[0] + timedelta(seconds=pair[1])
)


@given(st.lists(st.tuples(st.sampled_from(ZONES), instants | near_changes), max_size=30))
def test_the_kept_day_answers_as_the_conversion(asked: list[tuple[str, datetime]]) -> None:
    for zone_key, now in asked:
        assert local_day_start(zone_named(zone_key), now) == converted(zone_key, now)


def test_every_hour_around_the_clock_changes() -> None:
    for zone_key in ZONES:
        zone = zone_named(zone_key)
        for year in (2011, 2024):
            now = datetime(year, 1, 1, tzinfo=UTC)
            while now.year == year:
                assert local_day_start(zone, now) == converted(zone_key, now), (zone_key, now)
                now += timedelta(minutes=30)


def ready_worked_out(schedule: LocationSchedule, placed: datetime) -> datetime:
    ready = schedule.add_working_time(placed, schedule.processing).astimezone(UTC)
    return whole_minute_after(ready).astimezone(schedule.zone)


def dispatch_worked_out(schedule: LocationSchedule, placed: datetime) -> date:
    local = placed.astimezone(schedule.zone)
    today = local.date()
    ready_today = (
        schedule.is_working_day(today)
        and local.time() <= schedule.cutoff
        and ready_worked_out(schedule, placed).date() == today
    )
    return today if ready_today else schedule.next_working_day(today)


# Whole minutes of the test week, and moments inside them: cut-offs and opening times
# fall on the former.
on_the_minute = st.integers(0, 7 * 24 * 60).map(lambda m: WEEK_START + timedelta(minutes=m))
kept_moments = on_the_minute | MOMENTS | on_the_minute.map(lambda m: m + timedelta(seconds=59))


@given(st.lists(st.tuples(schedules(), kept_moments), min_size=1, max_size=20))
def test_kept_dates_are_the_dates_worked_out(
    asked: list[tuple[LocationSchedule, datetime]],
) -> None:
    for schedule, placed in asked:
        assert schedule.ready_at(placed) == ready_worked_out(schedule, placed)
        assert schedule.dispatch_day(placed) == dispatch_worked_out(schedule, placed)


def test_the_first_instant_of_a_minute_is_kept_apart_from_the_rest_of_it() -> None:
    schedule = LocationSchedule.from_config(
        "America/Chicago", {"wed": [["09:00", "18:00"]]}, cutoff="14:00"
    )
    wednesday = date(2026, 3, 4)
    at_cutoff = datetime.combine(wednesday, time(14, 0), zone_named("America/Chicago"))
    just_after = at_cutoff + timedelta(microseconds=1)
    assert schedule.dispatch_day(just_after) == date(2026, 3, 11)  # past the cut-off
    assert schedule.dispatch_day(at_cutoff) == wednesday  # in at the cut-off itself
    assert schedule.dispatch_day(just_after) == date(2026, 3, 11)
