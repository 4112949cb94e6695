"""``omnicanal kpi``: the figures as a table, CSV or JSON equal to the measures, the catalogue
and its page (docs/kpis.md), the replay of the event log, customer value, cohorts, RFM."""

from __future__ import annotations

import csv
import io
import json
from datetime import date, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

from sqlalchemy import delete
from typer.testing import CliRunner

from omnicanal.analytics import measures
from omnicanal.analytics.kpis import Scope
from omnicanal.analytics.metrics import METRICS
from omnicanal.analytics.metrics_page import REGENERATE, metrics_markdown
from omnicanal.analytics.models import DailyMeasure, OrderFact
from omnicanal.cli.kpi import format_value
from omnicanal.cli.main import app
from omnicanal.platform.wiring import Platform
from tests.builders import auth
from tests.orders.builders import checkout_body, line, make_shop

PAGE = Path(__file__).resolve().parents[2] / "docs" / "kpis.md"


def _cli(platform: Platform, *args: str):  # type: ignore[no-untyped-def]
    env = {
        "OMNICANAL_DATABASE_URL": platform.settings.resolved_database_url(),
        "OMNICANAL_DATA_DIR": str(platform.settings.data_dir),
        "COLUMNS": "200",
    }
    return CliRunner().invoke(app, ["kpi", *args], env=env)


def _today(platform: Platform) -> date:
    return datetime.now(ZoneInfo(platform.settings.business_time_zone)).date()


def _trade(platform: Platform, client) -> None:  # type: ignore[no-untyped-def]
    """Three web orders: two dresses for a known customer, jeans collected at Lyon, a
    jumper collected at Paris."""
    shop = make_shop(platform)
    for body in (
        checkout_body(line(shop.robe, 2), customer_ref="email:ines@exemple.fr"),
        checkout_body(line(shop.jean, 1, "pickup", location="LYON-01")),
        checkout_body(line(shop.pull, 1, "pickup", location="PARIS-01")),
    ):
        assert client.post("/v1/orders", json=body, headers=auth(shop.web)).status_code == 201
    platform.relay().drain()


def _figures(platform: Platform, scope: Scope) -> list[tuple[str, float | None]]:
    with platform.db.reading() as session:
        return [(figure.metric, figure.value) for figure in measures.figures(session, scope)]


def test_the_figures_as_json_and_csv_equal_the_measures(platform, client):
    """Default period: the last 7 local days; every metric with its value and the value of
    the 7 days before, the same in JSON and CSV."""
    _trade(platform, client)
    scope = Scope(_today(platform) - timedelta(days=6), _today(platform))

    as_json = _cli(platform, "--format", "json")
    as_csv = _cli(platform, "--format", "csv")

    assert as_json.exit_code == 0, as_json.output
    rows = json.loads(as_json.output)
    assert [(row["metric"], row["value"]) for row in rows] == _figures(platform, scope)
    assert [(row["metric"], row["previous"]) for row in rows] == _figures(platform, scope.before())
    parsed = list(csv.DictReader(io.StringIO(as_csv.output)))
    assert [(row["metric"], float(row["value"]) if row["value"] else None) for row in parsed] == [
        (row["metric"], row["value"]) for row in rows
    ]


def test_the_figures_of_one_store_and_day_as_a_table(platform, client):
    """Lyon today: one order; the table names each metric with its value formatted."""
    _trade(platform, client)
    today = _today(platform).isoformat()

    result = _cli(
        platform, "--from", today, "--to", today, "--store", "LYON-01", "--metric", "orders"
    )
    as_json = _cli(
        platform,
        *("--from", today, "--to", today, "--store", "LYON-01", "--metric", "orders"),
        *("--format", "json"),
    )

    assert result.exit_code == 0, result.output
    assert METRICS["orders"].name in result.output
    assert "LYON-01" in result.output
    assert [(row["metric"], row["value"]) for row in json.loads(as_json.output)] == [("orders", 1)]


def test_a_bad_period_or_an_unknown_store_ends_with_its_code(platform):
    """The same refusals as the API, printed with their code, exit status 2."""
    backwards = _cli(platform, "--from", "2025-03-10", "--to", "2025-03-01")
    nowhere = _cli(platform, "--store", "NOWHERE")
    unknown = _cli(platform, "--metric", "happiness")

    assert (backwards.exit_code, nowhere.exit_code, unknown.exit_code) == (2, 2, 2)
    assert "invalid_period" in backwards.output
    assert "unknown_location" in nowhere.output
    assert "unknown_metric" in unknown.output


def test_values_are_formatted_by_their_unit():
    """Counts, shares, money, durations, days and scores read as people write them."""
    assert format_value(1234, "count") == "1,234"
    assert format_value(0.125, "ratio") == "12.5 %"
    assert format_value(4990.4, "money", "EUR") == "49,90 EUR"
    assert format_value(200, "seconds") == "3 min 20 s"
    assert format_value(5400, "seconds") == "1 h 30 min"
    assert format_value(4.25, "days") == "4.2 days"
    assert format_value(-12.5, "score") == "-12.5"
    assert format_value(None, "count") == "—"


def test_the_catalogue_lists_every_metric(platform):
    """``kpi metrics``: every code of the catalogue."""
    result = _cli(platform, "metrics")

    assert result.exit_code == 0, result.output
    assert all(code in result.output for code in METRICS)


def test_the_kpis_page_is_what_the_catalogue_declares():
    """docs/kpis.md is generated: regenerate it when a metric changes."""
    assert PAGE.read_text(encoding="utf-8") == metrics_markdown(), (
        f"docs/kpis.md is out of date: run `{REGENERATE}`"
    )


def test_the_cli_writes_the_kpis_page(platform, tmp_path):
    """``--markdown`` prints the page; ``--output`` writes it."""
    printed = _cli(platform, "metrics", "--markdown")
    written = _cli(platform, "metrics", "--markdown", "--output", str(tmp_path / "kpis.md"))

    assert printed.output == metrics_markdown()
    assert written.exit_code == 0, written.output
    assert (tmp_path / "kpis.md").read_text(encoding="utf-8") == metrics_markdown()
    for metric in METRICS.values():
        assert f"### {metric.code}" in printed.output


def test_rebuild_replays_the_event_log_into_emptied_tables(platform, client):
    """The facts lost, ``kpi rebuild`` puts back the same figures from the events."""
    _trade(platform, client)
    scope = Scope(_today(platform), _today(platform))
    before = _figures(platform, scope)
    with platform.db.transaction() as session:
        session.execute(delete(DailyMeasure))
        session.execute(delete(OrderFact))
    assert _figures(platform, scope) != before

    result = _cli(platform, "rebuild")

    assert result.exit_code == 0, result.output
    assert "events replayed" in result.output
    assert _figures(platform, scope) == before


def test_customer_value_cohorts_and_rfm_answer_from_the_command_line(platform, client):
    """Cohorts and RFM print their tables; customer value, with one customer, says why it
    cannot be estimated."""
    _trade(platform, client)

    cohorts = _cli(platform, "cohorts")
    rfm = _cli(platform, "rfm")
    value = _cli(platform, "value")

    assert cohorts.exit_code == 0, cohorts.output
    assert f"{_today(platform):%Y-%m}" in cohorts.output
    assert rfm.exit_code == 0, rfm.output
    assert "RFM segments" in rfm.output
    assert value.exit_code == 2
    assert "not_enough_history" in value.output
