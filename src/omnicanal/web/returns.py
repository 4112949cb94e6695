"""Returns and exchanges at the counter (``/store/returns``): find the purchase (receipt, its
QR code, the customer, or the item scanned), take the return back, inspect it, refund it to
the card or as store credit, or exchange it in one step for another size or colour, here,
in another store or sent home.

The return rules live in ``returns``: these pages parse the form, call one use case as the
clerk's store (``staff.acting_as``) and show the answer. Each write runs through
``run_write`` with a key made when its form was rendered, so a double click opens, refunds
or sells once; the audit log gets it in the same transaction. A refusal shows the page again
with why, nothing changed.
"""

from __future__ import annotations

import secrets
from collections.abc import Callable
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse, Response
from sqlalchemy.orm import Session

from omnicanal.catalog.errors import UnknownSku
from omnicanal.fulfilment.states import Method
from omnicanal.orders.errors import UnknownOrder
from omnicanal.platform.actors import Actor
from omnicanal.platform.clock import utcnow
from omnicanal.platform.errors import DomainError, Forbidden
from omnicanal.platform.http.deps import PlatformDep
from omnicanal.platform.http.problems import status_of
from omnicanal.platform.idempotency import run_write
from omnicanal.platform.wiring import Platform
from omnicanal.returns import service as returns
from omnicanal.returns.errors import UnknownReturn
from omnicanal.returns.policy import ReturnPolicy
from omnicanal.staff import service as staff
from omnicanal.staff.errors import NoStore
from omnicanal.web import counter, return_pages
from omnicanal.web import return_forms as forms
from omnicanal.web.edge import Form, Member, WebDep, WebEdge

__all__ = ["router"]

router = APIRouter()  # included by the store router, under /store

# What the pages say for each refusal; anything else reads "refused, nothing changed".
EXPLAINED = frozenset(
    {
        "nothing_to_return",
        "return_quantity_exceeded",
        "location_refuses_returns",
        "return_forbidden",
        "location_forbidden",
        "unknown_order_line",
        "unknown_return_line",
        "invalid_quantity",
        "invalid_return_form",
        "nothing_chosen",
        "inspection_mismatch",
        "invalid_return_transition",
        "return_already_refunded",
        "store_credit_needs_customer",
        "missing_refund_reference",
        "confirm_cancel",
        "payment_required",
        "missing_payment",
        "missing_address",
        "missing_pickup_store",
        "unknown_method",
        "unknown_product",
        "insufficient_stock",
        "pickup_not_available",
        "location_not_available",
        "store_service_not_available",
        "missing_price",
        "idempotency_key_reused",
        "invalid_return_token",
        "return_authorisation_expired",
    }
)


def _problem(error: DomainError) -> str:
    code = "unknown_product" if isinstance(error, UnknownSku) else error.code
    return code if code in EXPLAINED else "return_refused"


def _error(request: Request, edge: WebEdge, problem: str, status_code: int) -> Response:
    return edge.renderer.render(
        request, "store/error.html", {"problem": problem}, status_code=status_code
    )


def _payload(form: dict[str, str]) -> dict[str, str]:
    """The form as the idempotency key remembers it (the CSRF token changes per session)."""
    return {name: value for name, value in form.items() if name != "csrf"}


# --- finding ---------------------------------------------------------------------------------


@router.get("/returns")
def find_page(
    request: Request,
    edge: WebDep,
    platform: PlatformDep,
    member: Member,
    q: str = "",
    product: str = "",
) -> Response:
    """The return desk: find the purchase by its receipt or order number (or the receipt's
    QR code), by the customer's phone, e-mail or loyalty card, or by the item scanned; and
    this store's returns in progress."""
    with platform.db.reading() as session:
        try:
            actor = staff.acting_as(session, member)
        except NoStore:
            return _error(request, edge, "no_store_returns", 403)
        search = return_pages.PurchaseSearch()
        if q.strip() or product.strip():
            search = return_pages.find_purchases(
                session,
                query=q,
                product=product,
                region=platform.settings.phone_region,
                actor=actor,
                now=utcnow(),
            )
        progress = return_pages.returns_in_progress(session, actor=actor)
    return edge.renderer.render(
        request,
        "store/returns.html",
        {"search": search, "in_progress": progress, "parcel_key": secrets.token_urlsafe(18)},
        status_code=404 if search.problem else 200,
    )


@router.post("/returns/parcels")
def receive_parcel(
    request: Request, edge: WebDep, platform: PlatformDep, member: Member, form: Form
) -> Response:
    """A postal return arrives here: the clerk scans its label's QR code (the signed return
    authorisation) and the return is received at this store or warehouse, once."""
    policy = ReturnPolicy.from_settings(platform.settings)
    token = form.get("token", "").strip()
    try:
        with platform.db.reading() as session:
            actor = staff.acting_as(session, member)
        data = forms.parcel_in(token)

        def receive(session: Session) -> dict[str, Any]:
            received = returns.open_return(session, data=data, actor=actor, policy=policy)
            return {"id": received.id, "status": received.status}

        result = run_write(
            platform.db,
            actor=actor,
            key=form.get("parcel_key", "").strip() or None,
            operation="store_return_parcel",
            payload=_payload(form),
            status_code=200,
            action=receive,
        )
    except NoStore:
        return _error(request, edge, "no_store_returns", 403)
    except UnknownReturn:
        return _error(request, edge, "unknown_return", 404)
    except DomainError as error:
        with platform.db.reading() as session:
            actor = staff.acting_as(session, member)
            progress = return_pages.returns_in_progress(session, actor=actor)
        return edge.renderer.render(
            request,
            "store/returns.html",
            {
                "search": return_pages.PurchaseSearch(),
                "in_progress": progress,
                "parcel_problem": _problem(error),
                "parcel_key": secrets.token_urlsafe(18),
            },
            status_code=status_of(error),
        )
    return RedirectResponse(f"/store/returns/{result.body['id']}", status_code=303)


# --- taking a return back ------------------------------------------------------------------


def _new_page(
    request: Request,
    edge: WebEdge,
    platform: Platform,
    member: staff.StaffMember,
    order_id: str,
    *,
    problem: DomainError | None = None,
    form: dict[str, str] | None = None,
) -> Response:
    with platform.db.reading() as session:
        try:
            actor = staff.acting_as(session, member)
            context = return_pages.new_return_context(session, order_id=order_id, actor=actor)
        except NoStore:
            return _error(request, edge, "no_store_returns", 403)
        except UnknownOrder:
            return _error(request, edge, "unknown_order", 404)
    status_code = 200
    if problem is not None:
        context["problem"] = _problem(problem)
        status_code = status_of(problem)
    if form is not None:
        context["form"] = form
    return edge.renderer.render(request, "store/return_new.html", context, status_code=status_code)


@router.get("/orders/{order_id}/return")
def new_return_page(
    request: Request, edge: WebDep, platform: PlatformDep, member: Member, order_id: str
) -> Response:
    """Take back units of an order bought on any channel: each line with what may still come
    back, why and in which state."""
    return _new_page(request, edge, platform, member, order_id)


@router.post("/orders/{order_id}/return")
def open_return(
    request: Request,
    edge: WebDep,
    platform: PlatformDep,
    member: Member,
    form: Form,
    order_id: str,
) -> Response:
    """Take the chosen units back at this store's counter: the rules approve the return at
    once or send it to head office; then the return's page."""
    policy = ReturnPolicy.from_settings(platform.settings)
    try:
        with platform.db.reading() as session:
            actor = staff.acting_as(session, member)
        data = forms.return_in(order_id, form)

        def take(session: Session) -> dict[str, Any]:
            taken = returns.open_return(session, data=data, actor=actor, policy=policy)
            return {"id": taken.id, "order_id": taken.order_id, "status": taken.status}

        result = run_write(
            platform.db,
            actor=actor,
            key=form.get("return_key", "").strip() or None,
            operation=f"store_return_open:{order_id}",
            payload=_payload(form),
            status_code=201,
            action=take,
        )
    except NoStore:
        return _error(request, edge, "no_store_returns", 403)
    except UnknownOrder:
        return _error(request, edge, "unknown_order", 404)
    except DomainError as error:
        return _new_page(request, edge, platform, member, order_id, problem=error, form=form)
    return RedirectResponse(f"/store/returns/{result.body['id']}", status_code=303)


# --- the return ------------------------------------------------------------------------------


def _return_page(
    request: Request,
    edge: WebEdge,
    platform: Platform,
    member: staff.StaffMember,
    return_id: str,
    *,
    problem: DomainError | None = None,
) -> Response:
    with platform.db.reading() as session:
        try:
            actor = staff.acting_as(session, member)
            context = return_pages.return_context(session, return_id=return_id, actor=actor)
        except NoStore:
            return _error(request, edge, "no_store_returns", 403)
        except UnknownReturn:
            return _error(request, edge, "unknown_return", 404)
    status_code = 200
    if problem is not None:
        context["problem"] = _problem(problem)
        status_code = status_of(problem)
    return edge.renderer.render(request, "store/return.html", context, status_code=status_code)


@router.get("/returns/{return_id}")
def return_page(
    request: Request, edge: WebDep, platform: PlatformDep, member: Member, return_id: str
) -> Response:
    """A return: its status and history, the rules' decision, and what the clerk may do next
    (inspect, refund, exchange, cancel)."""
    return _return_page(request, edge, platform, member, return_id)


def _act(
    request: Request,
    edge: WebEdge,
    platform: Platform,
    member: staff.StaffMember,
    form: dict[str, str],
    return_id: str,
    step: str,
    use_case: Callable[[Session, Actor], Any],
    *,
    on_refusal: Callable[[DomainError], Response] | None = None,
) -> Response:
    """Run one use case on the return as the clerk's store, once per rendered form (its
    ``key``), audited; then the return's page, or the page again with why."""
    try:
        with platform.db.reading() as session:
            actor = staff.acting_as(session, member)

        def act(session: Session) -> dict[str, Any]:
            changed = use_case(session, actor)
            return {"id": changed.id, "status": changed.status}

        run_write(
            platform.db,
            actor=actor,
            key=form.get("key", "").strip() or None,
            operation=f"store_return:{return_id}:{step}",
            payload=_payload(form),
            status_code=200,
            action=act,
        )
    except NoStore:
        return _error(request, edge, "no_store_returns", 403)
    except UnknownReturn:
        return _error(request, edge, "unknown_return", 404)
    except Forbidden:
        return _error(request, edge, "return_forbidden", 403)
    except DomainError as error:
        if on_refusal is not None:
            return on_refusal(error)
        return _return_page(request, edge, platform, member, return_id, problem=error)
    return RedirectResponse(f"/store/returns/{return_id}", status_code=303)


@router.post("/returns/{return_id}/inspect")
def inspect(
    request: Request,
    edge: WebDep,
    platform: PlatformDep,
    member: Member,
    form: Form,
    return_id: str,
) -> Response:
    """Inspect the units here: resellable ones back on this store's shelf, damaged ones
    written off."""

    def use_case(session: Session, actor: Actor) -> Any:
        return returns.inspect(
            session, return_id=return_id, data=forms.inspection(form), actor=actor
        )

    return _act(request, edge, platform, member, form, return_id, "inspect", use_case)


@router.post("/returns/{return_id}/refund")
def refund(
    request: Request,
    edge: WebDep,
    platform: PlatformDep,
    member: Member,
    form: Form,
    return_id: str,
) -> Response:
    """Refund the inspected return, once: to the card at the terminal, or as store credit."""

    def use_case(session: Session, actor: Actor) -> Any:
        data = forms.refund_in(form.get("refund_method", ""), form.get("refund_reference", ""))
        return returns.refund(session, return_id=return_id, data=data, actor=actor)

    return _act(request, edge, platform, member, form, return_id, "refund", use_case)


@router.post("/returns/{return_id}/cancel")
def cancel(
    request: Request,
    edge: WebDep,
    platform: PlatformDep,
    member: Member,
    form: Form,
    return_id: str,
) -> Response:
    """Cancel the return before inspection, once confirmed: the customer keeps the item."""

    def use_case(session: Session, actor: Actor) -> Any:
        data = forms.cancel_in(form)
        return returns.cancel_return(session, return_id=return_id, data=data, actor=actor)

    return _act(request, edge, platform, member, form, return_id, "cancel", use_case)


# --- exchanging ------------------------------------------------------------------------------


def _exchange_page(
    request: Request,
    edge: WebEdge,
    platform: Platform,
    member: staff.StaffMember,
    return_id: str,
    fields: dict[str, str],
    *,
    problem: DomainError | None = None,
) -> Response:
    with platform.db.reading() as session:
        try:
            actor = staff.acting_as(session, member)
            context = return_pages.exchange_context(
                session, return_id=return_id, actor=actor, fields=fields
            )
        except NoStore:
            return _error(request, edge, "no_store_returns", 403)
        except UnknownReturn:
            return _error(request, edge, "unknown_return", 404)
        except DomainError as error:
            # Nothing (valid) chosen, or the return can no longer be exchanged: its page.
            shown = problem or error
            return _return_page(request, edge, platform, member, return_id, problem=shown)
    status_code = 200
    if problem is not None:
        context["problem"] = _problem(problem)
        status_code = status_of(problem)
        if fields.get("method") == Method.endless_aisle.value:
            context["address"] = {name: fields.get(name, "") for name in counter.ADDRESS_FIELDS}
    return edge.renderer.render(
        request, "store/return_exchange.html", context, status_code=status_code
    )


@router.get("/returns/{return_id}/exchange")
def exchange_page(
    request: Request, edge: WebDep, platform: PlatformDep, member: Member, return_id: str
) -> Response:
    """The exchange chosen on the return page, priced: the new items, the difference to pay
    or to give back, how the customer gets them; confirmed in one step."""
    fields = dict(request.query_params)
    return _exchange_page(request, edge, platform, member, return_id, fields)


@router.post("/returns/{return_id}/exchange")
def exchange(
    request: Request,
    edge: WebDep,
    platform: PlatformDep,
    member: Member,
    form: Form,
    return_id: str,
) -> Response:
    """Exchange in one step: the returned units inspected, the new items sold (here, in
    another store or sent home), the difference paid at the terminal or given back."""
    policy = ReturnPolicy.from_settings(platform.settings)

    def use_case(session: Session, actor: Actor) -> Any:
        found = returns.get_return(session, return_id=return_id, actor=actor)
        data = forms.exchange_in(return_pages.exchange_picks(found, form), form)
        return returns.exchange(session, return_id=return_id, data=data, actor=actor, policy=policy)

    def refused(error: DomainError) -> Response:
        return _exchange_page(request, edge, platform, member, return_id, form, problem=error)

    return _act(
        request,
        edge,
        platform,
        member,
        form,
        return_id,
        "exchange",
        use_case,
        on_refusal=refused,
    )
