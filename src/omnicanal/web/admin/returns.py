"""Returns in the back office: head office's review queue, one return in full with its
decision, a postal return's label, and the return measures.

The queue, the decision, the label and the measures are the returns module's use cases
(``returns.service``, ``returns.tokens``, ``returns.metrics``), the same the API calls; these
pages only ask, confirm and show. Head office decides as a reviewer: the ``returns:review``
scope a head-office key carries, under the member's own name.
"""

from __future__ import annotations

import dataclasses
from datetime import timedelta
from typing import Any
from urllib.parse import urlencode

from babel.numbers import format_decimal, format_percent
from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse, Response
from markupsafe import Markup
from pydantic import ValidationError
from sqlalchemy.orm import Session

from omnicanal.catalog import service as catalog
from omnicanal.network import service as network
from omnicanal.platform.actors import Actor
from omnicanal.platform.clock import utcnow
from omnicanal.platform.errors import DomainError
from omnicanal.platform.http.deps import PlatformDep
from omnicanal.platform.http.problems import status_of
from omnicanal.platform.idempotency import IdempotencyKeyReused, run_write
from omnicanal.platform.ids import new_id
from omnicanal.returns import access, metrics, service
from omnicanal.returns.errors import InvalidReturnTransition, UnknownReturn
from omnicanal.returns.rules import ReviewCode
from omnicanal.returns.schemas import ReviewIn
from omnicanal.returns.states import ReturnStatus
from omnicanal.returns.tokens import LABEL_MEDIA_TYPES, LabelFormat, label
from omnicanal.staff.service import StaffMember
from omnicanal.web.admin.common import (
    CHART_BASE,
    CHART_HEIGHT,
    CHART_WIDTH,
    HeadOffice,
    bar_chart,
    problem,
    staff_actor,
)
from omnicanal.web.basket import customer_of
from omnicanal.web.edge import Form, WebDep, WebEdge
from omnicanal.web.labels import CHANNEL_LABELS, RETURN_REASON_LABELS, REVIEW_REASON_NAMES
from omnicanal.web.rendering import duration

__all__ = ["router"]

router = APIRouter()

PAGE_SIZE = 25
MAX_PAGE = 10_000
PERIODS = (7, 30, 90)
DEFAULT_PERIOD = 30
BY_POST = "post"
"""The place filter's value for every postal return, wherever (and whether) it arrived."""
DONE = {"approved": "The return is approved.", "refused": "The return is refused."}
REVIEW_CHOICES = ("approve", "refuse")
FORMATS: tuple[LabelFormat, ...] = ("png", "svg", "pdf")
SERVICE_NOTES = {
    "parcel": "Parcel scanned where it arrived",
    "exchange": "Inspected for the exchange",
}
"""The notes the returns module writes itself in a return's history, in words."""


def reviewer(member: StaffMember) -> Actor:
    """Head office as the returns module sees it: a reader of every return who decides the
    reviews (a head-office key's scopes), recorded under the member's name."""
    return dataclasses.replace(
        staff_actor(member), scopes=frozenset({"returns:read", access.REVIEW_SCOPE})
    )


def _names(session: Session, references: set[str]) -> dict[str, str]:
    """The name of each customer reference's person (their e-mail when no name is known)."""
    names: dict[str, str] = {}
    for reference in sorted(references):
        customer = customer_of(session, reference)
        if customer is not None and (customer.name or customer.email):
            names[reference] = customer.name or customer.email
    return names


def _places(session: Session) -> list[network.LocationRef]:
    """The locations a return may come back to, by code."""
    return sorted(
        (place for place in network.list_locations(session) if place.accepts_returns),
        key=lambda place: place.code,
    )


# --- the queue ---------------------------------------------------------------------------


def _choice(value: str, allowed: list[str]) -> str | None:
    """The filter's value if it is one of the list's ("" for all), else None."""
    return value if value == "" or value in allowed else None


def _whole(text: str, *, most: int) -> int | None:
    """A whole number from 1 to ``most`` written in ASCII digits, else None."""
    if not (text.isascii() and text.isdigit() and len(text) <= len(str(most))):
        return None
    return int(text) if 0 < int(text) <= most else None


@router.get("/returns")
def queue(
    request: Request,
    edge: WebDep,
    platform: PlatformDep,
    member: HeadOffice,
    status: str = "",
    place: str = "",
    reason: str = "",
    page: str = "1",
) -> Response:
    """The returns waiting for review first (the longest wait on top), then the others;
    filtered by status, place of return and review reason."""
    with platform.db.reading() as session:
        places = _places(session)
        codes = [BY_POST, *(location.code for location in places)]
        chosen = {
            "status": _choice(status, [s.value for s in ReturnStatus]),
            "place": _choice(place, codes),
            "reason": _choice(reason, [r.value for r in ReviewCode]),
        }
        for name, value in chosen.items():
            if value is None:
                given = {"status": status, "place": place, "reason": reason}[name]
                return problem(request, edge, "bad_filter", 400, value=given[:50])
        number = _whole(page, most=MAX_PAGE)
        if number is None:
            return problem(request, edge, "bad_filter", 400, value=page[:50])
        found = service.review_queue(
            session,
            status=ReturnStatus(status) if status else None,
            location=place if place and place != BY_POST else None,
            return_channel=BY_POST if place == BY_POST else None,
            reason=ReviewCode(reason) if reason else None,
            limit=PAGE_SIZE,
            offset=(number - 1) * PAGE_SIZE,
            actor=reviewer(member),
        )
        names = _names(session, {item.customer_ref for item in found.items if item.customer_ref})
    filters = {key: value for key, value in chosen.items() if value}
    pages = max(1, -(-found.total // PAGE_SIZE))

    def link(to: int) -> str:
        return "/admin/returns?" + urlencode({**filters, "page": to})

    return edge.renderer.render(
        request,
        "admin/returns.html",
        {
            "items": found.items,
            "total": found.total,
            "names": names,
            "places": places,
            "place_names": {location.code: location.name for location in places},
            "statuses": [s.value for s in ReturnStatus],
            "reasons": [r.value for r in ReviewCode],
            "reason_names": REVIEW_REASON_NAMES,
            "status": status,
            "place": place,
            "reason": reason,
            "page": number,
            "pages": pages,
            "previous_link": link(number - 1) if number > 1 else None,
            "next_link": link(number + 1) if number < pages else None,
            "done_messages": DONE,
        },
    )


# --- the measures --------------------------------------------------------------------------


def _bars(values: list[tuple[str, int]]) -> dict[str, Any]:
    return {
        "bars": bar_chart(values),
        "width": CHART_WIDTH,
        "height": CHART_HEIGHT,
        "base": CHART_BASE,
    }


@router.get("/returns/measures")
def measures(
    request: Request,
    edge: WebDep,
    platform: PlatformDep,
    member: HeadOffice,
    days: str = str(DEFAULT_PERIOD),
) -> Response:
    """Exchanges against refunds, return rates by channel of purchase, returns by channel and
    place of return, reasons, and the time from a return to its refund, over 7, 30 or 90
    days: each a chart drawn here and its figures."""
    period = _whole(days, most=max(PERIODS))
    if period not in PERIODS:
        period = None
    if period is None:
        return problem(request, edge, "bad_period", 400, value=days[:20])
    until = utcnow()
    with platform.db.reading() as session:
        figures = metrics.return_metrics(session, since=until - timedelta(days=period), until=until)
        named = network.locations_by_code(
            session, {row.location for row in figures.by_return_place if row.location}
        )
    language = edge.renderer.language(request)
    _ = edge.renderer.translations[language].gettext
    place_names = {code: location.name for code, location in named.items()}

    def percent(share: float | None) -> str:
        return "—" if share is None else format_percent(share, locale=language)

    def decimal(value: float | None) -> str:
        return "—" if value is None else format_decimal(value, format="#,##0.0", locale=language)

    def wait(seconds: float | None) -> str:
        return "—" if seconds is None else duration(timedelta(seconds=seconds), _)

    return edge.renderer.render(
        request,
        "admin/return_measures.html",
        {
            "figures": figures,
            "days": period,
            "periods": PERIODS,
            "percent": percent,
            "wait": wait,
            "decimal": decimal,
            "place_names": place_names,
            "outcome_chart": _bars(
                [(_("Exchanges"), figures.exchanged), (_("Refunds"), figures.refunded)]
            ),
            "rate_chart": _bars(
                [
                    (
                        _(CHANNEL_LABELS.get(row.channel, row.channel)),
                        round(100 * row.rate) if row.rate is not None else 0,
                    )
                    for row in figures.by_purchase_channel
                ]
            ),
            "place_chart": _bars(
                [(row.location or _("on its way"), row.returns) for row in figures.by_return_place]
            ),
            "reason_chart": _bars(
                [
                    (_(RETURN_REASON_LABELS.get(row.reason, row.reason)), row.units)
                    for row in figures.reasons
                ]
            ),
        },
    )


# --- one return ------------------------------------------------------------------------------


def _detail(
    request: Request,
    edge: WebEdge,
    platform: PlatformDep,
    member: StaffMember,
    return_id: str,
    *,
    refusal: str | None = None,
    note: str = "",
    status_code: int = 200,
) -> Response:
    with platform.db.reading() as session:
        try:
            returned = service.get_return(session, return_id=return_id, actor=reviewer(member))
        except UnknownReturn:
            return problem(request, edge, "unknown_return", 404, value=return_id[:40])
        names = catalog.product_names(session, [line.sku for line in returned.lines])
        customer = customer_of(session, returned.customer_ref) if returned.customer_ref else None
        codes = {returned.location} | {entry.location for entry in returned.history}
        places = network.locations_by_code(session, {code for code in codes if code})
    return edge.renderer.render(
        request,
        "admin/return.html",
        {
            "returned": returned,
            "names": names,
            "customer": customer,
            "place_names": {code: location.name for code, location in places.items()},
            "waiting": returned.status == ReturnStatus.review_pending,
            # One key per form, made now: a decision sent twice is made once.
            "approve_key": new_id(),
            "refuse_key": new_id(),
            "refusal": refusal,
            "note": note,
            "service_notes": SERVICE_NOTES,
        },
        status_code=status_code,
    )


@router.get("/returns/{return_id}")
def return_page(
    request: Request, edge: WebDep, platform: PlatformDep, member: HeadOffice, return_id: str
) -> Response:
    """One return: who, what, why it waits, its lines, inspection, refund or exchange, and
    every step with who made it, where and when; the decision when it waits for review."""
    return _detail(request, edge, platform, member, return_id)


@router.post("/returns/{return_id}/review")
def decide(
    request: Request,
    edge: WebDep,
    platform: PlatformDep,
    member: HeadOffice,
    form: Form,
    return_id: str,
) -> Response:
    """Approve, or refuse once confirmed, a return waiting for review, with a note; back to
    the queue, which says what was done."""
    decision = form.get("decision", "")
    note = form.get("note", "").strip()
    if decision not in REVIEW_CHOICES:
        return problem(request, edge, "bad_decision", 400)
    try:
        data = ReviewIn.model_validate({"decision": decision, "note": note})
    except ValidationError:
        return problem(request, edge, "note_too_long", 400)
    if decision == "refuse" and form.get("confirm") != "yes":
        return _detail(
            request,
            edge,
            platform,
            member,
            return_id,
            refusal="not_confirmed",
            note=note,
            status_code=400,
        )
    actor = reviewer(member)

    def decide_it(session: Session) -> dict[str, str]:
        decided = service.review(session, return_id=return_id, data=data, actor=actor)
        return {"id": decided.id, "status": decided.status}

    try:
        run_write(
            platform.db,
            actor=actor,
            key=form.get("key") or None,
            operation=f"return_review:{return_id}:{decision}",
            payload={"decision": decision, "note": note},
            status_code=200,
            action=decide_it,
        )
    except UnknownReturn:
        return problem(request, edge, "unknown_return", 404, value=return_id[:40])
    except InvalidReturnTransition:
        return problem(request, edge, "return_decided", 409)
    except IdempotencyKeyReused:
        return problem(request, edge, "form_reused", 409)
    except DomainError as error:
        return problem(request, edge, "refused", status_of(error))
    done = "approved" if decision == "approve" else "refused"
    return RedirectResponse(f"/admin/returns?done={done}", status_code=303)


# --- a postal return's label -------------------------------------------------------------------


def _token(platform: PlatformDep, member: StaffMember, return_id: str) -> str | None:
    """The return's postal authorisation (None: taken at a counter); UnknownReturn if none."""
    with platform.db.reading() as session:
        return service.label_token(session, return_id=return_id, actor=reviewer(member))


@router.get("/returns/{return_id}/label")
def label_page(
    request: Request, edge: WebDep, platform: PlatformDep, member: HeadOffice, return_id: str
) -> Response:
    """The label to print and stick on the parcel (its QR code holds the signed
    authorisation), and the same label to download as PNG, SVG or PDF."""
    try:
        token = _token(platform, member, return_id)
        with platform.db.reading() as session:
            returned = service.get_return(session, return_id=return_id, actor=reviewer(member))
            names = catalog.product_names(session, [line.sku for line in returned.lines])
            customer = (
                customer_of(session, returned.customer_ref) if returned.customer_ref else None
            )
    except UnknownReturn:
        return problem(request, edge, "unknown_return", 404, value=return_id[:40])
    if token is None:
        return problem(request, edge, "no_label", 409)
    _ = edge.renderer.translations[edge.renderer.language(request)].gettext
    svg = label(token, fmt="svg", title=_("Return %(id)s") % {"id": return_id}).decode()
    return edge.renderer.render(
        request,
        "admin/return_label.html",
        {
            "returned": returned,
            "names": names,
            "customer": customer,
            # Markup: segno's SVG, whose only texts (title, token) it escapes itself.
            "label_svg": Markup(svg[svg.index("<svg") :]),
            "formats": FORMATS,
        },
    )


@router.get("/returns/{return_id}/label.{fmt}")
def label_file(
    request: Request,
    edge: WebDep,
    platform: PlatformDep,
    member: HeadOffice,
    return_id: str,
    fmt: str,
) -> Response:
    """The label as a PNG, SVG or PDF file (what ``/v1/returns/{id}/label.*`` answers)."""
    chosen = next((known for known in FORMATS if known == fmt), None)
    if chosen is None:
        return problem(request, edge, "unknown_label_format", 404, value=fmt[:10])
    try:
        token = _token(platform, member, return_id)
    except UnknownReturn:
        return problem(request, edge, "unknown_return", 404, value=return_id[:40])
    if token is None:
        return problem(request, edge, "no_label", 409)
    _ = edge.renderer.translations[edge.renderer.language(request)].gettext
    body = label(token, fmt=chosen, title=_("Return %(id)s") % {"id": return_id})
    return Response(
        body,
        media_type=LABEL_MEDIA_TYPES[chosen],
        headers={"Content-Disposition": f'attachment; filename="return-{return_id}.{chosen}"'},
    )
