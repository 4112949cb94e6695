"""Forwarding to a ``segment`` endpoint: the facts its messages need, read when they are
sent, and the request that carries them.

An event's envelope names its order and SKUs but not their prices and names (a till
sale's ``order.placed`` has its lines' SKUs and quantities, ``order.payment_updated`` not
even its total), so the sending job reads them for the round's deliveries through the
orders' and the catalogue's public lookups, in one read of its own after the claim (the
claim's transaction, which holds SQLite's write lock, stays short). Reading at send time
also means an erased customer is never forwarded from the order either.
"""

from __future__ import annotations

import base64
import json
from collections.abc import Iterable, Mapping
from typing import Any

from sqlalchemy.orm import Session

from omnicanal import __version__
from omnicanal.catalog import lookups as catalog
from omnicanal.orders import lookups as orders
from omnicanal.platform.errors import NotFound
from omnicanal.webhooks import segment
from omnicanal.webhooks.segment import LineFacts, OrderFacts, ProductFacts

__all__ = ["segment_messages", "segment_request"]


def _order(session: Session, order_id: str) -> OrderFacts | None:
    try:
        ref = orders.get_order_ref(session, order_id)
    except NotFound:
        return None
    return OrderFacts(
        id=ref.id,
        channel=ref.channel,
        location_code=ref.location_code,
        customer_ref=ref.customer_ref,
        currency=ref.currency,
        total_minor=ref.total_minor,
        lines=tuple(
            LineFacts(
                id=line.id,
                sku=line.sku,
                quantity=line.quantity,
                unit_price_minor=line.unit_price_minor,
            )
            for line in ref.lines
        ),
    )


def _catalogue(session: Session, skus: Iterable[str]) -> dict[str, ProductFacts]:
    return {
        sku: ProductFacts(
            sku=sku,
            product_id=variant.product_code,
            name=variant.name,
            category=variant.category,
            variant=" ".join(part for part in (variant.size, variant.colour) if part),
        )
        for sku, variant in catalog.known_skus(session, skus).items()
    }


def segment_messages(
    session: Session, deliveries: Mapping[str, Mapping[str, Any]]
) -> dict[str, dict[str, Any] | None]:
    """The ``track`` message of each delivery (id → its event's envelope); None for one
    whose event no longer makes one."""
    data: dict[str, Mapping[str, Any]] = {}
    for delivery_id, envelope in deliveries.items():
        values = envelope.get("data")
        data[delivery_id] = values if isinstance(values, Mapping) else {}
    order_ids = {segment.order_id_of(values) for values in data.values()}
    facts = {order_id: _order(session, order_id) for order_id in sorted(filter(None, order_ids))}
    skus: set[str] = set()
    for values in data.values():
        order_id = segment.order_id_of(values)
        skus |= segment.skus_of(values, facts.get(order_id) if order_id else None)
    named = _catalogue(session, skus)
    messages: dict[str, dict[str, Any] | None] = {}
    for delivery_id, envelope in deliveries.items():
        order_id = segment.order_id_of(data[delivery_id])
        messages[delivery_id] = segment.track_message(
            envelope,
            message_id=delivery_id,
            order=facts.get(order_id) if order_id else None,
            catalogue=named,
        )
    return messages


def segment_request(
    base_url: str, write_key: str, message: Mapping[str, Any], *, sent_at: str
) -> tuple[str, dict[str, str], bytes]:
    """Where, with which headers and body one message is posted: ``{base}/v1/batch``, the
    write key as HTTP Basic user name with an empty password (Segment's convention)."""
    credentials = base64.b64encode(f"{write_key}:".encode()).decode()
    body = json.dumps(
        segment.batch_body([message], sent_at=sent_at), ensure_ascii=False, separators=(",", ":")
    ).encode()
    headers = {
        "content-type": "application/json",
        "user-agent": f"omnicanal-segment/{__version__}",
        "authorization": f"Basic {credentials}",
    }
    return segment.batch_url(base_url), headers, body
