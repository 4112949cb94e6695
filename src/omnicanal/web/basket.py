"""The counter basket (``/store/baskets``): a clerk sells anything, to a known customer or a
walk-in, without a cart started online.

A basket is a cart of the carts module opened by the clerk's store (channel ``store``, the
store's code): the same pricing, promotions, coupons and stock rules as every channel. A
walk-in's basket is an anonymous cart, so only its store's staff may use it; a known
customer's follows the customer, as their web cart does. It is sold with the orders checkout
that the customer page uses (``counter.checkout_from_form``), idempotent with a key made
when the page is rendered; the receipt follows (``receipt``).
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass, field
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse, Response
from pydantic import ValidationError
from sqlalchemy.orm import Session

from omnicanal.carts import service as carts
from omnicanal.carts.errors import CartForbidden, UnknownCart
from omnicanal.carts.schemas import CartIn, CartLineIn, CartOut, QuantityIn
from omnicanal.catalog import service as catalog
from omnicanal.catalog.errors import UnknownSku
from omnicanal.customers import service as customers
from omnicanal.customers.errors import (
    IdentifierShared,
    InvalidIdentifierValue,
    UnknownIdentifier,
    UnknownProfile,
)
from omnicanal.customers.identifiers import IdentifierKind, InvalidIdentifier, normalise_email
from omnicanal.fulfilment.states import Method
from omnicanal.loyalty import service as loyalty
from omnicanal.network import service as network
from omnicanal.network.lookups import LocationRef
from omnicanal.orders import service as orders
from omnicanal.orders.policy import OrderPolicy
from omnicanal.orders.schemas import TenderIn
from omnicanal.platform import audit
from omnicanal.platform.actors import Actor
from omnicanal.platform.errors import DomainError, InvalidInput
from omnicanal.platform.http.deps import PlatformDep
from omnicanal.platform.http.problems import status_of
from omnicanal.platform.idempotency import run_write
from omnicanal.platform.ids import new_id
from omnicanal.pricing.errors import InvalidQuantity
from omnicanal.pricing.schemas import Adjustment, PricedLine
from omnicanal.staff import service as staff
from omnicanal.staff.errors import NoStore
from omnicanal.web import counter, receipt
from omnicanal.web import loyalty as loyalty_panel
from omnicanal.web.edge import Form, Member, WebDep
from omnicanal.web.labels import PICKUP_EXCLUSION_LABELS
from omnicanal.web.variant_stock import VariantStock, with_stock

__all__ = [
    "BASKET_METHODS",
    "ProductResult",
    "basket_context",
    "customer_of",
    "find_for_counter",
    "router",
]

router = APIRouter()  # included by the store router, under /store

BASKET_METHODS = (Method.carry_out, Method.pickup, Method.reserve_and_try, Method.endless_aisle)
WALK_IN = "walk-in:"
"""The anonymous id of a walk-in's basket starts so (the rest is random)."""
MAX_RESULTS = 8
CUSTOMER_REFERENCE_KINDS = (
    IdentifierKind.user_id,
    IdentifierKind.external_id,
    IdentifierKind.loyalty_card,
    IdentifierKind.email,
)
# What the basket page says for each refusal; anything else reads "refused, nothing changed".
EXPLAINED = counter.EXPLAINED | {
    "unknown_product",
    "invalid_quantity",
    "unknown_coupon",
    "coupon_expired",
    "coupon_not_yet_valid",
    "coupon_already_used",
    "coupon_exhausted",
    "coupon_not_in_cart",
    "cart_line_not_found",
    "empty_basket",
    "invalid_email",
    "missing_price",
    "order_too_large",
    # Paying with points (web.loyalty).
    "invalid_points",
    "not_a_member",
    "insufficient_points",
    "tenders_exceed_total",
    "payment_required",
    "programme_inactive",
    "member_erased",
}


PROMOTION_KINDS = {
    "percent_off": "Percentage off",
    "amount_off": "Amount off",
    "buy_x_get_y": "Multi-buy offer",
    "bundle_price": "Bundle price",
    "free_shipping": "Free delivery",
}
"""The words for a promotion's kind (message ids), so the page explains a discount in the
reader's language rather than in the pricing engine's English explanation."""


class InvalidReceiptEmail(InvalidInput):
    code = "invalid_email"


class EmptyBasket(InvalidInput):
    code = "empty_basket"


# --- reading ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class ProductResult:
    """A product found at the counter, with each of its variants and their stock."""

    code: str
    name: str
    variants: list[VariantStock]
    score: float | None = None


@dataclass(frozen=True)
class BasketLine:
    """One line of the basket: its price and promotions, its stock, its other sizes and
    colours."""

    sku: str
    name: str
    label: str
    quantity: int
    price: PricedLine | None
    promotions: list[Adjustment]
    stock: orders.LineStock | None
    alternatives: list[VariantStock] = field(default_factory=list)


@dataclass(frozen=True)
class Customer:
    """The known customer a basket is for."""

    profile_id: str
    name: str
    email: str
    address: dict[str, str]


def _here(session: Session, actor: Actor) -> LocationRef:
    assert actor.location_code is not None  # staff.acting_as gives a store's actor only
    return network.get_location(session, actor.location_code)


def find_for_counter(
    session: Session, query: str, *, here: LocationRef | None
) -> tuple[str | None, list[ProductResult]]:
    """What a clerk typed or scanned: a SKU or GTIN (its product, the scanned variant first),
    else a product name (the closest few); with every variant's stock. Returns the SKU
    scanned (None for a name) and the products."""
    code = query.strip()
    if not code:
        return None, []
    try:
        scanned = catalog.find_variant(session, code)
    except UnknownSku:
        scanned = None
    if scanned is not None:
        siblings = catalog.variants_of_products(session, [scanned.product_id])
        ordered = [scanned, *(v for v in siblings[scanned.product_id] if v.sku != scanned.sku)]
        result = ProductResult(
            code=scanned.product_code,
            name=scanned.name,
            variants=with_stock(session, ordered, here),
        )
        return scanned.sku, [result]
    matches = catalog.find_products_by_name(session, query=code, limit=MAX_RESULTS)
    by_product = catalog.variants_of_products(session, [match.product_id for match in matches])
    every = [variant for match in matches for variant in by_product[match.product_id]]
    stocked = {item.variant.sku: item for item in with_stock(session, every, here)}
    return None, [
        ProductResult(
            code=match.code,
            name=match.name,
            variants=[stocked[v.sku] for v in by_product[match.product_id]],
            score=match.score,
        )
        for match in matches
    ]


def customer_of(session: Session, customer_ref: str | None) -> Customer | None:
    """The profile a basket's customer reference designates (the reference is one of
    :func:`customers.customer_references`: an identifier, or the profile's id)."""
    if customer_ref is None:
        return None
    profile_id = None
    for kind in CUSTOMER_REFERENCE_KINDS:
        try:
            profile_id = customers.find_profile_id(
                session, kind=kind, value=customer_ref, region="FR"
            )
            break
        except (UnknownIdentifier, InvalidIdentifierValue, IdentifierShared):
            continue
    try:
        profile = customers.get_profile(
            session, profile_id=profile_id or customer_ref, timeline_limit=1
        )
    except UnknownProfile:
        return None
    traits = {trait.name: trait.value for trait in profile.traits}
    email = next((i.value for i in profile.identifiers if i.kind == "email"), "")
    name = customers.display_name(profile)
    return Customer(
        profile_id=profile.id,
        name=name,
        email=email,
        address=counter.address_of(traits, name),
    )


def _lines(
    session: Session, cart: CartOut, here: LocationRef
) -> tuple[list[BasketLine], orders.CartStock]:
    wanted = [(line.sku, line.quantity) for line in cart.lines]
    stock = orders.cart_stock(session, lines=wanted, here=here)
    variants = catalog.resolve_skus(session, [sku for sku, _ in wanted]) if wanted else {}
    siblings = catalog.variants_of_products(session, {v.product_id for v in variants.values()})
    in_basket = {sku for sku, _ in wanted}
    others = [v for group in siblings.values() for v in group if v.sku not in in_basket]
    alternatives = {item.variant.sku: item for item in with_stock(session, others, here)}
    prices = {line.sku: line for line in cart.priced.lines} if cart.priced else {}
    adjustments = cart.priced.adjustments if cart.priced else []
    lines = []
    for sku, quantity in wanted:
        variant = variants[sku]
        lines.append(
            BasketLine(
                sku=sku,
                name=variant.name,
                label=" ".join(part for part in (variant.size, variant.colour) if part),
                quantity=quantity,
                price=prices.get(sku),
                promotions=[a for a in adjustments if sku in a.skus],
                stock=stock.lines.get(sku),
                alternatives=[
                    alternatives[v.sku]
                    for v in siblings.get(variant.product_id, [])
                    if v.sku in alternatives
                ],
            )
        )
    return lines, stock


def basket_context(
    session: Session, *, cart_id: str, actor: Actor, query: str = ""
) -> dict[str, Any]:
    """Everything the basket page shows; :class:`UnknownCart` or :class:`CartForbidden`
    when the clerk may not see it."""
    cart = carts.get_cart(session, cart_id=cart_id, actor=actor)
    here = _here(session, actor)
    lines, stock = _lines(session, cart, here)
    wanted = [(line.sku, line.quantity) for line in lines]
    pickup = (
        orders.pickup_choices(
            session,
            lines=wanted,
            channel=counter.STORE_CHANNEL,
            near=(here.latitude, here.longitude),
        )
        if wanted and cart.status == "open"
        else orders.PickupChoices(options=[], excluded=[])
    )
    scanned, results = find_for_counter(session, query, here=here) if query else (None, [])
    customer = customer_of(session, cart.customer_ref)
    points = (
        loyalty_panel.basket_points(
            session,
            profile_id=customer.profile_id if customer else None,
            actor=actor,
            total_minor=cart.priced.total_minor if cart.priced else 0,
        )
        if cart.status == "open" and cart.lines
        else None
    )
    return {
        "cart": cart,
        "lines": lines,
        "stock": stock,
        "here": here,
        "customer": customer,
        "pickup_options": pickup.options,
        "pickup_excluded": pickup.excluded,
        "exclusion_labels": PICKUP_EXCLUSION_LABELS,
        "q": query.strip(),
        "scanned": scanned,
        "results": results,
        "sale_key": secrets.token_urlsafe(18),
        "address": customer.address
        if customer
        else {field: "" for field in counter.ADDRESS_FIELDS},
        "receipt_email": customer.email if customer else "",
        "promotion_kinds": PROMOTION_KINDS,
        "points": points,
        "points_typed": "",
    }


def _page(
    request: Request,
    edge: WebDep,
    platform: PlatformDep,
    member: staff.StaffMember,
    cart_id: str,
    *,
    query: str = "",
    problem: str | None = None,
    form: dict[str, str] | None = None,
    status_code: int = 200,
) -> Response:
    with platform.db.reading() as session:
        try:
            actor = staff.acting_as(session, member)
            context = basket_context(session, cart_id=cart_id, actor=actor, query=query)
        except NoStore:
            return _error(request, edge, "no_store", 403)
        except UnknownCart:
            return _error(request, edge, "unknown_basket", 404)
        except CartForbidden:
            return _error(request, edge, "basket_forbidden", 403)
    if problem is not None:
        context["problem"] = problem if problem in EXPLAINED else "basket_refused"
    if form is not None and form.get("method"):
        context["chosen_method"] = form.get("method", "")
        if form.get("method") == Method.endless_aisle.value:
            context["address"] = {name: form.get(name, "") for name in counter.ADDRESS_FIELDS}
        context["receipt_email"] = form.get("receipt_email", context["receipt_email"])
        context["points_typed"] = form.get("loyalty_points", "")[:12]
    return edge.renderer.render(request, "store/basket.html", context, status_code=status_code)


def _error(request: Request, edge: WebDep, problem: str, status_code: int) -> Response:
    return edge.renderer.render(
        request, "store/error.html", {"problem": problem}, status_code=status_code
    )


@router.get("/baskets/{cart_id}")
def basket_page(
    request: Request,
    edge: WebDep,
    platform: PlatformDep,
    member: Member,
    cart_id: str,
    q: str = "",
) -> Response:
    """The basket: each line priced with its promotions, its stock, its other sizes and
    colours; a search to add more; the ways to sell it."""
    return _page(request, edge, platform, member, cart_id, query=q)


# --- changing -------------------------------------------------------------------------------


def _quantity(form: dict[str, str]) -> int:
    """The quantity typed (1 when none), or ``invalid_quantity``; a huge number is refused
    before it becomes an int."""
    raw = form.get("quantity", "").strip() or "1"
    refused = InvalidQuantity("Type a quantity between 1 and the most a line holds.")
    if not raw.isascii() or not raw.isdecimal() or len(raw) > 6:
        raise refused
    try:
        return QuantityIn(quantity=int(raw)).quantity
    except ValidationError:
        raise refused from None


def _sku(session: Session, form: dict[str, str]) -> str:
    """The SKU of the form's ``sku`` or of the ``code`` typed or scanned (SKU or GTIN)."""
    code = (form.get("sku") or form.get("code") or "").strip()
    if not code or len(code) > 60:
        raise UnknownSku("Type or scan a SKU or a GTIN.", field="sku")
    return catalog.find_variant(session, code).sku


@router.post("/baskets")
def new_basket(
    request: Request, edge: WebDep, platform: PlatformDep, member: Member, form: Form
) -> Response:
    """Open a basket for the clerk's store: for the customer of ``profile_id``, or a walk-in;
    with its first item when ``sku`` (or a scanned ``code``) is given."""
    profile_id = form.get("profile_id", "").strip()
    try:
        quantity = _quantity(form)
        with platform.db.transaction() as session:
            actor = staff.acting_as(session, member)
            lines = []
            if form.get("sku") or form.get("code"):
                lines = [CartLineIn(sku=_sku(session, form), quantity=quantity)]
            reference = None
            if profile_id:
                references = customers.customer_references(session, profile_id=profile_id)
                reference = references[0]
            cart = carts.create_cart(
                session,
                data=CartIn(
                    customer_ref=reference,
                    anonymous_id=None if reference else f"{WALK_IN}{new_id()}",
                    lines=lines,
                ),
                actor=actor,
                currency=platform.settings.default_currency,
            )
            audit.record(session, actor=actor, operation=f"store_basket:{cart.id}:open")
    except UnknownProfile:
        return _error(request, edge, "unknown_customer", 404)
    except NoStore:
        return _error(request, edge, "no_store", 403)
    except DomainError as error:
        return edge.renderer.render(
            request,
            "store/products.html",
            {"q": form.get("sku") or form.get("code", ""), "problem": _problem(error)},
            status_code=status_of(error),
        )
    return RedirectResponse(f"/store/baskets/{cart.id}", status_code=303)


def _problem(error: DomainError) -> str:
    code = "unknown_product" if isinstance(error, UnknownSku) else error.code
    return code if code in EXPLAINED else "basket_refused"


def _change(
    request: Request,
    edge: WebDep,
    platform: PlatformDep,
    member: staff.StaffMember,
    cart_id: str,
    form: dict[str, str],
    operation: str,
    change: Any,
) -> Response:
    """Apply ``change(session, actor)`` to the basket in one transaction, then show it; a
    refusal shows it unchanged, with why."""
    try:
        with platform.db.transaction() as session:
            actor = staff.acting_as(session, member)
            change(session, actor)
            audit.record(session, actor=actor, operation=f"store_basket:{cart_id}:{operation}")
    except NoStore:
        return _error(request, edge, "no_store", 403)
    except UnknownCart:
        return _error(request, edge, "unknown_basket", 404)
    except CartForbidden:
        return _error(request, edge, "basket_forbidden", 403)
    except DomainError as error:
        return _page(
            request,
            edge,
            platform,
            member,
            cart_id,
            query=form.get("q", ""),
            problem=_problem(error),
            status_code=status_of(error),
        )
    return RedirectResponse(f"/store/baskets/{cart_id}", status_code=303)


@router.post("/baskets/{cart_id}/lines")
def add_to_basket(
    request: Request, edge: WebDep, platform: PlatformDep, member: Member, form: Form, cart_id: str
) -> Response:
    """Add units of a SKU chosen in a search, or of a code typed or scanned."""

    def add(session: Session, actor: Actor) -> None:
        line = CartLineIn(sku=_sku(session, form), quantity=_quantity(form))
        carts.add_line(session, cart_id=cart_id, line=line, actor=actor)

    return _change(request, edge, platform, member, cart_id, form, "add", add)


@router.post("/baskets/{cart_id}/quantity")
def change_quantity(
    request: Request, edge: WebDep, platform: PlatformDep, member: Member, form: Form, cart_id: str
) -> Response:
    """Set a line's quantity."""

    def change(session: Session, actor: Actor) -> None:
        carts.change_line(
            session,
            cart_id=cart_id,
            sku=form.get("sku", ""),
            change=QuantityIn(quantity=_quantity(form)),
            actor=actor,
        )

    return _change(request, edge, platform, member, cart_id, form, "quantity", change)


@router.post("/baskets/{cart_id}/remove")
def remove_from_basket(
    request: Request, edge: WebDep, platform: PlatformDep, member: Member, form: Form, cart_id: str
) -> Response:
    """Take a line out of the basket."""

    def remove(session: Session, actor: Actor) -> None:
        carts.remove_line(session, cart_id=cart_id, sku=form.get("sku", ""), actor=actor)

    return _change(request, edge, platform, member, cart_id, form, "remove", remove)


@router.post("/baskets/{cart_id}/coupons")
def add_coupon(
    request: Request, edge: WebDep, platform: PlatformDep, member: Member, form: Form, cart_id: str
) -> Response:
    """Apply a coupon code the customer gives."""

    def apply(session: Session, actor: Actor) -> None:
        code = form.get("code", "").strip()[:50]
        carts.add_coupon(session, cart_id=cart_id, code=code, actor=actor)

    return _change(request, edge, platform, member, cart_id, form, "coupon", apply)


@router.post("/baskets/{cart_id}/coupons/remove")
def remove_coupon(
    request: Request, edge: WebDep, platform: PlatformDep, member: Member, form: Form, cart_id: str
) -> Response:
    """Take a coupon off the basket."""

    def take_off(session: Session, actor: Actor) -> None:
        code = form.get("code", "").strip()[:50]
        carts.remove_coupon(session, cart_id=cart_id, code=code, actor=actor)

    return _change(request, edge, platform, member, cart_id, form, "coupon_removed", take_off)


# --- selling --------------------------------------------------------------------------------


def _receipt_email(form: dict[str, str]) -> str | None:
    raw = form.get("receipt_email", "").strip()
    if not raw:
        return None
    try:
        return normalise_email(raw)
    except InvalidIdentifier:
        raise InvalidReceiptEmail(
            "This e-mail address cannot receive a receipt.", field="receipt_email"
        ) from None


@router.post("/baskets/{cart_id}/sell")
def sell_basket(
    request: Request, edge: WebDep, platform: PlatformDep, member: Member, form: Form, cart_id: str
) -> Response:
    """Sell the basket: carried out now, collected or tried in a store, or sent home; then
    the receipt, e-mailed when the customer gave an address."""
    policy = OrderPolicy.from_settings(platform.settings)
    key = form.get("sale_key", "").strip() or None
    try:
        with platform.db.reading() as session:
            actor = staff.acting_as(session, member)
            cart = carts.get_cart(session, cart_id=cart_id, with_prices=False, actor=actor)
        if cart.status == "open" and not cart.lines:
            raise EmptyBasket("The basket is empty.", field="cart_id")
        points = loyalty_panel.points_typed(form)
        data = counter.checkout_from_form(
            form, cart_id, methods=BASKET_METHODS, payment_optional=points > 0
        )
        if points and data.fulfilment and data.fulfilment.method is Method.reserve_and_try:
            raise loyalty_panel.InvalidPoints(
                "A reservation to try is paid once tried, points included.", field="loyalty_points"
            )
        email = _receipt_email(form)

        def place(session: Session) -> dict[str, Any]:
            # Points pay as a tender (ADR 0021): held, named in the checkout and captured for
            # this order in the same transaction, so a refused sale holds no point.
            checkout = data
            held = None
            if points:
                customer = customer_of(session, cart.customer_ref)
                held = loyalty_panel.hold_for_sale(
                    session,
                    profile_id=customer.profile_id if customer else None,
                    points=points,
                    actor=actor,
                )
                tender = TenderIn(
                    kind=loyalty.LOYALTY_TENDER, reference=held.id, amount_minor=held.amount_minor
                )
                checkout = data.model_copy(update={"tenders": [tender]})
            order = orders.checkout(session, data=checkout, actor=actor, policy=policy)
            if held is not None:
                loyalty.capture_tenders(
                    session,
                    order_id=order.id,
                    currency=order.currency,
                    tenders=[(held.id, held.amount_minor)],
                    actor=actor,
                )
            return {"order_id": order.id}

        result = run_write(
            platform.db,
            actor=actor,
            key=key,
            operation=f"store_basket_sale:{cart_id}",
            payload={name: value for name, value in form.items() if name != "csrf"},
            status_code=201,
            action=place,
        )
    except NoStore:
        return _error(request, edge, "no_store", 403)
    except UnknownCart:
        return _error(request, edge, "unknown_basket", 404)
    except CartForbidden:
        return _error(request, edge, "basket_forbidden", 403)
    except DomainError as error:
        return _page(
            request,
            edge,
            platform,
            member,
            cart_id,
            problem=_problem(error),
            form=form,
            status_code=status_of(error),
        )
    order_id = result.body["order_id"]
    outcome = ""
    if email is not None and not result.replayed:
        outcome = f"?email={receipt.send_receipt(request, edge, platform, order_id, email)}"
    return RedirectResponse(f"/store/orders/{order_id}/receipt{outcome}", status_code=303)
