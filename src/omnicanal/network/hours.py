"""A location's opening hours: checked when they come in, said in French or English, and
asked whether the store is open at a given local time.

Opening hours are local wall-clock times by weekday, at most three ranges a day (a lunch
break, a late opening)::

    {"mon": [["10:00", "19:00"]], "sat": [["10:00", "12:30"], ["14:00", "19:00"]], "sun": []}

A day with no ranges, or not given at all, is closed. A range starts before it ends on the
same day: a store open past midnight is not described here. No hours at all (``None``) means
the retailer did not say, which is not the same as closed every day.

Pure: nothing here touches the database.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from datetime import date, datetime
from itertools import pairwise
from typing import Any

from babel.dates import get_day_names

__all__ = [
    "MAX_RANGES",
    "WEEKDAYS",
    "OpeningHours",
    "check_opening_hours",
    "day_line",
    "hours_lines",
    "hours_on",
    "is_open",
]

WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
"""The weekdays' keys, Monday first (``date.weekday()`` order)."""
MAX_RANGES = 3
"""The most opening ranges in one day."""
OpeningHours = Mapping[str, Sequence[Sequence[str]]]
"""``{"mon": [["10:00", "19:00"]], ...}``: local ranges by weekday."""

_CLOCK = re.compile(r"^([01]\d|2[0-3]):([0-5]\d)$")
_CLOSED = {"fr": "fermé", "en": "closed"}
_SEPARATOR = {"fr": " : ", "en": ": "}
_DASH = "\u2013"


def _minutes(text: str) -> int:
    hours, minutes = text.split(":")
    return int(hours) * 60 + int(minutes)


def check_opening_hours(value: Any) -> dict[str, list[list[str]]]:
    """The hours in their stored shape (weekdays in order), or ``ValueError`` with a sentence
    naming what is wrong."""
    if not isinstance(value, Mapping):
        raise ValueError(
            'opening hours are an object by weekday, e.g. {"mon": [["10:00", "19:00"]]}'
        )
    unknown = [str(day)[:20] for day in value if day not in WEEKDAYS]
    if unknown:
        raise ValueError(
            f"{unknown[0]!r} is not a weekday: use mon, tue, wed, thu, fri, sat and sun"
        )
    checked: dict[str, list[list[str]]] = {}
    for day in WEEKDAYS:
        if day not in value:
            continue
        ranges = value[day]
        if ranges is None:
            ranges = []
        if not isinstance(ranges, Sequence) or isinstance(ranges, str):
            raise ValueError(f'{day}: give a list of ranges such as [["10:00", "19:00"]]')
        if len(ranges) > MAX_RANGES:
            raise ValueError(f"{day}: at most {MAX_RANGES} opening ranges a day")
        day_ranges: list[list[str]] = []
        for opening in ranges:
            if (
                not isinstance(opening, Sequence)
                or isinstance(opening, str)
                or len(opening) != 2
                or not all(isinstance(part, str) for part in opening)
            ):
                raise ValueError(f'{day}: a range is two times, e.g. ["10:00", "19:00"]')
            start, end = opening
            for clock in (start, end):
                if not _CLOCK.match(clock):
                    raise ValueError(
                        f"{day}: {clock[:20]!r} is not a time written HH:MM (00:00 to 23:59)"
                    )
            if _minutes(start) >= _minutes(end):
                raise ValueError(f"{day}: a range opens before it closes ({start} to {end})")
            day_ranges.append([start, end])
        day_ranges.sort(key=lambda opening: _minutes(opening[0]))
        for before, after in pairwise(day_ranges):
            if _minutes(after[0]) < _minutes(before[1]):
                raise ValueError(
                    f"{day}: the ranges {before[0]}{_DASH}{before[1]} and "
                    f"{after[0]}{_DASH}{after[1]} overlap"
                )
        checked[day] = day_ranges
    return checked


def _language(language: str) -> str:
    return language if language in _CLOSED else "fr"


def _ranges(hours: OpeningHours, day: str) -> list[tuple[str, str]]:
    return [(str(opening[0]), str(opening[1])) for opening in hours.get(day) or []]


def day_line(hours: OpeningHours, day: str, *, language: str) -> str:
    """One weekday's line: "lundi : 10:00-19:00", "Sunday: closed" (an en dash between
    the times)."""
    language = _language(language)
    name = get_day_names("wide", locale=language)[WEEKDAYS.index(day)]
    ranges = _ranges(hours, day)
    said = ", ".join(f"{start}{_DASH}{end}" for start, end in ranges) or _CLOSED[language]
    return f"{name}{_SEPARATOR[language]}{said}"


def hours_lines(hours: OpeningHours | None, *, language: str) -> list[str]:
    """One line per weekday, Monday first ("lundi : 10:00-19:00", "dimanche : fermé");
    none when the hours are not known."""
    if hours is None:
        return []
    return [day_line(hours, day, language=language) for day in WEEKDAYS]


def hours_on(hours: OpeningHours | None, day: date, *, language: str) -> str | None:
    """The ranges of one calendar day ("10:00-12:30, 14:00-19:00", "fermé"); None when the
    hours are not known."""
    if hours is None:
        return None
    ranges = _ranges(hours, WEEKDAYS[day.weekday()])
    return (
        ", ".join(f"{start}{_DASH}{end}" for start, end in ranges) or _CLOSED[_language(language)]
    )


def is_open(hours: OpeningHours | None, at_local: datetime) -> bool:
    """Whether the location is open at ``at_local``, a wall-clock time in its own zone (an
    aware datetime is read in the zone it carries). Unknown hours are never open."""
    if hours is None:
        return False
    minute = at_local.hour * 60 + at_local.minute
    return any(
        _minutes(start) <= minute < _minutes(end)
        for start, end in _ranges(hours, WEEKDAYS[at_local.weekday()])
    )
