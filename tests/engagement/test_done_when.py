"""The issue's "Done when", end to end on the real worker (ADR 0026): the relay, the
consumers and the sending job as ``omnicanal worker`` runs them (``run_worker``), on SQLite
with the embedded bus and on PostgreSQL with NATS JetStream. The platform is spoken to only
through its HTTP API, Segment's tracking API and, for head office's policy, the back office;
e-mail arrives at a real SMTP server. Every wait polls for an outcome; none is a timing.

1. The seed journey: a visitor from an Instagram campaign fills a web cart and leaves; the
   reminder with its single-use coupon arrives; the clerk finds her by phone, opens her cart
   and sells it with the coupon for home delivery; nothing more is sent, and the coupon is
   refused the second time.
2. Ordered in the app a minute or more before the reminder's time: the reminder is
   withdrawn, and its message says why.
3. Returned at the counter: the refund is confirmed by e-mail, while the cart reminder and
   the back-in-stock message due in the suppression period are withheld.
4. Unsubscribed in one click from a received e-mail: nothing marketing on any channel, the
   pickup message still sent.
5. Each ends with the measure: no unjust message, and the withheld and withdrawn counts by
   reason the scenario produced.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta
from email.message import EmailMessage
from typing import Any
from urllib.parse import urlsplit

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import and_, func, or_, select

from omnicanal.api.app import create_app
from omnicanal.engagement.deciding import PENDING
from omnicanal.engagement.models import Message
from omnicanal.platform.clock import utcnow
from omnicanal.platform.events import OutboxEvent, ProcessedEvent
from omnicanal.platform.wiring import Platform
from tests.builders import auth, make_key, make_product, receive
from tests.conftest import NATS_URL, POSTGRES_URL, make_platform
from tests.customers.support import basic, make_source
from tests.mail_server import Inbox, smtp_server
from tests.platform.test_nats import WorkerThread, delete_stream, wait_until
from tests.returns.builders import CARD, DELIVERY, TILL, Shop, make_shop
from tests.web.test_store_basket import csrf_of
from tests.web.test_store_pages import make_staff, sign_in

INES = "ines@example.fr"
INES_PHONE = "+33612345678"
CUSTOMER = f"email:{INES}"
PUBLIC_URL = "https://boutique.example.fr/omnicanal"
CAMPAIGN = {"source": "instagram", "medium": "social", "name": "baskets-printemps"}
WAIT = 60.0
"""The longest a test waits for the worker (it usually takes a fraction of a second)."""
JOURNEYS = "engagement.journeys"


# --- the platform, its worker and its world ---------------------------------------------------


@pytest.fixture
def inbox() -> Iterator[Inbox]:
    with smtp_server() as received:
        yield received


@pytest.fixture(params=["sqlite-embedded", "postgresql-nats"])
def worker_platform(tmp_path, request, inbox) -> Iterator[Platform]:
    """A platform whose background work is the real worker's: on SQLite its relay feeds the
    embedded bus; on PostgreSQL it relays to a fresh JetStream stream and consumes it."""
    settings: dict[str, object] = {
        "smtp_url": inbox.url,
        "secret_key": "done-when-secret",
        "public_url": PUBLIC_URL,
        "message_send_interval_seconds": 0.2,
        "relay_poll_seconds": 0.2,
    }
    backend = "sqlite"
    if request.param == "postgresql-nats":
        if not (POSTGRES_URL and NATS_URL):
            pytest.skip(
                "The PostgreSQL + NATS run needs OMNICANAL_TEST_POSTGRES_URL and "
                "OMNICANAL_TEST_NATS_URL (a NATS server with JetStream)"
            )
        backend = "postgresql"
        tag = uuid.uuid4().hex[:12]
        settings |= {
            "bus_url": NATS_URL,
            "nats_stream": f"TEST_{tag}",
            "nats_subject_prefix": f"test{tag}.events",
        }
    platform = make_platform(backend, tmp_path, request, **settings)
    with WorkerThread(platform):
        yield platform
    platform.close()
    if request.param == "postgresql-nats":
        delete_stream(platform.settings)


@dataclass(frozen=True)
class World:
    """The shop (stores, products, a key per channel), trainers in 38 and 39 (the 39 never
    stocked at Lyon), the web shop's tracking sources (the pages' public key and its server's
    key) and head office's key for the messages."""

    platform: Platform
    client: TestClient
    inbox: Inbox
    shop: Shop
    trainers: str
    trainers_39: str
    browser: str
    shop_server: str
    office: dict[str, str]


@pytest.fixture
def world(worker_platform, inbox) -> Iterator[World]:
    platform = worker_platform
    shop = make_shop(platform)
    trainers, trainers_39 = make_product(platform, "BASKETS-RUN", sizes=("38", "39"))
    receive(platform, trainers, "WH-CENTRE", 10)
    receive(platform, trainers, "LYON-01", 4)
    receive(platform, trainers_39, "WH-CENTRE", 10)
    browser = make_source(platform, "web", name="Boutique en ligne")
    shop_server = make_source(platform, "web", name="Boutique en ligne (serveur)", trust="server")
    office = auth(make_key(platform, "call_centre", scopes=["engagement:read", "engagement:admin"]))
    make_staff(platform, "hugo@example.fr", role="head_office", location=None)
    with TestClient(create_app(platform, background=False)) as client:
        yield World(
            platform=platform,
            client=client,
            inbox=inbox,
            shop=shop,
            trainers=trainers,
            trainers_39=trainers_39,
            browser=browser,
            shop_server=shop_server,
            office=office,
        )


# --- head office's settings ---------------------------------------------------------------


def _no_quiet_hours(world: World) -> None:
    """Head office keeps no quiet hours (the back office's policy page, its other settings
    as they are): the scenarios run at any hour of the day."""
    client = world.client
    sign_in(client, "hugo@example.fr")
    page = client.get("/admin/messages/policy")
    assert page.status_code == 200, page.text
    form = page.text.split('id="policy-title"')[1].split("</form>")[0]
    fields = dict(re.findall(r'name="([^"]+)" type="(?:number|text)"[^>]*value="([^"]*)"', form))
    fields |= {
        "csrf": csrf_of(client, "/admin/messages/policy"),
        "quiet_start": "00:00",
        "quiet_end": "00:00",
    }
    saved = client.post("/admin/messages/policy", data=fields, follow_redirects=False)
    assert saved.status_code == 303, saved.text
    client.cookies.clear()


def _trigger(world: World, code: str, **changes: Any) -> dict[str, Any]:
    """PUT /v1/engagement/triggers/{code} as head office; the trigger."""
    response = world.client.put(
        f"/v1/engagement/triggers/{code}", json=changes, headers=world.office
    )
    assert response.status_code == 200, response.text
    return dict(response.json())


def _remind_after(world: World, minutes: int) -> None:
    """The cart reminder's delay, and quiet hours off."""
    _no_quiet_hours(world)
    trigger = _trigger(world, "ABANDONED_CART", delay_minutes=minutes)
    assert (trigger["delay_minutes"], trigger["coupon"]["percent"]) == (minutes, 10)


# --- Inès, through Segment and the API ----------------------------------------------------


def _segment(world: World, kind: str, write_key: str, message: dict[str, Any]) -> dict[str, Any]:
    response = world.client.post(f"/v1/{kind}", json=message, headers=basic(write_key))
    assert response.status_code == 200, response.text
    answer = dict(response.json())
    assert (answer["accepted"], answer["rejected"]) == (1, []), answer
    return answer


def _visits_from_instagram(world: World, visitor: str) -> None:
    """A visitor following the Instagram campaign browses the trainers (Segment's ``page``
    and ``track`` from the shop's pages, the campaign in their context)."""
    context = {"campaign": CAMPAIGN, "locale": "fr-FR"}
    _segment(
        world,
        "page",
        world.browser,
        {
            "anonymousId": visitor,
            "name": "Baskets running",
            "properties": {
                "path": "/baskets-running",
                "url": "https://boutique.example.fr/baskets-running?utm_source=instagram"
                "&utm_medium=social&utm_campaign=baskets-printemps",
            },
            "context": context,
        },
    )
    _segment(
        world,
        "track",
        world.browser,
        {
            "anonymousId": visitor,
            "event": "Product Viewed",
            "properties": {"sku": world.trainers, "price": 49.90, "currency": "EUR"},
            "context": context,
        },
    )


def _signs_up(world: World, visitor: str) -> str:
    """She gives her e-mail and phone and accepts news by e-mail: the shop's server says so
    with an ``identify`` (the documented ``consents`` trait); her profile id."""
    answer = _segment(
        world,
        "identify",
        world.shop_server,
        {
            "anonymousId": visitor,
            "traits": {
                "email": INES,
                "phone": "06 12 34 56 78",
                "first_name": "Inès",
                "consents": {"marketing": {"email": True}},
            },
            "context": {"campaign": CAMPAIGN},
        },
    )
    assert answer["warnings"] == []
    profile = world.client.get(
        "/v1/profiles/lookup", params={"email": INES}, headers=auth(world.shop.lyon)
    )
    assert profile.status_code == 200, profile.text
    profile_id = str(profile.json()["id"])
    consents = world.client.get(
        f"/v1/profiles/{profile_id}/consents", headers=auth(world.shop.lyon)
    )
    assert consents.status_code == 200, consents.text
    assert _granted(consents.json(), "marketing") == {"email": True}
    return profile_id


def _known_ines(world: World) -> str:
    """Inès, come from Instagram, known by her e-mail and phone, news by e-mail accepted."""
    visitor = f"ig-{uuid.uuid4().hex[:10]}"
    _visits_from_instagram(world, visitor)
    return _signs_up(world, visitor)


def _granted(answer: dict[str, Any], purpose: str) -> dict[str, bool]:
    """What the consents API says she accepts for ``purpose``, by channel."""
    return {
        row["channel"]: row["granted"] for row in answer["current"] if row["purpose"] == purpose
    }


def _web_cart(world: World, sku: str) -> dict[str, Any]:
    """Her web cart, filed under her e-mail."""
    response = world.client.post(
        "/v1/carts",
        json={"customer_ref": CUSTOMER, "lines": [{"sku": sku, "quantity": 1}]},
        headers=auth(world.shop.web),
    )
    assert response.status_code == 201, response.text
    return dict(response.json())


# --- reading what happened ----------------------------------------------------------------


def _messages(world: World, **filters: str) -> list[dict[str, Any]]:
    """GET /v1/engagement/messages, every page, oldest first."""
    found: list[dict[str, Any]] = []
    params: dict[str, Any] = {"limit": 200, **filters}
    while True:
        page = world.client.get("/v1/engagement/messages", params=params, headers=world.office)
        assert page.status_code == 200, page.text
        found += page.json()["items"]
        if page.json()["next_cursor"] is None:
            return found[::-1]
        params["starting_after"] = page.json()["next_cursor"]


def _message(world: World, message_id: str) -> dict[str, Any]:
    response = world.client.get(f"/v1/engagement/messages/{message_id}", headers=world.office)
    assert response.status_code == 200, response.text
    return dict(response.json())


def _one(world: World, kind: str, *statuses: str) -> dict[str, Any] | None:
    """The only message of ``kind`` once it has one of ``statuses`` (None before)."""
    found = _messages(world, kind=kind)
    assert len(found) <= 1, found
    return found[0] if found and found[0]["status"] in statuses else None


def _wait_for(world: World, kind: str, *statuses: str) -> dict[str, Any]:
    """Wait until the only message of ``kind`` has one of ``statuses``; its detail."""
    wait_until(
        lambda: _one(world, kind, *statuses) is not None,
        timeout=WAIT,
        what=f"the {kind} message to be {' or '.join(statuses)}",
    )
    found = _one(world, kind, *statuses)
    assert found is not None
    return _message(world, found["id"])


def _mails(world: World, count: int) -> list[tuple[list[str], EmailMessage]]:
    """The e-mails received, once there are ``count``."""
    wait_until(
        lambda: len(world.inbox.messages) >= count,
        timeout=WAIT,
        what=f"{count} e-mail(s) to arrive",
    )
    return list(world.inbox.messages)


def _text(mail: EmailMessage) -> str:
    body = mail.get_body(preferencelist=("plain",))
    assert body is not None
    return str(body.get_content())


def _idle(platform: Platform) -> bool:
    """Whether the worker has nothing left to do: every event relayed and handled by the
    journeys' consumer, no message due or being sent."""
    consumer = next(c for c in platform.consumers if c.name == JOURNEYS)
    now = utcnow()
    with platform.db.reading() as session:
        if session.scalar(select(func.count()).where(OutboxEvent.published.is_(False))):
            return False
        wanted = [
            t for t in session.scalars(select(OutboxEvent.type).distinct()) if consumer.wants(t)
        ]
        handled = select(ProcessedEvent.event_id).where(ProcessedEvent.consumer == JOURNEYS)
        unhandled = session.scalar(
            select(func.count()).where(OutboxEvent.type.in_(wanted), OutboxEvent.id.not_in(handled))
        )
        busy = session.scalar(
            select(func.count()).where(
                Message.status.in_(PENDING),
                or_(
                    Message.due_at <= now,
                    # Claimed by the sending job and not recorded yet.
                    and_(Message.status == "scheduled", Message.attempts > 0),
                ),
            )
        )
    return not unhandled and not busy


def _settle(world: World) -> None:
    """Wait until the worker is idle."""
    wait_until(lambda: _idle(world.platform), timeout=WAIT, what="the worker to be idle")


def _measured(
    world: World,
    since: datetime,
    *,
    sent: int,
    withheld: dict[str, int],
    withdrawn: dict[str, int],
) -> None:
    """GET /v1/engagement/measures over the scenario: no unjust message, and the counts by
    reason the scenario produced (which the messages API agrees with)."""
    response = world.client.get(
        "/v1/engagement/measures",
        params={"since": since.isoformat(), "until": (utcnow() + timedelta(seconds=1)).isoformat()},
        headers=world.office,
    )
    assert response.status_code == 200, response.text
    measured = response.json()
    assert (measured["unjust"], measured["unjust_messages"]) == (0, [])
    assert measured["sent"] == sent
    assert measured["withheld_by_reason"] == withheld
    assert measured["withdrawn_by_reason"] == withdrawn
    listed = _messages(world)
    assert len([m for m in listed if m["status"] == "sent"]) == sent
    for status, by_reason in (("withheld", withheld), ("withdrawn", withdrawn)):
        reasons = sorted(m["reason"] for m in listed if m["status"] == status)
        assert reasons == sorted(r for r, n in by_reason.items() for _ in range(n))
    assert [m for m in listed if m["status"] in PENDING] == []


# --- 1. the seed journey ------------------------------------------------------------------


def test_the_seed_journey_from_instagram_to_the_counter(world):
    since = utcnow()
    _remind_after(world, 0)  # the smallest delay the trigger takes: at once
    client, shop = world.client, world.shop
    visitor = f"ig-{uuid.uuid4().hex[:10]}"
    _visits_from_instagram(world, visitor)
    added = client.post(
        "/v1/carts",
        json={"anonymous_id": visitor, "lines": [{"sku": world.trainers, "quantity": 1}]},
        headers=auth(shop.web),
    )
    assert added.status_code == 201, added.text
    cart = added.json()
    ines = _signs_up(world, visitor)
    filed = client.post(
        "/v1/carts/merge",
        json={"anonymous_id": visitor, "customer_ref": CUSTOMER},
        headers=auth(shop.web),
    )
    assert filed.status_code == 200, filed.text
    assert filed.json()["id"] == cart["id"]

    # She leaves: the reminder, with its coupon, arrives by e-mail.
    reminder = _wait_for(world, "abandoned_cart", "sent")
    [(recipients, mail)] = _mails(world, 1)
    code = reminder["coupon_code"]
    assert code is not None and code.startswith("RELANCE-")
    assert (reminder["profile_id"], reminder["about"]) == (ines, f"carts/{cart['id']}")
    assert (reminder["channel"], reminder["recipient"], reminder["provider"]) == (
        "email",
        INES,
        "smtp",
    )
    assert recipients == [INES]
    assert code in _text(mail)
    assert mail["Subject"] == reminder["rendered_subject"]
    assert mail["List-Unsubscribe"].startswith(f"<{PUBLIC_URL}/unsubscribe/")
    assert mail["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"

    # At the Lyon store the clerk finds her by phone and opens her cart.
    found = client.get(
        "/v1/profiles/lookup", params={"phone": "06 12 34 56 78"}, headers=auth(shop.lyon)
    )
    assert found.status_code == 200, found.text
    assert found.json()["id"] == ines
    seen = {(entry["kind"], entry["name"]) for entry in found.json()["timeline"]["items"]}
    assert {("page", "Baskets running"), ("track", "Product Viewed")} <= seen
    opened = client.get(f"/v1/profiles/{ines}/cart", headers=auth(shop.lyon))
    assert opened.status_code == 200, opened.text
    assert opened.json()["id"] == cart["id"]
    assert [(line["sku"], line["quantity"]) for line in opened.json()["lines"]] == [
        (world.trainers, 1)
    ]

    # She buys it there with the coupon, delivered at home.
    sale = client.post(
        "/v1/orders",
        json={
            "cart_id": cart["id"],
            "channel": "store",
            "coupons": [code],
            "fulfilment": {"method": "ship"},
            "delivery_address": DELIVERY,
            "payment": TILL,
        },
        headers=auth(shop.lyon, **{"Idempotency-Key": f"sale-{cart['id']}"}),
    )
    assert sale.status_code == 201, sale.text
    order = sale.json()
    assert order["coupons"] == [code]
    assert order["discount_minor"] == order["subtotal_minor"] // 10 > 0
    assert {f["method"] for f in order["fulfilments"]} == {"ship"}

    # Nothing more is sent: one reminder, the one e-mail.
    _settle(world)
    assert [(m["kind"], m["status"]) for m in _messages(world)] == [("abandoned_cart", "sent")]
    assert len(world.inbox.messages) == 1

    # The coupon is used: a second checkout with it is refused and places nothing.
    again = client.post(
        "/v1/orders",
        json={
            "lines": [{"sku": world.trainers, "quantity": 1}],
            "customer_ref": CUSTOMER,
            "coupons": [code],
            "payment": TILL,
        },
        headers=auth(shop.lyon),
    )
    assert again.status_code == 409, again.text
    assert again.json()["code"] == "coupon_exhausted"

    _settle(world)
    _measured(world, since, sent=1, withheld={}, withdrawn={})


# --- 2. ordered before the reminder's time ------------------------------------------------


def test_an_order_in_the_app_before_the_reminders_time_withdraws_it(world):
    since = utcnow()
    _remind_after(world, 2)
    ines = _known_ines(world)
    cart = _web_cart(world, world.trainers)
    planned = _wait_for(world, "abandoned_cart", "scheduled")

    ordered = world.client.post(
        "/v1/orders",
        json={
            "lines": [{"sku": world.shop.veste, "quantity": 1}],
            "customer_ref": CUSTOMER,
            "fulfilment": {"method": "ship"},
            "delivery_address": DELIVERY,
            "payment": CARD,
        },
        headers=auth(world.shop.app),
    )
    assert ordered.status_code == 201, ordered.text
    order = ordered.json()
    due_at = datetime.fromisoformat(planned["due_at"])
    assert due_at - datetime.fromisoformat(order["placed_at"]) >= timedelta(minutes=1)

    withdrawn = _wait_for(world, "abandoned_cart", "withdrawn")
    assert (withdrawn["profile_id"], withdrawn["about"]) == (ines, f"carts/{cart['id']}")
    assert withdrawn["reason"] == "ordered_since"
    assert withdrawn["reason_facts"]["fact"] == "purchased"
    assert withdrawn["reason_facts"]["subject"] == f"orders/{order['id']}"
    *earlier, last = withdrawn["decisions"]
    assert [d["stage"] for d in earlier] == ["schedule"]
    assert (last["stage"], last["outcome"], last["reason"]) == (
        "event",
        "withdraw",
        "ordered_since",
    )
    assert last["facts"] == withdrawn["reason_facts"]
    assert datetime.fromisoformat(last["decided_at"]) < due_at
    assert (withdrawn["sent_at"], withdrawn["rendered_text"], withdrawn["deliveries"]) == (
        None,
        None,
        [],
    )

    _settle(world)
    assert world.inbox.messages == []
    _measured(world, since, sent=0, withheld={}, withdrawn={"ordered_since": 1})


# --- 3. returned in store -----------------------------------------------------------------


def test_after_a_return_in_store_the_refund_is_confirmed_and_promotions_wait(world):
    since = utcnow()
    _remind_after(world, 0)
    client, shop = world.client, world.shop
    ines = _known_ines(world)
    bought = client.post(
        "/v1/orders",
        json={
            "lines": [{"sku": shop.robe_m, "quantity": 1}],
            "customer_ref": CUSTOMER,
            "payment": TILL,
        },
        headers=auth(shop.lyon),
    )
    assert bought.status_code == 201, bought.text
    order = bought.json()
    watched = client.post(
        "/v1/stock-watches",
        json={"sku": world.trainers_39, "location": "LYON-01", "customer_ref": CUSTOMER},
        headers=auth(shop.lyon),
    )
    assert watched.status_code == 201, watched.text

    # She brings the dress back to the Lyon counter and is refunded.
    taken = client.post(
        "/v1/returns",
        json={
            "order_id": order["id"],
            "lines": [
                {"order_line_id": order["lines"][0]["id"], "quantity": 1, "reason": "too_small"}
            ],
        },
        headers=auth(shop.lyon),
    )
    assert taken.status_code == 201, taken.text
    returned = taken.json()
    inspected = client.post(
        f"/v1/returns/{returned['id']}/inspect", json={}, headers=auth(shop.lyon)
    )
    assert inspected.status_code == 200, inspected.text
    refunded = client.post(
        f"/v1/returns/{returned['id']}/refund",
        json={"method": "original_payment", "provider": "adyen-pos", "reference": "pos_r1"},
        headers=auth(shop.lyon),
    )
    assert refunded.status_code == 200, refunded.text

    confirmation = _wait_for(world, "return_refunded", "sent")
    assert (confirmation["channel"], confirmation["recipient"]) == ("email", INES)
    _wait_for(world, "return_received", "sent")
    mails = _mails(world, 2)
    assert confirmation["rendered_subject"] in [mail["Subject"] for _, mail in mails]

    # Within the suppression period: a new web cart, and the trainers back at Lyon.
    _settle(world)
    cart = _web_cart(world, world.trainers)
    restocked = client.post(
        "/v1/inventory/movements",
        json={"sku": world.trainers_39, "location": "LYON-01", "kind": "receipt", "quantity": 6},
        headers=auth(shop.lyon),
    )
    assert restocked.status_code == 201, restocked.text

    for kind, about in (
        ("abandoned_cart", f"carts/{cart['id']}"),
        ("back_in_stock", f"stock/{world.trainers_39}@LYON-01"),
    ):
        held = _wait_for(world, kind, "withheld")
        assert (held["profile_id"], held["about"], held["reason"]) == (
            ines,
            about,
            "returned_recently",
        )
        assert held["reason_facts"]["fact"] == "returned"
        assert (held["reason_facts"]["period_days"], held["reason_facts"]["days_ago"]) == (14, 0)
        last = held["decisions"][-1]
        assert (last["stage"], last["outcome"], last["reason"]) == (
            "send",
            "withhold",
            "returned_recently",
        )
        assert (held["coupon_code"], held["rendered_text"], held["deliveries"]) == (None, None, [])

    _settle(world)
    mails = world.inbox.messages
    assert len(mails) == 2
    assert all(mail["List-Unsubscribe"] is None for _, mail in mails)
    assert sorted((m["kind"], m["status"]) for m in _messages(world)) == [
        ("abandoned_cart", "withheld"),
        ("back_in_stock", "withheld"),
        ("return_received", "sent"),
        ("return_refunded", "sent"),
    ]
    _measured(world, since, sent=2, withheld={"returned_recently": 2}, withdrawn={})


# --- 4. unsubscribed ----------------------------------------------------------------------


def test_after_a_one_click_unsubscribe_nothing_marketing_leaves_but_the_pickup_message(world):
    since = utcnow()
    _remind_after(world, 0)
    client, shop = world.client, world.shop
    ines = _known_ines(world)
    _web_cart(world, world.trainers)
    _wait_for(world, "abandoned_cart", "sent")
    [(_, mail)] = _mails(world, 1)

    # Her mail provider's unsubscribe button: the one-click POST of RFC 8058.
    link = mail["List-Unsubscribe"].strip("<>")
    assert link.startswith(PUBLIC_URL)
    unsubscribed = client.post(
        urlsplit(link).path.removeprefix(urlsplit(PUBLIC_URL).path),
        data={"List-Unsubscribe": "One-Click"},
    )
    assert unsubscribed.status_code == 200, unsubscribed.text
    consents = client.get(f"/v1/profiles/{ines}/consents", headers=auth(shop.lyon))
    assert consents.status_code == 200, consents.text
    every_channel = {channel: False for channel in ("email", "sms", "push", "post")}
    assert _granted(consents.json(), "marketing") == every_channel
    assert _granted(consents.json(), "personalised_offers") == every_channel

    # Head office offers the reminder on every channel; her next cart gets none.
    _trigger(world, "ABANDONED_CART", channels=["sms", "push", "email"])
    _settle(world)
    cart = _web_cart(world, shop.veste)
    wait_until(
        lambda: any(
            m["about"] == f"carts/{cart['id']}" and m["status"] == "withheld"
            for m in _messages(world, kind="abandoned_cart")
        ),
        timeout=WAIT,
        what="the second reminder to be withheld",
    )
    [held] = [
        _message(world, m["id"])
        for m in _messages(world, kind="abandoned_cart")
        if m["about"] == f"carts/{cart['id']}"
    ]
    assert held["reason"] == "consent_withdrawn"
    assert held["reason_facts"] == {"purpose": "marketing", "channel": "sms"}
    assert (held["channel"], held["coupon_code"], held["deliveries"]) == (None, None, [])

    # A transactional message still leaves: her web order is ready at Lyon.
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
    pickup = _wait_for(world, "pickup_ready", "sent")
    assert (pickup["purpose"], pickup["channel"], pickup["recipient"]) == (
        "transactional",
        "sms",
        INES_PHONE,
    )
    assert fulfilment["pickup_code"] in pickup["rendered_text"]

    _settle(world)
    assert len(world.inbox.messages) == 1
    _measured(world, since, sent=2, withheld={"consent_withdrawn": 1}, withdrawn={})
