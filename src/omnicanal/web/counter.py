"""Selling at the counter: the customer page with the open cart priced for the store and
where each line is in stock (here, the nearest store, online), three ways to sell it (carry
out now, click & collect elsewhere, endless aisle sent home), the accessories others bought
with it, and the clerk's view of an order.

A sale is one call of the orders checkout, made idempotent with a key generated when the
page is rendered: a double click or a browser refresh replays the first answer.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse, Response
from sqlalchemy.orm import Session

from omnicanal.carts import service as carts
from omnicanal.carts.errors import NoOpenCart
from omnicanal.carts.schemas import CartOut
from omnicanal.catalog import service as catalog
from omnicanal.customers import service as customers
from omnicanal.customers.errors import UnknownProfile
from omnicanal.fulfilment.states import Method
from omnicanal.network import service as network
from omnicanal.orders import service as orders
from omnicanal.orders.errors import UnknownOrder
from omnicanal.orders.pickup import ExcludedStore
from omnicanal.orders.policy import OrderPolicy
from omnicanal.orders.schemas import Address, CheckoutIn, FulfilmentChoice, PaymentIn
from omnicanal.platform.actors import ChannelKind
from omnicanal.platform.errors import DomainError, InvalidInput
from omnicanal.platform.http.deps import PlatformDep
from omnicanal.platform.http.problems import status_of
from omnicanal.platform.idempotency import run_write
from omnicanal.staff import service as staff
from omnicanal.web import aftersales, consent_panel
from omnicanal.web import loyalty as loyalty_panel
from omnicanal.web.edge import Form, Member, WebDep
from omnicanal.web.labels import PICKUP_EXCLUSION_LABELS

__all__ = [
    "ADDRESS_FIELDS",
    "EXPLAINED",
    "SALE_METHODS",
    "MissingPayment",
    "address_of",
    "checkout_from_form",
    "customer_context",
    "router",
]

router = APIRouter()

STORE_CHANNEL = ChannelKind.store.value
ONLINE_CHANNEL = ChannelKind.web.value
SALE_METHODS = (Method.carry_out, Method.pickup, Method.endless_aisle)
ADDRESS_FIELDS = ("name", "line1", "postcode", "city")
PAYMENT_PROVIDER = "store_terminal"
SUGGESTIONS = 3
# What the page says for each refusal; anything else reads "the sale was refused".
EXPLAINED = frozenset(
    {
        "insufficient_stock",
        "cart_not_open",
        "unknown_cart",
        "pickup_not_available",
        "location_not_available",
        "store_service_not_available",
        "location_forbidden",
        "no_store",
        "missing_address",
        "missing_payment",
        "missing_pickup_store",
        "unknown_method",
        "idempotency_key_reused",
    }
)


def _open_cart(session: Session, references: list[str]) -> CartOut | None:
    try:
        return carts.find_open_cart_among(session, customer_refs=references, channel=STORE_CHANNEL)
    except NoOpenCart:
        return None


def purchases_of(timeline: list[Any]) -> list[Any]:
    """One row per order bought: the timeline holds several events naming an order (placed,
    completed, the web shop's own tracking of it); the first one says where it was bought."""
    first: dict[str, Any] = {}
    for event in sorted(timeline, key=lambda item: item.occurred_at):
        if event.order_id is not None and event.revenue_minor is not None:
            first.setdefault(event.order_id, event)
    return sorted(first.values(), key=lambda item: item.occurred_at, reverse=True)


def address_of(traits: dict[str, Any], name: str) -> dict[str, str]:
    """The delivery form prefilled from what the profile knows."""
    fields = customers.person_fields(traits)
    street = fields["street"]
    address = traits.get("address")
    if isinstance(address, dict) and isinstance(address.get("street"), str):
        street = address["street"]  # keep the house number as the customer wrote it
    return {"name": name, "line1": street, "postcode": fields["postcode"], "city": fields["city"]}


@dataclass(frozen=True)
class SalePanel:
    """What the selling part of the customer page shows."""

    pickup_options: list[orders.PickupOption]
    pickup_excluded: list[ExcludedStore]
    suggestions: list[orders.Suggestion]
    consent: customers.OffersConsentState


def customer_context(
    session: Session, *, profile_id: str, member: staff.StaffMember
) -> dict[str, Any]:
    """Everything the customer page shows; :class:`UnknownProfile` if there is nobody."""
    profile = customers.get_profile(session, profile_id=profile_id, timeline_limit=100)
    references = customers.reference_forms(session, profile_id=profile.id)
    cart = _open_cart(session, references)
    traits = {trait.name: trait.value for trait in profile.traits}
    ledger = consent_panel.ledger_of(session, profile.id)
    # A refusal of personalised offers in the consent ledger stops suggestions too.
    consent = consent_panel.offers_with_ledger(customers.offers_consent(traits), ledger)
    cart_skus = [line.sku for line in cart.lines] if cart else []
    here = network.get_location(session, member.location_code) if member.location_code else None
    pickup = orders.PickupChoices(options=[], excluded=[])
    if cart and cart.lines:
        pickup = orders.pickup_choices(
            session,
            lines=[(line.sku, line.quantity) for line in cart.lines],
            channel=STORE_CHANNEL,
            near=(here.latitude, here.longitude) if here else None,
        )
    suggestions: list[orders.Suggestion] = []
    if consent.allows_suggestions:
        basket = [*cart_skus, *orders.recent_skus(session, customer_refs=references)]
        suggestions = orders.bought_together(
            session,
            skus=basket,
            in_stock_at=[here.code] if here else [],
            online_channel=ONLINE_CHANNEL,
            limit=SUGGESTIONS,
        )
    stock = orders.cart_stock(
        session, lines=[(line.sku, line.quantity) for line in cart.lines] if cart else [], here=here
    )
    name = customers.display_name(profile)
    return {
        "profile": profile,
        "name": name,
        "purchases": purchases_of(profile.timeline.items),
        "cart": cart,
        "product_names": catalog.product_names(
            session, [*cart_skus, *(suggestion.sku for suggestion in suggestions)]
        ),
        "sale": SalePanel(
            pickup_options=pickup.options,
            pickup_excluded=pickup.excluded,
            suggestions=suggestions,
            consent=consent,
        ),
        "exclusion_labels": PICKUP_EXCLUSION_LABELS,
        "stock": stock,
        "sale_key": secrets.token_urlsafe(18),
        "address": address_of(traits, name),
        "here": here,
        **aftersales.aftersales_context(session, profile=profile, cart=cart, here=here),
        **consent_panel.consent_context(ledger),
        **loyalty_panel.loyalty_context(
            session,
            profile_id=profile.id,
            profile_ids=[profile.id, *profile.merged_profile_ids],
            member=member,
        ),
    }


# --- selling -------------------------------------------------------------------------------


class MissingAddress(InvalidInput):
    code = "missing_address"


class MissingPayment(InvalidInput):
    code = "missing_payment"


class UnknownMethod(InvalidInput):
    code = "unknown_method"


class MissingPickupStore(InvalidInput):
    code = "missing_pickup_store"


def checkout_from_form(
    form: dict[str, str],
    cart_id: str,
    *,
    methods: tuple[Method, ...] = SALE_METHODS,
    payment_optional: bool = False,
) -> CheckoutIn:
    """The checkout a sale form asks for (shape only: the orders module decides the rest).

    A reservation to try is paid in the store once tried: its receipt number may be empty;
    so may it be when ``payment_optional`` (points may pay it all: the checkout says if not).
    """
    try:
        method = Method(form.get("method", ""))
    except ValueError:
        raise UnknownMethod("Choose how the customer gets the goods.", field="method") from None
    if method not in methods:
        raise UnknownMethod("Choose how the customer gets the goods.", field="method")
    reference = form.get("payment_reference", "").strip()
    if not reference and method is not Method.reserve_and_try and not payment_optional:
        raise MissingPayment("Type the card terminal's receipt number.", field="payment_reference")
    address = None
    location = None
    if method is Method.endless_aisle:
        values = {field: form.get(field, "").strip() for field in ADDRESS_FIELDS}
        missing = [field for field, value in values.items() if not value]
        if missing:
            raise MissingAddress(
                f"The delivery address lacks: {', '.join(missing)}.",
                field="address",
                missing=missing,
            )
        address = Address(**values)
    elif method in (Method.pickup, Method.reserve_and_try):
        location = form.get("pickup_store", "").strip() or None
        if location is None:
            raise MissingPickupStore("Choose the store of the pickup.", field="pickup_store")
    payment = None
    if reference:
        try:
            payment = PaymentIn(provider=PAYMENT_PROVIDER, reference=reference, status="captured")
        except ValueError:
            raise MissingPayment(
                "Type the card terminal's receipt number, never the card number.",
                field="payment_reference",
            ) from None
    return CheckoutIn(
        cart_id=cart_id,
        channel=STORE_CHANNEL,
        fulfilment=FulfilmentChoice(method=method, location=location),
        delivery_address=address,
        payment=payment,
    )


def customer_page_refused(
    request: Request,
    edge: WebDep,
    platform: PlatformDep,
    member: staff.StaffMember,
    profile_id: str,
    error: DomainError,
    *,
    panel: str,
    explained: frozenset[str],
) -> Response:
    """The customer page again, nothing changed, with why in one of its panels: the
    context key ``panel`` holds the refusal's code when the panel explains it (one of
    ``explained``), else "refused"."""
    with platform.db.reading() as session:
        try:
            context = customer_context(session, profile_id=profile_id, member=member)
        except UnknownProfile:
            return edge.renderer.render(
                request, "store/error.html", {"problem": "unknown_customer"}, status_code=404
            )
    context[panel] = error.code if error.code in explained else "refused"
    return edge.renderer.render(
        request, "store/customer.html", context, status_code=status_of(error)
    )


@router.post("/customers/{profile_id}/sell")
def sell(
    request: Request,
    edge: WebDep,
    platform: PlatformDep,
    member: Member,
    form: Form,
    profile_id: str,
) -> Response:
    """Sell the customer's open cart: carried out now, collected elsewhere or sent home."""
    policy = OrderPolicy.from_settings(platform.settings)
    key = form.get("sale_key", "").strip() or None
    try:
        with platform.db.reading() as session:
            profile = customers.get_profile(session, profile_id=profile_id, timeline_limit=1)
            references = customers.reference_forms(session, profile_id=profile.id)
            actor = staff.acting_as(session, member)
        cart_id = form.get("cart_id", "")
        data = checkout_from_form(form, cart_id)

        def place(session: Session) -> dict[str, Any]:
            cart = carts.get_cart(session, cart_id=cart_id, with_prices=False)
            if cart.customer_ref not in references:
                raise NoOpenCart("This cart is not the customer's.", field="cart_id")
            order = orders.checkout(session, data=data, actor=actor, policy=policy)
            return {"order_id": order.id}

        result = run_write(
            platform.db,
            actor=actor,
            key=key,
            operation=f"store_sale:{profile.id}",
            payload={name: value for name, value in form.items() if name != "csrf"},
            status_code=201,
            action=place,
        )
    except UnknownProfile:
        return edge.renderer.render(
            request, "store/error.html", {"problem": "unknown_customer"}, status_code=404
        )
    except DomainError as error:
        return _refused(request, edge, platform, member, profile_id, form, error)
    return RedirectResponse(f"/store/orders/{result.body['order_id']}", status_code=303)


def _refused(
    request: Request,
    edge: WebDep,
    platform: PlatformDep,
    member: staff.StaffMember,
    profile_id: str,
    form: dict[str, str],
    error: DomainError,
) -> Response:
    """The customer page again, nothing changed, with why the sale did not happen."""
    with platform.db.reading() as session:
        context = customer_context(session, profile_id=profile_id, member=member)
    code = "unknown_cart" if isinstance(error, NoOpenCart) else error.code
    context.update(
        {
            "problem": code if code in EXPLAINED else "sale_refused",
            "problem_detail": error.detail,
            "chosen_method": form.get("method", ""),
            "address": {field: form.get(field, "") for field in ADDRESS_FIELDS}
            if form.get("method") == Method.endless_aisle.value
            else context["address"],
        }
    )
    return edge.renderer.render(
        request, "store/customer.html", context, status_code=status_of(error)
    )


# --- the order -----------------------------------------------------------------------------


@router.get("/orders/{order_id}")
def order_page(
    request: Request, edge: WebDep, platform: PlatformDep, member: Member, order_id: str
) -> Response:
    """An order as the clerk reads it: lines and prices explained, status, fulfilments,
    history."""
    with platform.db.reading() as session:
        try:
            order = orders.get_order(session, order_id=order_id)
        except UnknownOrder:
            return edge.renderer.render(
                request, "store/error.html", {"problem": "unknown_order"}, status_code=404
            )
        names = catalog.product_names(session, [line.sku for line in order.lines])
        places = network.locations_by_code(
            session, {f.location for f in order.fulfilments if f.location}
        )
    return edge.renderer.render(
        request,
        "store/order.html",
        {
            "order": order,
            "product_names": names,
            "store_names": {code: place.name for code, place in places.items()},
        },
    )
