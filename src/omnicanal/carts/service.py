"""Use cases of the carts module: create, change, price live, merge, hand over to checkout.

Merging (a visitor identifies as a known customer), the rules:
    1. Every open cart of the anonymous id that belongs to no customer is a source.
    2. The target is the customer's most recently updated open cart. If the customer has
       none, the most recent source is simply assigned to them (``cart.assigned``) and
       becomes the target.
    3. Each other source joins the target: quantities are summed per SKU, coupons are kept
       from both (target's first); the source becomes ``merged`` and points to the target
       (``cart.merged``). Its lines stay as they were, for history.
    4. Carts in different currencies are not merged (``cart_currency_mismatch``).
    5. With no anonymous cart, the customer's open cart is returned unchanged (merging twice
       is harmless); with neither, ``no_open_cart``.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import ColumnElement, func, select, update
from sqlalchemy.orm import Session
from sqlalchemy.orm.util import identity_key

from omnicanal.carts import access
from omnicanal.carts.errors import (
    CartCurrencyMismatch,
    CartLineNotFound,
    CartNotOpen,
    CouponNotInCart,
    MissingCartOwner,
    NoOpenCart,
    UnknownCart,
)
from omnicanal.carts.events import (
    CartAssigned,
    CartCheckedOut,
    CartCouponAdded,
    CartCouponRemoved,
    CartCreated,
    CartItem,
    CartLineAdded,
    CartLineChanged,
    CartLineRemoved,
    CartMerged,
)
from omnicanal.carts.models import Cart, CartLine
from omnicanal.carts.schemas import CartIn, CartLineIn, CartLineOut, CartOut, MergeIn, QuantityIn
from omnicanal.catalog import service as catalog
from omnicanal.platform.access import Owner, is_privileged
from omnicanal.platform.actors import Actor
from omnicanal.platform.clock import utcnow
from omnicanal.platform.db import NO_SYNC
from omnicanal.platform.events import record_event
from omnicanal.platform.paging import DEFAULT_LIMIT, Page, page_of
from omnicanal.pricing import service as pricing
from omnicanal.pricing.errors import InvalidQuantity
from omnicanal.pricing.schemas import MAX_QUANTITY, PricedCart

OPEN = "open"


def _lines(session: Session, cart_id: str) -> list[CartLine]:
    return list(
        session.scalars(
            select(CartLine).where(CartLine.cart_id == cart_id).order_by(CartLine.position)
        )
    )


def cart_out(
    session: Session,
    cart: Cart,
    *,
    channel: str | None = None,
    at: datetime | None = None,
    with_prices: bool = True,
    lines: Sequence[CartLine] | None = None,
) -> CartOut:
    """The cart with its lines (read unless given) priced live for ``channel`` (default: the
    cart's own)."""
    if lines is None:
        lines = _lines(session, cart.id)
    priced = None
    if with_prices and lines and cart.status == OPEN:
        priced = pricing.price_cart(
            session,
            currency=cart.currency,
            channel=channel or cart.channel,
            lines=[(line.sku, line.quantity) for line in lines],
            customer_ref=cart.customer_ref,
            customer_attributes=cart.customer_attributes,
            coupon_codes=cart.coupon_codes,
            at=at,
            drop_invalid_coupons=True,
        )
    return _shaped(cart, lines, priced)


def _shaped(cart: Cart, lines: Sequence[CartLine], priced: PricedCart | None) -> CartOut:
    return CartOut(
        id=cart.id,
        status=cart.status,
        channel=cart.channel,
        anonymous_id=cart.anonymous_id,
        customer_ref=cart.customer_ref,
        currency=cart.currency,
        customer_attributes=dict(cart.customer_attributes),
        coupons=list(cart.coupon_codes),
        lines=[
            CartLineOut(
                sku=line.sku,
                quantity=line.quantity,
                added_at=line.added_at,
                updated_at=line.updated_at,
            )
            for line in lines
        ],
        merged_into=cart.merged_into_id,
        order_id=cart.order_id,
        created_at=cart.created_at,
        updated_at=cart.updated_at,
        priced=priced,
    )


def _facts(cart: Cart) -> access.CartFacts:
    return access.CartFacts(
        id=cart.id,
        owner=Owner(channel=cart.channel, location_code=cart.location_code, key=cart.created_by),
        customer_ref=cart.customer_ref,
    )


def _load(
    session: Session, cart_id: str, *, lock: bool = False, actor: Actor | None = None
) -> Cart:
    """The cart; with ``actor``, one it may use (carts/access.py)."""
    cart = session.get(Cart, cart_id, with_for_update=lock, populate_existing=lock)
    if cart is None:
        raise UnknownCart(f"No cart has the id {cart_id!r}.", field="cart_id")
    if actor is not None:
        access.check_cart(actor, _facts(cart))
    return cart


def _open_for_change(session: Session, cart_id: str, actor: Actor) -> Cart:
    """The cart, locked against concurrent changes (PostgreSQL), refused unless open and
    the caller's to change."""
    cart = _load(session, cart_id, lock=True, actor=actor)
    if cart.status != OPEN:
        raise CartNotOpen(
            f"Cart {cart_id} is {cart.status}"
            + (f" into {cart.merged_into_id}" if cart.merged_into_id else "")
            + " and can no longer change.",
            field="cart_id",
            cart_status=cart.status,
        )
    return cart


def _checked_quantity(sku: str, quantity: int) -> int:
    if quantity > MAX_QUANTITY:
        raise InvalidQuantity(
            f"A cart line holds at most {MAX_QUANTITY} units of {sku}.", field="quantity", sku=sku
        )
    return quantity


def _add(session: Session, cart: Cart, sku: str, quantity: int, now: datetime) -> CartLine:
    line = session.scalar(select(CartLine).where(CartLine.cart_id == cart.id, CartLine.sku == sku))
    if line is None:
        last = session.scalar(
            select(func.max(CartLine.position)).where(CartLine.cart_id == cart.id)
        )
        line = CartLine(
            cart_id=cart.id,
            sku=sku,
            position=(last or 0) + 1,
            quantity=_checked_quantity(sku, quantity),
            added_at=now,
            updated_at=now,
        )
        session.add(line)
    else:
        line.quantity = _checked_quantity(sku, line.quantity + quantity)
        line.updated_at = now
    session.flush()
    return line


def create_cart(session: Session, *, data: CartIn, actor: Actor, currency: str) -> CartOut:
    """Open a cart for the caller's channel, with its first lines and coupons if given."""
    access.check_open_cart(actor)
    now = utcnow()
    variants = catalog.resolve_skus(session, [line.sku for line in data.lines])
    coupons: list[str] = []
    for given in data.coupons:
        code = pricing.check_coupon(session, code=given, customer_ref=data.customer_ref, at=now)
        if code not in coupons:
            coupons.append(code)
    cart = Cart(
        status=OPEN,
        channel=actor.channel,
        anonymous_id=data.anonymous_id,
        customer_ref=data.customer_ref,
        currency=pricing.checked_currency(data.currency or currency),
        customer_attributes=dict(data.customer_attributes),
        coupon_codes=coupons,
        created_by=actor.label,
        location_code=actor.location_code,
        created_at=now,
        updated_at=now,
    )
    session.add(cart)
    session.flush()
    for line in data.lines:
        _add(session, cart, variants[line.sku].sku, line.quantity, now)
    out = cart_out(session, cart, channel=actor.channel)
    record_event(
        session,
        CartCreated(
            cart_id=cart.id,
            channel=cart.channel,
            anonymous_id=cart.anonymous_id,
            customer_ref=cart.customer_ref,
            currency=cart.currency,
            lines=[CartItem(sku=line.sku, quantity=line.quantity) for line in out.lines],
            coupons=coupons,
        ),
        actor=actor,
    )
    return out


def get_cart(
    session: Session,
    *,
    cart_id: str,
    channel: str | None = None,
    at: datetime | None = None,
    with_prices: bool = True,
    actor: Actor | None = None,
) -> CartOut:
    """A cart priced live for ``channel`` (default: the channel that created it).

    ``with_prices=False`` skips the pricing (``priced`` is None): for a caller, like the
    checkout, that re-prices the lines itself. With ``actor``: a cart it may use only.
    """
    cart, lines = _with_lines(session, cart_id, actor=actor)
    return cart_out(session, cart, channel=channel, at=at, with_prices=with_prices, lines=lines)


def _carts_with_lines(
    session: Session, which: ColumnElement[bool]
) -> dict[str, tuple[Cart, list[CartLine]]]:
    """The carts ``which`` selects, each with its lines in order, in one query."""
    found: dict[str, tuple[Cart, list[CartLine]]] = {}
    for cart, line in session.execute(
        select(Cart, CartLine)
        .outerjoin(CartLine, CartLine.cart_id == Cart.id)
        .where(which)
        .order_by(Cart.id, CartLine.position)
    ):
        lines = found.setdefault(cart.id, (cart, []))[1]
        if line is not None:
            lines.append(line)
    return found


def _with_lines(
    session: Session, cart_id: str, *, actor: Actor | None
) -> tuple[Cart, list[CartLine]]:
    """The cart and its lines, read in one query; with ``actor``, one it may use."""
    found = _carts_with_lines(session, Cart.id == cart_id).get(cart_id)
    if found is None:
        raise UnknownCart(f"No cart has the id {cart_id!r}.", field="cart_id")
    if actor is not None:
        access.check_cart(actor, _facts(found[0]))
    return found


def unpriced_carts(session: Session, cart_ids: Sequence[str]) -> dict[str, CartOut]:
    """The carts of ``cart_ids`` that exist, with their lines and unpriced (``priced`` is
    None), in one query: for a consumer that hears many carts' events at once."""
    wanted = sorted(set(cart_ids))
    if not wanted:
        return {}
    return {
        cart_id: _shaped(cart, lines, None)
        for cart_id, (cart, lines) in _carts_with_lines(session, Cart.id.in_(wanted)).items()
    }


def cart_to_check_out(session: Session, *, cart_id: str, actor: Actor) -> CartOut:
    """The cart with its lines, unpriced (the checkout prices them itself), read in one
    query; only a cart ``actor`` may use."""
    return _shaped(*_with_lines(session, cart_id, actor=actor), None)


def list_carts(
    session: Session,
    *,
    status: str | None = None,
    customer_ref: str | None = None,
    channel: str | None = None,
    limit: int = DEFAULT_LIMIT,
    starting_after: str | None = None,
    updated_since: datetime | None = None,
    actor: Actor | None = None,
) -> Page[CartOut]:
    """A page of carts, filtered: newest first, or with ``updated_since`` those changed
    since then, oldest change first (platform/paging.py). Unpriced (``priced`` is None): a
    cart is priced for the asking channel when read alone.

    With ``actor``: the carts its channel opened (a store key: at its store); a marketplace
    has none (``cart_forbidden``). Unlike one cart's read, a customer's cart opened by
    another channel stays out: a channel syncs its own carts.
    """
    query = select(Cart)
    if actor is not None:
        access.check_open_cart(actor)
        if not is_privileged(actor):
            query = query.where(Cart.channel == actor.channel)
            if actor.location_code is not None:
                query = query.where(Cart.location_code == actor.location_code)
    if status is not None:
        query = query.where(Cart.status == status)
    if customer_ref is not None:
        query = query.where(Cart.customer_ref == customer_ref)
    if channel is not None:
        query = query.where(Cart.channel == channel)
    paged = page_of(
        session,
        query,
        key=Cart.id,
        changed=Cart.updated_at,
        limit=limit,
        starting_after=starting_after,
        updated_since=updated_since,
    )
    lines: dict[str, list[CartLine]] = {cart.id: [] for cart in paged.rows}
    if lines:
        for line in session.scalars(
            select(CartLine)
            .where(CartLine.cart_id.in_(list(lines)))
            .order_by(CartLine.cart_id, CartLine.position)
        ):
            lines[line.cart_id].append(line)
    return paged.page([_shaped(cart, lines[cart.id], None) for cart in paged.rows])


def find_open_cart(
    session: Session,
    *,
    customer_ref: str | None = None,
    anonymous_id: str | None = None,
    channel: str | None = None,
    actor: Actor | None = None,
) -> CartOut:
    """The most recently updated open cart of a customer (or else of an anonymous id);
    with ``actor``, among the carts it may use."""
    if actor is not None:
        access.check_open_cart(actor)
    if customer_ref is None and anonymous_id is None:
        raise MissingCartOwner("Give customer_ref or anonymous_id.", field="customer_ref")
    owner = (
        Cart.customer_ref == customer_ref
        if customer_ref is not None
        else Cart.anonymous_id == anonymous_id
    )
    found = session.scalars(
        select(Cart)
        .where(owner, Cart.status == OPEN)
        .order_by(Cart.updated_at.desc(), Cart.id.desc())
        .limit(50)
    )
    cart = next((c for c in found if actor is None or access.may_use(actor, _facts(c))), None)
    if cart is None:
        who = f"customer {customer_ref}" if customer_ref is not None else f"visitor {anonymous_id}"
        raise NoOpenCart(f"No open cart for {who}.", field="customer_ref")
    return cart_out(session, cart, channel=channel)


def open_carts_of_visitors(session: Session, anonymous_ids: Sequence[str]) -> dict[str, str]:
    """The id of each visitor's most recently updated open cart (as :func:`find_open_cart`
    finds it without an actor), for the visitors of ``anonymous_ids`` that have one; in one
    query."""
    wanted = sorted(set(anonymous_ids))
    if not wanted:
        return {}
    found: dict[str, str] = {}
    for anonymous_id, cart_id in session.execute(
        select(Cart.anonymous_id, Cart.id)
        .where(Cart.anonymous_id.in_(wanted), Cart.status == OPEN)
        .order_by(Cart.anonymous_id, Cart.updated_at.desc(), Cart.id.desc())
    ):
        found.setdefault(str(anonymous_id), cart_id)
    return found


def find_open_cart_among(
    session: Session,
    *,
    customer_refs: Sequence[str],
    channel: str | None = None,
    actor: Actor | None = None,
) -> CartOut:
    """The open cart filed under the first of ``customer_refs`` that has one (strongest first).

    A person's web or app cart may be filed under any of their identifiers (their login,
    their email...); the caller lists them, the strongest first, and the first that owns an
    open cart wins; among that reference's carts, the most recently updated.
    """
    if actor is not None:
        access.check_open_cart(actor)
    references = [ref for ref in dict.fromkeys(customer_refs) if ref]
    if not references:
        raise MissingCartOwner("Give at least one customer reference.", field="customer_ref")
    carts = session.scalars(
        select(Cart)
        .where(Cart.customer_ref.in_(references), Cart.status == OPEN)
        .order_by(Cart.updated_at.desc(), Cart.id.desc())
    ).all()
    if not carts:
        raise NoOpenCart("No open cart for this customer.", field="customer_ref")
    rank = {ref: position for position, ref in enumerate(references)}
    chosen = min(carts, key=lambda cart: rank[cart.customer_ref or ""])
    return cart_out(session, chosen, channel=channel)


def add_line(session: Session, *, cart_id: str, line: CartLineIn, actor: Actor) -> CartOut:
    """Add units of a SKU (to its line if the cart has one)."""
    cart = _open_for_change(session, cart_id, actor)
    variant = catalog.get_variant(session, line.sku)
    now = utcnow()
    added = _add(session, cart, variant.sku, line.quantity, now)
    cart.updated_at = now
    out = cart_out(session, cart, channel=actor.channel)
    record_event(
        session,
        CartLineAdded(cart_id=cart.id, sku=added.sku, added=line.quantity, quantity=added.quantity),
        actor=actor,
    )
    return out


def _line(session: Session, cart: Cart, sku: str) -> CartLine:
    line = session.scalar(select(CartLine).where(CartLine.cart_id == cart.id, CartLine.sku == sku))
    if line is None:
        raise CartLineNotFound(f"Cart {cart.id} has no line for {sku}.", field="sku", sku=sku)
    return line


def change_line(
    session: Session, *, cart_id: str, sku: str, change: QuantityIn, actor: Actor
) -> CartOut:
    """Set a line's quantity."""
    cart = _open_for_change(session, cart_id, actor)
    line = _line(session, cart, sku)
    before = line.quantity
    if change.quantity != before:
        now = utcnow()
        line.quantity = change.quantity
        line.updated_at = now
        cart.updated_at = now
        session.flush()
        record_event(
            session,
            CartLineChanged(cart_id=cart.id, sku=sku, before=before, quantity=line.quantity),
            actor=actor,
        )
    return cart_out(session, cart, channel=actor.channel)


def remove_line(session: Session, *, cart_id: str, sku: str, actor: Actor) -> CartOut:
    """Take a SKU out of the cart."""
    cart = _open_for_change(session, cart_id, actor)
    line = _line(session, cart, sku)
    session.delete(line)
    cart.updated_at = utcnow()
    session.flush()
    record_event(
        session, CartLineRemoved(cart_id=cart.id, sku=sku, quantity=line.quantity), actor=actor
    )
    return cart_out(session, cart, channel=actor.channel)


def add_coupon(session: Session, *, cart_id: str, code: str, actor: Actor) -> CartOut:
    """Add a coupon code; refused when unknown, expired, exhausted or used by the customer."""
    cart = _open_for_change(session, cart_id, actor)
    code = pricing.check_coupon(session, code=code, customer_ref=cart.customer_ref)
    if code not in cart.coupon_codes:
        cart.coupon_codes = [*cart.coupon_codes, code]
        cart.updated_at = utcnow()
        session.flush()
        record_event(session, CartCouponAdded(cart_id=cart.id, coupon=code), actor=actor)
    return cart_out(session, cart, channel=actor.channel)


def remove_coupon(session: Session, *, cart_id: str, code: str, actor: Actor) -> CartOut:
    """Take a coupon code off the cart."""
    cart = _open_for_change(session, cart_id, actor)
    code = pricing.normalise_coupon(code)
    if code not in cart.coupon_codes:
        raise CouponNotInCart(f"Cart {cart_id} holds no coupon {code}.", field="code")
    cart.coupon_codes = [c for c in cart.coupon_codes if c != code]
    cart.updated_at = utcnow()
    session.flush()
    record_event(session, CartCouponRemoved(cart_id=cart.id, coupon=code), actor=actor)
    return cart_out(session, cart, channel=actor.channel)


def merge_carts(session: Session, *, data: MergeIn, actor: Actor) -> CartOut:
    """Join a visitor's anonymous cart(s) to the customer's open cart (rules: module docstring).

    Only the anonymous carts the caller may use are sources: another channel's stay apart.
    """
    access.check_open_cart(actor)
    sources = [
        cart
        for cart in session.scalars(
            select(Cart)
            .where(
                Cart.anonymous_id == data.anonymous_id,
                Cart.customer_ref.is_(None),
                Cart.status == OPEN,
            )
            .order_by(Cart.updated_at, Cart.id)
            .with_for_update()
        )
        if access.may_use(actor, _facts(cart))
    ]
    target = session.scalar(
        select(Cart)
        .where(Cart.customer_ref == data.customer_ref, Cart.status == OPEN)
        .order_by(Cart.updated_at.desc(), Cart.id.desc())
        .limit(1)
        .with_for_update()
    )
    if not sources and target is None:
        raise NoOpenCart(
            f"Neither visitor {data.anonymous_id} nor customer {data.customer_ref} "
            "has an open cart.",
            field="anonymous_id",
        )
    now = utcnow()
    if target is None:
        target = sources.pop()
        target.customer_ref = data.customer_ref
        target.updated_at = now
        record_event(
            session,
            CartAssigned(
                cart_id=target.id,
                anonymous_id=data.anonymous_id,
                customer_ref=data.customer_ref,
            ),
            actor=actor,
        )
    for source in sources:
        if source.currency != target.currency:
            raise CartCurrencyMismatch(
                f"Cart {source.id} is in {source.currency}, cart {target.id} in {target.currency}.",
                field="anonymous_id",
            )
        moved = [(line.sku, line.quantity) for line in _lines(session, source.id)]
        for sku, quantity in moved:
            _add(session, target, sku, quantity, now)
        target.coupon_codes = list(dict.fromkeys([*target.coupon_codes, *source.coupon_codes]))
        source.status = "merged"
        source.merged_into_id = target.id
        source.updated_at = now
        target.updated_at = now
        record_event(
            session,
            CartMerged(
                cart_id=source.id,
                into=target.id,
                customer_ref=data.customer_ref,
                anonymous_id=data.anonymous_id,
                lines=[CartItem(sku=sku, quantity=quantity) for sku, quantity in moved],
                coupons=list(source.coupon_codes),
            ),
            actor=actor,
        )
    if data.customer_attributes is not None:
        target.customer_attributes = dict(data.customer_attributes)
        target.updated_at = now
    session.flush()
    return cart_out(session, target, channel=actor.channel)


def mark_checked_out(session: Session, *, cart_id: str, order_id: str, actor: Actor) -> None:
    """Close an open cart as turned into ``order_id``; refused (``cart_not_open``) otherwise."""
    closed = session.execute(
        update(Cart)
        .where(Cart.id == cart_id, Cart.status == OPEN)
        .values(status="checked_out", order_id=order_id, updated_at=utcnow())
        .returning(Cart.id),
        execution_options=NO_SYNC,
    ).scalar_one_or_none()
    loaded = session.identity_map.get(identity_key(Cart, cart_id))
    if loaded is not None:
        session.expire(loaded)
    if closed is None:
        cart = _load(session, cart_id)
        raise CartNotOpen(
            f"Cart {cart_id} is {cart.status}, not open: it cannot be checked out.",
            field="cart_id",
            cart_status=cart.status,
        )
    record_event(session, CartCheckedOut(cart_id=cart_id, order_id=order_id), actor=actor)
