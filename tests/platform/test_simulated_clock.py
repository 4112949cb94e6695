"""Simulated time for events: a simulation dates the events it records, nothing else moves."""

from __future__ import annotations

import asyncio
import threading
from datetime import UTC, datetime, timedelta, timezone

import pytest
from sqlalchemy import select

from omnicanal.network.events import ChannelCreated
from omnicanal.platform.actors import OPERATOR
from omnicanal.platform.clock import event_time, simulated, utcnow
from omnicanal.platform.events import Event, OutboxEvent, record_event
from omnicanal.platform.wiring import Platform

MONDAY = datetime(2026, 3, 2, 9, 30, tzinfo=UTC)


def channel(code: str) -> ChannelCreated:
    return ChannelCreated.model_validate(ChannelCreated.example | {"code": code})


def test_events_are_dated_now_outside_a_simulation() -> None:
    """Without a simulated time an event happens when it is made."""
    before = utcnow()
    made = Event(type="x.happened", subject="x/1", data={}, source="/tests")

    assert before <= made.time <= utcnow()
    assert before <= event_time() <= utcnow()


def test_an_event_made_in_a_simulation_carries_its_time_and_the_clock_does_not_move() -> None:
    """Inside ``simulated`` an envelope is dated then, while utcnow stays the real present."""
    with simulated(MONDAY):
        made = Event(type="x.happened", subject="x/1", data={}, source="/tests")
        now = utcnow()

    assert made.time == MONDAY
    assert now > MONDAY + timedelta(days=1)


def test_a_simulated_time_is_read_in_utc() -> None:
    """A time given in another zone dates the events with the same instant, in UTC."""
    paris = datetime(2026, 3, 2, 10, 30, tzinfo=timezone(timedelta(hours=1)))

    with simulated(paris) as moment:
        dated = event_time()

    assert moment == dated == MONDAY
    assert dated.tzinfo is UTC


def test_simulations_nest_and_the_outer_time_comes_back() -> None:
    """The innermost block wins; leaving it restores the time of the block around it."""
    later = MONDAY + timedelta(hours=3)
    with simulated(MONDAY):
        with simulated(later):
            inner = event_time()
        outer = event_time()
    after = event_time()

    assert (inner, outer) == (later, MONDAY)
    assert after > MONDAY + timedelta(days=1)


def test_an_exception_inside_a_simulation_does_not_leave_its_time_behind() -> None:
    """A block left by an error restores the time it found."""
    with pytest.raises(RuntimeError), simulated(MONDAY):
        raise RuntimeError("refused")

    assert event_time() > MONDAY + timedelta(days=1)


def test_another_thread_dates_its_events_now_during_a_simulation() -> None:
    """A request served beside the simulation is not moved in time by it."""
    seen: list[datetime] = []
    inside = threading.Event()
    finish = threading.Event()

    def simulate() -> None:
        with simulated(MONDAY):
            seen.append(event_time())
            inside.set()
            finish.wait(timeout=10)

    worker = threading.Thread(target=simulate)
    worker.start()
    inside.wait(timeout=10)
    here = event_time()
    finish.set()
    worker.join()

    assert seen == [MONDAY]
    assert here > MONDAY + timedelta(days=1)


def test_concurrent_tasks_each_keep_their_own_simulated_time() -> None:
    """Two coroutines simulating different days interleave without mixing their times."""
    days = [MONDAY + timedelta(days=n) for n in range(2)]

    async def run(at: datetime) -> list[datetime]:
        seen = []
        with simulated(at):
            for _ in range(3):
                await asyncio.sleep(0)
                seen.append(event_time())
        return seen

    async def both() -> list[list[datetime]]:
        return list(await asyncio.gather(*(run(day) for day in days)))

    assert asyncio.run(both()) == [[day] * 3 for day in days]


def test_a_recorded_event_reaches_the_outbox_with_its_simulated_time(platform: Platform) -> None:
    """A use case run in a simulation writes its outbox row dated at the simulated time; one
    run after it, now."""
    with platform.db.transaction() as session:
        with simulated(MONDAY):
            record_event(session, channel("kiosk"), actor=OPERATOR)
        record_event(session, channel("counter"), actor=OPERATOR)
    with platform.db.reading() as session:
        times = {
            row.data["code"]: row.time
            for row in session.scalars(
                select(OutboxEvent).where(OutboxEvent.type == ChannelCreated.type)
            )
        }

    assert times["kiosk"] == MONDAY
    assert times["counter"] > MONDAY + timedelta(days=1)
