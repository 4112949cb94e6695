"""What a message's template reads, built from the truth at the moment it is rendered.

A message names what it is about by its subject (``carts/<id>``, ``fulfilments/<id>``,
``orders/<id>``, ``returns/<id>``, ``stock/<sku>@<location>``, ``profiles/<id>``);
:func:`context_for` reads that thing now, through its module's public functions (the cart
priced live, the parcel's pickup code and store, the refund), so that a message planned an
hour ago says what is true when it leaves. The context is plain JSON (times as ISO 8601 in
UTC, money in minor units with its currency): a message keeps the one it was sent with.

The keys every template may read:

- ``language``, ``zone`` (the IANA zone its times are said in: the store's, else
  :data:`DEFAULT_ZONE`), ``now``, ``kind``, ``subject``;
- ``customer``: ``first_name``, ``name``;
- ``store`` (a pickup, a reservation, stock back, a return in store): ``code``, ``name``,
  ``address_line``, ``postcode``, ``city``, ``address`` (one line), ``timezone``,
  ``hours`` (one line per weekday, "lundi : 10:00-19:00"), ``today`` (today's hours);
- ``cart``: ``id``, ``lines``, ``units``, ``subtotal_minor``, ``total_minor``, ``currency``;
- ``order``: ``id``, ``number``, ``placed_at``, ``status``, ``lines``, ``total_minor``,
  ``currency``;
- ``fulfilment``: ``id``, ``method``, ``status``, ``pickup_code``, ``due_at`` (collect by,
  or the end of a reservation), ``ready_at``, ``carrier``, ``tracking_reference``,
  ``shipped_at``; and its ``lines``;
- ``returned`` (a return): ``id``, ``order_id``, ``status``, ``refund_minor``,
  ``refund_method``, ``currency``, ``received_at``, ``lines``;
- ``product`` (stock back): ``sku``, ``name``, ``size``, ``colour``;
- ``win_back``: ``days`` since the last order, ``last_order_at``, ``favourite_category``.

A line reads ``sku``, ``name``, ``size``, ``colour``, ``quantity``, ``unit_price_minor`` and
``total_minor`` (None when not priced). What the caller adds (``extra``) joins the top
level: ``coupon`` (``code``, ``percent`` or ``amount_minor`` and ``currency``,
``valid_until``), ``preference_url`` and ``unsubscribe_url`` (a marketing message's
footer), ``cart_url``, ``review_url``, ``expected_at`` (a delayed parcel's new date),
``sms_stop`` (the opt-out words of a marketing SMS).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from sqlalchemy import select
from sqlalchemy.orm import Session

from omnicanal.carts import service as carts
from omnicanal.carts.errors import NoOpenCart
from omnicanal.catalog import service as catalog
from omnicanal.catalog.errors import UnknownSku
from omnicanal.customers import service as customers
from omnicanal.engagement.models import StockWatch
from omnicanal.fulfilment import queries as fulfilments
from omnicanal.fulfilment.queries import FulfilmentLineRef, FulfilmentRef
from omnicanal.network import service as network
from omnicanal.network.hours import hours_lines, hours_on
from omnicanal.network.lookups import LocationRef
from omnicanal.orders import service as orders
from omnicanal.orders.lookups import OrderRef, get_order_ref
from omnicanal.platform.clock import as_utc
from omnicanal.returns import service as returns

__all__ = [
    "DEFAULT_ZONE",
    "SUBJECT_KINDS",
    "context_for",
    "customer_context",
    "latest_subject",
    "moment_text",
    "store_context",
]

DEFAULT_ZONE = "Europe/Paris"
"""The zone a message's times are said in when no store is involved."""
SUBJECT_KINDS = {
    "abandoned_cart": "carts",
    "pickup_ready": "fulfilments",
    "reservation_expiring": "fulfilments",
    "back_in_stock": "stock",
    "order_shipped": "fulfilments",
    "order_delayed": "orders",
    "return_received": "returns",
    "return_refunded": "returns",
    "review_request": "orders",
    "win_back": "profiles",
}
"""What each kind of message is usually about (the subject a preview looks for)."""
_RECENT_ORDERS = 20
"""Orders a preview looks through for the person's latest parcel or pickup."""


def moment_text(value: datetime | None) -> str | None:
    """A moment as a context holds it: ISO 8601 in UTC (None stays None)."""
    return as_utc(value).isoformat() if value is not None else None


def _zone_name(name: str | None) -> str:
    try:
        return str(ZoneInfo(name)) if name else DEFAULT_ZONE
    except (ZoneInfoNotFoundError, ValueError):
        return DEFAULT_ZONE


# --- the parts of a context --------------------------------------------------------------------


def customer_context(session: Session, profile_id: str | None) -> dict[str, Any]:
    """The person as a template reads them: ``first_name`` and ``name`` (empty unknown)."""
    if profile_id is None:
        return {"first_name": "", "name": ""}
    person = customers.person_fields(customers.current_traits(session, profile_id=profile_id))
    given, family = str(person["given_name"]), str(person["family_name"])
    return {"first_name": given, "name": " ".join(part for part in (given, family) if part)}


def store_context(location: LocationRef, *, language: str, now: datetime) -> dict[str, Any]:
    """A store as a template reads it: its name, address, zone and opening hours."""
    zone = _zone_name(location.timezone)
    local_day = as_utc(now).astimezone(ZoneInfo(zone)).date()
    town = " ".join(part for part in (location.postcode, location.city) if part)
    return {
        "code": location.code,
        "name": location.name,
        "address_line": location.address_line,
        "postcode": location.postcode,
        "city": location.city,
        "address": ", ".join(part for part in (location.address_line, town) if part),
        "timezone": zone,
        "hours": hours_lines(location.opening_hours, language=language),
        "today": hours_on(location.opening_hours, local_day, language=language),
    }


def _variants(session: Session, skus: Iterable[str]) -> dict[str, Any]:
    """The variants of these SKUs that the catalogue still knows."""
    wanted = sorted(set(skus))
    try:
        return dict(catalog.resolve_skus(session, wanted))
    except UnknownSku as error:
        unknown = set(error.extra.get("unknown", ()))
        known = [sku for sku in wanted if sku not in unknown]
        return dict(catalog.resolve_skus(session, known)) if known else {}


def _line(
    variants: Mapping[str, Any],
    sku: str,
    quantity: int,
    unit_price_minor: int | None,
    total_minor: int | None,
) -> dict[str, Any]:
    variant = variants.get(sku)
    return {
        "sku": sku,
        "name": variant.name if variant is not None else sku,
        "size": variant.size if variant is not None else "",
        "colour": variant.colour if variant is not None else "",
        "quantity": quantity,
        "unit_price_minor": unit_price_minor,
        "total_minor": total_minor,
    }


def _cart(session: Session, cart_id: str, now: datetime) -> dict[str, Any]:
    cart = carts.get_cart(session, cart_id=cart_id, at=now)
    variants = _variants(session, [line.sku for line in cart.lines])
    priced = {line.sku: line for line in cart.priced.lines} if cart.priced else {}
    lines = []
    for line in cart.lines:
        price = priced.get(line.sku)
        lines.append(
            _line(
                variants,
                line.sku,
                line.quantity,
                price.unit_price_minor if price else None,
                price.total_minor if price else None,
            )
        )
    return {
        "id": cart.id,
        "status": cart.status.value,
        "lines": lines,
        "units": sum(line.quantity for line in cart.lines),
        "subtotal_minor": cart.priced.subtotal_minor if cart.priced else None,
        "total_minor": cart.priced.total_minor if cart.priced else None,
        "currency": cart.currency,
    }


def _order(session: Session, order: OrderRef) -> dict[str, Any]:
    variants = _variants(session, [line.sku for line in order.lines])
    return {
        "id": order.id,
        "number": order.id,
        "placed_at": moment_text(order.placed_at),
        "status": order.status,
        "channel": order.channel,
        "lines": [
            _line(
                variants,
                line.sku,
                line.quantity - line.cancelled_quantity,
                line.unit_price_minor,
                line.total_minor,
            )
            for line in order.lines
            if line.quantity > line.cancelled_quantity
        ],
        "total_minor": order.total_minor,
        "currency": order.currency,
    }


def _fulfilment(found: FulfilmentRef) -> dict[str, Any]:
    return {
        "id": found.id,
        "order_id": found.order_id,
        "method": found.method,
        "status": found.status,
        "location_code": found.location_code,
        "pickup_code": found.pickup_code,
        "due_at": moment_text(found.due_at),
        "ready_at": moment_text(found.ready_at),
        "carrier": found.carrier,
        "tracking_reference": found.tracking_reference,
        "shipped_at": moment_text(found.shipped_at),
        "delivered_at": moment_text(found.delivered_at),
    }


def _fulfilment_lines(
    session: Session, items: Sequence[FulfilmentLineRef], order: OrderRef
) -> list[dict[str, Any]]:
    variants = _variants(session, [item.sku for item in items])
    prices = {line.id: line for line in order.lines}
    lines = []
    for item in items:
        if item.status in ("released", "rejected"):
            continue
        priced = prices.get(item.order_line_id)
        unit = priced.unit_price_minor if priced else None
        lines.append(
            _line(
                variants,
                item.sku,
                item.quantity,
                unit,
                unit * item.quantity if unit is not None else None,
            )
        )
    return lines


def _about_fulfilment(
    session: Session, fulfilment_id: str, *, language: str, now: datetime
) -> dict[str, Any]:
    found = fulfilments.get_fulfilment(session, fulfilment_id)
    order = get_order_ref(session, found.order_id)
    items = fulfilments.lines_by_fulfilment(session, [found.id])[found.id]
    store = network.get_location(session, found.location_code)
    part: dict[str, Any] = {
        "fulfilment": _fulfilment(found),
        "order": _order(session, order),
        "lines": _fulfilment_lines(session, items, order),
    }
    if found.method in ("pickup", "reserve_and_try", "carry_out"):
        part["store"] = store_context(store, language=language, now=now)
        part["zone"] = part["store"]["timezone"]
    return part


def _about_order(
    session: Session, order_id: str, *, language: str, now: datetime
) -> dict[str, Any]:
    order = get_order_ref(session, order_id)
    part: dict[str, Any] = {"order": _order(session, order)}
    part["lines"] = part["order"]["lines"]
    sent = [
        found
        for found in fulfilments.fulfilments_of(session, order.id)
        if found.method in ("ship", "endless_aisle")
    ]
    if sent:
        # The parcel that moved last: the one a shipping or delay message is about.
        latest = max(sent, key=lambda found: (as_utc(found.updated_at), found.position))
        part["fulfilment"] = _fulfilment(latest)
    return part


def _about_return(
    session: Session, return_id: str, *, language: str, now: datetime
) -> dict[str, Any]:
    found = returns.get_return(session, return_id=return_id)
    variants = _variants(session, [line.sku for line in found.lines])
    part: dict[str, Any] = {
        "returned": {
            "id": found.id,
            "order_id": found.order_id,
            "status": found.status,
            "refund_minor": found.refund.amount_minor if found.refund else found.value_minor,
            "refund_method": found.refund.method if found.refund else None,
            "currency": found.currency,
            "received_at": moment_text(found.received_at),
            "lines": [
                _line(variants, line.sku, line.quantity, None, line.value_minor)
                for line in found.lines
            ],
        }
    }
    if found.location is not None:
        store = network.get_location(session, found.location)
        part["store"] = store_context(store, language=language, now=now)
        part["zone"] = part["store"]["timezone"]
    return part


def _about_stock(session: Session, sku_at: str, *, language: str, now: datetime) -> dict[str, Any]:
    sku, _, location_code = sku_at.rpartition("@")
    variant = catalog.get_variant(session, sku)
    store = store_context(network.get_location(session, location_code), language=language, now=now)
    return {
        "product": {
            "sku": variant.sku,
            "name": variant.name,
            "size": variant.size,
            "colour": variant.colour,
        },
        "store": store,
        "zone": store["timezone"],
    }


def _about_profile(session: Session, profile_id: str, *, now: datetime) -> dict[str, Any]:
    traits = customers.computed(
        session, profile_id=customers.profile_root(session, profile_id).id, now=now
    )
    return {
        "win_back": {
            "days": traits.recency_days,
            "last_order_at": moment_text(traits.last_order_at),
            "orders": traits.orders,
            "favourite_category": next(iter(traits.favourite_categories), None),
        }
    }


def context_for(
    session: Session,
    *,
    kind: str,
    profile_id: str | None,
    subject: str,
    language: str,
    now: datetime,
    extra: Mapping[str, Any] | None = None,
) -> dict[str, Any]:
    """The data a ``kind`` message about ``subject`` reads, from what is true now; ``extra``
    (a coupon, the preference links) joins the top level. What the subject names must still
    exist: its module's not-found error says when it does not."""
    kind_of, _, identifier = subject.partition("/")
    context: dict[str, Any] = {
        "kind": kind,
        "subject": subject,
        "language": language,
        "now": moment_text(now),
        "zone": DEFAULT_ZONE,
        "customer": customer_context(session, profile_id),
    }
    if kind_of == "carts":
        context["cart"] = _cart(session, identifier, now)
        context["lines"] = context["cart"]["lines"]
    elif kind_of == "fulfilments":
        context.update(_about_fulfilment(session, identifier, language=language, now=now))
    elif kind_of == "orders":
        context.update(_about_order(session, identifier, language=language, now=now))
    elif kind_of == "returns":
        context.update(_about_return(session, identifier, language=language, now=now))
    elif kind_of == "stock":
        context.update(_about_stock(session, identifier, language=language, now=now))
    elif kind_of == "profiles":
        context.update(_about_profile(session, identifier, now=now))
    if extra:
        context.update(extra)
    return context


# --- the person's latest subject, for a preview ------------------------------------------------


def _latest_fulfilment(
    session: Session, references: Sequence[str], methods: frozenset[str]
) -> FulfilmentRef | None:
    page = orders.list_orders(session, customer_refs=references, limit=_RECENT_ORDERS)
    for order in page.items:
        found = [f for f in fulfilments.fulfilments_of(session, order.id) if f.method in methods]
        if found:
            return max(found, key=lambda f: (as_utc(f.updated_at), f.position))
    return None


def latest_subject(session: Session, *, kind: str, profile_id: str) -> str | None:
    """What the person's latest ``kind`` message would be about: their open cart, their
    latest pickup, reservation, parcel, order, return or stock watch (None: they have none)."""
    root = customers.profile_root(session, profile_id).id
    if kind == "win_back":
        return f"profiles/{root}"
    if kind == "back_in_stock":
        watch = session.execute(
            select(StockWatch.sku, StockWatch.location_code)
            .where(StockWatch.profile_id == root)
            .order_by(StockWatch.created_at.desc(), StockWatch.id.desc())
            .limit(1)
        ).first()
        return f"stock/{watch.sku}@{watch.location_code}" if watch else None
    references = customers.reference_forms(session, profile_id=root)
    if kind == "abandoned_cart":
        try:
            return f"carts/{carts.find_open_cart_among(session, customer_refs=references).id}"
        except NoOpenCart:
            return None
    if kind in ("pickup_ready", "reservation_expiring", "order_shipped"):
        methods = {
            "pickup_ready": frozenset({"pickup"}),
            "reservation_expiring": frozenset({"reserve_and_try"}),
            "order_shipped": frozenset({"ship", "endless_aisle"}),
        }[kind]
        found = _latest_fulfilment(session, references, methods)
        return f"fulfilments/{found.id}" if found else None
    if kind in ("order_delayed", "review_request"):
        page = orders.list_orders(session, customer_refs=references, limit=1)
        return f"orders/{page.items[0].id}" if page.items else None
    if kind in ("return_received", "return_refunded"):
        newest: list[str] = []
        for reference in references[:_RECENT_ORDERS]:
            newest += [
                item.id
                for item in returns.list_returns(session, customer_ref=reference, limit=1).items
            ]
        return f"returns/{max(newest)}" if newest else None
    return None
