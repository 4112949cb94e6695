"""The clerk app (``/store``): sign in, find a customer, find a product (selling is in
``counter``, the store's queue in ``queue``).

Each page reads through the modules' public service functions; no rule lives here.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse, Response
from sqlalchemy.orm import Session

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
from omnicanal.inventory import availability
from omnicanal.inventory.schemas import AvailabilityQuery, Near
from omnicanal.network import service as network
from omnicanal.network.errors import UnknownLocation
from omnicanal.orders import service as orders
from omnicanal.platform.http.deps import PlatformDep
from omnicanal.platform.wiring import Platform
from omnicanal.staff import sessions
from omnicanal.web import counter, queue, receipt, store_kpis
from omnicanal.web import returns as return_desk
from omnicanal.web.basket import ProductResult, find_for_counter
from omnicanal.web.basket import router as basket_router
from omnicanal.web.consent_desk import router as consent_router
from omnicanal.web.edge import Form, Member, WebDep, WebEdge, client_address, read_form, safe_next
from omnicanal.web.loyalty_desk import router as loyalty_router
from omnicanal.web.people import mask_email, phone_tail
from omnicanal.web.sessions import COOKIE, LIFETIME_SECONDS

__all__ = ["router"]

router = APIRouter(prefix="/store", include_in_schema=False)

MAX_MATCHES = 5
NEAREST_STORES = 5
PHONE_CHARACTERS = re.compile(r"^\+?[\d\s.\-()/]{6,}$")


@router.get("/login")
def login_form(request: Request, edge: WebDep, next: str | None = None) -> Response:
    """The sign-in form."""
    return edge.renderer.render(request, "store/login.html", {"next": safe_next(next)})


@router.post("/login")
async def login(request: Request, edge: WebDep, platform: PlatformDep) -> Response:
    """Check the email and password (throttled); on success, a new server-side session."""
    form = await read_form(request)
    next_path = safe_next(form.get("next"))
    with platform.db.transaction() as session:
        outcome = sessions.sign_in(
            session,
            email=form.get("email", ""),
            password=form.get("password", ""),
            address=client_address(request),
            user_agent=request.headers.get("user-agent", ""),
        )
    if outcome.cookie is None:
        throttled = outcome.refusal is sessions.Refusal.too_many_attempts
        return edge.renderer.render(
            request,
            "store/login.html",
            {
                "next": next_path,
                "email": form.get("email", ""),
                "failed": not throttled,
                "throttled": throttled,
            },
            status_code=429 if throttled else 401,
        )
    response = RedirectResponse(next_path, status_code=303)
    response.set_cookie(
        COOKIE,
        outcome.cookie,
        max_age=LIFETIME_SECONDS,
        httponly=True,
        samesite="lax",
        secure=request.url.scheme == "https",
    )
    return response


@router.post("/logout")
def logout(request: Request, platform: PlatformDep, form: Form) -> Response:
    """End the session on the server (its cookie and CSRF token stop working at once)."""
    with platform.db.transaction() as session:
        sessions.end_session(session, request.cookies.get(COOKIE))
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


def _looks_like_a_name(query: str) -> bool:
    return (
        "@" not in query
        and not any(char.isdigit() for char in query)
        and any(char.isalpha() for char in query)
    )


@dataclass(frozen=True)
class LastPurchase:
    """A customer's last order: when, on which channel, at which store (if one)."""

    at: datetime
    channel: str | None = None
    store: str = ""


@dataclass(frozen=True)
class Match:
    profile: ProfileOut
    recognised_by: str
    score: float | None = None
    """How alike the name typed and the customer's are (0 to 100), for a search by name."""
    last_purchase: LastPurchase | None = None

    @property
    def name(self) -> str:
        return customers.display_name(self.profile)

    # What tells two look-alike customers apart at the counter, without reading their
    # details out: the city, the e-mail and phone masked, the loyalty card.

    @property
    def city(self) -> str:
        traits = {trait.name: trait.value for trait in self.profile.traits}
        return str(customers.person_fields(traits)["city"] or "")

    def _values(self, kind: str) -> list[str]:
        return [i.value for i in self.profile.identifiers if i.kind == kind and not i.shared]

    @property
    def emails(self) -> list[str]:
        return [mask_email(value) for value in self._values("email")]

    @property
    def phones(self) -> list[str]:
        return [phone_tail(value) for value in self._values("phone")]

    @property
    def loyalty_cards(self) -> list[str]:
        return self._values("loyalty_card")


def _last_purchase(session: Session, profile: ProfileOut) -> LastPurchase | None:
    """The customer's last order here (channel, store), else the last one their timeline
    tells of (an order of another system: the date only)."""
    references = customers.reference_forms(session, profile_id=profile.id)
    page = orders.list_orders(session, customer_refs=references, limit=1)
    if page.items:
        last = page.items[0]
        store = ""
        if last.location:
            try:
                store = network.get_location(session, last.location).name
            except UnknownLocation:
                store = last.location
        return LastPurchase(at=last.placed_at, channel=last.channel, store=store)
    if profile.computed.last_order_at is not None:
        return LastPurchase(at=profile.computed.last_order_at)
    return None


def find_customers(session: Session, query: str, *, region: str) -> list[Match]:
    """The profiles an identifier typed at the counter designates (several if it is shared),
    or, for a name, the few profiles whose name is closest."""
    found: dict[str, str] = {}
    scores: dict[str, float] = {}
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
    if not found and _looks_like_a_name(query):
        for match in customers.find_profiles_by_name(session, query=query, limit=MAX_MATCHES):
            found.setdefault(match.profile_id, "name")
            scores[match.profile_id] = match.score
    matches = []
    for profile_id, recognised_by in list(found.items())[:MAX_MATCHES]:
        profile = customers.get_profile(session, profile_id=profile_id, timeline_limit=1)
        matches.append(
            Match(profile, recognised_by, scores.get(profile_id), _last_purchase(session, profile))
        )
    return matches


@router.get("/customers")
def customer_search(
    request: Request, edge: WebDep, platform: PlatformDep, member: Member, q: str = ""
) -> Response:
    """Find a customer by phone (any French format), email, loyalty card or name."""
    return search_page(request, edge, platform, q, template="store/customers.html")


def search_page(
    request: Request, edge: WebEdge, platform: Platform, q: str, *, template: str
) -> Response:
    """The customer search results in ``template`` (the clerk's or head office's), 404 if none."""
    query = q.strip()
    matches: list[Match] = []
    if query:
        with platform.db.reading() as session:
            matches = find_customers(session, query, region=platform.settings.phone_region)
    return edge.renderer.render(
        request,
        template,
        {"q": query, "matches": matches},
        status_code=200 if matches or not query else 404,
    )


@router.get("/customers/{profile_id}")
def customer_page(
    request: Request, edge: WebDep, platform: PlatformDep, member: Member, profile_id: str
) -> Response:
    """The customer at a glance: who, how recognised, purchases on every channel, the open
    cart priced for the store and the ways to sell it, accessories bought with it."""
    with platform.db.reading() as session:
        try:
            context = counter.customer_context(session, profile_id=profile_id, member=member)
        except UnknownProfile:
            return edge.renderer.render(
                request, "store/error.html", {"problem": "unknown_customer"}, status_code=404
            )
    return edge.renderer.render(request, "store/customer.html", context)


# --- products ------------------------------------------------------------------------------


@router.get("/products")
def product_search(
    request: Request,
    edge: WebDep,
    platform: PlatformDep,
    member: Member,
    q: str = "",
    basket: str = "",
) -> Response:
    """A SKU or GTIN: available here, in the nearest stores (with distance) and online; a
    name: the closest products, each size and colour with its stock. Each can go into a
    counter basket (``basket``, or a new one for a walk-in)."""
    code = q.strip()
    add_to = basket.strip()[:26] or None
    if not code:
        return edge.renderer.render(request, "store/products.html", {"q": code, "add_to": add_to})
    with platform.db.reading() as session:
        try:
            variant = catalog.find_variant(session, code)
        except UnknownSku:
            results: list[ProductResult] = []
            place = None
            named = any(char.isalpha() for char in code)
            if named:
                place = (
                    network.get_location(session, member.location_code)
                    if member.location_code
                    else None
                )
                _, results = find_for_counter(session, code, here=place)
            return edge.renderer.render(
                request,
                "store/products.html",
                {
                    "q": code,
                    "results": results,
                    "add_to": add_to,
                    "here": place,
                    "problem": None
                    if results
                    else ("no_product_named" if named else "unknown_product"),
                },
                status_code=200 if results else 404,
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
            "add_to": add_to,
        },
    )


router.include_router(counter.router)
router.include_router(basket_router)
router.include_router(loyalty_router)
router.include_router(consent_router)
router.include_router(receipt.router)
router.include_router(queue.router)
router.include_router(return_desk.router)
router.include_router(store_kpis.router)
