"""Orders, carts and reservations join the profile timeline through the bus."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta
from typing import Any

from sqlalchemy import func, select

from omnicanal.carts.events import CartCreated, CartMerged
from omnicanal.customers.models import ProfileEvent
from omnicanal.customers.service.consumers import sighting_from_event
from omnicanal.customers.service.ingest import UNIFICATION_MS_MAX
from omnicanal.inventory.events import StockReserved
from omnicanal.orders.events import OrderCancelled, OrderPlaced
from omnicanal.platform.actors import Actor
from omnicanal.platform.bus import deliver
from omnicanal.platform.clock import utcnow
from omnicanal.platform.events import DomainEvent, Event, record_event
from tests.customers.support import make_source, profile_by, profiles_key, send

WEB = Actor(key_id=None, channel="web", name="web shop")
STORE = Actor(key_id=None, channel="store", location_code="LYON-01", name="till")


def _emit(platform, event: DomainEvent, actor=WEB):
    with platform.db.transaction() as session:
        record_event(session, event, actor=actor)
    platform.relay().drain()


def _placed(order_id: str, customer_ref: str | None, total_minor: int = 0) -> OrderPlaced:
    return OrderPlaced(
        order_id=order_id,
        channel="web",
        customer_ref=customer_ref,
        from_status=None,
        status="placed",
        reason="",
        currency="EUR",
        total_minor=total_minor,
        payment_status="captured",
        cart_id=None,
        lines=[{"sku": "R-1", "quantity": 1, "method": "ship", "location": None}],
    )


def _reserved(reference: str) -> StockReserved:
    return StockReserved.model_validate(
        {**StockReserved.example, "id": "R1", "sku": "R-1", "reference": reference}
    )


def _cart_created(customer_ref: str) -> dict[str, Any]:
    return CartCreated(
        cart_id="C1",
        channel="web",
        anonymous_id=None,
        customer_ref=customer_ref,
        currency="EUR",
        lines=[],
        coupons=[],
    ).model_dump(mode="json")


def _known_customer(platform, client):
    send(
        client,
        make_source(platform, "web"),
        {"type": "identify", "userId": "u-1", "traits": {"email": "ines@example.fr"}},
    )
    return profiles_key(platform)


def test_an_order_event_joins_its_customer_timeline_and_computed_traits(platform, client):
    headers = _known_customer(platform, client)

    _emit(platform, _placed("ORD-1", "email:Ines@Example.fr", total_minor=15990))

    profile = profile_by(client, headers, email="ines@example.fr")
    [entry] = [e for e in profile["timeline"]["items"] if e["kind"] == "domain"]
    assert entry["name"] == "order.placed"
    assert entry["channel"] == "web"
    assert entry["order_id"] == "ORD-1"
    assert profile["computed"]["monetary_minor"] == 15990


def test_a_cancelled_order_no_longer_counts(platform, client):
    headers = _known_customer(platform, client)
    _emit(platform, _placed("O2", "ines@example.fr", total_minor=5000))

    cancelled = _placed("O2", None).model_dump(exclude={"cart_id", "lines", "tenders"})
    _emit(platform, OrderCancelled(**{**cancelled, "status": "cancelled", "refund_due": True}))

    profile = profile_by(client, headers, email="ines@example.fr")
    assert profile["computed"]["orders"] == 0
    assert [e["name"] for e in profile["timeline"]["items"][:2]] == [
        "order.cancelled",
        "order.placed",
    ]


def test_a_reservation_for_a_known_order_joins_the_order_customer(platform, client):
    headers = _known_customer(platform, client)
    _emit(platform, _placed("O3", "email:ines@example.fr"))

    _emit(platform, _reserved("O3"), actor=STORE)

    names = [
        e["name"] for e in profile_by(client, headers, email="ines@example.fr")["timeline"]["items"]
    ]
    assert "inventory.reserved" in names


def test_an_anonymous_cart_that_becomes_a_customer_links_the_cookie(platform, client):
    headers = _known_customer(platform, client)
    send(
        client,
        make_source(platform, "app"),
        {"type": "screen", "anonymousId": "cookie-9", "name": "Panier"},
    )

    _emit(
        platform,
        CartMerged(
            cart_id="C-1",
            into="C-2",
            anonymous_id="cookie-9",
            customer_ref="email:ines@example.fr",
            lines=[],
            coupons=[],
        ),
    )

    assert (
        profile_by(client, headers, anonymous_id="cookie-9")["id"]
        == (profile_by(client, headers, email="ines@example.fr")["id"])
    )


def test_events_that_name_nobody_leave_no_trace(platform, client):
    _emit(platform, _reserved("unknown-ref"))
    _emit(platform, _placed("O-anon", None))

    with platform.db.reading() as session:
        assert session.scalar(select(func.count()).select_from(ProfileEvent)) == 0


def test_a_redelivered_event_joins_the_timeline_once(platform, client):
    headers = _known_customer(platform, client)
    event = replace(
        Event.of(_placed("O5", "ines@example.fr", total_minor=100), source="/channels/web"),
        time=utcnow() - timedelta(seconds=2),
    )
    [consumer] = [c for c in platform.consumers if c.name == "customers.timeline"]

    assert deliver(platform.db, consumer, event) is True
    assert deliver(platform.db, consumer, event) is False

    profile = profile_by(client, headers, email="ines@example.fr")
    assert profile["computed"]["orders"] == 1
    entry = next(e for e in profile["timeline"]["items"] if e["kind"] == "domain")
    assert entry["received_at"] == event.time.isoformat().replace("+00:00", "Z")


def test_a_cart_event_names_the_customer_by_reference_and_the_visitor_by_anonymous_id():
    """A cart assigned to a customer links its cookie to them; the cart is its reference."""
    event = Event(
        type="cart.assigned",
        subject="carts/C",
        source="/channels/store/locations/LYON-01",
        data={"cart_id": "C", "anonymous_id": "cookie-1", "customer_ref": "loyalty_card:fid 1"},
    )

    sighting = sighting_from_event(event)

    assert sighting is not None
    assert {str(i) for i in sighting.identifiers} == {
        "anonymous_id:cookie-1",
        "loyalty_card:FID1",
    }
    assert sighting.channel == "store"
    assert sighting.references == ("ref:C",)


def test_an_order_of_the_orders_module_joins_the_web_login_named_by_its_customer_ref(
    platform, client
):
    headers = _known_customer(platform, client)

    _emit(platform, _placed("01JORDER0000000000000000AA", "u-1", total_minor=4990))

    profile = profile_by(client, headers, user_id="u-1")
    assert profile["computed"]["orders"] == 1
    assert profile["computed"]["monetary_minor"] == 4990


def test_customer_refs_can_name_any_identifier_kind():
    def read(ref):
        event = Event(
            type="cart.created", subject="carts/C1", source="/channels/web", data=_cart_created(ref)
        )
        sighting = sighting_from_event(event)
        assert sighting is not None
        return [str(i) for i in sighting.identifiers], sighting.profile_hint

    assert read("loyalty_card:fid 9") == (["loyalty_card:FID9"], None)
    assert read("Zoe@Example.fr") == (["email:zoe@example.fr"], None)
    assert read("01JQ7Z0000000000000000ABCD") == ([], "01JQ7Z0000000000000000ABCD")
    assert read("client-42") == (["user_id:client-42"], None)


def test_an_event_that_no_longer_fits_its_class_joins_no_timeline(platform, client):
    """An erased person's cart event, its strings nulled, is skipped and not retried."""
    headers = _known_customer(platform, client)
    [consumer] = [c for c in platform.consumers if c.name == "customers.timeline"]
    redacted = Event(
        type="cart.assigned",
        subject="carts/C9",
        source="/channels/web",
        data={"cart_id": "C9", "anonymous_id": None, "customer_ref": None},
    )

    assert deliver(platform.db, consumer, redacted) is True

    profile = profile_by(client, headers, email="ines@example.fr")
    assert [e for e in profile["timeline"]["items"] if e["kind"] == "domain"] == []


def test_an_event_heard_weeks_late_joins_the_timeline_with_the_longest_recorded_delay(
    platform, client
):
    """An order event heard 40 days after it happened (a relay stopped for weeks, a replayed
    history) still joins the timeline: its time to unification is recorded at the column's
    limit instead of refusing the row (PostgreSQL's 32-bit integer)."""
    headers = _known_customer(platform, client)
    late = replace(
        Event.of(_placed("LATE-1", "ines@example.fr", total_minor=4200), source="/channels/web"),
        time=utcnow() - timedelta(days=40),
    )
    [consumer] = [c for c in platform.consumers if c.name == "customers.timeline"]

    assert deliver(platform.db, consumer, late) is True

    profile = profile_by(client, headers, email="ines@example.fr")
    assert [e["order_id"] for e in profile["timeline"]["items"] if e["kind"] == "domain"] == [
        "LATE-1"
    ]
    with platform.db.reading() as session:
        longest = session.scalar(select(func.max(ProfileEvent.unification_ms)))
    assert longest == UNIFICATION_MS_MAX
