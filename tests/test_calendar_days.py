"""``local_day_start`` keeps the last day asked for per zone; it answers as the conversion
through the zone does, whatever order instants come in, across clock changes."""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta

from hypothesis import given
from hypothesis import strategies as st

from omnigraph.domain.calendar import local_day_start, zone_named

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
