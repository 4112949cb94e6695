"""The store's queue (``/store/queue``): pickups waiting and for how long, reservations to
try, orders to pick, what was done today, and each row's next step as a button.

Each row names its customer and shows the pickup code. Handing a pickup over asks for the
code the customer shows or an identity document checked (the fulfilment module's rule);
putting an item back on the shelf asks the clerk to confirm. Every step is one idempotent
write (a key made when the page is drawn): a double tap or a refresh replays the first
answer, and a bought hold is never sold twice.

Each page reads through the modules' public service functions; no rule lives here.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import UTC, datetime, time
from functools import partial
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse, Response
from pydantic import ValidationError
from sqlalchemy.orm import Session

from omnicanal.catalog import service as catalog
from omnicanal.customers import service as customers
from omnicanal.fulfilment.errors import InvalidTransition, UnknownFulfilment
from omnicanal.fulfilment.handover import IdentityDocument
from omnicanal.fulfilment.schemas import ActionIn, FulfilmentOut, InStorePaymentIn
from omnicanal.fulfilment.states import Action, FulfilmentStatus, Method
from omnicanal.network import service as network
from omnicanal.network.errors import UnknownLocation
from omnicanal.network.lookups import LocationRef
from omnicanal.orders import service as orders
from omnicanal.orders.policy import OrderPolicy
from omnicanal.platform.clock import utcnow
from omnicanal.platform.errors import DomainError, InvalidInput
from omnicanal.platform.http.deps import PlatformDep
from omnicanal.platform.http.problems import status_of
from omnicanal.platform.idempotency import run_write
from omnicanal.platform.wiring import Platform
from omnicanal.staff import service as staff
from omnicanal.web import counter
from omnicanal.web.edge import Form, Member, WebDep, WebEdge
from omnicanal.web.rendering import zone_named

__all__ = ["router"]

router = APIRouter()  # included by the store router, under /store

WAITING = (FulfilmentStatus.checked_in, FulfilmentStatus.ready_for_pickup)
TO_PICK = (FulfilmentStatus.allocated, FulfilmentStatus.picking)
TO_TRY = (FulfilmentStatus.held, FulfilmentStatus.tried)
# The ends of a pickup or a hold the store sees happen: the "done today" list.
DONE = (
    FulfilmentStatus.collected,
    FulfilmentStatus.bought,
    FulfilmentStatus.released,
    FulfilmentStatus.expired,
)
AT_THE_COUNTER = (Method.pickup.value, Method.reserve_and_try.value)
DONE_SHOWN = 30
# What a clerk does from the queue; shipping and cancelling have their own screens.
QUEUE_ACTIONS = (
    Action.pick,
    Action.pack,
    Action.ready,
    Action.check_in,
    Action.collect,
    Action.try_on,
    Action.buy,
    Action.release,
    Action.expire,
)
# Putting an item back on the shelf ends the customer's hold for good: asked twice.
CONFIRMED = frozenset({Action.release, Action.expire})
IDENTITY_DOCUMENT_LABELS = {
    IdentityDocument.id_card: "Identity card",
    IdentityDocument.passport: "Passport",
    IdentityDocument.driving_licence: "Driving licence",
    IdentityDocument.residence_permit: "Residence permit",
}
PAYMENT_PROVIDER = counter.PAYMENT_PROVIDER
QUEUE_PROBLEMS = frozenset(
    {
        "missing_payment",
        "no_store",
        "location_forbidden",
        "unknown_fulfilment",
        "pickup_code_mismatch",
        "handover_proof_required",
        "identity_document_required",
        "confirmation_required",
        "not_due_yet",
        "idempotency_key_reused",
    }
)


class IdentityDocumentRequired(InvalidInput):
    code = "identity_document_required"


class ConfirmationRequired(InvalidInput):
    code = "confirmation_required"


@dataclass(frozen=True)
class Row:
    """A queue row: the fulfilment, its customer's name, the steps offered now."""

    view: FulfilmentOut
    customer: str
    steps: list[str]


@router.get("/queue")
def own_queue(member: Member) -> Response:
    """The queue of the clerk's own store."""
    if member.location_code is None:
        return RedirectResponse("/store", status_code=303)
    return RedirectResponse(f"/store/queue/{member.location_code}", status_code=303)


def _steps(view: FulfilmentOut, now: datetime) -> list[str]:
    """The buttons of a row: its allowed queue actions; "put back on the shelf" of an
    uncollected pickup once its window is over (a hold is released instead)."""
    steps = []
    for action in view.allowed_actions:
        if action not in QUEUE_ACTIONS:
            continue
        if action == Action.expire and (
            view.method != Method.pickup.value or view.due_at is None or view.due_at > now
        ):
            continue
        steps.append(action)
    return steps


def _today_started(location: LocationRef, platform: Platform) -> datetime:
    """Midnight of today in the store's time zone, in UTC."""
    zone = zone_named(location.timezone, platform.settings.business_zone)
    today = datetime.now(zone).date()
    return datetime.combine(today, time.min, tzinfo=zone).astimezone(UTC)


def _rows(
    session: Session, platform: Platform, views: list[FulfilmentOut], now: datetime
) -> list[Row]:
    """Each view with its customer's name: the delivery name, else the profile's."""
    customers_of = orders.order_customers(session, order_ids=[view.order_id for view in views])
    references = [c.customer_ref for c in customers_of.values() if c.customer_ref]
    names = customers.names_of_references(
        session, customer_refs=references, region=platform.settings.phone_region
    )
    rows = []
    for view in views:
        customer = customers_of.get(view.order_id)
        name = ""
        if customer is not None:
            name = customer.delivery_name or names.get(customer.customer_ref or "", "")
        rows.append(Row(view=view, customer=name, steps=_steps(view, now)))
    return rows


def _just_done(session: Session, fulfilment_id: str, location_code: str) -> FulfilmentOut | None:
    """The row the clerk just moved on (``?done=``), for the page to say what happened."""
    if not fulfilment_id:
        return None
    try:
        view = orders.get_fulfilment_view(session, fulfilment_id=fulfilment_id)
    except UnknownFulfilment:
        return None
    return view if view.location == location_code else None


def _queue_page(
    request: Request,
    edge: WebEdge,
    platform: Platform,
    member: staff.StaffMember,
    location_code: str,
    *,
    problem: str | None = None,
    detail: str = "",
    status_code: int = 200,
    failed: str | None = None,
) -> Response:
    try:
        staff.require_store(member, location_code)
    except staff.StoreForbidden:
        return edge.renderer.render(
            request,
            "store/error.html",
            {"problem": "other_store", "store": location_code},
            status_code=403,
        )
    now = utcnow()
    done_id = request.query_params.get("done", "")[:26] if problem is None else ""
    with platform.db.reading() as session:
        try:
            location = network.get_location(session, location_code)
        except UnknownLocation:
            return edge.renderer.render(
                request, "store/error.html", {"problem": "unknown_store"}, status_code=404
            )

        def views(
            statuses: tuple[FulfilmentStatus, ...],
            method: Method | None = None,
            **more: Any,
        ) -> list[FulfilmentOut]:
            return [
                view
                for status in statuses
                for view in orders.list_fulfilment_views(
                    session,
                    location_code=location.code,
                    status=status.value,
                    method=method.value if method else None,
                    **more,
                )
            ]

        waiting = _rows(session, platform, views(WAITING, Method.pickup), now)
        to_try = _rows(session, platform, views(TO_TRY, Method.reserve_and_try), now)
        to_pick = _rows(
            session,
            platform,
            [view for view in views(TO_PICK) if view.method != Method.carry_out.value],
            now,
        )
        ended = [
            view
            for view in views(DONE, updated_since=_today_started(location, platform), limit=500)
            if view.method in AT_THE_COUNTER
        ]
        ended.sort(key=lambda view: view.updated_at, reverse=True)
        done = _rows(session, platform, ended[:DONE_SHOWN], now)
        just_done = _just_done(session, done_id, location.code)
        skus = {line.sku for row in (*waiting, *to_try, *to_pick, *done) for line in row.view.lines}
        names = catalog.product_names(session, sorted(skus))
    waiting.sort(key=lambda row: row.view.checked_in_at or row.view.ready_at or row.view.created_at)
    to_try.sort(key=lambda row: row.view.due_at or row.view.created_at)
    to_pick.sort(key=lambda row: row.view.created_at)
    return edge.renderer.render(
        request,
        "store/queue.html",
        {
            "location": location,
            "waiting": waiting,
            "to_try": to_try,
            "to_pick": to_pick,
            "done": done,
            "just_done": just_done,
            "product_names": names,
            "identity_documents": [
                (document.value, label) for document, label in IDENTITY_DOCUMENT_LABELS.items()
            ],
            "confirmed_steps": [action.value for action in CONFIRMED],
            "can_act": member.location_code == location.code,
            "step_key": secrets.token_urlsafe(12),
            "problem": problem,
            "problem_detail": detail,
            "failed": failed,
        },
        status_code=status_code,
    )


@router.get("/queue/{location_code}")
def queue(
    request: Request, edge: WebDep, platform: PlatformDep, member: Member, location_code: str
) -> Response:
    """Customers waiting for their pickup (and for how long), reservations to try (and until
    when), the orders to pick, and what was handed over or put back today."""
    return _queue_page(request, edge, platform, member, location_code)


def _action_input(chosen: Action, form: dict[str, str]) -> ActionIn:
    """What the step's form carries: the receipt of a purchase, the handover's proof, the
    confirmation of putting back (shape only: the fulfilment module checks the proof)."""
    if chosen in CONFIRMED and form.get("confirm") != "yes":
        raise ConfirmationRequired(
            "Tick the box to confirm the item goes back on the shelf.", field="confirm"
        )
    payment = None
    if chosen is Action.buy:
        reference = form.get("payment_reference", "").strip()
        if not reference:
            raise counter.MissingPayment(
                "Type the card terminal's receipt number.", field="payment_reference"
            )
        payment = InStorePaymentIn(provider=PAYMENT_PROVIDER, reference=reference)
    pickup_code = None
    identity = None
    if chosen is Action.collect:
        pickup_code = form.get("pickup_code", "").strip()[:20] or None
        if form.get("identity_checked") == "yes":
            try:
                identity = IdentityDocument(form.get("identity_document", ""))
            except ValueError:
                raise IdentityDocumentRequired(
                    "Choose the identity document you checked.", field="identity_document"
                ) from None
    return ActionIn(
        reason=form.get("reason", "").strip()[:300],
        payment=payment,
        pickup_code=pickup_code,
        identity_checked=identity,
    )


@router.post("/queue/{location_code}/fulfilments/{fulfilment_id}/{action}")
def queue_action(
    request: Request,
    edge: WebDep,
    platform: PlatformDep,
    member: Member,
    form: Form,
    location_code: str,
    fulfilment_id: str,
    action: str,
) -> Response:
    """Move a queue row on (picked, ready, customer arrived, handed over, tried, bought, put
    back...); back to the queue, which says what happened."""
    again = partial(
        _queue_page, request, edge, platform, member, location_code, failed=fulfilment_id[:26]
    )
    try:
        staff.require_store(member, location_code)
    except staff.StoreForbidden:
        return again()
    try:
        chosen = Action(action)
        if chosen not in QUEUE_ACTIONS:
            raise ValueError(action)
    except ValueError:
        return again(problem="unknown_action", status_code=422)
    try:
        data = _action_input(chosen, form)
        policy = OrderPolicy.from_settings(platform.settings)
        with platform.db.reading() as session:
            actor = staff.acting_as(session, member)

        def move(session: Session) -> dict[str, str]:
            view = orders.get_fulfilment_view(session, fulfilment_id=fulfilment_id)
            if view.location != location_code:
                raise UnknownFulfilment(
                    "This row is not in this store's queue.", field="fulfilment"
                )
            moved = orders.act(
                session,
                fulfilment_id=fulfilment_id,
                action=chosen,
                data=data,
                actor=actor,
                policy=policy,
            )
            return {"fulfilment_id": moved.id, "status": moved.status}

        run_write(
            platform.db,
            actor=actor,
            key=form.get("step_key", "").strip()[:200] or None,
            operation=f"fulfilment:{fulfilment_id}:{chosen.value}",
            payload={
                name: value for name, value in form.items() if name not in ("csrf", "step_key")
            },
            status_code=200,
            action=move,
        )
    except ValidationError:
        return again(problem="missing_payment", status_code=422)
    except InvalidTransition as error:
        return again(problem="invalid_transition", detail=error.detail, status_code=409)
    except DomainError as error:
        return again(
            problem=error.code if error.code in QUEUE_PROBLEMS else "action_refused",
            detail=error.detail,
            status_code=status_of(error),
        )
    return RedirectResponse(f"/store/queue/{location_code}?done={fulfilment_id}", status_code=303)
