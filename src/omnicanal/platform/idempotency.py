"""Idempotent writes: a retried request with the same ``Idempotency-Key`` gets the first answer.

The stored answer is written in the same transaction as the write itself, so either both
exist or neither does. Two requests racing with one key serialise on the key's primary key;
the loser rolls back and replays the winner's answer.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import JSON, String
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Mapped, Session, mapped_column

from omnicanal.platform import audit
from omnicanal.platform.actors import Actor
from omnicanal.platform.clock import utcnow
from omnicanal.platform.db import Base, Database
from omnicanal.platform.errors import Conflict, DomainError, InvalidInput
from omnicanal.platform.types import UtcDateTime

MAX_KEY_LENGTH = 200
MAX_OWNER_LENGTH = 60


class IdempotencyRecord(Base):
    """The first answer given to a write made with an idempotency key."""

    __tablename__ = "idempotency_keys"

    owner: Mapped[str] = mapped_column(String(MAX_OWNER_LENGTH), primary_key=True)
    key: Mapped[str] = mapped_column(String(MAX_KEY_LENGTH), primary_key=True)
    operation: Mapped[str] = mapped_column(String(200))
    request_hash: Mapped[str] = mapped_column(String(64))
    status_code: Mapped[int]
    response: Mapped[Any] = mapped_column(JSON)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime(), default=utcnow)


class IdempotencyKeyReused(Conflict):
    code = "idempotency_key_reused"
    title = "Idempotency key already used for another request"


@dataclass(frozen=True)
class WriteResult:
    status_code: int
    body: Any
    replayed: bool


def fingerprint(operation: str, payload: Any) -> str:
    blob = json.dumps([operation, payload], sort_keys=True, default=str)
    return hashlib.sha256(blob.encode()).hexdigest()


def _owner(actor: Actor) -> str:
    """Whose keys these are: the API key's id, else the actor's label (a staff member's
    e-mail at a page), hashed when it is longer than the column (an e-mail may have 254
    characters)."""
    owner = actor.key_id or actor.label
    if len(owner) <= MAX_OWNER_LENGTH:
        return owner
    return "sha256:" + hashlib.sha256(owner.encode()).hexdigest()[: MAX_OWNER_LENGTH - 7]


def _stored(session: Session, owner: str, key: str) -> IdempotencyRecord | None:
    return session.get(IdempotencyRecord, (owner, key))


def _replay(record: IdempotencyRecord, request_hash: str) -> WriteResult:
    if record.request_hash != request_hash:
        raise IdempotencyKeyReused(
            "This Idempotency-Key was already used for a different request.",
            field="Idempotency-Key",
        )
    return WriteResult(record.status_code, record.response, replayed=True)


def run_write(
    db: Database,
    *,
    actor: Actor,
    key: str | None,
    operation: str,
    payload: Any,
    status_code: int,
    action: Callable[[Session], Any],
) -> WriteResult:
    """Run ``action`` in one transaction, or replay the answer stored under ``key``.

    ``action`` returns a JSON-able body. Failures (domain errors) are not stored: nothing
    was written, so a retry is asked again. The audit log gets the change in the same
    transaction; a refusal goes to the application log.
    """
    if key is not None and not (0 < len(key) <= MAX_KEY_LENGTH):
        raise InvalidInput(
            f"Idempotency-Key must be 1 to {MAX_KEY_LENGTH} characters.", field="Idempotency-Key"
        )
    owner = _owner(actor)
    request_hash = fingerprint(operation, payload)
    if key is not None:
        with db.reading() as session:
            record = _stored(session, owner, key)
            if record is not None:
                return _replay(record, request_hash)
    try:
        with db.transaction() as session:
            if key is not None:
                # Under the write lock (SQLite) a concurrent twin may have committed meanwhile.
                record = _stored(session, owner, key)
                if record is not None:
                    return _replay(record, request_hash)
            body = action(session)
            audit.record(session, actor=actor, operation=operation, body=body)
            if key is not None:
                session.add(
                    IdempotencyRecord(
                        owner=owner,
                        key=key,
                        operation=operation,
                        request_hash=request_hash,
                        status_code=status_code,
                        response=body,
                    )
                )
                session.flush()
    except DomainError as error:
        # A refused write changes nothing, the audit table included: the attempt goes to the
        # application log, where the operator's log shipping keeps it.
        audit.log_refusal(actor=actor, operation=operation, code=error.code)
        raise
    except IntegrityError:
        if key is None:
            raise
        with db.reading() as session:
            record = _stored(session, owner, key)
            if record is None:
                raise
            return _replay(record, request_hash)
    return WriteResult(status_code, body, replayed=False)
