"""What happens to a return after it is opened: review, inspection (restock or write-off
where the units are), refund (original payment or store credit), exchange in one go,
cancel and close. Each use case locks the return first, checks the caller, then moves it
through its lifecycle in one transaction."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from omnicanal.fulfilment.states import Method
from omnicanal.inventory import service as inventory
from omnicanal.orders import service as orders
from omnicanal.orders.errors import PaymentRequired
from omnicanal.orders.lookups import get_order_ref
from omnicanal.orders.schemas import CheckoutIn, CheckoutLineIn, FulfilmentChoice, PaymentIn
from omnicanal.platform.access import is_privileged
from omnicanal.platform.actors import Actor, ChannelKind
from omnicanal.platform.auth import require_scope
from omnicanal.platform.clock import utcnow
from omnicanal.returns import access
from omnicanal.returns.errors import (
    InspectionMismatch,
    InvalidReturnTransition,
    ReturnAlreadyRefunded,
    StoreCreditNeedsCustomer,
)
from omnicanal.returns.models import Return, ReturnLine
from omnicanal.returns.policy import ReturnPolicy
from omnicanal.returns.rules import Condition
from omnicanal.returns.schemas import (
    CancelIn,
    ExchangeIn,
    InspectIn,
    InspectLineIn,
    RefundIn,
    ReturnOut,
    ReviewIn,
)
from omnicanal.returns.service.common import (
    facts_of,
    lines_of,
    load_return,
    move_return,
    release_units,
    return_out,
)
from omnicanal.returns.service.credit import add_store_credit
from omnicanal.returns.states import ReturnStatus, check_move

__all__ = ["cancel_return", "close_return", "exchange", "inspect", "refund", "review"]

ORIGINAL_PAYMENT, STORE_CREDIT = "original_payment", "store_credit"
EXCHANGE_PROVIDER = "exchange"


def review(
    session: Session,
    *,
    return_id: str,
    data: ReviewIn,
    actor: Actor,
    now: datetime | None = None,
) -> ReturnOut:
    """Approve or refuse a return the rules sent to review; a refused one gives its units
    back to the order."""
    now = now or utcnow()
    require_scope(actor, access.REVIEW_SCOPE)
    row = load_return(session, return_id, lock=True)
    access.check_readable(actor, facts_of(row))
    if data.decision == "approve":
        move_return(
            session,
            row,
            ReturnStatus.approved,
            actor=actor,
            now=now,
            reason=data.note,
            details={"note": data.note},
        )
    else:
        check_move(ReturnStatus(row.status), ReturnStatus.refused)
        release_units(session, lines_of(session, row.id))
        row.resolved_at = now
        move_return(
            session,
            row,
            ReturnStatus.refused,
            actor=actor,
            now=now,
            reason=data.note,
            details={"note": data.note},
        )
    return return_out(session, row)


def _findings(lines: list[ReturnLine], given: list[InspectLineIn]) -> dict[str, tuple[int, int]]:
    """(resellable, damaged) units of each line: as inspected when given, else as declared
    (unworn and worn units resellable, damaged ones not)."""
    by_id = {line.id: line for line in lines}
    found: dict[str, tuple[int, int]] = {}
    for index, item in enumerate(given):
        line = by_id.get(item.line_id)
        if line is None:
            raise InspectionMismatch(
                f"The return has no line {item.line_id!r}.", field=f"lines[{index}].line_id"
            )
        if item.resellable + item.damaged != line.quantity:
            raise InspectionMismatch(
                f"Line {line.id} returns {line.quantity} unit(s): resellable and damaged must "
                f"add up to it (not {item.resellable} + {item.damaged}).",
                field=f"lines[{index}]",
            )
        found[line.id] = (item.resellable, item.damaged)
    for line in lines:
        if line.id not in found:
            damaged = line.condition == Condition.damaged.value
            found[line.id] = (0, line.quantity) if damaged else (line.quantity, 0)
    return found


def _held(row: Return) -> bool:
    """The units are in our hands (taken at a counter, or their parcel received)."""
    return row.received_at is not None and row.location_code is not None


def _inspect(
    session: Session,
    row: Return,
    given: list[InspectLineIn],
    *,
    note: str,
    actor: Actor,
    now: datetime,
) -> None:
    check_move(ReturnStatus(row.status), ReturnStatus.inspected)
    if not _held(row):
        raise InvalidReturnTransition(
            f"Return {row.id} has not arrived yet: receive its parcel first.",
            field="status",
            current_status=row.status,
            target=ReturnStatus.inspected.value,
        )
    assert row.location_code is not None
    lines = lines_of(session, row.id)
    found = _findings(lines, given)
    restocked = written_off = 0
    for line in lines:
        resellable, damaged = found[line.id]
        line.resellable_quantity, line.damaged_quantity = resellable, damaged
        inventory.receive_returned(
            session,
            sku=line.sku,
            location_code=row.location_code,
            resellable=resellable,
            damaged=damaged,
            reason=f"return {row.id}",
            reference=row.id,
            actor=actor,
        )
        restocked += resellable
        written_off += damaged
    row.inspected_at = now
    move_return(
        session,
        row,
        ReturnStatus.inspected,
        actor=actor,
        now=now,
        reason=note,
        details={"restocked": restocked, "written_off": written_off},
    )


def inspect(
    session: Session,
    *,
    return_id: str,
    data: InspectIn,
    actor: Actor,
    now: datetime | None = None,
) -> ReturnOut:
    """Inspect the returned units where they are: resellable ones back in that location's
    stock (``return_restock``), damaged ones written off there."""
    now = now or utcnow()
    row = load_return(session, return_id, lock=True)
    access.check_handle(actor, facts_of(row), doing="inspect")
    _inspect(session, row, data.lines, note=data.note, actor=actor, now=now)
    return return_out(session, row)


def _refunded_units(session: Session, order_id: str) -> dict[str, int]:
    """Units of each order line refunded to the original payment by the order's returns."""
    rows = session.execute(
        select(ReturnLine.order_line_id, func.sum(ReturnLine.quantity))
        .join(Return, Return.id == ReturnLine.return_id)
        .where(
            Return.order_id == order_id,
            Return.status == ReturnStatus.refunded.value,
            Return.refund_method == ORIGINAL_PAYMENT,
        )
        .group_by(ReturnLine.order_line_id)
    )
    return {line_id: int(quantity) for line_id, quantity in rows}


def _refund_payment(session: Session, row: Return, *, actor: Actor, whole: bool) -> None:
    """Move the order's payment to refunded once every unit it holds came back refunded
    (``whole``: this refund is of the return's whole value), partially refunded before."""
    order = get_order_ref(session, row.order_id)
    refunded = _refunded_units(session, row.order_id)
    if whole:
        for line in lines_of(session, row.id):
            refunded[line.order_line_id] = refunded.get(line.order_line_id, 0) + line.quantity
    full = whole and all(
        refunded.get(line.id, 0) + line.cancelled_quantity >= line.quantity for line in order.lines
    )
    orders.record_refund(session, order_id=row.order_id, full=full, actor=actor)


def _give_back(
    session: Session,
    row: Return,
    *,
    method: str,
    amount_minor: int,
    provider: str | None,
    reference: str | None,
    whole: bool,
    actor: Actor,
    now: datetime,
) -> None:
    """Give ``amount_minor`` back: to the original payment, or as the customer's store
    credit; recorded on the return."""
    if method == STORE_CREDIT:
        if row.customer_ref is None:
            raise StoreCreditNeedsCustomer(
                f"Order {row.order_id} has no customer reference: refund it to the original "
                "payment.",
                field="method",
            )
        add_store_credit(
            session,
            customer_ref=row.customer_ref,
            currency=row.currency,
            amount_minor=amount_minor,
            reason=f"return {row.id}",
            return_id=row.id,
            actor=actor,
            now=now,
        )
    else:
        _refund_payment(session, row, actor=actor, whole=whole)
    row.refund_method = method
    row.refunded_minor = amount_minor
    row.refund_provider = provider
    row.refund_reference = reference


def refund(
    session: Session,
    *,
    return_id: str,
    data: RefundIn,
    actor: Actor,
    now: datetime | None = None,
) -> ReturnOut:
    """Refund an inspected return, once: to the original payment (the order's payment goes
    partially refunded or refunded) or as store credit."""
    now = now or utcnow()
    row = load_return(session, return_id, lock=True)
    access.check_handle(actor, facts_of(row), doing="refund")
    if row.status == ReturnStatus.refunded.value:
        raise ReturnAlreadyRefunded(
            f"Return {row.id} was already refunded ({row.refunded_minor} by {row.refund_method}).",
            field="id",
        )
    check_move(ReturnStatus(row.status), ReturnStatus.refunded)
    _give_back(
        session,
        row,
        method=data.method,
        amount_minor=row.value_minor,
        provider=data.provider,
        reference=data.reference,
        whole=True,
        actor=actor,
        now=now,
    )
    row.resolved_at = now
    move_return(
        session,
        row,
        ReturnStatus.refunded,
        actor=actor,
        now=now,
        details={
            "method": data.method,
            "amount_minor": row.value_minor,
            "currency": row.currency,
            "reference": data.reference,
        },
    )
    return return_out(session, row)


def _sale(row: Return, data: ExchangeIn, actor: Actor) -> CheckoutIn:
    """The new sale: the exchanged items, carried out of the returning store unless told,
    paid by the returned value (and the customer's payment of any difference)."""
    payment = data.payment or PaymentIn(
        provider=EXCHANGE_PROVIDER, reference=f"return-{row.id}", status="captured"
    )
    return CheckoutIn(
        lines=[CheckoutLineIn(sku=line.sku, quantity=line.quantity) for line in data.lines],
        # The operator sells for the stores; a key sells on its own channel.
        channel=ChannelKind.store.value if is_privileged(actor) else None,
        customer_ref=row.customer_ref,
        currency=row.currency,
        fulfilment=data.fulfilment
        or FulfilmentChoice(method=Method.carry_out, location=row.location_code),
        delivery_address=data.delivery_address,
        payment=payment,
    )


def exchange(
    session: Session,
    *,
    return_id: str,
    data: ExchangeIn,
    actor: Actor,
    policy: ReturnPolicy,
    now: datetime | None = None,
) -> ReturnOut:
    """Exchange returned units for other items in one transaction: inspect them (unless
    done), sell the new items through checkout (from this store's stock by default), charge
    or give back the price difference. Any refusal leaves everything as it was."""
    now = now or utcnow()
    row = load_return(session, return_id, lock=True)
    access.check_handle(actor, facts_of(row), doing="exchange")
    check_move(ReturnStatus(row.status), ReturnStatus.exchanged)
    if row.status != ReturnStatus.inspected.value:
        _inspect(session, row, data.inspection, note="exchange", actor=actor, now=now)
    sale = orders.checkout(
        session, data=_sale(row, data, actor), actor=actor, policy=policy.orders, now=now
    )
    difference = sale.total_minor - row.value_minor
    if difference > 0 and data.payment is None:
        raise _difference_unpaid(difference, row.currency)
    if difference < 0:
        given = data.refund or RefundIn(method=STORE_CREDIT)
        _give_back(
            session,
            row,
            method=given.method,
            amount_minor=-difference,
            provider=given.provider,
            reference=given.reference,
            whole=False,
            actor=actor,
            now=now,
        )
    row.exchange_order_id = sale.id
    row.price_difference_minor = difference
    row.resolved_at = now
    move_return(
        session,
        row,
        ReturnStatus.exchanged,
        actor=actor,
        now=now,
        details={
            "new_order_id": sale.id,
            "price_difference_minor": difference,
            "currency": row.currency,
            "new_skus": [line.sku for line in sale.lines],
        },
    )
    return return_out(session, row)


def _difference_unpaid(difference: int, currency: str) -> PaymentRequired:
    """The customer owes a difference but no payment of it was sent."""
    return PaymentRequired(
        f"The new items cost {difference} {currency} minor units more than the returned "
        "ones: send the customer's payment of the difference.",
        field="payment",
        difference_minor=difference,
    )


def cancel_return(
    session: Session,
    *,
    return_id: str,
    data: CancelIn,
    actor: Actor,
    now: datetime | None = None,
) -> ReturnOut:
    """Cancel a return before inspection: the customer keeps the item, the units may be
    returned again later."""
    now = now or utcnow()
    row = load_return(session, return_id, lock=True)
    access.check_cancel(actor, facts_of(row))
    check_move(ReturnStatus(row.status), ReturnStatus.cancelled)
    release_units(session, lines_of(session, row.id))
    row.resolved_at = now
    move_return(
        session,
        row,
        ReturnStatus.cancelled,
        actor=actor,
        now=now,
        reason=data.note,
        details={"note": data.note},
    )
    return return_out(session, row)


def close_return(
    session: Session,
    *,
    return_id: str,
    data: CancelIn,
    actor: Actor,
    now: datetime | None = None,
) -> ReturnOut:
    """Close an inspected return without a refund or an exchange."""
    now = now or utcnow()
    row = load_return(session, return_id, lock=True)
    access.check_handle(actor, facts_of(row), doing="close")
    row.resolved_at = now
    move_return(
        session,
        row,
        ReturnStatus.closed,
        actor=actor,
        now=now,
        reason=data.note,
        details={"note": data.note},
    )
    return return_out(session, row)
