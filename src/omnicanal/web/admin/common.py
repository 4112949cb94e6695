"""What every back-office page shares: the head-office guard, problem pages, labels, charts."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Annotated, Any
from zoneinfo import ZoneInfo

from fastapi import Depends, Request
from fastapi.responses import Response

from omnicanal.platform.actors import Actor
from omnicanal.staff import service as staff
from omnicanal.web.edge import Member, WebEdge
from omnicanal.web.labels import FULFILMENT_STATUS_LABELS, ORDER_STATUS_LABELS

__all__ = [
    "FULFILMENT_STATUS_LABELS",
    "ORDER_STATUS_LABELS",
    "Bar",
    "HeadOffice",
    "NotHeadOffice",
    "Point",
    "bar_chart",
    "day_bounds",
    "france_outline",
    "problem",
    "project",
    "staff_actor",
]


class NotHeadOffice(Exception):
    """A clerk or a store manager opened a back-office page."""


def head_office(member: Member) -> staff.StaffMember:
    """The signed-in member, if they belong to head office."""
    if member.role != staff.Role.head_office:
        raise NotHeadOffice
    return member


HeadOffice = Annotated[staff.StaffMember, Depends(head_office)]


def problem(
    request: Request, edge: WebEdge, name: str, status_code: int, **context: Any
) -> Response:
    """The back office's problem page: a sentence for people, never a stack trace."""
    return edge.renderer.render(
        request, "admin/error.html", {"problem": name, **context}, status_code=status_code
    )


def staff_actor(member: staff.StaffMember) -> Actor:
    """The member as the author of a change, as ledgers, events and the audit log record it."""
    return staff.back_office_actor(member)


def day_bounds(day: date, zone: ZoneInfo) -> tuple[datetime, datetime]:
    """The UTC start and end of a calendar day in ``zone`` (the business time zone of the
    settings, for head-office views)."""
    start = datetime.combine(day, time.min, tzinfo=zone)
    end = datetime.combine(day + timedelta(days=1), time.min, tzinfo=zone)
    return start.astimezone(UTC), end.astimezone(UTC)


def today(zone: ZoneInfo) -> date:
    """Today's date in ``zone``."""
    return datetime.now(zone).date()


# --- a bar chart drawn on the server -------------------------------------------------------


@dataclass(frozen=True)
class Bar:
    label: str
    value: int
    x: float
    y: float
    width: float
    height: float


CHART_WIDTH, CHART_HEIGHT, CHART_BASE = 480, 200, 170


def bar_chart(values: Sequence[tuple[str, int]]) -> list[Bar]:
    """Bars for an SVG of CHART_WIDTH x CHART_HEIGHT, tallest at 140 px, labels below."""
    if not values:
        return []
    top = max(value for _, value in values) or 1
    slot = CHART_WIDTH / len(values)
    width = min(slot * 0.6, 60)
    return [
        Bar(
            label=label,
            value=value,
            x=round(index * slot + (slot - width) / 2, 1),
            y=round(CHART_BASE - 140 * value / top, 1),
            width=round(width, 1),
            height=round(140 * value / top, 1),
        )
        for index, (label, value) in enumerate(values)
    ]


# --- a map of France: an equirectangular projection of its bounding box ---------------------

WEST, EAST, SOUTH, NORTH = -5.5, 10.0, 41.2, 51.3
MAP_HEIGHT = 600
# One degree of longitude is cos(latitude) of a degree of latitude: keep France's shape.
MAP_WIDTH = round(MAP_HEIGHT * (EAST - WEST) * math.cos(math.radians(46.2)) / (NORTH - SOUTH))

_MAINLAND = [
    (2.55, 51.09), (4.2, 49.95), (4.8, 50.15), (5.8, 49.55), (8.2, 48.97), (7.6, 47.6),
    (6.9, 47.4), (6.1, 46.15), (7.0, 45.9), (6.6, 45.1), (7.0, 44.2), (7.5, 43.78),
    (6.6, 43.15), (5.0, 43.35), (4.0, 43.5), (3.17, 42.43), (1.7, 42.5), (-0.3, 42.8),
    (-1.78, 43.37), (-1.25, 44.6), (-1.2, 46.2), (-2.2, 47.1), (-4.4, 47.8), (-4.75, 48.4),
    (-3.5, 48.8), (-1.6, 48.65), (-1.9, 49.7), (-1.2, 49.4), (0.2, 49.45), (1.5, 50.2),
    (1.6, 50.9),
]  # fmt: skip
_CORSICA = [(9.4, 43.0), (9.55, 42.15), (9.25, 41.4), (8.8, 41.6), (8.6, 42.1), (8.7, 42.6)]


@dataclass(frozen=True)
class Point:
    x: float
    y: float


def project(latitude: float, longitude: float) -> Point | None:
    """Where a place falls on the map, or None outside mainland France and Corsica."""
    if not (WEST <= longitude <= EAST and SOUTH <= latitude <= NORTH):
        return None
    return Point(
        x=round((longitude - WEST) / (EAST - WEST) * MAP_WIDTH, 1),
        y=round((NORTH - latitude) / (NORTH - SOUTH) * MAP_HEIGHT, 1),
    )


def france_outline() -> list[str]:
    """SVG polygon points of mainland France and Corsica (coarse, for orientation only)."""
    shapes = []
    for shape in (_MAINLAND, _CORSICA):
        points = [project(lat, lon) for lon, lat in shape]
        shapes.append(" ".join(f"{p.x},{p.y}" for p in points if p is not None))
    return shapes
