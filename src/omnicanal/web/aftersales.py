"""What the customer page adds after a sale: the customer's returns and exchanges on their
timeline, an exchange to suggest after a return for size, and the open cart priced line by
line, saying where the price online differs from the store's and why.

Every fact comes from a module's public functions: the returns and the satisfaction from
the customer's profile (``customers.returns_seen``), the sizes from the catalog
(``catalog.sizes``), the size a return calls for from the return rules, the stock as the
counter basket reads it (``web.variant_stock``), the prices from the carts and the
price consistency audit (``pricing.overrides.consistency``).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from sqlalchemy.orm import Session

from omnicanal.carts import service as carts
from omnicanal.carts.schemas import CartOut
from omnicanal.catalog import service as catalog
from omnicanal.catalog.errors import UnknownSku
from omnicanal.catalog.sizes import neighbour_size
from omnicanal.customers.satisfaction import RETURN_EVENT_PREFIX
from omnicanal.customers.schemas import ProfileOut, ProfileReturnOut, TimelineEventOut
from omnicanal.network.lookups import LocationRef
from omnicanal.platform.actors import ChannelKind
from omnicanal.pricing import overrides
from omnicanal.pricing.schemas import ChannelPrice, PricedCart, PricedLine
from omnicanal.returns.rules import SIZE_STEPS
from omnicanal.returns.states import ReturnStatus
from omnicanal.web.variant_stock import VariantStock, with_stock

__all__ = [
    "CartPrices",
    "ExchangeSuggestion",
    "LinePrice",
    "PriceReason",
    "aftersales_context",
    "cart_prices",
    "exchange_suggestion",
    "return_events",
]

STORE_CHANNEL = ChannelKind.store.value


def return_events(profile: ProfileOut) -> list[TimelineEventOut]:
    """The ``return.*`` entries of the profile's timeline as loaded, newest first."""
    return [e for e in profile.timeline.items if e.name.startswith(RETURN_EVENT_PREFIX)]


# --- an exchange to suggest ------------------------------------------------------------------


@dataclass(frozen=True)
class ExchangeSuggestion:
    """After a return for size: the same product and colour one size up (too small) or
    down (too large), with where its units are now."""

    returned: catalog.VariantRef
    reason: str
    offer: VariantStock

    @property
    def here(self) -> int:
        return (self.offer.stock.here or 0) if self.offer.stock else 0

    @property
    def nearby(self) -> bool:
        return bool(self.offer.stock and self.offer.stock.nearest)

    @property
    def available(self) -> bool:
        """In stock here, or in a store nearby."""
        return self.here > 0 or self.nearby


def exchange_suggestion(
    session: Session, last_return: ProfileReturnOut | None, here: LocationRef | None
) -> ExchangeSuggestion | None:
    """The size to offer after the customer's last return, when it came back for size and
    was not exchanged already; None otherwise (or when the range has no such size)."""
    if last_return is None or last_return.status == ReturnStatus.exchanged.value:
        return None
    for item in last_return.items:
        step = SIZE_STEPS.get(item.reason)
        if step is None:
            continue
        try:
            returned = catalog.get_variant(session, item.sku)
        except UnknownSku:
            continue
        siblings = catalog.variants_of_products(session, [returned.product_id])
        same_colour = [
            v for v in siblings.get(returned.product_id, []) if v.colour == returned.colour
        ]
        size = neighbour_size([v.size for v in same_colour], returned.size, step=step)
        offer = next((v for v in same_colour if v.size == size), None)
        if offer is None:
            continue
        [stocked] = with_stock(session, [offer], here)
        return ExchangeSuggestion(returned=returned, reason=item.reason, offer=stocked)
    return None


# --- the open cart's prices ------------------------------------------------------------------


@dataclass(frozen=True)
class PriceReason:
    """Why one channel charges what it does for a line: its list price, a channel price
    (the override's reason, as the consistency audit gives it) or a promotion."""

    channel: str
    kind: str
    """list, override or promotion."""
    reason: str | None = None
    promotion: str | None = None


@dataclass(frozen=True)
class LinePrice:
    """A cart line priced in the store and on the cart's own channel."""

    sku: str
    store: PricedLine
    online: PricedLine | None
    why: list[PriceReason] = field(default_factory=list)

    @property
    def differs(self) -> bool:
        return self.online is not None and (
            self.online.unit_price_minor != self.store.unit_price_minor
            or self.online.total_minor != self.store.total_minor
        )


@dataclass(frozen=True)
class CartPrices:
    """The cart's lines priced for the store and for its own channel (web, app...)."""

    channel: str
    currency: str
    lines: dict[str, LinePrice]
    online_total_minor: int | None

    @property
    def differs(self) -> bool:
        return any(line.differs for line in self.lines.values())


def _channel_reasons(channel: ChannelPrice | None, code: str) -> list[PriceReason]:
    if channel is None or channel.source != "override":
        return [PriceReason(channel=code, kind="list")]
    return [PriceReason(channel=code, kind="override", reason=channel.reason)]


def _promotions(priced: PricedCart, sku: str) -> set[str]:
    return {a.promotion for a in priced.adjustments if sku in a.skus and a.amount_minor}


def cart_prices(session: Session, cart: CartOut | None) -> CartPrices | None:
    """Each line of the open cart (priced for the store) priced again on the cart's own
    channel, with why the two differ: the channel prices of the consistency audit, and the
    promotions that apply on one channel only. None without a priced cart."""
    if cart is None or not cart.lines or cart.priced is None:
        return None
    store = cart.priced
    online: PricedCart | None = None
    if cart.channel != STORE_CHANNEL:
        online = carts.get_cart(session, cart_id=cart.id).priced
    online_lines = {line.sku: line for line in online.lines} if online else {}
    unit_differs = [
        line.sku
        for line in store.lines
        if line.sku in online_lines
        and online_lines[line.sku].unit_price_minor != line.unit_price_minor
    ]
    audited: dict[str, dict[str, ChannelPrice]] = {}
    if unit_differs:
        audit = overrides.consistency(session, currency=cart.currency)
        audited = {
            item.sku: {price.channel: price for price in item.prices}
            for item in audit.items
            if item.sku in unit_differs
        }
    lines: dict[str, LinePrice] = {}
    for line in store.lines:
        on_channel = online_lines.get(line.sku)
        why: list[PriceReason] = []
        if online is not None and on_channel is not None:
            if line.sku in unit_differs:
                prices = audited.get(line.sku, {})
                why += _channel_reasons(prices.get(online.channel), online.channel)
                why += _channel_reasons(prices.get(STORE_CHANNEL), STORE_CHANNEL)
            only_online = _promotions(online, line.sku) - _promotions(store, line.sku)
            only_here = _promotions(store, line.sku) - _promotions(online, line.sku)
            why += [
                PriceReason(channel=online.channel, kind="promotion", promotion=code)
                for code in sorted(only_online)
            ]
            why += [
                PriceReason(channel=STORE_CHANNEL, kind="promotion", promotion=code)
                for code in sorted(only_here)
            ]
        lines[line.sku] = LinePrice(sku=line.sku, store=line, online=on_channel, why=why)
    return CartPrices(
        channel=cart.channel,
        currency=store.currency,
        lines=lines,
        online_total_minor=online.total_minor if online else None,
    )


def aftersales_context(
    session: Session, *, profile: ProfileOut, cart: CartOut | None, here: LocationRef | None
) -> dict[str, object]:
    """What the customer page shows of the customer's returns, the exchange to suggest and
    the cart's prices."""
    events = return_events(profile)
    last = profile.last_return
    skus = {sku for event in events for sku in _event_skus(event)}
    skus |= {item.sku for item in last.items} if last else set()
    return {
        "return_events": events,
        "exchange": exchange_suggestion(session, last, here),
        "cart_prices": cart_prices(session, cart),
        "returned_names": _names(session, skus),
    }


def _event_skus(event: TimelineEventOut) -> list[str]:
    """The SKUs a return event names: the lines that came back, the items taken instead."""
    lines = event.properties.get("lines")
    found = (
        [line.get("sku") for line in lines if isinstance(line, dict)]
        if isinstance(lines, list)
        else []
    )
    new_skus = event.properties.get("new_skus")
    found += new_skus if isinstance(new_skus, list) else []
    return [sku for sku in found if isinstance(sku, str)]


def _names(session: Session, skus: set[str]) -> dict[str, str]:
    """Each SKU's product name; a SKU the catalog no longer knows keeps its code."""
    try:
        return catalog.product_names(session, skus)
    except UnknownSku as error:
        unknown = set(error.extra.get("unknown", []))
        return catalog.product_names(session, skus - unknown) if skus - unknown else {}
