"""What an operator sees of a running omnicanal: Prometheus metrics (``metrics``),
OpenTelemetry traces (``tracing``) and structured logs carrying a request id (``logs``).

Metrics are per application (a registry of their own, so many apps in one process never
share a series); traces cost nothing unless enabled; logs go through the standard library's
``logging``, rendered by structlog. The submodules are imported where used: the outbox
(``platform.events``) reaches ``tracing`` and must not pull the metrics in with it.
"""
