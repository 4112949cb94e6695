"""Webhooks in the back office (``/admin/webhooks``): the endpoints the retailer's systems
receive events at, one added (its secret shown this once; or forwarding to a Segment-compatible
tracking API with a write key), disabled or enabled again once
confirmed; an endpoint's deliveries and its dead-letter list, one delivery or all since a
time replayed. An endpoint omnicanal disabled because it kept failing carries a notice.

The pages call the webhooks module's use cases (``webhooks.service``), the same the API
calls with a ``webhooks:admin`` key; head office acts with that scope under the member's own
name, and each change is in the audit log.
"""

from __future__ import annotations

import dataclasses
import re
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse, Response
from pydantic import ValidationError

from omnicanal.platform import audit
from omnicanal.platform.actors import Actor
from omnicanal.platform.bounds import check_moment
from omnicanal.platform.events import declared_events
from omnicanal.platform.http.deps import PlatformDep
from omnicanal.staff.service import StaffMember
from omnicanal.web.admin.common import HeadOffice, staff_actor
from omnicanal.web.edge import Form, WebDep
from omnicanal.webhooks import segment, service
from omnicanal.webhooks.access import ADMIN_SCOPE
from omnicanal.webhooks.errors import (
    DeliveryNotDead,
    EndpointDisabled,
    InvalidEndpointUrl,
    InvalidWriteKey,
    NotForwardedToSegment,
    UnknownEventType,
    UnknownWebhookDelivery,
    UnknownWebhookEndpoint,
)
from omnicanal.webhooks.schemas import FORMATS, MAX_DESCRIPTION, EndpointIn, EndpointUpdateIn

__all__ = ["router", "webhooks_admin"]

router = APIRouter()

PATH = "/admin/webhooks"
PAGE_SIZE = 50
STATUSES = ("", *service.DELIVERY_STATUSES)
DONE = {
    "disabled": "The endpoint is disabled: it receives nothing until it is enabled again.",
    "enabled": "The endpoint is enabled: it receives the new events again.",
    "replayed": "The delivery will be sent again in a few seconds.",
    "replayed_all": "The deliveries of the dead-letter list will be sent again.",
}
DELIVERY_STATUS_LABELS = {
    "": "Every delivery",
    "pending": "Waiting to be sent",
    "delivered": "Received",
    "dead": "Given up",
}
DEAD_REASON_LABELS = {
    "gave_up": "No answer in 24 hours of retries",
    "endpoint_disabled": "The endpoint was disabled",
    "refused": "Refused by the receiver: not sent again",
}
FORMAT_LABELS = {
    "standard": "Signed webhooks",
    "segment": "Segment (track messages)",
}
DISABLED_REASON_LABELS = {
    "requested": "Disabled by head office",
    "failing": "Disabled by omnicanal: it kept failing",
}
SPLIT = re.compile(r"[\s,;]+")


def webhooks_admin(member: StaffMember) -> Actor:
    """Head office as the webhooks module sees it: a ``webhooks:admin`` key under the
    member's name."""
    return dataclasses.replace(staff_actor(member), scopes=frozenset({ADMIN_SCOPE}))


def _choices() -> list[str]:
    """What an endpoint may follow, offered as the field is typed."""
    types = sorted(declared_events())
    return ["*", *sorted({f"{t.split('.', 1)[0]}.*" for t in types}), *types]


def _list_page(
    request: Request,
    edge: WebDep,
    platform: PlatformDep,
    member: StaffMember,
    *,
    form: dict[str, str] | None = None,
    refusal: str | None = None,
    value: str = "",
    created: Any = None,
    status_code: int = 200,
) -> Response:
    with platform.db.reading() as session:
        page = service.list_endpoints(session, actor=webhooks_admin(member), limit=service.MAX_PAGE)
    return edge.renderer.render(
        request,
        "admin/webhooks.html",
        {
            "endpoints": page.items,
            "more": page.has_more,
            "form": form or {},
            "refusal": refusal,
            "value": value,
            "created": created,
            "choices": _choices(),
            "forwarded": segment.EVENT_TYPES,
            "formats": FORMAT_LABELS,
            "disabled_reason": DISABLED_REASON_LABELS,
            "max_description": MAX_DESCRIPTION,
            "done_messages": DONE,
        },
        status_code=status_code,
    )


@router.get("/webhooks")
def endpoints_page(
    request: Request, edge: WebDep, platform: PlatformDep, member: HeadOffice
) -> Response:
    """The endpoints, their state, what waits for them, and the form to add one."""
    return _list_page(request, edge, platform, member)


def _new_endpoint(form: dict[str, str]) -> EndpointIn | tuple[str, str]:
    """The endpoint a form asks for, or why it is refused (and the value at fault)."""
    url = form.get("url", "").strip()
    types = [item for item in SPLIT.split(form.get("event_types", "")) if item]
    description = form.get("description", "").strip()
    kind = form.get("format", "standard")
    write_key = form.get("write_key", "").strip() if kind == segment.SEGMENT else ""
    if not url:
        return "no_url", ""
    if not types:
        return "no_event_type", ""
    if len(description) > MAX_DESCRIPTION:
        return "description_too_long", ""
    if kind not in FORMATS:
        return "bad_format", ""
    if kind == segment.SEGMENT and not write_key:
        return "no_write_key", ""
    try:
        return EndpointIn.model_validate(
            {
                "url": url,
                "event_types": types,
                "description": description,
                "format": kind,
                "write_key": write_key or None,
            }
        )
    except ValidationError as error:
        where = str(error.errors()[0]["loc"][0]) if error.errors() else ""
        if where == "write_key":
            return "bad_write_key", ""
        return ("bad_event_types", "") if where == "event_types" else ("bad_url", url[:100])


@router.post("/webhooks")
def add_endpoint(
    request: Request, edge: WebDep, platform: PlatformDep, member: HeadOffice, form: Form
) -> Response:
    """Add an endpoint; the page then shows its secret, this once."""
    asked = _new_endpoint(form)
    if isinstance(asked, tuple):
        refusal, value = asked
        return _list_page(
            request,
            edge,
            platform,
            member,
            form=form,
            refusal=refusal,
            value=value,
            status_code=422,
        )
    actor = webhooks_admin(member)
    try:
        with platform.db.transaction() as session:
            made = service.create_endpoint(
                session,
                data=asked,
                actor=actor,
                allow_private=platform.settings.webhooks_allow_private_urls,
            )
            audit.record(session, actor=actor, operation="webhook_endpoint", resource_id=made.id)
    except InvalidEndpointUrl:
        return _list_page(
            request,
            edge,
            platform,
            member,
            form=form,
            refusal="bad_url",
            value=asked.url[:100],
            status_code=422,
        )
    except InvalidWriteKey:
        return _list_page(
            request, edge, platform, member, form=form, refusal="no_write_key", status_code=422
        )
    except NotForwardedToSegment:
        refused = [t for t in asked.event_types if t not in segment.EVENT_TYPES]
        return _list_page(
            request,
            edge,
            platform,
            member,
            form=form,
            refusal="not_forwarded",
            value=" ".join(refused)[:100],
            status_code=422,
        )
    except UnknownEventType:
        unknown = [t for t in asked.event_types if t not in _choices()]
        return _list_page(
            request,
            edge,
            platform,
            member,
            form=form,
            refusal="unknown_event_type",
            value=" ".join(unknown)[:100],
            status_code=422,
        )
    return _list_page(request, edge, platform, member, created=made, status_code=201)


# --- one endpoint ------------------------------------------------------------------------------


def _moment(text: str, zone: ZoneInfo) -> datetime | None:
    """A date and time typed in the business time zone (``2026-12-06T10:30``), in UTC; None
    when it is not one."""
    cleaned = text.strip()
    if not cleaned or len(cleaned) > 30:
        return None
    try:
        moment = datetime.fromisoformat(cleaned)
    except ValueError:
        return None
    if moment.tzinfo is None:
        if not 1900 <= moment.year <= 2200:
            return None
        moment = moment.replace(tzinfo=zone)
    try:
        return check_moment(moment)
    except (ValueError, OverflowError):
        return None


def _endpoint_page(
    request: Request,
    edge: WebDep,
    platform: PlatformDep,
    member: StaffMember,
    endpoint_id: str,
    *,
    status: str = "",
    refusal: str | None = None,
    value: str = "",
    status_code: int = 200,
) -> Response:
    actor = webhooks_admin(member)
    with platform.db.reading() as session:
        try:
            endpoint = service.get_endpoint(session, endpoint_id=endpoint_id, actor=actor)
        except UnknownWebhookEndpoint:
            return edge.renderer.render(
                request,
                "admin/webhook.html",
                {"endpoint": None, "refusal": "unknown_endpoint"},
                status_code=404,
            )
        page = service.list_deliveries(
            session,
            endpoint_id=endpoint_id,
            actor=actor,
            status=status or None,
            limit=PAGE_SIZE,
        )
        dead = service.list_deliveries(
            session, endpoint_id=endpoint_id, actor=actor, status="dead", limit=PAGE_SIZE
        )
    return edge.renderer.render(
        request,
        "admin/webhook.html",
        {
            "endpoint": endpoint,
            "deliveries": page.items,
            "more": page.has_more,
            "dead": dead.items,
            "more_dead": dead.has_more,
            "status": status,
            "statuses": STATUSES,
            "status_label": DELIVERY_STATUS_LABELS,
            "dead_reason": DEAD_REASON_LABELS,
            "disabled_reason": DISABLED_REASON_LABELS,
            "refusal": refusal,
            "value": value,
            "done_messages": DONE,
        },
        status_code=status_code,
    )


@router.get("/webhooks/{endpoint_id}")
def endpoint_page(
    request: Request,
    edge: WebDep,
    platform: PlatformDep,
    member: HeadOffice,
    endpoint_id: str,
    status: str = "",
) -> Response:
    """An endpoint: its state, its latest deliveries (by status), its dead-letter list with
    the replays, the switch to disable or enable it."""
    if status not in STATUSES:
        return _endpoint_page(
            request,
            edge,
            platform,
            member,
            endpoint_id[:26],
            refusal="bad_filter",
            value=status[:50],
            status_code=400,
        )
    return _endpoint_page(request, edge, platform, member, endpoint_id[:26], status=status)


def _write(platform: PlatformDep, member: StaffMember, operation: str, work: Any) -> None:
    """One change as head office, audited in its transaction."""
    actor = webhooks_admin(member)
    with platform.db.transaction() as session:
        work(session, actor)
        audit.record(session, actor=actor, operation=operation)


@router.post("/webhooks/{endpoint_id}/state")
def change_state(
    request: Request,
    edge: WebDep,
    platform: PlatformDep,
    member: HeadOffice,
    form: Form,
    endpoint_id: str,
) -> Response:
    """Disable the endpoint (its pending deliveries go to the dead-letter list) or enable it
    again, once confirmed."""
    wanted = form.get("active", "")
    if wanted not in ("yes", "no"):
        return _endpoint_page(
            request, edge, platform, member, endpoint_id, refusal="bad_choice", status_code=400
        )
    if form.get("confirm") != "yes":
        return _endpoint_page(
            request,
            edge,
            platform,
            member,
            endpoint_id,
            refusal="not_confirmed",
            status_code=422,
        )
    data = EndpointUpdateIn(active=wanted == "yes")
    try:
        _write(
            platform,
            member,
            f"webhook_endpoint:{endpoint_id}:update",
            lambda session, actor: service.update_endpoint(
                session,
                endpoint_id=endpoint_id,
                data=data,
                actor=actor,
                allow_private=platform.settings.webhooks_allow_private_urls,
            ),
        )
    except UnknownWebhookEndpoint:
        return _endpoint_page(request, edge, platform, member, endpoint_id)
    done = "enabled" if data.active else "disabled"
    return RedirectResponse(f"{PATH}/{endpoint_id}?done={done}", status_code=303)


@router.post("/webhooks/{endpoint_id}/replay")
def replay(
    request: Request,
    edge: WebDep,
    platform: PlatformDep,
    member: HeadOffice,
    form: Form,
    endpoint_id: str,
) -> Response:
    """Send again one delivery of the dead-letter list (``delivery``), or every one made
    since a time (``since``, in the business time zone)."""
    delivery_id = form.get("delivery", "").strip()[:26]
    since_text = form.get("since", "")
    try:
        if delivery_id:
            _write(
                platform,
                member,
                f"webhook_replay:{delivery_id}",
                lambda session, actor: service.replay_delivery(
                    session, delivery_id=delivery_id, actor=actor, endpoint_id=endpoint_id
                ),
            )
            done = "replayed"
        else:
            since = _moment(since_text, platform.settings.business_zone)
            if since is None:
                return _endpoint_page(
                    request,
                    edge,
                    platform,
                    member,
                    endpoint_id,
                    refusal="bad_since",
                    value=since_text[:30],
                    status_code=422,
                )
            _write(
                platform,
                member,
                f"webhook_endpoint:{endpoint_id}:replay",
                lambda session, actor: service.replay_since(
                    session, endpoint_id=endpoint_id, since=since, actor=actor
                ),
            )
            done = "replayed_all"
    except (UnknownWebhookEndpoint, UnknownWebhookDelivery):
        return _endpoint_page(
            request,
            edge,
            platform,
            member,
            endpoint_id,
            refusal="unknown_delivery",
            status_code=404,
        )
    except (EndpointDisabled, DeliveryNotDead) as error:
        return _endpoint_page(
            request, edge, platform, member, endpoint_id, refusal=error.code, status_code=409
        )
    return RedirectResponse(f"{PATH}/{endpoint_id}?done={done}", status_code=303)
