"""The abandoned-cart reminder: one per cart, due the trigger's delay after the cart's last
change, moved by each change.

A cart is reminded of when it is open, has lines, and belongs to a person who can be
reached: the customer it is filed under, or its visitor once they are known (a tracked
``identify`` linking the visitor's cookie to their e-mail: ``customer.identified``). The
reminder is planned at the first change, then each change moves it; once it was sent,
withheld or withdrawn, the cart is not reminded of again.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from omnicanal.carts.schemas import CartOut
from omnicanal.customers.events import CustomerIdentified
from omnicanal.engagement.deciding import PENDING, note_planned
from omnicanal.engagement.planning import plan, planned
from omnicanal.engagement.recipients import (
    cart_read,
    is_reachable,
    reachable_person,
    visitor_cart,
)
from omnicanal.engagement.triggers import TriggerRef, active_triggers
from omnicanal.platform.clock import as_utc
from omnicanal.platform.events import Event

__all__ = ["cart_changed", "visitor_identified"]


def _cart_person(session: Session, cart: CartOut, *, region: str) -> str | None:
    """The reachable person a cart belongs to: its customer, else its visitor once known."""
    found = reachable_person(session, cart.customer_ref, region=region)
    if found is None and cart.anonymous_id:
        found = reachable_person(session, f"anonymous_id:{cart.anonymous_id}", region=region)
    return found


def _cart_context(cart: CartOut) -> dict[str, Any]:
    return {
        "cart_id": cart.id,
        "channel": cart.channel,
        "currency": cart.currency,
        "lines": [{"sku": line.sku, "quantity": line.quantity} for line in cart.lines],
    }


def _remind(
    session: Session,
    trigger: TriggerRef,
    cart: CartOut,
    *,
    profile_id: str,
    event: Event,
    now: datetime,
) -> None:
    """Plan the cart's reminder, or move it to the cart's last change + the delay."""
    subject = f"carts/{cart.id}"
    key = f"{trigger.code}:{subject}"
    last_change = as_utc(cart.updated_at)
    due_at = last_change + trigger.delay
    message = planned(session, key)
    if message is None:
        plan(
            session,
            trigger=trigger,
            profile_id=profile_id,
            subject=subject,
            dedupe_key=key,
            reason_since=last_change,
            due_at=due_at,
            context=_cart_context(cart),
            cause_event_id=event.id,
            now=now,
        )
        return
    if message.status not in PENDING or due_at <= as_utc(message.due_at):
        return
    # The cart changed again: the reminder waits for the delay after this change.
    message.due_at = due_at
    message.reason_since = last_change
    message.context = _cart_context(cart)
    message.profile_id = profile_id
    session.flush()
    note_planned(session, message)


def cart_changed(
    session: Session,
    event: Event,
    cart_id: str,
    *,
    region: str,
    now: datetime,
    profile_id: str | None = None,
) -> None:
    """The cart changed (``event``): plan its reminder, or move it (``profile_id``: the
    person it is now known to be theirs)."""
    cart = cart_read(session, cart_id)
    if cart is None or cart.status != "open" or not cart.lines:
        return
    person = profile_id if profile_id is not None else _cart_person(session, cart, region=region)
    if person is None or not is_reachable(session, person):
        return
    for trigger in active_triggers(session, "abandoned_cart"):
        _remind(session, trigger, cart, profile_id=person, event=event, now=now)


def visitor_identified(
    session: Session, event: Event, payload: CustomerIdentified, *, region: str, now: datetime
) -> None:
    """A visitor became a known person: the open carts they left are theirs to be reminded
    of."""
    for anonymous_id in dict.fromkeys(payload.anonymous_ids):
        cart = visitor_cart(session, anonymous_id)
        if cart is not None and cart.customer_ref is None:
            cart_changed(
                session, event, cart.id, region=region, now=now, profile_id=payload.profile_id
            )
