"""A connector keeps its own copy of products, stock and orders in sync through the lists alone.

It does what docs/adr/0029 tells an integrator to do: ask each list for what changed since the
``updated_at`` of the last item it stored, follow ``next_cursor`` while ``has_more``, and store
each item by its key. After each round of changes, its copy must equal the database, even when
a change lands between two of its pages.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import select

from omnicanal.catalog.models import Product, Variant
from omnicanal.inventory.models import StockLevel
from omnicanal.network.models import Location
from omnicanal.orders.models import Order
from omnicanal.platform.auth import SCOPES
from omnicanal.platform.wiring import Platform
from tests.builders import auth, make_key
from tests.orders.builders import checkout_body, line, make_shop

BEGINNING = "1900-01-01T00:00:00Z"
PAGE = 2  # small pages: every sync crosses several of them


class Connector:
    """A web shop's copy of omnicanal, kept by ``updated_since`` and cursors."""

    def __init__(self, client: TestClient, token: str) -> None:
        self.client = client
        self.token = token
        self.products: dict[str, Any] = {}
        self.stock: dict[tuple[str, str], Any] = {}
        self.orders: dict[str, Any] = {}
        self.since: dict[str, str] = {}
        self.requests = 0
        self.levels_read: list[tuple[str, str]] = []
        self.between_pages: Callable[[], None] | None = None

    def _sync(self, path: str, store: Callable[[dict[str, Any]], None]) -> None:
        params: dict[str, Any] = {"limit": PAGE, "updated_since": self.since.get(path, BEGINNING)}
        while True:
            response = self.client.get(path, params=params, headers=auth(self.token))
            self.requests += 1
            assert response.status_code == 200, response.text
            page = response.json()
            for item in page["items"]:
                store(item)
                self.since[path] = max(self.since.get(path, BEGINNING), item["updated_at"])
            if not page["has_more"]:
                return
            assert page["next_cursor"]
            params["starting_after"] = page["next_cursor"]
            if self.between_pages is not None:
                change, self.between_pages = self.between_pages, None
                change()

    def sync(self) -> None:
        self._sync("/v1/products", self._store_product)
        self._sync("/v1/stock-levels", self._store_level)
        self._sync("/v1/orders", self._store_order)

    def _store_product(self, item: dict[str, Any]) -> None:
        self.products[item["code"]] = (
            item["name"],
            sorted((v["sku"], v["gtin"], v["size"]) for v in item["variants"]),
        )

    def _store_level(self, item: dict[str, Any]) -> None:
        self.stock[(item["sku"], item["location"])] = (item["on_hand"], item["reserved"])
        self.levels_read.append((item["sku"], item["location"]))

    def _store_order(self, item: dict[str, Any]) -> None:
        self.orders[item["id"]] = (item["status"], item["total_minor"], item["payment_status"])


def truth(platform: Platform) -> tuple[dict[str, Any], dict[Any, Any], dict[str, Any]]:
    """The same three collections, read from the tables themselves."""
    with platform.db.reading() as session:
        variants: dict[str, list[tuple[str, str | None, str | None]]] = {}
        for code, sku, gtin, size in session.execute(
            select(Product.code, Variant.sku, Variant.gtin, Variant.size).join(
                Variant, Variant.product_id == Product.id
            )
        ):
            variants.setdefault(code, []).append((sku, gtin, size))
        products = {
            code: (name, sorted(variants.get(code, [])))
            for code, name in session.execute(select(Product.code, Product.name))
        }
        stock = {
            (sku, location): (on_hand, reserved)
            for sku, location, on_hand, reserved in session.execute(
                select(Variant.sku, Location.code, StockLevel.on_hand, StockLevel.reserved)
                .join(Variant, Variant.id == StockLevel.variant_id)
                .join(Location, Location.id == StockLevel.location_id)
            )
        }
        orders = {
            order.id: (order.status, order.total_minor, order.payment_status)
            for order in session.scalars(select(Order))
        }
    return products, stock, orders


def test_a_connector_syncs_products_stock_and_orders_incrementally_to_the_database(
    platform, client
):
    shop = make_shop(platform)
    head_office = make_key(platform, "web", scopes=sorted(SCOPES))
    web = auth(shop.web)

    def order(*lines: dict[str, Any]) -> str:
        response = client.post("/v1/orders", json=checkout_body(*lines), headers=web)
        assert response.status_code == 201, response.text
        return str(response.json()["id"])

    def receive(sku: str, location: str, quantity: int) -> None:
        body = {"sku": sku, "location": location, "kind": "receipt", "quantity": quantity}
        response = client.post("/v1/inventory/movements", json=body, headers=auth(head_office))
        assert response.status_code == 201, response.text

    first = order(line(shop.robe, 2))
    order(line(shop.jean), line(shop.pull))
    connector = Connector(client, head_office)

    connector.sync()
    assert (connector.products, connector.stock, connector.orders) == truth(platform)
    full_sync = connector.requests

    # A size is added to a product, stock arrives, an order is cancelled, another is placed.
    csv = "product_code,name,category,brand,sku,gtin,size,colour,price\n"
    csv += "ROBE-ALMA,Robe Alma,Robes,,ROBE-ALMA-XL,,XL,noir,59.90\n"
    imported = client.post(
        "/v1/imports/products",
        content=csv.encode(),
        headers=auth(head_office, **{"Content-Type": "text/csv"}),
    )
    assert imported.status_code == 200, imported.text
    receive("ROBE-ALMA-XL", "WH-CENTRE", 7)
    cancelled = client.post(f"/v1/orders/{first}/cancel", json={"reason": "customer"}, headers=web)
    assert cancelled.status_code == 200, cancelled.text
    order(line(shop.pull, 3))
    # And while the connector is between two pages, a level it has already read moves.
    connector.between_pages = lambda: receive(shop.jean, "LYON-01", 1)

    connector.requests = 0
    connector.levels_read = []
    connector.sync()
    assert (connector.products, connector.stock, connector.orders) == truth(platform)
    assert "ROBE-ALMA-XL" in {sku for _, skus in connector.products.values() for sku, *_ in skus}
    assert connector.orders[first][0] == "cancelled"
    # Incremental: it read the changes, not the whole shop again. The levels nothing touched
    # since the first sync stay unread (a level changed at the very moment of the last one it
    # read is read again: the boundary is inclusive, so that no change of that instant is lost).
    assert connector.requests <= full_sync
    untouched = {(shop.robe, "LYON-01"), (shop.pull, "OUTLET")}
    assert untouched <= set(connector.stock)
    assert untouched.isdisjoint(connector.levels_read)

    # Nothing changed: one empty-ish page per list, the copy stays equal.
    connector.sync()
    assert (connector.products, connector.stock, connector.orders) == truth(platform)
