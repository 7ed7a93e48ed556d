"""Waiting for outbox ids that commit late, and giving up on ids that never come."""

from __future__ import annotations

from omnigraph.events.gaps import IdGaps


class FakeClock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def test_a_consumer_stops_before_a_fresh_gap_and_passes_it_after_the_grace() -> None:
    clock = FakeClock()
    gaps = IdGaps(grace_seconds=5, clock=clock)
    assert gaps.safe_position(0, [1, 2, 4, 5]) == 2
    assert gaps.seconds_to_next_deadline() == 5
    clock.now += 4.9
    assert gaps.safe_position(2, [4, 5]) == 2
    clock.now += 0.2
    assert gaps.safe_position(2, [4, 5]) == 5
    assert gaps.seconds_to_next_deadline() is None


def test_the_late_event_is_delivered_when_it_commits_inside_the_grace() -> None:
    clock = FakeClock()
    gaps = IdGaps(grace_seconds=5, clock=clock)
    assert gaps.safe_position(0, [1, 3]) == 1
    clock.now += 1
    assert gaps.safe_position(1, [2, 3]) == 3


def test_contiguous_ids_never_wait() -> None:
    gaps = IdGaps(grace_seconds=5, clock=FakeClock())
    assert gaps.safe_position(10, [11, 12, 13]) == 13
    assert gaps.safe_position(13, []) == 13
    assert gaps.seconds_to_next_deadline() is None
