"""The demo's calendar: the shape of the stores' week, worked out without building the demo.

The demo's own KPI tests (``test_demo_kpis.py``) read one build, whose random draws land on
other weekdays from one build day to the next; these read what the calendar expects, so a
shape that holds only on some build days fails here on every one."""

from __future__ import annotations

from collections import defaultdict
from datetime import date, timedelta
from random import Random

import pytest

from omnicanal.demo.calendar import Calendar, local_day
from omnicanal.demo.orders import STORE_SALES_PER_DAY
from omnicanal.demo.retailer import STORES
from omnicanal.demo.set_aside import SET_ASIDE, SET_ASIDE_PER_DAY, SETS_ASIDE

TUESDAY, SATURDAY, SUNDAY = 1, 5, 6
WEEKS = 12
DRAWS = 40
"""Moments drawn per store and day for an item set aside, to spread its expected count
over the days it may be collected on."""


def expected_visits(last_day: date) -> dict[str, defaultdict[int, float]]:
    """Per store, the sales it expects at its till on each weekday over ``WEEKS`` weeks up to
    ``last_day``: its counter sales, and the items set aside there on the day they are
    collected (the same share of them lapses or is cancelled whatever the day)."""
    first = last_day - timedelta(weeks=WEEKS) + timedelta(days=1)
    calendar = Calendar(first_day=first, last_day=last_day)
    rng = Random(7)
    visits = {site.code: defaultdict[int, float](float) for site in STORES}
    for number in range(WEEKS * 7):
        day = first + timedelta(days=number)
        for site in STORES:
            at_till = visits[site.code]
            at_till[day.weekday()] += STORE_SALES_PER_DAY * calendar.store_trade(site, day)
            if site.tier not in SETS_ASIDE:
                continue
            wanted = SET_ASIDE_PER_DAY * calendar.size(site) * calendar.set_aside_trade(site, day)
            for _ in range(DRAWS):
                at = calendar.online(day, rng)
                came = calendar.next_open(site, at, rng, within=SET_ASIDE)
                at_till[local_day(came).weekday()] += wanted / DRAWS
    return visits


@pytest.mark.parametrize("last_day", [date(2026, 12, 7) + timedelta(days=n) for n in range(7)])
def test_the_stores_expect_most_sales_on_saturdays_whatever_the_last_day(
    last_day: date,
) -> None:
    """Counter sales and items collected together: Saturday is the chain's busiest day by
    half again over a Tuesday; on a Sunday the shut stores sell nothing."""
    visits = expected_visits(last_day)
    chain = defaultdict[int, float](float)
    for weekdays in visits.values():
        for weekday, expected in weekdays.items():
            chain[weekday] += expected

    assert max(chain, key=lambda weekday: chain[weekday]) == SATURDAY
    assert chain[SATURDAY] > 1.5 * chain[TUESDAY]
    open_on_sundays = {code for code, weekday in visits.items() if weekday[SUNDAY] > 0}
    assert open_on_sundays == {"PARIS-01"}
