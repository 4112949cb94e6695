"""The demo's KPIs: 90 days of history on their own days, with a chain's shapes, a value for
every metric, and one finished pilot that succeeded (read from the demo built once per run
by ``test_demo.py``; its determinism test compares the KPIs of two builds)."""

from __future__ import annotations

from collections import Counter
from datetime import UTC, date, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import func, select

from omnicanal.analytics import measures, pilots
from omnicanal.analytics.kpis import Scope
from omnicanal.analytics.metrics import METRICS
from omnicanal.analytics.models import OrderFact
from omnicanal.demo.analytics import BASELINE_DAYS, PILOT_CODE
from omnicanal.demo.calendar import PILOT_DAYS, PILOT_ENDED_DAYS_AGO, PILOT_STORES
from omnicanal.demo.retailer import TIMEZONE
from tests.demo import test_demo
from tests.demo.test_demo import Demo

demo = test_demo.demo
"""The demo, built once for the run by ``test_demo.py``'s fixture and copied here."""

pytestmark = pytest.mark.slow

TUESDAY, SATURDAY, SUNDAY = 1, 5, 6


def today(built: Demo) -> date:
    """The day after the history's last whole day: the history runs to midnight UTC of the
    build's day, so this is that day (from 23:00 UTC in winter, Paris has begun the next
    one already)."""
    return built.built_at.astimezone(UTC).date()


SCENES_SPAN = timedelta(hours=12)
"""At most how long before the build its scenes happen (counter sales, returns, the
complaint: up to about six hours earlier, at any hour of the day or night)."""


def before_the_scenes(built: Demo) -> date:
    """The first local day the build's scenes cannot have reached: today, or the day
    before for a build in the small hours, whose scenes fall on the evening before."""
    scenes = (built.built_at - SCENES_SPAN).astimezone(ZoneInfo(TIMEZONE)).date()
    return min(today(built), scenes)


def value(built: Demo, code: str, scope: Scope) -> float:
    with built.platform.db.reading() as session:
        [figure] = measures.figures(session, scope, [code])
    assert figure.value is not None, (code, scope)
    return figure.value


def test_ninety_days_of_orders_fall_on_their_own_local_days(demo: Demo) -> None:
    """The history's orders are spread over the 90 days they were placed on, not the day the
    demo was built: each of those days has some, none holds more than a few hundredths (the
    days read end before the build's own scenes, which add a few dozen to their day)."""
    first = today(demo) - timedelta(days=90)
    with demo.platform.db.reading() as session:
        per_day = Counter(
            dict(
                session.execute(
                    select(OrderFact.day, func.count())
                    .where(OrderFact.day >= first, OrderFact.day < before_the_scenes(demo))
                    .group_by(OrderFact.day)
                ).all()
            )
        )

    assert len(per_day) >= 88
    assert max(per_day.values()) < 0.04 * sum(per_day.values())


def test_stores_sell_most_on_saturdays_and_the_flagship_on_sundays(demo: Demo) -> None:
    """Counter sales follow the opening hours: Saturday is the stores' busiest day, and on
    Sunday only the Paris flagship opens (a few of the last weeks' scenes aside, which keep
    no opening hours). The days read end before the build's own scenes."""
    first = before_the_scenes(demo) - timedelta(days=84)
    with demo.platform.db.reading() as session:
        rows = session.execute(
            select(OrderFact.day, OrderFact.store).where(
                OrderFact.channel == "store",
                OrderFact.day >= first,
                OrderFact.day < first + timedelta(days=84),
            )
        ).all()
    by_weekday = Counter(day.weekday() for day, _ in rows)
    on_sundays = Counter(store for day, store in rows if day.weekday() == SUNDAY)

    assert by_weekday[SATURDAY] == max(by_weekday.values())
    assert by_weekday[SATURDAY] > 1.4 * by_weekday[TUESDAY]
    assert on_sundays.most_common(1)[0][0] == "PARIS-01"
    assert on_sundays["PARIS-01"] > 0.75 * sum(on_sundays.values())


def test_more_till_customers_are_recognised_lately_and_with_the_tablets(demo: Demo) -> None:
    """The clerks were asked to take a card or a number: the store identification rate
    grows over the 90 days, and the tablets of Lyon and Paris do better than the stores
    where some clerks never ask (Montpellier, Grenoble)."""
    end = today(demo) - timedelta(days=1)
    early = Scope(start=end - timedelta(days=89), end=end - timedelta(days=60))
    late = Scope(start=end - timedelta(days=29), end=end)
    whole = Scope(start=early.start, end=end)

    assert value(demo, "store_identification_rate", late) > value(
        demo, "store_identification_rate", early
    )
    assert value(demo, "recognised_share", late) > value(demo, "recognised_share", early)
    assert value(
        demo,
        "store_identification_rate",
        Scope(whole.start, whole.end, stores=("LYON-01", "PARIS-01")),
    ) > value(
        demo,
        "store_identification_rate",
        Scope(whole.start, whole.end, stores=("GRENOBLE-01", "MONTPELLIER-01")),
    )


def test_the_customers_recommend_the_chain_at_about_thirty_better_in_lyon(demo: Demo) -> None:
    """The survey answers of the 90 days give an NPS about +30, Lyon's above Marseille's."""
    end = today(demo)
    whole = Scope(start=end - timedelta(days=90), end=end)

    assert 20 <= value(demo, "nps", whole) <= 40
    assert 0.6 <= value(demo, "csat", whole) <= 0.9
    assert value(demo, "nps", Scope(whole.start, end, stores=("LYON-01",))) > value(
        demo, "nps", Scope(whole.start, end, stores=("MARSEILLE-01",))
    )


def test_every_metric_of_the_catalogue_has_a_value_over_the_last_28_days(demo: Demo) -> None:
    """No figure of the four weeks up to the build reads « — » (the build's own local day
    included: today's scenes happen on it)."""
    built_day = demo.built_at.astimezone(ZoneInfo(TIMEZONE)).date()
    scope = Scope(start=today(demo) - timedelta(days=27), end=built_day)
    with demo.platform.db.reading() as session:
        found = {figure.metric: figure.value for figure in measures.figures(session, scope)}

    assert set(found) == set(METRICS)
    assert [code for code, number in found.items() if number is None] == []


def test_the_finished_pilot_succeeded_with_an_interval_that_excludes_no_effect(
    demo: Demo,
) -> None:
    """The seeds' reservation test ran a week in Lyon and Paris and ended three weeks ago;
    against the control stores chosen by similarity, its verdict is a success whose whole
    90 % interval says fewer failed reservations."""
    with demo.platform.db.reading() as session:
        pilot = pilots.get_pilot(session, PILOT_CODE)
        judged = pilots.verdict(session, PILOT_CODE, today=today(demo))
    last_day = today(demo) - timedelta(days=1 + PILOT_ENDED_DAYS_AGO)

    assert (pilot.metric, pilot.stores) == ("reservation_failure_rate", sorted(PILOT_STORES))
    assert (pilot.start, pilot.end) == (last_day - timedelta(days=PILOT_DAYS - 1), last_day)
    assert (pilot.start - pilot.baseline_start).days == BASELINE_DAYS
    assert pilot.controls_chosen and len(pilot.controls) >= 3
    assert not set(pilot.controls) & set(PILOT_STORES)
    assert pilot.created_at.date() < pilot.start
    assert (judged.status, judged.outcome, judged.decision) == ("finished", "success", "réussite")
    assert judged.effect is not None and judged.effect_high is not None
    assert judged.effect <= pilot.success_threshold
    assert judged.effect_low is not None and judged.effect_low < judged.effect < judged.effect_high
    assert judged.effect_high < 0
    assert judged.days_observed == PILOT_DAYS
