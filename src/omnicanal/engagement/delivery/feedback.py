"""What the providers report back about the messages they carried, and what it changes.

Each report is written to the delivery log (``message_deliveries``) once: the same report
received twice (a provider's retry, a batch sent again) changes nothing the second time. It
names its message by the provider's id for it (what the accepted attempt logged) or by the
message's own id (what Brevo gives back in ``X-Mailin-custom`` or the SMS tag, and what a
webhook service may send).

- Delivered: the log says so.
- A hard bounce (the address does not exist or no longer does): the log says bounced; the
  policy learns the fact ``bounced`` (the channel and the address), and marketing on that
  channel is refused in the consent ledger (source ``bounce``).
- A complaint (marked as spam): the log says complained; the policy learns the fact
  ``complaint``, and marketing and personalised offers are refused on that channel
  (source ``complaint``).
- An unsubscription through the provider: marketing and personalised offers are refused on
  every channel (source ``unsubscribe_link``), as the one-click link does.
- A soft bounce or a blocked message is logged as a failure and changes nothing else (the
  provider tries a soft bounce again itself); anything else (sent, opened, clicked...) is
  acknowledged and set aside.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Literal
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.orm import Session

from omnicanal.customers.errors import UnknownProfile
from omnicanal.engagement import consents, facts
from omnicanal.engagement.delivery.schemas import BrevoEvent, WebhookReportIn
from omnicanal.engagement.models import Delivery, Message
from omnicanal.platform.actors import Actor
from omnicanal.platform.bounds import check_moment
from omnicanal.platform.clock import utcnow
from omnicanal.platform.errors import Unauthenticated
from omnicanal.platform.locks import hold_names

__all__ = [
    "EFFECTS",
    "FEEDBACK_LOCKS",
    "OUTCOMES",
    "FeedbackRefused",
    "FeedbackSummary",
    "ProviderReport",
    "Verdict",
    "brevo_report",
    "record_report",
    "record_reports",
    "webhook_report",
]

FEEDBACK_LOCKS = 0x0C1D_DE11
"""The lock space of the messages whose reports are being recorded (PostgreSQL): two
copies of one report arriving at once are recorded once."""

Event = Literal[
    "delivered", "bounced", "complained", "unsubscribed", "soft_bounced", "blocked", "ignored"
]
OUTCOMES: dict[str, str] = {
    "delivered": "delivered",
    "bounced": "bounced",
    "complained": "complained",
    "unsubscribed": "unsubscribed",
    "soft_bounced": "failed",
    "blocked": "failed",
}
"""The delivery log's outcome of each kind of report (``ignored`` ones are not logged)."""
EFFECTS = frozenset({"bounced", "complained", "unsubscribed"})
"""The reports that change what the person may be sent."""
OPT_OUT_PURPOSES = ("marketing", "personalised_offers")
Verdict = Literal["recorded", "duplicate", "unknown", "ignored"]


class FeedbackRefused(Unauthenticated):
    code = "feedback_unauthenticated"
    title = "The delivery report is not from a provider we know"


@dataclass(frozen=True)
class ProviderReport:
    """One thing a provider says happened to one message."""

    provider: str
    event: Event
    occurred_at: datetime
    provider_message_id: str | None = None
    message_id: str | None = None
    channel: str | None = None
    recipient: str | None = None
    detail: str | None = None


@dataclass(frozen=True)
class FeedbackSummary:
    """What became of the reports of one request."""

    received: int
    recorded: int
    duplicates: int
    unknown: int
    ignored: int


BREVO_EVENTS: dict[str, Event] = {
    "delivered": "delivered",
    "hard_bounce": "bounced",
    "invalid_email": "bounced",
    "soft_bounce": "soft_bounced",
    "spam": "complained",
    "complaint": "complained",
    "unsubscribed": "unsubscribed",
    "unsubscribe": "unsubscribed",
    "blocked": "blocked",
    "rejected": "blocked",
}
"""Brevo's e-mail events and SMS statuses that matter here (the others are set aside)."""
BREVO_ZONE = ZoneInfo("Europe/Paris")
"""The zone of the ``date`` of Brevo's events (its ``ts`` fields are UTC)."""
_CAMEL = re.compile(r"(?<=[a-z])(?=[A-Z])")


def _brevo_moment(event: BrevoEvent) -> datetime:
    """When Brevo says the event happened: its UTC timestamps first, then its local date,
    else now."""
    if event.ts_epoch is not None:
        return datetime.fromtimestamp(event.ts_epoch / 1000, UTC)
    for seconds in (event.ts_event, event.ts):
        if seconds is not None:
            return datetime.fromtimestamp(seconds, UTC)
    if event.date:
        try:
            moment = datetime.fromisoformat(event.date)
        except ValueError:
            return utcnow()
        if moment.tzinfo is None:
            moment = moment.replace(tzinfo=BREVO_ZONE)
        try:
            return check_moment(moment)
        except (ValueError, OverflowError):
            return utcnow()
    return utcnow()


def brevo_report(event: BrevoEvent) -> ProviderReport:
    """The report of one Brevo webhook event, e-mail or SMS."""
    sms = event.msg_status is not None or (event.email is None and event.to is not None)
    name = _CAMEL.sub("_", (event.msg_status if sms else event.event) or "").lower()
    recipient = event.to if sms else event.email
    if sms and recipient and recipient.isdigit():
        recipient = f"+{recipient}"  # Brevo writes numbers without their "+"
    return ProviderReport(
        provider="brevo",
        event=BREVO_EVENTS.get(name, "ignored"),
        occurred_at=_brevo_moment(event),
        provider_message_id=event.sms_id if sms else event.message_id,
        message_id=(event.tag if sms else event.custom) or None,
        channel="sms" if sms else "email",
        recipient=recipient,
        detail=event.reason,
    )


def webhook_report(report: WebhookReportIn, *, provider: str = "webhook") -> ProviderReport:
    """The report a webhook service sent."""
    return ProviderReport(
        provider=provider,
        event=report.event,
        occurred_at=report.at,
        provider_message_id=report.provider_message_id,
        message_id=report.message_id,
        channel=report.channel,
        recipient=report.recipient,
        detail=report.detail,
    )


def _actor(provider: str) -> Actor:
    return Actor(key_id=None, channel="system", name=f"delivery feedback ({provider})")


def _variants(provider_message_id: str) -> list[str]:
    """The forms a provider's id may take: Brevo gives its e-mail ids in angle brackets
    when it accepts a message and may give them without in its reports."""
    bare = provider_message_id.strip().strip("<>")
    return list(dict.fromkeys([provider_message_id, bare, f"<{bare}>"]))


def _message(session: Session, report: ProviderReport) -> Message | None:
    """The message ``report`` is about: by the provider's id in the delivery log, else by
    the message's own id."""
    if report.provider_message_id:
        message_id = session.scalar(
            select(Delivery.message_id)
            .where(
                Delivery.provider == report.provider,
                Delivery.provider_message_id.in_(_variants(report.provider_message_id)),
            )
            .limit(1)
        )
        if message_id is not None:
            return session.get(Message, message_id)
    if report.message_id:
        return session.get(Message, report.message_id)
    return None


def _detail(report: ProviderReport) -> str:
    detail = report.event if not report.detail else f"{report.event}: {report.detail}"
    return detail[:500]


def _already(session: Session, message: Message, report: ProviderReport, outcome: str) -> bool:
    """Whether the log holds this report already: one of each outcome per message and
    provider; a failure again only with the same detail."""
    query = select(Delivery.id).where(
        Delivery.message_id == message.id,
        Delivery.provider == report.provider,
        Delivery.outcome == outcome,
    )
    if outcome == "failed":
        query = query.where(Delivery.detail == _detail(report))
    return session.scalar(query.limit(1)) is not None


def _proof(
    message: Message, report: ProviderReport, channel: str, recipient: str
) -> dict[str, str]:
    proof = {
        "message_id": message.id,
        "provider": report.provider,
        "event": report.event,
        "channel": channel,
        "recipient": recipient,
    }
    if report.provider_message_id:
        proof["provider_message_id"] = report.provider_message_id[:200]
    return proof


def _apply(
    session: Session,
    message: Message,
    report: ProviderReport,
    *,
    delivery_id: str,
    channel: str,
    recipient: str,
) -> None:
    """What a bounce, a complaint or an unsubscription changes for the person."""
    profile_id = message.profile_id
    if profile_id is None:
        return  # nobody known to hold it against (the person was erased)
    actor = _actor(report.provider)
    proof = _proof(message, report, channel, recipient)
    at = report.occurred_at
    # The ledger first: a person no longer known (erased since) stops everything here,
    # before anything is written.
    try:
        if report.event == "unsubscribed":
            consents.unsubscribe_everywhere(
                session,
                profile_id=profile_id,
                source="unsubscribe_link",
                actor=actor,
                occurred_at=at,
                proof=proof,
            )
            return
        bounced = report.event == "bounced"
        for purpose in ("marketing",) if bounced else OPT_OUT_PURPOSES:
            consents.record_consent(
                session,
                profile_id=profile_id,
                purpose=purpose,
                channel=channel,
                granted=False,
                source="bounce" if bounced else "complaint",
                actor=actor,
                occurred_at=at,
                proof=proof,
            )
    except UnknownProfile:
        return
    facts.record_fact(
        session,
        profile_id=profile_id,
        kind="bounced" if bounced else "complaint",
        occurred_at=at,
        channel=channel,
        detail={"channel": channel, "recipient": recipient, "message_id": message.id},
        source_event_id=delivery_id,
    )


def record_report(session: Session, report: ProviderReport) -> Verdict:
    """Write ``report`` to the delivery log and carry out what it changes, once."""
    outcome = OUTCOMES.get(report.event)
    if outcome is None:
        return "ignored"
    message = _message(session, report)
    if message is None:
        return "unknown"
    hold_names(session, FEEDBACK_LOCKS, [message.id])
    if _already(session, message, report, outcome):
        return "duplicate"
    channel = report.channel or message.channel or "email"
    recipient = (report.recipient or message.recipient or "")[:320]
    delivery = Delivery(
        message_id=message.id,
        channel=channel,
        provider=report.provider,
        recipient=recipient,
        outcome=outcome,
        detail=_detail(report),
        provider_message_id=(report.provider_message_id or message.provider_message_id),
        attempted_at=report.occurred_at,
    )
    session.add(delivery)
    session.flush()
    if report.event in EFFECTS:
        _apply(
            session, message, report, delivery_id=delivery.id, channel=channel, recipient=recipient
        )
    return "recorded"


def record_reports(session: Session, reports: Sequence[ProviderReport]) -> FeedbackSummary:
    """Record each of ``reports`` (one request's), in order; how many of each verdict."""
    verdicts = Counter(record_report(session, report) for report in reports)
    return FeedbackSummary(
        received=len(reports),
        recorded=verdicts["recorded"],
        duplicates=verdicts["duplicate"],
        unknown=verdicts["unknown"],
        ignored=verdicts["ignored"],
    )
