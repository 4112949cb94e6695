"""Customer value, retention cohorts and RFM segments: the models' closed forms computed by
hand on tiny histories, then the session functions on orders written to the fact table."""

from __future__ import annotations

import math
from datetime import UTC, date, datetime, time, timedelta

import numpy as np
import pytest
from scipy.optimize import check_grad

from omnicanal.analytics import bgnbd, lifetime
from omnicanal.analytics.bgnbd import BgNbdParams, GammaGammaParams
from omnicanal.analytics.kpis import Scope
from omnicanal.analytics.lifetime import NotEnoughHistory, RfmSegment
from omnicanal.analytics.models import OrderFact
from omnicanal.platform.errors import InvalidInput
from omnicanal.platform.ids import new_id

MONDAY = date(2024, 1, 1)
NEW_CUSTOMER_PARAMS = BgNbdParams(r=1.0, alpha=1.0, a=2.0, b=1.0)
"""r = b = 1 and a = 2 make the hypergeometric term 2F1(1, 1; 2; z) = -ln(1 - z) / z, so a
customer without a repeat expects 2 (1 - (alpha + T) / t ln(1 + t / (alpha + T)))."""


def _new_customer_purchases(alpha: float, age: float, t: float) -> float:
    return 2 * (1 - (alpha + age) / t * math.log(1 + t / (alpha + age)))


# The pure functions, by hand --------------------------------------------------------------


def test_the_summary_counts_repeat_days_and_merges_a_days_purchases():
    """A customer buying twice on day 0, then on days 3 and 10, seen to day 14: 2 repeat
    days, recency 10, age 14, mean repeat spend (20 + 30) / 2; one buying once on day 7:
    0, 0, 7, 0; a purchase after the end is ignored."""
    day = MONDAY.__add__
    history = bgnbd.summary(
        [
            ("a", day(timedelta(0)), 10),
            ("a", day(timedelta(0)), 5),
            ("a", day(timedelta(3)), 20),
            ("a", day(timedelta(10)), 30),
            ("b", day(timedelta(7)), 40),
            ("b", day(timedelta(15)), 99),
        ],
        observation_end=day(timedelta(14)),
    )

    assert history.customers == ("a", "b")
    assert history.frequency.tolist() == [2, 0]
    assert history.recency.tolist() == [10, 0]
    assert history.T.tolist() == [14, 7]
    assert history.monetary.tolist() == [25.0, 0.0]


def test_weekly_periods_run_from_monday_to_sunday():
    """Purchases on Monday 1 and Sunday 7 January 2024 are one week's; Monday 8 starts the
    next; seen to Wednesday 17: 1 repeat week, recency 1, age 2 weeks."""
    history = bgnbd.summary(
        [("a", MONDAY, 10), ("a", date(2024, 1, 7), 5), ("a", date(2024, 1, 8), 20)],
        observation_end=date(2024, 1, 17),
        freq_days=7,
    )

    assert (history.frequency[0], history.recency[0], history.T[0]) == (1, 1, 2)
    assert history.monetary[0] == 20.0


def test_probability_alive_is_the_closed_form():
    """r 1, alpha 2, a 1, b 3 and 2 repeats, the last at 4, age 6:
    1 / (1 + a / (b + x - 1) ((alpha + T) / (alpha + t_x))^(r + x)) = 1 / (1 + 1/4 (8/6)^3)
    = 27/43; a customer who never bought again is alive."""
    params = BgNbdParams(r=1.0, alpha=2.0, a=1.0, b=3.0)

    alive = bgnbd.probability_alive(params, [2, 0], [4, 0], [6, 6])

    assert alive.tolist() == pytest.approx([27 / 43, 1.0], rel=1e-12)


def test_a_customer_without_repeat_expects_the_closed_form_purchases():
    """With r = b = 1, a = 2, alpha 1: a brand-new customer expects 2 (1 - ln 2) purchases
    in the next period, one of age 1 expects 2 (1 - ln 2) in the next two; none in no time."""
    expected = bgnbd.expected_purchases(
        NEW_CUSTOMER_PARAMS, [1, 2, 0], [0, 0, 0], [0, 0, 0], [0, 1, 1]
    )

    assert expected.tolist() == pytest.approx(
        [2 * (1 - math.log(2)), 2 * (1 - math.log(2)), 0.0], rel=1e-12
    )


def test_expected_spend_weighs_a_customers_mean_against_the_population():
    """p 2, q 3, v 10: the population spends p v / (q - 1) = 10; 4 repeats at a mean of 20
    weigh p x / (p x + q - 1) = 0.8, so 0.2 * 10 + 0.8 * 20 = 18; no repeat: 10."""
    params = GammaGammaParams(p=2.0, q=3.0, v=10.0)

    spend = bgnbd.expected_average_value(params, [4, 0], [20, 0])

    assert spend.tolist() == pytest.approx([18.0, 10.0], rel=1e-12)


def test_lifetime_value_discounts_each_months_purchases():
    """Two months of 30 days at 10 % a month, for a new customer (alpha 30) spending the
    population's 10 a purchase: 10 E(30) / 1.1 + 10 (E(60) - E(30)) / 1.21, with E the
    closed form above."""
    params = BgNbdParams(r=1.0, alpha=30.0, a=2.0, b=1.0)
    first, both = _new_customer_purchases(30, 0, 30), _new_customer_purchases(30, 0, 60)

    value = bgnbd.lifetime_value(
        params,
        GammaGammaParams(p=2.0, q=3.0, v=10.0),
        [0],
        [0],
        [0],
        [0],
        months=2,
        discount_rate=0.1,
    )

    assert value[0] == pytest.approx(10 * first / 1.1 + 10 * (both - first) / 1.21, rel=1e-12)


def test_the_likelihood_gradients_are_the_likelihoods_slopes():
    """The analytic gradients the fits follow match finite differences of the likelihoods
    (to 1e-6 of their size), at a point away from the optimum."""
    x, tx, age = np.array([0.0, 1, 3, 7]), np.array([0.0, 0.2, 0.5, 0.9]), np.ones(4)
    weights, spend = np.array([3.0, 1, 2, 1]), np.array([0.0, 12, 30, 18])
    point, spend_point = np.array([0.3, -0.2, 0.5, 0.1]), np.array([0.4, 0.9, 1.7])

    def bg(params, *args):
        return bgnbd._bgnbd_objective(params, *args)[0]

    def bg_slope(params, *args):
        return bgnbd._bgnbd_objective(params, *args)[1]

    def gg(params, *args):
        return bgnbd._gamma_gamma_objective(params, *args)[0]

    def gg_slope(params, *args):
        return bgnbd._gamma_gamma_objective(params, *args)[1]

    bg_args, gg_args = (x, tx, age, weights, 0.05), (x[1:], spend[1:], weights[1:], 0.05)
    bg_size = np.linalg.norm(bg_slope(point, *bg_args))
    gg_size = np.linalg.norm(gg_slope(spend_point, *gg_args))

    assert check_grad(bg, bg_slope, point, *bg_args) < 1e-6 * max(1.0, bg_size)
    assert check_grad(gg, gg_slope, spend_point, *gg_args) < 1e-6 * max(1.0, gg_size)


def test_a_history_that_cannot_be_refuses_to_fit():
    """A recency beyond the customer's age, or a recency without a repeat, is refused."""
    with pytest.raises(InvalidInput):
        bgnbd.fit_bgnbd([1, 2], [3, 1], [2, 4])
    with pytest.raises(InvalidInput):
        bgnbd.fit_bgnbd([0, 2], [1, 1], [2, 4])


def test_quintile_scores_give_equal_values_one_score():
    """A score is 1 + floor(5 * the share of customers strictly worse), equal values alike."""
    # Orders 1, 1, 1, 2, 5: none below 1 (1), 3 of 5 below 2 (4), 4 below 5 (5). Recency in
    # days 0, 10, 10, 40, lower is better: 3 of 4 worse than 0 (4), 1 worse than 10 (2),
    # none worse than 40 (1).
    assert lifetime.quintile_scores([1, 1, 1, 2, 5]) == [1, 1, 1, 4, 5]
    assert lifetime.quintile_scores([0, 10, 10, 40], higher_is_better=False) == [4, 2, 2, 1]


def test_every_cell_of_the_grid_has_one_segment():
    """The 25 (recency, frequency) cells fall in the rule table's segments: 4 Champions,
    5 Fidèles, 2 Prometteurs, 2 Nouveaux, 2 À réveiller, 6 À risque, 2 Hibernants, 2 Perdus."""
    cells = [lifetime.rfm_segment_of(r, f).code for r in range(1, 6) for f in range(1, 6)]

    assert {code: cells.count(code) for code in dict.fromkeys(cells)} == {
        "lost": 2,
        "at_risk": 6,
        "hibernating": 2,
        "to_wake": 2,
        "loyal": 5,
        "new": 2,
        "promising": 2,
        "champions": 4,
    }
    assert [rule.name for rule in lifetime.RFM_SEGMENTS] == [
        "Champions",
        "Fidèles",
        "Prometteurs",
        "Nouveaux",
        "À réveiller",
        "À risque",
        "Hibernants",
        "Perdus",
    ]


# The session functions, on orders in the fact table ---------------------------------------

START, END = date(2025, 1, 1), date(2025, 3, 31)
SCOPE = Scope(start=START, end=END)


def _orders(platform, *orders: tuple[str | None, date, int]) -> None:
    """Orders (customer, local day, total in minor units) in euros, placed at noon."""
    with platform.db.transaction() as session:
        for ref, day, total in orders:
            session.add(_fact(ref, day, total))


def _fact(ref: str | None, day: date, total: int, **more: object) -> OrderFact:
    values: dict[str, object] = {
        "order_id": new_id(),
        "placed_at": datetime.combine(day, time(12), tzinfo=UTC),
        "day": day,
        "channel": "web",
        "store": "",
        "segment": "recognised" if ref else "anonymous",
        "customer_ref": ref,
        "currency": "EUR",
        "total_minor": total,
        "units": 1,
        "lines": 1,
        "status": "completed",
        **more,
    }
    return OrderFact(**values)


def _history(customers: int) -> list[tuple[str, date, int]]:
    """Customer i first buys on day i % 10 of the scope, then i % 4 more times every
    7 + i % 5 days, spending 1,000 + 137 i + 50 j minor units on purchase j."""
    orders = []
    for i in range(customers):
        first = START + timedelta(days=i % 10)
        for j in range(i % 4 + 1):
            orders.append(
                (f"c{i:02}", first + timedelta(days=j * (7 + i % 5)), 1000 + 137 * i + 50 * j)
            )
    return orders


def test_customer_value_needs_twenty_customers_who_came_back(platform):
    """26 customers of whom 19 bought on a second day: not enough history, said with a code
    and the count."""
    _orders(platform, *_history(26))

    with platform.db.reading() as session, pytest.raises(NotEnoughHistory) as refused:
        lifetime.customer_value(session, SCOPE)

    assert refused.value.code == "not_enough_history"
    assert refused.value.extra == {"repeat_customers": 19, "needed": 20}


def test_customer_value_fits_the_models_on_each_customers_days(platform):
    """Each customer's row is their hand-computed history in days with the models' answers
    for it, from their recognised, not cancelled orders in the scope's main currency."""
    # 30 customers, 22 back at least once; a cancelled order, an anonymous one and one in
    # francs are left out. So regular a pace has no finite maximum likelihood: the smallest
    # penalty, 0.001, stands in for the BG/NBD.
    _orders(platform, *_history(30), (None, date(2025, 2, 1), 5000))
    with platform.db.transaction() as session:
        session.add(
            _fact("c01", date(2025, 3, 1), 9999, cancelled_at=datetime(2025, 3, 1, 13, tzinfo=UTC))
        )
        session.add(_fact("c02", date(2025, 3, 2), 9999, currency="CHF"))

    with platform.db.reading() as session:
        value = lifetime.customer_value(session, SCOPE, horizon_days=90)

    refs = [f"c{i:02}" for i in range(30)]
    x = np.array([i % 4 for i in range(30)], dtype=float)
    tx = np.array([(i % 4) * (7 + i % 5) for i in range(30)], dtype=float)
    age = np.array([(END - START).days - i % 10 for i in range(30)], dtype=float)
    spend = np.array(
        [
            np.mean([1000 + 137 * i + 50 * j for j in range(1, i % 4 + 1)]) if i % 4 else 0.0
            for i in range(30)
        ]
    )
    with pytest.raises(bgnbd.ModelDidNotConverge):
        bgnbd.fit_bgnbd(x, tx, age)
    params = bgnbd.fit_bgnbd(x, tx, age, penalizer=0.001)
    paying = x > 0
    spend_params = bgnbd.fit_gamma_gamma(x[paying], spend[paying])
    by_ref = {row.customer_ref: row for row in value.rows}
    clv = bgnbd.lifetime_value(params, spend_params, x, tx, age, spend, months=3)

    assert (value.currency, value.customers, value.repeat_customers) == ("EUR", 30, 22)
    assert (value.bgnbd, value.penalizer) == (params, 0.001)
    assert (value.gamma_gamma, value.spend_penalizer) == (spend_params, 0.0)
    alive = bgnbd.probability_alive(params, x, tx, age)
    expected = bgnbd.expected_purchases(params, 90, x, tx, age)
    for n, ref in enumerate(refs):
        row = by_ref[ref]
        assert (row.frequency, row.recency, row.age) == (x[n], tx[n], age[n])
        assert row.monetary_minor == pytest.approx(spend[n], rel=1e-12)
        assert row.p_alive == pytest.approx(alive[n], rel=1e-12)
        assert row.expected_purchases == pytest.approx(expected[n], rel=1e-12)
        assert row.clv_minor == round(clv[n])
    assert value.total_clv_minor == sum(row.clv_minor for row in value.rows)
    assert value.mean_clv_minor == value.total_clv_minor / 30
    assert [row.clv_minor for row in value.rows] == sorted(
        (row.clv_minor for row in value.rows), reverse=True
    )


def test_customers_spending_alike_give_the_spend_model_the_smallest_penalty(platform):
    """When every purchase costs 10.00, the customers' mean spends do not differ and the
    Gamma-Gamma has no finite maximum: it takes the penalty 0.001 and expects each repeat
    customer to spend about 10.00 again (within 5 %, the penalty's pull)."""
    _orders(platform, *((ref, day, 1000) for ref, day, _ in _history(30)))

    with platform.db.reading() as session:
        value = lifetime.customer_value(session, SCOPE)

    assert value.spend_penalizer == 0.001
    assert [row.expected_average_minor for row in value.rows if row.frequency] == pytest.approx(
        [1000.0] * 22, rel=0.05
    )


def test_customer_value_refuses_a_horizon_beyond_ten_years(platform):
    """A horizon of 0 days or over 3,660 is bad input, named by its field."""
    with platform.db.reading() as session:
        for horizon in (0, 3661):
            with pytest.raises(InvalidInput) as refused:
                lifetime.customer_value(session, SCOPE, horizon_days=horizon)
            assert refused.value.field == "horizon_days"


def test_cohorts_count_who_bought_again_in_each_later_month(platform):
    """A cohort counts its customers buying in each calendar month after their first."""
    # January: a (5 Jan, 10 Feb) and b (20 Jan, 1 Mar), one back in February, one in March.
    # February: c (2 Feb, 20 Feb, 3 Mar), back in March (20 Feb is its own first month).
    _orders(
        platform,
        ("a", date(2025, 1, 5), 100),
        ("a", date(2025, 2, 10), 100),
        ("b", date(2025, 1, 20), 100),
        ("b", date(2025, 3, 1), 100),
        ("c", date(2025, 2, 2), 100),
        ("c", date(2025, 2, 20), 100),
        ("c", date(2025, 3, 3), 100),
    )

    with platform.db.reading() as session:
        cohorts = lifetime.retention_cohorts(session, SCOPE)

    assert cohorts == [
        lifetime.Cohort(month=date(2025, 1, 1), customers=2, returning=(1, 1), shares=(0.5, 0.5)),
        lifetime.Cohort(month=date(2025, 2, 1), customers=1, returning=(1,), shares=(1.0,)),
    ]


def test_rfm_places_each_customer_by_hand_counted_scores(platform):
    """Each customer lands in the segment of their hand-counted recency and frequency scores."""
    # At 31 March: v (3 orders, last 31 Mar), w (3, 1 Mar), x (1, 30 Mar), y (1, 15 Jan),
    # z (2, 31 Mar). Recency days 0, 30, 1, 75, 0 score 4, 2, 3, 1, 4; orders 3, 3, 1, 1, 2
    # score 4, 4, 1, 1, 3: v Champion, w À risque, x À réveiller, y Perdu, z Fidèle.
    _orders(
        platform,
        *[("v", date(2025, 3, d), 3000) for d in (1, 15, 31)],
        *[("w", date(2025, 2, d), 1000) for d in (1, 15)],
        ("w", date(2025, 3, 1), 1000),
        ("x", date(2025, 3, 30), 500),
        ("y", date(2025, 1, 15), 700),
        ("z", date(2025, 3, 1), 2000),
        ("z", date(2025, 3, 31), 4000),
    )

    with platform.db.reading() as session:
        segments = {s.code: s for s in lifetime.rfm_segments(session, SCOPE)}

    assert [code for code, s in segments.items() if s.customers] == [
        "champions",
        "loyal",
        "to_wake",
        "at_risk",
        "lost",
    ]
    assert segments["champions"] == RfmSegment(
        code="champions",
        name="Champions",
        rule="récence 4 ou 5, fréquence 4 ou 5",
        customers=1,
        share=0.2,
        orders=3,
        revenue_minor=9000,
        mean_basket_minor=3000.0,
        currency="EUR",
        mean_scores=(4.0, 4.0, 5.0),
        examples=("v",),
    )
    assert (segments["loyal"].examples, segments["loyal"].mean_basket_minor) == (("z",), 3000.0)
    assert segments["new"].share == 0.0 and segments["new"].mean_basket_minor is None
