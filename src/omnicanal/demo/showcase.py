"""The demo's people to try the pages with: Zoé Martin, a customer of the Lyon store with an
open web cart, and the staff accounts (a Lyon clerk, a Paris store manager, head office).

Zoé is the counter scene of the README: she bought in the Lyon store two years ago and on
the web since, she left a dress in size M in her web cart, and the Lyon store has just sold
its last M, so the clerk finds her by the phone she gives ("06.12.34.56.78"), sees the cart,
finds the size in another store and sends it to her home.
"""

from __future__ import annotations

import dataclasses
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from random import Random
from typing import TYPE_CHECKING, Any

from sqlalchemy.orm import Session

from omnicanal.carts import service as carts
from omnicanal.carts.schemas import CartIn, CartLineIn
from omnicanal.inventory import service as inventory
from omnicanal.inventory.service import StockCount
from omnicanal.platform.actors import OPERATOR
from omnicanal.platform.clock import utcnow
from omnicanal.staff import service as staff
from omnicanal.tracking import service as tracking
from omnicanal.tracking.service import SourceView
from omnicanal.tracking.spec import ParsedMessage, parse_message

if TYPE_CHECKING:
    from omnicanal.demo.generate import DemoRetailer, Report

__all__ = ["ZOE", "DemoStaff", "create_showcase"]

STORE = "LYON-01"
ZOE = {
    "user_id": "zoe.martin",
    "email": "zoe.martin@exemple.fr",
    "phone": "+33 6 12 34 56 78",
    "till_phone": "06 12 34 56 78",
    "first_name": "Zoé",
    "last_name": "Martin",
}
WEB_SHOP = dataclasses.replace(OPERATOR, channel="web", name="web shop (demo)")


@dataclass(frozen=True)
class DemoStaff:
    """A staff account the demo created, with its password (shown once)."""

    email: str
    name: str
    role: str
    location: str | None
    password: str


STAFF = (
    ("lea.clerc@maison-lumiere.example", "Léa Clerc", staff.Role.clerk, STORE),
    ("paul.girard@maison-lumiere.example", "Paul Girard", staff.Role.store_manager, "PARIS-01"),
    ("siege@maison-lumiere.example", "Claire Siège", staff.Role.head_office, None),
)


def _sources(session: Session) -> dict[str, SourceView]:
    found: dict[str, SourceView] = {}
    for row in tracking.list_sources(session):
        name = "web" if row["kind"] == "web" else row["location"] or row["kind"]
        found.setdefault(name, SourceView(row["id"], row["name"], row["kind"], row["location"]))
    return found


def _dress(demo: DemoRetailer) -> tuple[str, str]:
    """A dress in M (the cart's line) and an accessory the customer adds to it."""
    held = {(line.sku, line.location) for line in demo.stock if line.quantity > 0}
    dresses = [
        variant.sku
        for product in demo.products
        if product.category == "Robes"
        for variant in product.variants
        if variant.size == "M"
    ]
    dress = next(sku for sku in dresses if (sku, "WH-SARAN") in held) if dresses else None
    others = [
        variant.sku
        for product in demo.products
        if product.category not in ("Robes",)
        for variant in product.variants
        if (variant.sku, STORE) in held
    ]
    return dress or others[0], others[0]


def _messages(now: datetime, dress: str) -> list[tuple[str, dict[str, Any]]]:
    def at(days: float) -> str:
        return (now - timedelta(days=days)).isoformat().replace("+00:00", "Z")

    till = "till-LYON-01-showcase"
    store_visit = {
        "type": "identify",
        "anonymousId": till,
        "traits": {
            "first_name": "ZOE",
            "last_name": "MARTIN",
            "phone": ZOE["till_phone"],
            "postal_code": "69002",
            "customer_number": "C-LYON-ZM01",
        },
        "timestamp": at(730),
        "messageId": "showcase-till-1",
    }
    web_login = {
        "type": "identify",
        "userId": ZOE["user_id"],
        "anonymousId": "web-showcase-zoe",
        "traits": {
            "email": ZOE["email"],
            "phone": ZOE["phone"],
            "first_name": ZOE["first_name"],
            "last_name": ZOE["last_name"],
            "address": {"street": "14 rue Mercière", "postal_code": "69002", "city": "Lyon"},
        },
        "timestamp": at(400),
        "messageId": "showcase-web-1",
    }
    out: list[tuple[str, dict[str, Any]]] = [(STORE, store_visit), ("web", web_login)]
    purchases = ((STORE, 728, 89.0), ("web", 390, 59.9), (STORE, 200, 129.0), ("web", 60, 45.5))
    for number, (source, days, total) in enumerate(purchases, start=1):
        who = {"anonymousId": till} if source == STORE else {"userId": ZOE["user_id"]}
        order = {
            "order_id": f"ZM-{number}",
            "total": total,
            "currency": "EUR",
            "products": [{"category": "Robes", "price": total, "quantity": 1}],
        }
        message = {
            "type": "track",
            "event": "Order Completed",
            "properties": order,
            "timestamp": at(days),
            "messageId": f"showcase-order-{number}",
            **who,
        }
        out.append((source, message))
    viewed = {"sku": dress, "category": "Robes"}
    out.append(
        (
            "web",
            {
                "type": "track",
                "event": "Product Viewed",
                "userId": ZOE["user_id"],
                "properties": viewed,
                "timestamp": at(0.2),
                "messageId": "showcase-view-1",
            },
        )
    )
    return out


def create_showcase(session: Session, demo: DemoRetailer, rng: Random, report: Report) -> None:
    """The demo step: Zoé with her history and web cart, the size gone in Lyon, and staff."""
    now = utcnow().astimezone(UTC)
    dress, accessory = _dress(demo)
    sources = _sources(session)
    items: list[tuple[SourceView, ParsedMessage]] = []
    for index, (source, raw) in enumerate(_messages(now, dress)):
        parsed = parse_message(raw, index=index, received_at=now, max_bytes=None)
        if isinstance(parsed, ParsedMessage) and source in sources:
            items.append((sources[source], parsed))
    tracking.ingest_many(session, items=items, received_at=now)
    report(1, 3)
    # The Lyon store has just sold its last dress in M: the warehouse still has it.
    inventory.count_stock(
        session,
        lines=[StockCount(dress, STORE, 0)],
        actor=OPERATOR,
        reason="demo: last M sold in Lyon",
    )
    carts.create_cart(
        session,
        data=CartIn(
            customer_ref=ZOE["user_id"],
            lines=[CartLineIn(sku=dress, quantity=1), CartLineIn(sku=accessory, quantity=1)],
        ),
        actor=WEB_SHOP,
        currency=demo.currency,
    )
    report(2, 3)
    for email, name, role, location in STAFF:
        password = secrets.token_urlsafe(9)
        staff.create_staff(
            session, email=email, password=password, role=role, location_code=location, name=name
        )
        demo.staff.append(
            DemoStaff(email=email, name=name, role=role.value, location=location, password=password)
        )
    report(3, 3)
