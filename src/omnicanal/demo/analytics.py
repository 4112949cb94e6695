"""The demo's KPIs: what the retailer's SKUs cost it, its customers' survey answers, the
facts the KPIs read, and one finished pilot with its verdict.

Two steps:

1. Before the orders, head office sets each SKU's purchase cost (35 to 55 % of its list
   price), as it was the day before the history starts: every order of the 90 days then
   has a margin.
2. After the history:

   - the survey tool's answers over the 90 days: « recommanderiez-vous Maison Lumière ? »
     (0 to 10) and « êtes-vous satisfait ? » (1 to 5), about a store or the web shop and
     the app, most from customers who gave their card; the NPS is about +30, better in
     Lyon, Rennes and Paris than in Marseille and Nice;
   - the KPI facts, kept from the event log as the KPI consumer keeps them when the relay
     hands it the events, oldest first, each received a few seconds after it happened (a
     till's sale now and then a minute or two later: the till was offline); each event is
     then noted as handled by that consumer, so that the relay's delivery of it, once the
     demo is served, is a repeat it skips;
   - the pilot « Disponibilité en temps réel »: the seeds' test of the reservation failure
     rate over a pilot week, in the Lyon and Paris stores, for the week that ended three
     weeks ago (``omnicanal.demo.calendar``: the history carries its effect), defined four
     days before its launch with its baseline of the eight weeks before and its control
     stores chosen by similarity. Its verdict reads from the facts.

The same seed gives the same costs, answers, facts and verdict (ids and build times aside).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime, timedelta
from random import Random
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

from sqlalchemy import insert, select
from sqlalchemy.orm import Session

from omnicanal.analytics import pilots, surveys
from omnicanal.analytics.facts import CONSUMER, EVENTS, Keeping, keep_facts, note_business
from omnicanal.analytics.pilot_schemas import PilotIn, PilotOut
from omnicanal.analytics.survey_schemas import SurveyAnswerIn
from omnicanal.demo.calendar import PILOT_STORES, TIER_TRADE, at_local, pilot_week
from omnicanal.demo.retailer import TIMEZONE
from omnicanal.platform.actors import OPERATOR, Actor
from omnicanal.platform.clock import simulated, utcnow
from omnicanal.platform.events import Event, OutboxEvent, ProcessedEvent
from omnicanal.pricing import costs

if TYPE_CHECKING:
    from omnicanal.demo.generate import DemoRetailer

__all__ = [
    "BASELINE_DAYS",
    "PILOT_CODE",
    "PILOT_METRIC",
    "keep_kpi_facts",
    "measure_the_history",
    "set_purchase_costs",
]

Report = Callable[[int, int], None]

HISTORY_DAYS = 90
COST_SHARE = (0.35, 0.55)
"""A SKU's purchase cost, as a share of its list price."""
PILOT_CODE = "DISPO-TEMPS-REEL"
PILOT_METRIC = "reservation_failure_rate"
BASELINE_DAYS = 56
CONTROLS = 4
HEAD_OFFICE = Actor(key_id=None, channel="back_office", name="head office (demo)")
SURVEY_TOOL = Actor(key_id=None, channel="back_office", name="survey tool (demo)")
REPLAY_BATCH = 1000
NPS_PER_DAY = 14.0
CSAT_PER_DAY = 9.0
ONLINE_ANSWERS = 0.35
"""Of the answers, the share about the web shop or the app rather than a store."""
RECOGNISED_ANSWERS = 0.75
NPS = {
    "LYON-01": 48,
    "RENNES-01": 44,
    "PARIS-01": 40,
    "NANTES-01": 36,
    "BORDEAUX-01": 34,
    "MARSEILLE-01": 12,
    "NICE-01": 16,
    "web": 30,
    "app": 36,
}
"""Each place's NPS, about (the others: the chain's)."""
CHAIN_NPS = 28
PASSIVES = 0.3
TILL_DELAY = (1.2, 9.0)
"""Seconds a till's sale takes to reach the platform (least, most), mostly."""
TILL_OFFLINE = 0.03
"""The share of the tills' sales that arrive a minute or two late (the till was offline)."""
BUS_DELAY = (0.2, 2.5)


def set_purchase_costs(session: Session, demo: DemoRetailer, rng: Random, report: Report) -> None:
    """The demo step: every SKU's purchase cost, set the day before the history starts."""
    prices = {v.sku: v.price_minor for p in demo.products for v in p.variants if v.price_minor}
    found = {sku: int(round(prices[sku] * rng.uniform(*COST_SHARE), -1)) for sku in sorted(prices)}
    before = _history_start() - timedelta(days=1)
    with simulated(before):
        costs.change_purchase_costs(session, currency=demo.currency, costs=found, actor=OPERATOR)
    report(len(found), len(found))


def _history_start() -> datetime:
    """The history's first moment (``omnicanal.demo.orders`` runs to midnight UTC today)."""
    today = utcnow().replace(hour=0, minute=0, second=0, microsecond=0)
    return today - timedelta(days=HISTORY_DAYS)


def _last_day() -> date:
    return utcnow().date() - timedelta(days=1)


# -- the survey answers ---------------------------------------------------------------------


def _score(rng: Random, nps: float) -> int:
    """A recommendation score of a place whose NPS is about ``nps``."""
    promoters = (1 - PASSIVES + nps / 100) / 2
    roll = rng.random()
    if roll < promoters:
        return rng.choices((9, 10), weights=(55, 45))[0]
    if roll < promoters + PASSIVES:
        return rng.choice((7, 8))
    return rng.choices(range(7), weights=(2, 1, 2, 4, 6, 12, 14))[0]


def _satisfaction(rng: Random, nps: float) -> int:
    satisfied = 0.72 + nps / 400
    if rng.random() < satisfied:
        return rng.choices((4, 5), weights=(55, 45))[0]
    return rng.choices((1, 2, 3), weights=(15, 30, 55))[0]


def _answers_of(
    demo: DemoRetailer, rng: Random, day: date, numbers: dict[str, int]
) -> list[SurveyAnswerIn]:
    stores = [site.code for site in demo.stores]
    sizes = [TIER_TRADE.get(site.tier, 1.0) for site in demo.stores]
    answers = []
    for kind, per_day in (("nps", NPS_PER_DAY), ("csat", CSAT_PER_DAY)):
        count = max(0, round(rng.gauss(per_day, per_day**0.5)))
        for _ in range(count):
            online = rng.random() < ONLINE_ANSWERS
            store = None if online else rng.choices(stores, weights=sizes)[0]
            channel = rng.choice(("web", "app")) if online else "store"
            place = store or channel
            nps = NPS.get(place, CHAIN_NPS)
            score = _score(rng, nps) if kind == "nps" else _satisfaction(rng, nps)
            known = rng.random() < RECOGNISED_ANSWERS
            numbers[kind] += 1
            answers.append(
                SurveyAnswerIn(
                    kind=kind,
                    score=score,
                    answered_at=at_local(day, rng.uniform(9, 22)),
                    external_id=f"demo-{kind}-{numbers[kind]:05d}",
                    store=store,
                    channel=channel,
                    customer_ref=f"CUST-{rng.randint(1, 700):05d}" if known else None,
                )
            )
    return sorted(answers, key=lambda answer: (answer.answered_at, answer.external_id))


def _survey_answers(session: Session, demo: DemoRetailer, rng: Random) -> int:
    """The survey tool's answers of the last 90 days, posted a few minutes after each day's
    last one."""
    last = _last_day()
    numbers = {"nps": 0, "csat": 0}
    recorded = 0
    for number in range(HISTORY_DAYS):
        day = last - timedelta(days=HISTORY_DAYS - 1 - number)
        answers = _answers_of(demo, rng, day, numbers)
        if not answers:
            continue
        posted = min(answers[-1].answered_at + timedelta(minutes=rng.uniform(5, 30)), utcnow())
        surveys.record_answers(
            session, answers=answers, actor=SURVEY_TOOL, time_zone=TIMEZONE, now=posted
        )
        recorded += len(answers)
    return recorded


# -- the facts --------------------------------------------------------------------------------


def _reception(rng: Random) -> Callable[[Event], datetime]:
    """When each event reached the platform: a till's sale a few seconds after it was rung
    up, now and then a minute or two (the till was offline); anything else as the bus
    carries it."""

    def received(event: Event) -> datetime:
        if event.source.startswith("/channels/store/"):
            if rng.random() < TILL_OFFLINE:
                seconds = rng.uniform(60, 180)
            else:
                low, high = TILL_DELAY
                seconds = min(low * (high / low) ** rng.random() ** 1.5, high)
        else:
            seconds = rng.uniform(*BUS_DELAY)
        return event.time + timedelta(seconds=seconds)

    return received


def keep_kpi_facts(
    session: Session,
    *,
    received: Callable[[Event], datetime],
    currency: str,
    report: Report | None = None,
) -> int:
    """Keep the KPI facts from every event of the outbox, oldest first, as the KPI consumer
    does, in the caller's transaction; note each event it wants as handled by it. Returns
    the events kept."""
    keeping = Keeping(zone=ZoneInfo(TIMEZONE), currency=currency, received=received)
    note_business(session, keeping)
    wanted = sorted({event.type for event in EVENTS})
    after, done = 0, 0
    while True:
        rows = list(
            session.scalars(
                select(OutboxEvent)
                .where(OutboxEvent.seq > after, OutboxEvent.type.in_(wanted))
                .order_by(OutboxEvent.seq)
                .limit(REPLAY_BATCH)
            )
        )
        if not rows:
            return done
        keep_facts(session, [row.to_event() for row in rows], keeping=keeping)
        handled_at = utcnow()
        session.execute(
            insert(ProcessedEvent),
            [{"consumer": CONSUMER, "event_id": row.id, "handled_at": handled_at} for row in rows],
        )
        after, done = rows[-1].seq, done + len(rows)
        if report is not None:
            report(done, done)


# -- the pilot --------------------------------------------------------------------------------


def _pilot(session: Session) -> PilotOut:
    """The seeds' reservation test, in Lyon and Paris, finished three weeks ago."""
    preset = next(p for p in pilots.PRESETS.values() if p.metric == PILOT_METRIC)
    first, last = pilot_week(_last_day())
    body = PilotIn(
        code=PILOT_CODE,
        name="Disponibilité en temps réel à Lyon et Paris",
        preset=preset.code,
        stores=list(PILOT_STORES),
        control_count=CONTROLS,
        start=first,
        end=last,
        baseline_start=first - timedelta(days=BASELINE_DAYS),
        baseline_end=first - timedelta(days=1),
    )
    with simulated(at_local(first - timedelta(days=4), 10.5)):
        return pilots.create_pilot(session, body, actor=HEAD_OFFICE)


def measure_the_history(session: Session, demo: DemoRetailer, rng: Random, report: Report) -> None:
    """The demo step: survey answers, the KPI facts of the history, the finished pilot."""
    _survey_answers(session, demo, Random(rng.random()))
    report(1, 4)
    keep_kpi_facts(session, received=_reception(Random(rng.random())), currency=demo.currency)
    report(2, 4)
    session.flush()
    report(3, 4)
    _pilot(session)
    report(4, 4)
