"""The audit log: who changed orders, payments, stock, prices, promotions and identities, what,
when and from where.

A change is recorded in the same transaction as the change itself (the write wrapper and the
pages' writes call :func:`record`), so a committed change always has its row and a rolled-back
one never does. A refused write changes nothing, this table included: :func:`log_refusal`
writes the attempt (who, what, the refusal's code, from where) to the ``omnicanal.audit``
application log instead.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime
from typing import Any, cast

from sqlalchemy import String, Table, delete, insert, or_, select
from sqlalchemy.orm import Mapped, Session, mapped_column

from omnicanal.platform.actors import Actor
from omnicanal.platform.clock import utcnow
from omnicanal.platform.db import Base, rowcount
from omnicanal.platform.ids import new_id
from omnicanal.platform.types import UtcDateTime

__all__ = [
    "AUDITED",
    "SUCCEEDED",
    "AuditEntry",
    "AuditRow",
    "audited_resource",
    "list_entries",
    "log_refusal",
    "purge_entries",
    "record",
]

log = logging.getLogger("omnicanal.audit")

SUCCEEDED = "succeeded"

# The operations the log keeps, by their first word, and the kind of thing each changes.
AUDITED: dict[str, str] = {
    "checkout": "order",
    "store_sale": "order",
    "cancel_order": "order",
    "order_payment": "order",
    "fulfilment": "fulfilment",
    "record_movement": "stock",
    "stock_settings": "stock",
    "reserve": "reservation",
    "confirm": "reservation",
    "release": "reservation",
    "set_price_override": "price_override",
    "end_price_override": "price_override",
    "create_promotion": "promotion",
    "unmerge": "profile",
    "erase": "profile",
    "review": "identity_review",
    "return_review": "return",
    "create_product": "product",
    "create_location": "location",
    "update_location": "location",
    "create_channel": "channel",
    "set_channel_locations": "channel",
    "api_key": "api_key",
    "staff": "staff",
    "store_return_open": "return",
    "store_return": "return",
    "loyalty_programme": "loyalty_programme",
    "loyalty_enrol": "loyalty_member",
    "loyalty_adjust": "loyalty_member",
    "loyalty_redeem": "loyalty_redemption",
    "loyalty_release": "loyalty_redemption",
    "product_review": "product_review",
    "message_trigger": "message_trigger",
    "message_template": "message_template",
    "message_segment": "message_segment",
    "message_policy": "message_policy",
    "stock_watch": "stock_watch",
    "import_products": "product",
    "import_stock": "stock",
    "import_prices": "list_price",
    "export_customers": "profile",
    "webhook_endpoint": "webhook_endpoint",
    "webhook_replay": "webhook_delivery",
    "pilot": "pilot",
}


class AuditEntry(Base):
    """One change (or refused change) by an API key, a staff member or the operator."""

    __tablename__ = "audit_log"

    id: Mapped[str] = mapped_column(String(26), primary_key=True, default=new_id)
    at: Mapped[datetime] = mapped_column(UtcDateTime(), default=utcnow, index=True)
    actor: Mapped[str] = mapped_column(String(300), index=True)
    key_id: Mapped[str | None] = mapped_column(String(26))
    staff_id: Mapped[str | None] = mapped_column(String(26))
    channel: Mapped[str] = mapped_column(String(30))
    location_code: Mapped[str | None] = mapped_column(String(50))
    operation: Mapped[str] = mapped_column(String(200))
    resource_type: Mapped[str] = mapped_column(String(40), index=True)
    resource_id: Mapped[str] = mapped_column(String(200), default="")
    outcome: Mapped[str] = mapped_column(String(60))
    address: Mapped[str] = mapped_column(String(100), default="")
    user_agent: Mapped[str] = mapped_column(String(300), default="")


_INSERT_ENTRY = insert(cast(Table, AuditEntry.__table__))


@dataclass(frozen=True)
class AuditRow:
    """An entry of the log as people read it."""

    at: datetime
    actor: str
    key_id: str | None
    staff_id: str | None
    channel: str
    location_code: str | None
    operation: str
    resource_type: str
    resource_id: str
    outcome: str
    address: str
    user_agent: str


def audited_resource(operation: str) -> str | None:
    """The kind of thing an operation changes, if the log keeps it."""
    return AUDITED.get(operation.split(":", 1)[0])


# Operations that make a new thing: the log names what they made (a counter sale's operation
# is named by its customer, its entry by the order it placed).
_CREATES = frozenset(
    {
        "checkout",
        "store_sale",
        "store_return_open",
        "loyalty_programme",
        "loyalty_enrol",
        "loyalty_redeem",
        "create_promotion",
        "create_product",
        "create_location",
        "create_channel",
        "set_price_override",
        "stock_watch",
        "pilot",
    }
)


def _resource_id(operation: str, body: Any) -> str:
    head, _, rest = operation.partition(":")
    made = _named_in(body) if head in _CREATES else ""
    if made:
        return made
    if rest:
        # "fulfilment:ID:pick", "staff:ID:disable": the id, then the action; a stock setting
        # is named by its SKU and location together.
        return rest if head == "stock_settings" else rest.split(":", 1)[0]
    if isinstance(body, list):
        # Stock movements (a transfer is two): the SKU at each location they touched.
        places = {
            f"{item['sku']}@{item['location']}"
            for item in body
            if isinstance(item, dict) and "sku" in item and "location" in item
        }
        return ",".join(sorted(places))
    return _named_in(body)


def _named_in(body: Any) -> str:
    """The id an answer names, if any."""
    if isinstance(body, dict):
        for name in ("id", "order_id", "promotion_id", "override_id"):
            if isinstance(body.get(name), str):
                return str(body[name])
    return ""


def record(
    session: Session,
    *,
    actor: Actor,
    operation: str,
    outcome: str = SUCCEEDED,
    body: Any = None,
    resource_id: str | None = None,
    at: datetime | None = None,
) -> bool:
    """Add the entry of one write to the transaction of ``session``; whether the log keeps
    this operation at all."""
    resource_type = audited_resource(operation)
    if resource_type is None:
        return False
    session.flush()
    # A Core INSERT on the session's connection: every audited write pays it, and the ORM's
    # unit of work for one row costs several times the statement itself.
    session.connection().execute(
        _INSERT_ENTRY,
        {
            "id": new_id(),
            "at": at or utcnow(),
            "actor": actor.label[:300],
            "key_id": actor.key_id,
            "staff_id": actor.staff_id,
            "channel": actor.channel[:30],
            "location_code": actor.location_code,
            "operation": operation[:200],
            "resource_type": resource_type,
            "resource_id": (resource_id or _resource_id(operation, body))[:200],
            "outcome": outcome[:60],
            "address": (actor.address or "")[:100],
            "user_agent": (actor.user_agent or "")[:300],
        },
    )
    return True


def log_refusal(*, actor: Actor, operation: str, code: str) -> None:
    """Note a refused write of an audited kind in the application log."""
    if audited_resource(operation) is None:
        return
    log.warning(
        "refused %s by %s (channel %s, store %s) from %s: %s",
        operation,
        actor.label,
        actor.channel,
        actor.location_code or "-",
        actor.address or "-",
        code,
    )


def list_entries(
    session: Session,
    *,
    who: str | None = None,
    what: str | None = None,
    since: datetime | None = None,
    until: datetime | None = None,
    limit: int = 200,
) -> list[AuditRow]:
    """The newest entries first; ``who`` matches the actor, key id or staff id, ``what`` the
    resource kind, operation or resource id (both by substring)."""
    query = select(AuditEntry).order_by(AuditEntry.at.desc(), AuditEntry.id.desc())
    if who:
        pattern = f"%{who.strip()}%"
        query = query.where(
            or_(
                AuditEntry.actor.ilike(pattern),
                AuditEntry.key_id == who.strip(),
                AuditEntry.staff_id == who.strip(),
            )
        )
    if what:
        pattern = f"%{what.strip()}%"
        query = query.where(
            or_(
                AuditEntry.resource_type.ilike(pattern),
                AuditEntry.operation.ilike(pattern),
                AuditEntry.resource_id.ilike(pattern),
            )
        )
    if since is not None:
        query = query.where(AuditEntry.at >= since)
    if until is not None:
        query = query.where(AuditEntry.at < until)
    return [
        AuditRow(
            at=entry.at,
            actor=entry.actor,
            key_id=entry.key_id,
            staff_id=entry.staff_id,
            channel=entry.channel,
            location_code=entry.location_code,
            operation=entry.operation,
            resource_type=entry.resource_type,
            resource_id=entry.resource_id,
            outcome=entry.outcome,
            address=entry.address,
            user_agent=entry.user_agent,
        )
        for entry in session.scalars(query.limit(max(1, min(limit, 1000))))
    ]


def purge_entries(session: Session, *, before: datetime) -> int:
    """Delete the entries older than ``before`` (the audit log's retention); how many."""
    return rowcount(session.execute(delete(AuditEntry).where(AuditEntry.at < before)))
