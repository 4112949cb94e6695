"""Use cases of the tracking module: write keys, and taking in a batch of messages."""

from __future__ import annotations

import secrets
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from omnicanal.customers import service as customers
from omnicanal.customers.identifiers import IdentifierKind
from omnicanal.customers.identity.blocked import Blocklist
from omnicanal.engagement import consents
from omnicanal.network import service as network
from omnicanal.platform.actors import Actor
from omnicanal.platform.auth import hash_token
from omnicanal.platform.bulk import bulk_copy
from omnicanal.platform.cache import Cached
from omnicanal.platform.clock import utcnow
from omnicanal.platform.errors import DomainError, NotFound
from omnicanal.reviews import service as reviews
from omnicanal.tracking.errors import InvalidSource, UnknownWriteKey
from omnicanal.tracking.models import TrackingMessage, TrackingSource
from omnicanal.tracking.spec import MessageWarning, ParsedMessage

__all__ = [
    "IngestResult",
    "SourceKind",
    "SourceView",
    "TrustLevel",
    "authenticate_write_key",
    "create_source",
    "ingest",
    "ingest_many",
    "list_sources",
    "revoke_source",
    "source_for_api_key",
]

WRITE_KEYS: Cached[str, SourceView] = Cached("tracking.write_keys", ttl_seconds=10)
"""The sources by the hash of their write key, read by every batch. A source revoked by this
process is dropped at the commit; by another process, its key is refused within the TTL."""
MESSAGE_LOCKS = 0x0C1D_7A01
"""Advisory lock space (:func:`omnicanal.platform.locks.hold`) of the (source, messageId)
pairs."""


class SourceKind(StrEnum):
    """The kinds of source a write key speaks for."""

    web = "web"
    app = "app"
    store = "store"
    email = "email"
    service_desk = "service_desk"


class TrustLevel(StrEnum):
    """How far a source's messages are believed when they would merge two known customers.

    A message may always attach identifiers to its own visitor (its anonymousId or userId);
    merging two people already known takes a source that saw the customer (a till, a call
    centre after checking who is calling, a back-office system) or a login in the app. The
    web shop's write key is in every page: anyone may send with it."""

    till = "till"
    """A store's till: a clerk served the customer."""
    app_login = "app_login"
    """The app: messages carrying the logged-in customer's userId may merge."""
    call_centre_verified = "call_centre_verified"
    """The service desk or call centre, after checking who is calling."""
    server = "server"
    """A back-office system sending from a server (the e-mail platform, the CRM)."""
    web_anonymous = "web_anonymous"
    """A public key (the web shop): never merges two known customers."""


DEFAULT_TRUST = {
    "web": TrustLevel.web_anonymous,
    "app": TrustLevel.app_login,
    "store": TrustLevel.till,
    "email": TrustLevel.server,
    "service_desk": TrustLevel.call_centre_verified,
}
"""The trust of a new source of each kind, unless its creator says otherwise."""


def may_merge(trust: str, *, logged_in: bool) -> bool:
    """Whether a message of a source with this trust may merge two known customers."""
    if trust == TrustLevel.web_anonymous:
        return False
    if trust == TrustLevel.app_login:
        return logged_in
    return True


@dataclass(frozen=True)
class SourceView:
    """A source as the edge and the use cases see it (no secret)."""

    id: str
    name: str
    kind: str
    location_code: str | None
    trust: str = TrustLevel.web_anonymous.value

    @property
    def label(self) -> str:
        """How identifiers and timeline entries name the source."""
        return f"{self.kind}/{self.name}"[:120]

    def actor(self) -> Actor:
        return Actor(
            key_id=self.id,
            channel=self.kind,
            location_code=self.location_code,
            scopes=frozenset({"tracking:write"}),
            name=self.name,
        )


def _view(source: TrackingSource) -> SourceView:
    return SourceView(source.id, source.name, source.kind, source.location_code, source.trust)


def create_source(
    session: Session,
    *,
    kind: SourceKind,
    name: str,
    location_code: str | None = None,
    trust: TrustLevel | None = None,
) -> tuple[SourceView, str]:
    """Create a source and its write key; returns the key, shown only this once. Its trust
    is the kind's default (``DEFAULT_TRUST``) unless given."""
    name = name.strip()
    if not name or len(name) > 100:
        raise InvalidSource("A source needs a name of 1 to 100 characters.", field="name")
    if location_code is not None:
        location_code = network.get_location(session, location_code).code
    write_key = f"wk_{kind.value}_{secrets.token_urlsafe(24)}"
    source = TrackingSource(
        name=name,
        kind=kind.value,
        location_code=location_code,
        key_prefix=write_key[:16],
        key_hash=hash_token(write_key),
        trust=(trust or DEFAULT_TRUST[kind.value]).value,
    )
    session.add(source)
    session.flush()
    return _view(source), write_key


API_KEY_SOURCES = {
    "web": SourceKind.web,
    "app": SourceKind.app,
    "store": SourceKind.store,
    "call_centre": SourceKind.service_desk,
}


def source_for_api_key(session: Session, *, actor: Actor) -> SourceView:
    """The source standing for an API key that sends tracking messages (made on first use)."""
    if actor.key_id is None:
        raise InvalidSource("Only an API key can be a tracking source.", field="Authorization")
    found = session.scalar(select(TrackingSource).where(TrackingSource.api_key_id == actor.key_id))
    if found is None:
        kind = API_KEY_SOURCES.get(actor.channel)
        if kind is None:
            raise InvalidSource(
                f"A {actor.channel} key cannot send tracking messages.", field="Authorization"
            )
        found = TrackingSource(
            name=f"API key {actor.name}"[:100],
            kind=kind.value,
            location_code=actor.location_code,
            key_prefix="(api key)",
            key_hash=hash_token(f"api-key:{actor.key_id}"),
            api_key_id=actor.key_id,
            # A secret API key is held by a server, never by a page.
            trust=(
                TrustLevel.server if kind is SourceKind.web else DEFAULT_TRUST[kind.value]
            ).value,
        )
        session.add(found)
        session.flush()
    return _view(found)


def list_sources(session: Session) -> list[dict[str, Any]]:
    """Every source with its key prefix, newest first."""
    return [
        {
            "id": s.id,
            "name": s.name,
            "kind": s.kind,
            "location": s.location_code,
            "key_prefix": s.key_prefix,
            "trust": s.trust,
            "created_at": s.created_at,
            "revoked_at": s.revoked_at,
        }
        for s in session.scalars(select(TrackingSource).order_by(TrackingSource.id.desc()))
    ]


def revoke_source(session: Session, *, source_id: str) -> None:
    """Refuse this source's write key from now on."""
    source = session.get(TrackingSource, source_id)
    if source is None:
        raise NotFound(f"No tracking source has the id {source_id!r}.", field="id")
    source.revoked_at = source.revoked_at or utcnow()
    WRITE_KEYS.changed(session)


def authenticate_write_key(session: Session, write_key: str | None) -> SourceView:
    """The source behind a write key, or :class:`UnknownWriteKey`."""
    if not write_key:
        raise UnknownWriteKey(
            "Send the source's write key as the user name of HTTP Basic auth.",
            message="missing write key",
        )
    try:
        key_hash = hash_token(write_key)
    except UnicodeEncodeError:  # a lone surrogate: no key of ours looks like it
        key_hash = ""

    def load() -> SourceView | None:
        found = session.scalar(select(TrackingSource).where(TrackingSource.key_hash == key_hash))
        return _view(found) if found is not None and found.revoked_at is None else None

    source = WRITE_KEYS.get(session, key_hash, load) if key_hash else None
    if source is None:
        raise UnknownWriteKey(
            "This write key is unknown or has been revoked.", message="invalid write key"
        )
    return source


@dataclass
class IngestResult:
    """What a batch did: messages stored, repeats skipped (by their batch index), and what
    storing them said besides their own warnings (a review or a consent not taken), by batch
    index."""

    accepted: list[int] = field(default_factory=list)
    duplicates: list[int] = field(default_factory=list)
    profiles: dict[int, str | None] = field(default_factory=dict)
    warnings: dict[int, list[MessageWarning]] = field(default_factory=dict)


def ingest(
    session: Session,
    *,
    source: SourceView,
    messages: Sequence[ParsedMessage],
    received_at: datetime,
    blocklist: Blocklist | None = None,
) -> IngestResult:
    """Store the messages not seen before from this source and resolve them to profiles."""
    return ingest_many(
        session,
        items=[(source, message) for message in messages],
        received_at=received_at,
        blocklist=blocklist,
    )


def _seen(session: Session, keys: set[tuple[str, str]]) -> set[tuple[str, str]]:
    """The (source id, messageId) pairs among ``keys`` stored already."""
    seen: set[tuple[str, str]] = set()
    by_source: dict[str, list[str]] = {}
    for source_id, message_id in keys:
        by_source.setdefault(source_id, []).append(message_id)
    for source_id, ids in sorted(by_source.items()):
        ids.sort()
        for start in range(0, len(ids), 500):
            seen.update(
                (source_id, message_id)
                for message_id in session.scalars(
                    select(TrackingMessage.message_id).where(
                        TrackingMessage.source_id == source_id,
                        TrackingMessage.message_id.in_(ids[start : start + 500]),
                    )
                )
            )
    return seen


def ingest_many(
    session: Session,
    *,
    items: Sequence[tuple[SourceView, ParsedMessage]],
    received_at: datetime,
    announce: bool = True,
    blocklist: Blocklist | None = None,
) -> IngestResult:
    """Store messages from one or more sources, in their order, each (source, messageId)
    once, and resolve them to profiles, as one unit of work. ``blocklist``: the values that
    never link anyone (default: the shipped list)."""
    result = IngestResult()
    if not items:
        return result
    sightings = [_sighting(source, message, received_at) for source, message in items]
    keys = {(source.id, message.message_id) for source, message in items}
    # One statement holds what the batch touches: its messages (two requests repeating one
    # wait for each other) and its identifiers; unrelated requests do not wait.
    customers.hold_sightings(
        session, sightings=sightings, also=[(MESSAGE_LOCKS, f"{s}:{m}") for s, m in keys]
    )
    seen = _seen(session, keys)
    fresh: list[tuple[SourceView, ParsedMessage]] = []
    fresh_sightings: list[customers.Sighting] = []
    for (source, message), sighting in zip(items, sightings, strict=True):
        key = (source.id, message.message_id)
        if key in seen:
            result.duplicates.append(message.index)
            continue
        seen.add(key)
        fresh.append((source, message))
        fresh_sightings.append(sighting)
    if not fresh:
        return result
    actor = fresh[0][0].actor()
    resolved = customers.record_sightings(
        session,
        sightings=fresh_sightings,
        actor=actor,
        announce=announce,
        blocklist=blocklist,
        held=True,
    )
    rows = [
        {
            "id": outcome.event_id,
            "source_id": source.id,
            "message_id": message.message_id,
            "type": message.type,
            "occurred_at": message.occurred_at,
            "received_at": received_at,
            "payload": message.raw,
            "warnings": [w.as_dict() for w in message.warnings] or None,
        }
        for (source, message), outcome in zip(fresh, resolved, strict=True)
    ]
    for (source, message), outcome in zip(fresh, resolved, strict=True):
        if message.review is not None:
            taken = _take_review(session, source, message, outcome.profile_id)
            if taken is not None:
                result.warnings[message.index] = [taken]
        if message.consents:
            refused = _take_consents(session, source, message, outcome.profile_id)
            if refused is not None:
                result.warnings.setdefault(message.index, []).append(refused)
    for row, (_, message) in zip(rows, fresh, strict=True):
        if message.index in result.warnings:
            row["warnings"] = [
                w.as_dict() for w in (*message.warnings, *result.warnings[message.index])
            ]
    bulk_copy(session, TrackingMessage.__table__, rows)
    for (_, message), outcome in zip(fresh, resolved, strict=True):
        result.accepted.append(message.index)
        result.profiles[message.index] = outcome.profile_id
    return result


def _sighting(
    source: SourceView, message: ParsedMessage, received_at: datetime
) -> customers.Sighting:
    """The sighting of a person that a message makes, for the customers module."""
    return customers.Sighting(
        identifiers=message.identifiers,
        kind=message.type,
        name=message.name,
        occurred_at=message.occurred_at,
        received_at=received_at,
        source=source.label,
        channel=source.kind,
        message_ref=message.message_id,
        properties=message.properties,
        traits=message.traits,
        order=message.order,
        trusted=may_merge(
            source.trust,
            logged_in=any(i.kind is IdentifierKind.user_id for i in message.identifiers),
        ),
    )


def _take_review(
    session: Session, source: SourceView, message: ParsedMessage, profile_id: str | None
) -> MessageWarning | None:
    """Hand a ``Product Reviewed`` message's review to the reviews module; why it was not
    taken, if it was not. Only a source that may say who the customer is (the trust that
    merges customers, ``may_merge``) writes in their name: the web shop's public key, which
    anyone may send with, does not."""
    assert message.review is not None
    logged_in = any(i.kind is IdentifierKind.user_id for i in message.identifiers)
    if not may_merge(source.trust, logged_in=logged_in):
        return MessageWarning(
            message.index,
            message.message_id,
            "untrusted_review_source",
            "userId",
            f"a {source.trust} source cannot write a review in a customer's name; the "
            "message is stored, the review is not taken",
        )
    try:
        reviews.submit_tracked_review(
            session,
            draft=message.review,
            profile_id=profile_id,
            channel=source.kind,
            location=source.location_code,
            actor=source.actor(),
            occurred_at=message.occurred_at,
        )
    except DomainError as refused:
        return MessageWarning(
            message.index,
            message.message_id,
            refused.code,
            "userId" if refused.code == "unknown_reviewer" else "properties.product_id",
            f"{refused.detail} The message is stored, the review is not taken.",
        )
    return None


def _take_consents(
    session: Session, source: SourceView, message: ParsedMessage, profile_id: str | None
) -> MessageWarning | None:
    """Hand the consent answers a message carries to the ledger (source ``segment``, the
    message as their proof); why they were not taken, if they were not. The trust that
    writes a review in a customer's name (``may_merge``) records their consent: the web
    shop's public key, which anyone may send with, does not. A repeated answer (a consent
    banner on every page) adds nothing to the ledger."""
    logged_in = any(i.kind is IdentifierKind.user_id for i in message.identifiers)
    if not may_merge(source.trust, logged_in=logged_in):
        return MessageWarning(
            message.index,
            message.message_id,
            "untrusted_consent_source",
            "userId",
            f"a {source.trust} source cannot record consent in a customer's name; the "
            "message is stored, its consent is not taken",
        )
    if profile_id is None:
        return MessageWarning(
            message.index,
            message.message_id,
            "unknown_consent_subject",
            "userId",
            "the message names nobody we can tell apart; its consent is not taken",
        )
    try:
        consents.record_answers(
            session,
            profile_id=profile_id,
            answers=[
                replace(answer, proof={**answer.proof, "field": answer.field})
                for answer in message.consents
            ],
            source="segment",
            actor=source.actor(),
            occurred_at=message.occurred_at,
            location_code=source.location_code,
            proof={"message_id": message.message_id, "tracking_source": source.label},
            only_changes=True,
        )
    except DomainError as refused:
        return MessageWarning(
            message.index,
            message.message_id,
            refused.code,
            refused.field or "",
            f"{refused.detail} The message is stored, its consent is not taken.",
        )
    return None
