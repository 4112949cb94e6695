"""One price for every channel: quotes, explicit overrides and the consistency audit."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from omnicanal.platform.clock import utcnow
from omnicanal.platform.events import OutboxEvent
from tests.builders import auth, make_key, make_location, snapshot
from tests.pricing.builders import back_office_key, make_promotion, make_sku, set_override


def given_a_shop(platform):  # type: ignore[no-untyped-def]
    """A store, three SKUs, a cart-wide 10% and a tier promotion; a web and a store key."""
    make_location(platform, "LYON-01")
    make_sku(platform, "ROBE-M", 4990)
    make_sku(platform, "JEAN-40", 7990, category="Jeans")
    make_sku(platform, "SAC-U", 12900, category="Sacs")
    make_promotion(platform, "SOLDES", "percent_off", percent=10, name="Soldes d'été")
    make_promotion(
        platform,
        "GOLD-JEANS",
        "amount_off",
        amount_minor=500,
        currency="EUR",
        target="categories",
        categories=["Jeans"],
        customer_conditions={"tier": "gold"},
        priority=5,
    )
    return make_key(platform, "web"), make_key(platform, "store", location="LYON-01")


CART = {
    "lines": [{"sku": "ROBE-M", "quantity": 2}, {"sku": "JEAN-40", "quantity": 1}],
    "customer_ref": "C-1",
    "customer_attributes": {"tier": "gold"},
    "shipping_minor": 490,
}


def test_the_same_cart_costs_the_same_through_a_web_key_and_a_store_key(platform, client):
    web, store = given_a_shop(platform)

    by_web = client.post("/v1/pricing/quote", json=CART, headers=auth(web))
    by_store = client.post("/v1/pricing/quote", json=CART, headers=auth(store))

    assert (by_web.status_code, by_store.status_code) == (200, 200), by_web.text
    web_cart, store_cart = by_web.json(), by_store.json()
    assert (web_cart["channel"], store_cart["channel"]) == ("web", "store")
    # 2 x 49,90 + 79,90 = 179,70; gold: -5,00 on the jeans; then 10% of 174,70 = 17,47.
    assert web_cart["total_minor"] == store_cart["total_minor"] == 17970 - 500 - 1747 + 490
    assert (
        web_cart["explanation"]
        == store_cart["explanation"]
        == [
            "GOLD-JEANS: 5,00 EUR off each unit of category Jeans: -5,00 EUR",
            "Soldes d'été (SOLDES): 10% off the cart: -17,47 EUR",
        ]
    )
    assert web_cart["lines"] == store_cart["lines"]


def test_a_channel_override_changes_only_that_channels_price_and_says_where_it_came_from(
    platform, client
):
    web, store = given_a_shop(platform)
    override = set_override(platform, "ROBE-M", "store", 3990, reason="Fin de série en magasin")

    store_cart = client.post("/v1/pricing/quote", json=CART, headers=auth(store)).json()
    web_cart = client.post("/v1/pricing/quote", json=CART, headers=auth(web)).json()

    assert store_cart["lines"][0]["unit_price_minor"] == 3990
    assert store_cart["lines"][0]["list_price_minor"] == 4990
    assert store_cart["lines"][0]["price_source"] == f"override:{override.id}"
    assert web_cart["lines"][0]["price_source"] == "list"
    assert web_cart["total_minor"] - store_cart["total_minor"] == 2000 - 200


def test_an_override_is_in_force_only_during_its_period(platform, client):
    _, store = given_a_shop(platform)
    start = utcnow() + timedelta(days=1)
    set_override(
        platform, "SAC-U", "store", 9900, valid_from=start, valid_until=start + timedelta(days=2)
    )

    def unit_price(at):  # type: ignore[no-untyped-def]
        body = {"lines": [{"sku": "SAC-U", "quantity": 1}], "at": at.isoformat()}
        quoted = client.post("/v1/pricing/quote", json=body, headers=auth(store)).json()
        return quoted["lines"][0]["unit_price_minor"]

    assert unit_price(start - timedelta(seconds=1)) == 12900
    assert unit_price(start) == 9900
    assert unit_price(start + timedelta(days=2)) == 12900


def test_overrides_are_set_and_ended_over_the_api_and_audited_as_events(platform, client):
    given_a_shop(platform)
    office = back_office_key(platform)

    created = client.post(
        "/v1/pricing/overrides",
        json={"sku": "JEAN-40", "channel": "app", "price_minor": 6990, "reason": "App launch"},
        headers=auth(office),
    )
    assert created.status_code == 201, created.text
    override = created.json()
    assert (override["price_minor"], override["list_price_minor"]) == (6990, 7990)
    ended = client.post(
        f"/v1/pricing/overrides/{override['id']}/end",
        json={"reason": "Launch over"},
        headers=auth(office),
    )

    assert ended.status_code == 200, ended.text
    assert ended.json()["end_reason"] == "Launch over"
    app_key = make_key(platform, "app")
    quoted = client.post(
        "/v1/pricing/quote",
        json={"lines": [{"sku": "JEAN-40", "quantity": 1}]},
        headers=auth(app_key),
    ).json()
    assert quoted["lines"][0]["price_source"] == "list"
    with platform.db.reading() as session:
        events = session.execute(
            select(OutboxEvent.type, OutboxEvent.actor, OutboxEvent.subject).where(
                OutboxEvent.type.like("pricing.override%")
            )
        ).all()
    assert sorted(e.type for e in events) == ["pricing.override_ended", "pricing.override_set"]
    assert {e.subject for e in events} == {"skus/JEAN-40"}
    assert all(e.actor and e.actor.startswith("key:") for e in events)
    listed = client.get(
        "/v1/pricing/overrides", params={"sku": "JEAN-40"}, headers=auth(office)
    ).json()
    assert [o["id"] for o in listed] == [override["id"]]


def test_an_overlapping_override_is_refused_and_changes_nothing(platform, client):
    given_a_shop(platform)
    office = back_office_key(platform)
    set_override(platform, "ROBE-M", "store", 3990)
    before = snapshot(platform)

    response = client.post(
        "/v1/pricing/overrides",
        json={"sku": "ROBE-M", "channel": "store", "price_minor": 2990, "reason": "Again"},
        headers=auth(office),
    )

    assert response.status_code == 409
    assert response.json()["code"] == "override_overlaps"
    assert snapshot(platform) == before


def test_an_override_needs_a_list_price_a_known_channel_and_the_write_scope(platform, client):
    given_a_shop(platform)
    make_sku(platform, "SANS-PRIX", None)
    office = back_office_key(platform)
    web = make_key(platform, "web")
    before = snapshot(platform)

    def post(body, key=office):  # type: ignore[no-untyped-def]
        return client.post("/v1/pricing/overrides", json=body, headers=auth(key))

    base = {"sku": "ROBE-M", "channel": "store", "price_minor": 100, "reason": "Why not"}
    assert post({**base, "sku": "SANS-PRIX"}).json()["code"] == "missing_price"
    assert post({**base, "sku": "NOPE"}).json()["code"] == "unknown_sku"
    assert post({**base, "channel": "teleshopping"}).json()["code"] == "unknown_channel"
    assert post({**base, "reason": ""}).status_code == 422
    assert post(base, key=web).status_code == 403
    assert snapshot(platform) == before


def test_the_consistency_audit_lists_exactly_the_overridden_skus(platform, client):
    web, _ = given_a_shop(platform)
    robe = set_override(platform, "ROBE-M", "store", 3990, reason="Fin de série")
    sac = set_override(platform, "SAC-U", "app", 11900, reason="Lancement de l'app")
    set_override(
        platform, "JEAN-40", "web", 5990, valid_from=utcnow() + timedelta(days=3)
    )  # not in force yet

    report = client.get("/v1/pricing/consistency", headers=auth(web))

    assert report.status_code == 200, report.text
    items = {item["sku"]: item for item in report.json()["items"]}
    assert sorted(items) == ["ROBE-M", "SAC-U"]
    robe_prices = {p["channel"]: p for p in items["ROBE-M"]["prices"]}
    assert robe_prices["store"] == {
        "channel": "store",
        "price_minor": 3990,
        "source": "override",
        "override_id": robe.id,
        "reason": "Fin de série",
        "valid_until": None,
    }
    assert {c: p["price_minor"] for c, p in robe_prices.items() if c != "store"} == {
        "app": 4990,
        "call_centre": 4990,
        "marketplace": 4990,
        "web": 4990,
    }
    assert {p["override_id"] for p in items["SAC-U"]["prices"]} == {None, sac.id}
    later = (utcnow() + timedelta(days=4)).isoformat()
    future = client.get("/v1/pricing/consistency", params={"at": later}, headers=auth(web))
    assert sorted(item["sku"] for item in future.json()["items"]) == [
        "JEAN-40",
        "ROBE-M",
        "SAC-U",
    ]


def test_an_override_at_the_list_price_is_no_difference(platform, client):
    web, _ = given_a_shop(platform)
    set_override(platform, "ROBE-M", "store", 4990, reason="Same as list")

    report = client.get("/v1/pricing/consistency", headers=auth(web)).json()

    assert report["items"] == []


def test_the_audit_names_the_promotions_that_run_on_some_channels_only(platform, client):
    web, _ = given_a_shop(platform)
    make_promotion(platform, "APP-ONLY", "percent_off", percent=5, channels=["app"])

    report = client.get("/v1/pricing/consistency", headers=auth(web)).json()

    assert report["channel_scoped_promotions"] == [
        {"code": "APP-ONLY", "name": "APP-ONLY", "channels": ["app"]}
    ]


def test_a_quote_names_what_is_wrong_with_the_cart(platform, client):
    web, _ = given_a_shop(platform)
    make_sku(platform, "SANS-PRIX", None)

    def problem(body):  # type: ignore[no-untyped-def]
        response = client.post("/v1/pricing/quote", json=body, headers=auth(web))
        return response.status_code, response.json()["code"]

    robe = {"sku": "ROBE-M", "quantity": 1}
    assert problem({"lines": []}) == (422, "empty_cart")
    assert problem({"lines": [{"sku": "NOPE", "quantity": 1}]}) == (404, "unknown_sku")
    assert problem({"lines": [{"sku": "SANS-PRIX", "quantity": 1}]}) == (409, "missing_price")
    assert problem({"lines": [robe], "coupons": ["NOPE"]}) == (404, "unknown_coupon")
    assert problem({"lines": [{"sku": "ROBE-M", "quantity": 0}]}) == (422, "validation_error")
    assert problem({"lines": [robe], "currency": "eur"}) == (422, "validation_error")


def test_an_override_ends_once_and_a_future_one_ended_now_never_applies(platform, client):
    given_a_shop(platform)
    office = back_office_key(platform)
    future = set_override(platform, "SAC-U", "store", 9900, valid_from=utcnow() + timedelta(days=1))

    ended = client.post(f"/v1/pricing/overrides/{future.id}/end", headers=auth(office))
    again = client.post(f"/v1/pricing/overrides/{future.id}/end", headers=auth(office))

    assert ended.status_code == 200, ended.text
    assert ended.json()["valid_until"] == ended.json()["valid_from"]
    assert (again.status_code, again.json()["code"]) == (409, "override_ended")
    later = (utcnow() + timedelta(days=2)).isoformat()
    report = client.get("/v1/pricing/consistency", params={"at": later}, headers=auth(office))
    assert report.json()["items"] == []
    unknown = client.post("/v1/pricing/overrides/NOPE/end", headers=auth(office))
    assert (unknown.status_code, unknown.json()["code"]) == (404, "unknown_override")


def test_an_override_that_would_end_before_now_is_refused(platform, client):
    given_a_shop(platform)
    office = back_office_key(platform)
    before = snapshot(platform)

    response = client.post(
        "/v1/pricing/overrides",
        json={
            "sku": "ROBE-M",
            "channel": "store",
            "price_minor": 3990,
            "reason": "Too late",
            "valid_from": (utcnow() - timedelta(days=3)).isoformat(),
            "valid_until": (utcnow() - timedelta(days=1)).isoformat(),
        },
        headers=auth(office),
    )

    assert (response.status_code, response.json()["code"]) == (422, "override_in_the_past")
    assert snapshot(platform) == before
