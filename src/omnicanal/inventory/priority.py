"""Which stock alert to act on first: the sales a shortage costs, per day.

A network holds thousands of low and out-of-stock lines at any time; most of them sell
nothing and can wait. What matters is the demand a line is about to miss:

* its **sales velocity**: units sold a day over the last :data:`SALES_WINDOW_DAYS` days,
  from the movements ledger (what left that location's shelf, whatever the channel);
* its **urgency**: an empty line misses every sale (1); a low line misses sales sooner the
  fewer days its available units cover, and none while they cover
  :data:`COVER_HORIZON_DAYS` days or more (replenishment comes before then);
* its **exposure**: a line that online shoppers can buy (the location fulfils an online
  channel) loses web and app sales besides the walk-ins, so it weighs
  :data:`ONLINE_WEIGHT` times as much.

``score = velocity x urgency x exposure`` is the demand at risk, in units a day. Its level
is what a person reads: ``urgent`` from one unit a day, ``high`` from a quarter, ``normal``
below, ``dormant`` when nothing sold in the window. Equal scores: a line that sells before a
dormant one, then out of stock first, then online, then the fewest units available. Pure: no
database here.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

__all__ = [
    "COVER_HORIZON_DAYS",
    "ONLINE_WEIGHT",
    "SALES_WINDOW_DAYS",
    "AlertFacts",
    "Priority",
    "Ranking",
    "rank",
    "sort_key",
]

SALES_WINDOW_DAYS = 28
COVER_HORIZON_DAYS = 14
ONLINE_WEIGHT = 2.0
URGENT_FROM = 1.0
HIGH_FROM = 0.25


class Priority(StrEnum):
    urgent = "urgent"
    high = "high"
    normal = "normal"
    dormant = "dormant"


@dataclass(frozen=True, slots=True)
class AlertFacts:
    """What the rule knows of one low or out-of-stock line (a SKU at a location)."""

    status: str  # low_stock or out_of_stock
    available: int
    units_sold: int  # over the window, at this location
    online: bool  # the location fulfils an online channel
    window_days: int = SALES_WINDOW_DAYS


@dataclass(frozen=True, slots=True)
class Ranking:
    """The rule's answer for one line."""

    score: float  # units a day at risk, weighted by exposure
    priority: Priority
    daily_sales: float
    days_of_cover: float | None  # None: nothing sells, the units cover any time


def rank(facts: AlertFacts) -> Ranking:
    """The demand at risk of one alerting line and its priority."""
    daily = max(facts.units_sold, 0) / facts.window_days
    available = max(facts.available, 0)
    cover = available / daily if daily > 0 else None
    if facts.status == "out_of_stock" or available == 0:
        urgency = 1.0
    elif cover is None:
        urgency = 0.0
    else:
        urgency = max(0.0, 1 - cover / COVER_HORIZON_DAYS)
    score = daily * urgency * (ONLINE_WEIGHT if facts.online else 1.0)
    if daily == 0:
        priority = Priority.dormant
    elif score >= URGENT_FROM:
        priority = Priority.urgent
    elif score >= HIGH_FROM:
        priority = Priority.high
    else:
        priority = Priority.normal
    return Ranking(
        score=round(score, 6),
        priority=priority,
        daily_sales=daily,
        days_of_cover=None if cover is None else round(cover, 1),
    )


_LEVELS = list(Priority)


def sort_key(facts: AlertFacts, ranking: Ranking) -> tuple[float, int, bool, bool, int]:
    """Most urgent first: highest score (a line still selling before a dormant one), then
    out of stock, then online, then fewest left."""
    return (
        -ranking.score,
        _LEVELS.index(ranking.priority),
        facts.status != "out_of_stock",
        not facts.online,
        max(facts.available, 0),
    )
