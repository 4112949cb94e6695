"""The truth as it is now, read from the modules that hold it, for the send-time decision.

The facts the consumer records from events may arrive late or out of order (a till's sale
reaches the bus after the reminder's time). So, at the moment of sending, the policy also
weighs what the owning module says now: the cart (still open, with lines?), the fulfilment
(still waiting, or collected, ended, cancelled?), the order (cancelled?), the stock (gone
again at that store?). Each is a :class:`~omnicanal.engagement.policy.FactView` about the
message's subject; none is written anywhere.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.orm import Session

from omnicanal.catalog.errors import UnknownSku
from omnicanal.customers import service as customers
from omnicanal.engagement.policy import FactView
from omnicanal.engagement.recipients import cart_read
from omnicanal.fulfilment import queries as fulfilments
from omnicanal.fulfilment.errors import UnknownFulfilment
from omnicanal.inventory import availability
from omnicanal.orders import service as orders
from omnicanal.orders.errors import UnknownOrder
from omnicanal.orders.lookups import get_order_ref
from omnicanal.platform.clock import as_utc

__all__ = ["live_facts"]

_FULFILMENT_ENDS: dict[str, str] = {
    "collected": "collected",
    "bought": "reservation_closed",
    "released": "reservation_closed",
    "expired": "reservation_closed",
    "cancelled": "cancelled",
    "rejected": "cancelled",
}
"""What a fulfilment's status says about a message waiting on it (pickup ready, a
reservation about to expire, a parcel shipped)."""


def _no_later(moment: datetime | None, now: datetime) -> datetime:
    """When a state began, as the policy weighs it: never after ``now`` (the policy judges
    a moment with what had happened by then)."""
    if moment is None:
        return now
    return min(as_utc(moment), now)


def _cart(session: Session, cart_id: str, subject: str, now: datetime) -> list[FactView]:
    cart = cart_read(session, cart_id)
    if cart is None:
        return [FactView("cart_closed", now, subject, {"status": "unknown"})]
    if cart.status == "open" and cart.lines:
        return []
    detail: dict[str, object] = {"status": str(cart.status)}
    if cart.merged_into is not None:
        detail["merged_into"] = cart.merged_into
    if cart.order_id is not None:
        detail["order_id"] = cart.order_id
    if cart.status == "open":
        detail["emptied"] = True
    return [FactView("cart_closed", _no_later(cart.updated_at, now), subject, detail)]


def _fulfilment(
    session: Session, fulfilment_id: str, subject: str, now: datetime
) -> list[FactView]:
    try:
        fulfilment = fulfilments.get_fulfilment(session, fulfilment_id)
    except UnknownFulfilment:
        return []
    kind = _FULFILMENT_ENDS.get(fulfilment.status)
    if kind is None:
        return []
    ended = fulfilment.handed_over_at if kind == "collected" else fulfilment.updated_at
    detail = {"status": fulfilment.status, "order_id": fulfilment.order_id}
    return [FactView(kind, _no_later(ended, now), subject, detail)]


def _order(session: Session, order_id: str, subject: str, now: datetime) -> list[FactView]:
    try:
        order = get_order_ref(session, order_id)
    except UnknownOrder:
        return []
    if order.status != "cancelled":
        return []
    return [FactView("cancelled", now, subject, {"status": order.status})]


def _stock(
    session: Session, sku: str, location: str, subject: str, now: datetime
) -> list[FactView]:
    try:
        stock = availability.stock_for_sku(session, sku=sku)
    except UnknownSku:
        return []
    level = next((level for level in stock.locations if level.location == location), None)
    if level is not None and level.available > 0:
        return []
    available = level.available if level is not None else 0
    return [FactView("stock_out", now, subject, {"available": available, "location": location})]


def _ordered_since(
    session: Session, profile_id: str | None, since: datetime | None, now: datetime
) -> list[FactView]:
    """The person's latest order placed since ``since`` on any channel, as the orders module
    says it now: a sale at a till heard of late still takes a reminder's reason away."""
    if profile_id is None or since is None:
        return []
    references = customers.reference_forms(session, profile_id=profile_id)
    if not references:
        return []
    page = orders.list_orders(
        session, customer_refs=references, placed_from=as_utc(since), placed_until=now, limit=1
    )
    return [
        FactView(
            "purchased",
            _no_later(order.placed_at, now),
            f"orders/{order.id}",
            {"channel": order.channel},
        )
        for order in page.items[:1]
    ]


def live_facts(
    session: Session,
    *,
    kind: str,
    subject: str,
    now: datetime,
    profile_id: str | None = None,
    since: datetime | None = None,
) -> list[FactView]:
    """What the module owning ``subject`` says now that may take a ``kind`` message's reason
    away (none when its reason still holds); for a reminder to buy (an abandoned cart, a
    win-back), also the person's orders placed since ``since`` on any channel."""
    collection, _, name = subject.partition("/")
    if not name:
        return []
    now = as_utc(now)
    if kind in ("abandoned_cart", "win_back"):
        bought = _ordered_since(session, profile_id, since, now)
        if kind == "win_back" or bought:
            return bought + (_cart(session, name, subject, now) if collection == "carts" else [])
    match collection:
        case "carts":
            return _cart(session, name, subject, now)
        case "fulfilments":
            return _fulfilment(session, name, subject, now)
        case "orders":
            return _order(session, name, subject, now)
        case "stock" if kind == "back_in_stock":
            sku, at, location = name.rpartition("@")
            return _stock(session, sku, location, subject, now) if sku and at and location else []
    return []
