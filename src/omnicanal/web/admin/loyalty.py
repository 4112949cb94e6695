"""Loyalty in the back office: the programme's settings (how members earn, what a point is
worth, the return window, tiers, expiry), a member found by card, phone or e-mail with their
ledger, and points adjusted by hand with a reason from a fixed list.

The settings, the ledger and the adjustment are the loyalty module's use cases
(``loyalty.service``), the same the API calls with a ``loyalty:admin`` key; these pages only
ask, confirm and show. Head office acts with that scope under the member's own name, and
each change is in the audit log.
"""

from __future__ import annotations

import dataclasses
import re
from decimal import Decimal, InvalidOperation
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse, Response
from pydantic import ValidationError
from sqlalchemy.orm import Session

from omnicanal.customers import service as customers
from omnicanal.customers.errors import (
    IdentifierShared,
    InvalidIdentifierValue,
    UnknownIdentifier,
    UnknownProfile,
)
from omnicanal.customers.identifiers import IdentifierKind
from omnicanal.loyalty import service as loyalty
from omnicanal.loyalty.access import ADMIN_SCOPE
from omnicanal.loyalty.errors import (
    InsufficientPoints,
    InvalidCursor,
    MemberErased,
    NobodyToEnrol,
    UnknownMember,
    UnknownProgramme,
)
from omnicanal.loyalty.schemas import (
    DEFAULT_CHANNELS,
    AdjustmentIn,
    MemberOut,
    ProgrammeOut,
    ProgrammeUpdateIn,
)
from omnicanal.platform import audit
from omnicanal.platform.actors import Actor
from omnicanal.platform.http.deps import PlatformDep
from omnicanal.staff.service import StaffMember
from omnicanal.web.admin.common import HeadOffice, staff_actor
from omnicanal.web.edge import Form, WebDep
from omnicanal.web.loyalty import TIER_LABELS

__all__ = [
    "ADJUSTMENT_REASONS",
    "LEDGER_KIND_LABELS",
    "LEDGER_REASON_LABELS",
    "loyalty_admin",
    "router",
]

router = APIRouter()

LEDGER_PAGE = 25
EMPTY_ROWS = 2
"""Blank rows the settings form offers under the earning rules and the tiers, to add one."""
MAX_ADJUSTMENT = 1_000_000
"""The most points one adjustment by hand adds or takes (ten thousand euros at a cent)."""
EARNING_CHANNELS = (*DEFAULT_CHANNELS, "marketplace")
"""The channels the settings offer to earn on (a programme's own codes are added)."""
LEDGER_KIND_LABELS = {
    "earn": "Points earned",
    "pending": "Points earned, waiting for the return window",
    "confirm": "Points confirmed after the return window",
    "redeem": "Points spent",
    "release": "Points given back",
    "expire": "Points expired",
    "adjust": "Points adjusted by hand",
    "reverse": "Points taken back (return or cancellation)",
}
ADJUSTMENT_REASONS = {
    "goodwill": "Goodwill gesture",
    "complaint": "Complaint settled",
    "missing_purchase": "Purchase not credited",
    "correction": "Correction of a mistake",
    "abuse": "Abuse or fraud",
}
"""The reasons head office may give for points adjusted by hand (stored as the code)."""
LEDGER_REASON_LABELS = {
    **ADJUSTMENT_REASONS,
    "released": "Hold released",
    "hold_expired": "Hold unused, expired",
    "capture_failed": "Payment by points failed",
    "order_cancelled": "Order cancelled",
    "erased": "Customer erased",
    "expired": "Points expired",
    "order.line_cancelled": "Order line cancelled",
    "order.cancelled": "Order cancelled",
    "return.refunded": "Return refunded",
    "return.exchanged": "Items exchanged",
}
DONE = {
    "saved": "The programme's settings are saved. They apply from now on.",
    "adjusted": "The points are adjusted.",
}
SETTING_NAMES = {
    "name": "Name",
    "points_per_euro": "Points per euro",
    "point_value_minor": "Value of a point",
    "pending_days": "Return window",
    "expiry_months": "Points kept",
    "tier_period_months": "Tier period",
    "hold_minutes": "Hold time",
    "earning_rules": "Earning rules",
    "earning_channels": "Channels that earn",
    "tiers": "Tiers",
}
"""The settings' names, to say which one a refused form got wrong."""
CARD_LIKE = re.compile(r"^[A-Za-z0-9 -]{3,50}$")


def rate_text(value: Decimal, language: str) -> str:
    """A rate or a multiplier as typed back into the form: ``Decimal("1.2500")`` → "1,25"
    in French, "1.25" in English (no trailing zeros)."""
    text = format(value.normalize(), "f")
    return text.replace(".", ",") if language == "fr" else text


def loyalty_admin(member: StaffMember) -> Actor:
    """Head office as the loyalty module sees it: a ``loyalty:admin`` key under the member's
    name (programmes, ledgers, adjustments)."""
    return dataclasses.replace(
        staff_actor(member),
        scopes=frozenset({"loyalty:read", "loyalty:write", ADMIN_SCOPE}),
    )


# --- the programme's settings ------------------------------------------------------------------


def _channels(programme: ProgrammeOut) -> list[str]:
    return list(dict.fromkeys([*EARNING_CHANNELS, *programme.earning_channels]))


def _settings_page(
    request: Request,
    edge: WebDep,
    platform: PlatformDep,
    member: StaffMember,
    *,
    code: str | None = None,
    form: dict[str, str] | None = None,
    refusal: str | None = None,
    wrong: list[str] | None = None,
    status_code: int = 200,
) -> Response:
    with platform.db.reading() as session:
        actor = loyalty_admin(member)
        programmes = loyalty.list_programmes(session, actor=actor)
    chosen = next((p for p in programmes if p.code == code), None) if code else None
    if chosen is None and programmes and code is None:
        chosen = programmes[0]
    if code is not None and chosen is None:
        refusal, status_code = "unknown_programme", 404
    return edge.renderer.render(
        request,
        "admin/loyalty.html",
        {
            "programmes": programmes,
            "programme": chosen,
            "channels": _channels(chosen) if chosen else list(EARNING_CHANNELS),
            "form": form,
            "refusal": refusal,
            "wrong": wrong or [],
            "setting_names": SETTING_NAMES,
            "tier_labels": TIER_LABELS,
            "empty_rows": EMPTY_ROWS,
            "rate": rate_text,
            "done_messages": DONE,
        },
        status_code=status_code,
    )


@router.get("/loyalty")
def programme_page(
    request: Request, edge: WebDep, platform: PlatformDep, member: HeadOffice, programme: str = ""
) -> Response:
    """The programme's settings, to read and to change."""
    return _settings_page(request, edge, platform, member, code=programme.strip()[:50] or None)


def _decimal(text: str) -> Decimal | str:
    """A number typed the French way or the English way ("1,5" or "1.5"); the text as it
    is when it is not one (pydantic then refuses it, naming the setting)."""
    cleaned = text.strip().replace("\u00a0", "").replace(" ", "").replace(",", ".")
    try:
        value = Decimal(cleaned)
    except InvalidOperation:
        return text
    return value if value.is_finite() else text


def _rows(form: dict[str, str], prefix: str, fields: tuple[str, ...]) -> list[dict[str, str]]:
    """The filled rows of a table of the form (``rule-0-category``…), in order."""
    numbers = sorted(
        {
            int(match.group(1))
            for name in form
            if (match := re.fullmatch(rf"{prefix}-(\d{{1,3}})-[a-z_]+", name))
        }
    )
    rows = []
    for number in numbers:
        row = {name: form.get(f"{prefix}-{number}-{name}", "").strip() for name in fields}
        if any(row.values()):
            rows.append(row)
    return rows


def settings_from_form(form: dict[str, str], channels: list[str]) -> ProgrammeUpdateIn:
    """The settings a form asks for (shape only; :class:`ValidationError` when one is
    wrong)."""
    rules = [
        {
            "category": row["category"] or None,
            "channel": row["channel"] or None,
            "points_per_euro": _decimal(row["rate"]),
        }
        for row in _rows(form, "rule", ("category", "channel", "rate"))
    ]
    tiers = [
        {
            "code": row["code"],
            "name": row["name"] or row["code"],
            "threshold": row["threshold"],
            "multiplier": _decimal(row["multiplier"] or "1"),
        }
        for row in _rows(form, "tier", ("code", "name", "threshold", "multiplier"))
    ]
    return ProgrammeUpdateIn.model_validate(
        {
            "name": form.get("name", "").strip(),
            "points_per_euro": _decimal(form.get("points_per_euro", "")),
            "point_value_minor": _decimal(form.get("point_value_minor", "")),
            "pending_days": form.get("pending_days", "").strip(),
            "expiry_months": form.get("expiry_months", "").strip(),
            "tier_period_months": form.get("tier_period_months", "").strip(),
            "hold_minutes": form.get("hold_minutes", "").strip(),
            "earning_rules": rules,
            "earning_channels": [c for c in channels if form.get(f"channel-{c}") == "on"],
            "tiers": tiers,
            "active": form.get("active") == "on",
        }
    )


def _wrong(error: ValidationError) -> list[str]:
    """The settings a refused form got wrong, by their names (a table's once); a rule over
    the whole programme (two tiers at one threshold) names the tiers."""
    names = []
    for problem in error.errors():
        name = str(problem["loc"][0]) if problem["loc"] else ""
        if not name and "tier" in str(problem.get("msg", "")):
            name = "tiers"
        names.append(name if name in SETTING_NAMES else "")
    return list(dict.fromkeys(names))


@router.post("/loyalty/programmes/{code}")
def save_programme(
    request: Request,
    edge: WebDep,
    platform: PlatformDep,
    member: HeadOffice,
    form: Form,
    code: str,
) -> Response:
    """Replace the programme's settings; back to them with a confirmation."""
    with platform.db.reading() as session:
        try:
            current = loyalty.get_programme(session, code=code, actor=loyalty_admin(member))
        except UnknownProgramme:
            return _settings_page(request, edge, platform, member, code=code[:50])
    try:
        data = settings_from_form(form, _channels(current))
    except ValidationError as error:
        return _settings_page(
            request,
            edge,
            platform,
            member,
            code=current.code,
            form=form,
            refusal="invalid_settings",
            wrong=_wrong(error),
            status_code=422,
        )
    with platform.db.transaction() as session:
        actor = loyalty_admin(member)
        saved = loyalty.update_programme(session, code=current.code, data=data, actor=actor)
        audit.record(
            session,
            actor=actor,
            operation=f"loyalty_programme:{saved.code}",
            body={"id": saved.id},
        )
    return RedirectResponse(f"/admin/loyalty?programme={saved.code}&done=saved", status_code=303)


# --- a member and their ledger -----------------------------------------------------------------


def _member_by_card(session: Session, actor: Actor, typed: str) -> MemberOut | None:
    if not CARD_LIKE.match(typed):
        return None
    for programme in loyalty.list_programmes(session, actor=actor):
        try:
            return loyalty.find_member(
                session, actor=actor, programme=programme.code, card_number=typed
            )
        except (UnknownMember, NobodyToEnrol):
            continue
    return None


def find_member(session: Session, actor: Actor, typed: str, *, region: str) -> MemberOut | None:
    """The member a card number, a phone or an e-mail typed in the back office names."""
    found = _member_by_card(session, actor, typed)
    if found is not None:
        return found
    kinds = [IdentifierKind.email] if "@" in typed else [IdentifierKind.phone]
    for kind in kinds:
        try:
            profile_id = customers.find_profile_id(session, kind=kind, value=typed, region=region)
            return loyalty.find_member(session, actor=actor, profile_id=profile_id)
        except (UnknownIdentifier, InvalidIdentifierValue, IdentifierShared, UnknownMember):
            continue
    return None


@router.get("/loyalty/members")
def member_search(
    request: Request, edge: WebDep, platform: PlatformDep, member: HeadOffice, q: str = ""
) -> Response:
    """Find a member by their loyalty card, their phone or their e-mail; one found opens
    their ledger."""
    typed = q.strip()[:254]
    if typed:
        with platform.db.reading() as session:
            found = find_member(
                session, loyalty_admin(member), typed, region=platform.settings.phone_region
            )
        if found is not None:
            return RedirectResponse(f"/admin/loyalty/members/{found.id}", status_code=303)
    return edge.renderer.render(
        request,
        "admin/loyalty_member.html",
        {"q": typed, "found": None, "refusal": "nobody" if typed else None},
        status_code=404 if typed else 200,
    )


def _member_context(
    session: Session, actor: Actor, member_id: str, after: str | None
) -> dict[str, Any]:
    found = loyalty.get_member(session, member_id=member_id, actor=actor)
    page = loyalty.ledger_page(
        session, member_id=member_id, actor=actor, starting_after=after, limit=LEDGER_PAGE
    )
    name = ""
    if found.profile_id is not None:
        try:
            name = customers.display_name(
                customers.get_profile(session, profile_id=found.profile_id, timeline_limit=1)
            )
        except UnknownProfile:
            name = ""
    return {
        "found": found,
        "programme": loyalty.get_programme(session, code=found.programme, actor=actor),
        "name": name,
        "ledger": page,
        "after": after or "",
    }


def _member_page(
    request: Request,
    edge: WebDep,
    platform: PlatformDep,
    member: StaffMember,
    member_id: str,
    *,
    after: str | None = None,
    refusal: str | None = None,
    form: dict[str, str] | None = None,
    status_code: int = 200,
) -> Response:
    with platform.db.reading() as session:
        actor = loyalty_admin(member)
        try:
            context = _member_context(session, actor, member_id, after)
        except UnknownMember:
            return edge.renderer.render(
                request,
                "admin/loyalty_member.html",
                {"q": "", "found": None, "refusal": "unknown_member"},
                status_code=404,
            )
        except InvalidCursor:
            context = _member_context(session, actor, member_id, None)
            refusal, status_code = "bad_cursor", 400
    context.update(
        {
            "q": "",
            "refusal": refusal,
            "form": form or {},
            "kind_labels": LEDGER_KIND_LABELS,
            "reason_labels": LEDGER_REASON_LABELS,
            "adjustment_reasons": ADJUSTMENT_REASONS,
            "tier_labels": TIER_LABELS,
            "done_messages": DONE,
        }
    )
    return edge.renderer.render(
        request, "admin/loyalty_member.html", context, status_code=status_code
    )


@router.get("/loyalty/members/{member_id}")
def member_page(
    request: Request,
    edge: WebDep,
    platform: PlatformDep,
    member: HeadOffice,
    member_id: str,
    after: str = "",
) -> Response:
    """A member: card, tier, points, their ledger newest first (a page at a time), and the
    form to adjust their points by hand."""
    return _member_page(
        request, edge, platform, member, member_id[:26], after=after.strip()[:200] or None
    )


def _adjustment(form: dict[str, str]) -> AdjustmentIn | str:
    """The adjustment a form asks for, or why it is refused."""
    reason = form.get("reason", "")
    if reason not in ADJUSTMENT_REASONS:
        return "no_reason"
    raw = form.get("points", "").strip()
    if not (raw.isascii() and raw.isdecimal() and len(raw) <= len(str(MAX_ADJUSTMENT))):
        return "bad_points"
    if not 0 < int(raw) <= MAX_ADJUSTMENT:
        return "bad_points"
    direction = form.get("direction", "")
    if direction not in ("add", "take"):
        return "no_direction"
    if form.get("confirm") != "yes":
        return "not_confirmed"
    points = int(raw)
    return AdjustmentIn(points=points if direction == "add" else -points, reason=reason)


@router.post("/loyalty/members/{member_id}/adjust")
def adjust(
    request: Request,
    edge: WebDep,
    platform: PlatformDep,
    member: HeadOffice,
    form: Form,
    member_id: str,
) -> Response:
    """Add or take points by hand, with a reason from the list, once confirmed; back to the
    member's ledger with a confirmation."""
    adjustment = _adjustment(form)
    if isinstance(adjustment, str):
        return _member_page(
            request,
            edge,
            platform,
            member,
            member_id,
            refusal=adjustment,
            form=form,
            status_code=422,
        )
    try:
        with platform.db.transaction() as session:
            actor = loyalty_admin(member)
            loyalty.adjust_points(session, member_id=member_id, data=adjustment, actor=actor)
            audit.record(session, actor=actor, operation=f"loyalty_adjust:{member_id}")
    except UnknownMember:
        return _member_page(request, edge, platform, member, member_id)
    except InsufficientPoints:
        return _member_page(
            request,
            edge,
            platform,
            member,
            member_id,
            refusal="insufficient_points",
            form=form,
            status_code=409,
        )
    except MemberErased:
        return _member_page(
            request, edge, platform, member, member_id, refusal="erased", status_code=409
        )
    return RedirectResponse(f"/admin/loyalty/members/{member_id}?done=adjusted", status_code=303)
