"""The win-back: a person whose last purchase is the trigger's ``days`` old is written to,
once per last purchase. No event announces it: a daily scan looks at the orders placed
``days`` ago (and a little before, :data:`WIN_BACK_WINDOW`, for a day the worker missed), and
plans the message of each customer who has bought nothing since. A purchase before the
message leaves withdraws it (the policy's ``ordered_since``).
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy.orm import Session

from omnicanal.customers import service as customers
from omnicanal.engagement.planning import plan
from omnicanal.engagement.recipients import reachable_person
from omnicanal.engagement.triggers import active_triggers, ensure_defaults
from omnicanal.orders import sales
from omnicanal.platform.clock import as_utc

__all__ = ["WIN_BACK_WINDOW", "scan_win_back"]

WIN_BACK_WINDOW = timedelta(days=2)
"""How far back the daily win-back scan looks past ``days``: a day it missed (the worker
was down) is caught up the next; the dedupe key keeps it to one message per lapse."""


def scan_win_back(session: Session, *, now: datetime, region: str) -> int:
    """Plan the win-back message of each person whose last purchase is the trigger's
    ``days`` old (within :data:`WIN_BACK_WINDOW`), once per last purchase; how many were
    planned."""
    ensure_defaults(session)
    done = 0
    for trigger in active_triggers(session, "win_back"):
        until = now - timedelta(days=trigger.setting("days"))
        lapsed = sales.orders_sold(session, placed_from=until - WIN_BACK_WINDOW, placed_until=until)
        latest: dict[str, sales.SoldOrder] = {}
        for order in lapsed:
            if order.customer_ref:
                latest[order.customer_ref] = order  # oldest first: the last one stays
        for reference, order in latest.items():
            person = reachable_person(session, reference, region=region)
            if person is None:
                continue
            since = as_utc(order.placed_at)
            bought_since = sales.orders_sold(
                session,
                placed_from=since + timedelta(microseconds=1),
                placed_until=now + timedelta(seconds=1),
                customer_refs=customers.reference_forms(session, profile_id=person),
            )
            if bought_since:
                continue
            subject = f"profiles/{person}"
            message = plan(
                session,
                trigger=trigger,
                profile_id=person,
                subject=subject,
                dedupe_key=f"{trigger.code}:{subject}:{order.id}",
                reason_since=since,
                due_at=now + trigger.delay,
                context={
                    "last_order_id": order.id,
                    "last_order_at": since.isoformat(),
                    "days": trigger.setting("days"),
                },
                cause_event_id=None,
                now=now,
            )
            done += message is not None
    return done
