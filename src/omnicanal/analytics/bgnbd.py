"""How many more times a customer will buy, and for how much: the BG/NBD model (Fader, Hardie
& Lee 2005) and the Gamma-Gamma model of spend (Fader & Hardie 2013), fitted by maximum
likelihood on plain arrays (pure: no database).

The likelihoods, the log-parameterisation, the time scaling before the fit and the
discounted lifetime value are those of ``lifetimes`` (the reference implementation, checked
against it on its bundled CDNOW transactions in ``tests/analytics/test_cdnow.py``; ADR 0040).
Times are in periods of ``freq_days`` days (one day by default); amounts in the unit given
(minor units of money in omnicanal).
"""

from __future__ import annotations

from collections.abc import Hashable, Iterable
from dataclasses import dataclass
from datetime import date
from typing import Any

import numpy as np
from numpy.typing import ArrayLike, NDArray
from scipy.optimize import minimize
from scipy.special import digamma, expit, gammaln, hyp2f1

from omnicanal.platform.errors import Conflict, InvalidInput

__all__ = [
    "BgNbdParams",
    "GammaGammaParams",
    "ModelDidNotConverge",
    "Summary",
    "expected_average_value",
    "expected_purchases",
    "fit_bgnbd",
    "fit_gamma_gamma",
    "lifetime_value",
    "probability_alive",
    "summary",
]

Floats = NDArray[np.float64]
_MONDAY = date(1970, 1, 5).toordinal()
"""Periods are counted from a Monday, so that seven-day periods are weeks from Monday to
Sunday, as pandas' (and so lifetimes') ``W`` periods are."""


class ModelDidNotConverge(Conflict):
    code = "customer_value_did_not_converge"
    title = "The customer-value model did not converge on this history"


@dataclass(frozen=True)
class Summary:
    """Each customer's history as the models read it, in the order of ``customers``."""

    customers: tuple[Hashable, ...]
    frequency: Floats
    """Repeat purchases: periods with a purchase after the first one."""
    recency: Floats
    """From the first purchase's period to the last one's, in periods."""
    T: Floats
    """From the first purchase's period to the end of the observation, in periods."""
    monetary: Floats
    """The mean spend of a repeat period (a period's purchases summed); 0 without one."""


@dataclass(frozen=True)
class BgNbdParams:
    """The BG/NBD's population: purchase rates Gamma(r, alpha), drop-out Beta(a, b)."""

    r: float
    alpha: float
    a: float
    b: float


@dataclass(frozen=True)
class GammaGammaParams:
    """The Gamma-Gamma's population: spend per purchase Gamma(p, nu) with nu ~ Gamma(q, v)."""

    p: float
    q: float
    v: float

    @property
    def population_mean(self) -> float:
        """The mean spend per purchase of a customer drawn at random (needs q > 1)."""
        return self.p * self.v / (self.q - 1)


def summary(
    transactions: Iterable[tuple[Hashable, date, float]],
    *,
    observation_end: date,
    freq_days: int = 1,
) -> Summary:
    """Frequency, recency, age and mean repeat spend of each customer, from (customer, day,
    amount) purchases, as lifetimes' ``summary_data_from_transaction_data`` makes them:
    purchases of one period merged, the first period left out of frequency and spend,
    purchases after ``observation_end`` ignored. A period is ``freq_days`` days."""
    if freq_days < 1:
        raise InvalidInput("A period lasts at least one day.", field="freq_days")
    last = (observation_end.toordinal() - _MONDAY) // freq_days
    periods: dict[Hashable, dict[int, float]] = {}
    for customer, day, amount in transactions:
        period = (day.toordinal() - _MONDAY) // freq_days
        if period <= last:
            spent = periods.setdefault(customer, {})
            spent[period] = spent.get(period, 0.0) + float(amount)
    customers = tuple(periods)
    frequency = np.empty(len(customers))
    recency = np.empty(len(customers))
    age = np.empty(len(customers))
    monetary = np.zeros(len(customers))
    for index, customer in enumerate(customers):
        spent = periods[customer]
        ordered = sorted(spent)
        frequency[index] = len(ordered) - 1
        recency[index] = ordered[-1] - ordered[0]
        age[index] = last - ordered[0]
        if len(ordered) > 1:
            monetary[index] = sum(spent[p] for p in ordered[1:]) / (len(ordered) - 1)
    return Summary(customers, frequency, recency, age, monetary)


def _arrays(*values: ArrayLike) -> list[Floats]:
    return [np.asarray(value, dtype=np.float64) for value in values]


def _check_history(frequency: Floats, recency: Floats, age: Floats) -> None:
    if not (frequency.shape == recency.shape == age.shape) or frequency.size == 0:
        raise InvalidInput("Frequency, recency and age are non-empty and of one length.")
    if np.any(frequency < 0) or np.any(frequency != np.round(frequency)):
        raise InvalidInput("A frequency is a whole number of repeat purchases.")
    if np.any(recency < 0) or np.any(recency > age) or np.any(recency[frequency == 0] != 0):
        raise InvalidInput("A recency lies between 0 and the age, and is 0 without a repeat.")


def _fit(objective: Any, size: int, args: tuple[Any, ...], what: str) -> NDArray[np.float64]:
    """The log-parameters minimising ``objective``, from lifetimes' starting point."""
    result = minimize(
        objective, x0=np.full(size, 0.1), args=args, jac=True, method="BFGS", tol=1e-10
    )
    # BFGS stops on "precision loss" once it can no longer improve in floating point: a
    # minimum all the same when the gradient is nil there.
    if not np.all(np.isfinite(result.x)) or np.max(np.abs(result.jac)) > 1e-5:
        raise ModelDidNotConverge(
            f"The {what} model did not converge on this history ({result.message})."
        )
    return np.asarray(result.x, dtype=np.float64)


def _bgnbd_objective(
    log_params: Floats,
    x: Floats,
    tx: Floats,
    age: Floats,
    weights: Floats,
    penalizer: float,
) -> tuple[float, Floats]:
    """The mean negative log-likelihood (Fader, Hardie & Lee 2005, section 7) and its
    gradient in the log-parameters."""
    r, alpha, a, b = np.exp(log_params)
    repeat = x > 0
    a1 = gammaln(r + x) - gammaln(r) + r * np.log(alpha)
    a2 = gammaln(a + b) + gammaln(b + x) - gammaln(b) - gammaln(a + b + x)
    a3 = -(r + x) * np.log(alpha + age)
    a4 = np.log(a) - np.log(b + np.maximum(x, 1) - 1) - (r + x) * np.log(alpha + tx)
    a4 = np.where(repeat, a4, -np.inf)
    mixed = np.logaddexp(a3, a4)
    total = weights.sum()
    value = -np.sum(weights * (a1 + a2 + mixed)) / total
    # The share of each customer's likelihood that says "alive at T" (a3) or "dropped out
    # after the last purchase" (a4).
    w3 = np.exp(a3 - mixed)
    w4 = 1.0 - w3
    d_r = digamma(r + x) - digamma(r) + np.log(alpha)
    d_r += -w3 * np.log(alpha + age) - w4 * np.log(alpha + tx)
    d_alpha = r / alpha - w3 * (r + x) / (alpha + age) - w4 * (r + x) / (alpha + tx)
    d_a = digamma(a + b) - digamma(a + b + x) + w4 / a
    d_b = digamma(a + b) + digamma(b + x) - digamma(b) - digamma(a + b + x)
    d_b -= np.where(repeat, w4 / (b + np.maximum(x, 1) - 1), 0.0)
    params = np.array([r, alpha, a, b])
    gradient = -np.array([np.sum(weights * d) for d in (d_r, d_alpha, d_a, d_b)]) / total
    value += penalizer * np.sum(params**2)
    gradient = gradient * params + 2 * penalizer * params**2
    return float(value), gradient


def _patterns(*columns: Floats) -> tuple[list[Floats], Floats]:
    """The distinct rows of ``columns`` and how many customers share each: the likelihood
    of a pattern counted that many times, as Fader and Hardie condense it."""
    stacked = np.column_stack(columns)
    rows, counts = np.unique(stacked, axis=0, return_counts=True)
    return [rows[:, n] for n in range(len(columns))], counts.astype(np.float64)


def fit_bgnbd(
    frequency: ArrayLike, recency: ArrayLike, T: ArrayLike, penalizer: float = 0.0
) -> BgNbdParams:
    """The BG/NBD's maximum-likelihood parameters for these histories (an L2 penalty of
    ``penalizer`` on the parameters, in time scaled to the oldest customer, as lifetimes)."""
    x, tx, age = _arrays(frequency, recency, T)
    _check_history(x, tx, age)
    if age.max() <= 0:
        raise InvalidInput("At least one customer is older than one period.")
    scale = 1.0 / age.max()
    (x, tx, age), weights = _patterns(x, tx * scale, age * scale)
    r, alpha, a, b = np.exp(_fit(_bgnbd_objective, 4, (x, tx, age, weights, penalizer), "BG/NBD"))
    return BgNbdParams(r=float(r), alpha=float(alpha / scale), a=float(a), b=float(b))


def expected_purchases(
    params: BgNbdParams, t: ArrayLike, frequency: ArrayLike, recency: ArrayLike, T: ArrayLike
) -> Floats:
    """Each customer's expected repeat purchases in the next ``t`` periods, given their
    history (equation 10 of Fader, Hardie & Lee 2005)."""
    t_, x, tx, age = _arrays(t, frequency, recency, T)
    r, alpha, a, b = params.r, params.alpha, params.a, params.b
    top, first, third = r + x, b + x, a + b + x - 1
    z = t_ / (alpha + age + t_)
    with np.errstate(divide="ignore", invalid="ignore"):
        # 2F1 turns negative over a long horizon when its third parameter is (a + b < 1 and
        # no repeat purchase): its logarithm is taken of its size and its sign kept apart.
        series = hyp2f1(top, first, third, z)
        # Where the series overflows, Euler's transformation of the same function.
        transformed = hyp2f1(third - top, third - first, third, z)
        log_hyp = np.log(np.abs(series))
        euler = np.log(np.abs(transformed)) + (third - top - first) * np.log1p(-z)
    overflow = np.isinf(log_hyp)
    log_hyp = np.where(overflow, euler, log_hyp)
    sign = np.where(overflow, np.sign(transformed), np.sign(series))
    numerator = (
        (a + b + x - 1)
        / (a - 1)
        * (1 - sign * np.exp(log_hyp + top * np.log((alpha + age) / (alpha + t_ + age))))
    )
    # Without a repeat the second term is nil (computed apart: b + x - 1 may be 0 then).
    odds = a / (b + np.maximum(x, 1) - 1) * ((alpha + age) / (alpha + tx)) ** top
    denominator = 1 + np.where(x > 0, odds, 0.0)
    return np.asarray(numerator / denominator, dtype=np.float64)


def probability_alive(
    params: BgNbdParams, frequency: ArrayLike, recency: ArrayLike, T: ArrayLike
) -> Floats:
    """The probability that each customer has not dropped out (Fader, Hardie & Lee's note
    on P(alive) for the BG/NBD); 1 for a customer who never bought again."""
    x, tx, age = _arrays(frequency, recency, T)
    r, alpha, a, b = params.r, params.alpha, params.a, params.b
    odds = (r + x) * np.log((alpha + age) / (alpha + tx)) + np.log(a / (b + np.maximum(x, 1) - 1))
    return np.asarray(np.where(x == 0, 1.0, expit(-odds)), dtype=np.float64)


def _gamma_gamma_objective(
    log_params: Floats, x: Floats, m: Floats, weights: Floats, penalizer: float
) -> tuple[float, Floats]:
    """The mean negative log-likelihood of the Gamma-Gamma (Fader & Hardie's note 025,
    equation 1a) and its gradient in the log-parameters."""
    p, q, v = np.exp(log_params)
    px = p * x
    spend = x * m + v
    log_likelihood = (
        gammaln(px + q)
        - gammaln(px)
        - gammaln(q)
        + q * np.log(v)
        + (px - 1) * np.log(m)
        + px * np.log(x)
        - (px + q) * np.log(spend)
    )
    total = weights.sum()
    d_p = x * (digamma(px + q) - digamma(px) + np.log(m) + np.log(x) - np.log(spend))
    d_q = digamma(px + q) - digamma(q) + np.log(v) - np.log(spend)
    d_v = q / v - (px + q) / spend
    params = np.array([p, q, v])
    value = -np.sum(weights * log_likelihood) / total + penalizer * np.sum(params**2)
    gradient = -np.array([np.sum(weights * d) for d in (d_p, d_q, d_v)]) / total
    return float(value), gradient * params + 2 * penalizer * params**2


def fit_gamma_gamma(
    frequency: ArrayLike, monetary: ArrayLike, penalizer: float = 0.0
) -> GammaGammaParams:
    """The Gamma-Gamma's maximum-likelihood parameters from the repeat customers' number of
    repeat purchases and mean repeat spend (both positive; others are left to the caller).

    The spend is fitted in units of its mean, then v scaled back: the likelihood's maximum
    is the same in any unit (v follows the unit, p and q do not), and a penalty then weighs
    the same in cents as in euros (lifetimes penalises the raw v)."""
    x, m = _arrays(frequency, monetary)
    if x.shape != m.shape or x.size == 0 or np.any(x <= 0) or np.any(m <= 0):
        raise InvalidInput("Gamma-Gamma reads repeat customers with a positive mean spend.")
    unit = float(m.mean())
    (x, m), weights = _patterns(x, m / unit)
    p, q, v = np.exp(_fit(_gamma_gamma_objective, 3, (x, m, weights, penalizer), "Gamma-Gamma"))
    return GammaGammaParams(p=float(p), q=float(q), v=float(v * unit))


def expected_average_value(
    params: GammaGammaParams, frequency: ArrayLike, monetary: ArrayLike
) -> Floats:
    """Each customer's expected spend per purchase: their own mean repeat spend weighed
    against the population's by how many repeat purchases it rests on (note 025, eq. 5)."""
    x, m = _arrays(frequency, monetary)
    own = params.p * x / (params.p * x + params.q - 1)
    return np.asarray((1 - own) * params.population_mean + own * m, dtype=np.float64)


def lifetime_value(
    bgnbd: BgNbdParams,
    gamma_gamma: GammaGammaParams,
    frequency: ArrayLike,
    recency: ArrayLike,
    T: ArrayLike,
    monetary: ArrayLike,
    *,
    months: int = 12,
    discount_rate: float = 0.01,
    periods_per_month: float = 30.0,
) -> Floats:
    """Each customer's value over the next ``months`` months: the expected purchases of each
    month times the expected spend per purchase, discounted by ``discount_rate`` a month
    (lifetimes' ``customer_lifetime_value``; a month is ``periods_per_month`` periods)."""
    x, tx, age, m = _arrays(frequency, recency, T, monetary)
    spend = expected_average_value(gamma_gamma, x, m)
    value = np.zeros_like(x)
    before = np.zeros_like(x)
    for month in range(1, months + 1):
        until = expected_purchases(bgnbd, month * periods_per_month, x, tx, age)
        value += spend * (until - before) / (1 + discount_rate) ** month
        before = until
    return value
