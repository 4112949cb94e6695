"""OpenTelemetry traces of the HTTP requests and the SQL they run (OMNICANAL_OTEL_ENABLED).

The OpenTelemetry packages are the ``observability`` extra and are imported only when tracing
is enabled: a server that does not trace pays nothing. Spans go to the exporter the standard
variables name (``OTEL_TRACES_EXPORTER``: otlp by default, or console; ``otlp`` also needs
``OTEL_EXPORTER_OTLP_ENDPOINT`` and the ``opentelemetry-exporter-otlp`` package); with no
usable exporter nothing is instrumented. The tracer provider is handed to the instrumentation
rather than set process-wide, so an application (or a test) may bring its own.

An event written during a traced request is linked to it the other way round: the request's
span gets an ``omnicanal.event_recorded`` span event naming the event's id and type (the
outbox has no column for a ``traceparent``).
"""

from __future__ import annotations

import logging
import os
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from fastapi import FastAPI
    from opentelemetry.sdk.trace import TracerProvider
    from opentelemetry.sdk.trace.export import SpanExporter

    from omnicanal.platform.db import Database

__all__ = ["EXCLUDED_URLS", "install_tracing", "note_event"]

log = logging.getLogger(__name__)
# Scrapes and health checks every few seconds would drown the traces that matter.
EXCLUDED_URLS = "/metrics,/healthz"

try:  # the API alone: present with the extra (and with many other libraries)
    from opentelemetry import trace as _trace
except ImportError:  # pragma: no cover - without the extra, events note nothing
    _trace = None  # type: ignore[assignment]


def note_event(event_id: str, event_type: str) -> None:
    """Note on the current span (if one records) that an event was written during it."""
    if _trace is None:
        return
    span = _trace.get_current_span()
    if span.is_recording():
        span.add_event(
            "omnicanal.event_recorded",
            {"omnicanal.event.id": event_id, "omnicanal.event.type": event_type},
        )


def _exporter_from_environment() -> SpanExporter | None:
    chosen = os.environ.get("OTEL_TRACES_EXPORTER", "otlp").strip().lower()
    if chosen == "console":
        from opentelemetry.sdk.trace.export import ConsoleSpanExporter

        return ConsoleSpanExporter()
    endpoint = os.environ.get("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT") or os.environ.get(
        "OTEL_EXPORTER_OTLP_ENDPOINT"
    )
    if chosen != "otlp" or not endpoint:
        log.warning("tracing enabled but no exporter configured (OTEL_TRACES_EXPORTER=%s)", chosen)
        return None
    try:
        from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter
    except ImportError:
        log.warning("OTEL_EXPORTER_OTLP_ENDPOINT is set: pip install opentelemetry-exporter-otlp")
        return None
    return OTLPSpanExporter()


def _provider_from_environment() -> TracerProvider | None:
    exporter = _exporter_from_environment()
    if exporter is None:
        return None
    from opentelemetry.sdk.resources import Resource
    from opentelemetry.sdk.trace import TracerProvider
    from opentelemetry.sdk.trace.export import BatchSpanProcessor

    # Resource.create reads OTEL_SERVICE_NAME and OTEL_RESOURCE_ATTRIBUTES.
    provider = TracerProvider(resource=Resource.create({"service.name": "omnicanal"}))
    provider.add_span_processor(BatchSpanProcessor(exporter))
    return provider


def install_tracing(
    app: FastAPI, db: Database, *, enabled: bool, provider: TracerProvider | None = None
) -> bool:
    """Trace ``app``'s requests and ``db``'s statements when enabled; whether it does.

    ``provider`` replaces the one built from the environment (a test's in-memory exporter).
    """
    if not enabled:
        return False
    provider = provider or _provider_from_environment()
    if provider is None:
        return False
    from opentelemetry.instrumentation.fastapi import FastAPIInstrumentor
    from opentelemetry.instrumentation.sqlalchemy import __version__ as sqlalchemy_version
    from opentelemetry.instrumentation.sqlalchemy.engine import EngineTracer
    from opentelemetry.metrics import get_meter

    FastAPIInstrumentor.instrument_app(app, tracer_provider=provider, excluded_urls=EXCLUDED_URLS)
    # The engine tracer of one engine, rather than the instrumentor that patches every
    # create_engine of the process once and for all.
    tracer = provider.get_tracer("opentelemetry.instrumentation.sqlalchemy", sqlalchemy_version)
    connections: Any = get_meter(__name__).create_up_down_counter("db.client.connections.usage")
    for engine in dict.fromkeys((db.write_engine, db.read_engine)):
        EngineTracer(tracer, engine, connections)
    return True
