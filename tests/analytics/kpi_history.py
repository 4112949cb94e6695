"""Hand-built histories for the KPI facts: events with chosen times, fed through the real
consumer (``analytics.kpis``) as the bus delivers them, and the figures read back."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from datetime import UTC, date, datetime
from typing import Any

from omnicanal.analytics import measures
from omnicanal.analytics.facts import CONSUMER
from omnicanal.analytics.kpis import Figure, Scope
from omnicanal.fulfilment.events import FULFILMENT_STATUS_EVENTS
from omnicanal.inventory.events import StockReserved
from omnicanal.network.events import LocationCapabilities, LocationOpened
from omnicanal.orders.events import OrderPlaced
from omnicanal.platform.bus import Consumer, deliver_batch
from omnicanal.platform.events import DomainEvent, Event
from omnicanal.platform.wiring import Platform
from omnicanal.returns.events import RETURN_STATUS_EVENTS

WEB = "/channels/web"
DAY = date(2026, 3, 2)
"""A Monday in Paris, UTC+1 (summer time starts on 29 March)."""


def at(text: str) -> datetime:
    """A UTC moment: ``"2026-03-02T10:00"``."""
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


def event(payload: DomainEvent, moment: str, *, source: str = WEB) -> Event:
    """The envelope of ``payload``, happening at ``moment`` (UTC), from ``source``."""
    return replace(Event.of(payload, source=source), time=at(moment))


def till(store: str) -> str:
    """The source of an event recorded by ``store``'s till."""
    return f"/channels/store/locations/{store}"


def consumer(platform: Platform) -> Consumer:
    return next(c for c in platform.consumers if c.name == CONSUMER)


def feed(platform: Platform, *events: Event) -> int:
    """Deliver ``events`` to the KPI consumer in one batch, as the bus does."""
    return deliver_batch(platform.db, consumer(platform), list(events))


def opened(
    code: str, moment: str = "2026-01-01T08:00", *, kind: str = "store", zone: str = "Europe/Paris"
) -> Event:
    payload = LocationOpened(
        id=f"loc-{code}",
        code=code,
        name=f"Magasin {code}",
        kind=kind,
        address_line="1 rue de la Paix",
        postcode="75002",
        city="Paris",
        country="FR",
        latitude=48.86,
        longitude=2.33,
        timezone=zone,
        capabilities=LocationCapabilities(
            sells_in_store=kind == "store", ships=True, click_and_collect=True, accepts_returns=True
        ),
        channels=["web", "store"],
        active=True,
        created_at=at(moment),
    )
    return event(payload, moment)


def placed(
    order_id: str,
    moment: str,
    *,
    total: int = 1000,
    lines: Sequence[tuple[str, int, str, str | None]] = (("SKU-1", 1, "ship", None),),
    channel: str = "web",
    customer: str | None = None,
    cart: str | None = None,
    currency: str = "EUR",
    source: str = WEB,
) -> Event:
    """An ``order.placed``: its lines as (SKU, quantity, method, store)."""
    payload = OrderPlaced(
        order_id=order_id,
        channel=channel,
        customer_ref=customer,
        from_status=None,
        status="placed",
        reason="",
        currency=currency,
        total_minor=total,
        payment_status="captured",
        cart_id=cart,
        lines=[
            {"sku": sku, "quantity": quantity, "method": method, "location": store}
            for sku, quantity, method, store in lines
        ],
    )
    return event(payload, moment, source=source)


def order_moved(kind: type[DomainEvent], order_id: str, moment: str, **more: Any) -> Event:
    status = kind.type.removeprefix("order.")  # type: ignore[attr-defined]
    payload = kind(
        order_id=order_id,
        channel="web",
        customer_ref=None,
        from_status="placed",
        status=status,
        reason="",
        currency="EUR",
        total_minor=0,
        payment_status="captured",
        **more,
    )
    return event(payload, moment)


def fulfilment(
    status: str,
    fulfilment_id: str,
    order_id: str,
    moment: str,
    *,
    method: str = "pickup",
    location: str = "PARIS-01",
    lines: Sequence[tuple[str, int]] = (("SKU-1", 1),),
    source: str = WEB,
    **more: Any,
) -> Event:
    """A ``fulfilment.<status>`` event."""
    if status == "shipped":
        more = {"carrier": None, "tracking_reference": None, **more}
    payload = FULFILMENT_STATUS_EVENTS[status](
        fulfilment_id=fulfilment_id,
        order_id=order_id,
        method=method,
        location=location,
        from_status=None,
        status=status,
        action="act",
        reason="",
        lines=[{"sku": sku, "quantity": quantity} for sku, quantity in lines],
        **more,
    )
    return event(payload, moment, source=source)


def reservation(
    kind: type[DomainEvent],
    reservation_id: str,
    moment: str,
    *,
    location: str = "PARIS-01",
    channel: str = "web",
) -> Event:
    payload = kind(
        id=reservation_id,
        sku="SKU-1",
        location=location,
        channel=channel,
        quantity=1,
        status="active" if kind is StockReserved else "ended",
        reference=None,
        expires_at=at(moment),
        created_at=at(moment),
        ended_at=None,
        actor="key:test",
    )
    return event(payload, moment)


def returned(
    status: str,
    return_id: str,
    order_id: str,
    moment: str,
    *,
    units: int = 1,
    satisfaction: int | None = None,
    location: str | None = "PARIS-01",
    **more: Any,
) -> Event:
    """A return's move to ``status`` (refunded, exchanged, closed...)."""
    fields: dict[str, Any] = {
        "return_id": return_id,
        "order_id": order_id,
        "customer_ref": None,
        "purchase_channel": "web",
        "return_channel": "store",
        "return_location": location,
        "status": status,
        "lines": [
            {
                "order_line_id": "line",
                "sku": "SKU-1",
                "quantity": units,
                "reason": "too_small",
                "condition": "unworn",
            }
        ],
        "reason_codes": ["too_small"],
        **more,
    }
    if satisfaction is not None:
        fields["satisfaction"] = satisfaction
    return event(RETURN_STATUS_EVENTS[status](**fields), moment)


def scope(start: date = DAY, end: date | None = None, **filters: Any) -> Scope:
    return Scope(start=start, end=end or start, **filters)


def figure(platform: Platform, code: str, within: Scope | None = None) -> Figure:
    """The figure of ``code`` over ``within`` (the day :data:`DAY` by default)."""
    with platform.db.reading() as session:
        return measures.figures(session, within or scope(), [code])[0]


def value(platform: Platform, code: str, within: Scope | None = None) -> float | None:
    return figure(platform, code, within).value
