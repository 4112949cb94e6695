"""The audit log for head office: who changed what, when and from where."""

from __future__ import annotations

from datetime import date

from babel.dates import format_datetime
from fastapi import APIRouter, Request
from fastapi.responses import Response

from omnicanal.platform import audit
from omnicanal.platform.http.deps import PlatformDep
from omnicanal.web.admin.common import HeadOffice, day_bounds, problem
from omnicanal.web.edge import WebDep

__all__ = ["router"]

router = APIRouter()

SHOWN = 200
RESOURCE_LABELS = {
    "order": "Order",
    "fulfilment": "Fulfilment",
    "stock": "Stock",
    "reservation": "Reservation",
    "price_override": "Price override",
    "list_price": "List price",
    "promotion": "Promotion",
    "profile": "Customer",
    "identity_review": "Identity review",
    "return": "Return",
    "product": "Product",
    "location": "Location",
    "channel": "Channel",
    "api_key": "API key",
    "staff": "Staff account",
    "message_trigger": "Message trigger",
    "message_template": "Message template",
    "message_segment": "Segment",
    "message_policy": "Message policy",
    "pilot": "Pilot-store test",
}


@router.get("/audit")
def audit_log(
    request: Request,
    edge: WebDep,
    platform: PlatformDep,
    member: HeadOffice,
    who: str = "",
    what: str = "",
    since: str = "",
    until: str = "",
) -> Response:
    """The newest changes first, filtered by who, what and days (in the retailer's time)."""
    start = end = None
    zone = platform.settings.business_zone
    for value in (since, until):
        if value:
            try:
                date.fromisoformat(value)
            except ValueError:
                return problem(request, edge, "bad_date", 400, value=value)
    if since:
        start = day_bounds(date.fromisoformat(since), zone)[0]
    if until:
        end = day_bounds(date.fromisoformat(until), zone)[1]
    with platform.db.reading() as session:
        rows = audit.list_entries(
            session,
            who=who[:300] or None,
            what=what[:200] or None,
            since=start,
            until=end,
            limit=SHOWN,
        )
    language = edge.renderer.language(request)
    times = [format_datetime(row.at, "short", tzinfo=zone, locale=language) for row in rows]
    return edge.renderer.render(
        request,
        "admin/audit.html",
        {
            "rows": list(zip(rows, times, strict=True)),
            "who": who,
            "what": what,
            "since": since,
            "until": until,
            "resource_labels": RESOURCE_LABELS,
            "capped": len(rows) >= SHOWN,
        },
    )
