"""Who may manage webhooks: head office (a first-party key bound to no store, with
``webhooks:admin``) may do everything; a key without the scope, a store's till and a
marketplace are refused everything, whatever their scopes, and change nothing."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import update

from omnicanal.platform.wiring import Platform
from omnicanal.webhooks.models import WebhookDelivery
from tests.builders import auth, make_key, make_location, snapshot
from tests.webhooks.builders import ADMIN, deliveries, head_office_key, make_endpoint, relay, scan

KEYS: dict[str, dict[str, Any]] = {
    "web key without the scope": {"channel": "web"},
    "web key of head office": {"channel": "web", "scopes": [ADMIN]},
    "app key of head office": {"channel": "app", "scopes": [ADMIN]},
    "call-centre key of head office": {"channel": "call_centre", "scopes": [ADMIN]},
    "store till with the scope": {"channel": "store", "location": "LYON-01", "scopes": [ADMIN]},
    "marketplace with the scope": {"channel": "marketplace", "scopes": [ADMIN]},
}
ALLOWED = {"web key of head office", "app key of head office", "call-centre key of head office"}
REFUSED_CODE = {
    "web key without the scope": "forbidden",
    "store till with the scope": "webhooks_forbidden",
    "marketplace with the scope": "webhooks_forbidden",
}


def _calls(endpoint_id: str, delivery_id: str) -> list[tuple[str, str, Any]]:
    """Every webhooks operation, the removal last."""
    base = f"/v1/webhooks/endpoints/{endpoint_id}"
    return [
        ("GET", "/v1/webhooks/event-types", None),
        ("GET", "/v1/webhooks/endpoints", None),
        (
            "POST",
            "/v1/webhooks/endpoints",
            {"url": "https://erp.example.com/h", "event_types": ["*"]},
        ),
        ("GET", base, None),
        ("PATCH", base, {"description": "changed"}),
        ("POST", f"{base}/secret", {"overlap_hours": 1}),
        ("GET", f"{base}/deliveries", None),
        ("POST", f"/v1/webhooks/deliveries/{delivery_id}/replay", None),
        ("POST", f"{base}/replay", {"since": "2026-01-01T00:00:00Z"}),
        ("DELETE", base, None),
    ]


def _world(platform: Platform, client: TestClient) -> tuple[str, str]:
    """An endpoint with a delivery given up (so that replaying it may succeed)."""
    make_location(platform, "LYON-01")
    made = make_endpoint(client, head_office_key(platform), "http://127.0.0.1:9/h", ("test.*",))
    scan(platform, ("P1", 1))
    relay(platform)
    (delivery,) = deliveries(platform)
    with platform.db.transaction() as session:
        session.execute(
            update(WebhookDelivery).values(
                status="dead", dead_reason="gave_up", dead_at=delivery.due_at
            )
        )
    return made["id"], delivery.id


@pytest.mark.parametrize("who", sorted(KEYS))
def test_head_office_manages_webhooks_and_no_one_else_does(platform, client, who):
    endpoint_id, delivery_id = _world(platform, client)
    token = make_key(platform, **KEYS[who])
    before = snapshot(platform)

    answers = [
        (method, path, client.request(method, path, json=body, headers=auth(token)))
        for method, path, body in _calls(endpoint_id, delivery_id)
    ]

    if who in ALLOWED:
        wrong = [(m, p, a.status_code, a.text[:200]) for m, p, a in answers if a.status_code >= 300]
        assert wrong == []
    else:
        assert {(a.status_code, a.json()["code"]) for _, _, a in answers} == {
            (403, REFUSED_CODE[who])
        }
        # Refused: not one row changed, the audit log included.
        after = snapshot(platform)
        assert {k: v for k, v in after.items() if k != "api_keys"} == {
            k: v for k, v in before.items() if k != "api_keys"
        }


def test_without_a_key_every_webhooks_operation_is_a_401(platform, client):
    endpoint_id, delivery_id = _world(platform, client)

    answers = [
        client.request(method, path, json=body)
        for method, path, body in _calls(endpoint_id, delivery_id)
    ]

    assert {(a.status_code, a.json()["code"]) for a in answers} == {(401, "unauthenticated")}
    assert all(a.headers["WWW-Authenticate"] == "Bearer" for a in answers)
