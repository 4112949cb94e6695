"""The page docs/kpis.md, written from the catalogue of metrics: each metric's formula,
population and window as the back office shows them, so the page never says other than
the code."""

from __future__ import annotations

from omnicanal.analytics.kpis import Metric
from omnicanal.analytics.metrics import METRICS

__all__ = ["REGENERATE", "metrics_markdown"]

REGENERATE = "omnicanal kpi metrics --markdown --output docs/kpis.md"

UNITS = {
    "count": "a count",
    "ratio": "a share between 0 and 1 (shown as a percentage)",
    "money": "minor units of the currency (cents)",
    "seconds": "seconds",
    "days": "days",
    "units": "units per transaction",
    "score": "a score from -100 to 100",
}
BETTER = {"up": "higher", "down": "lower", "none": "neither way"}
RHYTHMS = {"ops": "operations (live)", "week": "week (campaigns)", "month": "month (strategy)"}

INTRODUCTION = """\
omnicanal measures the KPIs of an omnichannel programme from its own operational data: the
analytics module's consumers read every event as it arrives (orders, fulfilments, stock,
returns, carts, identities, purchase costs) and keep additive measures per local day, store,
channel and customer segment (recognised or anonymous), from which every figure below is
computed. Nothing has to be exported or refreshed; `omnicanal kpi rebuild` replays the event
log into the KPI tables after an upgrade that changes a measure.

- A day is a local day: the store's time zone, else the business's
  (`OMNICANAL_BUSINESS_TIME_ZONE`).
- A figure asked for a filter that does not apply to its metric is the chain's, and says so
  (`scoped: false`, "(chain)").
- The seeds' three rhythms: **operations** (live, `/admin/kpis/operations`), **week**
  (campaigns, `/admin/kpis/week`) and **month** (strategy, `/admin/kpis/month`); a store
  manager reads their store against the chain at `/store/kpis`.
- Read them with `omnicanal kpi [--from --to --store --channel --segment --metric]
  [--format table|csv|json]`, or `GET /v1/analytics/kpis` (scope `analytics:read`; a store's
  key reads its own store only). The definitions: `GET /v1/analytics/metrics`.
- NPS and CSAT come from the answers the survey tools post to `POST /v1/analytics/surveys`
  (scope `surveys:write`) and, for CSAT, the satisfaction given at returns. The contribution
  margin needs the SKUs' purchase costs (`PUT /v1/prices/{sku}/cost`,
  `omnicanal pricing cost SKU --cost 31.20`).

The names and definitions are those the back office shows, in French.
"""


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def _summary(metrics: list[Metric]) -> list[str]:
    lines = ["| Code | Name | Unit | Better | Views |", "| --- | --- | --- | --- | --- |"]
    for metric in metrics:
        lines.append(
            f"| [`{metric.code}`](#{metric.code}) | {_cell(metric.name)} "
            f"| {metric.unit} | {BETTER[metric.better]} "
            f"| {', '.join(metric.rhythms)} |"
        )
    return lines


def _section(metric: Metric) -> list[str]:
    return [
        f"### {metric.code}",
        "",
        f"**{metric.name}** (`{metric.code}`)",
        "",
        f"- Formula: {metric.definition}",
        f"- Population: {metric.population}",
        f"- Window: {metric.window}",
        f"- Unit: {UNITS[metric.unit]}; better: {BETTER[metric.better]}",
        f"- Views: {', '.join(RHYTHMS[rhythm] for rhythm in metric.rhythms)}",
        f"- Filters: {', '.join(metric.dimensions) or 'none (always the chain)'}",
        "",
    ]


def metrics_markdown() -> str:
    """The page: an introduction, then the North Stars and the commerce KPIs, each in a
    summary table and one section per metric."""
    stars = [metric for metric in METRICS.values() if metric.north_star]
    commerce = [metric for metric in METRICS.values() if not metric.north_star]
    lines = [
        "# KPIs",
        "",
        f"Generated from the catalogue of metrics by `{REGENERATE}`: do not edit it by hand.",
        "",
        INTRODUCTION,
    ]
    for title, group in (("North Stars", stars), ("Commerce", commerce)):
        lines += [f"## {title}", "", *_summary(group), ""]
        for metric in group:
            lines += _section(metric)
    return "\n".join(lines).rstrip("\n") + "\n"
