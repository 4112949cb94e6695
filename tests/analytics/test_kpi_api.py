"""The KPI API: the catalogue, figures beside the period before, series, breakdowns, live
operations, customer value, cohorts and RFM, as JSON or CSV; a store's key reads its own
store only; bad input is a 4xx problem that names its field."""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from omnicanal.analytics import measures
from omnicanal.analytics.kpis import Scope
from omnicanal.analytics.metrics import METRICS
from omnicanal.platform.wiring import Platform
from tests.builders import auth, make_key
from tests.conftest import restored_world
from tests.orders.builders import checkout_body, line, make_shop


@dataclass(frozen=True)
class World:
    """make_shop's network; a web order shipped, one collected at Lyon and one at Paris;
    a head-office analytics key, Lyon's till key (its default scopes) and a web shop key."""

    head_office: dict[str, str]
    lyon: dict[str, str]
    shop: dict[str, str]
    today: date


def _build(platform: Platform, client: Any) -> World:
    shop = make_shop(platform)
    orders = [
        checkout_body(line(shop.robe, 2), customer_ref="email:ines@exemple.fr"),
        checkout_body(line(shop.jean, 1, "pickup", location="LYON-01")),
        checkout_body(line(shop.pull, 1, "pickup", location="PARIS-01")),
    ]
    for body in orders:
        response = client.post("/v1/orders", json=body, headers=auth(shop.web))
        assert response.status_code == 201, response.text
    platform.relay().drain()
    return World(
        head_office=auth(make_key(platform, "web", scopes=["analytics:read"])),
        lyon=auth(shop.lyon),
        shop=auth(shop.web),
        today=datetime.now(ZoneInfo(platform.settings.business_time_zone)).date(),
    )


@pytest.fixture
def world(platform, client, request) -> World:  # type: ignore[no-untyped-def]
    return restored_world(request, platform, lambda: _build(platform, client))


def _csv(text: str) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(text)))


def _number(text: str) -> float | None:
    return None if text == "" else float(text)


def _values(figures: list[Any]) -> list[tuple[str, float | None]]:
    return [(figure.metric, figure.value) for figure in figures]


def test_the_catalogue_lists_every_metric_with_its_definition(world, client):
    """JSON and CSV list the same metrics, in the catalogue's order, with their formula."""
    listed = client.get("/v1/analytics/metrics", headers=world.head_office)
    as_csv = client.get("/v1/analytics/metrics?format=csv", headers=world.head_office)

    assert [item["code"] for item in listed.json()] == list(METRICS)
    nps = next(item for item in listed.json() if item["code"] == "nps")
    assert nps["definition"] == METRICS["nps"].definition
    assert nps["unit"] == "score" and nps["north_star"] is True
    assert as_csv.headers["content-type"].startswith("text/csv")
    assert [row["code"] for row in _csv(as_csv.text)] == list(METRICS)


def test_figures_default_to_the_last_seven_local_days_beside_the_seven_before(
    world, platform, client
):
    """No period given: today and the 6 days before, in the business's time zone; each
    figure and its previous value are the measures' over those periods."""
    response = client.get("/v1/analytics/kpis", headers=world.head_office)

    body = response.json()
    scope = Scope(world.today - timedelta(days=6), world.today)
    with platform.db.reading() as session:
        now = measures.figures(session, scope)
        before = measures.figures(session, scope.before())
    assert response.status_code == 200, response.text
    assert (body["start"], body["end"]) == (scope.start.isoformat(), scope.end.isoformat())
    assert body["previous_end"] == (scope.start - timedelta(days=1)).isoformat()
    assert [(f["metric"], f["value"]) for f in body["figures"]] == _values(now)
    assert [(f["metric"], f["previous"]) for f in body["figures"]] == _values(before)
    orders = next(f for f in body["figures"] if f["metric"] == "orders")
    assert (orders["value"], orders["previous"], orders["change"]) == (3, 0, 3)


def test_figures_are_filtered_by_store_channel_segment_and_metric(world, platform, client):
    """Two stores, the web channel, the recognised segment, two metrics: the measures'
    figures for that very scope, in the catalogue's order."""
    response = client.get(
        "/v1/analytics/kpis",
        params={
            "store": ["PARIS-01", "LYON-01"],
            "channel": "web",
            "segment": "anonymous",
            "metric": ["sales", "orders"],
            "from": world.today.isoformat(),
            "to": world.today.isoformat(),
        },
        headers=world.head_office,
    )

    scope = Scope(world.today, world.today, ("LYON-01", "PARIS-01"), ("web",), "anonymous")
    with platform.db.reading() as session:
        expected = measures.figures(session, scope, ["orders", "sales"])
    assert response.status_code == 200, response.text
    assert response.json()["stores"] == ["LYON-01", "PARIS-01"]
    assert [(f["metric"], f["value"]) for f in response.json()["figures"]] == _values(expected)
    assert response.json()["figures"][0]["value"] == 2


def test_figures_as_csv_say_what_the_json_says(world, client):
    """``Accept: text/csv`` and ``?format=csv`` give one row per figure, the same values."""
    url = "/v1/analytics/kpis?metric=orders&metric=average_basket"
    as_json = client.get(url, headers=world.head_office).json()["figures"]
    accepted = client.get(url, headers={**world.head_office, "Accept": "text/csv"})
    asked = client.get(f"{url}&format=csv", headers=world.head_office)

    assert accepted.text == asked.text
    rows = _csv(asked.text)
    assert [(row["metric"], _number(row["value"])) for row in rows] == [
        (figure["metric"], figure["value"]) for figure in as_json
    ]
    assert rows[1]["currency"] == "EUR"


def test_a_series_has_one_point_per_day_and_split_one_per_key(world, platform, client):
    """Orders over 3 days: 3 points; split by store: the measures' points, per store."""
    start = world.today - timedelta(days=2)
    params = {"from": start.isoformat(), "to": world.today.isoformat()}
    whole = client.get("/v1/analytics/kpis/orders/series", params=params, headers=world.head_office)
    split = client.get(
        "/v1/analytics/kpis/orders/series",
        params={**params, "by": "store", "format": "csv"},
        headers=world.head_office,
    )

    with platform.db.reading() as session:
        expected = measures.series(session, "orders", Scope(start, world.today), by="store")
    assert [(p["day"], p["value"]) for p in whole.json()["points"]] == [
        ((start + timedelta(days=n)).isoformat(), value) for n, value in enumerate((0, 0, 3))
    ]
    assert [(row["day"], row["key"], _number(row["value"])) for row in _csv(split.text)] == [
        (point.day.isoformat(), point.key, point.value) for point in expected
    ]


def test_a_breakdown_splits_the_figures_by_store(world, platform, client):
    """By store: the measures' breakdown, store by store."""
    response = client.get(
        "/v1/analytics/kpis/breakdown",
        params={"by": "store", "metric": ["orders", "sales"]},
        headers=world.head_office,
    )

    scope = Scope(world.today - timedelta(days=6), world.today)
    with platform.db.reading() as session:
        expected = measures.breakdown(session, scope, ["orders", "sales"], by="store")
    assert response.status_code == 200, response.text
    assert {
        group["key"]: [(f["metric"], f["value"]) for f in group["figures"]]
        for group in response.json()["groups"]
    } == {key: _values(figures) for key, figures in expected.items()}
    assert dict(_values(expected["LYON-01"]))["orders"] == 1


def test_operations_list_the_pickups_waiting_now(world, client):
    """Nothing is ready yet: no pickup waits; the outbox is drained."""
    response = client.get("/v1/analytics/operations", headers=world.head_office)

    assert response.status_code == 200, response.text
    assert response.json()["pickups"] == []
    assert response.json()["pickups_waiting"] == 0


STORE_ROUTES = [
    "/v1/analytics/kpis",
    "/v1/analytics/kpis/breakdown?by=store",
    "/v1/analytics/kpis/orders/series",
    "/v1/analytics/operations",
    "/v1/analytics/customer-value",
    "/v1/analytics/retention-cohorts",
    "/v1/analytics/rfm-segments",
]


def _with(url: str, **params: str) -> str:
    extra = "&".join(f"{name}={value}" for name, value in params.items())
    return f"{url}{'&' if '?' in url else '?'}{extra}" if extra else url


@pytest.mark.parametrize("url", STORE_ROUTES)
def test_a_stores_key_reads_its_own_store_and_never_another(world, client, url):
    """Lyon's till: no store named or its own, answered; Paris, or Paris beside Lyon, 403
    ``location_forbidden``. Head office reads Paris."""
    own = client.get(url, headers=world.lyon)
    named = client.get(_with(url, store="LYON-01"), headers=world.lyon)
    other = client.get(_with(url, store="PARIS-01"), headers=world.lyon)
    both = client.get(_with(url, store="LYON-01") + "&store=PARIS-01", headers=world.lyon)
    head_office = client.get(_with(url, store="PARIS-01"), headers=world.head_office)

    # Customer value needs more customers than this world holds: a 409 after the checks.
    allowed = {200, 409} if "customer-value" in url else {200}
    assert own.status_code in allowed and named.status_code in allowed, own.text
    assert head_office.status_code in allowed, head_office.text
    assert (other.status_code, both.status_code) == (403, 403)
    assert other.json()["code"] == both.json()["code"] == "location_forbidden"


def test_a_stores_key_reads_its_stores_figures_against_nothing_else(world, platform, client):
    """Lyon's till asking no store gets Lyon's figures, the measures' for Lyon."""
    response = client.get("/v1/analytics/kpis?metric=orders", headers=world.lyon)

    scope = Scope(world.today - timedelta(days=6), world.today, stores=("LYON-01",))
    with platform.db.reading() as session:
        expected = measures.figures(session, scope, ["orders"])
    assert response.json()["stores"] == ["LYON-01"]
    assert [(f["metric"], f["value"]) for f in response.json()["figures"]] == _values(expected)
    assert expected[0].value == 1


@pytest.mark.parametrize("url", [*STORE_ROUTES, "/v1/analytics/metrics"])
def test_a_key_without_the_analytics_scope_reads_no_kpi(world, client, url):
    """The web shop's key holds no analytics:read: 403 naming the scope."""
    response = client.get(url, headers=world.shop)

    assert response.status_code == 403
    assert response.json()["required_scope"] == "analytics:read"


@pytest.mark.parametrize(
    ("url", "status", "code"),
    [
        ("/v1/analytics/kpis?from=2025-03-10&to=2025-03-01", 422, "invalid_period"),
        ("/v1/analytics/kpis?from=2020-01-01&to=2024-01-01", 422, "period_too_long"),
        ("/v1/analytics/kpis?from=9999-01-01", 422, "validation_error"),
        ("/v1/analytics/kpis?to=0001-01-01", 422, "validation_error"),
        ("/v1/analytics/kpis?from=yesterday", 422, "validation_error"),
        ("/v1/analytics/kpis?metric=happiness", 404, "unknown_metric"),
        ("/v1/analytics/kpis/happiness/series", 404, "unknown_metric"),
        ("/v1/analytics/kpis/breakdown?by=store&metric=happiness", 404, "unknown_metric"),
        ("/v1/analytics/kpis/breakdown?by=colour", 422, "validation_error"),
        ("/v1/analytics/kpis/breakdown", 422, "validation_error"),
        ("/v1/analytics/kpis?store=NOWHERE", 404, "unknown_location"),
        ("/v1/analytics/kpis?channel=fax", 404, "unknown_channel"),
        ("/v1/analytics/kpis?segment=vip", 422, "validation_error"),
        ("/v1/analytics/kpis?store=LYON%00-01", 422, "validation_error"),
        ("/v1/analytics/kpis?format=xlsx", 422, "validation_error"),
        ("/v1/analytics/operations?store=NOWHERE", 404, "unknown_location"),
        ("/v1/analytics/customer-value?horizon_days=0", 422, "validation_error"),
        ("/v1/analytics/customer-value?horizon_days=99999999999999999999", 422, "validation_error"),
        ("/v1/analytics/rfm-segments?from=2025-03-10&to=2025-03-01", 422, "invalid_period"),
    ],
)
def test_bad_input_is_a_problem_naming_its_code(world, client, url, status, code):
    """Periods backwards or over three years, far or unreadable dates, unknown metrics,
    stores, channels, segments and formats, NUL, huge numbers: a 4xx, never a 5xx."""
    response = client.get(url, headers=world.head_office)

    assert response.status_code == status, response.text
    assert response.headers["content-type"] == "application/problem+json"
    assert response.json()["code"] == code


def test_too_many_stores_in_one_request_is_refused(world, client):
    """More than 100 stores named: 422 too_many_values, before any of them is looked up."""
    stores = "&".join(f"store=S{n}" for n in range(101))

    response = client.get(f"/v1/analytics/kpis?{stores}", headers=world.head_office)

    assert response.status_code == 422
    assert response.json()["code"] == "too_many_values"


def test_customer_references_go_only_to_a_key_that_reads_profiles(world, platform, client):
    """RFM: head office's analytics key sees counts without examples; a key that also reads
    profiles sees who they are."""
    people = auth(make_key(platform, "call_centre", scopes=["analytics:read", "profiles:read"]))

    counts = client.get("/v1/analytics/rfm-segments", headers=world.head_office).json()
    named = client.get("/v1/analytics/rfm-segments", headers=people).json()

    assert all(segment["examples"] == [] for segment in counts)
    assert sum(segment["customers"] for segment in counts) == 1
    assert ["email:ines@exemple.fr"] in [segment["examples"] for segment in named]
