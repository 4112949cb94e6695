"""A client generated from the OpenAPI by openapi-python-client works against a live server.

The generator reads the document offline, drops no operation and warns of nothing; its typed
functions then set up a store, a product and its stock, reserve, check out and list orders,
and read a refusal as a typed problem.
"""

from __future__ import annotations

import importlib
import json
import os
import re
import subprocess
import sys
from collections.abc import Iterator
from types import ModuleType
from typing import Any

import pytest

from omnicanal.api.app import create_app
from omnicanal.bootstrap import build_platform
from omnicanal.platform.auth import SCOPES
from omnicanal.platform.config import Settings
from tests.builders import make_key, make_location
from tests.conftest import LiveServer

pytestmark = pytest.mark.slow

PACKAGE = "omnicanal_generated_client"
# The generator's own settings: no formatting hooks (speed), and the media types it has no
# reader for (labels, CSV files) read and sent as bytes.
CONFIG = """\
post_hooks: []
content_type_overrides:
  text/csv: application/octet-stream
  image/svg+xml: application/octet-stream
  image/png: application/octet-stream
  application/pdf: application/octet-stream
"""


def _snake(name: str) -> str:
    return re.sub(r"(?<!^)(?=[A-Z])", "_", name).lower()


@pytest.fixture(scope="module")
def generated(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ModuleType]:
    """The client package generated from this build's OpenAPI, importable."""
    folder = tmp_path_factory.mktemp("client")
    platform = build_platform(Settings(database_url=f"sqlite:///{folder}/spec.db", data_dir=folder))
    spec = create_app(platform, background=False).openapi()
    platform.close()
    (folder / "spec.json").write_text(json.dumps(spec))
    (folder / "config.yml").write_text(CONFIG)
    command = [
        sys.executable,
        "-m",
        "openapi_python_client",
        "generate",
        "--path",
        str(folder / "spec.json"),
        "--output-path",
        str(folder / PACKAGE),
        "--meta",
        "none",
        "--config",
        str(folder / "config.yml"),
        "--fail-on-warning",
    ]
    result = subprocess.run(
        command,
        capture_output=True,
        text=True,
        timeout=300,
        env={**os.environ, "COLUMNS": "200", "NO_COLOR": "1"},
    )
    output = result.stdout + result.stderr
    assert result.returncode == 0, output
    assert "will not be generated" not in output and "Unable to" not in output, output
    skipped = [
        operation["operationId"]
        for methods in spec["paths"].values()
        for operation in methods.values()
        if not (
            folder
            / PACKAGE
            / "api"
            / operation["tags"][0]
            / f"{_snake(operation['operationId'])}.py"
        ).exists()
    ]
    assert skipped == []
    sys.path.insert(0, str(folder))
    yield importlib.import_module(PACKAGE)
    sys.path.remove(str(folder))


def _operation(generated: ModuleType, tag: str, name: str) -> Any:
    """The generated ``sync`` function of one operation (``api/<tag>/<name>.py``)."""
    return importlib.import_module(f"{generated.__name__}.api.{tag}.{name}").sync


def test_the_generated_client_runs_a_shop_day(platform, generated):
    """Create a store and a product, receive stock, reserve, check out, list the orders and
    read the stock, all through the generated functions with their typed answers."""
    make_location(platform, "PARIS-01")
    token = make_key(platform, "web", scopes=sorted(SCOPES))
    models = importlib.import_module(f"{generated.__name__}.models")
    create_location = _operation(generated, "network", "create_location")
    create_product = _operation(generated, "catalog", "create_product")
    record_movement = _operation(generated, "inventory", "record_movement")
    reserve_stock = _operation(generated, "inventory", "reserve_stock")
    get_sku_stock = _operation(generated, "inventory", "get_sku_stock")
    checkout = _operation(generated, "orders", "checkout")
    list_orders = _operation(generated, "orders", "list_orders")
    with LiveServer(platform) as server:
        client = generated.AuthenticatedClient(base_url=server.url, token=token)

        store = create_location(
            client=client,
            body=models.LocationIn.from_dict(
                {
                    "code": "LYON-01",
                    "name": "Lyon République",
                    "kind": "store",
                    "address": {"city": "Lyon", "latitude": 45.7623, "longitude": 4.8361},
                    "capabilities": {"sells_in_store": True, "click_and_collect": True},
                    "channels": ["web", "store"],
                }
            ),
        )
        product = create_product(
            client=client,
            body=models.ProductIn(
                code="ROBE-LIN",
                name="Robe en lin",
                category="Robes",
                variants=[models.VariantIn(sku="ROBE-LIN-M", size="M", price_minor=8900)],
            ),
        )
        (movement,) = record_movement(
            client=client,
            body=models.MovementIn(
                sku="ROBE-LIN-M", location="LYON-01", kind=models.MovementKind.RECEIPT, quantity=5
            ),
        )
        reservation = reserve_stock(
            client=client,
            body=models.ReservationIn(sku="ROBE-LIN-M", quantity=2, location="LYON-01"),
            idempotency_key="reserve-robe-1",
        )
        refused = reserve_stock(
            client=client, body=models.ReservationIn(sku="ROBE-LIN-M", quantity=9)
        )
        order = checkout(
            client=client,
            body=models.CheckoutIn.from_dict(
                {
                    "lines": [
                        {
                            "sku": "ROBE-LIN-M",
                            "quantity": 1,
                            "fulfilment": {"method": "pickup", "location": "LYON-01"},
                        }
                    ],
                    "payment": {"provider": "adyen", "reference": "psp_1", "status": "authorised"},
                }
            ),
        )
        orders = list_orders(client=client)
        stock = get_sku_stock("ROBE-LIN-M", client=client)
        stranger = generated.AuthenticatedClient(base_url=server.url, token="not-a-key")
        unknown = get_sku_stock("ROBE-LIN-M", client=stranger)

    assert isinstance(store, models.LocationOut) and store.address.city == "Lyon"
    assert isinstance(product, models.ProductOut)
    assert [variant.sku for variant in product.variants] == ["ROBE-LIN-M"]
    assert isinstance(movement, models.MovementOut) and movement.on_hand_after == 5
    assert isinstance(reservation, models.ReservationOut)
    assert (reservation.quantity, reservation.status) == (2, "active")
    assert isinstance(refused, models.Problem) and refused.code == "insufficient_stock"
    assert isinstance(order, models.OrderOut) and order.total_minor == 8900
    assert [summary.id for summary in orders.items] == [order.id]
    assert isinstance(stock, models.SkuStock)
    assert (stock.on_hand, stock.reserved, stock.available) == (5, 3, 2)
    assert isinstance(unknown, models.Problem) and unknown.code == "unauthenticated"
