"""From order lines to reserved stock in fulfilments: the network, the stock, the reservations.

Shared by checkout and by re-sourcing a rejected line. Sourcing reads availability, then
every allocation is reserved at once by the inventory module's conditional update, all or
nothing (``inventory.reserve_lines``). On PostgreSQL a concurrent checkout may take the
units between the read and the reservation: availability is then read again and the lines
are sourced again, a few times, before the checkout is refused.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy.orm import Session

from omnicanal.fulfilment import service as fulfilment_service
from omnicanal.fulfilment.errors import (
    LocationNotAvailable,
    LocationRequired,
    PickupNotAvailable,
    StoreServiceNotAvailable,
)
from omnicanal.fulfilment.sourcing import Allocation, Decision, LineRequest, Point, Site, source
from omnicanal.fulfilment.states import HOME_DELIVERY, Method
from omnicanal.inventory import availability
from omnicanal.inventory import service as inventory
from omnicanal.inventory.errors import InsufficientStock, LocationNotInChannel
from omnicanal.inventory.schemas import AvailabilityQuery
from omnicanal.network.errors import UnknownChannel
from omnicanal.network.lookups import LocationRef
from omnicanal.orders.policy import DAY, OrderPolicy
from omnicanal.orders.service import references
from omnicanal.platform.actors import Actor
from omnicanal.platform.errors import DomainError

ATTEMPTS = 3


@dataclass(frozen=True)
class Network:
    """The locations an order may use, and which channel's network each line draws on."""

    channel: str
    locations: Mapping[str, LocationRef]
    sites: Sequence[Site]
    channel_codes: frozenset[str]
    store_codes: frozenset[str]
    endless_codes: frozenset[str]
    serving: Mapping[str, frozenset[str]]
    """The codes of the locations loaded for each channel whose network was loaded."""

    def candidates(self, method: Method) -> frozenset[str] | None:
        if method is Method.endless_aisle:
            return self.endless_codes
        if method is Method.ship:
            return self.channel_codes
        return None

    def stock_channel(self, method: Method, location: str, policy: OrderPolicy) -> str:
        """The channel a reservation is made for: the one whose network holds the location."""
        if method is Method.endless_aisle:
            return policy.endless_aisle_network
        if location in self.channel_codes:
            return self.channel
        return policy.store_network


def serving_locations(session: Session, channel: str) -> list[LocationRef]:
    try:
        return references.fulfilling_locations(session, channel)
    except UnknownChannel:
        return []


def load_network(
    session: Session, *, channel: str, methods: set[Method], policy: OrderPolicy
) -> Network:
    """The locations serving the order's channel, plus the stores and the endless aisle's."""
    own = references.fulfilling_locations(session, channel)
    stores = serving_locations(session, policy.store_network) if methods - HOME_DELIVERY else []
    endless = (
        serving_locations(session, policy.endless_aisle_network)
        if Method.endless_aisle in methods
        else []
    )
    locations: dict[str, LocationRef] = {}
    priority: dict[str, int] = {}
    for rank, group in enumerate((own, endless, stores)):
        for index, location in enumerate(group):
            if location.code not in locations:
                locations[location.code] = location
                priority[location.code] = rank * 10_000 + index
    sites = [
        Site(
            code=location.code,
            kind=location.kind,
            latitude=location.latitude,
            longitude=location.longitude,
            ships=location.ships,
            click_and_collect=location.click_and_collect,
            sells_in_store=location.sells_in_store,
            priority=priority[location.code],
        )
        for location in locations.values()
    ]
    serving = {channel: frozenset(loc.code for loc in own)}
    if methods - HOME_DELIVERY:
        serving.setdefault(policy.store_network, frozenset(loc.code for loc in stores))
    if Method.endless_aisle in methods:
        serving.setdefault(policy.endless_aisle_network, frozenset(loc.code for loc in endless))
    return Network(
        channel=channel,
        locations=locations,
        sites=sites,
        channel_codes=serving[channel],
        store_codes=frozenset(loc.code for loc in stores),
        endless_codes=frozenset(loc.code for loc in endless),
        serving=serving,
    )


def read_stock(
    session: Session, *, skus: Sequence[str], network_: Network
) -> dict[tuple[str, str], int]:
    """Available units of each SKU at each location of the network."""
    codes = sorted(network_.locations)
    if not codes:
        return {}
    stock: dict[tuple[str, str], int] = {}
    unique = sorted(set(skus))
    for start in range(0, len(codes), 1000):
        query = AvailabilityQuery(skus=unique, locations=codes[start : start + 1000])
        for item in availability.availability(session, query=query).items:
            for row in item.locations:
                stock[(item.sku, row.location)] = row.available
    return stock


_REFUSALS: dict[str, type[DomainError]] = {
    "pickup_not_available": PickupNotAvailable,
    "store_service_not_available": StoreServiceNotAvailable,
    "location_required": LocationRequired,
    "location_not_available": LocationNotAvailable,
    "insufficient_stock": InsufficientStock,
}
_PRECEDENCE = list(_REFUSALS)


def refuse(decision: Decision) -> DomainError:
    """One error for a decision that could not source everything, listing every shortfall."""
    shortfalls = sorted(decision.shortfalls, key=lambda s: _PRECEDENCE.index(s.reason))
    first = shortfalls[0]
    more = len(shortfalls) - 1
    detail = first.detail + (f" ({more} more line(s) cannot be sourced either.)" if more else "")
    return _REFUSALS[first.reason](
        detail,
        field="lines",
        shortfalls=[
            {
                "line": s.line,
                "sku": s.sku,
                "requested": s.requested,
                "sourced": s.sourced,
                "reason": s.reason,
                "detail": s.detail,
            }
            for s in decision.shortfalls
        ],
    )


@dataclass(frozen=True)
class Held:
    """An allocation with the reservation that now holds its units."""

    line: str
    sku: str
    location: str
    quantity: int
    method: Method
    distance_km: float | None
    stock_channel: str
    reservation_id: str
    hold: inventory.LineHold


def _ttl_seconds(method: Method, reserve_days: int | None, policy: OrderPolicy) -> int:
    if method is Method.reserve_and_try:
        return (reserve_days or policy.reserve_and_try_days) * DAY
    if method is Method.carry_out:
        return policy.carry_out_ttl_seconds
    return policy.hold_seconds


def _holds(
    session: Session,
    allocations: Sequence[Allocation],
    network_: Network,
    reserve_days: Mapping[str, int | None],
    policy: OrderPolicy,
) -> list[inventory.LineHold]:
    """What to reserve for each allocation: its units at its location, for the channel whose
    network holds the location (which must fulfil that channel)."""
    variants = references.variants(session, [allocation.sku for allocation in allocations])
    holds = []
    for allocation in allocations:
        channel = network_.stock_channel(allocation.method, allocation.location, policy)
        if allocation.location not in network_.serving.get(channel, frozenset()):
            raise LocationNotInChannel(
                f"{allocation.location} does not fulfil the {channel} channel.", field="location"
            )
        holds.append(
            inventory.LineHold(
                variant=variants[allocation.sku],
                location=network_.locations[allocation.location],
                quantity=allocation.quantity,
                channel=channel,
                ttl_seconds=_ttl_seconds(
                    allocation.method, reserve_days.get(allocation.line), policy
                ),
            )
        )
    return holds


def source_and_reserve(
    session: Session,
    *,
    requests: Sequence[LineRequest],
    network_: Network,
    destination: Point | None,
    reference: str,
    reserve_days: Mapping[str, int | None],
    actor: Actor,
    policy: OrderPolicy,
) -> tuple[Decision, list[Held]]:
    """Source the lines and reserve every allocation, or raise (and reserve nothing)."""
    stock_actor = fulfilment_service.acting_for_order(actor)
    skus = [request.sku for request in requests]
    for attempt in range(1, ATTEMPTS + 1):
        stock = read_stock(session, skus=skus, network_=network_)
        decision = source(
            requests,
            sites=network_.sites,
            stock=stock,
            destination=destination,
            rules=policy.sourcing,
        )
        if not decision.complete:
            raise refuse(decision)
        # A fixed order (SKU, then location) for the reservations and their events, as
        # when each line was reserved alone.
        ordered = sorted(
            enumerate(decision.allocations), key=lambda item: (item[1].sku, item[1].location)
        )
        holds = _holds(
            session, [allocation for _, allocation in ordered], network_, reserve_days, policy
        )
        try:
            reservation_ids = inventory.reserve_lines(
                session, lines=holds, actor=stock_actor, reference=reference, order_id=reference
            )
        except InsufficientStock:
            if attempt == ATTEMPTS:
                raise
            continue
        held = {
            index: Held(
                line=allocation.line,
                sku=allocation.sku,
                location=allocation.location,
                quantity=allocation.quantity,
                method=allocation.method,
                distance_km=allocation.distance_km,
                stock_channel=hold.channel,
                reservation_id=reservation_id,
                hold=hold,
            )
            for (index, allocation), hold, reservation_id in zip(
                ordered, holds, reservation_ids, strict=True
            )
        }
        return decision, [held[index] for index in sorted(held)]
    raise AssertionError("unreachable")


def open_fulfilments(
    session: Session,
    *,
    order_id: str,
    held: Sequence[Held],
    order_line_ids: Mapping[str, str],
    line_positions: Mapping[str, int],
    reserve_days: Mapping[str, int | None],
    network_: Network,
    delivery_address: dict[str, Any] | None,
    actor: Actor,
    policy: OrderPolicy,
    now: datetime,
    first_position: int = 1,
    replaces_id: str | None = None,
    reason: str = "",
) -> list[fulfilment_service.NewFulfilment]:
    """One fulfilment per (method, location, hold length); a till sale's units leave at once."""
    groups: dict[tuple[Method, str, str, int | None], list[Held]] = {}
    for item in held:
        days = reserve_days.get(item.line) if item.method is Method.reserve_and_try else None
        groups.setdefault((item.method, item.location, item.stock_channel, days), []).append(item)
    created = []
    stock_actor = fulfilment_service.acting_for_order(actor)
    for position, ((method, code, stock_channel, days), items) in enumerate(
        groups.items(), start=first_position
    ):
        if method is Method.carry_out:
            inventory.confirm_lines(
                session,
                lines=[(item.reservation_id, item.hold) for item in items],
                actor=stock_actor,
            )
        due_at = None
        if method is Method.reserve_and_try:
            due_at = now + timedelta(days=days or policy.reserve_and_try_days)
        created.append(
            fulfilment_service.create_fulfilment(
                session,
                order_id=order_id,
                position=position,
                method=method,
                location=network_.locations[code],
                stock_channel=stock_channel,
                lines=[
                    fulfilment_service.NewLine(
                        order_line_id=order_line_ids[item.line],
                        position=line_positions[item.line],
                        sku=item.sku,
                        quantity=item.quantity,
                        reservation_id=item.reservation_id,
                    )
                    for item in items
                ],
                actor=actor,
                now=now,
                delivery_address=delivery_address if method in HOME_DELIVERY else None,
                distance_km=items[0].distance_km if method in HOME_DELIVERY else None,
                due_at=due_at,
                replaces_id=replaces_id,
                reason=reason,
            )
        )
    return created
