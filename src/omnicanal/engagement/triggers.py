"""Triggers: on which events a message is planned, why, how long after its cause, on which
channels, for whom, with which coupon; and the default set every retailer starts with.

A trigger's kind decides its purpose: a reminder that sells (an abandoned cart, stock back,
a review request, a win-back) is marketing and needs the person's opt-in; a message about
something the customer bought (a parcel, a pickup, a return) is transactional and rests on
the contract. Head office may add triggers (another segment, another delay) and change
them; a kind is never turned into the other purpose, so that no promotion travels as a
service message.

The defaults (:func:`ensure_defaults`) are created once, on first use: one trigger per kind
and the default message policy.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from omnicanal.engagement import access
from omnicanal.engagement.errors import (
    InvalidTrigger,
    TriggerExists,
    UnknownSegment,
    UnknownTrigger,
)
from omnicanal.engagement.models import TRIGGER_KINDS, PolicySettings, Segment, Trigger
from omnicanal.engagement.schemas import CouponIn, TriggerIn, TriggerOut, TriggerUpdateIn
from omnicanal.platform.actors import Actor
from omnicanal.platform.clock import as_utc, utcnow
from omnicanal.platform.db import Database, dialect_insert, transaction_memo
from omnicanal.platform.ids import new_id

__all__ = [
    "DEFAULT_POLICY",
    "DEFAULT_TRIGGERS",
    "KIND_SETTINGS",
    "MARKETING_KINDS",
    "TriggerRef",
    "active_triggers",
    "create_trigger",
    "ensure_defaults",
    "get_trigger",
    "list_triggers",
    "load_trigger",
    "prepare_defaults",
    "trigger_out",
    "trigger_ref",
    "update_trigger",
]

MARKETING_KINDS = frozenset({"abandoned_cart", "back_in_stock", "review_request", "win_back"})
"""The kinds that sell: marketing or personalised offers, never transactional."""
MARKETING_TRIGGER_PURPOSES = ("marketing", "personalised_offers")
KIND_SETTINGS: dict[str, dict[str, tuple[int, int]]] = {
    "reservation_expiring": {"hours_before": (1, 24 * 7)},
    "win_back": {"days": (7, 3650)},
}
"""The settings each kind takes, with their bounds (others take none)."""

HOUR = 60
DAY = 24 * HOUR

DEFAULT_TRIGGERS: tuple[dict[str, Any], ...] = (
    {
        "kind": "abandoned_cart",
        "name": "Relance panier abandonné",
        "channels": ["email"],
        "delay_minutes": 3 * HOUR,
        "coupon": {"percent": 10, "valid_days": 7},
    },
    {"kind": "pickup_ready", "name": "Commande prête en magasin", "channels": ["sms", "email"]},
    {
        "kind": "reservation_expiring",
        "name": "Réservation bientôt expirée",
        "channels": ["sms", "email"],
        "settings": {"hours_before": 2},
    },
    {"kind": "back_in_stock", "name": "De retour en stock", "channels": ["email"]},
    {"kind": "order_shipped", "name": "Commande expédiée", "channels": ["email"]},
    {"kind": "order_delayed", "name": "Commande retardée", "channels": ["email"]},
    {"kind": "return_received", "name": "Retour reçu", "channels": ["email"]},
    {"kind": "return_refunded", "name": "Retour remboursé", "channels": ["email"]},
    {
        "kind": "review_request",
        "name": "Demande d'avis",
        "channels": ["email"],
        "delay_minutes": 7 * DAY,
    },
    {
        "kind": "win_back",
        "name": "Reconquête",
        "channels": ["email"],
        "settings": {"days": 120},
    },
)
"""One trigger per kind, coded as its kind in capitals (``ABANDONED_CART``)."""
assert {row["kind"] for row in DEFAULT_TRIGGERS} == set(TRIGGER_KINDS)

DEFAULT_POLICY: dict[str, Any] = {
    "frequency_caps": {
        "email": {"count": 3, "days": 7},
        "sms": {"count": 2, "days": 7},
        "push": {"count": 3, "days": 7},
    },
    "quiet_start": "21:00",
    "quiet_end": "08:00",
    "suppression_days": {"returned": 14, "complaint": 30, "cancelled": 7, "refused_delivery": 30},
}
"""The default message policy: three marketing e-mails or pushes and two SMS a week, quiet
from 21:00 to 08:00, marketing held back 14 days after a return, 30 after a complaint or a
refused delivery, 7 after a cancellation."""


@dataclass(frozen=True)
class TriggerRef:
    """A trigger as the journeys read it."""

    code: str
    kind: str
    name: str
    purpose: str
    channels: tuple[str, ...]
    delay: timedelta
    segment_code: str | None
    coupon: Mapping[str, Any] | None
    settings: Mapping[str, Any]
    active: bool

    def setting(self, name: str) -> int:
        """A kind setting, or its default's."""
        value = self.settings.get(name)
        if isinstance(value, int) and not isinstance(value, bool):
            return value
        default = next(row for row in DEFAULT_TRIGGERS if row["kind"] == self.kind)
        return int(default["settings"][name])


def _ref(row: Trigger) -> TriggerRef:
    return TriggerRef(
        code=row.code,
        kind=row.kind,
        name=row.name,
        purpose=row.purpose,
        channels=tuple(row.channels),
        delay=timedelta(minutes=row.delay_minutes),
        segment_code=row.segment_code,
        coupon=dict(row.coupon) if row.coupon else None,
        settings=dict(row.settings or {}),
        active=row.active,
    )


def trigger_out(row: Trigger) -> TriggerOut:
    return TriggerOut(
        code=row.code,
        kind=row.kind,
        name=row.name,
        purpose=row.purpose,
        channels=list(row.channels),
        delay_minutes=row.delay_minutes,
        segment_code=row.segment_code,
        coupon=dict(row.coupon) if row.coupon else None,
        settings=dict(row.settings or {}),
        active=row.active,
        created_at=as_utc(row.created_at),
        updated_at=as_utc(row.updated_at),
    )


# --- the defaults ---------------------------------------------------------------------------

_DEFAULTS_FOUND = "engagement.defaults_found"
"""The transaction's memo (``transaction_memo``) that says every default was found."""


def ensure_defaults(session: Session) -> None:
    """Create the default triggers and message policy that are missing (a trigger of each
    kind, coded as the kind in capitals); changes none that exists. Safe to run from
    several processes at once."""
    # Found all there once in a transaction, they stay there (no use case deletes one): the
    # journeys' consumer, reacting to a batch of events in one transaction, reads them once.
    found = transaction_memo(session, _DEFAULTS_FOUND)
    if found:
        return
    known = set(session.scalars(select(Trigger.code)))
    missing = [row for row in DEFAULT_TRIGGERS if row["kind"].upper() not in known]
    has_policy = session.get(PolicySettings, "default") is not None
    if not missing and has_policy:
        found["all"] = True
        return
    insert = dialect_insert(session)
    now = utcnow()
    if missing:
        session.execute(
            insert(Trigger)
            .values(
                [
                    {
                        "id": new_id(),
                        "code": row["kind"].upper(),
                        "kind": row["kind"],
                        "name": row["name"],
                        "purpose": "marketing"
                        if row["kind"] in MARKETING_KINDS
                        else "transactional",
                        "channels": list(row["channels"]),
                        "delay_minutes": row.get("delay_minutes", 0),
                        "segment_code": None,
                        "coupon": row.get("coupon"),
                        "settings": dict(row.get("settings", {})),
                        "active": True,
                        "created_at": now,
                        "updated_at": now,
                    }
                    for row in missing
                ]
            )
            .on_conflict_do_nothing(index_elements=["code"])
        )
    if not has_policy:
        session.execute(
            insert(PolicySettings)
            .values(code="default", updated_at=now, **DEFAULT_POLICY)
            .on_conflict_do_nothing(index_elements=["code"])
        )


def prepare_defaults(db: Database) -> None:
    """Create the missing defaults in a transaction of their own, when some are missing
    (what an edge calls before it reads triggers)."""
    with db.reading() as session:
        known = set(session.scalars(select(Trigger.code)))
        has_policy = session.get(PolicySettings, "default") is not None
    if has_policy and all(row["kind"].upper() in known for row in DEFAULT_TRIGGERS):
        return
    with db.transaction() as session:
        ensure_defaults(session)


# --- reading --------------------------------------------------------------------------------


def load_trigger(session: Session, code: str) -> Trigger:
    """The trigger's row (this module's use cases)."""
    row = session.scalar(select(Trigger).where(Trigger.code == code))
    if row is None:
        raise UnknownTrigger(f"No message trigger has the code {code!r}.", field="code")
    return row


def active_triggers(session: Session, kind: str) -> list[TriggerRef]:
    """The active triggers of ``kind``, oldest first (the defaults created on first use)."""
    ensure_defaults(session)
    rows = session.scalars(
        select(Trigger)
        .where(Trigger.kind == kind, Trigger.active.is_(True))
        .order_by(Trigger.created_at, Trigger.code)
    )
    return [_ref(row) for row in rows]


def trigger_ref(session: Session, code: str) -> TriggerRef:
    """One trigger, active or not, as the journeys read it."""
    return _ref(load_trigger(session, code))


def list_triggers(session: Session, *, actor: Actor) -> list[TriggerOut]:
    """Every trigger, by kind then code (``engagement:read``; the defaults appear once
    :func:`ensure_defaults` or :func:`prepare_defaults` ran)."""
    access.check_reader(actor)
    rows = session.scalars(select(Trigger))
    order = {kind: position for position, kind in enumerate(TRIGGER_KINDS)}
    found = sorted(rows, key=lambda row: (order.get(row.kind, len(order)), row.code))
    return [trigger_out(row) for row in found]


def get_trigger(session: Session, *, code: str, actor: Actor) -> TriggerOut:
    """One trigger and its settings (``engagement:read``)."""
    access.check_reader(actor)
    return trigger_out(load_trigger(session, code))


# --- checking and changing ------------------------------------------------------------------


def _check_purpose(kind: str, purpose: str) -> None:
    if kind in MARKETING_KINDS and purpose not in MARKETING_TRIGGER_PURPOSES:
        raise InvalidTrigger(
            f"A {kind} message sells: its purpose is marketing or personalised_offers, "
            "which need the person's consent.",
            field="purpose",
        )
    if kind not in MARKETING_KINDS and purpose != "transactional":
        raise InvalidTrigger(
            f"A {kind} message is about something the customer bought: its purpose is "
            "transactional.",
            field="purpose",
        )


def _check_settings(kind: str, settings: Mapping[str, int]) -> dict[str, int]:
    allowed = KIND_SETTINGS.get(kind, {})
    unknown = sorted(set(settings) - set(allowed))
    if unknown:
        takes = ", ".join(sorted(allowed)) or "no setting"
        raise InvalidTrigger(
            f"A {kind} trigger takes {takes}, not {', '.join(unknown)}.", field="settings"
        )
    for name, value in settings.items():
        low, high = allowed[name]
        if not low <= value <= high:
            raise InvalidTrigger(
                f"{name} lies between {low} and {high} for a {kind} trigger.",
                field=f"settings.{name}",
            )
    return dict(settings)


def _check_coupon(purpose: str, coupon: CouponIn | None) -> dict[str, Any] | None:
    if coupon is None:
        return None
    if purpose not in MARKETING_TRIGGER_PURPOSES:
        raise InvalidTrigger(
            "Only a marketing trigger offers a coupon: a service message sells nothing.",
            field="coupon",
        )
    return coupon.stored()


def _check_segment(session: Session, code: str | None) -> str | None:
    if code is None:
        return None
    if session.scalar(select(Segment.id).where(Segment.code == code)) is None:
        raise UnknownSegment(f"No segment has the code {code!r}.", field="segment_code")
    return code


def create_trigger(session: Session, *, data: TriggerIn, actor: Actor) -> TriggerOut:
    """Add a trigger (head office: ``engagement:admin``): a kind's purpose is fixed, its
    settings bounded, its segment known; a coupon only on a marketing trigger."""
    access.check_admin(actor, doing="create message triggers")
    ensure_defaults(session)
    _check_purpose(data.kind, data.purpose)
    if session.scalar(select(Trigger.id).where(Trigger.code == data.code)) is not None:
        raise TriggerExists(f"A message trigger already has the code {data.code!r}.", field="code")
    now = utcnow()
    row = Trigger(
        code=data.code,
        kind=data.kind,
        name=data.name,
        purpose=data.purpose,
        channels=list(data.channels),
        delay_minutes=data.delay_minutes,
        segment_code=_check_segment(session, data.segment_code),
        coupon=_check_coupon(data.purpose, data.coupon),
        settings=_check_settings(data.kind, data.settings),
        active=data.active,
        created_at=now,
        updated_at=now,
    )
    session.add(row)
    try:
        with session.begin_nested():
            session.flush()
    except IntegrityError:
        raise TriggerExists(
            f"A message trigger already has the code {data.code!r}.", field="code"
        ) from None
    return trigger_out(row)


def update_trigger(
    session: Session, *, code: str, data: TriggerUpdateIn, actor: Actor, now: datetime | None = None
) -> TriggerOut:
    """Change a trigger's name, channels, delay, segment, coupon, settings or whether it is
    active (head office: ``engagement:admin``); the fields given replace the trigger's.
    Messages already planned keep their time; the next ones follow the new settings."""
    access.check_admin(actor, doing="change message triggers")
    ensure_defaults(session)
    row = load_trigger(session, code)
    given = data.model_fields_set
    if "name" in given and data.name is not None:
        row.name = data.name
    if "active" in given and data.active is not None:
        row.active = data.active
    if "channels" in given and data.channels is not None:
        row.channels = list(data.channels)
    if "delay_minutes" in given and data.delay_minutes is not None:
        row.delay_minutes = data.delay_minutes
    if "segment_code" in given:
        row.segment_code = _check_segment(session, data.segment_code)
    if "coupon" in given:
        row.coupon = _check_coupon(row.purpose, data.coupon)
    if "settings" in given and data.settings is not None:
        row.settings = _check_settings(row.kind, data.settings)
    row.updated_at = now or utcnow()
    session.flush()
    return trigger_out(row)
