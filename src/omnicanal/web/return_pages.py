"""What the counter's return pages read (``web/returns.py`` has the routes and the writes):
the purchase a customer brings back, found by receipt, customer or scanned item; the units of
each order line still returnable; a return with its items, customer and store credit; and an
exchange priced before the clerk confirms it.

Every read goes through the modules' public functions; the rules stay in ``returns``.
"""

from __future__ import annotations

import re
import secrets
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy.orm import Session

from omnicanal.catalog import service as catalog
from omnicanal.catalog.errors import UnknownSku
from omnicanal.customers import service as customers
from omnicanal.fulfilment.states import Method
from omnicanal.network import service as network
from omnicanal.network.lookups import LocationRef
from omnicanal.orders import service as orders
from omnicanal.orders.errors import UnknownOrder
from omnicanal.orders.lookups import get_order_ref
from omnicanal.orders.schemas import OrderOut
from omnicanal.platform.actors import Actor
from omnicanal.platform.errors import InvalidInput
from omnicanal.pricing import service as pricing
from omnicanal.returns import service as returns
from omnicanal.returns.rules import Condition, ReasonCode
from omnicanal.returns.schemas import ReturnLineOut, ReturnOut, ReturnSummary
from omnicanal.returns.states import RELEASING, ReturnStatus
from omnicanal.web import counter
from omnicanal.web.basket import ProductResult, customer_of, find_for_counter

__all__ = [
    "EXCHANGE_METHODS",
    "IN_PROGRESS",
    "ExchangePick",
    "NothingChosen",
    "Purchase",
    "PurchaseSearch",
    "ReturnableLine",
    "UnknownReturnLine",
    "exchange_context",
    "exchange_picks",
    "find_purchases",
    "new_return_context",
    "order_id_in",
    "return_context",
    "returns_in_progress",
    "wanted",
]

LOOKBACK = timedelta(days=90)
"""How far back a scanned item finds the orders that hold it."""
MAX_ORDERS = 20
QR_PREFIX = "omnicanal:order:"
"""What the receipt's QR code holds before the order number."""
ORDER_NUMBER = re.compile(r"^[0-9A-Za-z]{26}$")
IN_PROGRESS = (
    ReturnStatus.review_pending,
    ReturnStatus.approved,
    ReturnStatus.received,
    ReturnStatus.inspected,
)
"""A store's returns not finished yet: waiting for head office or for the clerk."""
EXCHANGE_METHODS = (Method.carry_out, Method.pickup, Method.endless_aisle)
STORE_CHANNEL = counter.STORE_CHANNEL


class NothingChosen(InvalidInput):
    code = "nothing_chosen"


class UnknownReturnLine(InvalidInput):
    code = "unknown_return_line"


# --- finding the purchase --------------------------------------------------------------------


@dataclass(frozen=True)
class PurchaseLine:
    sku: str
    name: str
    quantity: int


@dataclass(frozen=True)
class Purchase:
    """An order as the return desk lists it: when, where, what, for whom."""

    order: OrderOut
    store_name: str | None
    lines: list[PurchaseLine]
    customer_name: str | None


@dataclass(frozen=True)
class PurchaseSearch:
    """What a search of the return desk found."""

    query: str = ""
    product: str = ""
    customers: list[str] = field(default_factory=list)
    """The names of the customers the query designates."""
    variant: catalog.VariantRef | None = None
    purchases: list[Purchase] = field(default_factory=list)
    problem: str | None = None

    @property
    def searched(self) -> bool:
        return bool(self.query or self.product)


def order_id_in(text: str) -> str | None:
    """The order number typed, or read from the receipt's QR code (``omnicanal:order:<id>``)."""
    value = text.strip()
    if value.lower().startswith(QR_PREFIX):
        value = value[len(QR_PREFIX) :].strip()
    return value.upper() if ORDER_NUMBER.match(value) else None


def _purchases(session: Session, found: Iterable[OrderOut]) -> list[Purchase]:
    """The orders with their items' names, their store's name and their customer's."""
    chosen = list(found)
    names = catalog.product_names(session, {line.sku for o in chosen for line in o.lines})
    places = network.locations_by_code(session, {o.location for o in chosen if o.location})
    people: dict[str, str | None] = {}
    for order in chosen:
        if order.customer_ref is not None and order.customer_ref not in people:
            customer = customer_of(session, order.customer_ref)
            people[order.customer_ref] = customer.name if customer else None
    return [
        Purchase(
            order=order,
            store_name=places[order.location].name if order.location in places else None,
            lines=[
                PurchaseLine(line.sku, names.get(line.sku, line.sku), line.quantity)
                for line in order.lines
            ],
            customer_name=people.get(order.customer_ref) if order.customer_ref else None,
        )
        for order in chosen
    ]


def find_purchases(
    session: Session, *, query: str, product: str, region: str, actor: Actor, now: datetime
) -> PurchaseSearch:
    """The purchase a customer brings back: by its receipt or order number (or the receipt's
    QR code); by the customer's phone, e-mail or loyalty card (their latest orders); by an
    item scanned (the orders of the last 90 days that hold it, the customer's only when one
    was found too)."""
    # The customer search lives with the clerk's pages, which include this module's router.
    from omnicanal.web.store import find_customers

    query, product = query.strip()[:200], product.strip()[:60]
    order_id = order_id_in(query) if query else None
    if order_id is not None:
        try:
            order = orders.get_order(session, order_id=order_id, actor=actor)
        except UnknownOrder:
            return PurchaseSearch(query=query, product=product, problem="unknown_order")
        return PurchaseSearch(query=query, product=product, purchases=_purchases(session, [order]))
    variant = _variant(session, query) if query and not product else None
    matches = []
    if query and variant is None:
        matches = find_customers(session, query, region=region)
        if not matches:
            problem = "unknown_customer" if product else "nothing_found"
            return PurchaseSearch(query=query, product=product, problem=problem)
    if product:
        variant = _variant(session, product)
        if variant is None:
            return PurchaseSearch(query=query, product=product, problem="unknown_product")
    references = [
        reference
        for match in matches
        for reference in customers.customer_references(session, profile_id=match.profile.id)
    ]
    page = orders.list_orders(
        session,
        customer_refs=references if matches else None,
        sku=variant.sku if variant else None,
        placed_from=now - LOOKBACK if variant else None,
        limit=MAX_ORDERS,
        actor=actor,
    )
    found = [orders.get_order(session, order_id=item.id, actor=actor) for item in page.items]
    return PurchaseSearch(
        query=query,
        product=product,
        customers=[match.name for match in matches],
        variant=variant,
        purchases=_purchases(session, found),
        problem=None if found else "no_purchase",
    )


def _variant(session: Session, code: str) -> catalog.VariantRef | None:
    """The item whose SKU or GTIN was scanned or typed, if it is one."""
    try:
        return catalog.find_variant(session, code)
    except UnknownSku:
        return None


def returns_in_progress(session: Session, *, actor: Actor) -> list[ReturnSummary]:
    """The returns held at the clerk's store that are not finished, oldest first."""
    found = [
        item
        for status in IN_PROGRESS
        for item in returns.list_returns(
            session, status=status.value, location=actor.location_code, actor=actor, limit=50
        ).items
    ]
    return sorted(found, key=lambda item: item.requested_at)


# --- a new return ----------------------------------------------------------------------------


@dataclass(frozen=True)
class ReturnableLine:
    """An order line and how many of its units may still come back."""

    id: str
    sku: str
    name: str
    quantity: int
    received: int
    """Units that reached the customer."""
    claimed: int
    """Units already returned or on their way back."""
    total_minor: int
    received_at: datetime | None

    @property
    def returnable(self) -> int:
        return max(self.received - self.claimed, 0)


def _claimed(session: Session, order_id: str) -> dict[str, int]:
    """Units of each order line in the order's returns, but refused or cancelled ones."""
    claimed: dict[str, int] = {}
    page = returns.list_returns(session, order_id=order_id, limit=500)
    for item in page.items:
        if ReturnStatus(item.status) in RELEASING:
            continue
        for line in returns.get_return(session, return_id=item.id).lines:
            claimed[line.order_line_id] = claimed.get(line.order_line_id, 0) + line.quantity
    return claimed


def new_return_context(session: Session, *, order_id: str, actor: Actor) -> dict[str, Any]:
    """The order a return is taken for and each line's returnable units;
    :class:`UnknownOrder` when the clerk may not read it."""
    order = orders.get_order(session, order_id=order_id, actor=actor)
    reference = get_order_ref(session, order.id)
    claimed = _claimed(session, order.id)
    names = catalog.product_names(session, [line.sku for line in reference.lines])
    (purchase,) = _purchases(session, [order])
    lines = [
        ReturnableLine(
            id=line.id,
            sku=line.sku,
            name=names.get(line.sku, line.sku),
            quantity=line.quantity,
            received=line.left_quantity,
            claimed=claimed.get(line.id, 0),
            total_minor=line.total_minor,
            received_at=line.left_at,
        )
        for line in reference.lines
    ]
    return {
        "order": order,
        "purchase": purchase,
        "lines": lines,
        "returnable": sum(line.returnable for line in lines),
        "reasons": [reason.value for reason in ReasonCode],
        "conditions": [condition.value for condition in Condition],
        "return_key": secrets.token_urlsafe(18),
        "form": {},
    }


# --- a return --------------------------------------------------------------------------------


@dataclass(frozen=True)
class ReturnedItem:
    """A line of the return, named, with the sizes and colours it may be exchanged for."""

    line: ReturnLineOut
    name: str
    product: ProductResult | None


def _here(session: Session, actor: Actor) -> LocationRef:
    assert actor.location_code is not None  # staff.acting_as gives a store's actor only
    return network.get_location(session, actor.location_code)


def return_context(session: Session, *, return_id: str, actor: Actor) -> dict[str, Any]:
    """Everything the return page shows; :class:`UnknownReturn` when the clerk may not
    read it (another store's)."""
    found = returns.get_return(session, return_id=return_id, actor=actor)
    here = _here(session, actor)
    status = ReturnStatus(found.status)
    names = catalog.product_names(session, [line.sku for line in found.lines])
    exchangeable = status in (ReturnStatus.received, ReturnStatus.approved, ReturnStatus.inspected)
    items = []
    for line in found.lines:
        product = None
        if exchangeable:
            _scanned, products = find_for_counter(session, line.sku, here=here)
            product = products[0] if products else None
        items.append(ReturnedItem(line=line, name=names.get(line.sku, line.sku), product=product))
    customer = customer_of(session, found.customer_ref)
    credit = None
    if found.customer_ref is not None:
        credit = returns.get_store_credit(
            session, customer_ref=found.customer_ref, currency=found.currency
        )
    held_here = found.location == here.code
    places = network.locations_by_code(session, {found.location} if found.location else set())
    return {
        "ret": found,
        "items": items,
        "here": here,
        "customer": customer,
        "credit": credit,
        "store_name": places[found.location].name if found.location in places else None,
        "can_inspect": held_here and status in (ReturnStatus.received, ReturnStatus.approved),
        "can_refund": held_here and status is ReturnStatus.inspected,
        "can_exchange": held_here and exchangeable,
        "can_cancel": status
        in (
            ReturnStatus.requested,
            ReturnStatus.review_pending,
            ReturnStatus.approved,
            ReturnStatus.received,
        ),
        "action_key": secrets.token_urlsafe(18),
        "methods": [method.value for method in EXCHANGE_METHODS],
    }


# --- an exchange -----------------------------------------------------------------------------


@dataclass(frozen=True)
class ExchangePick:
    """A returned line and the SKU the customer takes instead."""

    line: ReturnLineOut
    sku: str


def exchange_picks(ret: ReturnOut, fields: Mapping[str, str]) -> list[ExchangePick]:
    """The new SKU chosen for each returned line (``new-<line id>``), the same quantity;
    :class:`NothingChosen` when none was."""
    by_id = {line.id: line for line in ret.lines}
    picks = []
    for name, value in fields.items():
        if not name.startswith("new-") or not value.strip():
            continue
        line = by_id.get(name[4:])
        if line is None:
            raise UnknownReturnLine(f"The return has no line {name[4:]!r}.", field=name)
        picks.append(ExchangePick(line=line, sku=value.strip()[:60]))
    if not picks:
        raise NothingChosen("Choose the item the customer takes instead.", field="new")
    return picks


def wanted(picks: Iterable[ExchangePick]) -> list[tuple[str, int]]:
    """(SKU, quantity) of the new items, one per SKU."""
    quantities: dict[str, int] = {}
    for pick in picks:
        quantities[pick.sku] = quantities.get(pick.sku, 0) + pick.line.quantity
    return list(quantities.items())


def exchange_context(
    session: Session, *, return_id: str, actor: Actor, fields: Mapping[str, str]
) -> dict[str, Any]:
    """The exchange the clerk chose, priced for the store, the difference to pay or to give
    back, where the new items can be collected; :class:`UnknownReturn`,
    :class:`NothingChosen` or :class:`UnknownSku` when it cannot be shown."""
    context = return_context(session, return_id=return_id, actor=actor)
    ret: ReturnOut = context["ret"]
    picks = exchange_picks(ret, fields)
    lines = wanted(picks)
    variants = catalog.resolve_skus(session, [sku for sku, _ in lines])
    priced = pricing.price_cart(
        session,
        currency=ret.currency,
        channel=STORE_CHANNEL,
        lines=lines,
        customer_ref=ret.customer_ref,
    )
    here: LocationRef = context["here"]
    method = fields.get("method", Method.carry_out.value)
    if method not in context["methods"]:
        method = Method.carry_out.value
    customer = context["customer"]
    return {
        **context,
        "picks": picks,
        "names": {
            sku: " ".join(p for p in (v.name, v.size, v.colour) if p) for sku, v in variants.items()
        },
        "priced": priced,
        "difference": priced.total_minor - ret.value_minor,
        "method": method,
        "stock": orders.cart_stock(session, lines=lines, here=here),
        "pickup_options": orders.pickup_options(
            session, lines=lines, channel=STORE_CHANNEL, near=(here.latitude, here.longitude)
        )
        if method == Method.pickup.value
        else [],
        "address": customer.address if customer else {name: "" for name in counter.ADDRESS_FIELDS},
    }
