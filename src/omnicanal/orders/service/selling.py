"""What a clerk needs around a sale: where each cart line is now (here, the nearest store
holding enough, online), the stores a pickup can go to, the customer's recent purchases, and
the products other customers bought with the same things."""

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
from omnicanal.network.lookups import LocationRef
from omnicanal.orders.models import Order, OrderLine
from omnicanal.orders.policy import OrderPolicy
from omnicanal.orders.service.allocation import load_network, read_stock, serving_locations
from omnicanal.orders.states import OrderStatus

__all__ = [
    "CartStock",
    "LineStock",
    "PickupOption",
    "StoreStock",
    "Suggestion",
    "bought_skus",
    "bought_together",
    "cart_stock",
    "pickup_options",
    "recent_skus",
]

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


def _wanted(lines: Sequence[tuple[str, int]]) -> dict[str, int]:
    """Units wanted per SKU (a SKU may stand on several lines)."""
    wanted: dict[str, int] = {}
    for sku, quantity in lines:
        wanted[sku] = wanted.get(sku, 0) + quantity
    return wanted


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
    wanted = _wanted(lines)
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


@dataclass(frozen=True)
class StoreStock:
    """Another store holding enough of a line, and how far it is from the clerk's store."""

    location: str
    name: str
    available: int
    distance_km: float | None


@dataclass(frozen=True)
class LineStock:
    """Where the units of one cart line are now; ``here`` is None for staff of no store."""

    sku: str
    wanted: int
    here: int | None
    nearest: StoreStock | None
    online: int

    @property
    def missing_here(self) -> bool:
        return self.here is not None and self.here < self.wanted

    @property
    def short_online(self) -> bool:
        return self.online < self.wanted


@dataclass(frozen=True)
class CartStock:
    """Each cart line's stock here, in the nearest store holding enough, and online."""

    lines: dict[str, LineStock]

    @property
    def missing_here(self) -> list[LineStock]:
        """The lines the clerk's store cannot hand over now: a carry-out sale would fail."""
        return [line for line in self.lines.values() if line.missing_here]

    @property
    def short_online(self) -> list[LineStock]:
        """The lines the online network cannot send now: a home delivery would fail."""
        return [line for line in self.lines.values() if line.short_online]


def cart_stock(
    session: Session,
    *,
    lines: Sequence[tuple[str, int]],
    here: LocationRef | None,
    policy: OrderPolicy | None = None,
) -> CartStock:
    """Each line's units here, at the nearest other store holding enough and online, from one
    bulk availability read of all the cart's SKUs."""
    policy = policy or OrderPolicy()
    wanted = _wanted(lines)
    if not wanted:
        return CartStock(lines={})
    # Every active location at once (the SKU filter alone is the fast path); here, the other
    # stores and the online network (where home deliveries sold in a store come from) are
    # picked out of that one answer.
    read = availability.availability(session, query=AvailabilityQuery(skus=list(wanted)))
    stores = [
        loc
        for loc in serving_locations(session, policy.store_network)
        if here is None or loc.code != here.code
    ]
    distances: dict[str, float] = {}
    if here is not None:
        for loc in stores:
            distances[loc.code] = round(
                great_circle_km(here.latitude, here.longitude, loc.latitude, loc.longitude), 1
            )
        # Stable sort: at equal distance the store channel's preferred store comes first.
        stores.sort(key=lambda loc: distances[loc.code])
    online = [loc.code for loc in serving_locations(session, policy.endless_aisle_network)]
    found: dict[str, LineStock] = {}
    for item in read.items:
        units = {row.location: row.available for row in item.locations}
        need = wanted[item.sku]
        nearest = next(
            (
                StoreStock(
                    location=loc.code,
                    name=loc.name,
                    available=units.get(loc.code, 0),
                    distance_km=distances.get(loc.code),
                )
                for loc in stores
                if units.get(loc.code, 0) >= need
            ),
            None,
        )
        found[item.sku] = LineStock(
            sku=item.sku,
            wanted=need,
            here=units.get(here.code, 0) if here is not None else None,
            nearest=nearest,
            online=sum(units.get(code, 0) for code in online),
        )
    return CartStock(lines=found)


def bought_skus(
    session: Session, *, customer_refs: Sequence[str], skus: Collection[str]
) -> set[str]:
    """Which of ``skus`` the customer (any of their references) bought: a line of an order
    of theirs that is not cancelled, with units that are not."""
    if not customer_refs or not skus:
        return set()
    return set(
        session.scalars(
            select(OrderLine.sku)
            .join(Order, Order.id == OrderLine.order_id)
            .where(
                Order.customer_ref.in_(list(customer_refs)),
                Order.status != OrderStatus.cancelled.value,
                OrderLine.sku.in_(sorted(skus)),
                OrderLine.quantity > OrderLine.cancelled_quantity,
            )
            .distinct()
        )
    )


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
