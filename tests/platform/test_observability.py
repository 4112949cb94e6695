"""The operator's instruments: /metrics, traces of requests and SQL, the request id."""

from __future__ import annotations

import json
import re
from collections import Counter
from functools import partial
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from opentelemetry.trace import SpanKind
from prometheus_client.parser import text_string_to_metric_families
from sqlalchemy import event as sqla_event
from sqlalchemy import func, select

from omnicanal.analytics.service import CONSUMERS as ANALYTICS
from omnicanal.api.app import create_app
from omnicanal.platform.bus import deliver_batch
from omnicanal.platform.events import Event, OutboxEvent
from omnicanal.platform.observability.tracing import install_tracing
from omnicanal.platform.relay import OutboxRelay
from tests.builders import auth, make_key, make_location, make_product, receive
from tests.conftest import make_platform

DASHBOARD = Path(__file__).parents[2] / "docs" / "grafana-dashboard.json"


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
    published (untraced: they carry no traceparent)."""
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
        traces = set(session.scalars(select(OutboxEvent.traceparent)))
    assert unpublished > 0
    assert traces == {None}
    assert samples[("omnicanal_outbox_backlog", ())] == unpublished
    assert samples[("omnicanal_outbox_oldest_age_seconds", ())] >= 0


def dashboard_queries() -> list[str]:
    """Every PromQL query of docs/grafana-dashboard.json: its panels' and its variables'."""
    dashboard = json.loads(DASHBOARD.read_text())
    panels = [*dashboard["panels"]]
    for row in dashboard["panels"]:
        panels += row.get("panels", [])
    queries = [target["expr"] for panel in panels for target in panel.get("targets", [])]
    return queries + [
        variable["definition"]
        for variable in dashboard["templating"]["list"]
        if variable["type"] == "query"
    ]


@pytest.mark.parametrize("backend", ["sqlite"])
def test_the_dashboard_queries_only_metrics_that_a_scrape_exposes(client, shop):
    """Every metric the operator's Grafana dashboard reads is one /metrics serves, once the
    requests that feed each series have been answered."""
    web = auth(shop["web"])
    assert client.get(f"/v1/inventory/{shop['sku']}", headers=web).status_code == 200
    refused = client.post("/v1/reservations", headers=web, json={"sku": shop["sku"], "quantity": 5})
    assert refused.status_code == 409
    assert client.post("/v1/orders", headers=web, json={}).status_code == 422
    exposed = {name for name, _ in scrape(client)}

    queries = dashboard_queries()
    queried = {name for query in queries for name in re.findall(r"\bomnicanal_\w+", query)}

    assert len(queries) >= 20
    assert {
        "omnicanal_http_request_duration_seconds_bucket",
        "omnicanal_checkout_duration_seconds_bucket",
        "omnicanal_reservation_failures_total",
        "omnicanal_outbox_backlog",
        "omnicanal_outbox_oldest_age_seconds",
        "omnicanal_outbox_relayed_events_total",
        "omnicanal_consumer_lag_events",
        "omnicanal_consumer_lag_seconds",
        "omnicanal_consumer_delivery_cpu_seconds_total",
        "omnicanal_consumer_handled_events_total",
        "omnicanal_consumer_statements_total",
    } <= queried
    assert queried - exposed == set()


def test_a_traced_request_exports_its_server_and_sql_spans_and_notes_its_events(platform, shop):
    """With tracing on, a reservation is one trace: the server span, the SQL it ran, and
    the id of the event it wrote; the event carries the trace to its consumers, whose spans
    link back to it."""
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

    ids = [attributes["omnicanal.event.id"] for attributes in noted]
    with platform.db.reading() as session:
        rows = session.scalars(select(OutboxEvent).where(OutboxEvent.id.in_(ids)))
        recorded = [row.to_event() for row in rows]
    (traceparent,) = {event.traceparent for event in recorded}
    assert traceparent is not None
    version, traced, parent, flags = traceparent.split("-")
    assert (version, int(traced, 16), int(flags, 16) & 1) == ("00", trace_id, 1)  # sampled
    envelope = recorded[0].to_cloudevent()
    assert envelope["traceparent"] == traceparent
    assert Event.from_cloudevent(envelope).traceparent == traceparent

    exporter.clear()
    assert platform.relay().drain() >= len(recorded)
    consumed = [span for span in exporter.get_finished_spans() if span.kind is SpanKind.CONSUMER]
    links = {
        span.name: {(link.context.trace_id, link.context.span_id) for link in span.links}
        for span in consumed
    }
    # The analytics consumer counts every event: its span links to the request's.
    assert links[f"process {ANALYTICS[0].name}"] == {(trace_id, int(parent, 16))}


class Stream:
    """The bus outside (a NATS stream): it takes every event, and no consumer has it yet."""

    def publish(self, events):  # type: ignore[no-untyped-def]
        return len(events)

    def close(self) -> None:
        return None


def test_a_scrape_reports_each_consumer_lag_and_the_relay_rate(platform, client, shop):
    """Published events a consumer wants and has not handled are its lag, with the age of
    the oldest; once it has handled them its lag is nothing; the relay's rate counts what
    it published."""
    relayed = OutboxRelay(platform.db, Stream()).drain()
    with platform.db.reading() as session:
        events = [row.to_event() for row in session.scalars(select(OutboxEvent))]

    lagging = scrape(client)

    assert relayed == len(events) > 0
    for consumer in platform.consumers:
        labels = (("consumer", consumer.name),)
        wanted = sum(consumer.wants(event.type) for event in events)
        assert lagging[("omnicanal_consumer_lag_events", labels)] == wanted
        assert (lagging[("omnicanal_consumer_lag_seconds", labels)] > 0) == (wanted > 0)
    assert lagging[("omnicanal_outbox_backlog", ())] == 0
    assert lagging[("omnicanal_outbox_relay_rate", ())] > 0

    sent: Counter[str] = Counter()
    for consumer in platform.consumers:
        counting = partial(_count_into, sent, consumer.name)
        for engine in {platform.db.write_engine, platform.db.read_engine}:
            sqla_event.listen(engine, "before_cursor_execute", counting)
        try:
            deliver_batch(platform.db, consumer, events)
        finally:
            for engine in {platform.db.write_engine, platform.db.read_engine}:
                sqla_event.remove(engine, "before_cursor_execute", counting)
    caught_up = scrape(client)

    lag = {key for key in lagging if key[0].startswith("omnicanal_consumer_lag")}
    assert len(lag) == 2 * len(platform.consumers)
    assert {key: caught_up[key] for key in lag} == dict.fromkeys(lag, 0)

    # What the deliveries took, per consumer: the events each handled, and its time and CPU
    # (counted for the process, so read as what this delivery added).
    for consumer in platform.consumers:
        labels = (("consumer", consumer.name),)
        wanted = sum(consumer.wants(event.type) for event in events)
        if not wanted:
            continue
        handled = ("omnicanal_consumer_handled_events_total", labels)
        assert caught_up[handled] - lagging.get(handled, 0) == wanted
        for measure in ("delivery_seconds", "delivery_cpu_seconds"):
            key = (f"omnicanal_consumer_{measure}_total", labels)
            assert caught_up[key] > lagging.get(key, 0)
        # The statements its delivery sent, as the engines saw them.
        key = ("omnicanal_consumer_statements_total", labels)
        assert caught_up[key] - lagging.get(key, 0) == sent[consumer.name] > 0


def _count_into(sent: Counter[str], name: str, *_: object) -> None:
    sent[name] += 1


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
