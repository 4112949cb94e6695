"""The real-time matcher takes the records of a burst together: after a burst it catches up in
a few transactions, and two records of one burst are compared with each other. On the embedded
bus it has a queue of its own: the relay only hands the records to it, and the matcher's lane
matches them."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from omnicanal.bootstrap import build_platform
from omnicanal.customers.service import realtime
from omnicanal.customers.service.realtime import HANDOFF, MATCHING
from omnicanal.platform.events import ProcessedEvent
from omnicanal.platform.wiring import Platform
from tests.customers.support import (
    make_source,
    profile_by,
    profiles_key,
    relay_and_match,
    send,
)
from tests.customers.test_probabilistic_matching import TILL_JEAN, WEB_JEAN


def test_two_records_of_one_burst_are_matched_with_each_other(platform, client):
    """The web account and the till record arrive before the matcher runs; one relay batch
    matches them together."""
    send(client, make_source(platform, "web"), WEB_JEAN)
    send(client, make_source(platform, "store"), TILL_JEAN)

    relay_and_match(platform)

    headers = profiles_key(platform)
    till = profile_by(client, headers, external_id="POS-LYO-1")
    assert till["id"] == profile_by(client, headers, user_id="jean-web")["id"]


def test_every_record_of_a_burst_is_handled_once_by_the_matcher(platform, client):
    """A burst of identifies leaves no record behind, and a second drain finds nothing to do."""
    key = make_source(platform, "store")
    send(
        client,
        key,
        *[
            {
                "type": "identify",
                "userId": f"c-{i}",
                "traits": {"first_name": f"Prénom{i}", "last_name": "Garnier", "zip": "3500{i}"},
            }
            for i in range(8)
        ],
    )

    relay_and_match(platform)
    relay_and_match(platform)

    with platform.db.reading() as session:
        handled = session.scalar(
            select(func.count())
            .select_from(ProcessedEvent)
            .where(ProcessedEvent.consumer == "customers.matching")
        )
    assert handled == 8


def _handled(platform: Platform, consumer: str) -> int:
    with platform.db.reading() as session:
        return (
            session.scalar(
                select(func.count())
                .select_from(ProcessedEvent)
                .where(ProcessedEvent.consumer == consumer)
            )
            or 0
        )


def test_the_relay_queues_the_records_and_the_matcher_lane_matches_them(platform, client):
    """Neither the request nor the relay matches: the relay queues the records (two handed
    off, none matched, the two profiles still apart), and the matcher's lane merges them."""
    send(client, make_source(platform, "web"), WEB_JEAN)
    send(client, make_source(platform, "store"), TILL_JEAN)
    headers = profiles_key(platform)

    platform.relay().drain()

    assert (_handled(platform, HANDOFF), _handled(platform, "customers.matching")) == (2, 0)
    till = profile_by(client, headers, external_id="POS-LYO-1")
    assert till["id"] != profile_by(client, headers, user_id="jean-web")["id"]

    platform.run_group(MATCHING)

    assert _handled(platform, "customers.matching") == 2
    till = profile_by(client, headers, external_id="POS-LYO-1")
    assert till["id"] == profile_by(client, headers, user_id="jean-web")["id"]


def test_records_queued_when_the_process_stopped_are_matched_by_the_next_lane(platform, client):
    """The queue lives in the process; what it held is known from the handoff: the first run
    of a new process's lane matches the records handed off and never matched."""
    send(client, make_source(platform, "web"), WEB_JEAN)
    send(client, make_source(platform, "store"), TILL_JEAN)
    platform.relay().drain()

    restarted = build_platform(platform.settings)
    try:
        restarted.run_group(MATCHING)
    finally:
        restarted.close()

    headers = profiles_key(platform)
    till = profile_by(client, headers, external_id="POS-LYO-1")
    assert till["id"] == profile_by(client, headers, user_id="jean-web")["id"]
    assert _handled(platform, "customers.matching") == 2


def test_a_batch_whose_name_count_fails_waits_for_the_next_run(platform, client, monkeypatch):
    """Counting how common names are may fail (the database busy, say): the batch goes back
    to the queue, and the next run of the lane matches it."""
    send(client, make_source(platform, "web"), WEB_JEAN)
    send(client, make_source(platform, "store"), TILL_JEAN)
    platform.relay().drain()
    failing = {"left": 1}
    refresh = realtime.Matchers.refresh

    def refresh_once_failing(self, session):
        if failing["left"]:
            failing["left"] -= 1
            raise RuntimeError("database busy")
        return refresh(self, session)

    monkeypatch.setattr(realtime.Matchers, "refresh", refresh_once_failing)
    with pytest.raises(RuntimeError):
        platform.run_group(MATCHING)
    platform.run_group(MATCHING)

    headers = profiles_key(platform)
    till = profile_by(client, headers, external_id="POS-LYO-1")
    assert till["id"] == profile_by(client, headers, user_id="jean-web")["id"]
    assert _handled(platform, "customers.matching") == 2
