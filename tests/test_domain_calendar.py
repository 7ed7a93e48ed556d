from __future__ import annotations

from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given
from hypothesis import strategies as st

from omnigraph.domain.calendar import LocationSchedule, add_business_days

NEW_YORK = ZoneInfo("America/New_York")
STORE = LocationSchedule.from_config(
    timezone="America/New_York",
    opening_hours={
        **{day: [["09:00", "21:00"]] for day in ("mon", "tue", "wed", "thu", "fri", "sat")},
        "sun": [["10:00", "18:00"]],
    },
    holidays=["2026-11-26"],
    cutoff="14:00",
    processing_minutes=120,
)


def local(day: int, hour: int, minute: int = 0) -> datetime:
    return datetime(2026, 11, day, hour, minute, tzinfo=NEW_YORK)


def test_ready_inside_opening_hours():
    assert STORE.ready_at(local(23, 10)) == local(23, 12)


def test_processing_spills_into_the_next_opening():
    # 30 minutes on Monday evening, the other 90 from Tuesday's opening.
    assert STORE.ready_at(local(23, 20, 30)) == local(24, 10, 30)


def test_order_before_opening_starts_at_opening():
    assert STORE.ready_at(local(23, 7)) == local(23, 11)


def test_before_cutoff_and_ready_today_dispatches_today():
    assert STORE.dispatch_day(local(23, 11)) == date(2026, 11, 23)


def test_after_cutoff_dispatches_next_working_day():
    assert STORE.dispatch_day(local(23, 14, 30)) == date(2026, 11, 24)


def test_holidays_are_skipped():
    assert STORE.dispatch_day(local(25, 15)) == date(2026, 11, 27)
    assert not STORE.is_working_day(date(2026, 11, 26))


def test_time_zone_is_the_locations_own():
    # 18:30 UTC is 13:30 in New York: still before the 14:00 cut-off.
    placed = datetime(2026, 11, 23, 18, 30, tzinfo=ZoneInfo("UTC"))
    assert STORE.dispatch_day(placed) == date(2026, 11, 23)


def test_is_open():
    assert STORE.is_open(local(22, 11))  # Sunday 11:00
    assert not STORE.is_open(local(22, 19))  # Sunday 19:00
    assert STORE.cutoff == time(14, 0)


def test_business_days_skip_weekends():
    assert add_business_days(date(2026, 11, 27), 1) == date(2026, 11, 30)  # Friday -> Monday
    assert add_business_days(date(2026, 11, 23), 0) == date(2026, 11, 23)


def _business_days_one_by_one(start: date, days: int) -> date:
    current, added = start, 0
    while added < days:
        current += timedelta(days=1)
        if current.weekday() < 5:
            added += 1
    return current


@given(st.dates(date(2020, 1, 1), date(2030, 12, 31)), st.integers(-3, 40))
def test_business_days_agree_with_counting_them_one_by_one(start: date, days: int):
    assert add_business_days(start, days) == _business_days_one_by_one(start, days)


def test_overlapping_intervals_count_their_shared_time_once():
    lunch_overlap = LocationSchedule.from_config(
        "America/New_York",
        {
            "mon": [["11:00", "12:01"], ["09:00", "12:00"], ["15:00", "15:00"]],
            "tue": [["09:00", "17:00"]],
        },
        processing_minutes=60,
    )
    assert lunch_overlap.hours[0] == ((time(9, 0), time(12, 1)),)
    # Monday 23 November 11:30: 31 minutes left today, the other 29 on Tuesday from 09:00.
    assert lunch_overlap.ready_at(local(23, 11, 30)) == local(24, 9, 29)
    assert lunch_overlap.ready_at(local(23, 11, 30) + timedelta(seconds=45)) == local(24, 9, 30)


@pytest.mark.parametrize(
    "bad",
    [
        {"cutoff": time(14, 0, 30)},
        {"processing": timedelta(minutes=1, seconds=1)},
        {"hours": {0: ((time(9, 0), time(17, 0, 1)),)}},
    ],
)
def test_times_that_are_not_whole_minutes_are_refused(bad):
    fields = {"timezone": "America/New_York", "hours": {0: ((time(9, 0), time(17, 0)),)}}
    with pytest.raises(ValueError, match="whole"):
        LocationSchedule(**{**fields, **bad})


CHICAGO = ZoneInfo("America/Chicago")
ROUND_THE_CLOCK = LocationSchedule.from_config(
    "America/Chicago",
    {day: [["00:00", "24:00"]] for day in ("mon", "tue", "wed", "thu", "fri", "sat", "sun")},
    processing_minutes=120,
)


def test_working_time_is_real_time_when_clocks_go_forward():
    # 8 March 2026: 02:00 CST becomes 03:00 CDT. Two hours from 01:00 CST end at 04:00 CDT.
    start = datetime(2026, 3, 8, 1, 0, tzinfo=CHICAGO)
    utc = ZoneInfo("UTC")
    assert ROUND_THE_CLOCK.ready_at(start).astimezone(utc) - start.astimezone(utc) == timedelta(
        hours=2
    )
    assert ROUND_THE_CLOCK.ready_at(start) == datetime(2026, 3, 8, 4, 0, tzinfo=CHICAGO)


def test_working_time_is_real_time_when_clocks_go_back():
    # 1 November 2026: 02:00 CDT becomes 01:00 CST; the hour from 01:00 is lived twice.
    start = datetime(2026, 11, 1, 6, 30, tzinfo=ZoneInfo("UTC"))  # 01:30 CDT, the first time
    ready = ROUND_THE_CLOCK.ready_at(start)
    assert ready - start == timedelta(hours=2)
    assert ready >= start
