"""Orders, carts and reservations join the profile timeline through the bus."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import func, select

from omnicanal.customers.models import ProfileEvent
from omnicanal.customers.service.consumers import sighting_from_event
from omnicanal.platform.actors import Actor
from omnicanal.platform.bus import deliver
from omnicanal.platform.clock import utcnow
from omnicanal.platform.events import Event, record_event
from omnicanal.platform.wiring import all_consumers
from tests.customers.support import make_source, profile_by, profiles_key, send

WEB = Actor(key_id=None, channel="web", name="web shop")
STORE = Actor(key_id=None, channel="store", location_code="LYON-01", name="till")


def _emit(platform, event_type, data, actor=WEB):
    with platform.db.transaction() as session:
        record_event(session, type=event_type, subject=f"x/{event_type}", data=data, actor=actor)
    platform.relay().drain()


def _known_customer(platform, client):
    send(
        client,
        make_source(platform, "web"),
        {"type": "identify", "userId": "u-1", "traits": {"email": "ines@example.fr"}},
    )
    return profiles_key(platform)


def test_an_order_event_joins_its_customer_timeline_and_computed_traits(platform, client):
    headers = _known_customer(platform, client)

    _emit(
        platform,
        "order.placed",
        {
            "order_id": "ORD-1",
            "customer": {"email": "Ines@Example.fr"},
            "total_minor": 15990,
            "currency": "EUR",
            "lines": [{"sku": "R-1", "category": "Robes", "quantity": 1}],
        },
    )

    profile = profile_by(client, headers, email="ines@example.fr")
    [entry] = [e for e in profile["timeline"]["items"] if e["kind"] == "domain"]
    assert entry["name"] == "order.placed"
    assert entry["channel"] == "web"
    assert entry["order_id"] == "ORD-1"
    assert profile["computed"]["monetary_minor"] == 15990
    assert profile["computed"]["favourite_categories"] == ["Robes"]


def test_a_cancelled_order_no_longer_counts(platform, client):
    headers = _known_customer(platform, client)
    _emit(
        platform,
        "order.placed",
        {"order_id": "O2", "customer_email": "ines@example.fr", "total_minor": 5000},
    )

    _emit(platform, "order.cancelled", {"order_id": "O2"})

    profile = profile_by(client, headers, email="ines@example.fr")
    assert profile["computed"]["orders"] == 0
    assert [e["name"] for e in profile["timeline"]["items"][:2]] == [
        "order.cancelled",
        "order.placed",
    ]


def test_a_reservation_for_a_known_order_joins_the_order_customer(platform, client):
    headers = _known_customer(platform, client)
    _emit(platform, "order.placed", {"order_id": "O3", "customer": {"email": "ines@example.fr"}})

    _emit(
        platform,
        "inventory.reserved",
        {"id": "R1", "sku": "R-1", "location": "LYON-01", "quantity": 1, "reference": "O3"},
        actor=STORE,
    )

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
        "cart.merged",
        {"cart_id": "C-1", "anonymous_id": "cookie-9", "customer": {"email": "ines@example.fr"}},
    )

    assert (
        profile_by(client, headers, anonymous_id="cookie-9")["id"]
        == (profile_by(client, headers, email="ines@example.fr")["id"])
    )


def test_events_that_name_nobody_leave_no_trace(platform, client):
    _emit(platform, "inventory.reserved", {"sku": "R-1", "reference": "unknown-ref"})
    _emit(platform, "order.placed", {"order_id": "O-anon"})

    with platform.db.reading() as session:
        assert session.scalar(select(func.count()).select_from(ProfileEvent)) == 0


def test_a_redelivered_event_joins_the_timeline_once(platform, client):
    headers = _known_customer(platform, client)
    event = Event(
        type="order.placed",
        subject="orders/O5",
        data={"order_id": "O5", "customer_email": "ines@example.fr", "total_minor": 100},
        source="/channels/web",
        time=utcnow() - timedelta(seconds=2),
    )
    [consumer] = [c for c in all_consumers() if c.name == "customers.timeline"]

    assert deliver(platform.db, consumer, event) is True
    assert deliver(platform.db, consumer, event) is False

    profile = profile_by(client, headers, email="ines@example.fr")
    assert profile["computed"]["orders"] == 1
    entry = next(e for e in profile["timeline"]["items"] if e["kind"] == "domain")
    assert entry["received_at"] == event.time.isoformat().replace("+00:00", "Z")


def test_a_domain_event_reads_identifiers_wherever_the_data_puts_them():
    event = Event(
        type="cart.updated",
        subject="carts/C",
        source="/channels/store/locations/LYON-01",
        data={
            "cart_id": "C",
            "customer": {"phone": "06 12 34 56 78", "loyalty_card": "fid 1"},
            "customer_email": "A@B.fr",
        },
    )

    sighting = sighting_from_event(event)

    assert sighting is not None
    assert {str(i) for i in sighting.identifiers} == {
        "phone:+33612345678",
        "loyalty_card:FID1",
        "email:a@b.fr",
    }
    assert sighting.channel == "store"
    assert sighting.references == ("ref:C",)


def test_an_order_of_the_orders_module_joins_the_web_login_named_by_its_customer_ref(
    platform, client
):
    headers = _known_customer(platform, client)

    with platform.db.transaction() as session:
        record_event(
            session,
            type="order.placed",
            subject="orders/01JORDER0000000000000000AA",
            data={
                "order_id": "01JORDER0000000000000000AA",
                "channel": "web",
                "customer_ref": "u-1",
                "status": "placed",
                "currency": "EUR",
                "total_minor": 4990,
            },
            actor=WEB,
        )
    platform.relay().drain()

    profile = profile_by(client, headers, user_id="u-1")
    assert profile["computed"]["orders"] == 1
    assert profile["computed"]["monetary_minor"] == 4990


def test_customer_refs_can_name_any_identifier_kind():
    def read(ref):
        event = Event(
            type="cart.assigned",
            subject="carts/C1",
            source="/channels/web",
            data={"customer_ref": ref},
        )
        sighting = sighting_from_event(event)
        assert sighting is not None
        return [str(i) for i in sighting.identifiers], sighting.profile_hint

    assert read("loyalty_card:fid 9") == (["loyalty_card:FID9"], None)
    assert read("Zoe@Example.fr") == (["email:zoe@example.fr"], None)
    assert read("01JQ7Z0000000000000000ABCD") == ([], "01JQ7Z0000000000000000ABCD")
    assert read("client-42") == (["user_id:client-42"], None)
