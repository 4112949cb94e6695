"""The API's public surface: its OpenAPI document, health check and unknown routes."""

from __future__ import annotations

from tests.builders import make_location


def test_every_v1_operation_documents_its_problem_responses(client):
    spec = client.get("/openapi.json").json()
    operations = [
        (path, method, operation)
        for path, methods in spec["paths"].items()
        if path.startswith("/v1/")
        for method, operation in methods.items()
    ]
    assert len(operations) >= 17
    for path, method, operation in operations:
        responses = operation["responses"]
        assert {"401", "403", "422"} <= set(responses), (method, path)
        assert "application/problem+json" in responses["401"]["content"], (method, path)
    reserve = spec["paths"]["/v1/reservations"]["post"]
    assert {"201", "404", "409"} <= set(reserve["responses"])
    assert any(p["name"] == "Idempotency-Key" for p in reserve["parameters"])
    assert "Problem" in spec["components"]["schemas"]


def test_health_reports_the_database_and_the_outbox_backlog(platform, client):
    make_location(platform, "LYON-01")

    health = client.get("/healthz").json()

    assert health["status"] == "ok"
    assert health["database"] == platform.db.dialect
    assert health["outbox_backlog"] == 1


def test_an_unknown_route_is_a_problem_document(client):
    response = client.get("/v1/nowhere")
    assert response.status_code == 404
    assert response.json()["code"] == "not_found"
