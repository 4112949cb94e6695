"""Builders for order tests: a small retail network, stock, keys, checkouts, coupons."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from omnicanal.carts import service as carts
from omnicanal.carts.schemas import CartIn, CartLineIn
from omnicanal.orders import service as orders
from omnicanal.orders.schemas import CheckoutIn, OrderOut
from omnicanal.platform.actors import Actor
from omnicanal.platform.wiring import Platform
from omnicanal.pricing.promotions import create_promotion
from omnicanal.pricing.schemas import PromotionIn
from tests.builders import make_key, make_location, make_product, receive

LYON = (45.7640, 4.8357)
PARIS = (48.8566, 2.3522)
ORLEANS = (47.9030, 1.9093)
DELIVERY_LYON = {"name": "Camille Martin", "city": "Lyon", "latitude": 45.75, "longitude": 4.85}
AUTHORISED = {"provider": "adyen", "reference": "psp_0001", "status": "authorised"}
CAPTURED = {"provider": "adyen-pos", "reference": "pos_0001", "status": "captured"}


@dataclass(frozen=True)
class Shop:
    """A warehouse, two click & collect stores and an outlet without pickup; three SKUs."""

    robe: str
    jean: str
    pull: str
    web: str
    app: str
    call_centre: str
    lyon: str
    paris: str


def make_shop(platform: Platform) -> Shop:
    """WH-CENTRE (warehouse), LYON-01 and PARIS-01 (stores), OUTLET (no click & collect)."""
    make_location(
        platform,
        "WH-CENTRE",
        kind="warehouse",
        channels=("web", "app", "call_centre"),
        latitude=ORLEANS[0],
        longitude=ORLEANS[1],
        city="Saran",
    )
    make_location(platform, "LYON-01", channels=("web", "app", "store", "call_centre"))
    make_location(
        platform,
        "PARIS-01",
        channels=("web", "app", "store", "call_centre"),
        latitude=PARIS[0],
        longitude=PARIS[1],
        city="Paris",
    )
    make_outlet(platform)
    (robe,) = make_product(platform, "ROBE-ALMA")
    (jean,) = make_product(platform, "JEAN-DROIT")
    (pull,) = make_product(platform, "PULL-MERINOS")
    receive(platform, robe, "WH-CENTRE", 20)
    receive(platform, robe, "LYON-01", 5)
    receive(platform, jean, "LYON-01", 6)
    receive(platform, jean, "PARIS-01", 4)
    receive(platform, pull, "PARIS-01", 8)
    receive(platform, pull, "OUTLET", 8)
    return Shop(
        robe=robe,
        jean=jean,
        pull=pull,
        web=make_key(platform, "web"),
        app=make_key(platform, "app"),
        call_centre=make_key(platform, "call_centre"),
        lyon=make_key(platform, "store", location="LYON-01"),
        paris=make_key(platform, "store", location="PARIS-01"),
    )


def make_outlet(platform: Platform) -> None:
    """A store that sells in store but offers no click & collect."""
    from omnicanal.network import service as network
    from omnicanal.network.schemas import Capabilities, LocationIn
    from omnicanal.platform.actors import OPERATOR
    from omnicanal.platform.address import Address

    with platform.db.transaction() as session:
        network.create_location(
            session,
            data=LocationIn(
                code="OUTLET",
                name="Outlet Villefontaine",
                kind="outlet",
                address=Address(latitude=45.61, longitude=5.15),
                capabilities=Capabilities(sells_in_store=True, ships=False),
                channels=["web", "store"],
            ),
            actor=OPERATOR,
        )


def actor(channel: str, location: tuple[str, str] | None = None) -> Actor:
    """A service-level caller of a channel (bound to (location id, code) if given)."""
    return Actor(
        key_id=None,
        channel=channel,
        location_id=location[0] if location else None,
        location_code=location[1] if location else None,
        name=f"test {channel}",
        scopes=frozenset({"orders:write", "orders:read", "fulfilment:write"}),
    )


WEB = actor("web")


def line(sku: str, quantity: int = 1, method: str | None = None, **choice: Any) -> dict[str, Any]:
    body: dict[str, Any] = {"sku": sku, "quantity": quantity}
    if method is not None:
        body["fulfilment"] = {"method": method, **choice}
    return body


def checkout_body(*lines: dict[str, Any], **extra: Any) -> dict[str, Any]:
    """A checkout of ``lines`` shipped to Lyon and paid by an authorised card payment."""
    return {
        "lines": list(lines),
        "delivery_address": DELIVERY_LYON,
        "payment": AUTHORISED,
        **extra,
    }


def place(
    platform: Platform,
    *lines: dict[str, Any],
    by: Actor = WEB,
    now: datetime | None = None,
    **extra: Any,
) -> OrderOut:
    """Check out through the service in one transaction."""
    data = CheckoutIn.model_validate(checkout_body(*lines, **extra))
    with platform.db.transaction() as session:
        return orders.checkout(session, data=data, actor=by, now=now)


def make_cart(
    platform: Platform, *items: tuple[str, int], channel: str = "web", **fields: Any
) -> str:
    """An open cart holding ``items``; returns its id."""
    with platform.db.transaction() as session:
        cart = carts.create_cart(
            session,
            data=CartIn(lines=[CartLineIn(sku=sku, quantity=q) for sku, q in items], **fields),
            actor=actor(channel),
            currency="EUR",
        )
    return cart.id


def make_coupon(platform: Platform, code: str, **fields: Any) -> None:
    """A 10 % coupon (single use per customer unless told otherwise)."""
    values: dict[str, Any] = {
        "code": code,
        "name": f"Coupon {code}",
        "kind": "percent_off",
        "percent": 10,
        "requires_coupon": True,
        **fields,
    }
    with platform.db.transaction() as session:
        create_promotion(session, data=PromotionIn(**values), actor=actor("web"))
