"""The sending job against a real SMTP server: two workers running at once never send one
message twice; a relay that refuses for a while gets the message again later, with backoff,
and it arrives once; a relay that refuses for good fails the message with its log."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import timedelta
from email import message_from_bytes, policy
from email.message import EmailMessage
from typing import Any

import pytest
from aiosmtpd.controller import Controller

from omnicanal.engagement import watches
from omnicanal.engagement.schemas import StockWatchIn
from omnicanal.inventory import service as inventory
from omnicanal.inventory.schemas import MovementIn, MovementKind
from omnicanal.platform.actors import OPERATOR
from omnicanal.platform.clock import as_utc
from tests.builders import receive
from tests.conftest import free_port, make_platform
from tests.engagement.journey_builders import (
    consent,
    decisions_of,
    deliveries_of,
    drain,
    events_of,
    make_person,
    messages,
    no_quiet_hours,
    noon_after,
    run_send_due,
)
from tests.returns.builders import make_shop

PEOPLE = 12


@dataclass
class FlakyRelay:
    """An SMTP server that answers ``refusal`` to the first ``refusals`` messages, then
    takes them."""

    url: str
    refusals: int = 0
    refusal: str = "451 4.3.0 Try again later"
    received: list[tuple[list[str], EmailMessage]] = field(default_factory=list)
    refused: int = 0
    while_sending: Callable[[], None] | None = None
    """Run while a message is being handed over, before the relay answers."""

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        if self.while_sending is not None:
            self.while_sending()
        if self.refused < self.refusals:
            self.refused += 1
            return self.refusal
        parsed = message_from_bytes(envelope.original_content, policy=policy.default)
        assert isinstance(parsed, EmailMessage)
        self.received.append((list(envelope.rcpt_tos), parsed))
        return "250 Message accepted for delivery"


@contextmanager
def flaky_relay() -> Iterator[FlakyRelay]:
    port = free_port()
    relay = FlakyRelay(url=f"smtp://127.0.0.1:{port}")
    controller = Controller(relay, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        yield relay
    finally:
        controller.stop()


@pytest.fixture
def relay() -> Iterator[FlakyRelay]:
    with flaky_relay() as server:
        yield server


@pytest.fixture
def platform(backend, tmp_path, request, relay):  # type: ignore[no-untyped-def]
    platform = make_platform(
        backend, tmp_path, request, smtp_url=relay.url, secret_key="send-due-test-secret"
    )
    yield platform
    platform.close()


def _people_waiting(platform, shop, count: int) -> list[str]:  # type: ignore[no-untyped-def]
    """``count`` people who accept marketing e-mails, each watching the dress at Paris,
    which then comes back: one message each."""
    emails = [f"client{n:02d}@example.fr" for n in range(count)]
    for email in emails:
        person = make_person(platform, email)
        consent(platform, person)
        with platform.db.transaction() as session:
            watches.watch_stock(
                session,
                data=StockWatchIn(sku=shop.robe_m, location="PARIS-01", profile_id=person),
                actor=OPERATOR,
                region="FR",
            )
    receive(platform, shop.robe_m, "PARIS-01", 5)
    drain(platform)
    return emails


def test_two_workers_at_once_never_send_a_message_twice(platform, relay):
    shop = make_shop(platform)
    emails = _people_waiting(platform, shop, PEOPLE)
    planned = messages(platform, kind="back_in_stock")
    assert len(planned) == PEOPLE
    now = noon_after(max(as_utc(m.due_at) for m in planned))
    start = threading.Barrier(2)
    sent: list[int] = []
    failures: list[BaseException] = []

    def worker() -> None:
        try:
            start.wait()
            while True:
                done = run_send_due(platform, now, limit=2)
                sent.append(done)
                if done == 0:
                    return
        except BaseException as error:  # reported by the assertions below
            failures.append(error)

    threads = [threading.Thread(target=worker) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)

    assert failures == []
    assert sum(sent) == PEOPLE
    recipients = sorted(to for tos, _ in relay.received for to in tos)
    assert recipients == sorted(emails)
    finished = messages(platform, kind="back_in_stock")
    assert {(m.status, m.attempts) for m in finished} == {("sent", 1)}
    assert all(deliveries_of(platform, m.id) == [("smtp", "accepted")] for m in finished)
    assert len(events_of(platform, "message.sent")) == PEOPLE


def test_a_relay_refusing_for_a_while_gets_the_message_again_and_it_arrives_once(platform, relay):
    shop = make_shop(platform)
    _people_waiting(platform, shop, 1)
    relay.refusals = 2
    [message] = messages(platform, kind="back_in_stock")
    now = noon_after(as_utc(message.due_at))

    assert run_send_due(platform, now) == 0
    [first] = messages(platform, kind="back_in_stock")
    assert (first.status, first.attempts) == ("retrying", 1)
    retry_at = as_utc(first.due_at)
    assert now < retry_at <= now + timedelta(minutes=1)
    assert run_send_due(platform, retry_at - timedelta(seconds=1)) == 0

    assert run_send_due(platform, retry_at) == 0
    [second] = messages(platform, kind="back_in_stock")
    assert (second.status, second.attempts) == ("retrying", 2)
    assert as_utc(second.due_at) <= retry_at + timedelta(minutes=2)

    assert run_send_due(platform, as_utc(second.due_at)) == 1
    [sent] = messages(platform, kind="back_in_stock")
    assert (sent.status, sent.attempts) == ("sent", 3)
    assert deliveries_of(platform, sent.id) == [
        ("smtp", "failed"),
        ("smtp", "failed"),
        ("smtp", "accepted"),
    ]
    assert len(relay.received) == 1
    # The coupon-free message was rendered once per attempt, always for the same person.
    assert run_send_due(platform, as_utc(second.due_at) + timedelta(days=1)) == 0
    assert len(relay.received) == 1


def test_a_relay_refusing_for_good_fails_the_message(platform, relay):
    shop = make_shop(platform)
    _people_waiting(platform, shop, 1)
    relay.refusals = 1
    relay.refusal = "550 5.1.1 No such mailbox"
    [message] = messages(platform, kind="back_in_stock")

    assert run_send_due(platform, noon_after(as_utc(message.due_at))) == 0

    [failed] = messages(platform, kind="back_in_stock")
    assert (failed.status, failed.reason) == ("failed", "provider_refused")
    assert deliveries_of(platform, failed.id) == [("smtp", "failed")]
    [event] = events_of(platform, "message.failed")
    assert (event["message_id"], event["provider"], event["reason"]) == (
        message.id,
        "smtp",
        "provider_refused",
    )


def test_a_message_is_claimed_by_one_worker_until_its_lease_ends(platform, relay):
    """A worker that took a message and died leaves it to another once its lease is over,
    never before."""
    from omnicanal.engagement.sending import LEASE, claim_due

    shop = make_shop(platform)
    _people_waiting(platform, shop, 1)
    [message] = messages(platform, kind="back_in_stock")
    now = noon_after(as_utc(message.due_at))

    [claim] = claim_due(platform.db, now=now, limit=10)
    assert claim.message_id == message.id
    assert claim_due(platform.db, now=now + LEASE - timedelta(seconds=1), limit=10) == []
    assert run_send_due(platform, now + LEASE - timedelta(seconds=1)) == 0

    assert run_send_due(platform, now + LEASE) == 1
    [sent] = messages(platform, kind="back_in_stock")
    assert (sent.status, sent.attempts) == ("sent", 2)
    assert len(relay.received) == 1


def test_a_message_withdrawn_while_the_provider_takes_it_is_recorded_as_sent(platform, relay):
    """The stock runs out again while the message is being handed over: the withdrawal comes
    too late, the customer has the e-mail, and the message says so (the withdrawal stays in
    its log)."""
    no_quiet_hours(platform)  # the message is planned now, whatever the hour
    shop = make_shop(platform)
    _people_waiting(platform, shop, 1)
    [message] = messages(platform, kind="back_in_stock")

    def stock_runs_out() -> None:
        with platform.db.transaction() as session:
            inventory.record_movement(
                session,
                data=MovementIn(
                    sku=shop.robe_m, location="PARIS-01", kind=MovementKind.sale, quantity=5
                ),
                actor=OPERATOR,
            )
        drain(platform)

    relay.while_sending = stock_runs_out
    assert run_send_due(platform, noon_after(as_utc(message.due_at))) == 1

    [sent] = messages(platform, kind="back_in_stock")
    assert sent.status == "sent"
    # (The sending decision is dated at the job's chosen moment, the withdrawal at the
    # real one: compared without their order.)
    assert sorted(decisions_of(platform, sent.id)) == [
        ("event", "withdraw", "stock_ran_out_again"),
        ("schedule", "send", "allowed"),
        ("send", "send", "allowed"),
    ]
    assert deliveries_of(platform, sent.id) == [("smtp", "accepted")]
    assert len(relay.received) == 1


def test_a_sender_that_read_its_clock_before_the_planning_dates_its_decision_after_it(
    platform, relay
):
    """A worker reads ``now``, then claims what is due: a message planned a moment later
    but due at the receipt's time is taken up at once. Its sending decision still reads
    after its planning on the message's timeline (and the message's own decision time)."""
    shop = make_shop(platform)
    no_quiet_hours(platform)
    _people_waiting(platform, shop, 1)
    [message] = messages(platform, kind="back_in_stock")
    planned, due = as_utc(message.created_at), as_utc(message.due_at)
    assert due < planned  # due from the receipt; planned when the consumer heard of it

    assert run_send_due(platform, due) == 1

    [sent] = messages(platform, kind="back_in_stock")
    assert sent.status == "sent"
    assert [stage for stage, _, _ in decisions_of(platform, sent.id)] == ["schedule", "send"]
    assert as_utc(sent.decided_at) > planned
