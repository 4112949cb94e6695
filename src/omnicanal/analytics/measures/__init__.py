"""The figures of the metrics over a scope, from the facts the consumer keeps (ADR 0039).

- **Additive metrics** (most of them) are a sum of ``kpi_daily`` measures over another: one
  query reads every measure a call needs, grouped by measure and segment (and by day or by
  a dimension for a series or a breakdown), with whether each group is in the scope's
  stores and channels; each metric then keeps the groups its dimensions filter.
- **Order metrics** (purchase frequency, retention, churn, contribution margin) read
  ``kpi_orders``; **stock metrics** (sell-through, stock cover) add ``kpi_stock`` now to the
  units sold in the scope.
- **Identity metrics** divide the customers module's counts
  (:func:`omnicanal.customers.measures.identity_counts`); **NPS and CSAT** the survey
  answers' (:func:`omnicanal.analytics.surveys.survey_counts`), CSAT with the satisfaction
  scores given at the end of a return.

A figure whose denominator is 0 has the value None. A filter a metric has no dimension for
is left out of its figure, which says so (``Figure.scoped`` false).
"""

from __future__ import annotations

from omnicanal.analytics.measures.figures import breakdown, daily_values, figures, series
from omnicanal.analytics.measures.live import (
    HOUR,
    WAITING_SHOWN,
    Operations,
    WaitingPickup,
    operations,
)
from omnicanal.analytics.measures.rows import Place, Purchase, places, purchases

__all__ = [
    "HOUR",
    "WAITING_SHOWN",
    "Operations",
    "Place",
    "Purchase",
    "WaitingPickup",
    "breakdown",
    "daily_values",
    "figures",
    "operations",
    "places",
    "purchases",
    "series",
]
