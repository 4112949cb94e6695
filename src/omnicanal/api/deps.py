"""FastAPI dependencies shared by every router."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Annotated, Any

from fastapi import Depends, Header, Request
from fastapi.encoders import jsonable_encoder
from fastapi.responses import JSONResponse
from sqlalchemy.orm import Session

from omnicanal.platform.actors import Actor
from omnicanal.platform.auth import authenticate, require_scope
from omnicanal.platform.idempotency import run_write
from omnicanal.platform.wiring import Platform


def get_platform(request: Request) -> Platform:
    platform: Platform = request.app.state.platform
    return platform


PlatformDep = Annotated[Platform, Depends(get_platform)]


def get_actor(
    platform: PlatformDep,
    authorization: Annotated[str | None, Header(description="Bearer <API key>")] = None,
) -> Actor:
    token = None
    if authorization and authorization[:7].lower() == "bearer ":
        token = authorization[7:].strip()
    with platform.db.reading() as session:
        return authenticate(session, token)


def get_read_session(platform: PlatformDep) -> Iterator[Session]:
    with platform.db.reading() as session:
        yield session


ReadSession = Annotated[Session, Depends(get_read_session)]
IdempotencyKey = Annotated[
    str | None,
    Header(alias="Idempotency-Key", description="Repeat a write safely: same key, same answer"),
]


def scope(name: str) -> Any:
    """An ``Actor`` dependency that also demands the key's ``name`` scope."""

    def dependency(actor: Annotated[Actor, Depends(get_actor)]) -> Actor:
        require_scope(actor, name)
        return actor

    return Depends(dependency)


def write(
    platform: Platform,
    *,
    actor: Actor,
    idempotency_key: str | None,
    operation: str,
    payload: Any,
    action: Callable[[Session], Any],
    status_code: int = 200,
) -> JSONResponse:
    """Run a write in one transaction, idempotently when the client sent a key."""
    result = run_write(
        platform.db,
        actor=actor,
        key=idempotency_key,
        operation=operation,
        payload=jsonable_encoder(payload),
        status_code=status_code,
        action=lambda session: jsonable_encoder(action(session)),
    )
    headers = {"Idempotent-Replayed": "true"} if result.replayed else None
    return JSONResponse(result.body, status_code=result.status_code, headers=headers)
