"""The abandoned-cart journey on the real consumer and the real sending job, e-mail through a
real SMTP server: one reminder per cart, moved by each change, sent after the delay with a
single-use coupon of the person's own, withdrawn (and why) when the cart was bought first,
whether the policy heard of it from the bus or from the cart itself; an event delivered
twice plans nothing twice."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime, timedelta

import pytest
from sqlalchemy import event as sqla_event
from sqlalchemy import select

from omnicanal.engagement.models import Segment
from omnicanal.engagement.schemas import TriggerUpdateIn
from omnicanal.engagement.triggers import ensure_defaults, update_trigger
from omnicanal.engagement.wiring import journeys_consumer
from omnicanal.platform.actors import OPERATOR
from omnicanal.platform.bus import Consumer, deliver, deliver_batch
from omnicanal.platform.clock import as_utc
from omnicanal.platform.events import OutboxEvent
from omnicanal.pricing.models import Promotion
from tests.builders import auth
from tests.engagement.fact_builders import all_facts, events_since, last_seq, ship_cart
from tests.engagement.journey_builders import (
    INES,
    consent,
    decisions_of,
    drain,
    events_of,
    make_person,
    messages,
    noon_after,
    open_cart,
    run_send_due,
    smtp_platform,
)
from tests.mail_server import Inbox, smtp_server
from tests.returns.builders import TILL, make_shop

CUSTOMER = f"email:{INES}"
DELAY = timedelta(hours=3)


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


@pytest.fixture
def ines(platform):  # type: ignore[no-untyped-def]
    """Inès, known by her e-mail, who accepts marketing e-mails."""
    profile_id = make_person(platform, INES)
    consent(platform, profile_id)
    return profile_id


def _leave_cart(client, shop) -> dict:  # type: ignore[no-untyped-def]
    cart = open_cart(client, shop.web, (shop.robe_m, 1), customer_ref=CUSTOMER)
    return cart


def test_an_abandoned_cart_gets_one_reminder_with_a_single_use_coupon_after_the_delay(
    platform, client, inbox, shop, ines
):
    cart = _leave_cart(client, shop)
    drain(platform)

    [message] = messages(platform, kind="abandoned_cart")
    left_at = as_utc(message.reason_since)
    assert (message.profile_id, message.subject, message.status) == (
        ines,
        f"carts/{cart['id']}",
        "scheduled",
    )
    assert as_utc(message.due_at) == left_at + DELAY
    assert [stage for stage, _, _ in decisions_of(platform, message.id)] == ["schedule"]
    [scheduled] = events_of(platform, "message.scheduled")
    assert scheduled["message_id"] == message.id

    assert run_send_due(platform, left_at + DELAY - timedelta(minutes=1)) == 0
    assert inbox.messages == []

    sending = noon_after(left_at + DELAY)
    assert run_send_due(platform, sending) == 1
    [(recipients, mail)] = inbox.wait_for(1)
    assert recipients == [INES]
    [sent] = messages(platform, kind="abandoned_cart")
    assert (sent.status, sent.channel, sent.recipient) == ("sent", "email", INES)
    assert sent.coupon_code is not None and sent.coupon_code.startswith("RELANCE-")
    body = mail.get_body(preferencelist=("plain",))
    assert body is not None and sent.coupon_code in body.get_content()
    assert mail["List-Unsubscribe"].startswith("<") and "unsubscribe" in mail["List-Unsubscribe"]
    assert mail["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    with platform.db.reading() as session:
        coupon = session.scalar(select(Promotion).where(Promotion.code == sent.coupon_code))
    assert coupon is not None
    assert (coupon.usage_limit, coupon.requires_coupon) == (1, True)
    assert CUSTOMER in (coupon.customer_refs or [])
    [announced] = events_of(platform, "message.sent")
    assert (announced["coupon_code"], announced["provider"]) == (sent.coupon_code, "smtp")

    assert run_send_due(platform, sending + timedelta(days=1)) == 0
    assert len(inbox.messages) == 1


def test_each_change_to_the_cart_moves_its_one_reminder(platform, client, shop, ines):
    cart = _leave_cart(client, shop)
    drain(platform)
    [first] = messages(platform, kind="abandoned_cart")

    added = client.post(
        f"/v1/carts/{cart['id']}/lines",
        json={"sku": shop.veste, "quantity": 1},
        headers=auth(shop.web),
    )
    assert added.status_code == 200, added.text
    drain(platform)

    [moved] = messages(platform, kind="abandoned_cart")
    assert moved.id == first.id
    assert as_utc(moved.due_at) == datetime.fromisoformat(added.json()["updated_at"]) + DELAY
    assert as_utc(moved.due_at) >= as_utc(first.due_at)
    assert {line["sku"] for line in moved.context["lines"]} == {shop.robe_m, shop.veste}


def test_a_cart_bought_at_the_counter_before_its_reminder_is_withdrawn_with_the_reason(
    platform, client, inbox, shop, ines
):
    """She comes to the store, the clerk sells her web cart: the reminder planned for it
    is withdrawn as the sale reaches the bus, and the log says why."""
    cart = _leave_cart(client, shop)
    drain(platform)
    [message] = messages(platform, kind="abandoned_cart")

    sale = client.post(
        "/v1/orders",
        json={"cart_id": cart["id"], "channel": "store", "payment": TILL},
        headers=auth(shop.lyon),
    )
    assert sale.status_code == 201, sale.text
    drain(platform)

    [withdrawn] = messages(platform, kind="abandoned_cart")
    assert (withdrawn.status, withdrawn.reason) == ("withdrawn", "cart_bought")
    assert decisions_of(platform, message.id)[-1] == ("event", "withdraw", "cart_bought")
    [event] = events_of(platform, "message.withdrawn")
    assert (event["message_id"], event["reason"]) == (message.id, "cart_bought")
    assert run_send_due(platform, noon_after(as_utc(message.due_at))) == 0
    assert inbox.messages == []


def test_an_order_a_minute_before_the_reminder_is_heard_of_at_sending_time(
    platform, client, inbox, shop, ines
):
    """The sale is committed but the bus has not carried it yet: at the reminder's time the
    policy reads the cart itself, and withdraws it."""
    cart = _leave_cart(client, shop)
    drain(platform)
    [message] = messages(platform, kind="abandoned_cart")
    sale = client.post(
        "/v1/orders",
        json={"cart_id": cart["id"], "channel": "store", "payment": TILL},
        headers=auth(shop.lyon),
    )
    assert sale.status_code == 201, sale.text

    assert run_send_due(platform, noon_after(as_utc(message.due_at))) == 0

    [withdrawn] = messages(platform, kind="abandoned_cart")
    assert (withdrawn.status, withdrawn.reason) == ("withdrawn", "cart_bought")
    assert decisions_of(platform, message.id)[-1] == ("send", "withdraw", "cart_bought")
    assert inbox.messages == []
    with platform.db.reading() as session:
        assert session.scalar(select(Promotion.id).where(Promotion.code.like("RELANCE-%"))) is None


def test_another_order_since_the_cart_was_left_withdraws_its_reminder(platform, client, shop, ines):
    """She bought something else at the counter: the cart's reminder would contradict it."""
    _leave_cart(client, shop)
    drain(platform)

    sale = client.post(
        "/v1/orders",
        json={
            "lines": [{"sku": shop.veste, "quantity": 1}],
            "payment": TILL,
            "customer_ref": CUSTOMER,
        },
        headers=auth(shop.lyon),
    )
    assert sale.status_code == 201, sale.text
    drain(platform)

    [withdrawn] = messages(platform, kind="abandoned_cart")
    assert (withdrawn.status, withdrawn.reason) == ("withdrawn", "ordered_since")


def test_another_order_not_yet_heard_of_withdraws_the_reminder_at_sending_time(
    platform, client, inbox, shop, ines
):
    """She bought something else at the counter and the bus has not carried it yet: at the
    reminder's time the policy asks the orders module, and the reminder stays home."""
    _leave_cart(client, shop)
    drain(platform)
    [message] = messages(platform, kind="abandoned_cart")
    sale = client.post(
        "/v1/orders",
        json={
            "lines": [{"sku": shop.veste, "quantity": 1}],
            "payment": TILL,
            "customer_ref": CUSTOMER,
        },
        headers=auth(shop.lyon),
    )
    assert sale.status_code == 201, sale.text

    assert run_send_due(platform, noon_after(as_utc(message.due_at))) == 0

    [withdrawn] = messages(platform, kind="abandoned_cart")
    assert (withdrawn.status, withdrawn.reason) == ("withdrawn", "ordered_since")
    assert decisions_of(platform, message.id)[-1] == ("send", "withdraw", "ordered_since")
    assert inbox.messages == []


def test_without_consent_the_reminder_is_withheld_when_due_not_before(
    platform, client, inbox, shop
):
    """No opt-in: nothing is sent, and the reason is recorded at the reminder's time."""
    make_person(platform, INES)
    _leave_cart(client, shop)
    drain(platform)
    [message] = messages(platform, kind="abandoned_cart")
    assert message.status == "scheduled"

    assert run_send_due(platform, noon_after(as_utc(message.due_at))) == 0

    [withheld] = messages(platform, kind="abandoned_cart")
    assert (withheld.status, withheld.reason) == ("withheld", "no_consent")
    assert inbox.messages == []


def test_an_anonymous_cart_is_reminded_once_its_visitor_is_known(platform, client, shop):
    """A visitor's cart names nobody to write to; once the tracking API links her cookie to
    her e-mail (``customer.identified``), the cart is hers and its reminder is planned."""
    from tests.customers.support import make_source, send

    open_cart(client, shop.web, (shop.robe_m, 1), anonymous_id="cookie-ines")
    drain(platform)
    assert messages(platform, kind="abandoned_cart") == []

    send(
        client,
        make_source(platform, "web"),
        {"type": "identify", "anonymousId": "cookie-ines", "traits": {"email": INES}},
    )
    drain(platform)

    [message] = messages(platform, kind="abandoned_cart")
    assert message.status == "scheduled"
    assert message.profile_id is not None


def test_an_event_delivered_again_plans_nothing_twice(platform, client, shop, ines):
    """A redelivery (a crash, a relay restart) is skipped by the bus; a consumer that forgot
    it finds the message planned and plans nothing more."""
    _leave_cart(client, shop)
    drain(platform)
    with platform.db.reading() as session:
        [created] = session.scalars(
            select(OutboxEvent).where(OutboxEvent.type == "cart.created")
        ).all()
        envelope = created.to_event()
    before = (len(messages(platform)), len(events_of(platform, "message.scheduled")))

    consumer = journeys_consumer(region="FR")
    assert deliver(platform.db, consumer, envelope) is False
    forgetful = Consumer(name="engagement.replay", events=consumer.events, handler=consumer.handler)
    assert deliver(platform.db, forgetful, envelope) is True

    assert (len(messages(platform)), len(events_of(platform, "message.scheduled"))) == before
    [message] = messages(platform, kind="abandoned_cart")
    assert [stage for stage, _, _ in decisions_of(platform, message.id)] == ["schedule"]


def test_a_trigger_limited_to_a_segment_plans_only_for_its_members(platform, client, shop):
    """The reminder is for the Lyon customers only: Léa of Lyon gets one, Inès of Paris
    none."""
    with platform.db.transaction() as session:
        session.add(
            Segment(
                code="LYON",
                name="Clientes lyonnaises",
                rules=[{"field": "traits.city", "op": "eq", "value": "Lyon"}],
            )
        )
        ensure_defaults(session)
        update_trigger(
            session,
            code="ABANDONED_CART",
            data=TriggerUpdateIn(segment_code="LYON"),
            actor=OPERATOR,
        )
    ines = make_person(platform, INES, traits={"city": "Paris"})
    lea = make_person(platform, "lea@example.fr", traits={"city": "Lyon"})
    for person in (ines, lea):
        consent(platform, person)

    open_cart(client, shop.web, (shop.robe_m, 1), customer_ref=CUSTOMER)
    open_cart(client, shop.web, (shop.robe_m, 1), customer_ref="email:lea@example.fr")
    drain(platform)

    assert [m.profile_id for m in messages(platform, kind="abandoned_cart")] == [lea]


def test_the_reminders_coupon_pays_her_cart_at_the_counter_once(
    platform, client, inbox, shop, ines
):
    """The seeds' journey: the reminder's coupon arrives by e-mail; at the store the clerk
    sells her web cart with it, delivered at home; it cannot be used again, nor by someone
    else."""
    cart = _leave_cart(client, shop)
    drain(platform)
    [message] = messages(platform, kind="abandoned_cart")
    assert run_send_due(platform, noon_after(as_utc(message.due_at))) == 1
    code = messages(platform, kind="abandoned_cart")[0].coupon_code
    assert code is not None

    sale = client.post(
        "/v1/orders",
        json={
            "cart_id": cart["id"],
            "channel": "store",
            "coupons": [code],
            "fulfilment": {"method": "ship"},
            "delivery_address": {"name": "Inès Martin", "city": "Lyon"},
            "payment": TILL,
        },
        headers=auth(shop.lyon),
    )
    assert sale.status_code == 201, sale.text
    assert sale.json()["total_minor"] < sale.json()["subtotal_minor"]
    drain(platform)

    again = client.post(
        "/v1/orders",
        json={
            "lines": [{"sku": shop.veste, "quantity": 1}],
            "customer_ref": CUSTOMER,
            "coupons": [code],
            "payment": TILL,
        },
        headers=auth(shop.lyon),
    )
    someone_else = client.post(
        "/v1/orders",
        json={
            "lines": [{"sku": shop.veste, "quantity": 1}],
            "customer_ref": "email:lea@example.fr",
            "coupons": [code],
            "payment": TILL,
        },
        headers=auth(shop.lyon),
    )
    assert (again.status_code, again.json()["code"]) == (409, "coupon_exhausted")
    assert (someone_else.status_code, someone_else.json()["code"]) == (
        409,
        "coupon_for_another_customer",
    )
    assert run_send_due(platform, noon_after(as_utc(message.due_at)) + timedelta(days=2)) == 0
    assert len(inbox.messages) == 1


def test_a_batch_of_carts_is_read_once_and_reminds_as_event_by_event(platform, client, shop):
    """The consumer hears many carts at once (a relay batch): it reads them, and the people
    they belong to, in one go, and plans what it planned reading them one by one: a reminder
    for each cart left, none for a cart bought, a purchase by each buyer."""
    people = {}
    for name in ("ines", "louis", "chloe", "malik"):
        email = f"{name}@example.fr"
        people[email] = make_person(platform, email)
        consent(platform, people[email])
    seq = last_seq(platform)
    left, bought = [], []
    for index, email in enumerate(people):
        cart = open_cart(
            client, shop.web, (shop.robe_m, 1), (shop.veste, 1), customer_ref=f"email:{email}"
        )
        if index % 2:
            bought.append((email, cart["id"], ship_cart(client, shop.web, cart["id"])["id"]))
        else:
            left.append((email, cart["id"]))
    events = events_since(platform, seq)
    statements: list[str] = []

    def note(_conn, _cursor, statement, *_args) -> None:  # type: ignore[no-untyped-def]
        statements.append(" ".join(statement.split()))

    sqla_event.listen(platform.db.write_engine, "before_cursor_execute", note)
    try:
        handled = deliver_batch(platform.db, journeys_consumer(region="FR"), events)
    finally:
        sqla_event.remove(platform.db.write_engine, "before_cursor_execute", note)

    assert handled == len([e for e in events if journeys_consumer(region="FR").wants(e.type)])
    reminders = messages(platform, kind="abandoned_cart")
    assert sorted((m.profile_id, m.subject, m.status) for m in reminders) == sorted(
        (people[email], f"carts/{cart_id}", "scheduled") for email, cart_id in left
    )
    purchases = [f for f in all_facts(platform) if f.kind == "purchased"]
    assert sorted((f.profile_id, f.subject) for f in purchases) == sorted(
        (people[email], f"orders/{order_id}") for email, _, order_id in bought
    )
    carts_read = [s for s in statements if s.startswith("SELECT") and " FROM carts " in s]
    assert len(carts_read) == 1, carts_read


def test_visitors_identified_in_one_batch_have_their_carts_read_once(platform, client, shop):
    """Tracking identifies visitors by the hundred: the consumer finds their open carts in
    one go and plans each visitor's reminder, the one of their latest open cart."""
    from tests.customers.support import make_source, send

    latest = {}
    for visitor in ("cookie-ines", "cookie-louis"):
        open_cart(client, shop.web, (shop.robe_m, 1), anonymous_id=visitor)
        latest[visitor] = open_cart(client, shop.web, (shop.veste, 1), anonymous_id=visitor)
    drain(platform)
    seq = last_seq(platform)
    send(
        client,
        make_source(platform, "web"),
        {"type": "identify", "anonymousId": "cookie-ines", "traits": {"email": INES}},
        {"type": "identify", "anonymousId": "cookie-louis", "traits": {"email": "louis@ex.fr"}},
    )
    identified = [e for e in events_since(platform, seq) if e.type == "customer.identified"]
    assert len(identified) == 2
    statements: list[str] = []

    def note(_conn, _cursor, statement, *_args) -> None:  # type: ignore[no-untyped-def]
        statements.append(" ".join(statement.split()))

    sqla_event.listen(platform.db.write_engine, "before_cursor_execute", note)
    try:
        deliver_batch(platform.db, journeys_consumer(region="FR"), identified)
    finally:
        sqla_event.remove(platform.db.write_engine, "before_cursor_execute", note)

    reminders = messages(platform, kind="abandoned_cart")
    assert sorted(m.subject for m in reminders) == sorted(
        f"carts/{cart['id']}" for cart in latest.values()
    )
    assert all(m.profile_id is not None for m in reminders)
    visitors_read = [
        s for s in statements if s.startswith("SELECT carts.anonymous_id, carts.id FROM carts")
    ]
    assert len(visitors_read) == 1, visitors_read
