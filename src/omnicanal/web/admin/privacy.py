"""The customer's rights in the back office: find a person by any identifier, hand over what
omnicanal holds about them (JSON or a zip of CSV), erase them after a confirmation.

The lookup, the export and the erasure are the privacy module's use cases, the same the API
and the command line call; this page only asks, confirms and shows.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from babel.dates import format_datetime
from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse, Response

from omnicanal.platform import audit
from omnicanal.platform.clock import as_utc, utcnow
from omnicanal.platform.errors import Conflict, InvalidInput, NotFound
from omnicanal.platform.http.deps import PlatformDep
from omnicanal.privacy import service as privacy
from omnicanal.privacy.summary import ErasureReason, PersonSummary, summarise
from omnicanal.web.admin.common import HeadOffice, problem, staff_actor
from omnicanal.web.edge import Form, WebDep, WebEdge

__all__ = ["router"]

router = APIRouter()

SHOWN_ERASURES = 50
LONGEST_IDENTIFIER = 254
# The word typed to confirm an erasure, in either language of the pages (the reader may switch
# between showing the form and sending it).
CONFIRMATION_WORDS = frozenset({"EFFACER", "ERASE"})
DONE = {"erased": "The person is erased. Their orders stay in the accounts without them."}
REASON_LABELS = {
    "request": "The customer asked to be forgotten",
    "consent_withdrawn": "The customer withdrew their consent",
    "objection": "The customer objected to the processing",
    "unlawful": "The data was processed unlawfully",
    "retention": "Retention period over",
}
COUNT_LABELS = {
    "customer_rows": "Profile rows deleted (identifiers, traits, timeline…)",
    "tracking_messages": "Tracked messages deleted",
    "carts": "Carts deleted",
    "orders_anonymised": "Orders kept without the customer",
    "deliveries_anonymised": "Deliveries kept without the address",
    "coupon_redemptions": "Coupon redemptions without the customer",
    "outbox_events": "Events blanked",
    "idempotent_answers": "Stored answers deleted",
}


def _when(moment: datetime | str, language: str, zone: ZoneInfo) -> str:
    at = datetime.fromisoformat(moment) if isinstance(moment, str) else moment
    return format_datetime(as_utc(at), "short", tzinfo=zone, locale=language)


def _erasures(session: Any, language: str, zone: ZoneInfo) -> list[dict[str, Any]]:
    return [
        {**row, "when": _when(row["erased_at"], language, zone)}
        for row in privacy.list_erasures(session, limit=SHOWN_ERASURES)
    ]


def _page(
    request: Request,
    edge: WebEdge,
    platform: PlatformDep,
    *,
    kind: str,
    value: str,
    person: PersonSummary | None = None,
    refusal: str | None = None,
    erasure_id: str = "",
    status_code: int = 200,
) -> Response:
    language = edge.renderer.language(request)
    with platform.db.reading() as session:
        erasures = _erasures(session, language, platform.settings.business_zone)
    return edge.renderer.render(
        request,
        "admin/privacy.html",
        {
            "kinds": privacy.LOOKUP_KINDS,
            "kind": kind,
            "value": value,
            "person": person,
            "refusal": refusal,
            "reasons": [reason.value for reason in ErasureReason],
            "reason_labels": REASON_LABELS,
            "count_labels": COUNT_LABELS,
            "erasures": erasures,
            "erased": next((row for row in erasures if row["id"] == erasure_id), None),
            "done_messages": DONE,
        },
        status_code=status_code,
    )


def _summary(platform: PlatformDep, given: dict[str, str | None]) -> PersonSummary:
    with platform.db.reading() as session:
        found = privacy.find_person(session, given=given, region=platform.settings.phone_region)
        return summarise(privacy.export_person(session, profile_id=found))


@router.get("/privacy")
def privacy_page(
    request: Request,
    edge: WebDep,
    platform: PlatformDep,
    member: HeadOffice,
    kind: str = "email",
    value: str = "",
    erasure: str = "",
) -> Response:
    """Find a person by one identifier and show what is held about them; the erasures done."""
    typed = value.strip()
    if kind not in privacy.LOOKUP_KINDS:
        return _page(
            request,
            edge,
            platform,
            kind="email",
            value="",
            refusal="unknown_kind",
            status_code=400,
        )
    if not typed:
        return _page(request, edge, platform, kind=kind, value="", erasure_id=erasure)
    if len(typed) > LONGEST_IDENTIFIER:
        return _page(
            request, edge, platform, kind=kind, value="", refusal="invalid", status_code=400
        )
    try:
        person = _summary(platform, {kind: typed})
    except NotFound:
        return _page(
            request, edge, platform, kind=kind, value=typed, refusal="nobody", status_code=404
        )
    except Conflict:
        return _page(
            request, edge, platform, kind=kind, value=typed, refusal="shared", status_code=409
        )
    except InvalidInput:
        return _page(
            request, edge, platform, kind=kind, value=typed, refusal="invalid", status_code=400
        )
    return _page(request, edge, platform, kind=kind, value=typed, person=person)


@router.get("/privacy/{profile_id}/export")
def download(
    request: Request,
    edge: WebDep,
    platform: PlatformDep,
    member: HeadOffice,
    profile_id: str,
    format: str = "json",
) -> Response:
    """Everything held about the person, as a JSON file or a zip of CSV files to hand over."""
    try:
        with platform.db.reading() as session:
            export = privacy.export_person(session, profile_id=profile_id)
        body, media_type, extension = privacy.export_as(export, format)
    except NotFound:
        return problem(request, edge, "unknown_customer", 404)
    except InvalidInput:
        return problem(request, edge, "unknown_export_format", 400, value=format[:20])
    day = utcnow().astimezone(platform.settings.business_zone).date().isoformat()
    name = f"omnicanal-{export['person']['profile_id']}-{day}.{extension}"
    return Response(
        body,
        media_type=media_type,
        headers={
            "Content-Disposition": f'attachment; filename="{name}"',
            # Personal data: no copy left in a shared cache or the browser's.
            "Cache-Control": "no-store",
        },
    )


@router.post("/privacy/{profile_id}/erase")
def erase(
    request: Request,
    edge: WebDep,
    platform: PlatformDep,
    member: HeadOffice,
    form: Form,
    profile_id: str,
) -> Response:
    """Erase the person once the word is typed and a reason chosen; back to the page, which
    shows the erasure's record."""
    try:
        person = _summary(platform, {"profile_id": profile_id})
    except NotFound:
        return problem(request, edge, "unknown_customer", 404)
    confirmed = form.get("confirmation", "").strip().upper() in CONFIRMATION_WORDS
    try:
        reason = ErasureReason(form.get("reason", ""))
    except ValueError:
        reason = None
    if not confirmed or reason is None:
        refusal = "not_confirmed" if not confirmed else "no_reason"
        return _page(
            request,
            edge,
            platform,
            kind="profile_id",
            value=person.profile_id,
            person=person,
            refusal=refusal,
            status_code=400,
        )
    try:
        with platform.db.transaction() as session:
            actor = staff_actor(member)
            done = privacy.erase_person(
                session, profile_id=person.profile_id, actor=actor, reason=reason.value
            )
            audit.record(session, actor=actor, operation=f"erase:{person.profile_id}")
    except NotFound:
        return problem(request, edge, "unknown_customer", 404)
    return RedirectResponse(f"/admin/privacy?done=erased&erasure={done.id}", status_code=303)
