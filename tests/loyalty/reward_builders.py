"""Builders for the rewards tests: a programme whose orders earn at once (20 points per
euro, no return window), its reward rules, Inès as a member with purchases, her rewards."""

from __future__ import annotations

from typing import Any

from fastapi.testclient import TestClient

from omnicanal.platform.wiring import Platform
from tests.builders import auth
from tests.loyalty.builders import CARD, CUSTOMER, admin_key, enrol, make_programme
from tests.returns.builders import Shop, make_shop, web_order

VOUCHER = {"code": "BON-1000", "kind": "voucher", "amount_minor": 1000, "every_points": 1000}
"""10 € off each time a member's earned points cross a thousand."""
OFFER = {"code": "OFFRE-PREFEREE", "kind": "offer", "percent": "10", "valid_days": 30}
"""10 % off the member's preferred category, one a month."""


def reward_programme(platform: Platform, **settings: Any) -> str:
    """CLUB, where orders earn 20 points per euro at once (no return window)."""
    return make_programme(platform, points_per_euro=20, pending_days=0, **settings)


def set_rules(client: TestClient, key: str, *rules: dict[str, Any]) -> list[dict[str, Any]]:
    """PUT the programme's reward rules, asserting they were taken."""
    response = client.put(
        "/v1/loyalty/programmes/CLUB/reward-rules", json={"rules": list(rules)}, headers=auth(key)
    )
    assert response.status_code == 200, response.text
    return list(response.json())


def issue(client: TestClient, key: str, member_id: str) -> list[dict[str, Any]]:
    """POST /v1/loyalty/members/{id}/rewards: the rewards issued now."""
    response = client.post(f"/v1/loyalty/members/{member_id}/rewards", headers=auth(key))
    assert response.status_code == 200, response.text
    return list(response.json())


def rewards(client: TestClient, key: str, member_id: str, **params: str) -> list[dict[str, Any]]:
    """GET /v1/loyalty/members/{id}/rewards."""
    response = client.get(
        f"/v1/loyalty/members/{member_id}/rewards", params=params, headers=auth(key)
    )
    assert response.status_code == 200, response.text
    return list(response.json())


def shop_with_member(
    platform: Platform, client: TestClient, *rules: dict[str, Any]
) -> tuple[Shop, str, dict[str, Any]]:
    """The returns tests' shop, CLUB with ``rules``, Inès a member (card FID-0001) who
    bought two dresses on the web (1,996 points); the shop, the head office key, Inès."""
    shop = make_shop(platform)
    reward_programme(platform)
    admin = admin_key(platform)
    if rules:
        set_rules(client, admin, *rules)
    ines = enrol(client, shop.web, customer_ref=CUSTOMER, card_number=CARD)
    web_order(client, platform, shop.web, (shop.robe_m, 2))
    platform.relay().drain()
    return shop, admin, ines
