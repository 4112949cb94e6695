"""The back office's KPI pages and the store manager's page: the figures they show are the
measures' for the same scope, the filters narrow them, every table behind a chart exports
as CSV and Parquet that read back, a bad filter gets a French page with a 4xx, and the
role matrix holds (a clerk is refused, a manager sees their own store only, head office
any). The charts' geometry, the way values are written and the filters are tested alone,
without a database."""

from __future__ import annotations

import codecs
import csv
import html
import io
import re
from dataclasses import dataclass
from datetime import UTC, date, timedelta
from typing import Any

import pyarrow.parquet as pq
import pytest
from fastapi.testclient import TestClient

from omnicanal.analytics import measures, pilots
from omnicanal.analytics.kpis import Figure, Scope
from omnicanal.analytics.metrics import metric
from omnicanal.analytics.pilot_schemas import PilotIn
from omnicanal.platform.actors import Actor
from omnicanal.platform.clock import utcnow
from omnicanal.platform.wiring import Platform
from omnicanal.web.admin.common import project
from omnicanal.web.admin.kpi_charts import (
    bar_chart,
    column_chart,
    heat_level,
    histogram,
    line_chart,
    map_dots,
    shade,
)
from omnicanal.web.admin.kpi_filters import FilterRefused, read_filters
from omnicanal.web.admin.kpi_month import month_scopes
from omnicanal.web.admin.kpi_operations import LATE_PICKUP_SECONDS
from omnicanal.web.admin.kpi_panels import codes_of
from omnicanal.web.admin.kpi_values import Reader
from omnicanal.web.admin.kpis import EXPORTS, week_codes
from omnicanal.web.i18n import load_translations
from tests.analytics.kpi_history import feed, fulfilment, placed
from tests.analytics.pilot_builders import START, flat, identification_history, make_stores
from tests.builders import auth
from tests.conftest import restored_world
from tests.orders.builders import CAPTURED, checkout_body, line, make_shop
from tests.web.test_french_pages import english_words
from tests.web.test_store_pages import make_staff, sign_in

FRENCH = Reader(language="fr", gettext=load_translations()["fr"].gettext)
ENGLISH = Reader(language="en", gettext=load_translations()["en"].gettext)


# --- the charts, the values and the filters, alone ------------------------------------------


def test_a_line_breaks_where_a_day_has_no_value_and_dots_each_day_with_its_value():
    days = [date(2026, 3, 2) + timedelta(days=n) for n in range(4)]

    chart = line_chart(days, [("", "Commandes", [1.0, None, 3.0, 2.0])], label=str, language="fr")

    (line_,) = chart.lines
    assert len(line_.paths) == 2 and len(line_.paths[0].split()) == 1
    assert [marker.title for marker in line_.markers] == [
        "Commandes · lundi 2 mars 2026 : 1.0",
        "Commandes · mercredi 4 mars 2026 : 3.0",
        "Commandes · jeudi 5 mars 2026 : 2.0",
    ]
    highest = min(marker.y for marker in line_.markers)
    assert highest == chart.top and [tick.text for tick in chart.y_ticks] == ["0.0", "1.5", "3.0"]
    assert [tick.text for tick in chart.x_ticks] == ["2 mars", "3 mars", "4 mars", "5 mars"]


def test_a_chart_without_any_value_says_it_is_empty():
    days = [date(2026, 3, 2), date(2026, 3, 3)]

    assert line_chart(days, [("", "x", [None, None])], label=str, language="fr").empty
    assert column_chart([("lundi", "2 mars", None)], label=str).empty
    assert bar_chart([("Lyon", None)], label=str).empty


def test_columns_reach_the_top_for_the_highest_value_and_hang_below_zero_when_negative():
    chart = column_chart([("a", "a", 4.0), ("b", None, -2.0), ("c", "c", None)], label=str)

    tall, below, missing = chart.columns
    assert tall.y == chart.top and tall.y + tall.height == chart.zero
    assert (
        below.negative
        and below.y == chart.zero
        and below.height == pytest.approx(tall.height / 2, abs=0.1)
    )
    assert missing.height == 0 and missing.title == "c : None" and below.tick is None


def test_bars_grow_from_a_zero_line_that_moves_right_for_negative_values():
    positive = bar_chart([("Lyon", 10.0), ("Paris", 5.0)], label=str)
    mixed = bar_chart([("Lyon", 10.0), ("Paris", -10.0)], label=str)

    assert positive.zero == positive.label_width
    assert positive.bars[1].width == pytest.approx(positive.bars[0].width / 2, abs=0.1)
    assert mixed.zero > mixed.label_width
    assert mixed.bars[1].negative and mixed.bars[1].x + mixed.bars[1].width == mixed.zero


def test_a_store_is_shaded_by_the_third_of_the_ranking_and_the_metrics_good_direction():
    values = [0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7]

    assert [shade(v, values, "up") for v in (0.7, 0.4, 0.1)] == ["good", "middle", "bad"]
    assert [shade(v, values, "down") for v in (0.7, 0.4, 0.1)] == ["bad", "middle", "good"]
    assert shade(0.3, values, "none") == "plain" and shade(None, values, "up") == "none"
    assert shade(0.5, [0.5, 0.5], "up") == "plain"


def test_the_map_places_the_stores_it_can_and_leaves_out_those_without_a_place():
    dots = map_dots(
        [("LYON", "Lyon", 45.76, 4.84), ("NOWHERE", "Nulle part", None, None)],
        {"LYON": 0.25},
        better="up",
        label=FRENCH.label("ratio"),
        project=project,
    )

    (lyon,) = dots
    assert (lyon.code, lyon.text, lyon.shade) == ("LYON", "25,0\u00a0%", "plain")
    assert project(45.76, 4.84) == type(project(45.76, 4.84))(x=lyon.x, y=lyon.y)


def test_a_heat_map_shades_from_light_to_dark_and_a_histogram_counts_each_class():
    assert [heat_level(v, 0.5) for v in (0.0, 0.1, 0.25, 0.5, None)] == [0, 1, 3, 5, None]
    assert heat_level(0.3, 0.0) == 0

    classes = histogram([0, 10, 10, 55, 100], bins=4)

    assert [count for _, _, count in classes] == [3, 0, 1, 1]
    assert (classes[0][0], classes[-1][1]) == (0, 100)
    assert histogram([], bins=4) == [] and histogram([7, 7], bins=4) == [(7, 7, 2)]


@pytest.mark.parametrize(
    ("value", "unit", "french", "english"),
    [
        (0.1234, "ratio", "12,3\u00a0%", "12.3%"),
        (4990, "money", "49,90\u00a0€", "€49.90"),
        (1234567, "count", "1\u202f234\u202f567", "1,234,567"),
        (2.5, "seconds", "2,5 s", "2.5 s"),
        (245, "seconds", "4 min 05 s", "4 min 05 s"),
        (11_100, "seconds", "3 h 05 min", "3 h 05 min"),
        (3.25, "days", "3,2 j", "3.2 d"),
        (2.456, "units", "2,46", "2.46"),
        (-12, "score", "-12", "-12"),
        (None, "ratio", "—", "—"),
    ],
)
def test_a_value_is_written_by_its_unit_the_way_each_language_writes_it(
    value, unit, french, english
):
    assert FRENCH.value(value, unit, "EUR") == french
    assert ENGLISH.value(value, unit, "EUR") == english


def test_a_change_reads_in_points_for_a_share_and_in_percent_otherwise_judged_by_direction():
    share = FRENCH.delta(0.30, 0.25, "ratio", "up")
    wait = FRENCH.delta(600, 400, "seconds", "down")
    flat_ = FRENCH.delta(5, 5, "count", "up")
    from_zero = FRENCH.delta(5, 0, "count", "up")

    assert (share.text, share.arrow, share.judgement) == ("+5,0 pt", "▲", "good")
    assert (wait.text, wait.arrow, wait.judgement, wait.words) == (
        "+50,0\u00a0%",
        "▲",
        "bad",
        "en hausse, en moins bien",
    )
    assert (flat_.direction, flat_.judgement) == ("flat", "neutral")
    assert from_zero.text == "—" and from_zero.direction == "up"
    assert FRENCH.delta(None, 3, "count", "up").direction == "none"


TODAY = date(2026, 3, 9)


def test_the_filters_take_a_preset_or_typed_days_a_store_a_channel_and_a_segment():
    preset = read_filters({"days": "28"}, today=TODAY, stores=["LYON"])
    typed = read_filters(
        {"from": "2026-03-01", "to": "2026-03-03", "store": "LYON", "channel": "web",
         "segment": "recognised"},
        today=TODAY,
        stores=["LYON"],
    )  # fmt: skip
    default = read_filters({}, today=TODAY, stores=[])

    assert (preset.start, preset.end, preset.days) == (date(2026, 2, 10), TODAY, 28)
    assert typed.scope == Scope(
        start=date(2026, 3, 1),
        end=date(2026, 3, 3),
        stores=("LYON",),
        channels=("web",),
        segment="recognised",
    )
    assert typed.days is None and typed.query() == (
        "from=2026-03-01&to=2026-03-03&store=LYON&channel=web&segment=recognised"
    )
    assert (default.start, default.length) == (date(2026, 3, 3), 7)
    assert default.before().end == date(2026, 3, 2) and default.before().length == 7


@pytest.mark.parametrize(
    ("params", "problem"),
    [
        ({"days": "8"}, "bad_period"),
        ({"days": "9" * 40}, "bad_period"),
        ({"from": "banane"}, "bad_date"),
        ({"from": "9999-01-01"}, "bad_date"),
        ({"from": "2026-03-05", "to": "2026-03-01"}, "period_reversed"),
        ({"from": "2024-01-01", "to": "2026-03-01"}, "period_too_long"),
        ({"store": "NOPE"}, "unknown_choice"),
        ({"channel": "pigeon"}, "unknown_choice"),
        ({"segment": "vip"}, "unknown_choice"),
    ],
)
def test_a_filter_that_is_not_one_is_refused_with_what_was_wrong(params, problem):
    with pytest.raises(FilterRefused) as refused:
        read_filters(params, today=TODAY, stores=["LYON"])

    assert refused.value.problem == problem
    assert len(refused.value.value) <= 60


def test_a_period_is_cut_into_its_calendar_months():
    months = month_scopes(Scope(start=date(2026, 1, 15), end=date(2026, 3, 9), stores=("L",)))

    assert [(m.start, m.end) for m in months] == [
        (date(2026, 1, 15), date(2026, 1, 31)),
        (date(2026, 2, 1), date(2026, 2, 28)),
        (date(2026, 3, 1), date(2026, 3, 9)),
    ]
    assert {m.stores for m in months} == {("L",)}


# --- the pages, on a real database --------------------------------------------------------


@dataclass(frozen=True)
class World:
    """make_shop's network (LYON-01, PARIS-01, a warehouse, an outlet); today: a web order
    shipped for a recognised customer, a pickup at Lyon made ready, a till sale at Paris; a
    head-office member, a Lyon manager and a Lyon clerk."""

    today: date
    pickup_order: str


def _build(platform: Platform, client: TestClient) -> World:
    shop = make_shop(platform)
    bodies = [
        (checkout_body(line(shop.robe, 2), customer_ref="email:ines@exemple.fr"), shop.web),
        (checkout_body(line(shop.jean, 1, "pickup", location="LYON-01")), shop.web),
        ({"lines": [line(shop.pull, 1)], "payment": CAPTURED}, shop.paris),
    ]
    placed_orders = []
    for body, key in bodies:
        response = client.post("/v1/orders", json=body, headers=auth(key))
        assert response.status_code == 201, response.text
        placed_orders.append(response.json())
    pickup = placed_orders[1]["fulfilments"][0]["id"]
    for verb in ("pick", "ready"):
        moved = client.post(f"/v1/fulfilments/{pickup}/{verb}", headers=auth(shop.lyon))
        assert moved.status_code == 200, moved.text
    platform.relay().drain()
    make_staff(platform, "hugo@example.fr", role="head_office", location=None)
    make_staff(platform, "manon@example.fr", role="store_manager", location="LYON-01")
    make_staff(platform, "lea@example.fr", role="clerk", location="LYON-01")
    today = utcnow().astimezone(platform.settings.business_zone).date()
    return World(today=today, pickup_order=placed_orders[1]["id"])


@pytest.fixture
def world(platform, client, request) -> World:  # type: ignore[no-untyped-def]
    return restored_world(request, platform, lambda: _build(platform, client))


def shown(page: str) -> dict[str, list[str]]:
    """The cells of each metric's row of a page's figure tables: the value, the value
    compared, the change (its words hidden)."""
    rows = {}
    for code, row in re.findall(r'<tr data-metric="([a-z_]+)">(.*?)</tr>', page, re.S):
        cells = re.findall(r'<td class="num">(.*?)</td>', row, re.S)
        rows[code] = [html.unescape(re.sub(r"<[^>]+>", "", cell)).strip() for cell in cells]
    return rows


def expected(platform: Platform, scope: Scope, codes: list[str]) -> dict[str, str]:
    with platform.db.reading() as session:
        found = measures.figures(session, scope, codes)
    return {f.metric: FRENCH.value(f.value, _unit(f), f.currency) for f in found}


def _unit(figure: Figure) -> Any:
    return metric(figure.metric).unit


def test_the_week_shows_the_measures_figures_and_those_of_the_week_before(world, platform, client):
    """Every North Star and commerce figure of the page is the measures' for the last 7
    days, written in French; beside it, the 7 days before."""
    sign_in(client, "hugo@example.fr")

    page = client.get("/admin/kpis/week")

    assert page.status_code == 200
    north, commerce = week_codes()
    scope = Scope(start=world.today - timedelta(days=6), end=world.today)
    rows = shown(page.text)
    now = expected(platform, scope, [*north, *commerce])
    before = expected(platform, scope.before(), [*north, *commerce])
    assert {code: cells[0] for code, cells in rows.items()} == now
    assert {code: cells[1] for code, cells in rows.items()} == before
    assert rows["orders"][0] == "3" and rows["sales"][0] != "—"
    assert "Pas encore de données sur la période" in page.text or rows


def test_a_store_and_a_channel_narrow_the_week_to_their_figures(world, platform, client):
    sign_in(client, "hugo@example.fr")

    page = client.get("/admin/kpis/week", params={"store": "PARIS-01", "days": "28"})
    web = client.get("/admin/kpis/week", params={"channel": "web"})

    north, commerce = week_codes()
    paris = Scope(start=world.today - timedelta(days=27), end=world.today, stores=("PARIS-01",))
    assert {c: cells[0] for c, cells in shown(page.text).items()} == expected(
        platform, paris, [*north, *commerce]
    )
    assert shown(page.text)["orders"][0] == "1" and shown(web.text)["orders"][0] == "2"
    assert 'value="PARIS-01" selected' in page.text


def test_each_figure_has_its_definition_next_to_it_and_no_raw_code(world, client):
    sign_in(client, "hugo@example.fr")

    page = client.get("/admin/kpis/week", params={"metric": "sales", "by": "channel"})

    assert page.text.count('<details class="definition">') >= len(
        [*week_codes()[0], *week_codes()[1]]
    )
    assert "Formule" in page.text and "Population" in page.text and "Fenêtre" in page.text
    visible = re.sub(r"<[^>]+>", " ", re.sub(r'"[^"]*"', "", page.text))
    assert not re.search(r"\b(average_basket|click_and_collect_share|pickup_wait)\b", visible)
    assert f"Jour par jour : {metric('sales').name}" in html.unescape(page.text)


def _read_csv(body: bytes) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(codecs.decode(body, "utf-8-sig"))))


EXPORT_PARAMS = {
    "daily": {"metric": "orders", "by": "channel"},
    "map": {"map": "orders"},
}


# A pilot's days need a pilot: the pilot page's test reads that file back.
@pytest.mark.parametrize("name", sorted(set(EXPORTS) - {"pilot"}))
def test_every_table_behind_a_chart_exports_as_csv_and_parquet_that_read_back(world, client, name):
    """The same rows in both files, the columns the table declares."""
    sign_in(client, "hugo@example.fr")
    params = {**EXPORT_PARAMS.get(name, {}), "days": "28"}

    as_csv = client.get(f"/admin/kpis/export/{name}.csv", params=params)
    as_parquet = client.get(f"/admin/kpis/export/{name}.parquet", params=params)

    assert as_csv.status_code == as_parquet.status_code == 200, as_csv.text
    assert as_csv.headers["content-type"].startswith("text/csv")
    assert as_parquet.headers["content-type"] == "application/vnd.apache.parquet"
    assert f'filename="kpi-{name}-' in as_csv.headers["content-disposition"]
    rows = _read_csv(as_csv.content)
    table = pq.read_table(io.BytesIO(as_parquet.content))
    assert table.num_rows == len(rows)
    header = next(csv.reader(io.StringIO(codecs.decode(as_csv.content, "utf-8-sig"))))
    assert table.column_names == header


def test_the_exported_figures_are_those_the_page_shows(world, platform, client):
    sign_in(client, "hugo@example.fr")

    rows = _read_csv(client.get("/admin/kpis/export/week-commerce.csv").content)
    table = pq.read_table(
        io.BytesIO(client.get("/admin/kpis/export/week-commerce.parquet").content)
    ).to_pylist()

    scope = Scope(start=world.today - timedelta(days=6), end=world.today)
    with platform.db.reading() as session:
        figures = {f.metric: f for f in measures.figures(session, scope, week_codes()[1])}
    assert [row["metric"] for row in rows] == week_codes()[1]
    for row, typed in zip(rows, table, strict=True):
        figure = figures[row["metric"]]
        assert typed["value"] == figure.value
        assert row["value"] == ("" if figure.value is None else repr(float(figure.value)))
        assert (row["start"], row["end"]) == (scope.start.isoformat(), scope.end.isoformat())
        assert typed["start"] == scope.start


@pytest.mark.parametrize(
    ("path", "status", "words"),
    [
        ("/admin/kpis/week?days=8", 400, "n\u2019est pas une période"),
        ("/admin/kpis/week?from=banane", 400, "n\u2019est pas une date"),
        ("/admin/kpis/week?from=2026-03-05&to=2026-03-01", 400, "inversez les dates"),
        ("/admin/kpis/week?from=1800-01-01", 400, "n\u2019est pas une date"),
        ("/admin/kpis/week?store=NOPE", 400, "ne fait pas partie des choix de « Magasin »"),
        ("/admin/kpis/week?metric=nope", 400, "« Indicateur »"),
        ("/admin/kpis/week?by=colour", 400, "« Découpage »"),
        ("/admin/kpis/month?months=5", 400, "choisissez 3, 6 ou 12"),
        ("/admin/kpis/month?map=nope", 400, "« Indicateur de la carte »"),
        ("/admin/kpis/operations?store=" + "X" * 500, 400, "« Magasin »"),
        ("/admin/kpis/export/nope.csv", 400, "n\u2019est pas un tableau"),
        ("/admin/kpis/export/daily.xlsx", 400, "« Format »"),
        ("/admin/kpis/pilots/01NOPE", 404, "Pilote inconnu"),
    ],
)
def test_a_bad_filter_gets_a_french_page_and_a_4xx_never_a_500(world, client, path, status, words):
    sign_in(client, "hugo@example.fr")

    page = client.get(path)

    assert page.status_code == status
    assert page.headers["content-type"].startswith("text/html")
    assert words in html.unescape(page.text)


@pytest.mark.parametrize("email", ["lea@example.fr", "manon@example.fr"])
@pytest.mark.parametrize(
    "path",
    [
        "/admin/kpis/week",
        "/admin/kpis/month",
        "/admin/kpis/operations",
        "/admin/kpis/operations/live",
        "/admin/kpis/export/week-commerce.csv",
    ],
)
def test_store_staff_are_refused_the_back_office_figures(world, client, email, path):
    sign_in(client, email)

    page = client.get(path)

    assert page.status_code == 403
    assert "réservé" in page.text or "siège" in page.text


def test_the_live_part_alone_shows_the_pickup_waiting_and_is_never_cached(world, client):
    sign_in(client, "hugo@example.fr")

    live = client.get("/admin/kpis/operations/live")
    paris = client.get("/admin/kpis/operations/live", params={"store": "PARIS-01"})

    assert live.status_code == 200 and live.headers["cache-control"] == "no-store"
    assert "<html" not in live.text and world.pickup_order in live.text
    assert re.search(r'id="pickups-waiting">1<', live.text)
    assert world.pickup_order not in paris.text and "Aucun retrait en attente." in paris.text


def test_the_operations_page_draws_the_live_part_and_loads_its_script(world, client):
    sign_in(client, "hugo@example.fr")

    page = client.get("/admin/kpis/operations", params={"store": "LYON-01"})

    assert page.status_code == 200
    assert '<script src="/static/kpis.js" defer></script>' in page.text
    assert 'data-live="/admin/kpis/operations/live?store=LYON-01"' in page.text
    assert world.pickup_order in page.text and "<script>" not in page.text
    assert client.get("/static/kpis.js").status_code == 200


def test_a_pickup_ready_for_more_than_a_day_is_shown_late(platform, client):
    """Ready 25 hours ago and not collected: its row is red and says so."""
    ready = utcnow() - timedelta(seconds=LATE_PICKUP_SECONDS + 3600)
    moment = ready.astimezone(UTC).replace(tzinfo=None).isoformat(timespec="minutes")
    make_stores(platform, "LYON")
    feed(
        platform,
        placed("o-late", moment, lines=(("SKU-1", 1, "pickup", "LYON"),)),
        fulfilment("ready_for_pickup", "f-late", "o-late", moment, location="LYON"),
    )
    make_staff(platform, "hugo@example.fr", role="head_office", location=None)
    sign_in(client, "hugo@example.fr")

    live = client.get("/admin/kpis/operations/live").text

    assert re.search(r'<tr class="late">\s*<th scope="row"><a href="/admin/orders/o-late">', live)
    # The moment is given to the minute: by the page's time, 25 h 00 or, a minute turning
    # meanwhile, 25 h 01.
    assert re.search(r'<span class="late">\(le plus ancien depuis 25 h 0[01] min\)</span>', live)


def test_the_month_shows_each_months_figures_and_the_customer_sections(world, platform, client):
    sign_in(client, "hugo@example.fr")

    page = client.get("/admin/kpis/month", params={"months": "3"})

    assert page.status_code == 200
    text = html.unescape(page.text)
    for title in (
        "Mois par mois",
        "Cohortes de rétention",
        "Segments RFM",
        "Valeur client",
        "Magasins pilotes",
        "Stock par magasin",
        "Les magasins sur la carte",
    ):
        assert title in text, title
    assert "Pas encore assez d\u2019historique" in text
    this_month = Scope(start=world.today.replace(day=1), end=world.today)
    orders = expected(platform, this_month, ["orders"])["orders"]
    cells = shown(page.text)["orders"]
    assert cells[-1] == orders == "3" and len(cells) == 3
    assert '<circle cx="' in page.text and 'class="shade-' in page.text


HEAD_OFFICE = Actor(
    key_id="01HEADOFFICE0000000000000", channel="back_office", scopes=frozenset({"analytics:write"})
)


def test_a_pilots_page_shows_its_verdict_and_its_stores_days_against_the_controls(platform, client):
    """The identification pilot, +10 points against flat controls: a success, its chart,
    its days as a file."""
    make_stores(platform, "P1", "C1", "C2")
    identification_history(platform, "P1", flat(0.50) + flat(0.60))
    for store in ("C1", "C2"):
        identification_history(platform, store, flat(0.40, 56))
    with platform.db.transaction() as session:
        made = pilots.create_pilot(
            session,
            PilotIn.model_validate(
                {
                    "code": "scan-carte",
                    "name": "Scan de la carte en caisse",
                    "preset": "customer_identification",
                    "stores": ["P1"],
                    "controls": ["C1", "C2"],
                    "start": START,
                }
            ),
            actor=HEAD_OFFICE,
        )
    make_staff(platform, "hugo@example.fr", role="head_office", location=None)
    sign_in(client, "hugo@example.fr")

    page = client.get(f"/admin/kpis/pilots/{made.id}")
    month = client.get("/admin/kpis/month")
    days = client.get("/admin/kpis/export/pilot.csv", params={"pilot": made.id})

    text = html.unescape(page.text)
    assert page.status_code == 200 and "Réussite" in text and "+10,0 pt" in text
    assert "Magasin P1 (P1)" in text and "Magasin C2 (C2)" in text
    assert 'aria-labelledby="pilot-chart"' in page.text
    assert f'href="/admin/kpis/pilots/{made.id}">Scan de la carte en caisse</a>' in month.text
    rows = _read_csv(days.content)
    assert len(rows) == 56 and float(rows[-1]["pilot_stores"]) == pytest.approx(0.60)


# --- the store manager's page ---------------------------------------------------------------


def test_a_store_manager_sees_their_store_beside_the_chain(world, platform, client):
    sign_in(client, "manon@example.fr")

    page = client.get("/store/kpis")

    assert page.status_code == 200
    scope = Scope(start=world.today - timedelta(days=6), end=world.today, stores=("LYON-01",))
    codes = codes_of("week", [*week_codes()[0], *week_codes()[1]], dimension="store")
    rows = shown(page.text)
    assert {c: cells[0] for c, cells in rows.items()} == expected(platform, scope, codes)
    chain = Scope(start=scope.start, end=scope.end)
    assert {c: cells[1] for c, cells in rows.items()} == expected(platform, chain, codes)
    assert rows["orders"][:2] == ["1", "3"]
    assert rows["orders"][2].startswith("33,3\u00a0% de l\u2019enseigne")
    assert 'href="/store/kpis"' in page.text and '<details class="definition">' in page.text


def test_a_store_manager_cannot_read_another_stores_figures(world, client):
    sign_in(client, "manon@example.fr")

    page = client.get("/store/kpis", params={"store": "PARIS-01"})
    export = client.get("/store/kpis/export/store-vs-chain.csv", params={"store": "PARIS-01"})

    assert page.status_code == export.status_code == 403
    assert "Ces chiffres sont ceux du magasin PARIS-01" in html.unescape(page.text)


def test_a_clerk_is_refused_the_store_figures(world, client):
    sign_in(client, "lea@example.fr")

    page = client.get("/store/kpis")
    export = client.get("/store/kpis/export/store-vs-chain.csv")

    assert page.status_code == export.status_code == 403
    assert "réservée aux responsables de magasin" in html.unescape(page.text)
    assert 'href="/store/kpis"' not in page.text


def test_head_office_picks_any_store_and_its_file_reads_back(world, platform, client):
    sign_in(client, "hugo@example.fr")

    page = client.get("/store/kpis", params={"store": "PARIS-01"})
    unknown = client.get("/store/kpis", params={"store": "NOPE"})
    export = client.get("/store/kpis/export/store-vs-chain.parquet", params={"store": "PARIS-01"})
    daily = client.get(
        "/store/kpis/export/daily.csv", params={"store": "PARIS-01", "metric": "orders"}
    )

    assert page.status_code == 200 and shown(page.text)["orders"][:2] == ["1", "3"]
    assert unknown.status_code == 400
    table = pq.read_table(io.BytesIO(export.content)).to_pylist()
    orders = next(row for row in table if row["metric"] == "orders")
    assert (orders["value"], orders["compared_value"]) == (1, 3)
    days = _read_csv(daily.content)
    assert len(days) == 7 and days[-1]["day"] == world.today.isoformat()
    assert (days[-1]["store_value"], days[-1]["chain_value"]) == ("1.0", "3.0")


def test_a_manager_downloads_their_stores_table(world, client):
    sign_in(client, "manon@example.fr")

    rows = _read_csv(client.get("/store/kpis/export/store-vs-chain.csv").content)

    orders = next(row for row in rows if row["metric"] == "orders")
    assert (orders["value"], orders["compared_value"]) == ("1.0", "3.0")


def test_the_pages_read_french_with_their_figures(world, client):
    """With figures in every table and chart: no English word, no raw code, no "UTC" (the
    builders' store names, "Store LYON-01", are data, not words of the page)."""
    sign_in(client, "hugo@example.fr")
    paths = [
        "/admin/kpis/week",
        "/admin/kpis/week?metric=orders&by=store",
        "/admin/kpis/month",
        "/admin/kpis/operations",
        "/admin/kpis/operations/live",
        "/store/kpis?store=LYON-01",
    ]

    found = {}
    for path in paths:
        page = client.get(path)
        assert page.status_code == 200, path
        text = re.sub(r"Store (LYON|PARIS)-01", "Magasin", page.text)
        if words := english_words(text):
            found[path] = words

    assert found == {}
