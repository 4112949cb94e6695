"""Rebuilding the KPI facts from the event log gives what the live consumer kept."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from sqlalchemy import select

from omnicanal.analytics import measures
from omnicanal.analytics.facts import Measure
from omnicanal.analytics.kpis import Scope
from omnicanal.analytics.metrics import METRICS
from omnicanal.analytics.models import DailyMeasure, FulfilmentFact, OrderFact, StockFact
from omnicanal.analytics.rebuild import rebuild
from omnicanal.analytics.survey_models import SurveyAnswer
from omnicanal.platform.clock import utcnow
from omnicanal.platform.wiring import Platform
from tests.builders import auth
from tests.orders.builders import CAPTURED, checkout_body, line, make_shop

_RECEPTION = {Measure.till_sync_ms.value}
"""What depends on when the events were received: live, now; replayed, their own time."""


def _history(platform: Platform, client: Any) -> None:
    """A web parcel, a till sale, a pickup collected after a check-in, a cancelled order."""
    shop = make_shop(platform)
    client.post("/v1/orders", json=checkout_body(line(shop.robe, 2)), headers=auth(shop.web))
    client.post(
        "/v1/orders",
        json={"lines": [line(shop.jean, 1)], "payment": CAPTURED, "customer_ref": "c1"},
        headers=auth(shop.lyon),
    )
    pickup = client.post(
        "/v1/orders",
        json=checkout_body(line(shop.pull, 1, "pickup", location="PARIS-01"), customer_ref="c2"),
        headers=auth(shop.app),
    ).json()
    path = f"/v1/fulfilments/{pickup['fulfilments'][0]['id']}"
    for verb in ("pick", "ready", "check-in", "collect"):
        body = (
            {"pickup_code": pickup["fulfilments"][0]["pickup_code"]} if verb == "collect" else None
        )
        assert client.post(f"{path}/{verb}", json=body, headers=auth(shop.paris)).status_code == 200
    cancelled = client.post(
        "/v1/orders", json=checkout_body(line(shop.robe, 1)), headers=auth(shop.web)
    ).json()
    response = client.post(
        f"/v1/orders/{cancelled['id']}/cancel", json={"reason": "changed"}, headers=auth(shop.web)
    )
    assert response.status_code == 200, response.text
    platform.relay().drain()


def _facts(platform: Platform) -> dict[str, list[tuple[Any, ...]]]:
    with platform.db.reading() as session:
        return {
            "daily": sorted(
                (row.day, row.store, row.channel, row.segment, row.measure, row.value)
                for row in session.scalars(select(DailyMeasure))
                if row.measure not in _RECEPTION
            ),
            "orders": sorted(
                (o.order_id, o.day, o.store, o.channel, o.segment, o.status, o.units, o.total_minor)
                for o in session.scalars(select(OrderFact))
            ),
            "fulfilments": sorted(
                (f.fulfilment_id, f.status, f.ready_at, f.collected_at, f.wait_seconds, f.left_at)
                for f in session.scalars(select(FulfilmentFact))
            ),
            "stock": sorted(
                (s.sku, s.location, s.on_hand) for s in session.scalars(select(StockFact))
            ),
        }


def _figures(platform: Platform, within: Scope) -> list[Any]:
    codes = [code for code in METRICS if code != "till_crm_delay"]
    with platform.db.reading() as session:
        return measures.figures(session, within, codes)


def test_a_rebuild_gives_the_facts_and_figures_the_live_consumer_kept(platform, client):
    """Replaying the outbox rebuilds the same facts and figures, the reception delay aside."""
    _history(platform, client)
    today = utcnow().astimezone(platform.settings.business_zone).date()
    around = Scope(start=today - timedelta(days=1), end=today + timedelta(days=1))
    live_facts, live_figures = _facts(platform), _figures(platform, around)
    assert any(row[4] == "orders" for row in live_facts["daily"])

    progress: list[tuple[int, int]] = []
    replayed = rebuild(platform.db, report=lambda done, total: progress.append((done, total)))

    assert replayed > 0
    assert progress[0] == (0, replayed) and progress[-1] == (replayed, replayed)
    assert _facts(platform) == live_facts
    assert _figures(platform, around) == live_figures


def test_a_rebuild_replaces_stray_facts_and_keeps_the_survey_answers(platform):
    """What no event told goes; the answers posted by survey tools are not facts: they stay."""
    day = date(2026, 3, 2)
    with platform.db.transaction() as session:
        session.add(
            DailyMeasure(day=day, store="", channel="web", segment="", measure="orders", value=9)
        )
        session.add(
            SurveyAnswer(
                kind="nps",
                score=10,
                answered_at=utcnow(),
                day=day,
                store="",
                channel="",
                segment="anonymous",
                customer_ref=None,
                source="key:test",
                external_id="a-1",
            )
        )
    assert rebuild(platform.db) == 0
    with platform.db.reading() as session:
        assert session.scalars(select(DailyMeasure)).all() == []
        assert len(session.scalars(select(SurveyAnswer)).all()) == 1


def test_a_rebuild_measures_the_till_delay_with_the_reception_it_is_told(platform, client):
    """A rebuild takes each event's reception time from ``received``."""
    _history(platform, client)
    today = utcnow().astimezone(platform.settings.business_zone).date()

    rebuild(platform.db, received=lambda event: event.time + timedelta(seconds=3))

    with platform.db.reading() as session:
        (delay,) = measures.figures(session, Scope(start=today, end=today), ["till_crm_delay"])
    assert (delay.value, delay.denominator) == (3, 1)
