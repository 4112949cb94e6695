"""The engagement module's part of a person's rights: everything it holds about them
exported (their consent ledger, the facts the policy weighed, their messages with every
decision and delivery, their stock watches), or erased.

On erasure:

- The consent ledger stays, without the person (as the audit rows of the erasure ADR do):
  it is the proof that the messages sent to them were allowed. Its lines are filed under a
  new id that names no one, and their proof keeps only what does not point at them (the
  form, the clerk, the message), not their address, device or browser.
- The facts stay for the measures (a return, when it happened, when the policy learned it),
  naming no one and without their detail; what was about the person themselves (a
  win-back's ``profiles/{id}``) is about ``profiles/erased``.
- Their messages stay for the delivery log's counts, without their recipient, their
  rendered content, the data their template read and the facts behind their decisions; a
  message not sent yet is withdrawn (reason ``erased``) and will never be.
- The delivery log's lines lose the address they went to and what the provider said.
- Their stock watches are deleted.

The events that named them are scrubbed by the privacy module through their subjects
(``profiles/{id}``, ``messages/{id}``).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import FromClause, delete, select, update
from sqlalchemy.orm import Session

from omnicanal.engagement.models import (
    ConsentEntry,
    Decision,
    Delivery,
    Fact,
    Message,
    StockWatch,
)
from omnicanal.platform.clock import utcnow
from omnicanal.platform.db import rowcount
from omnicanal.platform.ids import new_id

__all__ = [
    "ERASED_REASON",
    "KEPT_PROOF",
    "erase_person_engagement",
    "export_person_engagement",
    "message_subjects",
    "messages_of",
]

ERASED_REASON = "erased"
"""The reason of a message withdrawn because its person was erased."""
KEPT_PROOF = frozenset(
    {"form", "version", "wording", "staff_id", "message_id", "token_id", "field", "reason"}
)
"""The keys of a consent proof that say how it was given, not who gave it: kept after the
person is erased."""
ERASED_SUBJECT = "profiles/erased"
"""What a message or a fact about the person themselves (a win-back's ``profiles/{id}``) is
about once they are erased."""
PENDING = ("scheduled", "retrying")
CHUNK = 500


def _chunks(values: Sequence[str]) -> list[list[str]]:
    ordered = sorted(set(values))
    return [ordered[start : start + CHUNK] for start in range(0, len(ordered), CHUNK)]


def messages_of(session: Session, *, profile_ids: Sequence[str]) -> list[str]:
    """The ids of the messages meant for any of these profiles (one person's), oldest
    first."""
    if not profile_ids:
        return []
    return list(
        session.scalars(
            select(Message.id)
            .where(Message.profile_id.in_(list(profile_ids)))
            .order_by(Message.created_at, Message.id)
        )
    )


def message_subjects(message_ids: Sequence[str]) -> list[str]:
    """The event subjects of these messages (``messages/{id}``)."""
    return [f"messages/{message_id}" for message_id in message_ids]


def _rows(
    table: FromClause, column: str, values: Sequence[str], session: Session
) -> list[dict[str, Any]]:
    """Every row of ``table`` whose ``column`` is one of ``values``, as stored, in order of
    their id."""
    found: list[dict[str, Any]] = []
    for chunk in _chunks(values):
        found += [
            dict(row._mapping)
            for row in session.execute(select(table).where(table.c[column].in_(chunk)))
        ]
    return sorted(found, key=lambda row: str(row["id"]))


def export_person_engagement(
    session: Session, *, profile_ids: Sequence[str]
) -> dict[str, list[dict[str, Any]]]:
    """Everything the module holds about the person of ``profile_ids``, table by table."""
    ids = list(profile_ids)
    message_ids = messages_of(session, profile_ids=ids)
    return {
        "consent_entries": _rows(ConsentEntry.__table__, "profile_id", ids, session),
        "engagement_facts": _rows(Fact.__table__, "profile_id", ids, session),
        "messages": _rows(Message.__table__, "id", message_ids, session),
        "message_decisions": _rows(Decision.__table__, "message_id", message_ids, session),
        "message_deliveries": _rows(Delivery.__table__, "message_id", message_ids, session),
        "stock_watches": _rows(StockWatch.__table__, "profile_id", ids, session),
    }


def _erase_consents(session: Session, profile_ids: Sequence[str], *, now: datetime) -> int:
    """File the person's ledger under an id that names no one; keep of each proof only how
    it was given."""
    entries = [
        entry
        for chunk in _chunks(profile_ids)
        for entry in session.scalars(select(ConsentEntry).where(ConsentEntry.profile_id.in_(chunk)))
    ]
    nobody = new_id()
    for entry in entries:
        entry.profile_id = nobody
        kept = {key: value for key, value in (entry.proof or {}).items() if key in KEPT_PROOF}
        entry.proof = {**kept, "erased_at": now.isoformat()}
    session.flush()
    return len(entries)


def erase_person_engagement(
    session: Session, *, profile_ids: Sequence[str], now: datetime | None = None
) -> dict[str, int]:
    """Erase the person of ``profile_ids`` from every engagement table (see the module's
    docstring); how many rows of each were changed or deleted."""
    now = now or utcnow()
    ids = list(profile_ids)
    message_ids = messages_of(session, profile_ids=ids)
    counts = {
        "consent_entries_anonymised": _erase_consents(session, ids, now=now),
        "engagement_facts_anonymised": 0,
        "messages_withdrawn": 0,
        "messages_anonymised": 0,
        "message_decisions_cleared": 0,
        "message_deliveries_anonymised": 0,
        "stock_watches": 0,
    }
    subjects = [f"profiles/{id_}" for id_ in ids]
    for model in (Fact, Message):
        session.execute(
            update(model)
            .where(model.subject.in_(subjects))
            .values(subject=ERASED_SUBJECT)
            .execution_options(synchronize_session=False)
        )
    for chunk in _chunks(ids):
        counts["engagement_facts_anonymised"] += rowcount(
            session.execute(
                update(Fact)
                .where(Fact.profile_id.in_(chunk))
                .values(profile_id=None, detail={})
                .execution_options(synchronize_session=False)
            )
        )
        counts["stock_watches"] += rowcount(
            session.execute(
                delete(StockWatch)
                .where(StockWatch.profile_id.in_(chunk))
                .execution_options(synchronize_session=False)
            )
        )
    for chunk in _chunks(message_ids):
        pending = list(
            session.scalars(
                select(Message.id).where(Message.id.in_(chunk), Message.status.in_(PENDING))
            )
        )
        for message_id in pending:
            session.add(
                Decision(
                    message_id=message_id,
                    stage="event",
                    outcome="withdraw",
                    reason=ERASED_REASON,
                    facts={},
                    decided_at=now,
                )
            )
        if pending:
            counts["messages_withdrawn"] += rowcount(
                session.execute(
                    update(Message)
                    .where(Message.id.in_(pending))
                    .values(status="withdrawn", reason=ERASED_REASON, decided_at=now)
                    .execution_options(synchronize_session=False)
                )
            )
        counts["messages_anonymised"] += rowcount(
            session.execute(
                update(Message)
                .where(Message.id.in_(chunk))
                .values(
                    profile_id=None,
                    recipient=None,
                    rendered_subject=None,
                    rendered_text=None,
                    rendered_html=None,
                    context={},
                    reason_facts=None,
                    dedupe_key=ERASED_REASON + ":" + Message.id,
                )
                .execution_options(synchronize_session=False)
            )
        )
        session.flush()
        counts["message_decisions_cleared"] += rowcount(
            session.execute(
                update(Decision)
                .where(Decision.message_id.in_(chunk))
                .values(facts={})
                .execution_options(synchronize_session=False)
            )
        )
        counts["message_deliveries_anonymised"] += rowcount(
            session.execute(
                update(Delivery)
                .where(Delivery.message_id.in_(chunk))
                .values(recipient="", detail=None)
                .execution_options(synchronize_session=False)
            )
        )
    session.flush()
    return counts
