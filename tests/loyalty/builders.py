"""Builders for loyalty tests: the returns tests' shop (a warehouse, Lyon and Paris, a dress
in two sizes, a jacket, a key per channel), a programme, members, and points."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from fastapi.testclient import TestClient

from omnicanal.loyalty import service as loyalty
from omnicanal.loyalty.schemas import AdjustmentIn, EnrolIn, ProgrammeIn
from omnicanal.platform.actors import OPERATOR
from omnicanal.platform.wiring import Platform
from tests.builders import auth, make_key, make_one_size_product, receive

PROGRAMME = "CLUB"
CUSTOMER = "email:ines@example.fr"
CARD = "FID-0001"


def make_programme(platform: Platform, **settings: Any) -> str:
    """The CLUB programme in euros: a point per euro, 30 days pending, points kept 24
    months, a cent a point (unless ``settings`` say otherwise); returns its code."""
    data = {"code": PROGRAMME, "name": "Club Omnicanal", **settings}
    with platform.db.transaction() as session:
        loyalty.create_programme(session, data=ProgrammeIn(**data), actor=OPERATOR)
    return str(data["code"])


def admin_key(platform: Platform) -> str:
    """A head-office key: it sets up programmes and adjusts points by hand."""
    return make_key(
        platform, "call_centre", scopes=["loyalty:read", "loyalty:write", "loyalty:admin"]
    )


def make_accessory(platform: Platform, *, location: str = "LYON-01") -> str:
    """A scarf at 19.90 € in the Accessoires category, 5 in stock at ``location``."""
    scarf = make_one_size_product(
        platform,
        "FOULARD",
        name="Foulard soie",
        category="Accessoires",
        colour="bleu",
        price_minor=1990,
        gtin="376123459999",
    )
    receive(platform, scarf, location, 5)
    return scarf


def enrol(
    client: TestClient,
    key: str,
    *,
    customer_ref: str | None = CUSTOMER,
    card_number: str | None = CARD,
    programme: str = PROGRAMME,
) -> dict[str, Any]:
    """POST /v1/loyalty/members; the member, asserting they joined."""
    body: dict[str, Any] = {"programme": programme}
    if customer_ref is not None:
        body["customer_ref"] = customer_ref
    if card_number is not None:
        body["card_number"] = card_number
    response = client.post("/v1/loyalty/members", json=body, headers=auth(key))
    assert response.status_code == 201, response.text
    return dict(response.json())


def enrol_directly(
    platform: Platform, *, customer_ref: str = CUSTOMER, card_number: str | None = None
) -> str:
    """A member joined through the use case (no HTTP); their id."""
    with platform.db.transaction() as session:
        member = loyalty.enrol(
            session,
            data=EnrolIn(programme=PROGRAMME, customer_ref=customer_ref, card_number=card_number),
            actor=OPERATOR,
        )
    return member.id


def give_points(
    platform: Platform, member_id: str, points: int, *, now: datetime | None = None
) -> None:
    """Points added by hand (they expire like earned ones)."""
    with platform.db.transaction() as session:
        loyalty.adjust_points(
            session,
            member_id=member_id,
            data=AdjustmentIn(points=points, reason="bienvenue"),
            actor=OPERATOR,
            now=now,
        )


def member(client: TestClient, key: str, member_id: str) -> dict[str, Any]:
    """GET /v1/loyalty/members/{id}."""
    response = client.get(f"/v1/loyalty/members/{member_id}", headers=auth(key))
    assert response.status_code == 200, response.text
    return dict(response.json())


def balance(client: TestClient, key: str, member_id: str) -> dict[str, Any]:
    """The member's balance as the API shows it."""
    return dict(member(client, key, member_id)["balance"])


def hold(
    client: TestClient,
    key: str,
    member_id: str,
    *,
    idempotency_key: str | None = None,
    **amount: int,
) -> Any:
    """POST /v1/loyalty/redemptions for ``points=`` or ``amount_minor=``; the response."""
    headers = auth(key, **({"Idempotency-Key": idempotency_key} if idempotency_key else {}))
    return client.post(
        "/v1/loyalty/redemptions", json={"member_id": member_id, **amount}, headers=headers
    )


def ledger_kinds(client: TestClient, key: str, member_id: str) -> list[tuple[str, int, int]]:
    """The member's ledger, oldest first, as (kind, points, pending points)."""
    response = client.get(
        f"/v1/loyalty/members/{member_id}/ledger", params={"limit": 500}, headers=auth(key)
    )
    assert response.status_code == 200, response.text
    return [
        (entry["kind"], entry["points"], entry["pending_points"])
        for entry in reversed(response.json()["items"])
    ]
