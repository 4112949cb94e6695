"""Builders for return tests: a warehouse and two stores that accept returns, a dress in
two sizes, a key per channel, and orders that reached their customer."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import select

from omnicanal.catalog import service as catalog
from omnicanal.fulfilment.states import Action
from omnicanal.inventory.models import StockLevel
from omnicanal.network import service as network
from omnicanal.network.schemas import Capabilities, LocationIn
from omnicanal.orders import service as orders
from omnicanal.orders.schemas import PaymentUpdateIn
from omnicanal.platform.actors import OPERATOR
from omnicanal.platform.address import Address
from omnicanal.platform.wiring import Platform
from omnicanal.returns.policy import ReturnPolicy
from tests.builders import auth, make_key, make_location, make_product, receive

CUSTOMER = "email:ines@example.fr"
DELIVERY = {"name": "Inès Martin", "city": "Lyon", "latitude": 45.75, "longitude": 4.85}
CARD = {"provider": "adyen", "reference": "psp_0001", "status": "authorised"}
TILL = {"provider": "adyen-pos", "reference": "pos_0001", "status": "captured"}
SECRET = "returns-test-secret"


@dataclass(frozen=True)
class Shop:
    """WH-CENTRE (warehouse), LYON-01 and PARIS-01 (stores), all accepting returns; a dress
    in M and L, a jacket; one key per channel, a reviewer's and a second marketplace's."""

    robe_m: str
    robe_l: str
    veste: str
    web: str
    app: str
    call_centre: str
    marketplace: str
    other_marketplace: str
    lyon: str
    paris: str
    warehouse: str
    reviewer: str


def make_warehouse(platform: Platform, code: str = "WH-CENTRE") -> None:
    """A warehouse serving every online channel, where postal returns arrive."""
    with platform.db.transaction() as session:
        network.ensure_default_channels(session)
        network.create_location(
            session,
            data=LocationIn(
                code=code,
                name="Entrepôt Saran",
                kind="warehouse",
                address=Address(city="Saran", latitude=47.9030, longitude=1.9093),
                capabilities=Capabilities(ships=True, accepts_returns=True),
                channels=["web", "app", "call_centre", "marketplace"],
            ),
            actor=OPERATOR,
        )


def make_shop(platform: Platform) -> Shop:
    make_warehouse(platform)
    make_location(platform, "LYON-01", channels=("web", "app", "store", "call_centre"))
    make_location(
        platform,
        "PARIS-01",
        channels=("web", "app", "store", "call_centre"),
        latitude=48.8566,
        longitude=2.3522,
        city="Paris",
    )
    robe_m, robe_l = make_product(platform, "ROBE-ALMA", sizes=("M", "L"))
    (veste,) = make_product(platform, "VESTE-LIN")
    for sku in (robe_m, robe_l, veste):
        receive(platform, sku, "WH-CENTRE", 20)
        receive(platform, sku, "LYON-01", 3)
    return Shop(
        robe_m=robe_m,
        robe_l=robe_l,
        veste=veste,
        web=make_key(platform, "web"),
        app=make_key(platform, "app"),
        call_centre=make_key(platform, "call_centre"),
        marketplace=make_key(platform, "marketplace"),
        other_marketplace=make_key(platform, "marketplace"),
        lyon=make_key(platform, "store", location="LYON-01"),
        paris=make_key(platform, "store", location="PARIS-01"),
        warehouse=make_key(platform, "store", location="WH-CENTRE"),
        reviewer=make_key(
            platform, "call_centre", scopes=["returns:read", "returns:write", "returns:review"]
        ),
    )


def policy(**rules: Any) -> ReturnPolicy:
    """The default return policy, signed with the tests' secret."""
    from omnicanal.returns.rules import ReturnRules

    return ReturnPolicy(secret_key=SECRET, rules=ReturnRules(**rules))


def deliver(platform: Platform, order: dict[str, Any], *, now: datetime | None = None) -> None:
    """Every home delivery of the order picked, packed, shipped and delivered; the payment
    captured."""
    with platform.db.transaction() as session:
        for fulfilment in order["fulfilments"]:
            if fulfilment["method"] != "ship":
                continue
            for action in (Action.pick, Action.pack, Action.ship, Action.deliver):
                orders.act(
                    session,
                    fulfilment_id=fulfilment["id"],
                    action=action,
                    actor=OPERATOR,
                    now=now,
                )
        if order["payment"]["status"] != "captured":
            orders.update_payment(
                session,
                order_id=order["id"],
                data=PaymentUpdateIn(status="captured"),
                actor=OPERATOR,
            )


def web_order(
    client: TestClient,
    platform: Platform,
    key: str,
    *lines: tuple[str, int],
    customer_ref: str | None = CUSTOMER,
    channel: str | None = None,
) -> dict[str, Any]:
    """An order shipped from the warehouse and delivered to the customer, paid."""
    body: dict[str, Any] = {
        "lines": [{"sku": sku, "quantity": quantity} for sku, quantity in lines],
        "delivery_address": DELIVERY,
        "payment": CARD,
        "fulfilment": {"method": "ship"},
    }
    if customer_ref is not None:
        body["customer_ref"] = customer_ref
    if channel is not None:
        body["channel"] = channel
    response = client.post("/v1/orders", json=body, headers=auth(key))
    assert response.status_code == 201, response.text
    order = response.json()
    deliver(platform, order)
    return client.get(f"/v1/orders/{order['id']}", headers=auth(key)).json()


def till_order(
    client: TestClient, key: str, *lines: tuple[str, int], customer_ref: str | None = CUSTOMER
) -> dict[str, Any]:
    """A sale over the counter of the key's store: carried out, paid at the till."""
    body: dict[str, Any] = {
        "lines": [{"sku": sku, "quantity": quantity} for sku, quantity in lines],
        "payment": TILL,
    }
    if customer_ref is not None:
        body["customer_ref"] = customer_ref
    response = client.post("/v1/orders", json=body, headers=auth(key))
    assert response.status_code == 201, response.text
    return dict(response.json())


def return_body(
    order: dict[str, Any], *picks: tuple[int, int], reason: str = "too_small", **extra: Any
) -> dict[str, Any]:
    """A return of (line index, quantity) pairs of ``order``."""
    chosen = picks or ((0, 1),)
    return {
        "order_id": order["id"],
        "lines": [
            {
                "order_line_id": order["lines"][index]["id"],
                "quantity": quantity,
                "reason": reason,
            }
            for index, quantity in chosen
        ],
        **extra,
    }


def on_hand(platform: Platform, sku: str, location: str) -> int:
    """On-hand units of ``sku`` at ``location``."""
    with platform.db.reading() as session:
        variant = catalog.get_variant(session, sku)
        place = network.get_location(session, location)
        units = session.scalar(
            select(StockLevel.on_hand).where(
                StockLevel.variant_id == variant.id, StockLevel.location_id == place.id
            )
        )
    return int(units or 0)
