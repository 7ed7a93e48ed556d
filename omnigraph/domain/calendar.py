"""Working time at a location: opening hours, holidays, cut-off and processing time."""

from __future__ import annotations

import functools
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
# Looking further ahead than this for an open day means the schedule is never open.
_MAX_DAYS_AHEAD = 60


def parse_clock(value: str) -> time:
    """``HH:MM``; "24:00" (open until midnight) is the day's last minute, 23:59: every time a
    schedule holds is a whole minute, which promises rely on (``ready_at``)."""
    hours, minutes = value.split(":")
    if hours == "24" and minutes == "00":
        return time(23, 59)
    return time(int(hours), int(minutes))


def whole_minute_after(moment: datetime) -> datetime:
    """``moment`` rounded up to the whole minute."""
    if moment.second == 0 and moment.microsecond == 0:
        return moment
    return moment.replace(second=0, microsecond=0) + timedelta(minutes=1)


@functools.cache
def zone_named(key: str) -> ZoneInfo:
    """The time zone ``key``, kept for good: ``ZoneInfo``'s own cache holds only the eight
    most recent zones strongly, and a network spread over more reloads them from disk."""
    return ZoneInfo(key)


# zone key -> [start, end) in UTC of the local day last asked for: an order asks for the
# same few days again and again, and each conversion through the zone costs microseconds.
_LOCAL_DAYS: dict[str, tuple[datetime, datetime]] = {}


def local_day_start(zone: ZoneInfo, now: datetime) -> datetime:
    """The UTC instant the local day of ``now`` began in ``zone``: its midnight, or where
    a clock change skips midnight, the first instant of the day."""
    known = _LOCAL_DAYS.get(zone.key)
    if known is not None and known[0] <= now < known[1]:
        return known[0]
    day = now.astimezone(zone).date()
    start = datetime.combine(day, time.min, tzinfo=zone).astimezone(UTC)
    # The next day's start is the first instant whose local date is the next day, so every
    # instant before it (and from ``start`` on) is on ``day``.
    end = datetime.combine(day + timedelta(days=1), time.min, tzinfo=zone).astimezone(UTC)
    _LOCAL_DAYS[zone.key] = (start, end)
    return start


# Dates worked out for a schedule value and a minute (``LocationSchedule._minute_key``):
# every decision of that minute asks the same of the same few schedules. Emptied past
# this many answers.
_KEPT_DATES: dict[tuple[object, ...], date | datetime] = {}
_MAX_KEPT_DATES = 4096


def _keep(key: tuple[object, ...] | None, answer: date | datetime) -> None:
    if key is None:
        return
    if len(_KEPT_DATES) >= _MAX_KEPT_DATES:
        _KEPT_DATES.clear()
    _KEPT_DATES[key] = answer


class ScheduleValue:
    """A schedule's value as a dictionary key, hashed once: schedules are frozen, many
    locations share the same hours, and a decision memoises dates per value."""

    __slots__ = ("_hash", "value")

    def __init__(self, value: tuple[object, ...]) -> None:
        self.value = value
        self._hash = hash(value)

    def __hash__(self) -> int:
        return self._hash

    def __eq__(self, other: object) -> bool:
        return (
            isinstance(other, ScheduleValue)
            and self._hash == other._hash
            and self.value == other.value
        )


def _check_whole_minutes(
    hours: Mapping[int, tuple[tuple[time, time], ...]], cutoff: time, processing: timedelta
) -> None:
    # Promises reuse a decision within the minute it was made in: that holds only while
    # nothing a decision compares against falls inside a minute.
    clocks = [cutoff, *(moment for day in hours.values() for pair in day for moment in pair)]
    if any(clock.second or clock.microsecond for clock in clocks):
        raise ValueError("opening hours and cut-offs are whole minutes")
    if processing % timedelta(minutes=1):
        raise ValueError("processing time is a whole number of minutes")


def _joined(
    hours: Mapping[int, tuple[tuple[time, time], ...]],
) -> dict[int, tuple[tuple[time, time], ...]]:
    """Each day's intervals in order, overlapping or touching ones joined, empty ones
    dropped: working time in an overlap is counted once."""
    joined: dict[int, tuple[tuple[time, time], ...]] = {}
    for day, intervals in hours.items():
        merged: list[tuple[time, time]] = []
        for start, end in sorted(pair for pair in intervals if pair[0] < pair[1]):
            if merged and start <= merged[-1][1]:
                merged[-1] = (merged[-1][0], max(merged[-1][1], end))
            else:
                merged.append((start, end))
        if merged:
            joined[day] = tuple(merged)
    return joined


@dataclass(frozen=True, slots=True)
class LocationSchedule:
    """When a location works, in its own time zone.

    ``hours`` maps a weekday (0 = Monday) to open intervals; a weekday missing from it is
    closed. ``cutoff`` is the latest local time an order can arrive and still leave today.
    Every time is a whole minute (``ValueError`` otherwise); a day's intervals are kept in
    order, overlapping or touching ones joined, empty ones dropped.
    """

    timezone: str
    hours: Mapping[int, tuple[tuple[time, time], ...]]
    holidays: frozenset[date] = field(default_factory=frozenset)
    cutoff: time = time(14, 0)
    processing: timedelta = timedelta(hours=2)
    # The fields above as one key (None: hours that cannot be hashed).
    value: ScheduleValue | None = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        _check_whole_minutes(self.hours, self.cutoff, self.processing)
        object.__setattr__(self, "hours", _joined(self.hours))
        value: ScheduleValue | None
        try:
            value = ScheduleValue(
                (
                    self.timezone,
                    tuple(self.hours.items()),
                    self.holidays,
                    self.cutoff,
                    self.processing,
                )
            )
        except TypeError:
            value = None
        object.__setattr__(self, "value", value)

    @classmethod
    def from_config(
        cls,
        timezone: str,
        opening_hours: Mapping[str, Sequence[Sequence[str]]],
        holidays: Sequence[str] = (),
        cutoff: str = "14:00",
        processing_minutes: int = 120,
    ) -> LocationSchedule:
        hours: dict[int, tuple[tuple[time, time], ...]] = {}
        for day, intervals in opening_hours.items():
            index = WEEKDAYS.index(day.lower()[:3])
            hours[index] = tuple((parse_clock(start), parse_clock(end)) for start, end in intervals)
        return cls(
            timezone=timezone,
            hours=hours,
            holidays=frozenset(date.fromisoformat(d) for d in holidays),
            cutoff=parse_clock(cutoff),
            processing=timedelta(minutes=processing_minutes),
        )

    @property
    def zone(self) -> ZoneInfo:
        return zone_named(self.timezone)

    def is_working_day(self, day: date) -> bool:
        return day not in self.holidays and bool(self.hours.get(day.weekday()))

    def intervals_on(self, day: date) -> list[tuple[datetime, datetime]]:
        if not self.is_working_day(day):
            return []
        zone = self.zone
        return [
            (datetime.combine(day, start, zone), datetime.combine(day, end, zone))
            for start, end in self.hours[day.weekday()]
        ]

    def is_open(self, moment: datetime) -> bool:
        local = moment.astimezone(self.zone)
        return any(start <= local < end for start, end in self.intervals_on(local.date()))

    def next_working_day(self, after: date) -> date:
        day = after + timedelta(days=1)
        for _ in range(_MAX_DAYS_AHEAD):
            if self.is_working_day(day):
                return day
            day += timedelta(days=1)
        raise ValueError("location has no working day in the next two months")

    def add_working_time(self, start: datetime, duration: timedelta) -> datetime:
        """The moment ``duration`` of opening time has passed after ``start`` (local time).

        Counted in UTC: arithmetic on local times is wall-clock arithmetic, which gains an
        hour when clocks go back and loses one when they go forward.
        """
        moment = start.astimezone(UTC)
        remaining = duration
        day = start.astimezone(self.zone).date()
        for _ in range(_MAX_DAYS_AHEAD):
            for open_at, close_at in self.intervals_on(day):
                opens, closes = open_at.astimezone(UTC), close_at.astimezone(UTC)
                begin = max(opens, moment)
                if begin >= closes:
                    continue
                if begin + remaining <= closes:
                    return (begin + remaining).astimezone(self.zone)
                remaining -= closes - begin
            day += timedelta(days=1)
        raise ValueError("location has no opening time in the next two months")

    def ready_at(self, placed: datetime) -> datetime:
        """When goods ordered at ``placed`` are picked and packed, to the whole minute
        (rounded up, so never earlier than the exact time).

        Opening hours, cut-offs and processing times are whole minutes, so whatever a
        promise decides is the same for every moment strictly inside one minute: a cart
        asked about again within it can reuse the decision (``services.decision_memo``),
        and every decision within it the dates (``_minute_key``).
        """
        key = self._minute_key("ready", placed)
        found = _KEPT_DATES.get(key) if key is not None else None
        if found is None:
            ready = self.add_working_time(placed, self.processing).astimezone(UTC)
            found = whole_minute_after(ready).astimezone(self.zone)
            _keep(key, found)
        assert isinstance(found, datetime)
        return found

    def dispatch_day(self, placed: datetime) -> date:
        """The day goods leave with the carrier: today if in before cut-off and ready today."""
        key = self._minute_key("dispatch", placed)
        found = _KEPT_DATES.get(key) if key is not None else None
        if found is None:
            found = self._dispatch_day(placed)
            _keep(key, found)
        assert isinstance(found, date)
        return found

    def _dispatch_day(self, placed: datetime) -> date:
        local = placed.astimezone(self.zone)
        today = local.date()
        if self.is_working_day(today) and local.time() <= self.cutoff:
            ready = self.ready_at(placed).astimezone(self.zone)
            if ready.date() == today:
                return today
        return self.next_working_day(today)

    def _minute_key(self, what: str, placed: datetime) -> tuple[object, ...] | None:
        """What an answer about ``placed`` depends on: this schedule's value and the minute,
        told apart from the minute's first instant (the one moment a cut-off or an opening
        time equals). None for hours that cannot be hashed."""
        if self.value is None:
            return None
        instant = placed.astimezone(UTC)
        minute = instant.replace(second=0, microsecond=0)
        return (what, self.value, minute, minute == instant)


def add_business_days(start: date, days: int) -> date:
    """Carrier days: Monday to Friday (none added when ``days`` is zero or less).

    Whole weeks, then the rest, in one step: every promise window of every candidate asks.
    """
    if days <= 0:
        return start
    weekday = start.weekday()
    if weekday > 4:
        # Counting from a weekend is counting from the Friday before it.
        start -= timedelta(days=weekday - 4)
        weekday = 4
    weeks, rest = divmod(days, 5)
    return start + timedelta(days=7 * weeks + rest + (2 if weekday + rest > 4 else 0))
