"""Segments in the back office: each with its rules and how many people are in it now, and
the form that writes a segment's rules (a field, an operator and a value; or an event seen
at least so many times within so many days).

Saving and counting are the engagement module's use cases (``segments.save_segment``,
``members_count``) under head office's ``engagement:admin`` scope; the change is audited
here, as the use case asks of its edge. Amounts are typed in euros and kept in cents.
"""

from __future__ import annotations

import re
from decimal import Decimal, InvalidOperation
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse, Response

from omnicanal.engagement import segments
from omnicanal.engagement.errors import UnknownSegment
from omnicanal.platform import audit
from omnicanal.platform.clock import utcnow
from omnicanal.platform.http.deps import PlatformDep
from omnicanal.staff.service import StaffMember
from omnicanal.web.admin.common import HeadOffice
from omnicanal.web.admin.message_labels import words
from omnicanal.web.admin.message_settings import engagement_admin
from omnicanal.web.edge import Form, WebDep

__all__ = ["router", "rules_from_form"]

router = APIRouter()

NEW = "new"
"""The address of a segment not saved yet (``/admin/messages/segments/new``)."""
EMPTY_ROWS = 2
MAX_ROWS = segments.MAX_RULES
TRAITS = "traits"
FIELD_LABELS = {
    TRAITS: "An attribute (its name in the next field)",
    "computed.orders": "Number of orders",
    "computed.monetary_minor": "Amount spent (€)",
    "computed.lifetime_value_minor": "Lifetime value (€)",
    "computed.average_order_minor": "Average basket (€)",
    "computed.first_order_at": "First order (date)",
    "computed.last_order_at": "Last order (date)",
    "computed.recency_days": "Days since the last order",
    "computed.favourite_categories": "Favourite categories",
    "computed.currency": "Currency",
    "loyalty.tier": "Loyalty tier (code)",
    "loyalty.points": "Loyalty points",
    "loyalty.programme": "Loyalty programme (code)",
}
OPERATOR_LABELS = {
    "eq": "is",
    "ne": "is not",
    "in": "is one of (separated by commas)",
    "gte": "is at least",
    "lte": "is at most",
    "contains": "contains",
    "exists": "is known (yes or no)",
}
DONE = {"segment_saved": "The segment is saved: triggers limited to it follow it."}
YES = frozenset({"", "oui", "yes", "true", "1"})
NO = frozenset({"non", "no", "false", "0"})
WHOLE = re.compile(r"^-?\d{1,15}$")
DECIMAL = re.compile(r"^-?\d{1,15}[.,]\d{1,6}$")


class RuleRefused(Exception):
    """A rule of the form cannot be read: ``row`` is its number (from 1)."""

    def __init__(self, row: int) -> None:
        super().__init__(row)
        self.row = row


def _number_or_text(text: str, *, money: bool) -> Any:
    """A value as typed: a whole number, a decimal (French or English), euros in cents for
    an amount, else the text (a word, a date)."""
    cleaned = text.strip().replace("\u00a0", "").replace(" ", "") if money else text.strip()
    if money:
        try:
            amount = Decimal(cleaned.replace(",", "."))
        except InvalidOperation:
            return text.strip()
        return int((amount * 100).to_integral_value()) if amount.is_finite() else text.strip()
    if WHOLE.match(cleaned):
        return int(cleaned)
    if DECIMAL.match(cleaned):
        return float(cleaned.replace(",", "."))
    return cleaned


def _field_rule(form: dict[str, str], index: int) -> dict[str, Any] | None:
    prefix = f"rule-{index}"
    field = form.get(f"{prefix}-field", "").strip()
    trait = form.get(f"{prefix}-trait", "").strip()
    operator = form.get(f"{prefix}-op", "").strip()
    value = form.get(f"{prefix}-value", "")
    if not field and not trait and not value.strip():
        return None
    if field not in FIELD_LABELS or operator not in OPERATOR_LABELS:
        raise RuleRefused(index + 1)
    name = f"{TRAITS}.{trait}" if field == TRAITS else field
    money = field.endswith("_minor")
    if operator == "exists":
        answer = value.strip().casefold()
        if answer not in YES | NO:
            raise RuleRefused(index + 1)
        typed: Any = answer in YES
    elif operator == "in":
        typed = [_number_or_text(item, money=money) for item in value.split(",") if item.strip()]
    else:
        typed = _number_or_text(value, money=money)
    return {"field": name, "op": operator, "value": typed}


def _event_rule(form: dict[str, str], index: int, offset: int) -> dict[str, Any] | None:
    prefix = f"event-{index}"
    name = form.get(f"{prefix}-name", "").strip()
    days = form.get(f"{prefix}-days", "").strip()
    least = form.get(f"{prefix}-min", "").strip()
    most = form.get(f"{prefix}-max", "").strip()
    if not (name or days or least or most):
        return None
    numbers = {}
    for key, text in (("within_days", days), ("min_count", least or "1"), ("max_count", most)):
        if not text:
            continue
        if not WHOLE.match(text):
            raise RuleRefused(offset + index + 1)
        numbers[key] = int(text)
    return {"event": name, **numbers}


def _indexes(form: dict[str, str], prefix: str) -> list[int]:
    found = {
        int(match.group(1))
        for name in form
        if (match := re.fullmatch(rf"{prefix}-(\d{{1,2}})-[a-z]+", name))
    }
    return sorted(index for index in found if index < MAX_ROWS)


def rules_from_form(form: dict[str, str]) -> list[dict[str, Any]]:
    """The segment's rules a form asks for, in order (field rules, then event rules);
    :class:`RuleRefused` naming the first row it cannot read."""
    rules = []
    field_rows = _indexes(form, "rule")
    for index in field_rows:
        rule = _field_rule(form, index)
        if rule is not None:
            rules.append(rule)
    offset = max(field_rows, default=-1) + 1
    for index in _indexes(form, "event"):
        rule = _event_rule(form, index, offset)
        if rule is not None:
            rules.append(rule)
    return rules


def _rule_row(rule: dict[str, Any]) -> dict[str, str]:
    """A stored rule as the form shows it back."""
    if "event" in rule:
        return {
            "name": str(rule["event"]),
            "days": str(rule.get("within_days", "")),
            "min": str(rule.get("min_count", "")),
            "max": "" if rule.get("max_count") is None else str(rule["max_count"]),
        }
    name = str(rule.get("field", ""))
    group, _, key = name.partition(".")
    field = TRAITS if group == TRAITS else name
    value = rule.get("value")
    money = field.endswith("_minor")

    def shown(item: Any) -> str:
        if money and isinstance(item, int):
            return format(Decimal(item).scaleb(-2), "f").replace(".", ",")
        if isinstance(item, float):
            return str(item).replace(".", ",")
        return str(item)

    if isinstance(value, bool):
        text = "oui" if value else "non"
    elif isinstance(value, list):
        text = ", ".join(shown(item) for item in value)
    else:
        text = shown(value)
    return {
        "field": field,
        "trait": key if group == TRAITS else "",
        "op": str(rule.get("op", "")),
        "value": text,
    }


# --- the pages -------------------------------------------------------------------------------


@router.get("/messages/segments")
def segment_list(
    request: Request, edge: WebDep, platform: PlatformDep, member: HeadOffice
) -> Response:
    """Every segment, its rules' number and how many people are in it now."""
    now = utcnow()
    with platform.db.reading() as session:
        found = segments.list_segments(session, actor=engagement_admin(member))
        counts = {view.code: segments.members_count(session, view.code, now=now) for view in found}
    return edge.renderer.render(
        request,
        "admin/messages/segments.html",
        {
            "segments": found,
            "counts": counts,
            "most": segments.MAX_SCANNED,
            "done_messages": DONE,
            **words(edge, request),
        },
    )


def _segment_page(
    request: Request,
    edge: WebDep,
    platform: PlatformDep,
    member: StaffMember,
    code: str,
    *,
    form: dict[str, str] | None = None,
    refusal: str | None = None,
    status_code: int = 200,
) -> Response:
    segment = None
    count = None
    if code != NEW:
        with platform.db.reading() as session:
            try:
                segment = segments.get_segment(session, code=code, actor=engagement_admin(member))
            except UnknownSegment:
                return edge.renderer.render(
                    request,
                    "admin/messages/problem.html",
                    {"problem": "unknown_segment", "value": code[:50]},
                    status_code=404,
                )
            count = segments.members_count(session, segment.code, now=utcnow())
    stored = [_rule_row(rule) for rule in segment.rules] if segment else []
    field_rows = [row for row in stored if "field" in row]
    event_rows = [row for row in stored if "days" in row]
    if form is not None:
        field_rows = [
            {key: form.get(f"rule-{index}-{key}", "") for key in ("field", "trait", "op", "value")}
            for index in _indexes(form, "rule")
        ]
        event_rows = [
            {key: form.get(f"event-{index}-{key}", "") for key in ("name", "days", "min", "max")}
            for index in _indexes(form, "event")
        ]
    blank_field = {"field": "", "trait": "", "op": "", "value": ""}
    blank_event = {"name": "", "days": "", "min": "", "max": ""}
    return edge.renderer.render(
        request,
        "admin/messages/segment.html",
        {
            "segment": segment,
            "code": "" if code == NEW else code,
            "name": form.get("name", "") if form is not None else (segment.name if segment else ""),
            "typed_code": form.get("code", "") if form is not None else "",
            "count": count,
            "most": segments.MAX_SCANNED,
            "field_rows": field_rows + [blank_field] * EMPTY_ROWS,
            "event_rows": event_rows + [blank_event] * EMPTY_ROWS,
            "field_labels": FIELD_LABELS,
            "operator_labels": OPERATOR_LABELS,
            "refusal": refusal,
            "done_messages": DONE,
            **words(edge, request),
        },
        status_code=status_code,
    )


@router.get("/messages/segments/{code}")
def segment_page(
    request: Request, edge: WebDep, platform: PlatformDep, member: HeadOffice, code: str
) -> Response:
    """One segment's rules and its size now, to change (``new``: a segment to write)."""
    return _segment_page(request, edge, platform, member, code[:50])


@router.post("/messages/segments/{code}")
def save_segment(
    request: Request,
    edge: WebDep,
    platform: PlatformDep,
    member: HeadOffice,
    form: Form,
    code: str,
) -> Response:
    """Save the segment's name and rules (a new one with the code typed); back to it with
    its new size."""
    code = code[:50]
    language = edge.renderer.language(request)
    _ = edge.renderer.translations[language].gettext
    if code != NEW:
        with platform.db.reading() as session:
            try:
                segments.get_segment(session, code=code, actor=engagement_admin(member))
            except UnknownSegment:
                return _segment_page(request, edge, platform, member, code)
    chosen = form.get("code", "").strip()[:60] if code == NEW else code

    def refuse(sentence: str) -> Response:
        return _segment_page(
            request, edge, platform, member, code, form=form, refusal=sentence, status_code=422
        )

    try:
        rules = rules_from_form(form)
    except RuleRefused as refused:
        return refuse(_("Nothing was changed: rule %(num)d cannot be read.") % {"num": refused.row})
    if code == NEW:
        with platform.db.reading() as session:
            try:
                segments.get_segment(session, code=chosen, actor=engagement_admin(member))
            except UnknownSegment:
                pass
            else:
                return refuse(
                    _("Nothing was changed: a segment already has the code “%(code)s”.")
                    % {"code": chosen}
                )
    try:
        with platform.db.transaction() as session:
            actor = engagement_admin(member)
            saved = segments.save_segment(
                session, code=chosen, name=form.get("name", ""), rules=rules, actor=actor
            )
            audit.record(session, actor=actor, operation=f"message_segment:{saved.code}")
    except segments.InvalidSegment as error:
        said = (
            str(error.extra.get("detail_fr") or error.detail) if language == "fr" else error.detail
        )
        row = re.match(r"rules\[(\d+)\]", error.field or "")
        where = _(" (rule %(num)d)") % {"num": int(row.group(1)) + 1} if row is not None else ""
        return refuse(_("Nothing was changed%(where)s: %(why)s") % {"where": where, "why": said})
    return RedirectResponse(
        f"/admin/messages/segments/{saved.code}?done=segment_saved", status_code=303
    )
