"""Probabilistic matching in real time: a new person record is compared, as soon as it is
recorded, with the records sharing a blocking key with it.

The identity graph announces ``customer.person_recorded`` when a message creates (or
identifies) a profile and gives it a name; the ``customers.matching`` consumer scores that
record against its candidates and applies the decisions (merge, review, household) in its
own transaction, a moment after the message, off the ingestion path.

The consumer stays cheap, because it runs in a writing transaction: candidates come from
the ``person_keys`` index (records add their keys as they are matched; the batch run
rebuilds it), and the weights are those the last batch run (``omnicanal customers match``)
estimated by EM, or the matcher's defaults before any run. Nothing is fitted here.
"""

from __future__ import annotations

import logging
import threading
from typing import Any

from sqlalchemy.orm import Session

from omnicanal.customers.service.matching import (
    MatchRun,
    apply_matches,
    candidates_of,
    index_people,
    latest_model_id,
    load_model,
    person_records,
)
from omnicanal.platform.actors import Actor
from omnicanal.platform.bus import Consumer
from omnicanal.platform.events import Event

__all__ = ["CONSUMERS", "MATCHER_ACTOR", "PERSON_RECORDED", "match_record"]

log = logging.getLogger(__name__)
PERSON_RECORDED = "customer.person_recorded"
MATCHER_ACTOR = Actor(key_id=None, channel="system", name="customers.matching")

_cache: dict[str, tuple[str | None, Any]] = {}
_cache_lock = threading.Lock()


def _matcher(session: Session) -> Any:
    """A matcher with the latest estimated weights of the session's database (cached)."""
    from omnicanal.customers.matching import Matcher

    database = session.get_bind().url.render_as_string(hide_password=True)
    model_id = latest_model_id(session)
    with _cache_lock:
        cached = _cache.get(database)
        if cached is not None and cached[0] == model_id:
            return cached[1]
    model = load_model(session, model_id) if model_id is not None else None
    matcher = Matcher(model=model) if model is not None else Matcher()
    with _cache_lock:
        _cache[database] = (model_id, matcher)
    return matcher


def match_record(session: Session, *, profile_id: str, actor: Actor) -> MatchRun | None:
    """Score one profile's record against its candidates and apply the decisions."""
    found = person_records(session, profile_ids=[profile_id])
    if not found or not (found[0].given_name or found[0].family_name):
        return None
    record = found[0]
    matcher = _matcher(session)
    candidates = candidates_of(
        session,
        keys=matcher.blocking_keys(record),
        max_block_size=matcher.max_block_size,
        exclude=record.record_id,
    )
    index_people(session, records=[record], matcher=matcher)
    others = [
        other
        for other in person_records(session, profile_ids=candidates)
        if other.record_id != record.record_id
    ]
    scored = matcher.match_one(record, others) if others else []
    run = apply_matches(
        session, matches=[(record, other, score) for other, score in scored], actor=actor
    )
    run.records = 1 + len(others)
    return run


def match_new_record(session: Session, event: Event) -> None:
    """Consumer: match the person record a message has just created.

    Real-time matching is an enrichment the batch run repeats: a record it cannot match is
    logged and left to that run. Letting it fail would stop the embedded bus's outbox for
    every consumer behind this event, so its writes are undone (savepoint) and it is skipped.
    """
    profile_id = event.data.get("profile_id") if isinstance(event.data, dict) else None
    if not isinstance(profile_id, str):
        return
    try:
        with session.begin_nested():
            match_record(session, profile_id=profile_id, actor=MATCHER_ACTOR)
    except Exception:
        log.exception("real-time matching of profile %s failed; left to the batch run", profile_id)


CONSUMERS = (
    Consumer(name="customers.matching", patterns=(PERSON_RECORDED,), handler=match_new_record),
)
