"""The journeys of what a customer bought, on the real consumer and sending job: the pickup
message with its code (by SMS when she has a phone, else by e-mail; by e-mail rather than
an SMS at night), withdrawn once collected; the reserve-and-try reminder before the hold
ends, withdrawn once released; a parcel shipped; a review asked a week after delivery; the
return confirmations sent while marketing keeps quiet after the return."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import event as sqla_event

from omnicanal.engagement.journeys import scan_win_back
from omnicanal.engagement.wiring import MESSAGES, journeys_consumer
from omnicanal.platform.bus import deliver_batch
from omnicanal.platform.clock import as_utc
from tests.builders import auth
from tests.engagement.fact_builders import events_since, last_seq
from tests.engagement.journey_builders import (
    INES,
    INES_PHONE,
    consent,
    decisions_of,
    drain,
    make_person,
    messages,
    noon_after,
    open_cart,
    run_send_due,
    smtp_platform,
)
from tests.mail_server import Inbox, smtp_server
from tests.returns.builders import CARD, TILL, make_shop, return_body, web_order

CUSTOMER = f"email:{INES}"


@pytest.fixture
def inbox() -> Iterator[Inbox]:
    with smtp_server() as received:
        yield received


@pytest.fixture
def platform(backend, tmp_path, request, inbox):  # type: ignore[no-untyped-def]
    platform = smtp_platform(backend, tmp_path, request, inbox)
    yield platform
    platform.close()


@pytest.fixture
def shop(platform):  # type: ignore[no-untyped-def]
    return make_shop(platform)


def _pickup_ready(client, shop) -> dict:  # type: ignore[no-untyped-def]
    """A web order to collect at Lyon, picked and ready; its fulfilment."""
    placed = client.post(
        "/v1/orders",
        json={
            "lines": [{"sku": shop.robe_m, "quantity": 1}],
            "customer_ref": CUSTOMER,
            "payment": CARD,
            "fulfilment": {"method": "pickup", "location": "LYON-01"},
        },
        headers=auth(shop.web),
    )
    assert placed.status_code == 201, placed.text
    (fulfilment,) = placed.json()["fulfilments"]
    for verb in ("pick", "ready"):
        moved = client.post(f"/v1/fulfilments/{fulfilment['id']}/{verb}", headers=auth(shop.lyon))
        assert moved.status_code == 200, moved.text
    return dict(fulfilment)


def test_pickup_ready_goes_by_email_with_the_pickup_code(platform, client, inbox, shop):
    """Transactional: no opt-in needed. She has no phone number, so the SMS cannot reach
    her and the e-mail carries the code."""
    make_person(platform, INES)
    fulfilment = _pickup_ready(client, shop)
    drain(platform)
    [message] = messages(platform, kind="pickup_ready")
    assert message.subject == f"fulfilments/{fulfilment['id']}"

    assert run_send_due(platform, noon_after(as_utc(message.due_at))) == 1

    [(recipients, mail)] = inbox.wait_for(1)
    assert recipients == [INES]
    body = mail.get_body(preferencelist=("plain",))
    assert body is not None and fulfilment["pickup_code"] in body.get_content()
    assert mail["List-Unsubscribe"] is None
    [sent] = messages(platform, kind="pickup_ready")
    assert (sent.status, sent.channel) == ("sent", "email")


def test_pickup_ready_goes_by_sms_first_when_she_has_a_phone(platform, client, inbox, shop):
    make_person(platform, INES, phone=INES_PHONE)
    fulfilment = _pickup_ready(client, shop)
    drain(platform)
    [message] = messages(platform, kind="pickup_ready")

    assert run_send_due(platform, noon_after(as_utc(message.due_at))) == 1

    [sent] = messages(platform, kind="pickup_ready")
    assert (sent.status, sent.channel, sent.recipient, sent.provider) == (
        "sent",
        "sms",
        INES_PHONE,
        "mailbox",
    )
    assert sent.rendered_text is not None and fulfilment["pickup_code"] in sent.rendered_text
    assert inbox.messages == []


def test_at_night_the_pickup_message_goes_by_email_rather_than_wake_her(
    platform, client, inbox, shop
):
    """Quiet hours defer an SMS, never a transactional e-mail: the first channel the policy
    allows carries it."""
    make_person(platform, INES, phone=INES_PHONE)
    _pickup_ready(client, shop)
    drain(platform)
    [message] = messages(platform, kind="pickup_ready")
    paris = ZoneInfo("Europe/Paris")
    night = datetime.combine(
        noon_after(as_utc(message.due_at)).astimezone(paris).date(), time(23, 0), tzinfo=paris
    )

    assert run_send_due(platform, night) == 1

    [sent] = messages(platform, kind="pickup_ready")
    assert (sent.status, sent.channel) == ("sent", "email")
    assert len(inbox.wait_for(1)) == 1


def test_a_pickup_collected_before_its_message_left_is_withdrawn(platform, client, inbox, shop):
    make_person(platform, INES)
    fulfilment = _pickup_ready(client, shop)
    drain(platform)
    collected = client.post(
        f"/v1/fulfilments/{fulfilment['id']}/collect",
        json={"pickup_code": fulfilment["pickup_code"]},
        headers=auth(shop.lyon),
    )
    assert collected.status_code == 200, collected.text
    drain(platform)

    [withdrawn] = messages(platform, kind="pickup_ready")
    assert (withdrawn.status, withdrawn.reason) == ("withdrawn", "collected")
    assert run_send_due(platform, noon_after(as_utc(withdrawn.due_at))) == 0
    assert [m.status for m in messages(platform, kind="pickup_ready")] == ["withdrawn"]
    assert inbox.messages == []


def test_a_hold_to_try_on_is_recalled_before_it_ends_and_not_once_released(platform, client, shop):
    make_person(platform, INES)
    placed = client.post(
        "/v1/orders",
        json={
            "lines": [{"sku": shop.robe_m, "quantity": 1}],
            "customer_ref": CUSTOMER,
            "fulfilment": {"method": "reserve_and_try", "location": "LYON-01", "reserve_days": 2},
        },
        headers=auth(shop.web),
    )
    assert placed.status_code == 201, placed.text
    (fulfilment,) = placed.json()["fulfilments"]
    drain(platform)

    [message] = messages(platform, kind="reservation_expiring")
    assert as_utc(message.due_at) == datetime.fromisoformat(fulfilment["due_at"]) - timedelta(
        hours=2
    )
    released = client.post(f"/v1/fulfilments/{fulfilment['id']}/release", headers=auth(shop.lyon))
    assert released.status_code == 200, released.text
    drain(platform)

    [withdrawn] = messages(platform, kind="reservation_expiring")
    assert (withdrawn.status, withdrawn.reason) == ("withdrawn", "reservation_ended")


def test_a_delivered_parcel_is_announced_and_a_review_asked_a_week_later(
    platform, client, inbox, shop
):
    ines = make_person(platform, INES)
    consent(platform, ines)
    web_order(client, platform, shop.web, (shop.robe_m, 1))
    drain(platform)

    [shipped] = messages(platform, kind="order_shipped")
    [review] = messages(platform, kind="review_request")
    assert as_utc(review.due_at) == as_utc(review.reason_since) + timedelta(days=7)
    assert run_send_due(platform, noon_after(as_utc(shipped.due_at))) == 1
    assert [m.status for m in messages(platform)] == ["sent", "scheduled"]

    assert run_send_due(platform, noon_after(as_utc(review.due_at))) == 1
    assert len(inbox.wait_for(2)) == 2
    assert [m.status for m in messages(platform)] == ["sent", "sent"]


def test_after_a_return_the_refund_is_confirmed_and_marketing_keeps_quiet(
    platform, client, inbox, shop
):
    """The seeds' "a promo e-mail the day after my refund": returned in store, the refund's
    confirmation is sent, the cart's reminder and the review request are not."""
    ines = make_person(platform, INES)
    consent(platform, ines)
    order = web_order(client, platform, shop.web, (shop.robe_m, 1))
    open_cart(client, shop.web, (shop.veste, 1), customer_ref=CUSTOMER)
    taken = client.post("/v1/returns", json=return_body(order), headers=auth(shop.lyon))
    assert taken.status_code == 201, taken.text
    returned = taken.json()
    inspected = client.post(
        f"/v1/returns/{returned['id']}/inspect", json={}, headers=auth(shop.lyon)
    )
    assert inspected.status_code == 200, inspected.text
    refunded = client.post(
        f"/v1/returns/{returned['id']}/refund",
        json={"method": "original_payment", "provider": "adyen", "reference": "psp_r1"},
        headers=auth(shop.lyon),
    )
    assert refunded.status_code == 200, refunded.text
    drain(platform)

    [review] = messages(platform, kind="review_request")
    assert (review.status, review.reason) == ("withdrawn", "order_returned")
    [cart] = messages(platform, kind="abandoned_cart")
    later = noon_after(as_utc(cart.due_at))
    run_send_due(platform, later)

    by_kind = {m.kind: m for m in messages(platform)}
    assert by_kind["return_received"].status == "sent"
    assert by_kind["return_refunded"].status == "sent"
    assert (by_kind["abandoned_cart"].status, by_kind["abandoned_cart"].reason) == (
        "withheld",
        "returned_recently",
    )
    assert decisions_of(platform, cart.id)[-1] == ("send", "withhold", "returned_recently")
    subjects = [mail["Subject"] for _, mail in inbox.wait_for(3)]
    assert len(subjects) == 3  # shipped, received, refunded


def test_a_customer_silent_for_the_win_back_days_is_written_to_once(platform, client, shop):
    """The daily scan plans one win-back per last purchase, however often it runs; a
    customer who bought again since gets none."""
    ines = make_person(platform, INES)
    make_person(platform, "lea@example.fr")
    first = web_order(client, platform, shop.web, (shop.robe_m, 1))
    web_order(client, platform, shop.web, (shop.veste, 1), customer_ref="email:lea@example.fr")
    again = client.post(
        "/v1/orders",
        json={
            "lines": [{"sku": shop.robe_l, "quantity": 1}],
            "customer_ref": "email:lea@example.fr",
            "payment": TILL,
        },
        headers=auth(shop.lyon),
    )
    assert again.status_code == 201, again.text
    drain(platform)
    # 120 days after Léa's second purchase, all but: her first and Inès's are 120 days old.
    later = datetime.fromisoformat(again.json()["placed_at"]) + timedelta(days=120, microseconds=-1)

    with platform.db.transaction() as session:
        assert scan_win_back(session, now=later, region="FR") == 1
    with platform.db.transaction() as session:
        assert scan_win_back(session, now=later, region="FR") == 0

    [message] = messages(platform, kind="win_back")
    assert (message.profile_id, message.subject) == (ines, f"profiles/{ines}")
    assert message.context["last_order_id"] == first["id"]


def test_the_platforms_job_sends_what_is_due(platform, client, inbox, shop):
    """The job the worker and the embedded server run every few seconds (at the real time:
    a transactional e-mail is never held back by quiet hours)."""
    make_person(platform, INES)
    fulfilment = _pickup_ready(client, shop)
    drain(platform)

    assert platform.run_group(MESSAGES) == 1

    [(_, mail)] = inbox.wait_for(1)
    body = mail.get_body(preferencelist=("plain",))
    assert body is not None and fulfilment["pickup_code"] in body.get_content()
    assert platform.run_group(MESSAGES) == 0


def _deliver_as_one_batch(platform, seq: int) -> list[str]:  # type: ignore[no-untyped-def]
    """Deliver the events after ``seq`` to the journeys' consumer as one batch: the SQL
    statements it sent."""
    statements: list[str] = []

    def note(_conn, _cursor, statement, *_args) -> None:  # type: ignore[no-untyped-def]
        statements.append(" ".join(statement.split()))

    sqla_event.listen(platform.db.write_engine, "before_cursor_execute", note)
    try:
        deliver_batch(platform.db, journeys_consumer(region="FR"), events_since(platform, seq))
    finally:
        sqla_event.remove(platform.db.write_engine, "before_cursor_execute", note)
    return statements


def _hold(platform, client, shop, name: str) -> tuple[str, str]:  # type: ignore[no-untyped-def]
    """``name``@example.fr, known, orders a dress to try on at Lyon: the person and the
    hold (the fulfilment's id)."""
    email = f"{name}@example.fr"
    person = make_person(platform, email)
    placed = client.post(
        "/v1/orders",
        json={
            "lines": [{"sku": shop.robe_m, "quantity": 1}],
            "customer_ref": f"email:{email}",
            "fulfilment": {"method": "reserve_and_try", "location": "LYON-01"},
        },
        headers=auth(shop.web),
    )
    assert placed.status_code == 201, placed.text
    return person, placed.json()["fulfilments"][0]["id"]


def test_holds_heard_in_one_batch_read_their_orders_once_and_remind_each_buyer(
    platform, client, shop
):
    """Fulfilment events name their order, not its customer: the consumer reads the
    customers of a batch's orders, and where they can be reached, in one go and still
    reminds each buyer of their own hold."""
    buyers = {}
    seq = last_seq(platform)
    for name in ("ines", "louis", "chloe"):
        person, fulfilment_id = _hold(platform, client, shop, name)
        buyers[fulfilment_id] = person
    statements = _deliver_as_one_batch(platform, seq)

    reminders = messages(platform, kind="reservation_expiring")
    assert sorted((m.profile_id, m.subject) for m in reminders) == sorted(
        (person, f"fulfilments/{fulfilment_id}") for fulfilment_id, person in buyers.items()
    )
    orders_read = [
        s for s in statements if s.startswith("SELECT orders.id, orders.customer_ref FROM orders")
    ]
    assert len(orders_read) == 1, orders_read
    assert not [s for s in statements if s.startswith("SELECT orders.customer_ref FROM")]
    # Where the buyers can be reached: read once for the batch, not once per hold.
    one_by_one = [s for s in statements if "profile_id = (SELECT profiles.root_id" in s]
    together = [s for s in statements if "FROM profiles JOIN profile_identifiers" in s]
    assert (len(one_by_one), len(together)) == (0, 1), one_by_one


def test_a_batch_reads_the_pending_messages_once_and_withdraws_as_event_by_event(
    platform, client, shop
):
    """A batch's facts take reasons away from messages planned before it and from messages
    planned within it: the consumer reads the pending messages of the batch's people and
    subjects once, and withdraws exactly what it withdrew reading them event by event."""

    def hold(name: str) -> tuple[str, str]:
        return _hold(platform, client, shop, name)

    def release(fulfilment_id: str) -> None:
        released = client.post(f"/v1/fulfilments/{fulfilment_id}/release", headers=auth(shop.lyon))
        assert released.status_code == 200, released.text

    ines, louis = hold("ines"), hold("louis")
    drain(platform)  # their reminders are planned before the batch
    seq = last_seq(platform)
    release(ines[1])  # a reminder planned before the batch loses its reason in it
    chloe = hold("chloe")
    release(chloe[1])  # one planned in the batch loses it later in the batch
    malik = hold("malik")  # one planned in the batch keeps it
    statements = _deliver_as_one_batch(platform, seq)

    reminders = {m.profile_id: m for m in messages(platform, kind="reservation_expiring")}
    assert {person: (m.subject, m.status, m.reason) for person, m in reminders.items()} == {
        ines[0]: (f"fulfilments/{ines[1]}", "withdrawn", "reservation_ended"),
        louis[0]: (f"fulfilments/{louis[1]}", "scheduled", None),
        chloe[0]: (f"fulfilments/{chloe[1]}", "withdrawn", "reservation_ended"),
        malik[0]: (f"fulfilments/{malik[1]}", "scheduled", None),
    }
    pending_read = [
        s for s in statements if s.startswith("SELECT messages.id") and "WHERE messages.status" in s
    ]
    assert len(pending_read) == 1, pending_read
