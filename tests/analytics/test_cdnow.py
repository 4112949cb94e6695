"""Our BG/NBD and Gamma-Gamma against the reference, lifetimes, on its bundled CDNOW data.

CDNOW_master.txt: 69,659 purchases of CDs by the 23,570 customers who first bought in the
first quarter of 1997, followed to the end of June 1998 (Fader & Hardie's data set). The
models are fitted once per module, ours and lifetimes' (about half a second each).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from importlib.resources import files
from typing import Any

import numpy as np
import pandas as pd
import pytest
from lifetimes import BetaGeoFitter, GammaGammaFitter
from lifetimes.utils import summary_data_from_transaction_data

from omnicanal.analytics import bgnbd
from omnicanal.analytics.bgnbd import BgNbdParams, GammaGammaParams, Summary

END = date(1998, 6, 30)
TOLERANCE = 1e-4
"""Relative: the two fits reach the same maximum of the same likelihood by different
optimisers (BFGS on our analytic gradient, BFGS on autograd's), so parameters and every
prediction agree to about 1e-6; 1e-4 leaves room for a platform's floating point."""


def _data(name: str) -> Any:
    return files("lifetimes.datasets") / name


@dataclass(frozen=True)
class Fitted:
    ours: Summary
    reference: pd.DataFrame
    bgnbd: BgNbdParams
    gamma_gamma: GammaGammaParams
    beta_geo: BetaGeoFitter
    gamma_gamma_reference: GammaGammaFitter
    paying: np.ndarray


@pytest.fixture(scope="module")
def transactions() -> pd.DataFrame:
    frame = pd.read_csv(
        _data("CDNOW_master.txt"), sep=r"\s+", dtype={"customer_id": str, "date": str}
    )
    frame["date"] = pd.to_datetime(frame["date"], format="%Y%m%d")
    return frame


def _ours(transactions: pd.DataFrame, freq_days: int) -> Summary:
    return bgnbd.summary(
        (
            (customer, day.date(), amount)
            for customer, day, amount in zip(
                transactions.customer_id,
                transactions.date,
                transactions.dollar_value,
                strict=True,
            )
        ),
        observation_end=END,
        freq_days=freq_days,
    )


def _reference(transactions: pd.DataFrame, freq: str, customers: Any) -> pd.DataFrame:
    frame = summary_data_from_transaction_data(
        transactions,
        "customer_id",
        "date",
        monetary_value_col="dollar_value",
        observation_period_end=END.isoformat(),
        freq=freq,
    )
    return frame.loc[list(customers)]


@pytest.fixture(scope="module")
def fitted(transactions: pd.DataFrame) -> Fitted:
    ours = _ours(transactions, 1)
    reference = _reference(transactions, "D", ours.customers)
    paying = (ours.frequency > 0) & (ours.monetary > 0)
    beta_geo = BetaGeoFitter().fit(reference["frequency"], reference["recency"], reference["T"])
    gamma_gamma = GammaGammaFitter().fit(
        reference["frequency"][paying], reference["monetary_value"][paying]
    )
    return Fitted(
        ours=ours,
        reference=reference,
        bgnbd=bgnbd.fit_bgnbd(ours.frequency, ours.recency, ours.T),
        gamma_gamma=bgnbd.fit_gamma_gamma(ours.frequency[paying], ours.monetary[paying]),
        beta_geo=beta_geo,
        gamma_gamma_reference=gamma_gamma,
        paying=paying,
    )


@pytest.mark.parametrize(("freq_days", "freq"), [(1, "D"), (7, "W")])
def test_the_summary_is_lifetimes_summary_customer_by_customer(transactions, freq_days, freq):
    """Frequency, recency and age are lifetimes' to the unit, by days and by Monday weeks;
    the mean repeat spend to 1e-12 (only the order of a floating sum differs)."""
    ours = _ours(transactions, freq_days)
    reference = _reference(transactions, freq, ours.customers)

    assert len(ours.customers) == 23_570
    assert np.array_equal(ours.frequency, reference["frequency"].to_numpy())
    assert np.array_equal(ours.recency, reference["recency"].to_numpy())
    assert np.array_equal(ours.T, reference["T"].to_numpy())
    assert np.allclose(ours.monetary, reference["monetary_value"].to_numpy(), rtol=1e-12, atol=0)


def test_the_bgnbd_parameters_are_lifetimes_within_the_tolerance(fitted):
    """r, alpha, a and b match lifetimes' BetaGeoFitter to 1e-4, relative."""
    reference = fitted.beta_geo.params_

    for name in ("r", "alpha", "a", "b"):
        assert getattr(fitted.bgnbd, name) == pytest.approx(reference[name], rel=TOLERANCE)


def test_the_gamma_gamma_parameters_are_lifetimes_within_the_tolerance(fitted):
    """p, q and v match lifetimes' GammaGammaFitter to 1e-4, relative."""
    reference = fitted.gamma_gamma_reference.params_

    for name in ("p", "q", "v"):
        assert getattr(fitted.gamma_gamma, name) == pytest.approx(reference[name], rel=TOLERANCE)


def test_each_customers_purchases_over_52_weeks_are_lifetimes(fitted):
    """The expected repeat purchases of every customer over the next 364 days match
    lifetimes' conditional expectation to 1e-4, relative."""
    s = fitted.ours
    reference = fitted.beta_geo.conditional_expected_number_of_purchases_up_to_time(
        364, s.frequency, s.recency, s.T
    )

    ours = bgnbd.expected_purchases(fitted.bgnbd, 364, s.frequency, s.recency, s.T)

    assert np.allclose(ours, reference, rtol=TOLERANCE, atol=0)


def test_each_customers_probability_of_being_alive_is_lifetimes(fitted):
    """P(alive) of every customer matches lifetimes' to 1e-4, relative."""
    s = fitted.ours
    reference = fitted.beta_geo.conditional_probability_alive(s.frequency, s.recency, s.T)

    ours = bgnbd.probability_alive(fitted.bgnbd, s.frequency, s.recency, s.T)

    assert np.allclose(ours, reference, rtol=TOLERANCE, atol=0)


def test_each_customers_lifetime_value_is_lifetimes(fitted):
    """The 12-month value discounted 1 % a month (lifetimes' defaults, days as periods)
    of every customer matches lifetimes' customer_lifetime_value to 1e-4, relative; so does
    the expected spend per purchase."""
    s, reference = fitted.ours, fitted.reference
    value = fitted.gamma_gamma_reference.customer_lifetime_value(
        fitted.beta_geo,
        reference["frequency"],
        reference["recency"],
        reference["T"],
        reference["monetary_value"],
        time=12,
        discount_rate=0.01,
        freq="D",
    )
    spend = fitted.gamma_gamma_reference.conditional_expected_average_profit(
        reference["frequency"], reference["monetary_value"]
    )

    ours = bgnbd.lifetime_value(
        fitted.bgnbd, fitted.gamma_gamma, s.frequency, s.recency, s.T, s.monetary
    )

    assert np.allclose(ours, value.to_numpy(), rtol=TOLERANCE, atol=0)
    assert np.allclose(
        bgnbd.expected_average_value(fitted.gamma_gamma, s.frequency, s.monetary),
        spend.to_numpy(),
        rtol=TOLERANCE,
        atol=0,
    )


def test_a_penalised_fit_is_lifetimes_penalised_fit(fitted):
    """With an L2 penalty of 0.01 the parameters still match lifetimes' (the penalty is on
    the same scaled parameters)."""
    s = fitted.ours
    reference = BetaGeoFitter(penalizer_coef=0.01).fit(s.frequency, s.recency, s.T).params_

    ours = bgnbd.fit_bgnbd(s.frequency, s.recency, s.T, penalizer=0.01)

    for name in ("r", "alpha", "a", "b"):
        assert getattr(ours, name) == pytest.approx(reference[name], rel=TOLERANCE)


def test_the_fits_give_the_papers_parameters_on_their_cdnow_sample():
    """On the 2,357-customer CDNOW sample in weeks, our fits give the published values to
    their last digit: r 0.243, alpha 4.414, a 0.793, b 2.426 (Fader, Hardie & Lee 2005) and
    p 6.25, q 3.74, v 15.44 (Fader & Hardie, note 025; v to 0.01)."""
    sample = pd.read_csv(_data("cdnow_customers_summary_with_transactions.csv"))
    repeat = sample[sample["x"] > 0]

    fit = bgnbd.fit_bgnbd(sample["x"], sample["t_x"], sample["T"])
    spend = bgnbd.fit_gamma_gamma(repeat["x"], repeat["zbar"])

    assert (fit.r, fit.alpha, fit.a, fit.b) == pytest.approx((0.243, 4.414, 0.793, 2.426), abs=5e-4)
    assert (spend.p, spend.q, spend.v) == pytest.approx((6.25, 3.74, 15.44), abs=1e-2)


def test_a_customer_without_a_repeat_has_finite_rising_expected_purchases_when_a_plus_b_is_small():
    """With a + b < 1 the hypergeometric term turns negative over a long horizon for a
    customer who bought once (its third parameter a + b - 1 is negative): taking its
    logarithm gave NaN, and the month's view a 500. Its sign is kept apart now; the value is
    equation 10 of Fader, Hardie & Lee computed directly."""
    from scipy.special import hyp2f1

    params = BgNbdParams(r=1.7958, alpha=69.206, a=0.008978, b=0.096105)
    horizons = np.array([30.0, 60.0, 90.0, 120.0, 365.0])
    x, tx, age = np.zeros(5), np.zeros(5), np.full(5, 90.0)

    expected = bgnbd.expected_purchases(params, horizons, x, tx, age)

    r, alpha, a, b = params.r, params.alpha, params.a, params.b
    z = horizons / (alpha + age + horizons)
    direct = (
        (a + b - 1)
        / (a - 1)
        * (1 - hyp2f1(r, b, a + b - 1, z) * ((alpha + age) / (alpha + age + horizons)) ** r)
    )
    assert hyp2f1(r, b, a + b - 1, z[-1]) < 0  # the case at stake
    assert np.isfinite(expected).all()
    assert np.all(np.diff(expected) > 0)
    np.testing.assert_allclose(expected, direct, rtol=1e-9)
