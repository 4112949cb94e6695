"""The store's queue (``/store/queue``): pickups waiting and for how long, reservations to
try, orders to pick, and each row's next step as a button.

Each page reads through the modules' public service functions; no rule lives here.
"""

from __future__ import annotations

from functools import partial

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse, Response
from pydantic import ValidationError

from omnicanal.catalog import service as catalog
from omnicanal.fulfilment.errors import InvalidTransition, UnknownFulfilment
from omnicanal.fulfilment.schemas import ActionIn, InStorePaymentIn
from omnicanal.fulfilment.states import Action, FulfilmentStatus, Method
from omnicanal.network import service as network
from omnicanal.network.errors import UnknownLocation
from omnicanal.orders import service as orders
from omnicanal.orders.policy import OrderPolicy
from omnicanal.platform import audit
from omnicanal.platform.errors import DomainError
from omnicanal.platform.http.deps import PlatformDep
from omnicanal.platform.http.problems import status_of
from omnicanal.staff import service as staff
from omnicanal.web import counter
from omnicanal.web.edge import Form, Member, WebDep

__all__ = ["router"]

router = APIRouter()  # included by the store router, under /store

WAITING = (FulfilmentStatus.checked_in, FulfilmentStatus.ready_for_pickup)
TO_PICK = (FulfilmentStatus.allocated, FulfilmentStatus.picking)
TO_TRY = (FulfilmentStatus.held, FulfilmentStatus.tried)
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
)
PAYMENT_PROVIDER = counter.PAYMENT_PROVIDER
QUEUE_PROBLEMS = frozenset(
    {"missing_payment", "no_store", "location_forbidden", "unknown_fulfilment"}
)


@router.get("/queue")
def own_queue(member: Member) -> Response:
    """The queue of the clerk's own store."""
    if member.location_code is None:
        return RedirectResponse("/store", status_code=303)
    return RedirectResponse(f"/store/queue/{member.location_code}", status_code=303)


def _queue_page(
    request: Request,
    edge: WebDep,
    platform: PlatformDep,
    member: staff.StaffMember,
    location_code: str,
    *,
    problem: str | None = None,
    detail: str = "",
    status_code: int = 200,
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
    with platform.db.reading() as session:
        try:
            location = network.get_location(session, location_code)
        except UnknownLocation:
            return edge.renderer.render(
                request, "store/error.html", {"problem": "unknown_store"}, status_code=404
            )

        def rows(statuses: tuple[FulfilmentStatus, ...], method: Method | None = None) -> list:
            return [
                row
                for status in statuses
                for row in orders.list_fulfilment_views(
                    session,
                    location_code=location.code,
                    status=status.value,
                    method=method.value if method else None,
                )
            ]

        waiting = rows(WAITING, Method.pickup)
        to_try = rows(TO_TRY, Method.reserve_and_try)
        to_pick = [row for row in rows(TO_PICK) if row.method != Method.carry_out.value]
        skus = {line.sku for row in (*waiting, *to_try, *to_pick) for line in row.lines}
        names = catalog.product_names(session, sorted(skus))
    waiting.sort(key=lambda row: row.checked_in_at or row.ready_at or row.created_at)
    to_try.sort(key=lambda row: row.due_at or row.created_at)
    to_pick.sort(key=lambda row: row.created_at)
    return edge.renderer.render(
        request,
        "store/queue.html",
        {
            "location": location,
            "waiting": waiting,
            "to_try": to_try,
            "to_pick": to_pick,
            "product_names": names,
            "queue_actions": [action.value for action in QUEUE_ACTIONS],
            "can_act": member.location_code == location.code,
            "problem": problem,
            "problem_detail": detail,
        },
        status_code=status_code,
    )


@router.get("/queue/{location_code}")
def queue(
    request: Request, edge: WebDep, platform: PlatformDep, member: Member, location_code: str
) -> Response:
    """Customers waiting for their pickup (and for how long), reservations to try (and until
    when), and the orders to pick."""
    return _queue_page(request, edge, platform, member, location_code)


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
    """Move a queue row on (picked, ready, customer arrived, handed over, tried, bought...)."""
    again = partial(_queue_page, request, edge, platform, member, location_code)
    try:
        staff.require_store(member, location_code)
    except staff.StoreForbidden:
        return again()
    try:
        chosen = Action(action)
        if chosen not in QUEUE_ACTIONS:
            raise ValueError(action)
    except ValueError:
        return again(
            problem="unknown_action",
            status_code=422,
        )
    reference = form.get("payment_reference", "").strip()
    try:
        payment = None
        if chosen is Action.buy:
            if not reference:
                raise counter.MissingPayment(
                    "Type the card terminal's receipt number.", field="payment_reference"
                )
            payment = InStorePaymentIn(provider=PAYMENT_PROVIDER, reference=reference)
        data = ActionIn(reason=form.get("reason", "").strip()[:300], payment=payment)
        policy = OrderPolicy.from_settings(platform.settings)
        with platform.db.transaction() as session:
            actor = staff.acting_as(session, member)
            view = orders.get_fulfilment_view(session, fulfilment_id=fulfilment_id)
            if view.location != location_code:
                raise UnknownFulfilment(
                    "This row is not in this store's queue.", field="fulfilment"
                )
            orders.act(
                session,
                fulfilment_id=fulfilment_id,
                action=chosen,
                data=data,
                actor=actor,
                policy=policy,
            )
            audit.record(
                session, actor=actor, operation=f"fulfilment:{fulfilment_id}:{chosen.value}"
            )
    except ValidationError:
        return again(
            problem="missing_payment",
            status_code=422,
        )
    except InvalidTransition as error:
        return again(
            problem="invalid_transition",
            detail=error.detail,
            status_code=409,
        )
    except DomainError as error:
        return again(
            problem=error.code if error.code in QUEUE_PROBLEMS else "action_refused",
            detail=error.detail,
            status_code=status_of(error),
        )
    return RedirectResponse(f"/store/queue/{location_code}", status_code=303)
