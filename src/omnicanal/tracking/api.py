"""HTTP routes of the tracking API, compatible with Segment's (``/v1/batch``, ``/v1/track``...).

Point ``segment-analytics-python``, analytics.js or a RudderStack SDK at omnicanal with a
source's write key: they authenticate with HTTP Basic (the key as user name) or put the
key in the body's ``writeKey``. A server of ours (a till) may instead send with its own API
key (``Authorization: Bearer``) when the key has the ``tracking:write`` scope.

A batch stores its valid messages and lists the refused ones (index, messageId, field,
reason) in the answer; a batch with no valid message, like a single refused message, is a
400 problem and stores nothing. A stored message may come with warnings (an identifier kept
as an unverified trait, a time clamped), listed the same way. Like Segment's, a request is
at most ``tracking_max_batch_bytes`` (500 KB, else 413), a batch at most
``tracking_max_batch_messages`` messages (2,500, else 400) and a message at most
``tracking_max_message_bytes`` (32 KB, else that message is refused).
"""

from __future__ import annotations

from collections.abc import Callable, Coroutine, Mapping
from datetime import datetime
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse
from sqlalchemy.exc import DBAPIError
from starlette.concurrency import run_in_threadpool

from omnicanal.customers.identity.blocked import configured_blocklist
from omnicanal.platform.auth import authenticate, require_scope
from omnicanal.platform.clock import utcnow
from omnicanal.platform.http.deps import PlatformDep
from omnicanal.platform.http.openapi import BEARER_KEY, TRACKING_WRITE_KEY, problem_example
from omnicanal.platform.http.problems import MEDIA_TYPE, Problem, problem_response, responses
from omnicanal.platform.wiring import Platform
from omnicanal.tracking import service
from omnicanal.tracking.body import BodyRefused, basic_user, read_json
from omnicanal.tracking.spec import ParsedMessage, Rejection, batch_sent_at, parse_message

router = APIRouter(prefix="/v1", tags=["tracking"])
DEADLOCK = "40P01"
"""PostgreSQL's SQLSTATE for a transaction refused to break a cycle of lock waits."""
DEADLOCK_ATTEMPTS = 3

_MESSAGE_SCHEMA: dict[str, Any] = {
    "type": "object",
    "description": "A Segment-spec message (identify, track, page, screen, alias, group).",
    "properties": {
        "type": {"type": "string"},
        "messageId": {"type": "string"},
        "userId": {"type": ["string", "null"]},
        "anonymousId": {"type": ["string", "null"]},
        "event": {"type": "string"},
        "traits": {"type": "object"},
        "properties": {"type": "object"},
        "context": {"type": "object"},
        "timestamp": {"type": "string", "format": "date-time"},
        "originalTimestamp": {"type": "string", "format": "date-time"},
        "sentAt": {"type": "string", "format": "date-time"},
    },
    "additionalProperties": True,
    "examples": [
        {
            "type": "identify",
            "userId": "zoe.martin",
            "anonymousId": "cookie-zoe",
            "messageId": "zoe-login-1",
            "traits": {
                "email": "zoe.martin@exemple.fr",
                "phone": "+33 6 12 34 56 78",
                "first_name": "Zoé",
            },
            "timestamp": "2026-05-04T09:12:00Z",
        }
    ],
}
_BATCH_SCHEMA: dict[str, Any] = {
    "type": "object",
    "properties": {
        "batch": {"type": "array", "items": _MESSAGE_SCHEMA},
        "sentAt": {"type": "string", "format": "date-time"},
        "writeKey": {"type": "string"},
        "context": {"type": "object"},
    },
    "required": ["batch"],
    "examples": [
        {
            "batch": [
                _MESSAGE_SCHEMA["examples"][0],
                {
                    "type": "track",
                    "userId": "zoe.martin",
                    "event": "Product Viewed",
                    "messageId": "zoe-view-1",
                    "properties": {"sku": "ROBE-LIN-M", "price": 89.0, "currency": "EUR"},
                    "timestamp": "2026-05-04T09:13:00Z",
                },
            ],
            "sentAt": "2026-05-04T09:13:05Z",
        }
    ],
}


def _problem_entry(description: str, *examples: Any) -> dict[str, Any]:
    media: dict[str, Any] = {"schema": {"$ref": "#/components/schemas/Problem"}}
    if examples:
        media["examples"] = {example["value"]["code"]: example for example in examples}
    return {"model": Problem, "description": description, "content": {MEDIA_TYPE: media}}


RESPONSES = {
    **responses(400),
    400: _problem_entry(
        "The body is not a batch, or no message of it follows the tracking spec",
        problem_example(
            400, "invalid_batch", "Invalid batch", "The body needs 'batch', a list of messages."
        ),
        problem_example(
            400,
            "invalid_messages",
            "No message of the batch follows the tracking spec",
            "message 0: a message needs a userId or an anonymousId",
            message="message 0: a message needs a userId or an anonymousId",
            field="userId",
            rejected=[
                {
                    "index": 0,
                    "messageId": "m-1",
                    "code": "missing_id",
                    "field": "userId",
                    "reason": "a message needs a userId or an anonymousId",
                }
            ],
        ),
        problem_example(
            400, "malformed_json", "Malformed JSON", "The request body is not valid JSON."
        ),
    ),
    401: _problem_entry(
        "Missing, unknown or revoked write key (or API key)",
        problem_example(
            401,
            "unknown_write_key",
            "Unknown or revoked write key",
            "This write key is unknown or has been revoked.",
            message="invalid write key",
        ),
    ),
    403: _problem_entry(
        "An API key without the tracking:write scope",
        problem_example(
            403,
            "forbidden",
            "Not allowed for this caller",
            "This key lacks the 'tracking:write' scope.",
            required_scope="tracking:write",
        ),
    ),
    413: _problem_entry(
        "The body is over the size limit (after decompression)",
        problem_example(
            413,
            "batch_too_large",
            "Request body too large",
            "The body is over 512000 bytes (after decompression); send smaller batches.",
        ),
    ),
    415: _problem_entry(
        "Unsupported Content-Encoding",
        problem_example(
            415,
            "unsupported_encoding",
            "Unsupported Content-Encoding",
            "Content-Encoding 'br' is not supported; send gzip, deflate or none.",
        ),
    ),
}
# A source's write key, as Segment's SDKs send it; or an API key with tracking:write.
SECURITY = [{TRACKING_WRITE_KEY: []}, {BEARER_KEY: ["tracking:write"]}]
ACCEPTED = {
    "type": "object",
    "properties": {
        "success": {"type": "boolean"},
        "accepted": {"type": "integer"},
        "duplicates": {"type": "integer"},
        "rejected": {"type": "array", "items": {"type": "object"}},
        "warnings": {"type": "array", "items": {"type": "object"}},
    },
    "examples": [{"success": True, "accepted": 2, "duplicates": 0, "rejected": [], "warnings": []}],
}


def _openapi(schema: dict[str, Any]) -> dict[str, Any]:
    return {
        "requestBody": {
            "required": True,
            "content": {"application/json": {"schema": schema}},
            "description": "JSON, optionally with Content-Encoding: gzip",
        },
        "responses": {"200": {"content": {"application/json": {"schema": ACCEPTED}}}},
        "security": SECURITY,
    }


def _refused(rejections: list[Rejection], *, single: bool) -> JSONResponse:
    first = rejections[0]
    where = "" if single else f"message {first.index}: "
    detail = f"{where}{first.reason}"
    return problem_response(
        400,
        first.code if single else "invalid_messages",
        "The message does not follow the tracking spec"
        if single
        else "No message of the batch follows the tracking spec",
        detail,
        message=detail,
        field=first.field or None,
        rejected=[r.as_dict() for r in rejections],
    )


def _messages(body: Any, forced_type: str | None, limit: int) -> list[Any]:
    if not isinstance(body, Mapping):
        raise BodyRefused(400, "invalid_batch", "Invalid batch", "The body must be a JSON object.")
    if forced_type is not None:
        return [body]
    batch = body.get("batch")
    if not isinstance(batch, list):
        raise BodyRefused(
            400, "invalid_batch", "Invalid batch", "The body needs 'batch', a list of messages."
        )
    if not batch:
        raise BodyRefused(400, "invalid_batch", "Invalid batch", "The batch holds no message.")
    if len(batch) > limit:
        raise BodyRefused(
            400,
            "batch_too_many_messages",
            "Too many messages in the batch",
            f"The batch holds {len(batch)} messages; the limit is {limit}. Send smaller batches.",
        )
    shared = body.get("context")
    if isinstance(shared, Mapping):
        batch = [
            {**m, "context": {**shared, **(m.get("context") or {})}}
            if isinstance(m, Mapping) and isinstance(m.get("context") or {}, Mapping)
            else m
            for m in batch
        ]
    return batch


def _source(platform: Platform, credential: tuple[str, str | None]) -> service.SourceView:
    """The source a request speaks for: a write key's, or an API key's (``tracking:write``)."""
    kind, secret = credential
    if kind == "write_key":
        with platform.db.reading() as session:
            return service.authenticate_write_key(session, secret)
    with platform.db.reading() as session:
        actor = authenticate(session, secret)
    require_scope(actor, "tracking:write")
    with platform.db.transaction() as session:
        return service.source_for_api_key(session, actor=actor)


def _ingest(
    platform: Platform,
    credential: tuple[str, str | None],
    body: Any,
    forced_type: str | None,
    received_at: datetime,
    size: int,
) -> JSONResponse:
    source = _source(platform, credential)
    raw_messages = _messages(body, forced_type, platform.settings.tracking_max_batch_messages)
    sent_at = batch_sent_at(body)
    if isinstance(sent_at, Rejection):
        return _refused([sent_at], single=True)
    settings = platform.settings
    parsed: list[ParsedMessage] = []
    rejected: list[Rejection] = []
    for index, raw in enumerate(raw_messages):
        outcome = parse_message(
            raw,
            index=index,
            forced_type=forced_type,
            received_at=received_at,
            batch_sent_at=sent_at,
            region=settings.phone_region,
            # A body smaller than one message's limit holds no message over it.
            max_bytes=limit if size > (limit := settings.tracking_max_message_bytes) else None,
        )
        (rejected if isinstance(outcome, Rejection) else parsed).append(outcome)  # type: ignore[arg-type]
    if not parsed:
        return _refused(rejected, single=forced_type is not None)
    blocklist = configured_blocklist(tuple(settings.identity_blocked_values), settings.phone_region)
    for attempt in range(1, DEADLOCK_ATTEMPTS + 1):
        try:
            with platform.db.transaction() as session:
                result = service.ingest(
                    session,
                    source=source,
                    messages=parsed,
                    received_at=received_at,
                    blocklist=blocklist,
                )
            break
        except DBAPIError as error:
            # The rare cycle between two resolutions (docs/adr/0036): PostgreSQL refused
            # one; nothing of it was written, so it is tried again.
            if getattr(error.orig, "sqlstate", None) != DEADLOCK or attempt == DEADLOCK_ATTEMPTS:
                raise
    stored = set(result.accepted)
    return JSONResponse(
        {
            "success": True,
            "accepted": len(result.accepted),
            "duplicates": len(result.duplicates),
            "rejected": [r.as_dict() for r in rejected],
            "warnings": [
                warning.as_dict()
                for message in parsed
                if message.index in stored
                for warning in (*message.warnings, *result.warnings.get(message.index, ()))
            ],
        }
    )


def _credential(request: Request, body: Any) -> tuple[str, str | None]:
    """("api_key", token) for a Bearer header, else ("write_key", the Basic user name or
    the body's ``writeKey``)."""
    authorization = request.headers.get("authorization") or ""
    if authorization[:7].lower() == "bearer ":
        return "api_key", authorization[7:].strip()
    write_key = basic_user(authorization)
    if write_key is None and isinstance(body, Mapping) and isinstance(body.get("writeKey"), str):
        write_key = body["writeKey"]
    return "write_key", write_key


async def _receive(request: Request, platform: Platform, forced_type: str | None) -> JSONResponse:
    received_at = utcnow()
    try:
        body, size = await read_json(request, limit=platform.settings.tracking_max_batch_bytes)
        return await run_in_threadpool(
            _ingest, platform, _credential(request, body), body, forced_type, received_at, size
        )
    except BodyRefused as refused:
        return refused.response()


@router.post("/batch", responses=RESPONSES, openapi_extra=_openapi(_BATCH_SCHEMA))
async def send_batch(request: Request, platform: PlatformDep) -> JSONResponse:
    """A batch of messages, as every Segment and RudderStack SDK sends them."""
    return await _receive(request, platform, None)


@router.post("/import", responses=RESPONSES, openapi_extra=_openapi(_BATCH_SCHEMA))
async def import_batch(request: Request, platform: PlatformDep) -> JSONResponse:
    """Historical messages (Segment's ``/v1/import``): a batch, with their own timestamps."""
    return await _receive(request, platform, None)


def _single(kind: str) -> Callable[[Request, Platform], Coroutine[Any, Any, JSONResponse]]:
    async def receive(request: Request, platform: PlatformDep) -> JSONResponse:
        return await _receive(request, platform, kind)

    receive.__name__ = f"{kind}_message"
    receive.__doc__ = f"One {kind} message."
    return receive


for _kind in ("identify", "track", "page", "screen", "alias", "group"):
    router.add_api_route(
        f"/{_kind}",
        _single(_kind),
        methods=["POST"],
        responses=RESPONSES,
        openapi_extra=_openapi(_MESSAGE_SCHEMA),
        summary=f"{_kind.title()} (one message)",
    )
