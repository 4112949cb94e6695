"""Use cases of the consent API: read a person's consent and ledger, record their answers,
for a caller the policy (:mod:`consent_access`) lets act for that person."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.orm import Session

from omnicanal.customers import service as customers
from omnicanal.customers.errors import UnknownProfile
from omnicanal.engagement import consent_access as access
from omnicanal.engagement import consents
from omnicanal.engagement.consent_answers import ConsentAnswer
from omnicanal.engagement.consent_schemas import (
    ConsentEntryOut,
    ConsentsIn,
    ConsentsOut,
    ConsentsRecordedOut,
    ConsentStateOut,
)
from omnicanal.engagement.errors import InvalidConsent
from omnicanal.network import lookups as network
from omnicanal.platform.actors import Actor
from omnicanal.platform.bounds import MAX_YEAR, MIN_YEAR, check_moment
from omnicanal.platform.clock import utcnow

__all__ = ["consents_of", "record"]


def _person(
    session: Session, actor: Actor, *, profile_id: str, customer_ref: str | None, region: str
) -> str:
    """The person's profile (merges followed) once the caller may act for them; a web or app
    key's request must name them by their login."""
    access.check_first_party(actor)
    if not access.needs_login(actor):
        return customers.profile_root(session, profile_id).id
    login = access.login_of(customer_ref)
    try:
        root = customers.profile_root(session, profile_id).id
    except UnknownProfile:
        root = None
    named = (
        customers.referenced_profile_id(session, customer_ref=f"user_id:{login}", region=region)
        if login is not None
        else None
    )
    access.check_own_customer(actor, is_their_login=root is not None and named == root)
    assert root is not None
    return root


def _state_out(state: consents.ConsentState) -> ConsentStateOut:
    return ConsentStateOut(
        purpose=state.purpose,
        channel=state.channel,
        granted=state.granted,
        lawful_basis=state.lawful_basis,
        source=state.source,
        location=state.location_code,
        occurred_at=state.occurred_at,
    )


def _entry_out(entry: consents.ConsentRecord) -> ConsentEntryOut:
    return ConsentEntryOut(
        id=entry.id,
        purpose=entry.purpose,
        channel=entry.channel,
        granted=entry.granted,
        lawful_basis=entry.lawful_basis,
        source=entry.source,
        location=entry.location_code,
        proof=dict(entry.proof),
        actor=entry.actor,
        occurred_at=entry.occurred_at,
        recorded_at=entry.recorded_at,
    )


def _current(
    session: Session, profile_id: str, *, at: datetime | None = None
) -> list[ConsentStateOut]:
    states = consents.current_consents(session, profile_id, at=at)
    return [_state_out(states[pair]) for pair in sorted(states)]


def consents_of(
    session: Session,
    *,
    profile_id: str,
    actor: Actor,
    region: str,
    customer_ref: str | None = None,
    at: datetime | None = None,
    limit: int = 50,
    starting_after: str | None = None,
) -> ConsentsOut:
    """The person's current consent (as of ``at``, now by default) and a page of their
    ledger, newest first."""
    if at is not None:
        try:
            at = check_moment(at)
        except ValueError:
            raise InvalidConsent(
                f"Ask as of a moment between the years {MIN_YEAR} and {MAX_YEAR}.", field="at"
            ) from None
    root = _person(session, actor, profile_id=profile_id, customer_ref=customer_ref, region=region)
    page = consents.history(session, root, limit=limit, starting_after=starting_after)
    return ConsentsOut(
        profile_id=root,
        current=_current(session, root, at=at),
        ledger=[_entry_out(entry) for entry in page.entries],
        has_more=page.has_more,
        next_cursor=page.next_cursor,
    )


def record(
    session: Session, *, profile_id: str, data: ConsentsIn, actor: Actor, region: str
) -> ConsentsRecordedOut:
    """Record the person's answers, given where the caller's channel takes them (a web form,
    the app, a till, the call centre) and, for a store key, at its store."""
    root = _person(
        session, actor, profile_id=profile_id, customer_ref=data.customer_ref, region=region
    )
    location = access.acting_location(actor, data.location)
    if location is not None:
        location = network.get_location(session, location).code
    recorded = consents.record_answers(
        session,
        profile_id=root,
        answers=[
            ConsentAnswer(
                answer.purpose,
                answer.channel,
                answer.granted,
                lawful_basis=answer.lawful_basis,
                proof=answer.proof or {},
            )
            for answer in data.answers
        ],
        source=access.source_of(actor),
        actor=actor,
        occurred_at=data.occurred_at or utcnow(),
        location_code=location,
        proof=data.proof,
    )
    return ConsentsRecordedOut(
        profile_id=root,
        recorded=[_entry_out(consents.record_of(entry)) for entry in recorded],
        current=_current(session, root),
    )
