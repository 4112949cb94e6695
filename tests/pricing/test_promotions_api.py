"""Promotions through the HTTP API: create, list, validate, and applied to quotes."""

from __future__ import annotations

from datetime import timedelta

from omnicanal.platform.clock import utcnow
from tests.builders import auth, make_key, snapshot
from tests.pricing.builders import back_office_key, make_sku


def test_a_promotion_created_over_the_api_prices_the_next_quote(platform, client):
    make_sku(platform, "ROBE-M", 4990)
    make_sku(platform, "ROBE-L", 4990)
    office = back_office_key(platform)

    created = client.post(
        "/v1/promotions",
        json={
            "code": "duo-robes",
            "name": "Deux robes pour 80 €",
            "kind": "bundle_price",
            "bundle_skus": ["ROBE-M", "ROBE-L"],
            "amount_minor": 8000,
            "currency": "EUR",
        },
        headers=auth(office),
    )
    assert created.status_code == 201, created.text
    assert created.json()["code"] == "DUO-ROBES"
    quoted = client.post(
        "/v1/pricing/quote",
        json={"lines": [{"sku": "ROBE-M", "quantity": 1}, {"sku": "ROBE-L", "quantity": 1}]},
        headers=auth(office),
    ).json()

    assert quoted["total_minor"] == 8000
    assert quoted["adjustments"] == [
        {
            "promotion": "DUO-ROBES",
            "kind": "bundle_price",
            "description": "ROBE-L + ROBE-M for 80,00 EUR (1 set)",
            "amount_minor": 1980,
            "skus": ["ROBE-M", "ROBE-L"],
        }
    ]
    assert [line["discount_minor"] for line in quoted["lines"]] == [990, 990]


def test_promotions_are_listed_by_priority_and_filtered_by_moment_and_channel(platform, client):
    office = back_office_key(platform)
    make_sku(platform, "ROBE-M")
    soon = utcnow() + timedelta(days=2)
    for body in (
        {"code": "LOW", "name": "Low", "kind": "percent_off", "percent": "5"},
        {"code": "HIGH", "name": "High", "kind": "free_shipping", "priority": 9},
        {"code": "APP", "name": "App", "kind": "percent_off", "percent": 3, "channels": ["app"]},
        {
            "code": "LATER",
            "name": "Later",
            "kind": "percent_off",
            "percent": "12.5",
            "starts_at": soon.isoformat(),
        },
    ):
        response = client.post("/v1/promotions", json=body, headers=auth(office))
        assert response.status_code == 201, response.text

    def codes(**params):  # type: ignore[no-untyped-def]
        listed = client.get("/v1/promotions", params=params, headers=auth(office))
        return [p["code"] for p in listed.json()]

    assert codes() == ["HIGH", "APP", "LATER", "LOW"]
    assert codes(active_at=utcnow().isoformat()) == ["HIGH", "APP", "LOW"]
    assert codes(active_at=utcnow().isoformat(), channel="store") == ["HIGH", "LOW"]
    later = client.get("/v1/promotions/later", headers=auth(office)).json()
    assert later["percent"] == "12.5"


def test_an_inconsistent_promotion_is_refused_and_changes_nothing(platform, client):
    office = back_office_key(platform)
    make_sku(platform, "ROBE-M")
    before = snapshot(platform)

    def problem(body):  # type: ignore[no-untyped-def]
        response = client.post("/v1/promotions", json={"name": "X", **body}, headers=auth(office))
        return response.status_code, response.json()["code"]

    assert problem({"code": "A1", "kind": "amount_off", "amount_minor": 500}) == (
        422,
        "validation_error",
    )
    assert problem({"code": "P1", "kind": "percent_off", "percent": 120}) == (
        422,
        "validation_error",
    )
    assert problem({"code": "P2", "kind": "percent_off", "percent": "1.234"}) == (
        422,
        "validation_error",
    )
    assert problem({"code": "B1", "kind": "bundle_price", "bundle_skus": ["ROBE-M"]}) == (
        422,
        "validation_error",
    )
    assert problem(
        {"code": "S1", "kind": "percent_off", "percent": 5, "target": "skus", "skus": ["NOPE"]}
    ) == (404, "unknown_sku")
    assert problem({"code": "C1", "kind": "free_shipping", "channels": ["fax"]}) == (
        404,
        "unknown_channel",
    )
    assert problem({"code": "U1", "kind": "free_shipping", "usage_limit": 3}) == (
        422,
        "validation_error",
    )
    assert snapshot(platform) == before


def test_a_promotion_code_is_taken_once(platform, client):
    office = back_office_key(platform)
    body = {"code": "ETE", "name": "Été", "kind": "free_shipping"}
    assert client.post("/v1/promotions", json=body, headers=auth(office)).status_code == 201

    again = client.post("/v1/promotions", json=body, headers=auth(office))

    assert again.status_code == 409
    assert again.json()["code"] == "promotion_exists"


def test_a_channel_key_may_read_promotions_but_not_create_them(platform, client):
    web = make_key(platform, "web")

    assert client.get("/v1/promotions", headers=auth(web)).status_code == 200
    refused = client.post(
        "/v1/promotions",
        json={"code": "X1", "name": "X", "kind": "free_shipping"},
        headers=auth(web),
    )
    assert refused.status_code == 403
