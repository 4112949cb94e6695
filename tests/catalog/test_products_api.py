"""Creating and reading products through the API."""

from __future__ import annotations

import threading
from collections import Counter

from omnicanal.catalog.gtin import make_gtin13
from omnicanal.platform.actors import ChannelKind
from omnicanal.platform.auth import create_api_key
from tests.builders import auth, snapshot


def catalog_key(platform):  # type: ignore[no-untyped-def]
    with platform.db.transaction() as session:
        _, token = create_api_key(
            session,
            channel=ChannelKind.web,
            name="catalog",
            scopes=["catalog:write", "catalog:read"],
        )
    return token


def robe(code="ROBE-ALMA", gtin_body="376123450001"):  # type: ignore[no-untyped-def]
    return {
        "code": code,
        "name": "Robe Alma",
        "category": "Robes",
        "variants": [
            {
                "sku": f"{code}-S",
                "gtin": make_gtin13(gtin_body),
                "size": "S",
                "colour": "bleu",
                "price_minor": 5990,
            },
            {"sku": f"{code}-M", "size": "M", "colour": "bleu", "price_minor": 5990},
        ],
    }


def test_a_product_is_created_with_its_variants_and_list_prices(platform, client):
    token = catalog_key(platform)

    created = client.post("/v1/products", json=robe(), headers=auth(token))

    assert created.status_code == 201, created.text
    product = client.get("/v1/products/ROBE-ALMA", headers=auth(token)).json()
    assert [
        (v["sku"], v["size"], v["price_minor"], v["currency"]) for v in product["variants"]
    ] == [
        ("ROBE-ALMA-M", "M", 5990, "EUR"),
        ("ROBE-ALMA-S", "S", 5990, "EUR"),
    ]


def test_a_scanned_gtin_finds_its_variant_with_its_product_and_price(platform, client):
    token = catalog_key(platform)
    client.post("/v1/products", json=robe(), headers=auth(token))

    found = client.get(f"/v1/skus/{make_gtin13('376123450001')}", headers=auth(token)).json()

    assert (found["sku"], found["product_code"], found["product_name"]) == (
        "ROBE-ALMA-S",
        "ROBE-ALMA",
        "Robe Alma",
    )
    assert (found["size"], found["price_minor"], found["currency"]) == ("S", 5990, "EUR")


def test_a_taken_sku_or_gtin_is_a_conflict_and_creates_nothing(platform, client):
    token = catalog_key(platform)
    client.post("/v1/products", json=robe(), headers=auth(token))
    before = snapshot(platform)

    same_gtin = client.post(
        "/v1/products", json=robe("ROBE-BIS", "376123450001"), headers=auth(token)
    )

    assert same_gtin.status_code == 409
    assert same_gtin.json()["code"] == "sku_exists"
    assert snapshot(platform) == before


def test_two_variants_with_one_sku_are_invalid(platform, client):
    token = catalog_key(platform)
    body = robe()
    body["variants"][1]["sku"] = body["variants"][0]["sku"]

    response = client.post("/v1/products", json=body, headers=auth(token))

    assert response.status_code == 422
    assert response.json()["code"] == "validation_error"


def test_products_created_at_once_with_one_sku_give_one_product_and_conflicts(platform):
    """Eight requests create a product with the same SKU at the same moment (their checks all
    pass before any insert): one is created, the others are told the SKU exists — never an
    error of the server, nothing half written."""
    from concurrent.futures import ThreadPoolExecutor

    from sqlalchemy import func, select

    from omnicanal.catalog.models import Product, Variant
    from omnicanal.catalog.schemas import ProductIn
    from omnicanal.platform.actors import Actor
    from omnicanal.platform.errors import DomainError
    from omnicanal.pricing.products import create_priced_products

    actor = Actor(key_id=None, channel="web", name="catalog-test", scopes=frozenset({"*"}))
    start = threading.Barrier(8)

    def create(n: int) -> str:
        body = robe(code=f"ROBE-{n}")
        body["variants"] = [{**body["variants"][1], "sku": "ROBE-COMMUNE-M"}]
        data = ProductIn.model_validate(body)
        start.wait()
        try:
            with platform.db.transaction() as session:
                create_priced_products(session, products=[data], actor=actor, currency="EUR")
        except DomainError as error:
            return error.code
        return "created"

    with ThreadPoolExecutor(max_workers=8) as pool:
        outcomes = Counter(pool.map(create, range(8)))

    assert outcomes == {"created": 1, "sku_exists": 7}
    with platform.db.reading() as session:
        assert session.scalar(select(func.count()).select_from(Product)) == 1
        assert session.scalar(select(func.count()).select_from(Variant)) == 1
