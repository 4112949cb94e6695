"""A trigger's message in one language on one channel, in the back office: its subject, text
and HTML edited (a template that cannot be used is refused with a sentence that says where,
and nothing changes), put back to the shipped one, and previewed with a real customer's data
(found by phone, e-mail, loyalty card or name, as the other pages find customers).

Saving, resetting and the preview are the engagement module's use cases
(``templates.save_template``, ``reset_template``, ``preview``), which check head office's
``engagement:admin`` scope; each change is in the audit log
(``message_template:<trigger>:<language>:<channel>``).
"""

from __future__ import annotations

from typing import Any
from urllib.parse import quote, urlencode

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse, Response
from sqlalchemy.orm import Session

from omnicanal.customers import service as customers
from omnicanal.customers.errors import UnknownProfile
from omnicanal.engagement import templates, triggers
from omnicanal.engagement.errors import UnknownTrigger
from omnicanal.engagement.schemas import TriggerOut
from omnicanal.platform import audit
from omnicanal.platform.clock import utcnow
from omnicanal.platform.http.deps import PlatformDep
from omnicanal.staff.service import StaffMember
from omnicanal.web.admin.common import HeadOffice
from omnicanal.web.admin.message_labels import KIND_LABELS, framed_html, words
from omnicanal.web.admin.message_settings import engagement_admin
from omnicanal.web.edge import Form, WebDep
from omnicanal.web.store import find_customers

__all__ = ["refusal_sentence", "router"]

router = APIRouter()

PARTS = {"subject": "the subject", "body_text": "the text", "body_html": "the HTML"}
DONE = {
    "template_saved": "The template is saved: the next messages use it.",
    "template_reset": "The shipped template is back.",
}
MAX_QUERY = 254


def _path(code: str, language: str, channel: str) -> str:
    return f"/admin/messages/templates/{quote(code, safe='')}/{language}/{channel}"


def refusal_sentence(error: templates.InvalidTemplate, _: Any) -> str:
    """Why a template was refused, in the reader's language: which part, which line, what
    to look at."""
    problem = str(error.extra.get("problem", ""))
    line = error.extra.get("line")
    part = _(PARTS.get(error.field or "", "the template"))
    where = _(" (line %(line)d)") % {"line": line} if isinstance(line, int) else ""
    values = {"part": part, "where": where}
    if problem == "syntax":
        return str(
            _(
                "Nothing was changed: %(part)s does not read as a template%(where)s. Check "
                "that each {{ is closed by }} and each {%% by %%}."
            )
            % values
        )
    if problem == "unsupported":
        return str(
            _(
                "Nothing was changed: %(part)s uses what a message may not%(where)s (macros, "
                "includes, blocks, loops more than two deep, HTML outside an e-mail)."
            )
            % values
        )
    if problem == "render":
        return str(
            _("Nothing was changed: %(part)s fails with a typical customer's data%(where)s.")
            % values
        )
    if problem == "too_long" and isinstance(error.extra.get("length"), int):
        return str(
            _(
                "Nothing was changed: with a typical customer's data the message takes "
                "%(length)d characters, over what one message holds."
            )
            % {"length": error.extra["length"]}
        )
    if problem == "too_long":
        return str(_("Nothing was changed: %(part)s is too long.") % values)
    if problem == "empty":
        return str(_("Nothing was changed: %(part)s is empty; write it.") % values)
    if problem == "unreadable":
        return str(
            _("Nothing was changed: %(part)s holds a character that cannot be read.") % values
        )
    return str(_("Nothing was changed: this template cannot be used."))


def _trigger(platform: PlatformDep, member: StaffMember, code: str) -> TriggerOut | None:
    triggers.prepare_defaults(platform.db)
    with platform.db.reading() as session:
        try:
            return triggers.get_trigger(session, code=code, actor=engagement_admin(member))
        except UnknownTrigger:
            return None


def _preview(
    session: Session, trigger: TriggerOut, language: str, channel: str, profile_id: str
) -> templates.Rendered:
    return templates.preview(
        session,
        trigger_code=trigger.code,
        language=language,
        channel=channel,
        profile_id=profile_id,
        now=utcnow(),
    )


def _known(language: str, channel: str) -> bool:
    """Whether the address names a language and a channel messages are written in."""
    return language in templates.LANGUAGES and channel in templates.TEMPLATE_CHANNELS


def _editor(
    request: Request,
    edge: WebDep,
    platform: PlatformDep,
    member: StaffMember,
    code: str,
    language: str,
    channel: str,
    *,
    customer: str = "",
    q: str = "",
    form: dict[str, str] | None = None,
    refusal: str | None = None,
    status_code: int = 200,
) -> Response:
    trigger = _trigger(platform, member, code[:50])
    if trigger is None or not _known(language, channel):
        return edge.renderer.render(
            request,
            "admin/messages/problem.html",
            {"problem": "unknown_template"},
            status_code=404,
        )
    actor = engagement_admin(member)
    path = _path(trigger.code, language, channel)
    preview: templates.Rendered | None = None
    chosen_name = ""
    matches = []
    with platform.db.reading() as session:
        [current] = [
            view
            for view in templates.list_templates(session, actor=actor, trigger_code=trigger.code)
            if view.language == language and view.channel == channel
        ]
        if q:
            matches = find_customers(session, q, region=platform.settings.phone_region)
        if customer:
            try:
                profile = customers.get_profile(session, profile_id=customer, timeline_limit=1)
            except UnknownProfile:
                customer = ""
            else:
                chosen_name = customers.display_name(profile)
                preview = _preview(session, trigger, language, channel, profile.id)
    return edge.renderer.render(
        request,
        "admin/messages/template.html",
        {
            "trigger": trigger,
            "kind_labels": KIND_LABELS,
            "language": language,
            "channel": channel,
            "current": current,
            "path": path,
            "form": form,
            "refusal": refusal,
            "q": q,
            "matches": matches,
            "customer": customer,
            "chosen_name": chosen_name,
            "preview": preview,
            "preview_link": lambda profile_id: f"{path}?" + urlencode({"customer": profile_id}),
            "preview_frame": f"{path}/preview?" + urlencode({"customer": customer}),
            "done_messages": DONE,
            **words(edge, request),
        },
        status_code=status_code,
    )


@router.get("/messages/templates/{code}/{language}/{channel}")
def template_page(
    request: Request,
    edge: WebDep,
    platform: PlatformDep,
    member: HeadOffice,
    code: str,
    language: str,
    channel: str,
    customer: str = "",
    q: str = "",
) -> Response:
    """A trigger's message in a language on a channel, to edit; with ``q`` the customers it
    names, with ``customer`` the message as that customer would get it now."""
    return _editor(
        request,
        edge,
        platform,
        member,
        code,
        language,
        channel,
        customer=customer.strip()[:26],
        q=q.strip()[:MAX_QUERY],
    )


@router.post("/messages/templates/{code}/{language}/{channel}")
def save(
    request: Request,
    edge: WebDep,
    platform: PlatformDep,
    member: HeadOffice,
    form: Form,
    code: str,
    language: str,
    channel: str,
) -> Response:
    """Save the template as written; back to it with a confirmation (and the customer of the
    preview, if one was chosen)."""
    trigger = _trigger(platform, member, code[:50])
    if trigger is None or not _known(language, channel):
        return _editor(request, edge, platform, member, code, language, channel)
    _ = edge.renderer.translations[edge.renderer.language(request)].gettext
    customer = form.get("customer", "").strip()[:26]
    operation = f"message_template:{trigger.code}:{language}:{channel}"
    try:
        with platform.db.transaction() as session:
            actor = engagement_admin(member)
            templates.save_template(
                session,
                trigger_code=trigger.code,
                language=language,
                channel=channel,
                subject=form.get("subject", "") if channel != "sms" else "",
                body_text=form.get("body_text", ""),
                body_html=(form.get("body_html") or None) if channel == "email" else None,
                actor=actor,
            )
            audit.record(session, actor=actor, operation=operation)
    except templates.InvalidTemplate as error:
        return _editor(
            request,
            edge,
            platform,
            member,
            trigger.code,
            language,
            channel,
            customer=customer,
            form=form,
            refusal=refusal_sentence(error, _),
            status_code=422,
        )
    query = urlencode({"done": "template_saved", **({"customer": customer} if customer else {})})
    return RedirectResponse(f"{_path(trigger.code, language, channel)}?{query}", status_code=303)


@router.post("/messages/templates/{code}/{language}/{channel}/reset")
def reset(
    request: Request,
    edge: WebDep,
    platform: PlatformDep,
    member: HeadOffice,
    form: Form,
    code: str,
    language: str,
    channel: str,
) -> Response:
    """Go back to the shipped template, once confirmed."""
    trigger = _trigger(platform, member, code[:50])
    if trigger is None or not _known(language, channel):
        return _editor(request, edge, platform, member, code, language, channel)
    _ = edge.renderer.translations[edge.renderer.language(request)].gettext
    if form.get("confirm") != "yes":
        return _editor(
            request,
            edge,
            platform,
            member,
            trigger.code,
            language,
            channel,
            refusal=_("Nothing was changed: tick the box to confirm, then send the form again."),
            status_code=422,
        )
    with platform.db.transaction() as session:
        actor = engagement_admin(member)
        had_one = templates.reset_template(
            session,
            trigger_code=trigger.code,
            language=language,
            channel=channel,
            actor=actor,
        )
        if had_one:
            operation = f"message_template:{trigger.code}:{language}:{channel}:reset"
            audit.record(session, actor=actor, operation=operation)
    path = _path(trigger.code, language, channel)
    return RedirectResponse(f"{path}?done=template_reset", status_code=303)


@router.get("/messages/templates/{code}/{language}/{channel}/preview")
def preview_content(
    request: Request,
    edge: WebDep,
    platform: PlatformDep,
    member: HeadOffice,
    code: str,
    language: str,
    channel: str,
    customer: str = "",
) -> Response:
    """The previewed e-mail's HTML, for the sealed frame of the template's page."""
    trigger = _trigger(platform, member, code[:50])
    if trigger is None or not _known(language, channel):
        return _editor(request, edge, platform, member, code, language, channel)
    with platform.db.reading() as session:
        try:
            profile = customers.get_profile(session, profile_id=customer[:26], timeline_limit=1)
        except UnknownProfile:
            return _editor(request, edge, platform, member, code, language, channel)
        rendered = _preview(session, trigger, language, channel, profile.id)
    if not rendered.html:
        return _editor(request, edge, platform, member, code, language, channel)
    return framed_html(rendered.html)
