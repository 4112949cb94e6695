"""Periodic jobs: run in the order declared, each at its interval, a failure retried later."""

from __future__ import annotations

import threading
import time
from typing import Any

from omnicanal.platform.jobs import (
    FULFILMENT_EXPIRY,
    RESERVATION_RELEASE,
    RETENTION,
    Job,
    Report,
    run_lane,
)
from omnicanal.platform.wiring import Platform


def _recording(name: str, calls: list[str], *, fail_first: int = 0) -> Any:
    """A job body that notes its name on each run, failing its first ``fail_first`` runs."""

    def run(db: Any, report: Report) -> int:
        calls.append(name)
        if calls.count(name) <= fail_first:
            raise RuntimeError(f"{name} failed")
        report(f"{name}_done", 1)
        return 1

    return run


def _run_for(seconds: float, jobs: list[Job]) -> None:
    stop = threading.Event()
    thread = threading.Thread(target=run_lane, args=(None, jobs, stop), daemon=True)
    thread.start()
    time.sleep(seconds)
    stop.set()
    thread.join(timeout=5)
    assert not thread.is_alive()


def test_the_jobs_of_a_lane_run_in_the_order_declared_at_each_wake_up() -> None:
    calls: list[str] = []
    jobs = [
        Job("first", FULFILMENT_EXPIRY, 0.05, _recording("first", calls)),
        Job("second", RESERVATION_RELEASE, 0.05, _recording("second", calls)),
    ]

    _run_for(0.3, jobs)

    assert len(calls) >= 4
    assert calls[: len(calls) // 2 * 2] == ["first", "second"] * (len(calls) // 2)


def test_a_job_with_a_longer_interval_runs_at_the_first_wake_up_then_when_it_is_due() -> None:
    calls: list[str] = []
    jobs = [
        Job("often", FULFILMENT_EXPIRY, 0.05, _recording("often", calls)),
        Job("seldom", RETENTION, 60, _recording("seldom", calls)),
    ]

    _run_for(0.3, jobs)

    assert calls[:2] == ["often", "seldom"]
    assert calls.count("seldom") == 1
    assert calls.count("often") >= 3


def test_a_failing_job_is_tried_again_and_the_jobs_after_it_wait_for_it() -> None:
    calls: list[str] = []
    jobs = [
        Job("expire", FULFILMENT_EXPIRY, 0.05, _recording("expire", calls, fail_first=1)),
        Job("release", RESERVATION_RELEASE, 0.05, _recording("release", calls)),
    ]

    _run_for(0.3, jobs)

    assert calls[:3] == ["expire", "expire", "release"]


def test_a_group_no_lane_names_runs_in_a_thread_of_its_own(platform: Platform) -> None:
    calls: list[str] = []
    extra = Job("loyalty.expire_points", "points-expiry", 60, _recording("points", calls))
    platform.jobs = [*platform.jobs, extra]

    lanes = dict(platform.lanes())

    assert lanes["points-expiry-jobs"] == [extra]
    assert [job.group for job in lanes["reservation-sweeper"]] == [
        FULFILMENT_EXPIRY,
        RESERVATION_RELEASE,
    ]
