"""HTTP routes of the returns module (``/v1/returns``): take a return at a counter,
authorise one by post and print its label, receive the parcel, review, inspect, refund,
exchange, cancel, close; the returns of a store, an order or a customer; the returns KPIs."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query
from fastapi.responses import Response

from omnicanal.platform.access import is_first_party
from omnicanal.platform.actors import Actor
from omnicanal.platform.bounds import Moment
from omnicanal.platform.http.deps import IdempotencyKey, PlatformDep, ReadSession, scope, write
from omnicanal.platform.http.paging import DeprecatedCursor, Paging
from omnicanal.platform.http.problems import responses
from omnicanal.platform.paging import Page
from omnicanal.returns import metrics, service
from omnicanal.returns.errors import ReturnForbidden, ReturnHasNoLabel
from omnicanal.returns.policy import ReturnPolicy
from omnicanal.returns.schemas import (
    CancelIn,
    ExchangeIn,
    InspectIn,
    RefundIn,
    ReturnIn,
    ReturnOut,
    ReturnSummary,
    ReviewIn,
    StoreCreditOut,
)
from omnicanal.returns.states import ReturnStatus
from omnicanal.returns.tokens import LABEL_MEDIA_TYPES, LabelFormat, label

router = APIRouter(prefix="/v1", tags=["returns"])


@router.post(
    "/returns",
    status_code=201,
    response_model=ReturnOut,
    responses={
        200: {"model": ReturnOut, "description": "A postal return's parcel received"},
        **responses(404, 409),
    },
)
def open_return(
    body: ReturnIn,
    platform: PlatformDep,
    idempotency_key: IdempotencyKey = None,
    actor: Actor = scope("returns:write"),
):
    """Take a return at a counter (a store key, at its store: received at once), authorise
    one by post (its label's QR code in ``authorisation``), or, with the label's ``token``,
    receive a postal return where its parcel arrived (200).

    The return rules approve it at once or send it to review (``review_pending``, with the
    reasons as codes). Never more units than the customer received, less those already
    returned or on their way back (409 ``return_quantity_exceeded``)."""
    policy = ReturnPolicy.from_settings(platform.settings)
    return write(
        platform,
        actor=actor,
        idempotency_key=idempotency_key,
        operation="open_return",
        payload=body,
        status_code=200 if body.token is not None else 201,
        action=lambda s: service.open_return(s, data=body, actor=actor, policy=policy),
    )


@router.get("/returns", response_model=Page[ReturnSummary], responses=responses())
def list_returns(
    session: ReadSession,
    paging: Paging,
    status: ReturnStatus | None = None,
    location: Annotated[str | None, Query(description="Where the units came back")] = None,
    order_id: str | None = None,
    customer_ref: str | None = None,
    after: DeprecatedCursor = None,
    actor: Actor = scope("returns:read"),
):
    """Returns by status, location, order or customer (a store key: those at its store; a
    marketplace key: those of its orders): newest first, or with ``updated_since`` those
    changed since then, oldest change first."""
    return service.list_returns(
        session,
        status=status.value if status else None,
        location=location,
        order_id=order_id,
        customer_ref=customer_ref,
        limit=paging.limit,
        starting_after=paging.starting_after or after,
        updated_since=paging.updated_since,
        actor=actor,
    )


@router.get("/returns/metrics", response_model=metrics.ReturnMetrics, responses=responses())
def return_metrics(
    session: ReadSession,
    since: Moment | None = None,
    until: Moment | None = None,
    actor: Actor = scope("returns:read"),
):
    """The returns KPIs of a period (default: the last 30 days): exchange vs refund ratio,
    return rate by channel of purchase, returns by channel and location of return, reasons,
    median time from receipt to refund, satisfaction."""
    return metrics.return_metrics(session, since=since, until=until)


@router.get("/returns/store-credit", response_model=StoreCreditOut, responses=responses())
def store_credit(
    session: ReadSession,
    customer_ref: Annotated[str, Query(min_length=1, max_length=200)],
    currency: Annotated[str, Query(pattern=r"^[A-Z]{3}$")] = "EUR",
    actor: Actor = scope("returns:read"),
):
    """A customer's store credit balance and its ledger (the retailer's own channels)."""
    if not is_first_party(actor):
        raise ReturnForbidden(
            f"A {actor.channel} key cannot read a customer's store credit.", field="customer_ref"
        )
    return service.get_store_credit(session, customer_ref=customer_ref, currency=currency)


@router.get("/returns/{return_id}", response_model=ReturnOut, responses=responses(404))
def get_return(return_id: str, session: ReadSession, actor: Actor = scope("returns:read")):
    """One return: its lines, status, history (who did each step, where), refund or
    exchange, and a postal return's authorisation."""
    return service.get_return(session, return_id=return_id, actor=actor)


def _label(fmt: LabelFormat) -> None:
    media_type = LABEL_MEDIA_TYPES[fmt]

    def endpoint(return_id: str, session: ReadSession, actor: Actor = scope("returns:read")):
        token = service.label_token(session, return_id=return_id, actor=actor)
        if token is None:
            raise ReturnHasNoLabel(
                f"Return {return_id} was taken at a counter: it has no postal label.",
                field="return_id",
            )
        body = label(token, fmt=fmt, title=f"Return {return_id}")
        return Response(
            body,
            media_type=media_type,
            headers={"Content-Disposition": f'inline; filename="return-{return_id}.{fmt}"'},
        )

    endpoint.__doc__ = (
        f"The postal return's label as {fmt.upper()}: a QR code holding its signed "
        "authorisation, scanned where the parcel arrives."
    )
    router.add_api_route(
        f"/returns/{{return_id}}/label.{fmt}",
        endpoint,
        methods=["GET"],
        name=f"get_return_label_{fmt}",
        summary=f"Return label ({fmt.upper()})",
        response_class=Response,
        responses={
            200: {"description": "The label", "content": {media_type: {}}},
            **responses(404, 409),
        },
    )


_FORMATS: tuple[LabelFormat, ...] = ("svg", "png", "pdf")
for _format in _FORMATS:
    _label(_format)


@router.post("/returns/{return_id}/review", response_model=ReturnOut, responses=responses(404, 409))
def review_return(
    return_id: str,
    body: ReviewIn,
    platform: PlatformDep,
    idempotency_key: IdempotencyKey = None,
    actor: Actor = scope("returns:review"),
):
    """Approve or refuse a return waiting for review (head office: ``returns:review``)."""
    return write(
        platform,
        actor=actor,
        idempotency_key=idempotency_key,
        operation=f"return_review:{return_id}",
        payload=body,
        action=lambda s: service.review(s, return_id=return_id, data=body, actor=actor),
    )


@router.post(
    "/returns/{return_id}/inspect", response_model=ReturnOut, responses=responses(404, 409)
)
def inspect_return(
    return_id: str,
    platform: PlatformDep,
    body: InspectIn | None = None,
    idempotency_key: IdempotencyKey = None,
    actor: Actor = scope("returns:write"),
):
    """Inspect the units where they are: resellable ones restocked there (a
    ``return_restock`` movement), damaged ones written off there."""
    data = body or InspectIn()
    return write(
        platform,
        actor=actor,
        idempotency_key=idempotency_key,
        operation=f"return_inspect:{return_id}",
        payload=body,
        action=lambda s: service.inspect(s, return_id=return_id, data=data, actor=actor),
    )


@router.post("/returns/{return_id}/refund", response_model=ReturnOut, responses=responses(404, 409))
def refund_return(
    return_id: str,
    body: RefundIn,
    platform: PlatformDep,
    idempotency_key: IdempotencyKey = None,
    actor: Actor = scope("returns:write"),
):
    """Refund an inspected return to the original payment (the order's payment goes
    partially refunded or refunded) or as store credit; once (409
    ``return_already_refunded``)."""
    return write(
        platform,
        actor=actor,
        idempotency_key=idempotency_key,
        operation=f"return_refund:{return_id}",
        payload=body,
        action=lambda s: service.refund(s, return_id=return_id, data=body, actor=actor),
    )


@router.post(
    "/returns/{return_id}/exchange", response_model=ReturnOut, responses=responses(404, 409)
)
def exchange_return(
    return_id: str,
    body: ExchangeIn,
    platform: PlatformDep,
    idempotency_key: IdempotencyKey = None,
    actor: Actor = scope("returns:write"),
):
    """Exchange the returned units for other items in one operation: a new sale (from this
    store's stock unless told), the price difference paid or given back."""
    policy = ReturnPolicy.from_settings(platform.settings)
    return write(
        platform,
        actor=actor,
        idempotency_key=idempotency_key,
        operation=f"return_exchange:{return_id}",
        payload=body,
        action=lambda s: service.exchange(
            s, return_id=return_id, data=body, actor=actor, policy=policy
        ),
    )


@router.post("/returns/{return_id}/cancel", response_model=ReturnOut, responses=responses(404, 409))
def cancel_return(
    return_id: str,
    platform: PlatformDep,
    body: CancelIn | None = None,
    idempotency_key: IdempotencyKey = None,
    actor: Actor = scope("returns:write"),
):
    """Cancel a return before inspection: the customer keeps the item."""
    data = body or CancelIn()
    return write(
        platform,
        actor=actor,
        idempotency_key=idempotency_key,
        operation=f"return_cancel:{return_id}",
        payload=body,
        action=lambda s: service.cancel_return(s, return_id=return_id, data=data, actor=actor),
    )


@router.post("/returns/{return_id}/close", response_model=ReturnOut, responses=responses(404, 409))
def close_return(
    return_id: str,
    platform: PlatformDep,
    body: CancelIn | None = None,
    idempotency_key: IdempotencyKey = None,
    actor: Actor = scope("returns:write"),
):
    """Close an inspected return without a refund or an exchange."""
    data = body or CancelIn()
    return write(
        platform,
        actor=actor,
        idempotency_key=idempotency_key,
        operation=f"return_close:{return_id}",
        payload=body,
        action=lambda s: service.close_return(s, return_id=return_id, data=data, actor=actor),
    )
