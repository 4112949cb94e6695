"""The clerk app (``/store``): sign in, find a customer, find a product, the store's queue.

Each page reads through the modules' public service functions; no rule lives here.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse, Response
from sqlalchemy.orm import Session

from omnicanal.api.deps import PlatformDep
from omnicanal.carts import service as carts
from omnicanal.carts.errors import NoOpenCart
from omnicanal.carts.schemas import CartOut
from omnicanal.catalog import service as catalog
from omnicanal.catalog.errors import UnknownSku
from omnicanal.customers import service as customers
from omnicanal.customers.errors import (
    IdentifierShared,
    InvalidIdentifierValue,
    UnknownIdentifier,
    UnknownProfile,
)
from omnicanal.customers.identifiers import IdentifierKind
from omnicanal.customers.schemas import ProfileOut
from omnicanal.fulfilment import queries as fulfilment
from omnicanal.fulfilment.states import FulfilmentStatus, Method
from omnicanal.inventory import availability
from omnicanal.inventory.schemas import AvailabilityQuery, Near
from omnicanal.network import service as network
from omnicanal.network.errors import UnknownLocation
from omnicanal.web import staff
from omnicanal.web.edge import Member, WebDep, read_form
from omnicanal.web.sessions import COOKIE, LIFETIME_SECONDS

__all__ = ["router"]

router = APIRouter(prefix="/store", include_in_schema=False)

MAX_MATCHES = 5
NEAREST_STORES = 5
# Identifiers a web or app cart may be filed under, strongest first.
CART_OWNER_KINDS = ("user_id", "external_id", "loyalty_card", "email")
PHONE_CHARACTERS = re.compile(r"^\+?[\d\s.\-()/]{6,}$")


def _safe_next(value: str | None) -> str:
    # Only paths of our own: never send a signed-in clerk to another site.
    if value and value.startswith("/store") and not value.startswith("//"):
        return value
    return "/store"


@router.get("/login")
def login_form(request: Request, edge: WebDep, next: str | None = None) -> Response:
    """The sign-in form."""
    return edge.renderer.render(request, "store/login.html", {"next": _safe_next(next)})


@router.post("/login")
async def login(request: Request, edge: WebDep, platform: PlatformDep) -> Response:
    """Check the email and password; on success, a signed session cookie."""
    form = await read_form(request)
    next_path = _safe_next(form.get("next"))
    try:
        with platform.db.reading() as session:
            member = staff.authenticate(
                session, email=form.get("email", ""), password=form.get("password", "")
            )
    except staff.BadCredentials:
        return edge.renderer.render(
            request,
            "store/login.html",
            {"next": next_path, "email": form.get("email", ""), "failed": True},
            status_code=401,
        )
    response = RedirectResponse(next_path, status_code=303)
    response.set_cookie(
        COOKIE,
        edge.signer.sign(member.id),
        max_age=LIFETIME_SECONDS,
        httponly=True,
        samesite="lax",
        secure=request.url.scheme == "https",
    )
    return response


@router.post("/logout")
def logout() -> Response:
    """Forget the session."""
    response = RedirectResponse("/store/login", status_code=303)
    response.delete_cookie(COOKIE)
    return response


@router.get("")
def home(request: Request, edge: WebDep, member: Member) -> Response:
    """The clerk's home: one box to find a customer, one to find a product."""
    return edge.renderer.render(request, "store/home.html")


# --- customers -----------------------------------------------------------------------------


def _kinds_to_try(query: str) -> list[IdentifierKind]:
    if "@" in query:
        return [IdentifierKind.email]
    kinds = [IdentifierKind.loyalty_card, IdentifierKind.user_id, IdentifierKind.external_id]
    if PHONE_CHARACTERS.match(query):
        kinds.insert(0, IdentifierKind.phone)
    return kinds


@dataclass(frozen=True)
class Match:
    profile: ProfileOut
    recognised_by: str

    @property
    def name(self) -> str:
        return _display_name(self.profile)


def _display_name(profile: ProfileOut) -> str:
    traits = {trait.name: trait.value for trait in profile.traits}
    parts = [str(traits[key]) for key in ("first_name", "last_name") if traits.get(key)]
    return " ".join(parts)


def find_customers(session: Session, query: str, *, region: str) -> list[Match]:
    """The profiles an identifier typed at the counter designates (several if it is shared)."""
    found: dict[str, str] = {}
    for kind in _kinds_to_try(query):
        try:
            ids = [customers.find_profile_id(session, kind=kind, value=query, region=region)]
        except (UnknownIdentifier, InvalidIdentifierValue):
            continue
        except IdentifierShared as shared:
            ids = list(shared.extra.get("profile_ids", []))
        for profile_id in ids:
            root = customers.profile_root(session, profile_id).id
            found.setdefault(root, kind.value)
    return [
        Match(customers.get_profile(session, profile_id=profile_id, timeline_limit=1), kind)
        for profile_id, kind in list(found.items())[:MAX_MATCHES]
    ]


@router.get("/customers")
def customer_search(
    request: Request, edge: WebDep, platform: PlatformDep, member: Member, q: str = ""
) -> Response:
    """Find a customer by phone (any French format), email or loyalty card."""
    query = q.strip()
    matches: list[Match] = []
    if query:
        with platform.db.reading() as session:
            matches = find_customers(session, query, region=platform.settings.phone_region)
    return edge.renderer.render(
        request,
        "store/customers.html",
        {"q": query, "matches": matches},
        status_code=200 if matches or not query else 404,
    )


def open_cart(session: Session, profile: ProfileOut) -> CartOut | None:
    """The customer's open web or app cart, filed under one of their identifiers."""
    references = [
        identifier.value
        for kind in CART_OWNER_KINDS
        for identifier in profile.identifiers
        if identifier.kind == kind and not identifier.shared
    ]
    for reference in [*references, profile.id]:
        try:
            return carts.find_open_cart(session, customer_ref=reference)
        except NoOpenCart:
            continue
    return None


@router.get("/customers/{profile_id}")
def customer_page(
    request: Request, edge: WebDep, platform: PlatformDep, member: Member, profile_id: str
) -> Response:
    """The customer at a glance: who, how recognised, purchases on every channel, open cart."""
    with platform.db.reading() as session:
        try:
            profile = customers.get_profile(session, profile_id=profile_id, timeline_limit=100)
        except UnknownProfile:
            return edge.renderer.render(
                request, "store/error.html", {"problem": "unknown_customer"}, status_code=404
            )
        cart = open_cart(session, profile)
        names = _product_names(session, [line.sku for line in cart.lines] if cart else [])
    purchases = [event for event in profile.timeline.items if event.order_id is not None]
    context: dict[str, Any] = {
        "profile": profile,
        "name": _display_name(profile),
        "purchases": purchases,
        "cart": cart,
        "product_names": names,
    }
    return edge.renderer.render(request, "store/customer.html", context)


def _product_names(session: Session, skus: list[str]) -> dict[str, str]:
    names = {}
    for sku, variant in catalog.resolve_skus(session, skus).items():
        product = catalog.get_product_by_id(session, product_id=variant.product_id)
        names[sku] = " ".join(part for part in (product.name, variant.size, variant.colour) if part)
    return names


# --- products ------------------------------------------------------------------------------


@router.get("/products")
def product_search(
    request: Request, edge: WebDep, platform: PlatformDep, member: Member, q: str = ""
) -> Response:
    """A SKU or GTIN: available here, in the nearest stores (with distance) and online."""
    code = q.strip()
    if not code:
        return edge.renderer.render(request, "store/products.html", {"q": code})
    with platform.db.reading() as session:
        try:
            variant = catalog.find_variant(session, code)
        except UnknownSku:
            return edge.renderer.render(
                request,
                "store/products.html",
                {"q": code, "problem": "unknown_product"},
                status_code=404,
            )
        product = catalog.get_product_by_id(session, product_id=variant.product_id)
        here = None
        nearby = []
        if member.location_code:
            location = network.get_location(session, member.location_code)
            here = availability.availability(
                session,
                query=AvailabilityQuery(skus=[variant.sku], locations=[location.code]),
            ).items[0]
            around = availability.availability(
                session,
                query=AvailabilityQuery(
                    skus=[variant.sku],
                    channel="store",
                    near=Near(
                        latitude=location.latitude,
                        longitude=location.longitude,
                        limit=NEAREST_STORES + 1,
                    ),
                ),
            ).items[0]
            nearby = [row for row in around.locations if row.location != location.code]
            nearby = nearby[:NEAREST_STORES]
        online = availability.availability(
            session, query=AvailabilityQuery(skus=[variant.sku], channel="web")
        ).items[0]
        store_names = {
            row.location: network.get_location(session, row.location).name for row in nearby
        }
    anywhere = (
        (here.available if here else 0) + online.available + sum(row.available for row in nearby)
    )
    return edge.renderer.render(
        request,
        "store/products.html",
        {
            "q": code,
            "variant": variant,
            "product": product,
            "here": here,
            "nearby": nearby,
            "store_names": store_names,
            "online": online,
            "problem": None if anywhere else "no_stock",
        },
    )


# --- the store's queue ---------------------------------------------------------------------

WAITING = (FulfilmentStatus.checked_in, FulfilmentStatus.ready_for_pickup)
TO_PICK = (FulfilmentStatus.allocated, FulfilmentStatus.picking)


@router.get("/queue")
def own_queue(member: Member) -> Response:
    """The queue of the clerk's own store."""
    if member.location_code is None:
        return RedirectResponse("/store", status_code=303)
    return RedirectResponse(f"/store/queue/{member.location_code}", status_code=303)


@router.get("/queue/{location_code}")
def queue(
    request: Request, edge: WebDep, platform: PlatformDep, member: Member, location_code: str
) -> Response:
    """Customers waiting for their pickup (and for how long), and the orders to pick."""
    try:
        staff.require_store(member, location_code)
    except staff.StoreForbidden:
        return edge.renderer.render(
            request,
            "store/error.html",
            {"problem": "other_store", "store": location_code},
            status_code=403,
        )
    with platform.db.reading() as session:
        try:
            location = network.get_location(session, location_code)
        except UnknownLocation:
            return edge.renderer.render(
                request, "store/error.html", {"problem": "unknown_store"}, status_code=404
            )
        waiting = [
            row
            for status in WAITING
            for row in fulfilment.list_fulfilments(
                session, location_code=location.code, status=status.value
            )
        ]
        to_pick = [
            row
            for status in TO_PICK
            for row in fulfilment.list_fulfilments(
                session, location_code=location.code, status=status.value
            )
            if row.method != Method.carry_out.value
        ]
    waiting.sort(key=lambda row: row.checked_in_at or row.ready_at or row.created_at)
    to_pick.sort(key=lambda row: row.created_at)
    return edge.renderer.render(
        request,
        "store/queue.html",
        {"location": location, "waiting": waiting, "to_pick": to_pick},
    )
