"""Messages in the back office (``/admin/messages``): the overview (sent, withheld and
withdrawn per day, the reasons, the "unjust" messages that must read 0, how long the till's
facts take to reach the policy), the delivery log, the withheld and withdrawn messages with
their reasons in words, one message in full, and the local mailbox of the embedded default.
The settings' pages are beside: triggers and the policy in
:mod:`~omnicanal.web.admin.message_settings`, templates in
:mod:`~omnicanal.web.admin.message_templates`, segments in
:mod:`~omnicanal.web.admin.message_segments`.

Everything here is read through the engagement module (``message_log``, ``messages``,
``measures``, ``policy.describe``) as head office, a reader of every message; these pages
decide nothing. Head office only: a message names a
person, their address and what they bought, wherever they bought it, which no single store
needs to read in bulk (a store's clerks see a customer's own page).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any
from urllib.parse import urlencode

from fastapi import APIRouter, Request
from fastapi.responses import Response
from sqlalchemy.orm import Session

from omnicanal.customers import service as customers
from omnicanal.engagement import measures, message_log, policy
from omnicanal.engagement import messages as engagement_messages
from omnicanal.engagement.errors import UnknownMessage
from omnicanal.engagement.models import CHANNELS, MESSAGE_STATUSES, TRIGGER_KINDS
from omnicanal.platform.clock import utcnow
from omnicanal.platform.http.deps import PlatformDep
from omnicanal.web.admin import message_segments, message_settings, message_templates
from omnicanal.web.admin.common import HeadOffice, day_bounds
from omnicanal.web.admin.message_chart import day_chart
from omnicanal.web.admin.message_labels import (
    framed_html,
    masked_recipient,
    words,
)
from omnicanal.web.admin.message_settings import engagement_admin
from omnicanal.web.edge import WebDep, WebEdge
from omnicanal.web.rendering import duration

__all__ = ["PERIODS", "message_problem", "reason_sentence", "router"]

router = APIRouter()
# The settings' fixed addresses (/messages/triggers...) come before /messages/{message_id}.
router.include_router(message_settings.router)
router.include_router(message_templates.router)
router.include_router(message_segments.router)

PAGE_SIZE = 25
MAX_PAGE = 10_000
PERIODS = (7, 30, 90)
DEFAULT_PERIOD = 30
OUTCOME_OF_STATUS = {"withheld": policy.Outcome.withhold, "withdrawn": policy.Outcome.withdraw}
STORE = "store"
"""The channel of the tills, whose facts' delay the overview shows first."""


def message_problem(
    request: Request, edge: WebEdge, name: str, status_code: int, **context: Any
) -> Response:
    """The message pages' problem page: a sentence for people, nothing changed."""
    return edge.renderer.render(
        request,
        "admin/messages/problem.html",
        {"problem": name, **context},
        status_code=status_code,
    )


def _whole(text: str, *, most: int) -> int | None:
    """A whole number from 1 to ``most`` written in ASCII digits, else None."""
    if not (text.isascii() and text.isdigit() and len(text) <= len(str(most))):
        return None
    return int(text) if 0 < int(text) <= most else None


def _names(session: Session, profile_ids: set[str], region: str) -> dict[str, str]:
    """The display name of each person, by profile id (those with a name)."""
    return customers.names_of_references(session, customer_refs=sorted(profile_ids), region=region)


# --- the overview ----------------------------------------------------------------------------


@dataclass(frozen=True)
class ReasonCount:
    """How many messages one reason withheld or withdrew, the reason in words."""

    status: str
    sentence: str
    count: int


def _reason_sentence(status: str, reason: str, language: str, now: datetime) -> str:
    """A reason as a sentence without its moment ("Retenu : retour")."""
    decision = policy.Decision(OUTCOME_OF_STATUS[status], reason, {})
    return policy.describe(decision, language=language, now=now)


@router.get("/messages")
def overview(
    request: Request,
    edge: WebDep,
    platform: PlatformDep,
    member: HeadOffice,
    days: str = str(DEFAULT_PERIOD),
) -> Response:
    """Sent, withheld and withdrawn messages per day over 7, 30 or 90 days (a chart drawn
    here and its figures), the reasons that kept them back, the unjust messages (sent while
    the policy, knowing what had happened, would have kept them: 0 expected), and how long
    the facts of the tills take to reach the policy."""
    period = _whole(days, most=max(PERIODS))
    if period not in PERIODS:
        return message_problem(request, edge, "bad_period", 400, value=days[:20])
    settings = platform.settings
    zone = settings.business_zone
    until = utcnow()
    first_day = until.astimezone(zone).date() - timedelta(days=period - 1)
    since = day_bounds(first_day, zone)[0]
    language = edge.renderer.language(request)
    _ = edge.renderer.translations[language].gettext
    with platform.db.reading() as session:
        figures = measures.measures(
            session, since=since, until=until, time_zone=settings.business_time_zone
        )
        names = _names(
            session,
            {m.profile_id for m in figures.unjust_messages if m.profile_id},
            settings.phone_region,
        )
    reasons = sorted(
        (
            ReasonCount(status, _reason_sentence(status, reason, language, until), count)
            for status, counts in (
                ("withheld", figures.withheld_by_reason),
                ("withdrawn", figures.withdrawn_by_reason),
            )
            for reason, count in counts.items()
        ),
        key=lambda row: (-row.count, row.sentence),
    )
    till = next((row for row in figures.delays if row.channel == STORE), None)

    def wait(seconds: float | None) -> str:
        if seconds is None:
            return "—"
        if seconds < 60:
            return _("%(seconds)d s") % {"seconds": round(seconds)}
        return duration(timedelta(seconds=seconds), _)

    return edge.renderer.render(
        request,
        "admin/messages/overview.html",
        {
            "days": period,
            "periods": PERIODS,
            "figures": figures,
            "chart": day_chart(figures.days, language),
            "reasons": reasons,
            "till": till,
            "names": names,
            "unjust_reasons": {
                m.message_id: policy.describe(
                    policy.Decision(policy.Outcome(m.outcome), m.reason, {}),
                    language=language,
                    now=m.sent_at,
                )
                for m in figures.unjust_messages
            },
            "wait": wait,
            **words(edge, request),
        },
    )


# --- the delivery log ------------------------------------------------------------------------


def _choice(value: str, allowed: tuple[str, ...]) -> str | None:
    """The filter's value if it is one of the list's ("" for any), else None."""
    return value if value == "" or value in allowed else None


def _pager(path: str, filters: dict[str, str], number: int, total: int) -> dict[str, Any]:
    pages = max(1, -(-total // PAGE_SIZE))

    def link(to: int) -> str:
        return f"{path}?" + urlencode({**filters, "page": to})

    return {
        "page": number,
        "pages": pages,
        "previous_link": link(number - 1) if number > 1 else None,
        "next_link": link(number + 1) if number < pages else None,
    }


@router.get("/messages/log")
def delivery_log(
    request: Request,
    edge: WebDep,
    platform: PlatformDep,
    member: HeadOffice,
    status: str = "",
    kind: str = "",
    channel: str = "",
    page: str = "1",
) -> Response:
    """Every message, newest first: for whom, which trigger, on which channel, to which
    address (masked), through which provider, how it ended and when; filtered by status,
    trigger kind and channel, a page at a time."""
    given = {"status": status, "kind": kind, "channel": channel}
    chosen = {
        "status": _choice(status, MESSAGE_STATUSES),
        "kind": _choice(kind, TRIGGER_KINDS),
        "channel": _choice(channel, CHANNELS),
    }
    for name, value in chosen.items():
        if value is None:
            return message_problem(request, edge, "bad_filter", 400, value=given[name][:50])
    number = _whole(page, most=MAX_PAGE)
    if number is None:
        return message_problem(request, edge, "bad_page", 400, value=page[:50])
    with platform.db.reading() as session:
        found = message_log.list_messages(
            session,
            statuses=(status,) if status else (),
            kind=kind or None,
            channel=channel or None,
            limit=PAGE_SIZE,
            offset=(number - 1) * PAGE_SIZE,
        )
        names = _names(
            session,
            {line.profile_id for line in found.items if line.profile_id},
            platform.settings.phone_region,
        )
    filters = {name: value for name, value in chosen.items() if value}
    return edge.renderer.render(
        request,
        "admin/messages/log.html",
        {
            "items": found.items,
            "total": found.total,
            "names": names,
            "status": status,
            "kind": kind,
            "channel": channel,
            "statuses": MESSAGE_STATUSES,
            "kinds": TRIGGER_KINDS,
            "channels": CHANNELS,
            "masked": masked_recipient,
            **_pager("/admin/messages/log", filters, number, found.total),
            **words(edge, request),
        },
    )


# --- withheld and withdrawn ------------------------------------------------------------------


def reason_sentence(
    status: str,
    reason: str | None,
    facts: dict[str, Any] | None,
    decided_at: datetime,
    language: str,
) -> str:
    """Why a message was kept back or taken away, as of its decision: "Retenu : retour il
    y a 2 jours" ("—" for a message neither withheld nor withdrawn)."""
    outcome = OUTCOME_OF_STATUS.get(status)
    if outcome is None or reason is None:
        return "—"
    decision = policy.Decision(outcome, reason, facts or {})
    return policy.describe(decision, language=language, now=decided_at)


@router.get("/messages/withheld")
def set_aside(
    request: Request,
    edge: WebDep,
    platform: PlatformDep,
    member: HeadOffice,
    page: str = "1",
) -> Response:
    """The messages the policy withheld or withdrew, the latest decision first, each with
    its reason in words."""
    number = _whole(page, most=MAX_PAGE)
    if number is None:
        return message_problem(request, edge, "bad_page", 400, value=page[:50])
    language = edge.renderer.language(request)
    with platform.db.reading() as session:
        found = message_log.list_messages(
            session,
            statuses=message_log.SET_ASIDE,
            newest="decided",
            limit=PAGE_SIZE,
            offset=(number - 1) * PAGE_SIZE,
        )
        names = _names(
            session,
            {line.profile_id for line in found.items if line.profile_id},
            platform.settings.phone_region,
        )
    return edge.renderer.render(
        request,
        "admin/messages/withheld.html",
        {
            "items": found.items,
            "total": found.total,
            "names": names,
            "why": {
                line.id: reason_sentence(
                    line.status,
                    line.reason,
                    line.reason_facts,
                    line.decided_at or line.created_at,
                    language,
                )
                for line in found.items
            },
            **_pager("/admin/messages/withheld", {}, number, found.total),
            **words(edge, request),
        },
    )


# --- the local mailbox -----------------------------------------------------------------------


@router.get("/messages/mailbox")
def mailbox(
    request: Request,
    edge: WebDep,
    platform: PlatformDep,
    member: HeadOffice,
    page: str = "1",
) -> Response:
    """The messages delivered to the local mailbox (no provider configured), newest first,
    each opening onto its rendered content."""
    number = _whole(page, most=MAX_PAGE)
    if number is None:
        return message_problem(request, edge, "bad_page", 400, value=page[:50])
    with platform.db.reading() as session:
        found = message_log.list_messages(
            session,
            statuses=("sent",),
            provider=message_log.MAILBOX,
            newest="sent",
            limit=PAGE_SIZE,
            offset=(number - 1) * PAGE_SIZE,
        )
        names = _names(
            session,
            {line.profile_id for line in found.items if line.profile_id},
            platform.settings.phone_region,
        )
    return edge.renderer.render(
        request,
        "admin/messages/mailbox.html",
        {
            "items": found.items,
            "total": found.total,
            "names": names,
            "masked": masked_recipient,
            **_pager("/admin/messages/mailbox", {}, number, found.total),
            **words(edge, request),
        },
    )


# --- one message -----------------------------------------------------------------------------


@router.get("/messages/{message_id}")
def message_page(
    request: Request,
    edge: WebDep,
    platform: PlatformDep,
    member: HeadOffice,
    message_id: str,
) -> Response:
    """One message: the person, the trigger, where it stands, every decision of the policy
    with its reason and time, every delivery attempt, and what was sent (the text, and the
    HTML in a sandboxed frame that runs nothing)."""
    language = edge.renderer.language(request)
    with platform.db.reading() as session:
        try:
            found = engagement_messages.get_message(
                session, message_id=message_id[:26], actor=engagement_admin(member)
            )
        except UnknownMessage:
            return message_problem(request, edge, "unknown_message", 404, value=message_id[:40])
        names = _names(
            session,
            {found.profile_id} if found.profile_id else set(),
            platform.settings.phone_region,
        )
        trigger_name = message_log.trigger_names(session).get(found.trigger)
    known = {outcome.value for outcome in policy.Outcome}
    decisions = [
        {
            "line": decision,
            "sentence": policy.describe(
                policy.Decision(policy.Outcome(decision.outcome), decision.reason, decision.facts),
                language=language,
                now=decision.decided_at,
            ),
        }
        for decision in found.decisions
        if decision.outcome in known
    ]
    why = reason_sentence(
        found.status,
        found.reason,
        found.reason_facts,
        found.decided_at or found.created_at,
        language,
    )
    return edge.renderer.render(
        request,
        "admin/messages/message.html",
        {
            "found": found,
            "name": names.get(found.profile_id or ""),
            "trigger_name": trigger_name,
            "decisions": decisions,
            "why": why,
            "masked": masked_recipient,
            **words(edge, request),
        },
    )


@router.get("/messages/{message_id}/content")
def message_content(
    request: Request,
    edge: WebDep,
    platform: PlatformDep,
    member: HeadOffice,
    message_id: str,
) -> Response:
    """The HTML of what was sent, for the sealed frame of the message's page."""
    with platform.db.reading() as session:
        try:
            found = engagement_messages.get_message(
                session, message_id=message_id[:26], actor=engagement_admin(member)
            )
        except UnknownMessage:
            found = None
    if found is None or not found.rendered_html:
        return message_problem(request, edge, "unknown_message", 404, value=message_id[:40])
    return framed_html(found.rendered_html)
