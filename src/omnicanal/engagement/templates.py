"""Message templates per trigger, language and channel: the shipped defaults, the retailer's
own, a preview with a real customer's data.

Every kind of message ships with a French and an English template for each channel: an
e-mail (subject, text, HTML), an SMS (one short text in the GSM alphabet) and a push
notification (a title and a short text). A retailer may save its own for a trigger,
language and channel (``message_templates``); :func:`render` uses it, else the shipped one.
How a template is rendered, and what it may not do, is ``rendering.py``.

- A template is tried with typical data (``samples.sample_context``) before it is saved:
  one that does not parse, fails, or makes an SMS longer than one message is refused
  (:class:`InvalidTemplate`, with the part and line at fault) and nothing changes.
- A saved template that fails at sending time all the same (data no sample had) falls back
  to the shipped one, with a warning in the log: the customer still gets their message.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from omnicanal.engagement import access, contexts, samples
from omnicanal.engagement.gsm import SMS_LENGTH, gsm_length
from omnicanal.engagement.models import TRIGGER_KINDS, Trigger
from omnicanal.engagement.models import Template as TemplateRow
from omnicanal.engagement.rendering import (
    LANGUAGES,
    MAX_SUBJECT_LENGTH,
    TEMPLATE_CHANNELS,
    InvalidTemplate,
    Rendered,
    TemplateFailed,
    TemplateSource,
    check_channel,
    compiled,
    compose,
    default_source,
    language_or_default,
    run,
)
from omnicanal.engagement.triggers import trigger_ref
from omnicanal.platform.actors import Actor
from omnicanal.platform.bounds import check_text
from omnicanal.platform.clock import as_utc, utcnow
from omnicanal.platform.db import dialect_insert
from omnicanal.platform.ids import new_id

__all__ = [
    "LANGUAGES",
    "PUSH_LENGTH",
    "TEMPLATE_CHANNELS",
    "InvalidTemplate",
    "Rendered",
    "TemplateSource",
    "TemplateView",
    "default_source",
    "list_templates",
    "preview",
    "render",
    "render_draft",
    "reset_template",
    "save_template",
]

log = logging.getLogger("omnicanal.engagement")

MAX_TEXT_LENGTH = 20_000
MAX_HTML_LENGTH = 100_000
PUSH_LENGTH = 160
"""The most characters of a push notification's text (lock screens cut the rest)."""
MARKETING_PURPOSES = ("marketing", "personalised_offers")
PREVIEW_LINK = "#"
"""Where a preview's preference and unsubscribe links point: nowhere (a real message has the
person's own signed links)."""
SAMPLE_MARK = {"fr": "[Exemple] ", "en": "[Sample] "}
_PARTS_FR = {"subject": "l'objet", "body_text": "le texte", "body_html": "le HTML"}


@dataclass(frozen=True)
class TemplateView:
    """A trigger's template in one language on one channel, as the back office lists it:
    the retailer's own (``customised``) or the shipped default."""

    trigger_code: str
    kind: str
    language: str
    channel: str
    subject: str
    body_text: str
    body_html: str | None
    customised: bool
    updated_at: datetime | None


def _saved(session: Session, trigger_code: str, language: str, channel: str) -> TemplateRow | None:
    return session.scalar(
        select(TemplateRow).where(
            TemplateRow.trigger_code == trigger_code,
            TemplateRow.language == language,
            TemplateRow.channel == channel,
        )
    )


def render(
    session: Session,
    *,
    trigger_code: str,
    kind: str,
    language: str,
    channel: str,
    context: Mapping[str, Any],
) -> Rendered:
    """The message of trigger ``trigger_code`` (of ``kind``) in ``language`` on ``channel``
    with ``context`` (``contexts.context_for``): the retailer's template if it saved one
    (the shipped one should it fail), else the shipped one. An SMS comes out in the GSM
    alphabet on one line; an e-mail with its HTML frame and, for a marketing message, the
    footer with its links."""
    language = language_or_default(language)
    check_channel(channel)
    shipped = default_source(kind, language, channel)
    row = _saved(session, trigger_code, language, channel)
    if row is not None:
        try:
            return compose(
                TemplateSource(row.subject, row.body_text, row.body_html),
                language=language,
                channel=channel,
                context=context,
            )
        except TemplateFailed as failed:
            log.warning(
                "the %s template of %s (%s) failed (%s: %s); the shipped one is sent instead",
                channel,
                trigger_code,
                language,
                failed.problem,
                failed.message,
            )
    try:
        return compose(shipped, language=language, channel=channel, context=context)
    except TemplateFailed as failed:  # pragma: no cover - the shipped templates are tested
        raise RuntimeError(f"the shipped {kind} template failed: {failed.message}") from None


def render_draft(
    *,
    kind: str,
    language: str,
    channel: str,
    source: TemplateSource,
    context: Mapping[str, Any] | None = None,
    now: datetime | None = None,
) -> Rendered:
    """A template being written, rendered with ``context`` (typical data by default) the way
    it would be sent; :class:`InvalidTemplate` when it would be refused on saving."""
    language = language_or_default(language)
    moment = now or utcnow()
    data = context if context is not None else _sample(kind, language, moment, links=True)
    return _checked_render(kind, language, channel, _checked_source(channel, source), data)


# --- saving -----------------------------------------------------------------------------------


def _refuse(failed: TemplateFailed, part: str) -> InvalidTemplate:
    where = f" (line {failed.line})" if failed.line else ""
    where_fr = f" (ligne {failed.line})" if failed.line else ""
    return InvalidTemplate(
        f"The template's {part} cannot be used{where}: {failed.message}.",
        field=part,
        problem=failed.problem,
        line=failed.line,
        detail_fr=f"Le modèle ne peut pas servir : {_PARTS_FR.get(part, part)} pose problème"
        f"{where_fr}.",
    )


def _checked_source(channel: str, source: TemplateSource) -> TemplateSource:
    check_channel(channel)
    subject = source.subject or ""
    html = source.body_html or None
    limits = (
        ("subject", subject, MAX_SUBJECT_LENGTH),
        ("body_text", source.body_text, MAX_TEXT_LENGTH),
        ("body_html", html or "", MAX_HTML_LENGTH),
    )
    for part, text, limit in limits:
        if len(text) > limit:
            raise InvalidTemplate(
                f"The template's {part} is at most {limit} characters.",
                field=part,
                problem="too_long",
                detail_fr=f"Le modèle est trop long : {_PARTS_FR[part]} dépasse {limit} "
                "caractères.",
            )
        try:
            check_text(text)
        except ValueError as error:
            raise InvalidTemplate(
                f"The template's {part}: {error}.",
                field=part,
                problem="unreadable",
                detail_fr=f"Le modèle contient un caractère illisible dans {_PARTS_FR[part]}.",
            ) from None
    if not source.body_text.strip():
        raise InvalidTemplate(
            "A message template needs a text.",
            field="body_text",
            problem="empty",
            detail_fr="Le modèle n'a pas de texte.",
        )
    if channel == "email" and not subject.strip():
        raise InvalidTemplate(
            "An e-mail template needs a subject.",
            field="subject",
            problem="empty",
            detail_fr="Un e-mail a besoin d'un objet.",
        )
    if channel != "email" and html is not None:
        raise InvalidTemplate(
            "Only an e-mail has HTML.",
            field="body_html",
            problem="unsupported",
            detail_fr="Seul un e-mail a du HTML.",
        )
    parts = (("subject", subject, False), ("body_text", source.body_text, False))
    for part, text, as_html in (*parts, ("body_html", html or "", True)):
        try:
            compiled(text, as_html)
        except TemplateFailed as failed:
            raise _refuse(failed, part) from None
    return TemplateSource("" if channel == "sms" else subject, source.body_text, html)


def _sample(kind: str, language: str, now: datetime, *, links: bool) -> dict[str, Any]:
    data = samples.sample_context(kind, language=language, now=now)
    if links:
        data.update(preference_url=PREVIEW_LINK, unsubscribe_url=PREVIEW_LINK)
    return data


def _checked_render(
    kind: str, language: str, channel: str, source: TemplateSource, data: Mapping[str, Any]
) -> Rendered:
    parts = (
        ("subject", source.subject, False),
        ("body_text", source.body_text, False),
        ("body_html", source.body_html or "", True),
    )
    for part, text, as_html in parts:
        try:
            run(text, {**data, "language": language}, html=as_html)
        except TemplateFailed as failed:
            raise _refuse(failed, part) from None
    try:
        rendered = compose(source, language=language, channel=channel, context=data)
    except TemplateFailed as failed:  # pragma: no cover - each part rendered above
        raise _refuse(failed, "body_text") from None
    if channel == "email" and not rendered.subject:
        raise InvalidTemplate(
            "The e-mail's subject renders empty with typical data.",
            field="subject",
            problem="empty",
            detail_fr="L'objet de l'e-mail est vide avec des données habituelles.",
        )
    if channel == "sms":
        length = gsm_length(rendered.text) or 0
        if length > SMS_LENGTH:
            raise InvalidTemplate(
                f"This SMS takes {length} characters with typical data; one SMS holds "
                f"{SMS_LENGTH}.",
                field="body_text",
                problem="too_long",
                length=length,
                detail_fr=f"Ce SMS fait {length} caractères avec des données habituelles ; "
                f"un SMS en contient {SMS_LENGTH}.",
            )
    if channel == "push" and len(rendered.text) > PUSH_LENGTH:
        raise InvalidTemplate(
            f"This notification takes {len(rendered.text)} characters with typical data; "
            f"keep it within {PUSH_LENGTH}.",
            field="body_text",
            problem="too_long",
            length=len(rendered.text),
            detail_fr=f"Cette notification fait {len(rendered.text)} caractères ; "
            f"{PUSH_LENGTH} au plus.",
        )
    return rendered


def _checked_language(language: str) -> str:
    if language not in LANGUAGES:
        raise InvalidTemplate(
            f"Templates are written in French (fr) or English (en), not {language[:10]!r}.",
            field="language",
            detail_fr="Un modèle s'écrit en français (fr) ou en anglais (en).",
        )
    return language


def save_template(
    session: Session,
    *,
    trigger_code: str,
    language: str,
    channel: str,
    subject: str,
    body_text: str,
    body_html: str | None,
    actor: Actor,
) -> TemplateRow:
    """Save the retailer's template of a trigger in a language on a channel (head office:
    ``engagement:admin``). Refused (:class:`InvalidTemplate`, nothing changed) when it does
    not parse, uses what a template may not, fails with typical data, or makes an SMS longer
    than one message. The edge that calls it audits the change, as for every setting, as
    ``message_template:<trigger>:<language>:<channel>``."""
    access.check_admin(actor, doing="change message templates")
    trigger = trigger_ref(session, trigger_code)
    _checked_language(language)
    source = _checked_source(channel, TemplateSource(subject, body_text, body_html))
    _checked_render(
        trigger.kind,
        language,
        channel,
        source,
        _sample(trigger.kind, language, utcnow(), links=trigger.purpose in MARKETING_PURPOSES),
    )
    now = utcnow()
    values = {
        "subject": source.subject,
        "body_text": source.body_text,
        "body_html": source.body_html,
        "updated_at": now,
    }
    insert = dialect_insert(session)
    # Two head-office tabs saving at once: the later write wins, neither fails.
    session.execute(
        insert(TemplateRow)
        .values(
            id=new_id(), trigger_code=trigger.code, language=language, channel=channel, **values
        )
        .on_conflict_do_update(index_elements=["trigger_code", "language", "channel"], set_=values)
    )
    row = _saved(session, trigger.code, language, channel)
    assert row is not None
    session.refresh(row)
    return row


def reset_template(
    session: Session, *, trigger_code: str, language: str, channel: str, actor: Actor
) -> bool:
    """Go back to the shipped template of a trigger in a language on a channel (head office;
    the edge audits it as it audits a save); whether the retailer had one of its own."""
    access.check_admin(actor, doing="change message templates")
    trigger = trigger_ref(session, trigger_code)
    row = _saved(session, trigger.code, _checked_language(language), channel)
    if row is None:
        return False
    session.delete(row)
    session.flush()
    return True


def list_templates(
    session: Session, *, actor: Actor, trigger_code: str | None = None
) -> list[TemplateView]:
    """Every trigger's template in each language on each channel, the retailer's own or the
    shipped one (``engagement:read``); one trigger's with ``trigger_code``."""
    access.check_reader(actor)
    query = select(Trigger.code, Trigger.kind)
    if trigger_code is not None:
        trigger_ref(session, trigger_code)
        query = query.where(Trigger.code == trigger_code)
    order = {kind: position for position, kind in enumerate(TRIGGER_KINDS)}
    triggers = sorted(session.execute(query), key=lambda row: (order.get(row[1], 99), row[0]))
    saved = {
        (row.trigger_code, row.language, row.channel): row
        for row in session.scalars(
            select(TemplateRow).where(TemplateRow.trigger_code.in_([code for code, _ in triggers]))
        )
    }
    views = []
    for code, kind in triggers:
        if kind not in TRIGGER_KINDS:
            continue
        for language in LANGUAGES:
            for channel in TEMPLATE_CHANNELS:
                own = saved.get((code, language, channel))
                source = (
                    TemplateSource(own.subject, own.body_text, own.body_html)
                    if own is not None
                    else default_source(kind, language, channel)
                )
                views.append(
                    TemplateView(
                        trigger_code=code,
                        kind=kind,
                        language=language,
                        channel=channel,
                        subject=source.subject,
                        body_text=source.body_text,
                        body_html=source.body_html,
                        customised=own is not None,
                        updated_at=as_utc(own.updated_at) if own is not None else None,
                    )
                )
    return views


# --- preview ----------------------------------------------------------------------------------


def preview(
    session: Session,
    *,
    trigger_code: str,
    language: str,
    channel: str,
    profile_id: str,
    now: datetime,
) -> Rendered:
    """A trigger's message as this customer would get it now, from their latest matching
    cart, pickup, parcel, order, return or stock watch; typical data (``sample``, the
    subject marked "[Exemple]") when they have none. The preference links point nowhere."""
    trigger = trigger_ref(session, trigger_code)
    language = language_or_default(language)
    marketing = trigger.purpose in MARKETING_PURPOSES
    links = {"preference_url": PREVIEW_LINK, "unsubscribe_url": PREVIEW_LINK} if marketing else {}
    subject = contexts.latest_subject(session, kind=trigger.kind, profile_id=profile_id)
    if subject is not None:
        data = contexts.context_for(
            session,
            kind=trigger.kind,
            profile_id=profile_id,
            subject=subject,
            language=language,
            now=now,
            extra=links,
        )
        return render(
            session,
            trigger_code=trigger.code,
            kind=trigger.kind,
            language=language,
            channel=channel,
            context=data,
        )
    data = {
        **_sample(trigger.kind, language, now, links=marketing),
        "customer": contexts.customer_context(session, profile_id),
    }
    rendered = render(
        session,
        trigger_code=trigger.code,
        kind=trigger.kind,
        language=language,
        channel=channel,
        context=data,
    )
    if channel == "email":
        subject_line = SAMPLE_MARK[language] + rendered.subject
    else:
        subject_line = rendered.subject
    return Rendered(subject_line[:MAX_SUBJECT_LENGTH], rendered.text, rendered.html, sample=True)
