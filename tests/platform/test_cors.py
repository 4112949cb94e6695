"""Browsers of the configured web origins may call the API (the web shop's analytics.js
sending to the tracking API); other origins get no CORS permission; none by default."""

from __future__ import annotations

from fastapi.testclient import TestClient

from omnicanal.api.app import create_app
from tests.conftest import make_platform

PREFLIGHT = {
    "Access-Control-Request-Method": "POST",
    "Access-Control-Request-Headers": "authorization, content-type",
}


def test_a_listed_origin_may_send_tracking_calls_from_the_browser(tmp_path, request):
    platform = make_platform("sqlite", tmp_path, request, cors_origins=["https://boutique.example"])
    with TestClient(create_app(platform, background=False)) as client:
        allowed = client.options(
            "/v1/batch", headers={"Origin": "https://boutique.example", **PREFLIGHT}
        )
        other = client.options("/v1/batch", headers={"Origin": "https://evil.example", **PREFLIGHT})
        refused = client.post(
            "/v1/batch", json={"batch": []}, headers={"Origin": "https://boutique.example"}
        )
    platform.close()

    assert allowed.status_code == 200
    assert allowed.headers["access-control-allow-origin"] == "https://boutique.example"
    assert "authorization" in allowed.headers["access-control-allow-headers"].lower()
    assert "access-control-allow-origin" not in other.headers
    # The answer to the real call carries the permission too, so the page can read the 401.
    assert refused.status_code == 401
    assert refused.headers["access-control-allow-origin"] == "https://boutique.example"


def test_no_origin_is_allowed_unless_configured(platform, client):
    response = client.options(
        "/v1/batch", headers={"Origin": "https://boutique.example", **PREFLIGHT}
    )

    assert "access-control-allow-origin" not in response.headers
