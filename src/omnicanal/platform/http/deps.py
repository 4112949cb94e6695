"""FastAPI dependencies shared by every router."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from dataclasses import replace
from typing import Annotated, Any

import orjson
from fastapi import Depends, Header, Request
from fastapi.encoders import jsonable_encoder
from fastapi.exceptions import RequestValidationError
from fastapi.responses import Response
from pydantic import BaseModel
from sqlalchemy.orm import Session
from starlette.concurrency import run_in_threadpool

from omnicanal.platform.actors import Actor
from omnicanal.platform.auth import authenticate_and_note_use, known_actor, require_scope
from omnicanal.platform.bounds import MAX_PARAMETER_LENGTH, check_text
from omnicanal.platform.http.ratelimit import RateLimiter
from omnicanal.platform.idempotency import MAX_KEY_LENGTH, run_write
from omnicanal.platform.wiring import Platform

# The dependencies that do no I/O are ``async``: FastAPI runs a plain ``def`` dependency in
# its thread pool, a hop that costs more than the dependency's own work.


async def get_platform(request: Request) -> Platform:
    platform: Platform = request.app.state.platform
    return platform


PlatformDep = Annotated[Platform, Depends(get_platform)]


async def get_actor(
    request: Request,
    platform: PlatformDep,
    # The OpenAPI states the key as the bearerKey security scheme (platform/http/openapi.py).
    authorization: Annotated[str | None, Header(include_in_schema=False)] = None,
) -> Actor:
    token = None
    if authorization and authorization[:7].lower() == "bearer ":
        token = authorization[7:].strip()
    limiter: RateLimiter = request.app.state.rate_limiter

    def admit(actor: Actor) -> None:
        # Before anything is written: a request over the key's rate leaves no trace.
        limiter.admit(actor.key_id or "", actor.requests_per_minute, request.state)

    # A key the process knows is read from memory, on the event loop; one it must look up
    # (or whose use it must note, once a minute) is read in the thread pool.
    actor = known_actor(platform.db, token)
    if actor is not None:
        admit(actor)
    else:
        actor = await run_in_threadpool(authenticate_and_note_use, platform.db, token, admit=admit)
    # Where the call comes from, for the audit log of the writes it makes.
    return replace(
        actor,
        address=request.client.host if request.client else None,
        user_agent=request.headers.get("user-agent"),
    )


def get_read_session(platform: PlatformDep) -> Iterator[Session]:
    with platform.db.reading() as session:
        yield session


ReadSession = Annotated[Session, Depends(get_read_session)]
IDEMPOTENCY_KEY_PATTERN = r"^[!-~]+$"
IdempotencyKey = Annotated[
    str | None,
    Header(
        alias="Idempotency-Key",
        description="Repeat a write safely: same key, same answer. "
        f"1 to {MAX_KEY_LENGTH} visible ASCII characters (no spaces).",
        min_length=1,
        max_length=MAX_KEY_LENGTH,
        pattern=IDEMPOTENCY_KEY_PATTERN,
    ),
]


async def bounded_parameters(request: Request) -> None:
    """Refuse path and query parameters holding NUL, lone surrogates or too many characters.

    Applied to every API router, so a parameter declared as a plain ``str`` is bounded too
    (the OpenAPI states ``MAX_PARAMETER_LENGTH`` for each of them).
    """
    issues = []
    values = [("path", name, value) for name, value in request.path_params.items()]
    values += [("query", name, value) for name, value in request.query_params.multi_items()]
    for where, name, value in values:
        if not isinstance(value, str):
            continue
        message = None
        if len(value) > MAX_PARAMETER_LENGTH:
            message = f"at most {MAX_PARAMETER_LENGTH} characters"
        else:
            try:
                check_text(value)
            except ValueError as error:
                message = str(error)
        if message is not None:
            issues.append({"type": "value_error", "loc": (where, name), "msg": message})
    if issues:
        raise RequestValidationError(issues)


def scope(name: str) -> Any:
    """An ``Actor`` dependency that also demands the key's ``name`` scope."""

    async def dependency(actor: Annotated[Actor, Depends(get_actor)]) -> Actor:
        require_scope(actor, name)
        return actor

    # Read by the OpenAPI, which states the scope each operation needs.
    dependency.required_scope = name  # type: ignore[attr-defined]
    return Depends(dependency)


def json_ready(value: Any) -> Any:
    """``value`` as JSON data, what ``jsonable_encoder`` makes of it: a pydantic model (or a
    list of them) dumps itself in JSON mode, by alias, which gives the same data for a
    twentieth of the CPU (0.04 ms against 0.7 for an order of three lines)."""
    if isinstance(value, BaseModel):
        return value.model_dump(mode="json", by_alias=True)
    if isinstance(value, list) and all(isinstance(item, BaseModel) for item in value):
        return [item.model_dump(mode="json", by_alias=True) for item in value]
    return jsonable_encoder(value)


def json_response(body: Any, *, status_code: int, headers: dict[str, str] | None) -> Response:
    """JSON data as a response, rendered by orjson (by the standard library when orjson
    refuses it: an integer beyond 64 bits)."""
    try:
        content = orjson.dumps(body)
    except orjson.JSONEncodeError:
        content = json.dumps(body, ensure_ascii=False, separators=(",", ":")).encode()
    return Response(
        content, status_code=status_code, headers=headers, media_type="application/json"
    )


def write(
    platform: Platform,
    *,
    actor: Actor,
    idempotency_key: str | None,
    operation: str,
    payload: Any,
    action: Callable[[Session], Any],
    status_code: int = 200,
) -> Response:
    """Run a write in one transaction, idempotently when the client sent a key."""
    result = run_write(
        platform.db,
        actor=actor,
        key=idempotency_key,
        operation=operation,
        payload=json_ready(payload),
        status_code=status_code,
        action=lambda session: json_ready(action(session)),
    )
    headers = {"Idempotent-Replayed": "true"} if result.replayed else None
    return json_response(result.body, status_code=result.status_code, headers=headers)
