"""Opening a return: taken at a counter (received at once), authorised for the post (with a
signed label), or received where its parcel arrives (the label scanned)."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy.orm import Session

from omnicanal.catalog import service as catalog
from omnicanal.network import service as network
from omnicanal.orders import access as order_access
from omnicanal.orders.lookups import OrderRef, get_order_ref
from omnicanal.platform.actors import Actor
from omnicanal.platform.clock import utcnow
from omnicanal.platform.events import record_event
from omnicanal.platform.ids import new_id
from omnicanal.returns import access
from omnicanal.returns.errors import LocationRefusesReturns, NothingToReturn, UnknownOrderLine
from omnicanal.returns.events import ReturnRequested, ReturnReviewRequested, ReviewReasonOut
from omnicanal.returns.models import Return, ReturnLine
from omnicanal.returns.policy import ReturnPolicy
from omnicanal.returns.rules import ClaimedLine, ReturnClaim, assess, refund_share
from omnicanal.returns.schemas import ReturnIn, ReturnOut
from omnicanal.returns.service.common import (
    claim_units,
    event_fields,
    facts_of,
    lines_of,
    load_return,
    move_return,
    return_out,
    write_change,
)
from omnicanal.returns.states import ReturnStatus, check_move
from omnicanal.returns.tokens import read_token, sign_token

__all__ = ["open_return", "receive_parcel"]

COUNTER, POST = "store", "post"


def _accepting(session: Session, code: str) -> str:
    """The location ``code``, refused unless it is open and accepts returns."""
    location = network.get_location(session, code)
    if not (location.accepts_returns and location.active):
        raise LocationRefusesReturns(
            f"{location.code} does not accept returns: take it at a store that does, or by post.",
            field="location",
            location=location.code,
        )
    return location.code


def _order_facts(order: OrderRef) -> order_access.OrderFacts:
    return order_access.OrderFacts(id=order.id, owner=order.owner)


def _is_counter(data: ReturnIn, actor: Actor) -> bool:
    if data.method is not None:
        return data.method == "counter"
    return actor.location_code is not None


def open_return(
    session: Session,
    *,
    data: ReturnIn,
    actor: Actor,
    policy: ReturnPolicy,
    now: datetime | None = None,
) -> ReturnOut:
    """Take a return at a counter or authorise one by post (or, with a token, receive a
    postal return): the rules approve it or send it to review, in one transaction."""
    now = now or utcnow()
    if data.token is not None:
        return receive_parcel(session, data=data, actor=actor, policy=policy, now=now)
    assert data.order_id is not None and data.lines is not None
    counter = _is_counter(data, actor)
    order = get_order_ref(session, data.order_id, lock=True)
    access.check_open(actor, _order_facts(order), counter=counter)
    location = access.opening_location(actor, counter=counter, requested=data.location)
    if location is not None:
        location = _accepting(session, location)
    for index, item in enumerate(data.lines):
        if order.line(item.order_line_id) is None:
            raise UnknownOrderLine(
                f"Order {order.id} has no line {item.order_line_id!r}.",
                field=f"lines[{index}].order_line_id",
            )
    if not any(line.left_quantity for line in order.lines):
        raise NothingToReturn(
            f"Nothing of order {order.id} has reached the customer yet: cancel the order "
            "(or the line) instead.",
            field="order_id",
            order_status=order.status,
        )
    wanted: dict[str, int] = {}
    for item in data.lines:
        wanted[item.order_line_id] = wanted.get(item.order_line_id, 0) + item.quantity
    claimed_before = claim_units(
        session,
        order_id=order.id,
        wanted=wanted,
        returnable={line.id: line.left_quantity for line in order.lines},
    )
    categories = {
        sku: variant.category
        for sku, variant in catalog.resolve_skus(
            session, [line.sku for line in order.lines]
        ).items()
    }
    row = Return(
        id=new_id(),
        order_id=order.id,
        customer_ref=order.customer_ref,
        purchase_channel=order.channel,
        purchase_channel_kind=order.channel_kind,
        purchase_location=order.location_code,
        order_placed_by=order.placed_by,
        order_placed_at=order.placed_at,
        return_channel=COUNTER if counter else POST,
        location_code=location,
        requested_channel=actor.channel,
        requested_location=actor.location_code,
        requested_by=actor.label,
        status=ReturnStatus.requested.value,
        currency=order.currency,
        value_minor=0,
        review_reasons=[],
        satisfaction=data.satisfaction,
        note=data.note,
        requested_at=now,
        received_at=now if counter else None,
        updated_at=now,
    )
    session.add(row)
    session.flush()
    claims = []
    already = dict(claimed_before)
    for position, item in enumerate(data.lines, start=1):
        bought = order.line(item.order_line_id)
        assert bought is not None
        value = refund_share(
            line_total_minor=bought.total_minor,
            line_quantity=bought.quantity,
            quantity=item.quantity,
            already=already[bought.id],
        )
        already[bought.id] += item.quantity
        session.add(
            ReturnLine(
                return_id=row.id,
                order_line_id=bought.id,
                position=position,
                sku=bought.sku,
                quantity=item.quantity,
                reason=item.reason.value,
                condition=item.condition.value,
                value_minor=value,
            )
        )
        claims.append(
            ClaimedLine(
                order_line_id=bought.id,
                category=categories.get(bought.sku, ""),
                quantity=item.quantity,
                refund_minor=value,
                condition=item.condition,
                received_at=bought.left_at or order.placed_at,
            )
        )
    assessment = assess(
        ReturnClaim(
            channel=order.channel,
            at=now,
            lines=claims,
            high_value_customer=data.high_value_customer,
        ),
        policy.rules,
    )
    row.value_minor = sum(claim.refund_minor for claim in claims)
    row.review_reasons = [reason.as_dict() for reason in assessment.reasons]
    if not assessment.approved:
        row.status = ReturnStatus.review_pending.value
    elif counter:
        row.status = ReturnStatus.received.value
    if not counter:
        row.authorisation_token = sign_token(row.id, secret_key=policy.secret_key, now=now)
        row.authorisation_expires_at = now + timedelta(days=policy.authorisation_days)
    session.flush()
    lines = lines_of(session, row.id)
    requested = ReturnRequested(
        **event_fields(row, lines),
        method="counter" if counter else "post",
        value_minor=row.value_minor,
        currency=row.currency,
    )
    write_change(session, row, None, requested, actor=actor, now=now, reason=data.note)
    if not assessment.approved:
        reasons = [ReviewReasonOut.model_validate(reason) for reason in row.review_reasons]
        record_event(
            session,
            ReturnReviewRequested(**event_fields(row, lines), reasons=reasons),
            actor=actor,
        )
    return return_out(session, row)


def receive_parcel(
    session: Session,
    *,
    data: ReturnIn,
    actor: Actor,
    policy: ReturnPolicy,
    now: datetime | None = None,
) -> ReturnOut:
    """A postal return's parcel arrived: its label's token names the return, the key's
    location (or the operator's) is where it now is."""
    now = now or utcnow()
    assert data.token is not None
    return_id = read_token(
        data.token, secret_key=policy.secret_key, valid_days=policy.authorisation_days, now=now
    )
    row = load_return(session, return_id, lock=True)
    # The signed label is the authority to receive the parcel: the receiving location need
    # not read the order's returns otherwise.
    location = _accepting(
        session, access.check_receive(actor, facts_of(row), requested=data.location)
    )
    check_move(ReturnStatus(row.status), ReturnStatus.received)
    row.location_code = location
    row.received_at = now
    if data.satisfaction is not None:
        row.satisfaction = data.satisfaction
    move_return(
        session, row, ReturnStatus.received, actor=actor, now=now, reason=data.note or "parcel"
    )
    return return_out(session, row)
