"""The identity KPIs of the pages, from identify messages sent through the tracking API:
e-mail ↔ card, phone ↔ till, cookie ↔ login and the time-to-unification of one day."""

from __future__ import annotations

from datetime import date

import pytest

from omnicanal.analytics import measures
from omnicanal.analytics.kpis import Figure, Scope
from tests.customers.test_measures import send_identity_history

DAY = Scope(start=date(2025, 3, 10), end=date(2025, 3, 10))
CODES = (
    "email_card_match_rate",
    "phone_till_match_rate",
    "cookie_login_match_rate",
    "time_to_unification",
)


def _figures(platform, scope: Scope = DAY) -> dict[str, Figure]:
    with platform.db.reading() as session:
        return {figure.metric: figure for figure in measures.figures(session, scope, CODES)}


def test_the_identity_rates_of_a_day_are_the_hand_counted_ones(platform, client):
    """Of 2 card holders 1 has an e-mail (1/2); of 2 till customers 1 has a phone (1/2); of
    5 web and app cookies first seen that day 2 reached a login (2/5); the one merge came
    4 hours after the absorbed visitor's first page (14,400 s)."""
    send_identity_history(platform, client)

    found = _figures(platform)

    assert {code: (f.value, f.numerator, f.denominator) for code, f in found.items()} == {
        "email_card_match_rate": (0.5, 1, 2),
        "phone_till_match_rate": (0.5, 1, 2),
        "cookie_login_match_rate": (pytest.approx(0.4), 2, 5),
        "time_to_unification": (14_400.0, 14_400.0, 1),
    }


def test_a_day_without_identities_shows_no_rate(platform, client):
    """The day after the history has no card holder, till customer, cookie or merge: every
    identity figure reads « — » (None), not 0."""
    send_identity_history(platform, client)

    found = _figures(platform, Scope(start=date(2025, 3, 11), end=date(2025, 3, 11)))

    assert [f.value for f in found.values()] == [None, None, None, None]
