"""Orders as a profile's timeline sees them (pure): what was bought, for how much, or undone.

Two shapes arrive: Segment's e-commerce spec (``track("Order Completed", {order_id, total,
currency, products: [{category, price, quantity}]})``, amounts in currency units) and
omnicanal's own ``order.*`` domain events (``order_id``, ``currency``, ``total_minor``,
``lines``: see ``omnicanal.orders.events``). Both become
:class:`OrderFacts`; the computed traits (recency, frequency, monetary, lifetime value,
favourite categories) are folded from them by :func:`computed_traits`.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime
from decimal import ROUND_HALF_EVEN, Decimal, InvalidOperation
from typing import Any

from omnicanal.platform.money import MINOR_UNITS

__all__ = ["ComputedTraits", "OrderFacts", "computed_traits", "order_facts", "order_status"]

PLACED, CANCELLED, REFUNDED = "placed", "cancelled", "refunded"
_STATUS_BY_NAME = {
    "order completed": PLACED,
    "order placed": PLACED,
    "order cancelled": CANCELLED,
    "order refunded": REFUNDED,
    "order.placed": PLACED,
    "order.created": PLACED,
    "order.completed": PLACED,
    "order.cancelled": CANCELLED,
    "order.canceled": CANCELLED,
    "order.refunded": REFUNDED,
    "order.payment_refunded": REFUNDED,
}


def order_status(name: str) -> str | None:
    """placed, cancelled or refunded for an event name about an order, else None."""
    return _STATUS_BY_NAME.get(name.strip().lower())


@dataclass(frozen=True)
class OrderFacts:
    """What an order event says: which order, what happened, the amount, the categories."""

    order_id: str
    status: str
    amount_minor: int | None
    currency: str | None
    categories: tuple[str, ...] = ()


def _to_minor(value: Any, currency: str) -> int | None:
    if isinstance(value, bool) or value is None:
        return None
    try:
        amount = Decimal(str(value))
    except InvalidOperation:
        return None
    if not amount.is_finite():
        return None
    digits = MINOR_UNITS.get(currency, 2)
    return int((amount * 10**digits).quantize(Decimal(1), rounding=ROUND_HALF_EVEN))


def _minor(value: Any) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def _categories(items: Any) -> tuple[str, ...]:
    if not isinstance(items, list):
        return ()
    found = []
    for item in items:
        if isinstance(item, Mapping):
            category = item.get("category")
            if isinstance(category, str) and category.strip():
                found.append(category.strip())
    return tuple(found)


def order_facts(
    name: str, data: Mapping[str, Any], *, domain: bool, default_currency: str = "EUR"
) -> OrderFacts | None:
    """The order facts in a tracked event's properties or a domain event's data, if any."""
    status = order_status(name)
    if status is None:
        return None
    if domain:
        order_id = data.get("order_id")
    else:
        order_id = data.get("order_id") or data.get("orderId") or data.get("id")
    if not isinstance(order_id, str | int) or isinstance(order_id, bool) or not str(order_id):
        return None
    currency_value = data.get("currency")
    total = data.get("total")
    if not domain and isinstance(total, Mapping) and isinstance(total.get("currency"), str):
        currency_value = currency_value or total["currency"]
    currency = currency_value.upper() if isinstance(currency_value, str) else default_currency
    if domain:
        amount = _minor(data.get("total_minor"))
        items = data.get("lines")
    else:
        amount = _to_minor(data.get("total", data.get("revenue", data.get("value"))), currency)
        items = data.get("products", data.get("lines", data.get("items")))
    return OrderFacts(
        order_id=str(order_id)[:100],
        status=status,
        amount_minor=amount,
        currency=currency[:3],
        categories=_categories(items),
    )


@dataclass(frozen=True)
class ComputedTraits:
    """Recency, frequency, monetary value and favourite categories, from orders so far."""

    orders: int
    monetary_minor: int
    currency: str | None
    lifetime_value_minor: int
    average_order_minor: int | None
    first_order_at: datetime | None
    last_order_at: datetime | None
    recency_days: int | None
    favourite_categories: list[str]


def computed_traits(
    facts: Iterable[tuple[datetime, OrderFacts]], *, now: datetime
) -> ComputedTraits:
    """Fold order facts (first sighting of an order wins) into the computed traits."""
    placed: dict[str, tuple[datetime, OrderFacts]] = {}
    cancelled: set[str] = set()
    refunded: dict[str, int] = {}
    for at, fact in sorted(facts, key=lambda item: item[0]):
        if fact.status == PLACED:
            placed.setdefault(fact.order_id, (at, fact))
        elif fact.status == CANCELLED:
            cancelled.add(fact.order_id)
        elif fact.status == REFUNDED and fact.amount_minor:
            refunded[fact.order_id] = refunded.get(fact.order_id, 0) + abs(fact.amount_minor)
    kept = [(at, fact) for order_id, (at, fact) in placed.items() if order_id not in cancelled]
    revenue = sum(fact.amount_minor or 0 for _, fact in kept)
    refunds = sum(amount for order_id, amount in refunded.items() if order_id not in cancelled)
    monetary = revenue - refunds
    currencies = Counter(fact.currency for _, fact in kept if fact.currency)
    categories = Counter(category for _, fact in kept for category in fact.categories)
    first = min((at for at, _ in kept), default=None)
    last = max((at for at, _ in kept), default=None)
    return ComputedTraits(
        orders=len(kept),
        monetary_minor=monetary,
        currency=currencies.most_common(1)[0][0] if currencies else None,
        lifetime_value_minor=monetary,
        average_order_minor=round(revenue / len(kept)) if kept else None,
        first_order_at=first,
        last_order_at=last,
        # An order stored with a time ahead of now (a wrong clock) was placed, at the latest,
        # today: never a negative recency.
        recency_days=max(0, (now - last).days) if last is not None else None,
        favourite_categories=[name for name, _ in categories.most_common(3)],
    )
