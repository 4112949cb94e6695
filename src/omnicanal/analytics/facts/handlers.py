"""The handlers of the KPI consumer, one per kind of event: each changes the batch's facts
as its event tells (see the package's docstring for how each is credited)."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import datetime
from typing import Any

from omnicanal.analytics.facts.batch import (
    NONE,
    Batch,
    Measure,
    Moment,
    Names,
    Place,
    segment_of,
    source_location,
    zone_named,
)
from omnicanal.analytics.models import FulfilmentFact, LocationFact, OrderFact
from omnicanal.carts.events import CartCreated
from omnicanal.engagement.events import (
    MessageFailed,
    MessageSent,
    MessageWithdrawn,
    MessageWithheld,
)
from omnicanal.engagement.policy import SUPPRESSION_REASONS
from omnicanal.fulfilment.events import (
    FULFILMENT_STATUS_EVENTS,
    FulfilmentCollected,
    FulfilmentLineRejected,
    FulfilmentStatusChanged,
)
from omnicanal.fulfilment.states import CLOSED, HOME_DELIVERY, LEFT, FulfilmentStatus, Method
from omnicanal.inventory import service as inventory
from omnicanal.inventory.events import (
    ReservationChanged,
    ReservationConfirmed,
    ReservationLapsed,
    ReservationReleased,
    StockCounted,
    StockMoved,
    StockReserved,
)
from omnicanal.network.events import LocationOpened, LocationUpdated
from omnicanal.orders.events import (
    OrderCancelled,
    OrderCompleted,
    OrderLineCancelled,
    OrderPlaced,
    OrderStatusChanged,
)
from omnicanal.platform.actors import ChannelKind
from omnicanal.platform.events import DomainEvent, Event
from omnicanal.platform.paging import MAX_LIMIT
from omnicanal.pricing.events import PurchaseCostChanged
from omnicanal.returns.events import (
    ExchangeCompleted,
    ReturnCancelled,
    ReturnClosed,
    ReturnEvent,
    ReturnRefunded,
    ReturnRefused,
)

__all__ = ["EVENTS", "HANDLERS", "SITUATION_REASONS", "names_of"]

SITUATION_REASONS = frozenset({*SUPPRESSION_REASONS.values(), "open_dispute"})
"""Why a planned message was withheld when the situation changed (a return, a complaint, a
cancellation, a refused delivery, a dispute), beside the withdrawn ones."""
_IN_STORE = ChannelKind.store.value
_AT_STORE = frozenset({Method.pickup, Method.reserve_and_try, Method.carry_out})
_COLLECTED = frozenset({Method.pickup, Method.reserve_and_try})
_SATISFIED = 4
_RETURN_ENDS = (ReturnRefunded, ExchangeCompleted, ReturnClosed, ReturnCancelled, ReturnRefused)
_RETURNED = (ReturnRefunded, ExchangeCompleted, ReturnClosed)
_MESSAGES = (MessageSent, MessageWithheld, MessageWithdrawn, MessageFailed)
EVENTS: tuple[type[DomainEvent], ...] = (
    OrderPlaced,
    OrderCancelled,
    OrderCompleted,
    OrderLineCancelled,
    *FULFILMENT_STATUS_EVENTS.values(),
    FulfilmentLineRejected,
    StockMoved,
    StockCounted,
    StockReserved,
    ReservationLapsed,
    ReservationReleased,
    ReservationConfirmed,
    *_RETURN_ENDS,
    CartCreated,
    LocationOpened,
    LocationUpdated,
    PurchaseCostChanged,
    *_MESSAGES,
)
"""The events the facts are kept from."""


def _in_store(event: Event) -> str | None:
    """The store of a sale made at its till or counter (the caller acts for a store)."""
    channel, location = source_location(event.source)
    return location if channel == _IN_STORE else None


def names_of(events: Sequence[tuple[Event, DomainEvent]]) -> Names:
    """The orders, fulfilments, carts, SKUs and locations the batch's events name."""
    names = Names()
    places = names.places
    for event, payload in events:
        _, source_store = source_location(event.source)
        if source_store:
            places.add(source_store)
        if isinstance(payload, OrderPlaced):
            names.orders.add(payload.order_id)
            if payload.cart_id:
                names.carts.add(payload.cart_id)
            for line in payload.lines:
                names.skus.add(line.sku)
                if line.location:
                    places.add(line.location)
        elif isinstance(payload, OrderStatusChanged | OrderLineCancelled | ReturnEvent):
            names.orders.add(payload.order_id)
            if isinstance(payload, ReturnEvent) and payload.return_location:
                places.add(payload.return_location)
        elif isinstance(payload, FulfilmentStatusChanged | FulfilmentLineRejected):
            names.orders.add(payload.order_id)
            names.fulfilments.add(payload.fulfilment_id)
            places.add(payload.location)
        elif isinstance(payload, ReservationChanged | StockMoved):
            places.add(payload.location)
    return names


def _cost(batch: Batch, placed: OrderPlaced) -> int | None:
    """What the order's units cost, when every SKU has a cost in the order's currency."""
    total = 0
    for line in placed.lines:
        known = batch.costs.get(line.sku)
        if known is None or known[0] != placed.currency:
            return None
        total += known[1] * line.quantity
    return total


def _store_credited(event: Event, placed: OrderPlaced) -> tuple[str, bool]:
    """The store an order is credited to, and whether it was sold at that store's till."""
    till = _in_store(event)
    if till is not None:
        return till, True
    for line in placed.lines:
        if line.method in _AT_STORE and line.location:
            return line.location, False
    return NONE, False


def _received(batch: Batch, event: Event) -> datetime:
    received = batch.keeping.received
    return received(event) if received is not None else batch.now


def _placed(batch: Batch, event: Event, placed: OrderPlaced) -> None:
    if placed.order_id in batch.orders:
        return
    store, at_till = _store_credited(event, placed)
    day = batch.day(event.time, store)
    segment = segment_of(placed.customer_ref)
    methods = {line.method for line in placed.lines}
    units = sum(line.quantity for line in placed.lines)
    cart_channel = batch.carts.get(placed.cart_id) if placed.cart_id else None
    order = OrderFact(
        order_id=placed.order_id,
        placed_at=event.time,
        day=day,
        channel=placed.channel,
        store=store,
        segment=segment,
        customer_ref=placed.customer_ref,
        currency=placed.currency,
        total_minor=placed.total_minor,
        units=units,
        lines=len(placed.lines),
        click_and_collect=bool(methods & _COLLECTED),
        endless_aisle=Method.endless_aisle in methods,
        ship_from_store=False,
        cart_channel=cart_channel,
        cost_minor=_cost(batch, placed),
        status=placed.status,
        returned_units=0,
        refunded_minor=0,
        cancelled_units=0,
        cancelled_minor=0,
    )
    batch.session.add(order)
    batch.orders[order.order_id] = order
    add = batch.add_to_order
    add(order, Measure.orders)
    add(order, Measure.units, units)
    if placed.currency == batch.keeping.currency:
        add(order, Measure.sales_minor, placed.total_minor)
        add(order, Measure.sales_orders)
    if order.click_and_collect:
        add(order, Measure.click_and_collect_orders)
    if methods & HOME_DELIVERY:
        add(order, Measure.home_delivery_orders)
    if cart_channel is not None:
        add(order, Measure.cart_orders)
        if cart_channel != placed.channel:
            add(order, Measure.cross_channel_orders)
    if at_till:
        add(order, Measure.store_sales)
        delay = max((_received(batch, event) - event.time).total_seconds(), 0.0)
        add(order, Measure.till_sync_ms, round(delay * 1000))
        add(order, Measure.till_syncs)
        batch.moment(event, Moment.till_sync, store, delay)


def _order_moved(batch: Batch, event: Event, moved: OrderStatusChanged) -> None:
    order = batch.orders.get(moved.order_id)
    if order is None:
        return
    if isinstance(moved, OrderCancelled):
        if order.cancelled_at is None:
            order.status, order.cancelled_at = moved.status, event.time
            batch.add_to_order(order, Measure.cancelled_orders)
    elif order.completed_at is None:
        order.completed_at = event.time
        if order.cancelled_at is None:
            order.status = moved.status


def _line_cancelled(batch: Batch, event: Event, cancelled: OrderLineCancelled) -> None:
    order = batch.orders.get(cancelled.order_id)
    if order is None:
        return
    order.cancelled_units += cancelled.quantity
    order.cancelled_minor += cancelled.refund_minor
    batch.add_to_order(order, Measure.cancelled_units, cancelled.quantity)
    if cancelled.currency == batch.keeping.currency:
        batch.add_to_order(order, Measure.cancelled_minor, cancelled.refund_minor)


def _fulfilment(batch: Batch, event: Event, moved: FulfilmentStatusChanged) -> None:
    row = batch.fulfilments.get(moved.fulfilment_id)
    if row is None:
        row = FulfilmentFact(
            fulfilment_id=moved.fulfilment_id,
            order_id=moved.order_id,
            method=moved.method,
            location=moved.location,
            status=moved.status,
            opened_at=event.time,
            rejected_units=0,
        )
        batch.session.add(row)
        batch.fulfilments[row.fulfilment_id] = row
    order = batch.orders.get(moved.order_id)
    status = moved.status
    if status == FulfilmentStatus.ready_for_pickup and row.ready_at is None:
        row.ready_at = event.time
        if order is not None:
            lead = max((event.time - order.placed_at).total_seconds(), 0.0)
            row.lead_seconds = lead
            batch.add_to_order(order, Measure.pickup_lead_ms, round(lead * 1000))
            batch.add_to_order(order, Measure.pickup_leads)
    elif status == FulfilmentStatus.checked_in and row.checked_in_at is None:
        row.checked_in_at = event.time
    elif isinstance(moved, FulfilmentCollected) and row.collected_at is None:
        row.collected_at = event.time
        if moved.pickup_wait_seconds is not None:
            row.wait_seconds = moved.pickup_wait_seconds
            if order is not None:
                batch.add_to_order(order, Measure.pickup_wait_ms, round(row.wait_seconds * 1000))
                batch.add_to_order(order, Measure.pickup_waits)
    if status in LEFT and row.left_at is None:
        _left(batch, event, moved, row, order)
    if status in CLOSED and row.ended_at is None:
        row.ended_at = event.time
    # A replay may bring an earlier move after an end: the end stands.
    if row.status not in CLOSED or status in CLOSED:
        row.status = status


def _left(
    batch: Batch,
    event: Event,
    moved: FulfilmentStatusChanged,
    row: FulfilmentFact,
    order: OrderFact | None,
) -> None:
    """The units leave our hands at the fulfilment's location: sold there, once."""
    row.left_at = event.time
    units = sum(line.quantity for line in moved.lines) - row.rejected_units
    channel = order.channel if order is not None else NONE
    segment = order.segment if order is not None else NONE
    day = batch.day(event.time, moved.location)
    batch.add(day, moved.location, channel, segment, Measure.units_sold, max(units, 0))
    shipped_from_store = moved.method in HOME_DELIVERY and batch.is_store(moved.location)
    if shipped_from_store and order is not None and not order.ship_from_store:
        order.ship_from_store = True
        batch.add_to_order(order, Measure.ship_from_store_orders)


def _line_rejected(batch: Batch, event: Event, rejected: FulfilmentLineRejected) -> None:
    row = batch.fulfilments.get(rejected.fulfilment_id)
    if row is not None:
        row.rejected_units += rejected.quantity
    order = batch.orders.get(rejected.order_id)
    channel = order.channel if order is not None else NONE
    day = batch.day(event.time, rejected.location)
    batch.add(day, rejected.location, channel, NONE, Measure.lines_rejected)
    batch.moment(event, Moment.line_rejected, rejected.location)


def _stock_moved(batch: Batch, event: Event, moved: StockMoved) -> None:
    key = (moved.sku, moved.location)
    known = batch.stock.get(key)
    if known is None or known[1] <= event.time:
        batch.stock[key] = (moved.on_hand, event.time)


def _stock_counted(batch: Batch, event: Event, counted: StockCounted) -> None:
    """A count lists no quantities: the counted locations' levels are read as they are."""
    for location in counted.locations:
        cursor: str | None = None
        while True:
            page = inventory.stock_level_page(
                batch.session, location=location, limit=MAX_LIMIT, starting_after=cursor
            )
            for level in page.items:
                batch.stock[(level.sku, level.location)] = (level.on_hand, event.time)
            if not page.has_more or page.next_cursor is None:
                break
            cursor = page.next_cursor


_RESERVATION_MEASURES = {
    StockReserved.type: Measure.reservations,
    ReservationLapsed.type: Measure.reservations_expired,
    ReservationReleased.type: Measure.reservations_released,
    ReservationConfirmed.type: Measure.reservations_confirmed,
}


def _reservation(batch: Batch, event: Event, changed: ReservationChanged) -> None:
    day = batch.day(event.time, changed.location)
    measure = _RESERVATION_MEASURES[event.type]
    batch.add(day, changed.location, changed.channel, NONE, measure)
    if measure is Measure.reservations_expired:
        batch.moment(event, Moment.reservation_expired, changed.location)


def _return_ended(batch: Batch, event: Event, ended: ReturnEvent) -> None:
    order = batch.orders.get(ended.order_id)
    place = ended.return_location or NONE
    day = batch.day(event.time, place)
    segment = segment_of(ended.customer_ref)
    if ended.satisfaction is not None:
        batch.add(day, place, ended.purchase_channel, segment, Measure.return_answers)
        if ended.satisfaction >= _SATISFIED:
            batch.add(day, place, ended.purchase_channel, segment, Measure.return_satisfied)

    def credit(measure: Measure, value: int = 1) -> None:
        if order is not None:
            batch.add_to_order(order, measure, value)
        else:
            batch.add(day, place, ended.purchase_channel, segment, measure, value)

    if isinstance(ended, _RETURNED) and order is not None:
        units = sum(line.quantity for line in ended.lines)
        if order.returned_units == 0 and units:
            batch.add_to_order(order, Measure.returned_orders)
        order.returned_units += units
        batch.add_to_order(order, Measure.returned_units, units)
    if isinstance(ended, ReturnRefunded):
        credit(Measure.refunds)
        if order is not None:
            order.refunded_minor += ended.amount_minor
        if ended.currency == batch.keeping.currency:
            credit(Measure.refunded_minor, ended.amount_minor)
    elif isinstance(ended, ExchangeCompleted):
        credit(Measure.exchanges)


def _cart_created(batch: Batch, event: Event, created: CartCreated) -> None:
    batch.carts.setdefault(created.cart_id, created.channel)
    batch.new_carts.append(
        {"cart_id": created.cart_id, "channel": created.channel, "created_at": event.time}
    )


def _location(batch: Batch, event: Event, changed: LocationOpened | LocationUpdated) -> None:
    row = batch.session.get(LocationFact, changed.code)
    address = changed.address
    if isinstance(changed, LocationOpened):
        if row is None:
            row = LocationFact(code=changed.code, opened_at=event.time)
            batch.session.add(row)
        row.kind = changed.kind
        row.latitude, row.longitude = changed.latitude, changed.longitude
    elif row is None:
        return
    row.name, row.timezone, row.city = changed.name, changed.timezone, changed.city
    if address is not None and address.latitude is not None and address.longitude is not None:
        row.latitude, row.longitude = address.latitude, address.longitude
    batch.places[row.code] = Place(zone_named(row.timezone, batch.keeping.zone), row.kind)


def _cost_changed(batch: Batch, event: Event, changed: PurchaseCostChanged) -> None:
    batch.costs[changed.sku] = (changed.currency, changed.cost_minor)
    batch.new_costs[changed.sku] = {
        "sku": changed.sku,
        "currency": changed.currency,
        "cost_minor": changed.cost_minor,
    }


def _message(batch: Batch, event: Event, decided: DomainEvent) -> None:
    day = event.time.astimezone(batch.keeping.zone).date()
    batch.add(day, NONE, NONE, NONE, Measure.messages_decided)
    changed = isinstance(decided, MessageWithdrawn) or (
        isinstance(decided, MessageWithheld) and decided.reason in SITUATION_REASONS
    )
    if changed:
        batch.add(day, NONE, NONE, NONE, Measure.messages_situation_changed)


_Handler = Callable[[Batch, Event, Any], None]
HANDLERS: dict[str, _Handler] = {
    OrderPlaced.type: _placed,
    OrderCancelled.type: _order_moved,
    OrderCompleted.type: _order_moved,
    OrderLineCancelled.type: _line_cancelled,
    **{event.type: _fulfilment for event in FULFILMENT_STATUS_EVENTS.values()},
    FulfilmentLineRejected.type: _line_rejected,
    StockMoved.type: _stock_moved,
    StockCounted.type: _stock_counted,
    **{event_type: _reservation for event_type in _RESERVATION_MEASURES},
    **{event.type: _return_ended for event in _RETURN_ENDS},
    CartCreated.type: _cart_created,
    LocationOpened.type: _location,
    LocationUpdated.type: _location,
    PurchaseCostChanged.type: _cost_changed,
    **{event.type: _message for event in _MESSAGES},
}
"""The handler of each event type."""
