"""Events and the transactional outbox.

A module declares the facts it records as :class:`DomainEvent` classes in its ``events.py``
(frozen, past tense, versioned). A use case records one with :func:`record_event` in the same
transaction as its state change; the relay (``omnicanal.platform.relay``) publishes committed
events later. The events of one transaction are held in the session and written to the outbox
together, in the order recorded, by one multi-row INSERT as it commits (or before a
statement of that transaction reads the outbox). On the wire an event is an envelope
(:class:`Event`) modelled on CloudEvents: id, type, source, subject, time, and the payload's
JSON as ``data``; a consumer reads the typed payload back with :attr:`Event.payload`.
"""

from __future__ import annotations

from abc import abstractmethod
from dataclasses import dataclass, field
from datetime import datetime
from functools import cached_property
from typing import Any, ClassVar, cast

from pydantic import BaseModel, ConfigDict
from sqlalchemy import (
    JSON,
    BigInteger,
    ClauseElement,
    Index,
    Integer,
    String,
    Table,
    TextClause,
    event,
    insert,
)
from sqlalchemy.orm import Mapped, ORMExecuteState, Session, SessionTransaction, mapped_column
from sqlalchemy.sql.util import find_tables

from omnicanal.platform.actors import Actor
from omnicanal.platform.bulk import bulk_copy
from omnicanal.platform.clock import event_time, utcnow
from omnicanal.platform.db import Base
from omnicanal.platform.ids import new_id
from omnicanal.platform.observability.tracing import current_traceparent, note_event
from omnicanal.platform.types import UtcDateTime

__all__ = [
    "DomainEvent",
    "DuplicateEventType",
    "Event",
    "OutboxEvent",
    "ProcessedEvent",
    "UndeclaredEvent",
    "dataschema_of",
    "declared_events",
    "record_event",
    "source_of",
    "write_recorded_events",
]

SPEC_VERSION = "1.0"


class DuplicateEventType(TypeError):
    """Two event classes declare the same type."""


class UndeclaredEvent(LookupError):
    """No event class declares this type (its module's events were not imported, or none has
    it)."""


_DECLARED: dict[str, type[DomainEvent]] = {}


class DomainEvent(BaseModel):
    """A fact a module records: a frozen payload of one declared type and version.

    A subclass that sets ``type`` is declared: it is registered under that type (two classes
    may not share one), listed in the event catalogue with its ``example``, and is what an
    envelope of that type reads back as. A subclass without ``type`` is a base holding fields
    that several declared events share. ``subject`` names what the event is about, as the
    envelope's subject (``orders/{id}``).

    A field with a default is written only when the producer gives it: it stands for a key
    that some events of the type carry and others do not.
    """

    model_config = ConfigDict(frozen=True, extra="forbid", use_attribute_docstrings=True)

    type: ClassVar[str]
    version: ClassVar[int] = 1
    example: ClassVar[dict[str, Any]]

    @classmethod
    def __pydantic_init_subclass__(cls, **kwargs: Any) -> None:
        super().__pydantic_init_subclass__(**kwargs)
        declared = cls.__dict__.get("type")
        if declared is None:
            return
        known = _DECLARED.get(declared)
        if known is not None and (known.__module__, known.__qualname__) != (
            cls.__module__,
            cls.__qualname__,
        ):
            raise DuplicateEventType(
                f"{cls.__module__}.{cls.__qualname__} declares {declared!r}, "
                f"already declared by {known.__module__}.{known.__qualname__}."
            )
        _DECLARED[declared] = cls

    @property
    @abstractmethod
    def subject(self) -> str:
        """What the event is about, as a path (``orders/{id}``): every event class says it (a
        class that does not cannot be instantiated)."""


def declared_events() -> dict[str, type[DomainEvent]]:
    """Every event class declared so far, by type (a module's are declared once it is
    imported: ``omnicanal.events_catalogue.load_events`` imports them all)."""
    return dict(_DECLARED)


def dataschema_of(event_type: str) -> str | None:
    """The CloudEvents ``dataschema`` of a declared type (its version), None if undeclared."""
    declared = _DECLARED.get(event_type)
    if declared is None:
        return None
    return f"urn:omnicanal:event:{event_type}:v{declared.version}"


@dataclass(frozen=True)
class Event:
    """A fact that happened, in a CloudEvents-shaped envelope."""

    type: str
    subject: str
    data: dict[str, Any]
    source: str
    id: str = field(default_factory=new_id)
    time: datetime = field(default_factory=event_time)
    """When it happened: now, or the simulated time of the context that recorded it
    (``omnicanal.platform.clock.simulated``)."""
    actor: str | None = None
    traceparent: str | None = None
    """The W3C trace context of the span that recorded it (CloudEvents distributed tracing)."""

    @classmethod
    def of(cls, payload: DomainEvent, *, source: str, actor: str | None = None) -> Event:
        """The envelope of ``payload``, happening now: its type, its subject, and its JSON
        as ``data`` (without the fields it was not given)."""
        if not isinstance(payload, DomainEvent):
            raise TypeError(f"An event is a DomainEvent, not {type(payload).__name__}.")
        return cls(
            type=payload.type,
            subject=payload.subject,
            data=payload.model_dump(mode="json", exclude_unset=True),
            source=source,
            actor=actor,
            traceparent=current_traceparent(),
        )

    @cached_property
    def payload(self) -> DomainEvent:
        """The data read back as its declared class (validated once per envelope).

        Raises :class:`UndeclaredEvent` for a type no class declares, and pydantic's
        ``ValidationError`` for data that does not fit it (an erased person's event: every
        string naming them became null).
        """
        declared = _DECLARED.get(self.type)
        if declared is None:
            raise UndeclaredEvent(f"No event class declares the type {self.type!r}.")
        return declared.model_validate(self.data)

    def to_cloudevent(self) -> dict[str, Any]:
        """The structured-mode CloudEvents JSON form (``dataschema`` names the payload's
        declared version, for a declared type)."""
        body: dict[str, Any] = {
            "specversion": SPEC_VERSION,
            "id": self.id,
            "type": self.type,
            "source": self.source,
            "subject": self.subject,
            "time": self.time.isoformat(),
            "datacontenttype": "application/json",
        }
        dataschema = dataschema_of(self.type)
        if dataschema is not None:
            body["dataschema"] = dataschema
        if self.traceparent is not None:
            body["traceparent"] = self.traceparent
        return {**body, "actor": self.actor, "data": self.data}

    @classmethod
    def from_cloudevent(cls, body: dict[str, Any]) -> Event:
        return cls(
            id=body["id"],
            type=body["type"],
            source=body["source"],
            subject=body.get("subject", ""),
            time=datetime.fromisoformat(body["time"]),
            data=body.get("data") or {},
            actor=body.get("actor"),
            traceparent=body.get("traceparent"),
        )


class OutboxEvent(Base):
    """An event written with its state change, waiting to be (or already) published."""

    __tablename__ = "outbox"
    __table_args__ = (Index("ix_outbox_unpublished", "published", "seq"),)

    seq: Mapped[int] = mapped_column(
        BigInteger().with_variant(Integer, "sqlite"), primary_key=True, autoincrement=True
    )
    # The sentinel lets the many events of one transaction go in one multi-row INSERT on
    # SQLite too (its RETURNING rows are matched to the events by id, not by position).
    id: Mapped[str] = mapped_column(String(26), unique=True, nullable=False, insert_sentinel=True)
    type: Mapped[str] = mapped_column(String(100), index=True)
    source: Mapped[str] = mapped_column(String(200))
    subject: Mapped[str] = mapped_column(String(200), index=True)
    time: Mapped[datetime] = mapped_column(UtcDateTime())
    actor: Mapped[str | None] = mapped_column(String(100))
    traceparent: Mapped[str | None] = mapped_column(String(55))
    data: Mapped[dict[str, Any]] = mapped_column(JSON)
    published: Mapped[bool] = mapped_column(default=False)
    published_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    attempts: Mapped[int] = mapped_column(default=0)

    def to_event(self) -> Event:
        return Event(
            id=self.id,
            type=self.type,
            source=self.source,
            subject=self.subject,
            time=self.time,
            data=self.data,
            actor=self.actor,
            traceparent=self.traceparent,
        )


class ProcessedEvent(Base):
    """An event a consumer has handled: a repeat delivery of it is ignored."""

    __tablename__ = "processed_events"

    consumer: Mapped[str] = mapped_column(String(100), primary_key=True)
    event_id: Mapped[str] = mapped_column(String(100), primary_key=True)
    handled_at: Mapped[datetime] = mapped_column(UtcDateTime(), default=utcnow)


def source_of(actor: Actor) -> str:
    """The CloudEvents ``source`` for an actor: its channel, and its store if bound to one."""
    if actor.location_code:
        return f"/channels/{actor.channel}/locations/{actor.location_code}"
    return f"/channels/{actor.channel}"


_OUTBOX = cast(Table, OutboxEvent.__table__)
RECORDED = "outbox.recorded"
"""``session.info`` key: the events recorded in the session's transaction and not written yet,
in the order recorded, each with the savepoint it was recorded in (None: outside any)."""

_Recorded = list[tuple[SessionTransaction | None, dict[str, Any]]]
COPY_FROM_EVENTS = 5
"""From this many events, a transaction writes them with ``COPY`` on PostgreSQL: their INSERT
would take over 50 parameters, past what psycopg keeps parsed (bench/README.md, "IN lists")."""


def record_event(session: Session, event: DomainEvent, *, actor: Actor) -> Event:
    """Write ``event`` to the outbox in the caller's transaction; returns its envelope."""
    envelope = Event.of(event, source=source_of(actor), actor=actor.label)
    row = {
        "id": envelope.id,
        "type": envelope.type,
        "source": envelope.source,
        "subject": envelope.subject,
        "time": envelope.time,
        "actor": envelope.actor,
        "traceparent": envelope.traceparent,
        "data": envelope.data,
        "published": False,
        "attempts": 0,
    }
    recorded: _Recorded | None = session.info.get(RECORDED)
    if recorded is None:
        recorded = session.info[RECORDED] = []
    recorded.append((session.get_nested_transaction(), row))
    session.info["events_recorded"] = True
    note_event(envelope.id, envelope.type)
    return envelope


def write_recorded_events(session: Session) -> None:
    """Write the events recorded so far in the session's transaction to the outbox, in the
    order recorded, as one multi-row INSERT (the commit does it by itself)."""
    recorded: _Recorded | None = session.info.pop(RECORDED, None)
    if not recorded:
        return
    rows = [row for _, row in recorded]
    if len(rows) >= COPY_FROM_EVENTS and session.get_bind().dialect.name == "postgresql":
        # As one COPY, whose rows psycopg formats in C: as many INSERT parameters would be
        # a statement of their own for each number of events, parsed again every time.
        bulk_copy(session, _OUTBOX, rows)
        return
    # With RETURNING, SQLAlchemy sends the rows as one INSERT ... VALUES (...), (...) (its
    # "insertmanyvalues", in batches of up to a thousand): a plain executemany would be one
    # statement per row to the server, and a list given to .values() is compiled anew at
    # every execution.
    session.execute(insert(_OUTBOX).returning(_OUTBOX.c.seq, sort_by_parameter_order=True), rows)


# A use case records its events one by one between its queries; written as they come, each
# would go in its own INSERT (the ORM flushes before every query). They are held until the
# commit instead, or until a statement of the transaction reads or changes the outbox.


@event.listens_for(Session, "before_commit")
def _write_on_commit(session: Session) -> None:
    if not session.in_nested_transaction():  # a savepoint's release: the commit writes them
        write_recorded_events(session)


@event.listens_for(Session, "do_orm_execute")
def _write_before_reading_them(state: ORMExecuteState) -> None:
    if not state.session.info.get(RECORDED):
        return
    statement = state.statement
    if isinstance(statement, TextClause):
        touches = _OUTBOX.name in statement.text
    else:
        touches = _OUTBOX in find_tables(cast(ClauseElement, statement), include_crud=True)
    if touches:
        write_recorded_events(state.session)


@event.listens_for(Session, "after_soft_rollback")
def _forget_rolled_back(session: Session, previous_transaction: SessionTransaction) -> None:
    """The events recorded in a savepoint rolled back (or in a transaction) go with it."""
    recorded: _Recorded | None = session.info.get(RECORDED)
    if not recorded:
        return
    if previous_transaction.parent is None:
        session.info.pop(RECORDED, None)
        return
    recorded[:] = [
        (savepoint, row)
        for savepoint, row in recorded
        if not _inside(savepoint, previous_transaction)
    ]


@event.listens_for(Session, "after_transaction_end")
def _forget_unwritten(session: Session, transaction: SessionTransaction) -> None:
    """Nothing recorded outlives its transaction (one closed without a commit)."""
    if transaction.parent is None:
        session.info.pop(RECORDED, None)


def _inside(savepoint: SessionTransaction | None, outer: SessionTransaction) -> bool:
    while savepoint is not None:
        if savepoint is outer:
            return True
        savepoint = savepoint.parent
    return False
