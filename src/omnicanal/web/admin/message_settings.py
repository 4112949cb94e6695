"""Triggers and the policy in the back office: each trigger's settings (active, delay,
channels in order, segment, coupon, the kind's own settings; pausing one is confirmed) and
the message policy's (caps per channel, quiet hours, how long each fact holds marketing
back). Templates and segments have their pages beside (``message_templates``,
``message_segments``).

Every change is an engagement use case (``triggers.update_trigger``,
``settings.save_policy_settings``), the same the API calls with an ``engagement:admin`` key;
head office acts with that scope under the member's own name, and each change is in the
audit log. A form that is wrong says which field in words and changes nothing.
"""

from __future__ import annotations

import dataclasses
from decimal import Decimal, InvalidOperation
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse, Response
from pydantic import ValidationError

from omnicanal.engagement import access, message_log, triggers
from omnicanal.engagement import settings as policy_settings
from omnicanal.engagement.errors import InvalidTrigger, UnknownSegment, UnknownTrigger
from omnicanal.engagement.models import CHANNELS
from omnicanal.engagement.schemas import MAX_DELAY_MINUTES, TriggerOut, TriggerUpdateIn
from omnicanal.platform import audit
from omnicanal.platform.actors import Actor
from omnicanal.platform.http.deps import PlatformDep
from omnicanal.staff.service import StaffMember
from omnicanal.web.admin.common import HeadOffice, staff_actor
from omnicanal.web.admin.message_labels import FACT_LABELS, KIND_LABELS, words
from omnicanal.web.edge import Form, WebDep

__all__ = ["engagement_admin", "router", "trigger_from_form"]

router = APIRouter()

UNITS = {"minutes": 1, "hours": 60, "days": 24 * 60}
"""The units a trigger's delay is typed in, in minutes."""
MARKETING = ("marketing", "personalised_offers")
SETTING_LABELS = {
    "hours_before": "Hours before the reservation ends",
    "days": "Days without a purchase",
}
"""The kind-specific settings of a trigger (``triggers.KIND_SETTINGS``), in words."""
TRIGGER_FIELDS = {
    "name": "Name",
    "channels": "Channels",
    "delay": "Delay",
    "segment": "Segment",
    "coupon": "Coupon",
    "settings": "Settings of the kind",
}
"""The trigger form's fields, to say which one a refused form got wrong."""
POLICY_FIELDS = {
    "frequency_caps": "Frequency caps",
    "quiet_start": "Start of the quiet hours",
    "quiet_end": "End of the quiet hours",
    "suppression_days": "Suppression periods",
}
DONE = {
    "trigger_saved": "The trigger is saved. The next messages follow it.",
    "trigger_paused": "The trigger is paused: it plans no message any more.",
    "policy_saved": "The message policy is saved. The next decisions follow it.",
}


def engagement_admin(member: StaffMember) -> Actor:
    """Head office as the engagement module sees it: an ``engagement:admin`` key under the
    member's name (triggers, templates, segments, the policy)."""
    return dataclasses.replace(
        staff_actor(member), scopes=frozenset({access.READ_SCOPE, access.ADMIN_SCOPE})
    )


class FormRefused(Exception):
    """A form's field is wrong: ``field`` names it (a key of the page's field names)."""

    def __init__(self, field: str) -> None:
        super().__init__(field)
        self.field = field


def _whole(text: str, *, field: str, low: int, high: int) -> int:
    """A whole number from ``low`` to ``high`` in ASCII digits, else :class:`FormRefused`."""
    cleaned = text.strip()
    if not (cleaned.isascii() and cleaned.isdigit() and len(cleaned) <= len(str(high))):
        raise FormRefused(field)
    value = int(cleaned)
    if not low <= value <= high:
        raise FormRefused(field)
    return value


def _amount_minor(text: str) -> int:
    """Euros typed the French or the English way ("5", "5,50", "5.50") in cents."""
    cleaned = text.strip().replace("\u00a0", "").replace(" ", "").replace(",", ".")
    try:
        value = Decimal(cleaned)
    except InvalidOperation:
        raise FormRefused("coupon") from None
    if (
        not value.is_finite()
        or value <= 0
        or value > 100_000
        or value != value.quantize(Decimal("0.01"))
    ):
        raise FormRefused("coupon")
    return int(value * 100)


# --- triggers --------------------------------------------------------------------------------


def delay_parts(minutes: int) -> tuple[int, str]:
    """A delay in the largest unit it is a whole number of: 180 → (3, "hours")."""
    for unit in ("days", "hours"):
        if minutes and minutes % UNITS[unit] == 0:
            return minutes // UNITS[unit], unit
    return minutes, "minutes"


def _channels(form: dict[str, str]) -> list[str]:
    """The channels ticked, in the order of their places (1 first)."""
    places: dict[int, str] = {}
    for channel in CHANNELS:
        place = form.get(f"channel-{channel}", "").strip()
        if not place:
            continue
        number = _whole(place, field="channels", low=1, high=len(CHANNELS))
        if number in places:
            raise FormRefused("channels")
        places[number] = channel
    if not places:
        raise FormRefused("channels")
    return [places[number] for number in sorted(places)]


def _coupon(form: dict[str, str], trigger: TriggerOut) -> dict[str, Any] | None:
    kind = form.get("coupon_kind", "none")
    if kind == "none" or trigger.purpose not in MARKETING:
        return None
    valid_days = _whole(form.get("coupon_days", ""), field="coupon", low=1, high=365)
    if kind == "percent":
        percent = _whole(form.get("coupon_value", ""), field="coupon", low=1, high=100)
        return {"percent": percent, "valid_days": valid_days}
    if kind == "amount":
        return {
            "amount_minor": _amount_minor(form.get("coupon_value", "")),
            "valid_days": valid_days,
        }
    raise FormRefused("coupon")


def trigger_from_form(
    form: dict[str, str], trigger: TriggerOut, segments: list[str]
) -> TriggerUpdateIn:
    """The trigger's new settings a form asks for; :class:`FormRefused` naming the first
    wrong field."""
    name = form.get("name", "").strip()
    if not 0 < len(name) <= 200:
        raise FormRefused("name")
    unit = form.get("delay_unit", "")
    if unit not in UNITS:
        raise FormRefused("delay")
    delay = _whole(form.get("delay", ""), field="delay", low=0, high=MAX_DELAY_MINUTES)
    if delay * UNITS[unit] > MAX_DELAY_MINUTES:
        raise FormRefused("delay")
    segment = form.get("segment", "")
    if segment and segment not in segments:
        raise FormRefused("segment")
    bounds = triggers.KIND_SETTINGS.get(trigger.kind, {})
    settings = {
        name: _whole(form.get(f"setting-{name}", ""), field="settings", low=low, high=high)
        for name, (low, high) in bounds.items()
    }
    values: dict[str, Any] = {
        "name": name,
        "active": form.get("active") == "on",
        "channels": _channels(form),
        "delay_minutes": delay * UNITS[unit],
        "segment_code": segment or None,
        "coupon": _coupon(form, trigger),
        "settings": settings,
    }
    try:
        return TriggerUpdateIn.model_validate(values)
    except ValidationError as error:
        first = str(error.errors()[0]["loc"][0]) if error.errors()[0]["loc"] else ""
        named = {"delay_minutes": "delay", "segment_code": "segment"}.get(first, first)
        raise FormRefused(named if named in TRIGGER_FIELDS else "settings") from None


@router.get("/messages/triggers")
def trigger_list(
    request: Request, edge: WebDep, platform: PlatformDep, member: HeadOffice
) -> Response:
    """Every trigger: what it reacts to, whether it is active, after how long, on which
    channels, for which segment, with which coupon."""
    triggers.prepare_defaults(platform.db)
    with platform.db.reading() as session:
        found = triggers.list_triggers(session, actor=engagement_admin(member))
    return edge.renderer.render(
        request,
        "admin/messages/triggers.html",
        {
            "triggers": found,
            "delay": delay_parts,
            "kind_labels": KIND_LABELS,
            "setting_labels": SETTING_LABELS,
            "done_messages": DONE,
            **words(edge, request),
        },
    )


def _segment_codes(platform: PlatformDep) -> list[str]:
    with platform.db.reading() as session:
        return sorted(message_log.segment_names(session))


def _trigger_page(
    request: Request,
    edge: WebDep,
    platform: PlatformDep,
    member: StaffMember,
    code: str,
    *,
    form: dict[str, str] | None = None,
    refusal: str | None = None,
    wrong: str | None = None,
    status_code: int = 200,
) -> Response:
    triggers.prepare_defaults(platform.db)
    with platform.db.reading() as session:
        try:
            trigger = triggers.get_trigger(session, code=code, actor=engagement_admin(member))
        except UnknownTrigger:
            return edge.renderer.render(
                request,
                "admin/messages/problem.html",
                {"problem": "unknown_trigger", "value": code[:50]},
                status_code=404,
            )
        segments = message_log.segment_names(session)
    delay, unit = delay_parts(trigger.delay_minutes)
    return edge.renderer.render(
        request,
        "admin/messages/trigger.html",
        {
            "trigger": trigger,
            "segments": segments,
            "channels": CHANNELS,
            "marketing": trigger.purpose in MARKETING,
            "kind_settings": triggers.KIND_SETTINGS.get(trigger.kind, {}),
            "setting_labels": SETTING_LABELS,
            "kind_labels": KIND_LABELS,
            "field_names": TRIGGER_FIELDS,
            "delay_value": delay,
            "delay_unit": unit,
            "units": UNITS,
            "form": form,
            "refusal": refusal,
            "wrong": wrong,
            "done_messages": DONE,
            **words(edge, request),
        },
        status_code=status_code,
    )


@router.get("/messages/triggers/{code}")
def trigger_page(
    request: Request, edge: WebDep, platform: PlatformDep, member: HeadOffice, code: str
) -> Response:
    """One trigger's settings, to read and to change."""
    return _trigger_page(request, edge, platform, member, code[:50])


@router.post("/messages/triggers/{code}")
def save_trigger(
    request: Request,
    edge: WebDep,
    platform: PlatformDep,
    member: HeadOffice,
    form: Form,
    code: str,
) -> Response:
    """Change a trigger's settings (pausing it once confirmed); back to the triggers with a
    confirmation."""
    actor = engagement_admin(member)
    with platform.db.reading() as session:
        try:
            current = triggers.get_trigger(session, code=code[:50], actor=actor)
        except UnknownTrigger:
            return _trigger_page(request, edge, platform, member, code[:50])
    try:
        data = trigger_from_form(form, current, _segment_codes(platform))
    except FormRefused as refused:
        return _trigger_page(
            request,
            edge,
            platform,
            member,
            current.code,
            form=form,
            refusal="invalid",
            wrong=refused.field,
            status_code=422,
        )
    pausing = current.active and not data.active
    if pausing and form.get("confirm") != "yes":
        return _trigger_page(
            request,
            edge,
            platform,
            member,
            current.code,
            form=form,
            refusal="not_confirmed",
            status_code=422,
        )
    try:
        with platform.db.transaction() as session:
            saved = triggers.update_trigger(session, code=current.code, data=data, actor=actor)
            audit.record(session, actor=actor, operation=f"message_trigger:{saved.code}")
    except (InvalidTrigger, UnknownSegment) as error:
        field = (error.field or "").split(".")[0]
        wrong = "segment" if isinstance(error, UnknownSegment) else field
        return _trigger_page(
            request,
            edge,
            platform,
            member,
            current.code,
            form=form,
            refusal="invalid",
            wrong=wrong if wrong in TRIGGER_FIELDS else "settings",
            status_code=422,
        )
    done = "trigger_paused" if pausing else "trigger_saved"
    return RedirectResponse(f"/admin/messages/triggers?done={done}", status_code=303)


# --- the policy ------------------------------------------------------------------------------


def policy_from_form(form: dict[str, str]) -> policy_settings.PolicySettingsIn:
    """The policy a form asks for; :class:`FormRefused` naming the first wrong field."""
    caps: dict[str, dict[str, int]] = {}
    for channel in policy_settings.CAPPED_CHANNELS:
        count = form.get(f"cap-{channel}-count", "").strip()
        days = form.get(f"cap-{channel}-days", "").strip()
        if not count and not days:
            continue
        caps[channel] = {
            "count": _whole(count, field="frequency_caps", low=1, high=policy_settings.MAX_CAP),
            "days": _whole(days, field="frequency_caps", low=1, high=policy_settings.MAX_DAYS),
        }
    suppression = {
        fact: _whole(
            form.get(f"suppress-{fact}", ""),
            field="suppression_days",
            low=0,
            high=policy_settings.MAX_DAYS,
        )
        for fact in policy_settings.SUPPRESSING_FACTS
    }
    try:
        return policy_settings.PolicySettingsIn.model_validate(
            {
                "frequency_caps": caps,
                "quiet_start": form.get("quiet_start", "").strip(),
                "quiet_end": form.get("quiet_end", "").strip(),
                "suppression_days": suppression,
            }
        )
    except ValidationError as error:
        loc = error.errors()[0]["loc"]
        first = str(loc[0]) if loc else ""
        raise FormRefused(first if first in POLICY_FIELDS else "quiet_start") from None


def _policy_page(
    request: Request,
    edge: WebDep,
    platform: PlatformDep,
    *,
    form: dict[str, str] | None = None,
    wrong: str | None = None,
    status_code: int = 200,
) -> Response:
    with platform.db.reading() as session:
        current = policy_settings.policy_settings(session)
    return edge.renderer.render(
        request,
        "admin/messages/policy.html",
        {
            "current": current,
            "channels": policy_settings.CAPPED_CHANNELS,
            "facts": policy_settings.SUPPRESSING_FACTS,
            "fact_labels": FACT_LABELS,
            "field_names": POLICY_FIELDS,
            "form": form,
            "wrong": wrong,
            "done_messages": DONE,
            **words(edge, request),
        },
        status_code=status_code,
    )


@router.get("/messages/policy")
def policy_page(
    request: Request, edge: WebDep, platform: PlatformDep, member: HeadOffice
) -> Response:
    """The message policy: caps per channel, quiet hours, suppression periods."""
    return _policy_page(request, edge, platform)


@router.post("/messages/policy")
def save_policy(
    request: Request, edge: WebDep, platform: PlatformDep, member: HeadOffice, form: Form
) -> Response:
    """Replace the message policy's settings; back to them with a confirmation."""
    try:
        data = policy_from_form(form)
    except FormRefused as refused:
        return _policy_page(
            request, edge, platform, form=form, wrong=refused.field, status_code=422
        )
    with platform.db.transaction() as session:
        actor = engagement_admin(member)
        policy_settings.save_policy_settings(session, data=data, actor=actor)
        audit.record(session, actor=actor, operation="message_policy:default")
    return RedirectResponse("/admin/messages/policy?done=policy_saved", status_code=303)
