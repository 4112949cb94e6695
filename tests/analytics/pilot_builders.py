"""Builders for the pilot tests: stores as the measures know them, and a history of the
in-store identification rate, written as the analytics consumer keeps its facts."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, date, datetime, timedelta

from sqlalchemy import insert

from omnicanal.analytics.models import DailyMeasure, LocationFact
from omnicanal.platform.wiring import Platform

SALES_A_DAY = 100
"""Till sales a day at each store: a rate of 0.53 is 53 recognised sales, exactly."""
BASELINE_START = date(2026, 1, 5)
START = date(2026, 2, 2)
END = date(2026, 3, 1)
"""A 28-day baseline (5 January to 1 February) and a 28-day pilot (2 February to 1 March)."""


def make_stores(platform: Platform, *codes: str, kind: str = "store") -> None:
    """Locations as the analytics consumer keeps them from the network's events."""
    with platform.db.transaction() as session:
        session.execute(
            insert(LocationFact),
            [
                {
                    "code": code,
                    "name": f"Magasin {code}",
                    "kind": kind,
                    "timezone": "Europe/Paris",
                    "city": "Lyon",
                    "latitude": 45.76,
                    "longitude": 4.84,
                    "opened_at": datetime(2025, 1, 1, tzinfo=UTC),
                }
                for code in codes
            ],
        )


def identification_history(
    platform: Platform,
    store: str,
    rates: Sequence[float],
    *,
    first: date = BASELINE_START,
    basket_minor: int = 5_000,
) -> None:
    """``SALES_A_DAY`` till sales a day at ``store`` from ``first``, a share ``rates[n]`` of
    them by identified customers on day ``n``; each sale of ``basket_minor``."""
    rows = []
    for offset, rate in enumerate(rates):
        day = first + timedelta(days=offset)
        recognised = round(rate * SALES_A_DAY)
        for segment, count in (("recognised", recognised), ("anonymous", SALES_A_DAY - recognised)):
            key = {"day": day, "store": store, "channel": "store", "segment": segment}
            rows.append({**key, "measure": "store_sales", "value": count})
            rows.append({**key, "measure": "orders", "value": count})
            rows.append({**key, "measure": "sales_orders", "value": count})
            rows.append({**key, "measure": "sales_minor", "value": count * basket_minor})
    with platform.db.transaction() as session:
        session.execute(insert(DailyMeasure), rows)


def flat(rate: float, days: int = 28) -> list[float]:
    return [rate] * days


def messages_history(
    platform: Platform, shares: Sequence[float], *, first: date = BASELINE_START
) -> None:
    """100 messages decided a day for the whole chain, a share ``shares[n]`` of them
    withdrawn or withheld because the situation changed on day ``n``."""
    rows = []
    for offset, share in enumerate(shares):
        key = {"day": first + timedelta(days=offset), "store": "", "channel": "", "segment": ""}
        rows.append({**key, "measure": "messages_decided", "value": 100})
        rows.append({**key, "measure": "messages_situation_changed", "value": round(share * 100)})
    with platform.db.transaction() as session:
        session.execute(insert(DailyMeasure), rows)
