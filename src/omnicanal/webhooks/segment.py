"""Segment's e-commerce spec, as omnicanal's own events are forwarded in it (pure).

An endpoint of the ``segment`` format is sent ``track`` messages instead of signed
CloudEvents: the analytics tools of the retailer (Segment, RudderStack, any tool speaking
Segment's HTTP Tracking API) then see what only omnicanal knows, the sales at the tills and
the returns at the counters. This module says which events become which Segment event and
builds the message from the event's envelope and what the order and the catalogue say (read
by ``webhooks.forwarding``, given here). No database, no network.

- **Order Completed**: the checkout completed and paid, Segment's sense (not omnicanal's
  ``order.completed``, which waits for the last fulfilment: a web order's delivery days
  later). ``order.placed`` when its payment is authorised or captured (a till sale, a web
  order), else ``order.payment_updated`` from pending to authorised or captured (a
  reserve-and-try order paid in the store).
- **Order Refunded**: ``return.refunded`` (the amount refunded, the lines returned),
  ``order.cancelled`` with a refund due (the whole total), ``order.line_cancelled`` (its
  share). ``order.cancelled`` without a refund is **Order Cancelled**.
- **Product Returned**: the units are back in our hands, once per return with its lines in
  ``products``: ``return.requested`` at a counter (received at once), ``return.approved``
  of a counter return that waited for review, ``return.received`` (a parcel arrived).

Amounts are in currency units (omnicanal keeps minor units): JSON numbers, as the spec has
them. The message's ``messageId`` is the delivery's id, the same on every retry and replay,
so a receiver stores it once.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any
from urllib.parse import urlsplit

from omnicanal import __version__
from omnicanal.platform.money import MINOR_UNITS
from omnicanal.webhooks.errors import InvalidEndpointUrl, NotForwardedToSegment

__all__ = [
    "EVENT_TYPES",
    "LIBRARY",
    "ORDER_CANCELLED",
    "ORDER_COMPLETED",
    "ORDER_REFUNDED",
    "PRODUCT_RETURNED",
    "SEGMENT",
    "STANDARD",
    "LineFacts",
    "OrderFacts",
    "ProductFacts",
    "anonymous_id",
    "batch_body",
    "batch_url",
    "check_base_url",
    "check_forwarded",
    "order_id_of",
    "refused_for_good",
    "refuses_every_message",
    "skus_of",
    "track_message",
    "track_name",
    "units",
    "write_key_prefix",
]

STANDARD, SEGMENT = "standard", "segment"
"""An endpoint's formats: signed CloudEvents JSON, or Segment ``track`` messages."""
ORDER_COMPLETED = "Order Completed"
ORDER_REFUNDED = "Order Refunded"
ORDER_CANCELLED = "Order Cancelled"
PRODUCT_RETURNED = "Product Returned"
LIBRARY = "omnicanal"
EVENT_TYPES = (
    "order.placed",
    "order.payment_updated",
    "order.cancelled",
    "order.line_cancelled",
    "return.requested",
    "return.approved",
    "return.received",
    "return.refunded",
)
"""The events a ``segment`` endpoint may follow: those this module forwards."""
PAID = frozenset({"authorised", "captured"})
BATCH_PATH = "/v1/batch"
_ANONYMOUS = uuid.UUID("5e6d8c1a-0f1b-4c53-9a8e-6f6d6e6963a1")
"""The namespace of the anonymous ids derived from order ids (any fixed UUID will do)."""


@dataclass(frozen=True)
class LineFacts:
    """An order line as the messages need it."""

    id: str
    sku: str
    quantity: int
    unit_price_minor: int


@dataclass(frozen=True)
class OrderFacts:
    """An order as the messages need it: where it was placed, for whom, its lines."""

    id: str
    channel: str
    location_code: str | None
    customer_ref: str | None
    currency: str
    total_minor: int
    lines: tuple[LineFacts, ...]

    def line(self, line_id: object) -> LineFacts | None:
        return next((line for line in self.lines if line.id == line_id), None)


@dataclass(frozen=True)
class ProductFacts:
    """A SKU as the catalogue names it."""

    sku: str
    product_id: str
    """The product's code (the style), the retailer's own key in every system."""
    name: str
    category: str
    variant: str
    """Size and colour."""


# --- which events, and where to -------------------------------------------------------------


def track_name(event_type: str, data: Mapping[str, Any]) -> str | None:
    """The Segment event an omnicanal event is forwarded as, or None when it is not."""
    match event_type:
        case "order.placed":
            return ORDER_COMPLETED if data.get("payment_status") in PAID else None
        case "order.payment_updated":
            paid = data.get("from_status") == "pending" and data.get("status") in PAID
            return ORDER_COMPLETED if paid else None
        case "order.cancelled":
            return ORDER_REFUNDED if data.get("refund_due") is True else ORDER_CANCELLED
        case "order.line_cancelled":
            refund = data.get("refund_minor")
            return ORDER_REFUNDED if isinstance(refund, int) and refund > 0 else None
        case "return.requested":
            return PRODUCT_RETURNED if data.get("status") == "received" else None
        case "return.approved":
            # A counter's units are in our hands from the request; a parcel's, on arrival.
            return PRODUCT_RETURNED if data.get("return_channel") == "store" else None
        case "return.received":
            return PRODUCT_RETURNED
        case "return.refunded":
            return ORDER_REFUNDED
    return None


def batch_url(base: str) -> str:
    """Where the messages are posted: ``{base}/v1/batch`` (a base already ending so kept)."""
    trimmed = base.rstrip("/")
    return trimmed if trimmed.endswith(BATCH_PATH) else trimmed + BATCH_PATH


def write_key_prefix(write_key: str | None) -> str | None:
    """The start of a write key, enough to recognise it and not to use it."""
    if not write_key:
        return None
    return write_key[: min(6, len(write_key) // 3)] + "…"


def refused_for_good(status: int) -> bool:
    """Whether an answer refuses the message itself: sent again, the same bytes would be
    refused again (a malformed message, one too large). The delivery is given up at once."""
    return status in (400, 413, 422)


def refuses_every_message(status: int) -> bool:
    """Whether an answer refuses the write key (wrong or revoked): every message would be."""
    return status in (401, 403)


# --- the message ----------------------------------------------------------------------------


def order_id_of(data: Mapping[str, Any]) -> str | None:
    """The order an event is about (every forwarded event names one)."""
    value = data.get("order_id")
    return value if isinstance(value, str) and value else None


def skus_of(data: Mapping[str, Any], order: OrderFacts | None) -> set[str]:
    """The SKUs a message about ``data`` may name, to be looked up in the catalogue."""
    skus = {line.sku for line in order.lines} if order is not None else set()
    skus.update(sku for sku in [data.get("sku")] if isinstance(sku, str))
    for line in _lines(data):
        if isinstance(line.get("sku"), str):
            skus.add(line["sku"])
    return skus


def anonymous_id(order_id: str) -> str:
    """The ``anonymousId`` of an order without a known customer: derived from the order's id,
    so that its sale and its return land on one anonymous visitor."""
    return str(uuid.uuid5(_ANONYMOUS, order_id))


def units(amount_minor: int, currency: str) -> float:
    """An amount in currency units (7990 EUR: 79.9), as the spec's JSON numbers have it.

    Exact for any amount below 2**53 minor units: the shortest text of the float is the
    decimal itself, which the receiver reads back."""
    return float(Decimal(amount_minor).scaleb(-MINOR_UNITS.get(currency, 2)))


def _lines(data: Mapping[str, Any]) -> list[Mapping[str, Any]]:
    lines = data.get("lines")
    if not isinstance(lines, list):
        return []
    return [line for line in lines if isinstance(line, Mapping)]


def _product(
    sku: str,
    quantity: object,
    *,
    price_minor: int | None,
    currency: str | None,
    catalogue: Mapping[str, ProductFacts],
    **more: object,
) -> dict[str, Any]:
    """One entry of ``products``: what is known of it, nothing null."""
    named = catalogue.get(sku)
    entry: dict[str, Any] = {"product_id": named.product_id if named else sku, "sku": sku}
    if named is not None:
        entry |= {"name": named.name, "category": named.category, "variant": named.variant}
    if price_minor is not None and currency:
        entry["price"] = units(price_minor, currency)
    if isinstance(quantity, int) and not isinstance(quantity, bool):
        entry["quantity"] = quantity
    return entry | {name: value for name, value in more.items() if value is not None}


def _ordered(
    order: OrderFacts | None, data: Mapping[str, Any], catalogue: Mapping[str, ProductFacts]
) -> list[dict[str, Any]]:
    """The order's lines as ``products`` (the event's own lines when the order is gone)."""
    if order is not None:
        return [
            _product(
                line.sku,
                line.quantity,
                price_minor=line.unit_price_minor,
                currency=order.currency,
                catalogue=catalogue,
            )
            for line in order.lines
        ]
    return [
        _product(line["sku"], line.get("quantity"), price_minor=None, currency=None, catalogue={})
        for line in _lines(data)
        if isinstance(line.get("sku"), str)
    ]


def _returned(
    order: OrderFacts | None,
    data: Mapping[str, Any],
    currency: str | None,
    catalogue: Mapping[str, ProductFacts],
) -> list[dict[str, Any]]:
    """A return's lines as ``products``, each at the price it was bought, with why."""
    found = []
    for line in _lines(data):
        sku = line.get("sku")
        if not isinstance(sku, str):
            continue
        bought = order.line(line.get("order_line_id")) if order is not None else None
        found.append(
            _product(
                sku,
                line.get("quantity"),
                price_minor=bought.unit_price_minor if bought else None,
                currency=currency,
                catalogue=catalogue,
                reason=line.get("reason"),
                condition=line.get("condition"),
            )
        )
    return found


def _text(data: Mapping[str, Any], name: str) -> str | None:
    value = data.get(name)
    return value if isinstance(value, str) and value else None


def _amount(data: Mapping[str, Any], name: str) -> int | None:
    value = data.get(name)
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def _affiliation(channel: str | None, location: str | None) -> str | None:
    """Where it happened: ``store/LYON-01`` at a store, the channel's code (``web``) else."""
    if channel and location:
        return f"{channel}/{location}"
    return channel or location


def _properties(
    name: str,
    event_type: str,
    data: Mapping[str, Any],
    order: OrderFacts | None,
    catalogue: Mapping[str, ProductFacts],
) -> dict[str, Any]:
    currency = _text(data, "currency") or (order.currency if order else None)
    if event_type.startswith("return."):
        affiliation = _affiliation(_text(data, "return_channel"), _text(data, "return_location"))
    else:
        affiliation = _affiliation(
            _text(data, "channel") or (order.channel if order else None),
            order.location_code if order else None,
        )
    total: int | None
    if name == PRODUCT_RETURNED:
        total, products = None, _returned(order, data, currency, catalogue)
    elif event_type == "return.refunded":
        total, products = _amount(data, "amount_minor"), _returned(order, data, currency, catalogue)
    elif event_type == "order.line_cancelled":
        bought = order.line(data.get("order_line_id")) if order is not None else None
        total = _amount(data, "refund_minor")
        products = [
            _product(
                str(data.get("sku")),
                data.get("quantity"),
                price_minor=bought.unit_price_minor if bought else None,
                currency=currency,
                catalogue=catalogue,
            )
        ]
    else:
        total = _amount(data, "total_minor")
        if total is None and order is not None:
            total = order.total_minor
        products = _ordered(order, data, catalogue)
    properties: dict[str, Any] = {"order_id": order_id_of(data)}
    if event_type.startswith("return."):
        properties["return_id"] = _text(data, "return_id")
    properties["affiliation"] = affiliation
    if total is not None and currency:
        properties["total"] = units(total, currency)
        if name == ORDER_COMPLETED:
            # omnicanal's prices include tax; its total is what the customer paid.
            properties["revenue"] = properties["total"]
    properties |= {"currency": currency, "products": products}
    return {key: value for key, value in properties.items() if value is not None}


def track_message(
    envelope: Mapping[str, Any],
    *,
    message_id: str,
    order: OrderFacts | None,
    catalogue: Mapping[str, ProductFacts],
    library_version: str = __version__,
) -> dict[str, Any] | None:
    """The Segment ``track`` message of an event's envelope (its type, time and data), with
    what ``order`` and the ``catalogue`` say; None when the event is not forwarded (or no
    longer names its order: a person's erasure scrubbed it)."""
    data = envelope.get("data")
    event_type = envelope.get("type")
    if not isinstance(data, Mapping) or not isinstance(event_type, str):
        return None
    name = track_name(event_type, data)
    order_id = order_id_of(data)
    if name is None or order_id is None:
        return None
    customer = data.get("customer_ref") if "customer_ref" in data else order and order.customer_ref
    who = (
        {"userId": customer}
        if isinstance(customer, str) and customer
        else {"anonymousId": anonymous_id(order_id)}
    )
    return {
        "type": "track",
        "event": name,
        "messageId": message_id,
        "timestamp": envelope.get("time"),
        **who,
        "properties": _properties(name, event_type, data, order, catalogue),
        "context": {"channel": "server", "library": {"name": LIBRARY, "version": library_version}},
    }


def batch_body(messages: Sequence[Mapping[str, Any]], *, sent_at: str) -> dict[str, Any]:
    """What is posted to ``/v1/batch``."""
    return {"batch": list(messages), "sentAt": sent_at}


def check_forwarded(patterns: Iterable[str]) -> list[str]:
    """The event types of a ``segment`` endpoint, without repeats: each one forwarded
    (:data:`EVENT_TYPES`), else :class:`NotForwardedToSegment` naming the others."""
    wanted = list(dict.fromkeys(patterns))
    refused = [pattern for pattern in wanted if pattern not in EVENT_TYPES]
    if refused:
        shown = ", ".join(repr(pattern[:100]) for pattern in refused[:5])
        raise NotForwardedToSegment(
            f"A Segment endpoint follows the events forwarded in Segment's spec only, not "
            f"{shown}: choose among {', '.join(EVENT_TYPES)}.",
            field="event_types",
        )
    return wanted


def check_base_url(url: str) -> str:
    """``url`` if it is a tracking API's base (``/v1/batch`` is appended to it: no ?query),
    else :class:`InvalidEndpointUrl`."""
    if urlsplit(url).query or url.endswith("?"):
        raise InvalidEndpointUrl(
            "A Segment endpoint's address is the base of a Segment-compatible tracking API "
            "(https://api.segment.io, a RudderStack data plane), without a ?query.",
            field="url",
        )
    return url
