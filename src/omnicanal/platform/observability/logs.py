"""Structured logs: the standard library's ``logging`` rendered by structlog, as JSON lines
for a log collector or readable lines for a terminal, each carrying the request id.

Every existing ``logging.getLogger(__name__)`` call keeps working: structlog only formats
what the standard library hands it (its ``ProcessorFormatter``), adding what is bound in the
context (``request_id``) to each line.
"""

from __future__ import annotations

import logging.config
import re
from typing import Any

import structlog
from starlette.datastructures import MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from omnicanal.platform.ids import new_id

__all__ = ["REQUEST_ID_HEADER", "RequestId", "configure_logging", "formatter", "logging_config"]

REQUEST_ID_HEADER = "x-request-id"
# What a proxy or client may hand us as a request id: visible ASCII, bounded. Anything else
# (control characters that would forge log lines, a megabyte of text) is replaced by our own.
_SANE_REQUEST_ID = re.compile(r"[\x21-\x7e]{1,128}")


def _shared_processors() -> list[Any]:
    return [
        structlog.contextvars.merge_contextvars,
        structlog.stdlib.add_log_level,
        structlog.stdlib.add_logger_name,
        structlog.processors.TimeStamper(fmt="iso", utc=True),
    ]


def formatter(json: bool) -> structlog.stdlib.ProcessorFormatter:
    """The ``logging`` formatter rendering each record as one JSON object or a console line."""
    renderer: Any = (
        structlog.processors.JSONRenderer() if json else structlog.dev.ConsoleRenderer(colors=False)
    )
    return structlog.stdlib.ProcessorFormatter(
        foreign_pre_chain=_shared_processors(),
        processors=[
            structlog.stdlib.ProcessorFormatter.remove_processors_meta,
            structlog.processors.format_exc_info,
            renderer,
        ],
    )


def logging_config(json: bool, level: str = "INFO") -> dict[str, Any]:
    """A ``logging.config.dictConfig`` that renders every logger (uvicorn's too) with
    :func:`formatter`; plain data, so uvicorn hands it to each worker process it starts."""
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "formatters": {"structured": {"()": f"{__name__}.formatter", "json": json}},
        "handlers": {
            "default": {"class": "logging.StreamHandler", "formatter": "structured"},
        },
        "root": {"handlers": ["default"], "level": level},
        # uvicorn's own loggers propagate to the root rather than print their own format.
        "loggers": {
            name: {"handlers": [], "level": level, "propagate": True}
            for name in ("uvicorn", "uvicorn.error", "uvicorn.access")
        },
    }


def configure_logging(json: bool, level: str = "INFO") -> dict[str, Any]:
    """Render every log line through structlog, once per process; returns the config (for
    uvicorn's ``log_config``)."""
    config = logging_config(json, level)
    logging.config.dictConfig(config)
    structlog.configure(
        processors=[
            *_shared_processors(),
            structlog.stdlib.ProcessorFormatter.wrap_for_formatter,
        ],
        logger_factory=structlog.stdlib.LoggerFactory(),
        wrapper_class=structlog.stdlib.BoundLogger,
        cache_logger_on_first_use=True,
    )
    return config


def request_id_of(value: str | None) -> str:
    """The request id a caller sent when it is sane, else a new one."""
    if value is not None and _SANE_REQUEST_ID.fullmatch(value):
        return value
    return new_id()


class RequestId:
    """ASGI middleware giving each HTTP request an id: bound in the log context for the
    request's duration and returned in ``X-Request-Id``."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        sent = [value for name, value in scope["headers"] if name == b"x-request-id"]
        request_id = request_id_of(sent[0].decode("latin-1") if len(sent) == 1 else None)

        async def send_with_id(message: Message) -> None:
            if message["type"] == "http.response.start":
                MutableHeaders(scope=message)[REQUEST_ID_HEADER] = request_id
            await send(message)

        with structlog.contextvars.bound_contextvars(request_id=request_id):
            await self.app(scope, receive, send_with_id)
