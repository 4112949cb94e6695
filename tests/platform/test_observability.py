"""The operator's instruments: /metrics, traces of requests and SQL, the request id."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from opentelemetry.trace import SpanKind
from prometheus_client.parser import text_string_to_metric_families
from sqlalchemy import func, select

from omnicanal.api.app import create_app
from omnicanal.platform.events import OutboxEvent
from omnicanal.platform.observability.tracing import install_tracing
from tests.builders import auth, make_key, make_location, make_product, receive
from tests.conftest import make_platform


@pytest.fixture
def shop(platform):  # type: ignore[no-untyped-def]
    """A store holding 2 units of one SKU, and a web key."""
    make_location(platform, "LYON-01")
    (sku,) = make_product(platform, "ROBE-LIN")
    receive(platform, sku, "LYON-01", 2)
    return {"sku": sku, "web": make_key(platform, "web")}


def scrape(client: TestClient) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    """Every sample of a /metrics scrape, by name and sorted labels."""
    response = client.get("/metrics")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/plain")
    return {
        (sample.name, tuple(sorted(sample.labels.items()))): sample.value
        for family in text_string_to_metric_families(response.text)
        for sample in family.samples
    }


def test_a_scrape_reports_requests_by_route_template_stock_refusals_and_the_backlog(
    platform, client, shop
):
    """Requests are timed under their route template, checkouts on their own, a refusal for
    stock is counted, and the outbox gauges read the events the (stopped) relay has not
    published."""
    web = auth(shop["web"])
    assert client.get(f"/v1/inventory/{shop['sku']}", headers=web).status_code == 200
    assert client.get("/nowhere/at/all").status_code == 404
    refused = client.post("/v1/reservations", headers=web, json={"sku": shop["sku"], "quantity": 5})
    assert refused.json()["code"] == "insufficient_stock"
    held = client.post("/v1/reservations", headers=web, json={"sku": shop["sku"], "quantity": 1})
    assert held.status_code == 201
    assert client.post("/v1/orders", headers=web, json={}).status_code == 422

    samples = scrape(client)

    by_template = (("method", "GET"), ("route", "/v1/inventory/{sku}"), ("status", "2xx"))
    assert samples[("omnicanal_http_request_duration_seconds_count", by_template)] == 1
    assert not any(shop["sku"] in str(labels) for _, labels in samples)
    unmatched = (("method", "GET"), ("route", "<unmatched>"), ("status", "4xx"))
    assert samples[("omnicanal_http_request_duration_seconds_count", unmatched)] == 1
    refusals = ("omnicanal_reservation_failures_total", (("operation", "reserve_stock"),))
    assert samples[refusals] == 1
    assert samples[("omnicanal_checkout_duration_seconds_count", (("status", "4xx"),))] == 1
    with platform.db.reading() as session:
        unpublished = session.scalar(
            select(func.count()).select_from(OutboxEvent).where(OutboxEvent.published.is_(False))
        )
    assert unpublished > 0
    assert samples[("omnicanal_outbox_backlog", ())] == unpublished
    assert samples[("omnicanal_outbox_oldest_age_seconds", ())] >= 0


def test_a_traced_request_exports_its_server_and_sql_spans_and_notes_its_events(platform, shop):
    """With tracing on, a reservation is one trace: the server span, the SQL it ran, and
    the id of the event it wrote."""
    exporter = InMemorySpanExporter()
    provider = TracerProvider()
    provider.add_span_processor(SimpleSpanProcessor(exporter))
    app = create_app(platform, background=False)
    assert install_tracing(app, platform.db, enabled=True, provider=provider)

    with TestClient(app) as client:
        held = client.post(
            "/v1/reservations", headers=auth(shop["web"]), json={"sku": shop["sku"], "quantity": 1}
        )
    assert held.status_code == 201

    spans = exporter.get_finished_spans()
    (server,) = [span for span in spans if span.kind is SpanKind.SERVER]
    assert server.attributes is not None
    assert server.attributes["http.route"] == "/v1/reservations"
    trace_id = server.context.trace_id
    # The start-up's own statements (schema check) are traces of their own.
    sql = [span for span in spans if span.attributes and "db.system" in span.attributes]
    assert [span for span in sql if span.context.trace_id == trace_id]
    noted = [
        event.attributes for event in server.events if event.name == "omnicanal.event_recorded"
    ]
    assert noted
    with platform.db.reading() as session:
        written = set(session.scalars(select(OutboxEvent.id)))
    assert {attributes["omnicanal.event.id"] for attributes in noted} <= written


def test_each_answer_carries_a_request_id_echoed_when_sane(client):
    """A sane X-Request-Id comes back as sent; none, or one too long or with control
    characters, is replaced by a new id."""
    made = client.get("/healthz").headers["x-request-id"]
    assert len(made) == 26
    sane = "edge-7f3a:42"
    assert client.get("/healthz", headers={"X-Request-Id": sane}).headers["x-request-id"] == sane
    for insane in ("x" * 200, "two\tparts"):
        answered = client.get("/healthz", headers={"X-Request-Id": insane})
        assert answered.headers["x-request-id"] not in (insane, made)
        assert len(answered.headers["x-request-id"]) == 26


def test_metrics_are_not_served_when_disabled(backend, tmp_path, request):
    """OMNICANAL_METRICS_ENABLED=false: no /metrics at all."""
    platform = make_platform(backend, tmp_path, request, metrics_enabled=False)
    try:
        with TestClient(create_app(platform, background=False)) as client:
            assert client.get("/metrics").status_code == 404
            assert client.get("/healthz").status_code == 200
    finally:
        platform.close()
