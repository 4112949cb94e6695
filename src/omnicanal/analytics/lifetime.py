"""What the customers are worth and how they come back, from their orders (ADR 0040).

- **Customer value**: the BG/NBD model of repeat purchases and the Gamma-Gamma model of
  spend (:mod:`omnicanal.analytics.bgnbd`), fitted on the recognised customers' orders of the
  scope, by day: each customer's chance of being still active, their expected purchases
  over a horizon, their expected spend per purchase and their discounted value.
- **Retention cohorts**: the customers by the month of their first purchase in the scope,
  and the share of them who bought again in each later month.
- **RFM segments**: recency, frequency and monetary scores from 1 to 5 by quintiles, and
  the segment each (recency, frequency) cell belongs to (:data:`RFM_SEGMENTS`).

The orders are read through :func:`omnicanal.analytics.measures.purchases`: recognised,
not cancelled. Amounts stay in minor units of one currency: the scope's most used one.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date
from typing import TypeVar

import numpy as np
from numpy.typing import NDArray
from sqlalchemy.orm import Session

from omnicanal.analytics import measures
from omnicanal.analytics.bgnbd import (
    BgNbdParams,
    GammaGammaParams,
    ModelDidNotConverge,
    expected_average_value,
    expected_purchases,
    fit_bgnbd,
    fit_gamma_gamma,
    lifetime_value,
    probability_alive,
    summary,
)
from omnicanal.analytics.kpis import Scope
from omnicanal.analytics.measures import Purchase
from omnicanal.platform.errors import Conflict, InvalidInput

__all__ = [
    "DAYS_PER_MONTH",
    "MAX_HORIZON_DAYS",
    "MIN_REPEAT_CUSTOMERS",
    "PENALTIES",
    "RFM_SEGMENTS",
    "BgNbdParams",
    "Cohort",
    "CustomerValue",
    "CustomerValueRow",
    "GammaGammaParams",
    "ModelDidNotConverge",
    "NotEnoughHistory",
    "RfmRule",
    "RfmSegment",
    "customer_value",
    "quintile_scores",
    "retention_cohorts",
    "rfm_segment_of",
    "rfm_segments",
]

MIN_REPEAT_CUSTOMERS = 20
"""Fewer customers who bought twice leave the models' four and three parameters to chance."""
MAX_HORIZON_DAYS = 3660
DAYS_PER_MONTH = 30
"""The month of the discounted value, as lifetimes counts it in days."""
MONTHLY_DISCOUNT = 0.01
"""lifetimes' default: about 12.7 % a year."""
PENALTIES = (0.0, 0.001, 0.01, 0.1)
"""The L2 penalties tried in turn on each model. A short or very regular history may have no
finite maximum (the drop-out Beta's a and b, or the spend's q and v, grow without end): the
smallest penalty that converges stands in, as lifetimes' documentation advises, and the
answer says which."""
EXAMPLES = 3
Fitted = TypeVar("Fitted", BgNbdParams, GammaGammaParams)


class NotEnoughHistory(Conflict):
    code = "not_enough_history"
    title = "Not enough purchase history to estimate customer value"


@dataclass(frozen=True)
class CustomerValueRow:
    """One customer's history (in days) and what the models expect of them."""

    customer_ref: str
    frequency: int
    """Days with a purchase after the first one."""
    recency: float
    """Days from the first purchase to the last."""
    age: float
    """Days from the first purchase to the scope's last day (the models' T)."""
    monetary_minor: float
    """The mean spend of a repeat day; 0 without one."""
    p_alive: float
    expected_purchases: float
    """Expected repeat purchases (days with a purchase) within the horizon."""
    expected_average_minor: float
    """Expected spend per purchase."""
    clv_minor: int
    """Discounted value of the expected purchases within the horizon."""


@dataclass(frozen=True)
class CustomerValue:
    """The fitted models over a scope and what they say of each customer."""

    start: date
    end: date
    horizon_days: int
    currency: str
    customers: int
    """Recognised customers with a purchase in the scope (in ``currency``)."""
    repeat_customers: int
    """Those among them who bought (and paid) on a second day: what the models learn from."""
    bgnbd: BgNbdParams
    penalizer: float
    """The BG/NBD's L2 penalty (:data:`PENALTIES`): 0 unless the history needed one."""
    gamma_gamma: GammaGammaParams
    spend_penalizer: float
    """The Gamma-Gamma's (on the spend in units of its mean): 0 unless the history needed
    one (customers whose mean spends do not differ give q and v no finite maximum)."""
    rows: tuple[CustomerValueRow, ...]
    """Highest value first."""
    expected_purchases: float
    total_clv_minor: int
    mean_clv_minor: float
    mean_p_alive: float


@dataclass(frozen=True)
class Cohort:
    """The customers who first bought in ``month`` and how many bought in each month after."""

    month: date
    """The first day of the month."""
    customers: int
    returning: tuple[int, ...]
    """``returning[k - 1]``: customers of the cohort with a purchase ``k`` months later."""
    shares: tuple[float, ...]
    """The same, as shares of ``customers``."""


@dataclass(frozen=True)
class RfmRule:
    """A segment and the (recency, frequency) score cells it holds."""

    code: str
    name: str
    rule: str
    """The cells, in words, as the pages show them."""
    recency: tuple[int, ...]
    frequency: tuple[int, ...]


@dataclass(frozen=True)
class RfmSegment:
    """The customers of one segment over a scope."""

    code: str
    name: str
    rule: str
    customers: int
    share: float | None
    orders: int
    revenue_minor: int
    mean_basket_minor: float | None
    currency: str | None
    mean_scores: tuple[float, float, float] | None
    """Its customers' mean recency, frequency and monetary scores."""
    examples: tuple[str, ...]
    """A few of its customers, the biggest spenders first."""


RFM_SEGMENTS: tuple[RfmRule, ...] = (
    RfmRule("champions", "Champions", "récence 4 ou 5, fréquence 4 ou 5", (4, 5), (4, 5)),
    RfmRule(
        "loyal",
        "Fidèles",
        "récence et fréquence de 3 à 5, hors Champions",
        (3, 4, 5),
        (3, 4, 5),
    ),
    RfmRule("promising", "Prometteurs", "récence 4 ou 5, fréquence 2", (4, 5), (2,)),
    RfmRule("new", "Nouveaux", "récence 4 ou 5, fréquence 1", (4, 5), (1,)),
    RfmRule("to_wake", "À réveiller", "récence 3, fréquence 1 ou 2", (3,), (1, 2)),
    RfmRule("at_risk", "À risque", "récence 1 ou 2, fréquence de 3 à 5", (1, 2), (3, 4, 5)),
    RfmRule("hibernating", "Hibernants", "récence 2, fréquence 1 ou 2", (2,), (1, 2)),
    RfmRule("lost", "Perdus", "récence 1, fréquence 1 ou 2", (1,), (1, 2)),
)
"""The segments in the order they are tried: a customer belongs to the first whose cells hold
their (recency, frequency) scores, so each of the 25 cells has exactly one. The
monetary score is shown beside them, not used to place a customer (it follows frequency
closely)."""


def rfm_segment_of(recency: int, frequency: int) -> RfmRule:
    """The segment of a customer with these recency and frequency scores."""
    for rule in RFM_SEGMENTS:
        if recency in rule.recency and frequency in rule.frequency:
            return rule
    raise InvalidInput("Recency and frequency scores run from 1 to 5.")


def quintile_scores(values: Sequence[float], *, higher_is_better: bool = True) -> list[int]:
    """A score from 1 to 5 for each value: 1 + floor(5 * the share of values strictly worse), so
    equal values share a score and the worst value scores 1."""
    ordered = np.sort(np.asarray(values, dtype=np.float64))
    count = len(ordered)
    given = np.asarray(values, dtype=np.float64)
    if higher_is_better:
        worse = np.searchsorted(ordered, given, side="left")
    else:
        worse = count - np.searchsorted(ordered, given, side="right")
    return [min(5, 1 + (5 * int(n)) // count) for n in worse]


def _one_currency(purchases: Sequence[Purchase]) -> tuple[str | None, list[Purchase]]:
    """The scope's most used currency and its purchases: amounts of two currencies never
    add up."""
    counts = Counter(p.currency for p in purchases)
    if not counts:
        return None, []
    currency = min(counts, key=lambda c: (-counts[c], c))
    return currency, [p for p in purchases if p.currency == currency]


def _penalised(fit: Callable[..., Fitted], *history: NDArray[np.float64]) -> tuple[Fitted, float]:
    """The model fitted with the smallest penalty of :data:`PENALTIES` that converges."""
    for penalizer in PENALTIES[:-1]:
        try:
            return fit(*history, penalizer=penalizer), penalizer
        except ModelDidNotConverge:
            continue
    return fit(*history, penalizer=PENALTIES[-1]), PENALTIES[-1]


def customer_value(
    session: Session,
    scope: Scope,
    *,
    horizon_days: int = 365,
    discount_rate: float = MONTHLY_DISCOUNT,
) -> CustomerValue:
    """BG/NBD and Gamma-Gamma fitted on the scope's recognised orders (days up to the scope's
    last day), and each customer's value over the next ``horizon_days`` (in whole months of
    30 days, discounted by ``discount_rate`` a month). :class:`NotEnoughHistory` under
    :data:`MIN_REPEAT_CUSTOMERS` customers who bought on two days."""
    if not 1 <= horizon_days <= MAX_HORIZON_DAYS:
        raise InvalidInput(
            f"The horizon runs from 1 to {MAX_HORIZON_DAYS} days.", field="horizon_days"
        )
    if not 0 <= discount_rate < 1:
        raise InvalidInput("A monthly discount rate lies in [0, 1).", field="discount_rate")
    currency, bought = _one_currency(measures.purchases(session, scope))
    history = summary(
        ((p.customer_ref, p.day, p.total_minor) for p in bought), observation_end=scope.end
    )
    x, tx, age, spend = history.frequency, history.recency, history.T, history.monetary
    # Gamma-Gamma learns from the repeat customers who paid something (not a free
    # replacement only): the threshold counts them.
    paying = (x > 0) & (spend > 0)
    repeat = int(np.count_nonzero(paying))
    if currency is None or repeat < MIN_REPEAT_CUSTOMERS:
        raise NotEnoughHistory(
            f"{repeat} customers bought on two days in this period; the model needs at "
            f"least {MIN_REPEAT_CUSTOMERS}.",
            repeat_customers=repeat,
            needed=MIN_REPEAT_CUSTOMERS,
        )
    bgnbd, penalizer = _penalised(fit_bgnbd, x, tx, age)
    gamma_gamma, spend_penalizer = _penalised(fit_gamma_gamma, x[paying], spend[paying])
    if gamma_gamma.q <= 1:
        raise ModelDidNotConverge(
            "The spend of these customers varies too much for a mean spend per purchase "
            "(Gamma-Gamma q ≤ 1).",
        )
    months = max(1, round(horizon_days / DAYS_PER_MONTH))
    alive = probability_alive(bgnbd, x, tx, age)
    expected = expected_purchases(bgnbd, horizon_days, x, tx, age)
    average = expected_average_value(gamma_gamma, x, spend)
    value: NDArray[np.float64] = lifetime_value(
        bgnbd,
        gamma_gamma,
        x,
        tx,
        age,
        spend,
        months=months,
        discount_rate=discount_rate,
        periods_per_month=DAYS_PER_MONTH,
    )
    if not (np.isfinite(value).all() and np.isfinite(expected).all()):
        # A guard, not an expected path: the formulas are kept finite (bgnbd.py); should
        # one still not be, the view says the model failed rather than answering a 500.
        raise ModelDidNotConverge("The model gives no finite value for some customers.")
    rows = [
        CustomerValueRow(
            customer_ref=str(ref),
            frequency=int(x[n]),
            recency=float(tx[n]),
            age=float(age[n]),
            monetary_minor=float(spend[n]),
            p_alive=float(alive[n]),
            expected_purchases=float(expected[n]),
            expected_average_minor=float(average[n]),
            clv_minor=round(float(value[n])),
        )
        for n, ref in enumerate(history.customers)
    ]
    rows.sort(key=lambda row: (-row.clv_minor, row.customer_ref))
    total = sum(row.clv_minor for row in rows)
    return CustomerValue(
        start=scope.start,
        end=scope.end,
        horizon_days=horizon_days,
        currency=currency,
        customers=len(rows),
        repeat_customers=repeat,
        bgnbd=bgnbd,
        penalizer=penalizer,
        gamma_gamma=gamma_gamma,
        spend_penalizer=spend_penalizer,
        rows=tuple(rows),
        expected_purchases=float(expected.sum()),
        total_clv_minor=total,
        mean_clv_minor=total / len(rows),
        mean_p_alive=float(alive.mean()),
    )


def _month(day: date) -> int:
    return day.year * 12 + day.month - 1


def retention_cohorts(session: Session, scope: Scope) -> list[Cohort]:
    """The scope's recognised customers by the month of their first purchase in it, and how
    many of each cohort bought in each later month up to the scope's last (a month still
    running counts its days so far)."""
    months: dict[str, set[int]] = defaultdict(set)
    for purchase in measures.purchases(session, scope):
        months[purchase.customer_ref].add(_month(purchase.day))
    last = _month(scope.end)
    cohorts: dict[int, list[set[int]]] = defaultdict(list)
    for bought in months.values():
        cohorts[min(bought)].append(bought)
    out = []
    for first in sorted(cohorts):
        members = cohorts[first]
        returning = tuple(
            sum(1 for bought in members if first + k in bought) for k in range(1, last - first + 1)
        )
        out.append(
            Cohort(
                month=date(first // 12, first % 12 + 1, 1),
                customers=len(members),
                returning=returning,
                shares=tuple(n / len(members) for n in returning),
            )
        )
    return out


def _mean_scores(scores: Sequence[tuple[int, int, int]]) -> tuple[float, float, float] | None:
    if not scores:
        return None
    recency, frequency, monetary = (sum(s[n] for s in scores) / len(scores) for n in range(3))
    return (recency, frequency, monetary)


@dataclass
class _Buyer:
    last: date
    orders: int = 0
    spent: int = 0


def rfm_segments(session: Session, scope: Scope) -> list[RfmSegment]:
    """The scope's recognised customers scored on recency (days from their last purchase to
    the scope's last day), frequency (orders) and monetary value (total spent) by quintiles,
    and counted in the segments of :data:`RFM_SEGMENTS`, every segment listed."""
    currency, bought = _one_currency(measures.purchases(session, scope))
    buyers: dict[str, _Buyer] = {}
    for purchase in bought:
        buyer = buyers.setdefault(purchase.customer_ref, _Buyer(last=purchase.day))
        buyer.last = max(buyer.last, purchase.day)
        buyer.orders += 1
        buyer.spent += purchase.total_minor
    refs = sorted(buyers)
    scores: dict[str, tuple[int, int, int]] = {}
    members: dict[str, list[str]] = defaultdict(list)
    if refs:
        recency = quintile_scores(
            [(scope.end - buyers[ref].last).days for ref in refs], higher_is_better=False
        )
        frequency = quintile_scores([buyers[ref].orders for ref in refs])
        monetary = quintile_scores([buyers[ref].spent for ref in refs])
        for ref, r, f, m in zip(refs, recency, frequency, monetary, strict=True):
            scores[ref] = (r, f, m)
            members[rfm_segment_of(r, f).code].append(ref)
    out = []
    for rule in RFM_SEGMENTS:
        chosen = sorted(members[rule.code], key=lambda ref: (-buyers[ref].spent, ref))
        orders = sum(buyers[ref].orders for ref in chosen)
        revenue = sum(buyers[ref].spent for ref in chosen)
        out.append(
            RfmSegment(
                code=rule.code,
                name=rule.name,
                rule=rule.rule,
                customers=len(chosen),
                share=len(chosen) / len(refs) if refs else None,
                orders=orders,
                revenue_minor=revenue,
                mean_basket_minor=revenue / orders if orders else None,
                currency=currency,
                mean_scores=_mean_scores([scores[ref] for ref in chosen]),
                examples=tuple(chosen[:EXAMPLES]),
            )
        )
    return out
