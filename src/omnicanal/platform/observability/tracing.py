"""OpenTelemetry traces of the HTTP requests and the SQL they run (OMNICANAL_OTEL_ENABLED).

The OpenTelemetry packages are the ``observability`` extra and are imported only when tracing
is enabled: a server that does not trace pays nothing. Spans go to the exporter the standard
variables name (``OTEL_TRACES_EXPORTER``: otlp by default, or console; ``otlp`` also needs
``OTEL_EXPORTER_OTLP_ENDPOINT`` and the ``opentelemetry-exporter-otlp`` package); with no
usable exporter nothing is instrumented. The tracer provider is handed to the instrumentation
rather than set process-wide, so an application (or a test) may bring its own.

An event written during a traced request carries the request's trace: the outbox keeps the
W3C ``traceparent`` of the span it was written in (:func:`current_traceparent`), the envelope
carries it as the CloudEvents distributed-tracing attribute (and NATS as a header), and a
consumer's span (:func:`consumer_span`) links back to it. The request's span also gets an
``omnicanal.event_recorded`` span event naming the event's id and type.
"""

from __future__ import annotations

import contextlib
import logging
import os
import re
import weakref
from collections.abc import Iterable, Iterator
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from fastapi import FastAPI
    from opentelemetry.sdk.trace import TracerProvider
    from opentelemetry.sdk.trace.export import SpanExporter
    from opentelemetry.trace import Tracer

    from omnicanal.platform.db import Database

__all__ = [
    "EXCLUDED_URLS",
    "consumer_span",
    "current_traceparent",
    "install_tracing",
    "install_worker_tracing",
    "note_event",
]

log = logging.getLogger(__name__)
# Scrapes and health checks every few seconds would drown the traces that matter.
EXCLUDED_URLS = "/metrics,/healthz"

try:  # the API alone: present with the extra (and with many other libraries)
    from opentelemetry import trace as _trace
except ImportError:  # pragma: no cover - without the extra, events note nothing
    _trace = None  # type: ignore[assignment]

# version-traceid-parentid-flags (W3C Trace Context, version 00): 55 characters.
_TRACEPARENT = re.compile(r"00-([0-9a-f]{32})-([0-9a-f]{16})-([0-9a-f]{2})")
# The tracer of each traced database's consumers: per database rather than process-wide, as
# the instrumentation is, so two platforms in one process (the tests) trace apart.
_consumer_tracers: weakref.WeakKeyDictionary[Database, Tracer] = weakref.WeakKeyDictionary()


def current_traceparent() -> str | None:
    """The W3C ``traceparent`` of the current span, or None when no span is (tracing off)."""
    if _trace is None:
        return None
    context = _trace.get_current_span().get_span_context()
    if not context.is_valid:
        return None
    return f"00-{context.trace_id:032x}-{context.span_id:016x}-{context.trace_flags:02x}"


def _span_context(traceparent: str | None) -> Any:
    """The remote span context a ``traceparent`` names, or None if it names none."""
    assert _trace is not None
    found = _TRACEPARENT.fullmatch(traceparent) if isinstance(traceparent, str) else None
    if found is None:
        return None
    trace_id, span_id, flags = (int(part, 16) for part in found.groups())
    if not trace_id or not span_id:
        return None
    return _trace.SpanContext(
        trace_id, span_id, is_remote=True, trace_flags=_trace.TraceFlags(flags)
    )


@contextlib.contextmanager
def _linked_span(tracer: Tracer, consumer: str, events: list[Any]) -> Iterator[None]:
    assert _trace is not None
    # One link per recording span: the events of one request share theirs.
    contexts = [_span_context(parent) for parent in dict.fromkeys(e.traceparent for e in events)]
    attributes: dict[str, Any] = {
        "messaging.operation.type": "process",
        "messaging.consumer.group.name": consumer,
        "messaging.batch.message_count": len(events),
    }
    if len(events) == 1:
        attributes["messaging.message.id"] = events[0].id
        attributes["omnicanal.event.type"] = events[0].type
    with tracer.start_as_current_span(
        f"process {consumer}",
        kind=_trace.SpanKind.CONSUMER,
        attributes=attributes,
        links=[_trace.Link(context) for context in contexts if context is not None],
    ):
        yield


def consumer_span(
    db: Database, consumer: str, events: Iterable[Any]
) -> contextlib.AbstractContextManager[None]:
    """The span of ``consumer`` handling ``events`` (envelopes), linked to the spans that
    recorded them; nothing when ``db`` is not traced."""
    tracer = _consumer_tracers.get(db)
    if tracer is None:
        return contextlib.nullcontext()
    return _linked_span(tracer, consumer, list(events))


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

    FastAPIInstrumentor.instrument_app(app, tracer_provider=provider, excluded_urls=EXCLUDED_URLS)
    _trace_database(db, provider)
    return True


def install_worker_tracing(
    db: Database, *, enabled: bool, provider: TracerProvider | None = None
) -> bool:
    """Trace the consumers a worker runs on ``db`` and their statements when enabled; whether
    it does."""
    if not enabled:
        return False
    provider = provider or _provider_from_environment()
    if provider is None:
        return False
    _trace_database(db, provider)
    return True


def _trace_database(db: Database, provider: TracerProvider) -> None:
    """Trace ``db``'s statements, and the consumers that handle events on it."""
    from opentelemetry.instrumentation.sqlalchemy import __version__ as sqlalchemy_version
    from opentelemetry.instrumentation.sqlalchemy.engine import EngineTracer
    from opentelemetry.metrics import get_meter

    # The engine tracer of one engine, rather than the instrumentor that patches every
    # create_engine of the process once and for all.
    tracer = provider.get_tracer("opentelemetry.instrumentation.sqlalchemy", sqlalchemy_version)
    connections: Any = get_meter(__name__).create_up_down_counter("db.client.connections.usage")
    for engine in dict.fromkeys((db.write_engine, db.read_engine)):
        EngineTracer(tracer, engine, connections)
    _consumer_tracers[db] = provider.get_tracer("omnicanal.consumers")
