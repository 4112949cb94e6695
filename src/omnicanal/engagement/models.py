"""Tables of the engagement module (ADR 0026).

- ``consent_entries``: the consent ledger. The current consent of a person for a purpose on
  a channel is the latest entry (by ``occurred_at``, then ``id``); nothing is updated in
  place, so the ledger is its own proof.
- ``engagement_facts``: what the policy knows happened (a return, a complaint, a purchase,
  a cart bought, an item collected, stock running out...), with the time it happened and the
  time the policy learned it (the seeds' "till to CRM" delay).
- ``messages``: one message a trigger wants to send a person, from scheduled to sent,
  withheld, withdrawn or failed; its rendered content once sent (the local mailbox of the
  embedded default reads it). ``message_decisions``: every decision of the policy about it,
  with its reason. ``message_deliveries``: the delivery log, one row per attempt or feedback.
- ``message_triggers``, ``message_templates``, ``engagement_segments``, ``message_policy``:
  the retailer's settings.
- ``stock_watches``: a person waiting for a SKU to come back at a store.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, CheckConstraint, Index, String, Text, UniqueConstraint, text
from sqlalchemy.orm import Mapped, mapped_column

from omnicanal.platform.clock import utcnow
from omnicanal.platform.db import Base
from omnicanal.platform.ids import new_id
from omnicanal.platform.types import UtcDateTime

__all__ = [
    "CHANNELS",
    "CONSENT_SOURCES",
    "FACT_KINDS",
    "LAWFUL_BASES",
    "MESSAGE_STATUSES",
    "ONCE_PER_SUBJECT",
    "PURPOSES",
    "TRIGGER_KINDS",
    "ConsentEntry",
    "Decision",
    "Delivery",
    "Fact",
    "Message",
    "PolicySettings",
    "Segment",
    "StockWatch",
    "Template",
    "Trigger",
]

PURPOSES = ("transactional", "marketing", "personalised_offers", "profiling")
CHANNELS = ("email", "sms", "push", "post")
LAWFUL_BASES = ("consent", "contract", "legitimate_interest", "legal_obligation")
CONSENT_SOURCES = (
    "web_form",
    "app",
    "till",
    "call_centre",
    "api",
    "segment",
    "preference_centre",
    "unsubscribe_link",
    "bounce",
    "complaint",
    "back_office",
)
TRIGGER_KINDS = (
    "abandoned_cart",
    "pickup_ready",
    "reservation_expiring",
    "back_in_stock",
    "order_shipped",
    "order_delayed",
    "return_received",
    "return_refunded",
    "review_request",
    "win_back",
)
FACT_KINDS = (
    # Facts that suppress marketing for a while (``message_policy.suppression_days``).
    "returned",
    "complaint",
    "cancelled",
    "refused_delivery",
    # A dispute is open from ``dispute_opened`` until a later ``dispute_closed``.
    "dispute_opened",
    "dispute_closed",
    # Facts that take a pending message's reason away.
    "purchased",
    "cart_closed",
    "collected",
    "reservation_closed",
    "stock_out",
    "stock_back",
    "reviewed",
    # A channel address that no longer reaches the person (hard bounce).
    "bounced",
)
ONCE_PER_SUBJECT = ("cart_closed", "collected", "reservation_closed")
"""Facts that happen once to their subject: a second report of one is already known (a
checkout says a cart was closed in its ``order.placed`` and its ``cart.checked_out``). A
unique index of the table holds it."""
_ONCE = "kind IN ({}) AND subject IS NOT NULL".format(", ".join(f"'{k}'" for k in ONCE_PER_SUBJECT))
MESSAGE_STATUSES = ("scheduled", "retrying", "sent", "withheld", "withdrawn", "failed")


def _moment(*, nullable: bool = False, default: Any = None) -> Any:
    if default is not None:
        return mapped_column(UtcDateTime(), nullable=nullable, default=default)
    return mapped_column(UtcDateTime(), nullable=nullable)


class ConsentEntry(Base):
    """One answer of a person about a purpose on a channel, where and how it was given."""

    __tablename__ = "consent_entries"
    __table_args__ = (
        Index("ix_consent_entries_current", "profile_id", "purpose", "channel", "occurred_at"),
        Index("ix_consent_entries_recorded", "recorded_at"),
    )

    id: Mapped[str] = mapped_column(String(26), primary_key=True, default=new_id)
    profile_id: Mapped[str] = mapped_column(String(26))
    purpose: Mapped[str] = mapped_column(String(30))
    channel: Mapped[str] = mapped_column(String(10))
    granted: Mapped[bool]
    lawful_basis: Mapped[str] = mapped_column(String(30))
    source: Mapped[str] = mapped_column(String(30))
    location_code: Mapped[str | None] = mapped_column(String(50))
    proof: Mapped[dict[str, Any]] = mapped_column(JSON)
    """What shows the answer was given: the form and its wording's version, the message id,
    the staff member at the till, the e-mail that bounced..."""
    actor: Mapped[str] = mapped_column(String(300))
    occurred_at: Mapped[datetime] = _moment()
    recorded_at: Mapped[datetime] = _moment(default=utcnow)


class Fact(Base):
    """Something that happened that the message policy weighs."""

    __tablename__ = "engagement_facts"
    __table_args__ = (
        Index("ix_engagement_facts_profile", "profile_id", "occurred_at"),
        Index("ix_engagement_facts_subject", "subject", "occurred_at"),
        UniqueConstraint("source_event_id", "kind", name="uq_engagement_facts_event_kind"),
        Index(
            "uq_engagement_facts_once_per_subject",
            "kind",
            "subject",
            unique=True,
            sqlite_where=text(_ONCE),
            postgresql_where=text(_ONCE),
        ),
    )

    id: Mapped[str] = mapped_column(String(26), primary_key=True, default=new_id)
    profile_id: Mapped[str | None] = mapped_column(String(26))
    kind: Mapped[str] = mapped_column(String(30))
    subject: Mapped[str | None] = mapped_column(String(200))
    """What it is about, as the events name it: ``carts/<id>``, ``fulfilments/<id>``,
    ``stock/<sku>@<location>``, ``orders/<id>``..."""
    channel: Mapped[str | None] = mapped_column(String(50))
    """Where it happened: the channel kind (``store``, ``web``...)."""
    location_code: Mapped[str | None] = mapped_column(String(50))
    detail: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    source_event_id: Mapped[str | None] = mapped_column(String(26))
    occurred_at: Mapped[datetime] = _moment()
    recorded_at: Mapped[datetime] = _moment(default=utcnow)


class Message(Base):
    """One message a trigger wants to send one person."""

    __tablename__ = "messages"
    __table_args__ = (
        Index("ix_messages_due", "status", "due_at"),
        Index("ix_messages_profile", "profile_id", "created_at"),
        Index("ix_messages_subject", "subject", "status"),
        CheckConstraint(
            "status IN ('scheduled', 'retrying', 'sent', 'withheld', 'withdrawn', 'failed')",
            name="known_status",
        ),
    )

    id: Mapped[str] = mapped_column(String(26), primary_key=True, default=new_id)
    trigger_code: Mapped[str] = mapped_column(String(50))
    kind: Mapped[str] = mapped_column(String(30))
    purpose: Mapped[str] = mapped_column(String(30))
    profile_id: Mapped[str | None] = mapped_column(String(26))
    language: Mapped[str] = mapped_column(String(5))
    subject: Mapped[str] = mapped_column(String(200))
    """What the message is about (``carts/<id>``...), as facts name it."""
    dedupe_key: Mapped[str] = mapped_column(String(300), unique=True)
    """One message per trigger, subject and person (and occasion, for repeats)."""
    context: Mapped[dict[str, Any]] = mapped_column(JSON)
    """The data its template reads (lines, pickup code, store and hours, coupon...)."""
    status: Mapped[str] = mapped_column(String(20), default="scheduled")
    reason_since: Mapped[datetime] = _moment()
    """When its reason began (the cart's last change, the parcel's readiness...)."""
    due_at: Mapped[datetime] = _moment()
    created_at: Mapped[datetime] = _moment(default=utcnow)
    decided_at: Mapped[datetime | None] = _moment(nullable=True)
    sent_at: Mapped[datetime | None] = _moment(nullable=True)
    channel: Mapped[str | None] = mapped_column(String(10))
    recipient: Mapped[str | None] = mapped_column(String(320))
    reason: Mapped[str | None] = mapped_column(String(40))
    """The code of the last decision's reason (``returned_recently``, ``cart_bought``...)."""
    reason_facts: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    attempts: Mapped[int] = mapped_column(default=0)
    coupon_code: Mapped[str | None] = mapped_column(String(50))
    provider: Mapped[str | None] = mapped_column(String(30))
    provider_message_id: Mapped[str | None] = mapped_column(String(200))
    rendered_subject: Mapped[str | None] = mapped_column(String(300))
    rendered_text: Mapped[str | None] = mapped_column(Text)
    rendered_html: Mapped[str | None] = mapped_column(Text)
    cause_event_id: Mapped[str | None] = mapped_column(String(26))


class Decision(Base):
    """One decision of the message policy about one message, and why."""

    __tablename__ = "message_decisions"
    __table_args__ = (
        Index("ix_message_decisions_message", "message_id", "decided_at"),
        Index("ix_message_decisions_outcome", "outcome", "decided_at"),
    )

    id: Mapped[str] = mapped_column(String(26), primary_key=True, default=new_id)
    message_id: Mapped[str] = mapped_column(String(26))
    stage: Mapped[str] = mapped_column(String(20))
    """``schedule`` (when it was planned), ``event`` (a fact arrived) or ``send``."""
    outcome: Mapped[str] = mapped_column(String(20))
    """``send``, ``withhold``, ``withdraw`` or ``defer``."""
    reason: Mapped[str] = mapped_column(String(40))
    facts: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    decided_at: Mapped[datetime] = _moment(default=utcnow)


class Delivery(Base):
    """The delivery log: one attempt to hand a message to a provider, or what the provider
    said back later (delivered, bounced, complaint)."""

    __tablename__ = "message_deliveries"
    __table_args__ = (
        Index("ix_message_deliveries_message", "message_id", "attempted_at"),
        Index("ix_message_deliveries_provider_id", "provider", "provider_message_id"),
    )

    id: Mapped[str] = mapped_column(String(26), primary_key=True, default=new_id)
    message_id: Mapped[str] = mapped_column(String(26))
    channel: Mapped[str] = mapped_column(String(10))
    provider: Mapped[str] = mapped_column(String(30))
    recipient: Mapped[str] = mapped_column(String(320))
    outcome: Mapped[str] = mapped_column(String(20))
    """``accepted``, ``failed``, ``delivered``, ``bounced`` or ``complained``."""
    detail: Mapped[str | None] = mapped_column(String(500))
    provider_message_id: Mapped[str | None] = mapped_column(String(200))
    attempted_at: Mapped[datetime] = _moment(default=utcnow)


class Trigger(Base):
    """A trigger: on which events a message is planned, for which purpose, when, on which
    channels (in order of preference), for which segment, with which coupon."""

    __tablename__ = "message_triggers"

    id: Mapped[str] = mapped_column(String(26), primary_key=True, default=new_id)
    code: Mapped[str] = mapped_column(String(50), unique=True)
    kind: Mapped[str] = mapped_column(String(30))
    name: Mapped[str] = mapped_column(String(200))
    purpose: Mapped[str] = mapped_column(String(30))
    channels: Mapped[list[str]] = mapped_column(JSON)
    delay_minutes: Mapped[int] = mapped_column(default=0)
    segment_code: Mapped[str | None] = mapped_column(String(50))
    coupon: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    """``{"percent": 10}`` or ``{"amount_minor": 500}``, ``valid_days``: a single-use
    personal coupon made when the message is sent."""
    settings: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    """Kind-specific settings (``days`` for a win-back, ``hours_before`` for a reservation
    about to expire...)."""
    active: Mapped[bool] = mapped_column(default=True)
    created_at: Mapped[datetime] = _moment(default=utcnow)
    updated_at: Mapped[datetime] = _moment(default=utcnow)


class Template(Base):
    """A trigger's message in one language on one channel (Jinja2 text)."""

    __tablename__ = "message_templates"
    __table_args__ = (
        UniqueConstraint("trigger_code", "language", "channel", name="uq_message_templates"),
    )

    id: Mapped[str] = mapped_column(String(26), primary_key=True, default=new_id)
    trigger_code: Mapped[str] = mapped_column(String(50))
    language: Mapped[str] = mapped_column(String(5))
    channel: Mapped[str] = mapped_column(String(10))
    subject: Mapped[str] = mapped_column(String(300), default="")
    body_text: Mapped[str] = mapped_column(Text)
    body_html: Mapped[str | None] = mapped_column(Text)
    updated_at: Mapped[datetime] = _moment(default=utcnow)


class Segment(Base):
    """A segment: rules on traits, computed traits and events, all of which must hold."""

    __tablename__ = "engagement_segments"

    id: Mapped[str] = mapped_column(String(26), primary_key=True, default=new_id)
    code: Mapped[str] = mapped_column(String(50), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    rules: Mapped[list[dict[str, Any]]] = mapped_column(JSON)
    created_at: Mapped[datetime] = _moment(default=utcnow)
    updated_at: Mapped[datetime] = _moment(default=utcnow)


class PolicySettings(Base):
    """The retailer's message policy: caps, quiet hours, suppression periods."""

    __tablename__ = "message_policy"

    code: Mapped[str] = mapped_column(String(50), primary_key=True, default="default")
    frequency_caps: Mapped[dict[str, Any]] = mapped_column(JSON)
    """Per channel: ``{"email": {"count": 3, "days": 7}, ...}`` (marketing messages)."""
    quiet_start: Mapped[str] = mapped_column(String(5), default="21:00")
    quiet_end: Mapped[str] = mapped_column(String(5), default="08:00")
    suppression_days: Mapped[dict[str, int]] = mapped_column(JSON)
    """Days a fact suppresses marketing: ``{"returned": 14, "complaint": 30, ...}``."""
    updated_at: Mapped[datetime] = _moment(default=utcnow)


class StockWatch(Base):
    """A person waiting for a SKU to be back in stock at a store."""

    __tablename__ = "stock_watches"
    __table_args__ = (
        Index("ix_stock_watches_sku", "sku", "location_code", "active"),
        Index("ix_stock_watches_profile", "profile_id"),
    )

    id: Mapped[str] = mapped_column(String(26), primary_key=True, default=new_id)
    profile_id: Mapped[str] = mapped_column(String(26))
    sku: Mapped[str] = mapped_column(String(60))
    location_code: Mapped[str] = mapped_column(String(50))
    channel: Mapped[str] = mapped_column(String(50))
    active: Mapped[bool] = mapped_column(default=True)
    created_at: Mapped[datetime] = _moment(default=utcnow)
    notified_at: Mapped[datetime | None] = _moment(nullable=True)
