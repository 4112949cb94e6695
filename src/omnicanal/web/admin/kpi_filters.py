"""The KPI pages' filters, read from the address: a period (a preset of 7, 28 or 90 days
ending today, or the days from/to), a store, a channel, a customer segment.

Each value is checked here, at the edge, before it reaches a measure: a date the form
``YYYY-MM-DD`` between the years the platform stores, a period of at most a year, a store
among the chain's, a channel and a segment among theirs. A value that is not is refused
with a page that says which (:class:`FilterRefused`), never a 500.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from dataclasses import dataclass, replace
from datetime import date, timedelta
from urllib.parse import urlencode

from omnicanal.analytics.kpis import SEGMENTS, Scope
from omnicanal.platform.actors import ChannelKind
from omnicanal.platform.bounds import MAX_YEAR, MIN_YEAR

__all__ = [
    "CHANNELS",
    "LONGEST_PERIOD_DAYS",
    "PRESETS",
    "FilterRefused",
    "Filters",
    "read_filters",
]

PRESETS = (7, 28, 90)
"""The periods offered in one click: a week, four weeks, a quarter (whole weeks, so that a
period compares weekdays with the same weekdays)."""
LONGEST_PERIOD_DAYS = 366
"""The longest period a page computes: a year, a leap one included."""
CHANNELS = tuple(kind.value for kind in ChannelKind)
SHOWN_IN_PROBLEM = 60
"""The most characters of a refused value that its problem page repeats."""


class FilterRefused(Exception):
    """A filter's value that the pages cannot use: ``problem`` names why (a message of the
    KPI problem page), ``value`` is what was given, ``field`` the filter's name."""

    def __init__(self, problem: str, value: str = "", field: str = "") -> None:
        super().__init__(problem)
        self.problem = problem
        self.value = value[:SHOWN_IN_PROBLEM]
        self.field = field


@dataclass(frozen=True)
class Filters:
    """What the reader chose: local days ``start`` to ``end`` (both included), a store, a
    channel and a segment (``""``: all), the preset it came from (None: dates typed)."""

    start: date
    end: date
    store: str = ""
    channel: str = ""
    segment: str = ""
    days: int | None = 7

    @property
    def scope(self) -> Scope:
        """The measures' scope for these filters."""
        return Scope(
            start=self.start,
            end=self.end,
            stores=(self.store,) if self.store else (),
            channels=(self.channel,) if self.channel else (),
            segment=self.segment or None,
        )

    @property
    def length(self) -> int:
        return (self.end - self.start).days + 1

    def before(self) -> Filters:
        """The period of the same length just before."""
        return replace(
            self, start=self.start - timedelta(days=self.length), end=self.start - timedelta(1)
        )

    def with_days(self, days: int) -> Filters:
        """The same filters over the last ``days`` days up to the same end (a preset)."""
        return replace(self, start=self.end - timedelta(days=days - 1), days=days)

    def query(self, **extra: str) -> str:
        """The filters (and ``extra`` parameters) as an address's query, without empty ones:
        the exports and the links keep what the page shows."""
        period = (
            {"days": str(self.days)}
            if self.days is not None
            else {"from": self.start.isoformat(), "to": self.end.isoformat()}
        )
        values = {
            **period,
            "store": self.store,
            "channel": self.channel,
            "segment": self.segment,
            **extra,
        }
        return urlencode({name: value for name, value in values.items() if value})


def _day(text: str, field: str) -> date:
    try:
        day = date.fromisoformat(text.strip())
    except ValueError:
        raise FilterRefused("bad_date", text, field) from None
    if not MIN_YEAR <= day.year <= MAX_YEAR:
        raise FilterRefused("bad_date", text, field)
    return day


def _choice(params: Mapping[str, str], name: str, allowed: Collection[str]) -> str:
    value = params.get(name, "")
    if value and value not in allowed:
        raise FilterRefused("unknown_choice", value, name)
    return value


def read_filters(
    params: Mapping[str, str],
    *,
    today: date,
    stores: Collection[str],
    default_days: int = PRESETS[0],
) -> Filters:
    """The filters of a page's address; :class:`FilterRefused` for a value that is not one.

    Typed dates win over the preset; a missing end is today, a missing start makes a period
    of the preset's length."""
    preset = params.get("days", "")
    if preset and preset not in {str(days) for days in PRESETS}:
        raise FilterRefused("bad_period", preset, "days")
    days = int(preset) if preset else default_days
    typed_start, typed_end = params.get("from", "").strip(), params.get("to", "").strip()
    end = _day(typed_end, "to") if typed_end else today
    start = _day(typed_start, "from") if typed_start else end - timedelta(days=days - 1)
    if end < start:
        raise FilterRefused("period_reversed", f"{start.isoformat()} → {end.isoformat()}")
    if (end - start).days + 1 > LONGEST_PERIOD_DAYS:
        raise FilterRefused("period_too_long", f"{start.isoformat()} → {end.isoformat()}")
    return Filters(
        start=start,
        end=end,
        store=_choice(params, "store", stores),
        channel=_choice(params, "channel", CHANNELS),
        segment=_choice(params, "segment", SEGMENTS),
        days=None if typed_start or typed_end else days,
    )
