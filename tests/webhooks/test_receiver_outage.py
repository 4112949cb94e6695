"""Issue 17's "done when": 1,000 events posted to a real receiving server that is killed
twice mid-stream. Every event arrives, every signature verifies with the snippet
docs/webhooks.md gives integrators, no event is processed twice by the receiver (it drops
the repeats by ``webhook-id``), each parcel's scans arrive in order, and what was given up
during the long outage is replayed from the dead-letter list.

Hours of backoff pass in a moment: the sending job is told the time (``now``) by the test.
"""

from __future__ import annotations

from collections import defaultdict

from omnicanal.platform.clock import utcnow
from tests.builders import auth
from tests.webhooks.builders import (
    Clock,
    deliveries,
    endpoint_row,
    head_office_key,
    make_endpoint,
    relay,
    scan,
    send,
)
from tests.webhooks.receiver import Receiver

TOTAL = 1_000
PARCELS = 50
"""The events are scans of 50 parcels, 20 each: order matters within a parcel."""
FIRST_CRASH, SECOND_CRASH = 300, 650
"""The receiver crashes after processing its 300th, then its 650th delivery."""


def _statuses(platform, endpoint_id):  # type: ignore[no-untyped-def]
    found: dict[str, int] = defaultdict(int)
    for delivery in deliveries(platform, endpoint_id):
        found[delivery.status] += 1
    return dict(found)


def _send_until(platform, clock, receiver, done, *, step, most=300):  # type: ignore[no-untyped-def]
    """Move the clock by ``step`` and run the job until ``done()`` (at most ``most`` runs)."""
    for _ in range(most):
        if done():
            return
        clock.advance(**step)
        send(platform, clock)
    raise AssertionError(f"not done after {most} runs: {len(receiver.processed)} processed")


def test_a_thousand_events_reach_a_receiver_killed_twice_once_each_signed_and_in_order(
    platform, client
):
    key = head_office_key(platform)
    receiver = Receiver(secret="", crash_after={FIRST_CRASH, SECOND_CRASH})
    endpoint = make_endpoint(client, key, receiver.url, ("test.parcel_scanned",))
    receiver.secret = endpoint["secret"]
    scans = [(f"P{n % PARCELS:02d}", n // PARCELS) for n in range(TOTAL)]
    events = scan(platform, *scans)
    relay(platform)
    made = deliveries(platform)
    assert len(made) == TOTAL and {d.status for d in made} == {"pending"}
    clock = Clock(utcnow())
    receiver.start()

    # The stream runs until the receiver crashes after its 300th: the rest waits, backing off.
    send(platform, clock)
    assert (len(receiver.processed), receiver.crashes) == (FIRST_CRASH, 1)
    waiting = [d for d in deliveries(platform) if d.status == "pending"]
    assert len(waiting) == TOTAL - FIRST_CRASH + 1  # the 300th was processed, not answered
    heads = [d for d in waiting if d.attempts]
    assert len(heads) == PARCELS and all(d.due_at > clock.now for d in heads)

    # Two hours down: attempts keep failing, further and further apart; nothing is lost.
    for _ in range(8):
        clock.advance(minutes=15)
        send(platform, clock)
    assert len(receiver.processed) == FIRST_CRASH
    assert max(d.attempts for d in deliveries(platform)) >= 5
    assert _statuses(platform, endpoint["id"]) == {
        "delivered": FIRST_CRASH - 1,
        "pending": TOTAL - FIRST_CRASH + 1,
    }

    # Back up: the stream resumes where it stopped, until the second crash.
    receiver.start()
    _send_until(platform, clock, receiver, lambda: receiver.crashes == 2, step={"minutes": 10})
    assert len(receiver.processed) == SECOND_CRASH

    # Down for 26 hours: past the 24 hours of retries, what is left is given up.
    for _ in range(26):
        clock.advance(hours=1)
        send(platform, clock)
    statuses = _statuses(platform, endpoint["id"])
    given_up = statuses["dead"]
    assert set(statuses) == {"delivered", "dead"} and sum(statuses.values()) == TOTAL
    # At least the 350 not processed yet and the 650th (processed, never answered); the 300th
    # too when its retry had not come yet.
    assert given_up >= TOTAL - SECOND_CRASH + 1
    assert endpoint_row(platform, endpoint["id"]).active  # 26 h of failures: not disabled yet
    dead_list = client.get(
        f"/v1/webhooks/endpoints/{endpoint['id']}/deliveries",
        params={"status": "dead", "limit": 100},
        headers=auth(key),
    ).json()
    assert len(dead_list["items"]) == 100 and dead_list["has_more"] is True
    assert {item["dead_reason"] for item in dead_list["items"]} == {"gave_up"}

    # Back up; head office replays the oldest dead delivery, then every one since the start.
    receiver.start()
    oldest = next(d for d in deliveries(platform) if d.status == "dead")
    one = client.post(f"/v1/webhooks/deliveries/{oldest.id}/replay", headers=auth(key))
    assert one.status_code == 200, one.text
    assert (one.json()["status"], one.json()["replays"]) == ("pending", 1)
    send(platform, clock.advance(minutes=1))
    assert receiver.received[-1].headers["webhook-id"] == oldest.id
    assert next(d for d in deliveries(platform) if d.id == oldest.id).status == "delivered"
    since = made[0].created_at.isoformat()
    rest = client.post(
        f"/v1/webhooks/endpoints/{endpoint['id']}/replay", json={"since": since}, headers=auth(key)
    )
    assert rest.status_code == 200, rest.text
    assert rest.json() == {"replayed": given_up - 1}
    _send_until(
        platform,
        clock,
        receiver,
        lambda: _statuses(platform, endpoint["id"]) == {"delivered": TOTAL},
        step={"minutes": 1},
    )

    # Every event once, under one webhook-id each, signed, each parcel's scans in order.
    assert receiver.refused == 0
    assert len(receiver.processed) == TOTAL
    assert sorted(receiver.events) == sorted(events)
    assert receiver.repeats == 2  # the two deliveries processed just before each crash
    ids_by_event: dict[str, set[str]] = defaultdict(set)
    for request in receiver.received:
        ids_by_event[request.json()["id"]].add(request.headers["webhook-id"])
    assert all(len(ids) == 1 for ids in ids_by_event.values())
    assert {item.webhook_id for item in receiver.processed} == {d.id for d in made}
    steps: dict[str, list[int]] = defaultdict(list)
    for item in receiver.processed:
        steps[item.event["data"]["parcel"]].append(item.event["data"]["step"])
    assert all(seen == list(range(TOTAL // PARCELS)) for seen in steps.values())
    receiver.stop()
