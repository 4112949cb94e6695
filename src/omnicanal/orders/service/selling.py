"""What a clerk needs around a sale: the stores a pickup can go to, the customer's recent
purchases, and the products other customers bought with the same things."""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from omnicanal.catalog import service as catalog
from omnicanal.fulfilment.states import Method
from omnicanal.inventory import availability
from omnicanal.inventory.schemas import AvailabilityQuery
from omnicanal.network.geo import great_circle_km
from omnicanal.orders.models import Order, OrderLine
from omnicanal.orders.policy import OrderPolicy
from omnicanal.orders.service.allocation import load_network, read_stock
from omnicanal.orders.states import OrderStatus

__all__ = ["PickupOption", "Suggestion", "bought_together", "pickup_options", "recent_skus"]

CANDIDATES_PER_SUGGESTION = 5


@dataclass(frozen=True)
class PickupOption:
    """A store where these lines can be collected now, and how far it is."""

    location: str
    name: str
    distance_km: float | None


@dataclass(frozen=True)
class Suggestion:
    """A SKU bought in the same orders as the basket's, and in how many orders."""

    sku: str
    orders: int


def pickup_options(
    session: Session,
    *,
    lines: Sequence[tuple[str, int]],
    channel: str,
    near: tuple[float, float] | None = None,
    policy: OrderPolicy | None = None,
    limit: int = 10,
) -> list[PickupOption]:
    """Stores offering click & collect that hold every line now, nearest first."""
    policy = policy or OrderPolicy()
    wanted: dict[str, int] = {}
    for sku, quantity in lines:
        wanted[sku] = wanted.get(sku, 0) + quantity
    if not wanted:
        return []
    network_ = load_network(session, channel=channel, methods={Method.pickup}, policy=policy)
    stock = read_stock(session, skus=list(wanted), network_=network_)
    options = []
    for site in network_.sites:
        if not site.click_and_collect:
            continue
        if any(stock.get((sku, site.code), 0) < quantity for sku, quantity in wanted.items()):
            continue
        distance = (
            round(great_circle_km(near[0], near[1], site.latitude, site.longitude), 1)
            if near is not None
            else None
        )
        options.append(
            PickupOption(
                location=site.code,
                name=network_.locations[site.code].name,
                distance_km=distance,
            )
        )
    options.sort(key=lambda option: (option.distance_km is None, option.distance_km or 0.0))
    return options[:limit]


def recent_skus(session: Session, *, customer_refs: Sequence[str], orders: int = 5) -> list[str]:
    """The SKUs of the customer's latest orders (any of their references), newest first."""
    if not customer_refs:
        return []
    latest = select(Order.id).where(
        Order.customer_ref.in_(list(customer_refs)), Order.status != OrderStatus.cancelled.value
    )
    order_ids = list(session.scalars(latest.order_by(Order.placed_at.desc()).limit(orders)))
    if not order_ids:
        return []
    rows = session.execute(
        select(OrderLine.order_id, OrderLine.sku).where(OrderLine.order_id.in_(order_ids))
    ).all()
    position = {order_id: index for index, order_id in enumerate(order_ids)}
    ordered = sorted(rows, key=lambda row: (position[row[0]], row[1]))
    return list(dict.fromkeys(sku for _, sku in ordered))


def _in_stock(
    session: Session, skus: list[str], *, locations: Sequence[str], channel: str | None
) -> set[str]:
    available: set[str] = set()
    queries = []
    if locations:
        queries.append(AvailabilityQuery(skus=skus, locations=list(locations)))
    if channel is not None:
        queries.append(AvailabilityQuery(skus=skus, channel=channel))
    for query in queries:
        for item in availability.availability(session, query=query).items:
            if item.available > 0:
                available.add(item.sku)
    return available


def bought_together(
    session: Session,
    *,
    skus: Sequence[str],
    exclude: Collection[str] = (),
    in_stock_at: Sequence[str] = (),
    online_channel: str | None = None,
    limit: int = 3,
) -> list[Suggestion]:
    """Products most often ordered with ``skus`` (across every order), other products than
    those already in the basket or in ``exclude``, with stock at one of ``in_stock_at`` or on
    ``online_channel``; the most frequent first."""
    basket = list(dict.fromkeys(skus))
    if not basket:
        return []
    baskets = select(OrderLine.order_id).where(OrderLine.sku.in_(basket)).distinct()
    together = func.count(OrderLine.order_id.distinct())
    rows = session.execute(
        select(OrderLine.sku, together)
        .where(OrderLine.order_id.in_(baskets), OrderLine.sku.not_in([*basket, *exclude]))
        .group_by(OrderLine.sku)
        .order_by(together.desc(), OrderLine.sku)
        .limit(limit * CANDIDATES_PER_SUGGESTION)
    ).all()
    if not rows:
        return []
    variants = catalog.resolve_skus(session, [*basket, *exclude, *(sku for sku, _ in rows)])
    owned = {variants[sku].product_id for sku in [*basket, *exclude] if sku in variants}
    candidates: list[tuple[str, int]] = []
    for sku, count in rows:
        product = variants[sku].product_id
        if product in owned:
            continue
        owned.add(product)  # one size or colour of a product is enough to suggest it
        candidates.append((sku, count))
    if not candidates:
        return []
    stocked = _in_stock(
        session, [sku for sku, _ in candidates], locations=in_stock_at, channel=online_channel
    )
    return [Suggestion(sku, count) for sku, count in candidates if sku in stocked][:limit]
