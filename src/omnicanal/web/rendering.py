"""Rendering a page: Jinja2 templates, the language, money and durations for people."""

from __future__ import annotations

import gettext
from collections.abc import Callable
from datetime import date, datetime, timedelta
from decimal import Decimal
from functools import cache
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from babel.dates import format_date, format_datetime
from babel.numbers import format_currency, format_decimal
from fastapi import Request
from fastapi.responses import HTMLResponse
from jinja2 import Environment, FileSystemLoader, pass_context, select_autoescape
from jinja2.runtime import Context

from omnicanal.network import service as network
from omnicanal.network.errors import UnknownLocation
from omnicanal.platform.clock import as_utc, utcnow
from omnicanal.platform.money import MINOR_UNITS
from omnicanal.web.explanations import Explainer
from omnicanal.web.i18n import DEFAULT_LANGUAGE, choose_language, load_translations
from omnicanal.web.labels import (
    CHANNEL_LABELS,
    FULFILMENT_STATUS_LABELS,
    ORDER_STATUS_LABELS,
    PAYMENT_PROVIDER_LABELS,
    RETURN_CHANNEL_LABELS,
    RETURN_CONDITION_LABELS,
    RETURN_REASON_LABELS,
    RETURN_STATUS_LABELS,
    actor_label,
    event_label,
    review_reason_label,
)
from omnicanal.web.people import national_phone, phone_filter

__all__ = ["LANGUAGE_COOKIE", "Renderer", "distance", "local_time", "zone_named"]

TEMPLATES = Path(__file__).with_name("templates")
LANGUAGE_COOKIE = "omnicanal_lang"


def money(minor: int | None, currency: str | None, language: str) -> str:
    """``4990, "EUR"`` → ``49,90 €`` in French, ``€49.90`` in English (Babel's CLDR rules)."""
    if minor is None:
        return "—"
    code = currency or "EUR"
    amount = Decimal(minor).scaleb(-MINOR_UNITS.get(code, 2))
    return format_currency(amount, code, locale=language)


@pass_context
def _money_filter(context: Context, minor: int | None, currency: str | None = "EUR") -> str:
    return money(minor, currency, str(context.get("lang") or DEFAULT_LANGUAGE))


def distance(kilometres: float | None, language: str) -> str:
    """``4.23`` → ``4,2 km`` in French, ``4.2 km`` in English (one decimal, no-break space)."""
    if kilometres is None:
        return "—"
    return f"{format_decimal(kilometres, format='#,##0.0', locale=language)}\u00a0km"


def zone_named(name: str | None, fallback: ZoneInfo) -> ZoneInfo:
    """The IANA zone ``name``, or ``fallback`` when it is missing or unknown."""
    try:
        return ZoneInfo(name) if name else fallback
    except (ZoneInfoNotFoundError, ValueError):
        return fallback


def local_time(moment: datetime | None, zone: ZoneInfo, language: str) -> str:
    """A moment on the wall clock of ``zone``, the way ``language`` writes it (Babel's
    medium format, the same on every page): "6 déc. 2026, 10:30:00"."""
    if moment is None:
        return "—"
    return format_datetime(as_utc(moment), "medium", tzinfo=zone, locale=language)


def local_day(moment: datetime | date | None, zone: ZoneInfo, language: str) -> str:
    """The calendar day of a moment in ``zone`` (or a date as it is): "6 déc. 2026"."""
    if moment is None:
        return "—"
    if isinstance(moment, datetime):
        moment = as_utc(moment).astimezone(zone).date()
    return format_date(moment, "medium", locale=language)


@pass_context
def _distance_filter(context: Context, kilometres: float | None) -> str:
    return distance(kilometres, str(context.get("lang") or DEFAULT_LANGUAGE))


@pass_context
def _decimal_filter(context: Context, value: float | None) -> str:
    """``3.5`` → ``3,5`` in French, ``3.5`` in English (one decimal)."""
    if value is None:
        return "—"
    language = str(context.get("lang") or DEFAULT_LANGUAGE)
    return format_decimal(value, format="#,##0.0", locale=language)


@pass_context
def _whole_filter(context: Context, value: int | None) -> str:
    """``1240`` → ``1 240`` in French, ``1,240`` in English (a count: points, units)."""
    if value is None:
        return "—"
    language = str(context.get("lang") or DEFAULT_LANGUAGE)
    return format_decimal(value, format="#,##0", locale=language)


@cache
def _environment() -> Environment:
    """The templates' environment, one per process: each template is compiled once, however
    many applications the process builds."""
    environment = Environment(
        loader=FileSystemLoader(TEMPLATES),
        autoescape=select_autoescape(["html"]),
        trim_blocks=True,
        lstrip_blocks=True,
    )
    environment.filters["money"] = _money_filter
    environment.filters["km"] = _distance_filter
    environment.filters["decimal"] = _decimal_filter
    environment.filters["whole"] = _whole_filter
    environment.filters["phone"] = phone_filter
    return environment


class Renderer:
    """Templates and translations, shared by every application of the process."""

    def __init__(self) -> None:
        self.environment = _environment()
        self.translations = load_translations()

    def zone(self, request: Request) -> ZoneInfo:
        """The time zone a page's times are read in: the signed-in member's store's, or the
        business zone for head office (and before signing in)."""
        platform = request.app.state.platform
        fallback: ZoneInfo = platform.settings.business_zone
        member = getattr(request.state, "member", None)
        if member is None or member.location_code is None:
            return fallback
        with platform.db.reading() as session:
            try:
                name = network.get_location(session, member.location_code).timezone
            except UnknownLocation:
                return fallback
        return zone_named(name, fallback)

    def language(self, request: Request) -> str:
        return choose_language(
            query=request.query_params.get("lang"),
            cookie=request.cookies.get(LANGUAGE_COOKIE),
            accept_language=request.headers.get("accept-language"),
        )

    def render(
        self,
        request: Request,
        template: str,
        context: dict[str, Any] | None = None,
        *,
        status_code: int = 200,
    ) -> HTMLResponse:
        """The page in the reader's language; a ``?lang=`` switch is remembered in a cookie."""
        language = self.language(request)
        html = self.text(request, template, context, language=language)
        response = HTMLResponse(html, status_code=status_code)
        if request.query_params.get("lang") == language:
            response.set_cookie(
                LANGUAGE_COOKIE, language, max_age=365 * 86400, samesite="lax", httponly=True
            )
        response.headers["Content-Language"] = language
        return response

    def text(
        self,
        request: Request,
        template: str,
        context: dict[str, Any] | None = None,
        *,
        language: str | None = None,
    ) -> str:
        """A template rendered in the reader's language (or ``language``), as text: a page,
        or the body of an e-mail."""
        language = language or self.language(request)
        translations: gettext.NullTranslations = self.translations[language]
        _ = translations.gettext

        def since(moment: datetime | None) -> str:
            if moment is None:
                return "—"
            return duration(utcnow() - as_utc(moment), _)

        def order_status(code: str) -> str:
            return _(ORDER_STATUS_LABELS.get(code, code))

        def fulfilment_status(code: str) -> str:
            return _(FULFILMENT_STATUS_LABELS.get(code, code))

        def words(labels: dict[str, str]) -> Callable[[str], str]:
            """The word for each code of ``labels`` in the reader's language (else the code)."""
            return lambda code: _(labels.get(code, code))

        def review_reason(reason: Any, currency: str = "EUR") -> str:
            return review_reason_label(
                reason.code, reason.params, _, lambda minor: money(minor, currency, language)
            )

        zone = (context or {}).get("zone") or self.zone(request)
        explainer = Explainer(translations, language, money)

        def channel(code: str | None) -> str:
            return _(CHANNEL_LABELS[code]) if code in CHANNEL_LABELS else code or "—"

        def identifier(text: str) -> str:
            """An identifier as stored (``loyalty_card:FID1``): its kind's word, its value."""
            kind, colon, value = text.partition(":")
            if kind == "phone":
                value = national_phone(value, request.app.state.platform.settings.phone_region)
            return f"{_(kind)} {value}" if colon else text

        def source(text: str | None) -> str:
            """A tracking source as stored (``web/Site vitrine``): its channel, its name; a
            domain event's source (``/channels/store/locations/LYON``, an enrolment's): its
            channel, its store."""
            parts = (text or "").strip("/").split("/")
            if len(parts) >= 2 and parts[0] == "channels":
                where = parts[3] if len(parts) > 3 and parts[2] == "locations" else ""
                return f"{channel(parts[1])} · {where}" if where else channel(parts[1])
            kind, slash, name = (text or "").partition("/")
            return f"{channel(kind)} · {name}" if slash else channel(kind)

        return self.environment.get_template(template).render(
            {
                "request": request,
                "lang": language,
                "_": _,
                "ngettext": translations.ngettext,
                "since": since,
                "order_status": order_status,
                "fulfilment_status": fulfilment_status,
                # A return's codes in words: status, reason, condition, how it came back, and
                # a review reason ({code, params}) as a sentence with its amounts.
                "return_status": words(RETURN_STATUS_LABELS),
                "return_reason": words(RETURN_REASON_LABELS),
                "return_condition": words(RETURN_CONDITION_LABELS),
                "return_channel": words(RETURN_CHANNEL_LABELS),
                "payment_provider": words(PAYMENT_PROVIDER_LABELS),
                "review_reason": review_reason,
                "when": lambda moment: local_time(moment, zone, language),
                "day": lambda moment: local_day(moment, zone, language),
                "channel_name": channel,
                "source": source,
                "actor": lambda key: actor_label(key, _),
                "event": lambda code: event_label(code, _),
                "explain_sourcing": explainer.sourcing,
                "explain_pricing": explainer.pricing,
                "explain_reason": explainer.reason,
                "explain_detail": explainer.detail,
                "explain_match": explainer.match_reason,
                "identifier": identifier,
                "member": getattr(request.state, "member", None),
                "csrf_token": getattr(request.state, "csrf", ""),
                **(context or {}),
            }
        )


def duration(elapsed: timedelta, _: Any) -> str:
    """How long, in the largest unit that reads well: "3 h 05 min", "2 d"."""
    minutes = max(int(elapsed.total_seconds() // 60), 0)
    if minutes < 60:
        return _("%(minutes)d min") % {"minutes": minutes}
    hours, minutes = divmod(minutes, 60)
    if hours < 48:
        return _("%(hours)d h %(minutes)02d min") % {"hours": hours, "minutes": minutes}
    return _("%(days)d days") % {"days": hours // 24}
