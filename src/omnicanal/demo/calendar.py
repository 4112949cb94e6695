"""When the demo's customers shop, and the pilot week that changed how two stores served them.

The history's shapes, for the charts to read like a real chain's: the stores are busiest on
Saturdays and sell only while they are open (on Sunday, the Paris flagship alone), and the
items the app sets aside are collected on the busy days too; the web shop and the app's
orders peak on Sunday evenings; more and more till customers give a card or a
phone number over the 90 days (the clerks were asked to), some stores more than others
(the tablets of Lyon and Paris); the large stores sell more than the small ones.

The pilot: for one week that ended three weeks before the history's end, the two pilot
stores showed their stock to the app in real time and set aside what the app reserved at
once, so far fewer of their reservations failed (a line not found on the shelf, an item held
for a customer who never came); the other stores went on as before. The analytics step
defines the pilot on those stores and days (``omnicanal.demo.analytics``).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from random import Random
from zoneinfo import ZoneInfo

from omnicanal.demo.retailer import TIMEZONE, Site, Tier, store_hours

__all__ = [
    "ANONYMOUS_TILL",
    "PILOT_DAYS",
    "PILOT_ENDED_DAYS_AGO",
    "PILOT_STORES",
    "TIER_TRADE",
    "Calendar",
    "failure_factor",
    "pilot_week",
]

ZONE = ZoneInfo(TIMEZONE)
WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
STORE_WEEK = (0.75, 0.85, 1.0, 0.95, 1.1, 1.9, 1.2)
"""How busy a store is on each weekday (Monday first), against an average day."""
ONLINE_WEEK = (1.1, 1.0, 0.95, 0.95, 0.85, 0.85, 1.3)
"""How busy the web shop and the app are on each weekday."""
SHUT_DAY_VISITS = 0.3
"""How many visits customers plan to a store on a day it is shut, against an average day
(the few who set an item aside for then come on the next day it opens)."""
TIER_TRADE = {Tier.flagship: 3.0, Tier.large: 2.0, Tier.medium: 1.0, Tier.small: 0.7}
"""A store's trade against a medium store's: the flagship sells most."""
ANONYMOUS_TILL = (0.45, 0.25)
"""The share of till customers who give no card nor number, on the first and the last day."""
IDENTIFYING = {
    "LYON-01": 0.6,
    "PARIS-01": 0.7,
    "BORDEAUX-01": 0.85,
    "MARSEILLE-01": 1.1,
    "MONTPELLIER-01": 1.6,
    "GRENOBLE-01": 1.8,
}
"""How much more (above 1) or less often than the chain a store's till customers stay
anonymous: the tablets of Lyon and Paris sign customers up, some clerks never ask."""
SHELF_FAILURES = {Tier.flagship: 0.8, Tier.large: 1.0, Tier.medium: 1.15, Tier.small: 1.3}
"""How much more often than the chain a store fails a reservation: a thin stock is harder
to keep right."""
PILOT_STORES = ("LYON-01", "PARIS-01")
PILOT_DAYS = 7
PILOT_ENDED_DAYS_AGO = 21
"""The pilot's last day, in days before the history's last day."""
PILOT_FAILURES = 0.1
"""What the pilot left of the pilot stores' reservation failures during its week."""


def pilot_week(last_day: date) -> tuple[date, date]:
    """The pilot's first and last local day, for a history whose last day is ``last_day``."""
    end = last_day - timedelta(days=PILOT_ENDED_DAYS_AGO)
    return end - timedelta(days=PILOT_DAYS - 1), end


def failure_factor(site: Site, day: date, last_day: date) -> float:
    """How much more often than the chain's base rate ``site`` fails a reservation on
    ``day``: by its size, and far less in a pilot store during the pilot week."""
    factor = SHELF_FAILURES.get(site.tier, 1.0)
    first, end = pilot_week(last_day)
    if site.code in PILOT_STORES and first <= day <= end:
        factor *= PILOT_FAILURES
    return factor


def local_day(moment: datetime) -> date:
    """The day ``moment`` falls on in the chain's time zone."""
    return moment.astimezone(ZONE).date()


def at_local(day: date, hour: float) -> datetime:
    """The UTC moment of ``hour`` (fractional) on the local ``day``."""
    minutes = round(hour * 60)
    local = datetime.combine(day, time(minutes // 60 % 24, minutes % 60), tzinfo=ZONE)
    return (local + timedelta(days=minutes // (24 * 60))).astimezone(UTC)


def _hours(text: str) -> float:
    hours, minutes = text.split(":")
    return int(hours) + int(minutes) / 60


@dataclass(frozen=True)
class Calendar:
    """The chain's opening hours and rhythms, over a history from ``first_day`` to
    ``last_day``."""

    first_day: date
    last_day: date

    def opening(self, site: Site, day: date) -> list[tuple[float, float]]:
        """The local hours ``site`` is open on ``day`` (none: closed)."""
        hours = store_hours(site) or {}
        return [(_hours(a), _hours(b)) for a, b in hours.get(WEEKDAYS[day.weekday()], [])]

    def progress(self, day: date) -> float:
        """How far into the history ``day`` is, from 0 to 1."""
        span = max((self.last_day - self.first_day).days, 1)
        return min(max((day - self.first_day).days / span, 0.0), 1.0)

    def size(self, site: Site) -> float:
        """A store's trade on an average day against a medium store's."""
        return TIER_TRADE.get(site.tier, 1.0)

    def store_trade(self, site: Site, day: date) -> float:
        """A store's expected trade on ``day`` against an average day of a medium store
        (0 when it is closed)."""
        if not self.opening(site, day):
            return 0.0
        return self.size(site) * STORE_WEEK[day.weekday()]

    def online_trade(self, day: date) -> float:
        return ONLINE_WEEK[day.weekday()]

    def set_aside_trade(self, site: Site, day: date) -> float:
        """How many items the app sets aside in ``site`` on ``day``, against an average day
        of the same store: half while browsing the app (the app's week: Sunday evenings),
        half for a visit planned that day or the next (the store's week, so mostly for a
        Saturday; a day it is shut brings few)."""

        def visits(when: date) -> float:
            return STORE_WEEK[when.weekday()] if self.opening(site, when) else SHUT_DAY_VISITS

        planned = (visits(day) + visits(day + timedelta(days=1))) / 2
        return (self.online_trade(day) + planned) / 2

    def in_store(self, site: Site, day: date, rng: Random) -> datetime | None:
        """A moment ``site`` is open on ``day``, busier late in the afternoon; None if shut."""
        spans = self.opening(site, day)
        if not spans:
            return None
        weights = [b - a for a, b in spans]
        a, b = rng.choices(spans, weights=weights)[0]
        return at_local(day, a + (b - a) * rng.triangular(0, 1, 0.7))

    def online(self, day: date, rng: Random) -> datetime:
        """A moment someone orders online on ``day``: any time from 7:00, most in the
        evening."""
        return at_local(day, rng.triangular(7.0, 23.9, 20.5))

    def next_open(self, site: Site, after: datetime, rng: Random, *, within: timedelta) -> datetime:
        """A moment ``site`` is open, between ``after`` and ``after + within``, on a busy day
        rather than a quiet one (the end of that window when it does not open meanwhile)."""
        day = local_day(after)
        last = local_day(after + within)
        candidates = []
        while day <= last:
            moment = self.in_store(site, day, rng)
            if moment is not None and after < moment < after + within:
                candidates.append(moment)
            day += timedelta(days=1)
        if not candidates:
            return after + within
        weights = [STORE_WEEK[local_day(moment).weekday()] for moment in candidates]
        return rng.choices(candidates, weights=weights)[0]

    def anonymous_till(self, site: Site, day: date) -> float:
        """The chance that a till customer of ``site`` gives no card nor number on ``day``."""
        first, last = ANONYMOUS_TILL
        chain = first + (last - first) * self.progress(day)
        return min(chain * IDENTIFYING.get(site.code, 1.0), 0.85)
