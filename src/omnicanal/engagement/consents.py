"""The consent ledger (ADR 0026): a person's answers per purpose and channel, recorded one by
one and never changed; what they accept now is read from it.

- An answer names a purpose (:data:`PURPOSES`), a channel (:data:`CHANNELS`), granted or not,
  its lawful basis (:data:`LAWFUL_BASES`), where it was given (:data:`CONSENT_SOURCES`, the
  store), who recorded it and its proof (the form, the message, the clerk...).
- The state of a purpose on a channel is the latest answer, by the time it was given
  (``occurred_at``), then by id; :func:`current_consents` reads it as of any moment, which is
  what the policy's replay asks. An answer given "later" than it arrived (a wrong clock) is
  held to the moment it is recorded.
- A person is all their profiles: answers are recorded under the profile a merge kept, and
  read from every profile merged into it.
- ``consent.changed`` is published when an answer changes what the person accepts (their
  first answer for a purpose and channel, or the other answer than before); a repeated
  answer, or one older than the latest, is kept in the ledger without an event.
"""

from __future__ import annotations

import base64
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import and_, or_, select
from sqlalchemy.orm import Session

from omnicanal.customers import service as customers
from omnicanal.customers.errors import UnknownProfile
from omnicanal.engagement.consent_answers import MAX_PROOF_BYTES, ConsentAnswer, proof_too_large
from omnicanal.engagement.errors import InvalidConsent, InvalidCursor
from omnicanal.engagement.events import ConsentChanged
from omnicanal.engagement.models import (
    CHANNELS,
    CONSENT_SOURCES,
    LAWFUL_BASES,
    PURPOSES,
    ConsentEntry,
)
from omnicanal.platform.actors import Actor
from omnicanal.platform.bounds import MAX_YEAR, MIN_YEAR, check_moment, check_value
from omnicanal.platform.clock import as_utc, utcnow
from omnicanal.platform.events import record_event
from omnicanal.platform.locks import hold_names

__all__ = [
    "CONSENT_LOCKS",
    "MAX_FUTURE_SKEW",
    "MAX_PAGE",
    "OPT_OUT_PURPOSES",
    "PREFERENCE_CENTRE",
    "UNSUBSCRIBE_LINK",
    "ConsentHistory",
    "ConsentRecord",
    "ConsentState",
    "current_consents",
    "history",
    "may_contact",
    "offers_answer",
    "person_profile_ids",
    "record_answers",
    "record_consent",
    "record_of",
    "unsubscribe_everywhere",
]

CONSENT_LOCKS = 0x0C1D_C057
"""Advisory lock space (:mod:`omnicanal.platform.locks`) of the people whose answers are
being recorded: two answers for one person are recorded one after the other, so that each
knows whether it changed anything."""
MAX_FUTURE_SKEW = timedelta(minutes=10)
"""How far after its recording an answer may say it was given; later is a wrong clock."""
MAX_PAGE = 200
OPT_OUT_PURPOSES = ("marketing", "personalised_offers")
"""What "unsubscribe" refuses, on every channel: everything sent to sell."""
PREFERENCE_CENTRE = Actor(key_id=None, channel="web", name="preference_centre")
"""Who records the answers a person gives on their preference centre: the person, through
their signed link (the proof names the link)."""
UNSUBSCRIBE_LINK = Actor(key_id=None, channel="email", name="unsubscribe_link")
"""Who records a person's one-click unsubscribing: the person, through their signed link."""


@dataclass(frozen=True)
class ConsentState:
    """What a person accepts for a purpose on a channel: their latest answer."""

    purpose: str
    channel: str
    granted: bool
    source: str
    lawful_basis: str
    occurred_at: datetime
    location_code: str | None = None


@dataclass(frozen=True)
class ConsentRecord:
    """One line of the ledger, as pages and answers show it."""

    id: str
    profile_id: str
    purpose: str
    channel: str
    granted: bool
    lawful_basis: str
    source: str
    location_code: str | None
    proof: Mapping[str, Any]
    actor: str
    occurred_at: datetime
    recorded_at: datetime


@dataclass(frozen=True)
class ConsentHistory:
    """A page of a person's ledger, newest first, and the cursor of the next page."""

    profile_id: str
    entries: list[ConsentRecord]
    has_more: bool
    next_cursor: str | None


# --- checking an answer ----------------------------------------------------------------------


def _one_of(value: str, allowed: tuple[str, ...], field: str, what: str) -> str:
    if value not in allowed:
        raise InvalidConsent(
            f"{value!r} is not a {what}: one of {', '.join(allowed)}.",
            field=field,
            allowed=list(allowed),
        )
    return value


def _moment(occurred_at: datetime, *, now: datetime) -> datetime:
    """When the answer was given, in UTC: refused outside the sane years, held to ``now``
    when it says it is later than a clock's error allows."""
    try:
        moment = check_moment(occurred_at)
    except ValueError:
        raise InvalidConsent(
            f"An answer is given between the years {MIN_YEAR} and {MAX_YEAR}.",
            field="occurred_at",
        ) from None
    return now if moment > now + MAX_FUTURE_SKEW else moment


def _proof(proof: Mapping[str, Any] | None) -> dict[str, Any]:
    """The proof, bounded like any input (text, numbers, depth) and in size."""
    if proof is None:
        return {}
    try:
        checked = check_value(dict(proof))
    except ValueError as error:
        raise InvalidConsent(f"The proof cannot be kept: {error}.", field="proof") from None
    if proof_too_large(checked):
        raise InvalidConsent(
            f"The proof is over {MAX_PROOF_BYTES} bytes as JSON; keep a reference to it.",
            field="proof",
        )
    return dict(checked)


# --- reading ---------------------------------------------------------------------------------


def person_profile_ids(session: Session, profile_id: str) -> list[str]:
    """The profiles of the person ``profile_id`` is part of: the one a merge kept first,
    then those merged into it; :class:`UnknownProfile` when there is none."""
    forms = customers.reference_forms(session, profile_id=profile_id)
    return [form.removeprefix("profile:") for form in forms if form.startswith("profile:")]


def _entries(
    session: Session, profile_ids: Sequence[str], *, at: datetime | None = None
) -> list[ConsentEntry]:
    """The person's answers given by ``at`` (all when None), oldest first."""
    query = select(ConsentEntry).where(ConsentEntry.profile_id.in_(list(profile_ids)))
    if at is not None:
        query = query.where(ConsentEntry.occurred_at <= as_utc(at))
    return list(session.scalars(query.order_by(ConsentEntry.occurred_at, ConsentEntry.id)))


def _state(entry: ConsentEntry) -> ConsentState:
    return ConsentState(
        purpose=entry.purpose,
        channel=entry.channel,
        granted=entry.granted,
        source=entry.source,
        lawful_basis=entry.lawful_basis,
        occurred_at=as_utc(entry.occurred_at),
        location_code=entry.location_code,
    )


def _latest(entries: Sequence[ConsentEntry]) -> dict[tuple[str, str], ConsentEntry]:
    latest: dict[tuple[str, str], ConsentEntry] = {}
    for entry in entries:  # oldest first: the last one of each pair wins
        latest[(entry.purpose, entry.channel)] = entry
    return latest


def current_consents(
    session: Session, profile_id: str, *, at: datetime | None = None
) -> dict[tuple[str, str], ConsentState]:
    """What the person accepts, by (purpose, channel): their latest answer given by ``at``
    (now when None). A pair never answered is absent; so is everything of a profile that
    does not exist (any more)."""
    try:
        ids = person_profile_ids(session, profile_id)
    except UnknownProfile:
        return {}
    return {pair: _state(entry) for pair, entry in _latest(_entries(session, ids, at=at)).items()}


def may_contact(states: Mapping[tuple[str, str], ConsentState], purpose: str, channel: str) -> bool:
    """Whether these states let a message of ``purpose`` go on ``channel``: a transactional
    one unless the channel was refused (it rests on the contract); any other with a granted
    answer only (opt-in)."""
    state = states.get((purpose, channel))
    if purpose == "transactional":
        return state is None or state.granted
    return state is not None and state.granted


def offers_answer(states: Mapping[tuple[str, str], ConsentState]) -> bool | None:
    """The person's answer about personalised offers, whatever the channel: False when they
    refused them on any channel, True when they accepted them on one, None when never
    asked."""
    answers = [
        state.granted for (purpose, _), state in states.items() if purpose == "personalised_offers"
    ]
    if not answers:
        return None
    return all(answers)


def record_of(entry: ConsentEntry) -> ConsentRecord:
    """A ledger row as pages and answers show it."""
    return ConsentRecord(
        id=entry.id,
        profile_id=entry.profile_id,
        purpose=entry.purpose,
        channel=entry.channel,
        granted=entry.granted,
        lawful_basis=entry.lawful_basis,
        source=entry.source,
        location_code=entry.location_code,
        proof=dict(entry.proof or {}),
        actor=entry.actor,
        occurred_at=as_utc(entry.occurred_at),
        recorded_at=as_utc(entry.recorded_at),
    )


def _cursor(entry: ConsentEntry) -> str:
    text = f"{as_utc(entry.occurred_at).isoformat()}|{entry.id}"
    return base64.urlsafe_b64encode(text.encode()).decode()


def _read_cursor(cursor: str) -> tuple[datetime, str]:
    try:
        at, entry_id = base64.urlsafe_b64decode(cursor.encode()).decode().split("|", 1)
        return check_moment(datetime.fromisoformat(at)), entry_id
    except (ValueError, UnicodeDecodeError):
        raise InvalidCursor("This cursor is not one we gave.", field="starting_after") from None


def history(
    session: Session, profile_id: str, *, limit: int = 50, starting_after: str | None = None
) -> ConsentHistory:
    """The person's ledger, newest first (by when each answer was given), ``limit`` lines at
    a time (``starting_after``: the previous page's ``next_cursor``); :class:`UnknownProfile`
    when there is nobody."""
    ids = person_profile_ids(session, profile_id)
    query = select(ConsentEntry).where(ConsentEntry.profile_id.in_(ids))
    if starting_after:
        at, entry_id = _read_cursor(starting_after)
        query = query.where(
            or_(
                ConsentEntry.occurred_at < at,
                and_(ConsentEntry.occurred_at == at, ConsentEntry.id < entry_id),
            )
        )
    limit = max(1, min(limit, MAX_PAGE))
    rows = list(
        session.scalars(
            query.order_by(ConsentEntry.occurred_at.desc(), ConsentEntry.id.desc()).limit(limit + 1)
        )
    )
    more = len(rows) > limit
    rows = rows[:limit]
    return ConsentHistory(
        profile_id=ids[0],
        entries=[record_of(row) for row in rows],
        has_more=more,
        next_cursor=_cursor(rows[-1]) if more and rows else None,
    )


# --- recording -------------------------------------------------------------------------------


def _write(
    session: Session,
    ids: Sequence[str],
    answer: ConsentAnswer,
    *,
    source: str,
    actor: Actor,
    occurred_at: datetime,
    location_code: str | None,
    proof: Mapping[str, Any],
    latest: dict[tuple[str, str], ConsentEntry],
) -> ConsentEntry:
    """Add one checked answer under the person's profile (``ids[0]``); publish
    ``consent.changed`` when it changes what they accept. ``latest``: the person's latest
    answers, kept up to date."""
    pair = (answer.purpose, answer.channel)
    before = latest.get(pair)
    entry = ConsentEntry(
        profile_id=ids[0],
        purpose=answer.purpose,
        channel=answer.channel,
        granted=answer.granted,
        lawful_basis=answer.lawful_basis,
        source=source,
        location_code=location_code,
        proof=dict(proof),
        actor=actor.label[:300],
        occurred_at=occurred_at,
        recorded_at=utcnow(),
    )
    session.add(entry)
    session.flush()
    is_latest = before is None or (as_utc(before.occurred_at), before.id) < (occurred_at, entry.id)
    if not is_latest:
        return entry
    latest[pair] = entry
    if before is None or before.granted != answer.granted:
        record_event(
            session,
            ConsentChanged(
                profile_id=ids[0],
                purpose=answer.purpose,
                channel=answer.channel,
                granted=answer.granted,
                source=source,
                lawful_basis=answer.lawful_basis,
                location_code=location_code,
            ),
            actor=actor,
        )
    return entry


def _checked(answer: ConsentAnswer, *, field: str = "") -> ConsentAnswer:
    prefix = f"{field}." if field else ""
    _one_of(answer.purpose, PURPOSES, f"{prefix}purpose", "purpose")
    _one_of(answer.channel, CHANNELS, f"{prefix}channel", "channel")
    _one_of(answer.lawful_basis, LAWFUL_BASES, f"{prefix}lawful_basis", "lawful basis")
    return answer


def record_answers(
    session: Session,
    *,
    profile_id: str,
    answers: Sequence[ConsentAnswer],
    source: str,
    actor: Actor,
    occurred_at: datetime,
    location_code: str | None = None,
    proof: Mapping[str, Any] | None = None,
    only_changes: bool = False,
) -> list[ConsentEntry]:
    """Record a person's answers given together (one form, one message), each with
    ``proof`` and its own proof on top. ``only_changes``: leave out an answer that says what
    the ledger said already at its time (a consent banner repeating itself on every page).
    Nothing is recorded when one of them cannot be (:class:`InvalidConsent`, or
    :class:`UnknownProfile`)."""
    _one_of(source, CONSENT_SOURCES, "source", "consent source")
    checked = [_checked(answer, field=f"answers[{index}]") for index, answer in enumerate(answers)]
    pairs = [(answer.purpose, answer.channel) for answer in checked]
    if len(set(pairs)) != len(pairs):
        raise InvalidConsent(
            "Each purpose and channel is answered once in one request.", field="answers"
        )
    if location_code is not None and not 1 <= len(location_code) <= 50:
        raise InvalidConsent("A store code has 1 to 50 characters.", field="location")
    now = utcnow()
    moment = _moment(occurred_at, now=now)
    shared = _proof(proof)
    proofs = [{**shared, **_proof(answer.proof)} for answer in checked]
    ids = person_profile_ids(session, profile_id)
    hold_names(session, CONSENT_LOCKS, [ids[0]])
    latest = _latest(_entries(session, ids))
    then = _latest(_entries(session, ids, at=moment)) if only_changes else {}
    recorded = []
    for answer, answer_proof in zip(checked, proofs, strict=True):
        known = then.get((answer.purpose, answer.channel))
        if only_changes and known is not None and known.granted == answer.granted:
            continue
        recorded.append(
            _write(
                session,
                ids,
                answer,
                source=source,
                actor=actor,
                occurred_at=moment,
                location_code=location_code,
                proof=answer_proof,
                latest=latest,
            )
        )
    return recorded


def record_consent(
    session: Session,
    *,
    profile_id: str,
    purpose: str,
    channel: str,
    granted: bool,
    source: str,
    actor: Actor,
    occurred_at: datetime,
    lawful_basis: str = "consent",
    location_code: str | None = None,
    proof: Mapping[str, Any] | None = None,
) -> ConsentEntry:
    """Record one answer of a person about a purpose on a channel; publishes
    ``consent.changed`` when it changes what they accept."""
    [entry] = record_answers(
        session,
        profile_id=profile_id,
        answers=[ConsentAnswer(purpose, channel, granted, lawful_basis=lawful_basis)],
        source=source,
        actor=actor,
        occurred_at=occurred_at,
        location_code=location_code,
        proof=proof,
    )
    return entry


def unsubscribe_everywhere(
    session: Session,
    *,
    profile_id: str,
    source: str,
    actor: Actor,
    occurred_at: datetime,
    proof: Mapping[str, Any] | None = None,
) -> int:
    """Refuse marketing and personalised offers on every channel at once (what one-click
    unsubscribe asks); how many answers this recorded (none where the person had refused
    already, so a second click changes nothing)."""
    answers = [
        ConsentAnswer(purpose, channel, False)
        for purpose in OPT_OUT_PURPOSES
        for channel in CHANNELS
    ]
    return len(
        record_answers(
            session,
            profile_id=profile_id,
            answers=answers,
            source=source,
            actor=actor,
            occurred_at=occurred_at,
            proof=proof,
            only_changes=True,
        )
    )
