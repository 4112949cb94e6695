"""Asking the policy about a message, and recording what it said.

The policy (``engagement/policy.py``) answers for one channel at a time. A message may go on
any of its trigger's channels, in the trigger's order: it goes on the first one the policy
allows. When none is allowed the answer that stands is a withdrawal (its reason is gone,
whatever the channel), else the earliest deferral (a channel in quiet hours may be allowed
later), else the first channel's refusal.

Every answer that changes a message is a ``message_decisions`` row; a withdrawal or a
withholding ends the message and is announced (``message.withdrawn``, ``message.withheld``).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import bindparam, or_, select
from sqlalchemy.orm import Session

from omnicanal.engagement import situation as situations
from omnicanal.engagement.events import MessageWithdrawn, MessageWithheld
from omnicanal.engagement.live import live_facts
from omnicanal.engagement.models import Decision as DecisionRow
from omnicanal.engagement.models import Fact, Message, Trigger
from omnicanal.engagement.policy import Candidate, Decision, FactView, Outcome, Rules, decide
from omnicanal.platform.actors import Actor
from omnicanal.platform.clock import as_utc
from omnicanal.platform.db import kept_memo, transaction_memo
from omnicanal.platform.events import record_event

__all__ = [
    "PENDING",
    "SYSTEM",
    "Answer",
    "ask",
    "candidate_of",
    "end",
    "event_fields",
    "note",
    "note_planned",
    "read_pending_ahead",
    "reconsider",
]

PENDING = ("scheduled", "retrying")
"""The statuses of a message still to be sent."""
SYSTEM = Actor(key_id=None, channel="system", name="engagement")
"""Who the journeys act as: the reactions to events and the sending job."""
FINAL_STATUS = {Outcome.withdraw: "withdrawn", Outcome.withhold: "withheld"}
AFTER_PLANNING = timedelta(microseconds=1)
"""How long after its planning a message's later decisions are dated at the earliest."""


@dataclass(frozen=True)
class Answer:
    """The policy's answer about a message: the channel it may go on now (None when it may
    not), and the decision that stands."""

    channel: str | None
    decision: Decision


def candidate_of(message: Message, channel: str) -> Candidate:
    """The message as the policy weighs it, on ``channel``."""
    return Candidate(
        kind=message.kind,
        purpose=message.purpose,
        channel=channel,
        subject=message.subject,
        profile_id=message.profile_id,
        reason_since=as_utc(message.reason_since),
        due_at=as_utc(message.due_at),
    )


def ask(
    session: Session,
    message: Message,
    *,
    channels: Sequence[str],
    now: datetime,
    rules: Rules | None = None,
    live: Sequence[FactView] | None = None,
    business_time_zone: str = situations.DEFAULT_TIME_ZONE,
) -> Answer:
    """Ask the policy about ``message`` at ``now`` on each of ``channels`` in order, with the
    facts recorded and what the owning module says now (``live``: read here when not
    given); quiet hours in the person's time zone, else the store's the message is about,
    else ``business_time_zone``."""
    rules = rules or situations.rules_of(session)
    if live is None:
        live = live_facts(
            session,
            kind=message.kind,
            subject=message.subject,
            now=now,
            profile_id=message.profile_id,
            since=message.reason_since,
        )
    store = (message.context or {}).get("location_code")
    refused: list[Decision] = []
    for channel in channels:
        candidate = candidate_of(message, channel)
        situation = situations.situation_for(
            session,
            profile_id=message.profile_id,
            candidate=candidate,
            now=now,
            live_facts=live,
            location_code=store if isinstance(store, str) else None,
            business_time_zone=business_time_zone,
            rules=rules,
            message_id=message.id,
        )
        decision = decide(candidate, situation, rules)
        if decision.outcome == Outcome.send:
            return Answer(channel, decision)
        if decision.outcome == Outcome.withdraw:
            return Answer(None, decision)
        refused.append(decision)
    deferred = [d for d in refused if d.outcome == Outcome.defer and d.retry_at is not None]
    if deferred:
        return Answer(None, min(deferred, key=lambda d: as_utc(d.retry_at or now)))
    return Answer(None, refused[0])


def note(
    session: Session, message: Message, decision: Decision, *, stage: str, now: datetime
) -> None:
    """Record the policy's decision about ``message`` at ``stage`` (``schedule``, ``event``,
    ``send``)."""
    session.add(
        DecisionRow(
            message_id=message.id,
            stage=stage,
            outcome=str(decision.outcome),
            reason=decision.reason[:40],
            facts=dict(decision.facts),
            decided_at=decision_time(message, now, stage=stage),
        )
    )


def decision_time(message: Message, now: datetime, *, stage: str) -> datetime:
    """When a decision about ``message`` taken at ``now`` at ``stage`` is dated. The planning's
    (``schedule``) at ``now``; a later one (an event's, the sender's) never before the
    planning: a sender or a consumer reads ``now`` before it works, so it may take up a
    message planned a moment later (due at once), and its decision still reads after the
    planning's on the message's timeline."""
    planned = message.created_at
    if stage == "schedule" or planned is None:
        return now
    return max(now, as_utc(planned) + AFTER_PLANNING)


def event_fields(message: Message) -> dict[str, Any]:
    """What every ``message.*`` event says of its message."""
    return {
        "message_id": message.id,
        "trigger": message.trigger_code,
        "kind": message.kind,
        "purpose": message.purpose,
        "profile_id": message.profile_id,
        "about": message.subject,
    }


def end(
    session: Session, message: Message, decision: Decision, *, stage: str, now: datetime
) -> None:
    """End ``message`` as the policy decided (withdrawn or withheld), with the decision's
    row and the event that announces it."""
    status = FINAL_STATUS[Outcome(decision.outcome)]
    message.status = status
    message.decided_at = decision_time(message, now, stage=stage)
    message.reason = decision.reason[:40]
    message.reason_facts = dict(decision.facts)
    note(session, message, decision, stage=stage, now=now)
    session.flush()
    announced = MessageWithdrawn if status == "withdrawn" else MessageWithheld
    record_event(session, announced(**event_fields(message), reason=message.reason), actor=SYSTEM)


def _about(
    facts: Iterable[tuple[str | None, str | None, Mapping[str, Any] | None]],
) -> tuple[set[str], set[str]]:
    """The people and the subjects facts (profile id, subject, detail) are about."""
    people: set[str] = set()
    subjects: set[str] = set()
    for profile_id, subject, detail in facts:
        if profile_id:
            people.add(profile_id)
        if subject:
            subjects.add(subject)
        about = (detail or {}).get("about")
        if isinstance(about, list):
            subjects.update(str(subject) for subject in about)
    return people, subjects


_MESSAGES = Message.__table__.c
_PENDING_ABOUT = select(_MESSAGES.id, _MESSAGES.profile_id, _MESSAGES.subject).where(
    _MESSAGES.status.in_(PENDING),
    or_(
        _MESSAGES.profile_id.in_(bindparam("people", expanding=True)),
        _MESSAGES.subject.in_(bindparam("subjects", expanding=True)),
    ),
)
"""The messages still to be sent of some people or about some subjects: id, person,
subject."""


@dataclass
class _PendingAhead:
    """The ids of the messages still to be sent, at a batch's start, of the people and about
    the subjects of the batch's facts, by person and by subject; with those the batch's
    transaction planned or moved since (:func:`note_planned`). The messages are read again
    when used: one ended since is passed over."""

    people: set[str]
    subjects: set[str]
    by_person: dict[str | None, set[str]] = field(default_factory=dict)
    by_subject: dict[str | None, set[str]] = field(default_factory=dict)

    def add(self, message_id: str, person: str | None, subject: str | None) -> None:
        self.by_person.setdefault(person, set()).add(message_id)
        self.by_subject.setdefault(subject, set()).add(message_id)

    def covers(self, people: set[str], subjects: set[str]) -> bool:
        return people <= self.people and subjects <= self.subjects

    def candidates(self, people: set[str], subjects: set[str]) -> set[str]:
        found: set[str] = set()
        for person in people:
            found |= self.by_person.get(person, set())
        for subject in subjects:
            found |= self.by_subject.get(subject, set())
        return found


_AHEAD = "engagement.pending_ahead"
"""The transaction's :class:`_PendingAhead`, made by :func:`read_pending_ahead`."""


def read_pending_ahead(session: Session, rows: Sequence[Mapping[str, Any]]) -> None:
    """Read in one statement the messages still to be sent of the people and about the
    subjects of a batch's facts (``rows``, as ``facts.read_facts_ahead`` works them out),
    for :func:`reconsider` to find among them, event by event, those its facts are about,
    rather than ask the database each time (most find none)."""
    people, subjects = _about((r["profile_id"], r["subject"], r["detail"]) for r in rows)
    ahead = _PendingAhead(people=people, subjects=subjects)
    if people or subjects:
        found = session.connection().execute(
            _PENDING_ABOUT, {"people": sorted(people), "subjects": sorted(subjects)}
        )
        for message_id, person, subject in found:
            ahead.add(message_id, person, subject)
    transaction_memo(session, _AHEAD)[_AHEAD] = ahead


def note_planned(session: Session, message: Message) -> None:
    """A message this transaction planned (flushed), or whose person it changed: where
    :func:`reconsider` will look for it, should the batch's read-ahead have read the
    pending messages before."""
    kept = kept_memo(session, _AHEAD)
    if kept and _AHEAD in kept:
        kept[_AHEAD].add(message.id, message.profile_id, message.subject)


def _pending_ids(session: Session, people: set[str], subjects: set[str]) -> set[str]:
    """The ids of the messages still to be sent of ``people`` or about ``subjects`` (a
    superset where the read-ahead answers: the caller checks each message it loads)."""
    kept = kept_memo(session, _AHEAD)
    ahead: _PendingAhead | None = kept.get(_AHEAD) if kept else None
    if ahead is not None and ahead.covers(people, subjects):
        return ahead.candidates(people, subjects)
    session.flush()  # the messages this transaction planned, for the Core read below
    found = session.connection().execute(
        _PENDING_ABOUT, {"people": sorted(people), "subjects": sorted(subjects)}
    )
    return {message_id for message_id, _, _ in found}


def reconsider(session: Session, facts: Sequence[Fact], *, now: datetime) -> int:
    """Ask the policy again about the messages still to be sent of the people and subjects
    ``facts`` are about, and withdraw at once those whose reason is gone (stage ``event``);
    how many were withdrawn.

    Only a reason gone ends a message here: one the policy would hold back now (a return,
    a withdrawn consent, a cap) is decided again when it is due, as things may change by
    then."""
    people, subjects = _about((f.profile_id, f.subject, f.detail) for f in facts)
    if not people and not subjects:
        return 0
    # Most facts find nothing pending: the ids are read first (or found among those the
    # batch's read-ahead read), and the messages themselves only when there are some.
    ids = _pending_ids(session, people, subjects)
    if not ids:
        return 0
    pending = [
        message
        for message in session.scalars(
            select(Message).where(Message.id.in_(sorted(ids))).order_by(Message.due_at, Message.id)
        )
        if message.status in PENDING
        and (message.profile_id in people or message.subject in subjects)
    ]
    if not pending:
        return 0
    rules = situations.rules_of(session)
    channels = {
        code: list(listed)
        for code, listed in session.execute(select(Trigger.code, Trigger.channels))
    }
    withdrawn = 0
    for message in pending:
        # A reason is gone whatever the channel: the first channel's answer says it.
        first = (channels.get(message.trigger_code) or ["email"])[:1]
        answer = ask(session, message, channels=first, now=now, rules=rules)
        if answer.decision.outcome == Outcome.withdraw:
            end(session, message, answer.decision, stage="event", now=now)
            withdrawn += 1
    return withdrawn
