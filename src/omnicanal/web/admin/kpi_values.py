"""How the KPI pages write a figure for people: by its unit, in the reader's language
(Babel: ``12,3 %``, ``49,90 €``, ``4 min 05 s``), and how it moved against the period
before (an arrow coloured by whether the metric is better up or down).

Shared by the back office's KPI pages and the store manager's page, so that a figure reads
the same everywhere.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal

from babel import Locale
from babel.numbers import format_currency, format_decimal, format_percent

from omnicanal.analytics.kpis import Better, Unit
from omnicanal.platform.money import MINOR_UNITS

__all__ = ["DASH", "SEGMENT_LABELS", "Delta", "Reader"]

DASH = "—"
"""A figure without a value: the scope holds none of its population."""
SEGMENT_LABELS = {"recognised": "Recognised customers", "anonymous": "Anonymous customers"}
"""The customer segments as people read them (message ids)."""


def percent_pattern(language: str, *, signed: bool = False) -> str:
    """The language's percent pattern (``#,##0\u00a0%`` in French, ``#,##0%`` in English)
    with one decimal, signed if asked."""
    pattern = str(Locale.parse(language).percent_formats[None].pattern)
    last = pattern.rfind("0")
    one_decimal = f"{pattern[: last + 1]}.0{pattern[last + 1 :]}"
    return f"+{one_decimal};-{one_decimal}" if signed else one_decimal


@dataclass(frozen=True)
class Delta:
    """How a figure moved against the period before: the change as text, its direction
    (``up``, ``down``, ``flat``; ``none`` without two values) and whether that is good news
    (``good``, ``bad``, ``neutral``) for a metric better up or down."""

    text: str
    direction: str
    judgement: str
    arrow: str
    words: str


@dataclass(frozen=True)
class Reader:
    """The reader's language and its words (the page's gettext)."""

    language: str
    gettext: Callable[[str], str]

    def value(self, value: float | None, unit: Unit, currency: str | None = None) -> str:
        """``value`` in ``unit`` as the reader writes it; « — » for none."""
        if value is None:
            return DASH
        if unit == "ratio":
            return format_percent(value, percent_pattern(self.language), locale=self.language)
        if unit == "money":
            code = currency or "EUR"
            places = MINOR_UNITS.get(code, 2)
            amount = Decimal(round(value)).scaleb(-places)
            return format_currency(amount, code, locale=self.language)
        if unit == "seconds":
            return self.duration(value)
        if unit == "days":
            days = format_decimal(value, "#,##0.0", locale=self.language)
            return self.gettext("%(days)s d") % {"days": days}
        if unit == "units":
            return format_decimal(value, "#,##0.00", locale=self.language)
        if unit == "score":
            return format_decimal(value, "+#,##0;-#,##0", locale=self.language)
        return format_decimal(value, "#,##0", locale=self.language)

    def duration(self, seconds: float) -> str:
        """Seconds in the largest unit that reads well: ``2,5 s``, ``4 min 05 s``,
        ``3 h 05 min``, ``2,5 d``."""
        _ = self.gettext
        if seconds < 10:
            return _("%(seconds)s s") % {
                "seconds": format_decimal(seconds, "0.0", locale=self.language)
            }
        whole = round(seconds)
        if whole < 60:
            return _("%(seconds)s s") % {"seconds": whole}
        if whole < 3600:
            minutes, rest = divmod(whole, 60)
            return _("%(minutes)d min %(seconds)02d s") % {"minutes": minutes, "seconds": rest}
        if whole < 48 * 3600:
            hours, rest = divmod(whole // 60, 60)
            return _("%(hours)d h %(minutes)02d min") % {"hours": hours, "minutes": rest}
        days = format_decimal(seconds / 86400, "#,##0.0", locale=self.language)
        return _("%(days)s d") % {"days": days}

    def label(self, unit: Unit, currency: str | None = None) -> Callable[[float | None], str]:
        """The writer of a chart's values in ``unit``."""
        return lambda value: self.value(value, unit, currency)

    def delta(self, now: float | None, before: float | None, unit: Unit, better: Better) -> Delta:
        """The change from ``before`` to ``now``: in points for a share (``+1,2 pt``), in
        percent of the value before for anything else (``-12,5 %``); nothing to say when
        one of them is missing or the value before is zero (for a change in percent)."""
        _ = self.gettext
        if now is None or before is None:
            return Delta(DASH, "none", "neutral", "", _("no comparison"))
        change = now - before
        if unit in ("ratio", "score"):
            points = change * 100 if unit == "ratio" else change
            number = format_decimal(points, "+#,##0.0;-#,##0.0", locale=self.language)
            text = _("%(points)s pt") % {"points": number}
        elif before == 0:
            text = DASH
        else:
            text = format_percent(
                change / abs(before),
                percent_pattern(self.language, signed=True),
                locale=self.language,
            )
        if abs(change) < 1e-9:
            return Delta(text.replace("+", "±"), "flat", "neutral", "=", _("unchanged"))
        direction = "up" if change > 0 else "down"
        judgement = "neutral" if better == "none" else "good" if direction == better else "bad"
        words = {
            ("up", "good"): _("up, for the better"),
            ("up", "bad"): _("up, for the worse"),
            ("down", "good"): _("down, for the better"),
            ("down", "bad"): _("down, for the worse"),
        }.get((direction, judgement), _("up") if direction == "up" else _("down"))
        return Delta(text, direction, judgement, "▲" if direction == "up" else "▼", words)

    def segment(self, code: str) -> str:
        """A customer segment in words."""
        return self.gettext(SEGMENT_LABELS.get(code, code))
