"""Probabilistic matching in real time: a new person record is compared, as soon as it is
recorded, with the records sharing a blocking key with it.

The identity graph announces ``customer.person_recorded`` when a message creates (or
identifies) a profile and gives it a name, or gives a known profile an address or a birth
date (more to be found by: it is matched again); the ``customers.matching`` consumer scores that
record against its candidates and applies the decisions (merge, review, household) in its
own transaction, a moment after the message, off the ingestion path: the request that took
the message in never matches. It takes many records at once (:func:`match_records`): after a
burst of identifies it catches up in a few transactions instead of one per record.

The matcher has a queue of its own (docs/adr/0036). Over JetStream it is a durable consumer
of its own (``omnicanal worker``). On the embedded bus the relay only hands the records to
its :class:`MatchingQueue` (a transaction noting them queued), and the matcher's lane, a
thread of its own, takes everything queued at once: the relay never waits for the matcher,
the matcher never waits behind the relay's other consumers.

The consumer stays cheap, because it runs in a writing transaction: candidates come from
the ``person_keys`` index (records add their keys as they are matched; the batch run
rebuilds it), and the weights are the latest estimated by EM, or the matcher's defaults
before any, with how common each name is counted on the base (:class:`Matchers`). Nothing
is fitted in that transaction. The weights are estimated by the batch run
(``omnicanal customers match``) and, without waiting for one, by the matcher's own job
(:func:`estimate_weights`, docs/adr/0045): once the base has 1,000 named people, and again
each time it has doubled, on a read of the newest people, saved in a short transaction.
"""

from __future__ import annotations

import logging
import threading
from collections import OrderedDict, deque
from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import datetime
from functools import partial
from time import monotonic
from typing import TYPE_CHECKING, Any

from sqlalchemy import and_, exists, select
from sqlalchemy.orm import Session, aliased

from omnicanal.customers.events import PersonRecorded
from omnicanal.customers.models import PersonKey, Profile
from omnicanal.customers.service.matching import (
    MIN_RECORDS_TO_FIT,
    MatchRun,
    apply_matches,
    candidates_of,
    index_people,
    latest_model_id,
    latest_model_records,
    load_model,
    named_people,
    person_records,
    person_records_as_recorded,
    recent_person_records,
    save_model,
)
from omnicanal.platform.actors import Actor
from omnicanal.platform.bus import Consumer, deliver_batch
from omnicanal.platform.db import Database
from omnicanal.platform.events import Event, OutboxEvent, ProcessedEvent
from omnicanal.platform.jobs import Job, Report

if TYPE_CHECKING:
    from omnicanal.customers.matching import PersonRecord

__all__ = [
    "HANDOFF",
    "MATCHER_ACTOR",
    "MATCHING",
    "Matchers",
    "MatchingQueue",
    "RecordCache",
    "estimate_weights",
    "estimate_weights_job",
    "match_record",
    "match_records",
    "matching_consumer",
]

log = logging.getLogger(__name__)
MATCHER_ACTOR = Actor(key_id=None, channel="system", name="customers.matching")
MATCHING = "customers-matching"
"""The job group of the matcher's lane on the embedded bus (a thread of its own)."""
TERMS_SAMPLE = 20_000
"""Before any fit, how common names are is counted on at most this many recent people."""
TERMS_GROWTH = 1.25
TERMS_BIG_BASE = 100_000
TERMS_RECOUNT_SMALL = 1.0  # seconds between two counts of the named people, small base
TERMS_RECOUNT_BIG = 30.0
FIT_GROWTH = 2.0
"""The weights are estimated again when the base has this many times the people it had at
the last estimate (the batch run's included)."""
FIT_SAMPLE = 20_000
"""They are estimated on at most this many people, the newest."""
FIT_EVERY = 5.0  # seconds between two looks at the size of the base
HANDOFF = "customers.matching.queued"
"""The consumer that hands the records to the matcher's queue on the embedded bus: its
``processed_events`` rows say which records were queued."""


@dataclass(frozen=True)
class _Built:
    model_id: str | None
    matcher: Any
    people: int  # named people when its term frequencies were counted (no weights fitted)
    checked: float  # monotonic time of the last count


class RecordCache:
    """The person records of the matcher's candidates, kept between its batches: a profile
    whose change time (``updated_at``, moved by every change to its traits, identifiers,
    merges or household) is the one its record was read at is not read again. A candidate
    comes back with every new record of its block; reading it cost more than scoring it.

    At most ``size`` records, the least recently asked for dropped first."""

    def __init__(self, size: int = 20_000) -> None:
        self.size = size
        self._kept: OrderedDict[str, tuple[datetime, PersonRecord | None]] = OrderedDict()
        self._lock = threading.Lock()

    def records(self, session: Session, profile_ids: Sequence[str]) -> list[PersonRecord]:
        """:func:`person_records` of these profiles, read only for those that changed."""
        if not profile_ids:
            return []
        roots = select(Profile.root_id).where(Profile.id.in_(sorted(set(profile_ids))))
        versions = dict(
            session.execute(select(Profile.id, Profile.updated_at).where(Profile.id.in_(roots)))
            .tuples()
            .all()
        )
        found: dict[str, PersonRecord | None] = {}
        with self._lock:
            for root, changed in versions.items():
                kept = self._kept.get(root)
                if kept is not None and kept[0] == changed:
                    self._kept.move_to_end(root)
                    found[root] = kept[1]
        stale = sorted(set(versions) - set(found))
        read = {r.record_id: r for r in person_records(session, profile_ids=stale)} if stale else {}
        with self._lock:
            for root in stale:
                found[root] = read.get(root)
                self._kept[root] = (versions[root], found[root])
                self._kept.move_to_end(root)
            while len(self._kept) > self.size:
                self._kept.popitem(last=False)
        return [record for root in sorted(found) if (record := found[root]) is not None]


class Matchers:
    """The matcher with the latest estimated weights, per database: built again only when a
    batch run has estimated new weights. The state of one ``customers.matching`` consumer.

    Before any batch run, the matcher has its default weights and counts how common each
    name and postcode is on (a sample of) the base, counted again as the base grows by a
    quarter: a rare family name shared weighs more than "Martin" from the first day.

    Counting reads every recent person (a second on a base of some thousands). With
    ``counts_in_line=False`` (the matcher's lane on the embedded bus), :meth:`latest` never
    counts again inside the caller's transaction, which on SQLite holds the one write lock
    and would keep every request waiting: the lane calls :meth:`refresh` in a read session
    before it opens its transaction."""

    def __init__(self, *, counts_in_line: bool = True) -> None:
        self._cache: dict[str, _Built] = {}
        self._records: dict[str, RecordCache] = {}
        self._lock = threading.Lock()
        self.counts_in_line = counts_in_line

    def records(self, session: Session, profile_ids: Sequence[str]) -> list[PersonRecord]:
        """The person records of these candidates, read again only where they changed since
        the last batch of the session's database (:class:`RecordCache`)."""
        with self._lock:
            cache = self._records.setdefault(_database(session), RecordCache())
        return cache.records(session, profile_ids)

    def latest(self, session: Session) -> Any:
        """A matcher with the latest estimated weights of the session's database (its names
        counted again here if the base has grown, unless ``counts_in_line`` is off)."""
        return self._latest(session, count=self.counts_in_line)

    def refresh(self, session: Session) -> Any:
        """:meth:`latest`, counting the names again if the base has grown: in a read session,
        before the transaction that matches."""
        return self._latest(session, count=True)

    def _latest(self, session: Session, *, count: bool) -> Any:
        from omnicanal.customers.matching import Matcher

        database = _database(session)
        model_id = latest_model_id(session)
        with self._lock:
            built = self._cache.get(database)
        if (
            built is not None
            and built.model_id == model_id
            and (model_id is not None or not count or not self._grown(session, database, built))
        ):
            return built.matcher
        if model_id is not None:
            model = load_model(session, model_id)
            matcher = Matcher(model=model) if model is not None else Matcher()
            built = _Built(model_id, matcher, 0, monotonic())
        else:
            people = named_people(session)
            sample = recent_person_records(session, limit=TERMS_SAMPLE) if people else []
            built = _Built(None, Matcher().counting_terms(sample), people, monotonic())
        with self._lock:
            self._cache[database] = built
        return built.matcher

    def _grown(self, session: Session, database: str, built: _Built) -> bool:
        """Whether the base has grown by a quarter since its names were counted (counted
        again every second on a small base, every half minute on a big one)."""
        every = TERMS_RECOUNT_SMALL if built.people < TERMS_BIG_BASE else TERMS_RECOUNT_BIG
        now = monotonic()
        if now - built.checked < every:
            return False
        people = named_people(session)
        if people >= max(built.people * TERMS_GROWTH, built.people + 10):
            return True
        with self._lock:
            self._cache[database] = replace(built, checked=now)
        return False


def _database(session: Session) -> str:
    """The key of the session's database in the matchers' caches."""
    return session.get_bind().engine.url.render_as_string(hide_password=True)


def _fit_due(people: int, fitted_on: int | None, *, least: int, growth: float) -> bool:
    """Whether weights should be estimated on a base of ``people`` named people, the latest
    having been estimated on ``fitted_on`` (None: never)."""
    if people < least:
        return False
    return fitted_on is None or people >= growth * max(fitted_on, 1)


def estimate_weights(
    db: Database,
    report: Report,
    *,
    least: int = MIN_RECORDS_TO_FIT,
    growth: float = FIT_GROWTH,
) -> int:
    """Estimate the matcher's weights by EM on the newest people as their messages recorded
    them (:func:`person_records_as_recorded`), when the base has reached ``least`` named
    people without an estimate, or has ``growth`` times the people of the latest; 1 if it
    did.

    Before, the real-time matcher scored every pair with its default weights until someone
    ran ``omnicanal customers match``: on a new base, namesakes of one household merged and
    typed-over names stayed apart. The read and the fit (a quarter of a second on 4,000
    people) run outside any write transaction; the weights are saved in a short one, unless
    another process saved some for a base as large meanwhile. The matchers pick them up at
    their next batch (:class:`Matchers` looks for the latest weights each time)."""
    from omnicanal.customers.matching import Matcher

    due = partial(_fit_due, least=least, growth=growth)
    with db.reading() as session:
        people = named_people(session)
        if not due(people, latest_model_records(session)):
            return 0
        records = person_records_as_recorded(session, limit=FIT_SAMPLE)
    if len(records) < max(least, 2):
        return 0
    matcher = Matcher().fit(records)
    with db.transaction() as session:
        if not due(people, latest_model_records(session)):
            return 0
        save_model(session, matcher=matcher, records=people)
    log.info("estimated the matcher's weights on %d of %d people", len(records), people)
    report("matcher_weights_estimated", 1)
    return 1


def estimate_weights_job() -> Job:
    """The matcher's weights estimated as the base grows (:func:`estimate_weights`), in the
    matcher's lane: between two of its batches, never beside them."""
    return Job(
        name="customers.weights",
        group=MATCHING,
        every_seconds=FIT_EVERY,
        run=estimate_weights,
    )


def match_record(
    session: Session, *, profile_id: str, actor: Actor, matchers: Matchers
) -> MatchRun | None:
    """Score one profile's record against its candidates and apply the decisions."""
    found = person_records(session, profile_ids=[profile_id])
    if not found or not (found[0].given_name or found[0].family_name):
        return None
    record = found[0]
    matcher = matchers.latest(session)
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
        session,
        matches=[(record, other, score) for other, score in scored],
        actor=actor,
        conflicts=matcher.conflicts,
    )
    run.records = 1 + len(others)
    return run


def _recorded(event: Event) -> str:
    """The profile id of a ``customer.person_recorded`` event."""
    payload = event.payload
    if not isinstance(payload, PersonRecorded):
        raise TypeError(f"The matcher takes customer.person_recorded, not {event.type}.")
    return payload.profile_id


def match_new_record(session: Session, event: Event, *, matchers: Matchers) -> None:
    """Consumer: match the person record a message has just created.

    Real-time matching is an enrichment the batch run repeats: a record it cannot match is
    logged and left to that run. Letting it fail would stop the embedded bus's outbox for
    every consumer behind this event, so its writes are undone (savepoint) and it is skipped.
    """
    profile_id = _recorded(event)
    try:
        with session.begin_nested():
            match_record(session, profile_id=profile_id, actor=MATCHER_ACTOR, matchers=matchers)
    except Exception:
        log.exception("real-time matching of profile %s failed; left to the batch run", profile_id)


def _candidates(
    session: Session, *, keys: dict[str, set[str]], max_block_size: int
) -> dict[str, list[str]]:
    """Per record (id → its blocking keys), the profiles sharing a key with it, skipping keys
    too many records share: one read of the index for the whole batch."""
    wanted = sorted({key[:160] for found in keys.values() for key in found})
    members: dict[str, set[str]] = {}
    for start in range(0, len(wanted), 400):
        for key, profile_id in session.execute(
            select(PersonKey.key, PersonKey.profile_id).where(
                PersonKey.key.in_(wanted[start : start + 400])
            )
        ):
            members.setdefault(key, set()).add(profile_id)
    return {
        record_id: sorted(
            {
                other
                for key in found
                if len(members.get(key[:160], ())) <= max_block_size
                for other in members.get(key[:160], ())
            }
            - {record_id}
        )
        for record_id, found in keys.items()
    }


def match_records(
    session: Session, *, profile_ids: Sequence[str], actor: Actor, matchers: Matchers
) -> MatchRun:
    """Score many new records against their candidates at once (each other included) and
    apply the decisions: one read of the records, of the index, of the candidates, and one
    scoring pass over every pair."""
    records = [
        record
        for record in person_records(session, profile_ids=sorted(set(profile_ids)))
        if record.given_name or record.family_name
    ]
    if not records:
        return MatchRun()
    import numpy as np

    from omnicanal.customers.matching.blocking import record_keys
    from omnicanal.customers.matching.normalise import prepare

    matcher = matchers.latest(session)
    # Indexed first: two records of one batch find each other as they would one by one.
    index_people(session, records=records, matcher=matcher)
    wanted = _candidates(
        session,
        keys=dict(
            zip(
                (record.record_id for record in records),
                record_keys(prepare(records), matcher.blocking),
                strict=True,
            )
        ),
        max_block_size=matcher.max_block_size,
    )
    pool = list(records)
    position = {record.record_id: k for k, record in enumerate(pool)}
    outside = sorted({c for found in wanted.values() for c in found} - set(position))
    for other in matchers.records(session, outside):
        position.setdefault(other.record_id, len(pool))
        if position[other.record_id] == len(pool):
            pool.append(other)
    # Each pair once, as it was first met (a record of the batch and its candidate): some
    # four hundred candidates a record, so the pairs are made in arrays, not one by one.
    left: list[int] = []
    right: list[int] = []
    for record in records:
        found = [position[c] for c in wanted[record.record_id] if c in position]
        left += [position[record.record_id]] * len(found)
        right += found
    first, second = np.array(left, dtype=np.int64), np.array(right, dtype=np.int64)
    keys = np.minimum(first, second) * len(pool) + np.maximum(first, second)
    kept = np.sort(np.unique(keys, return_index=True)[1])
    scored = matcher.match_pairs(pool, first[kept], second[kept])
    scored.sort(key=lambda found: -found[2].weight)
    run = apply_matches(
        session,
        matches=[(pool[a], pool[b], score) for a, b, score in scored],
        actor=actor,
        conflicts=matcher.conflicts,
    )
    run.records = len(pool)
    return run


def match_new_records(session: Session, events: Sequence[Event], *, matchers: Matchers) -> None:
    """Batch consumer: match the person records a relay batch of messages created, together.

    Should the batch fail, each record is tried alone, so that one bad record leaves only
    itself to the batch run (and never stops the outbox)."""
    profile_ids = [_recorded(event) for event in events]
    if not profile_ids:
        return
    try:
        with session.begin_nested():
            match_records(session, profile_ids=profile_ids, actor=MATCHER_ACTOR, matchers=matchers)
    except Exception:
        log.exception("real-time matching of %d records failed; matching one by one", len(events))
        for event in events:
            match_new_record(session, event, matchers=matchers)


def matching_consumer(matchers: Matchers | None = None) -> Consumer:
    """The real-time matcher, with its own cache of the latest estimated weights (or
    ``matchers``, shared with the lane that refreshes it)."""
    matchers = matchers if matchers is not None else Matchers()
    return Consumer(
        name="customers.matching",
        events=(PersonRecorded,),
        handler=partial(match_new_record, matchers=matchers),
        batch_handler=partial(match_new_records, matchers=matchers),
    )


class MatchingQueue:
    """The real-time matcher's own queue on the embedded bus.

    The relay delivers ``customer.person_recorded`` to :meth:`handoff`, a consumer that only
    queues the records (its ``processed_events`` rows, committed with the relay's batch, say
    so); the matcher's lane (:meth:`job`) wakes every ``every_seconds`` and takes everything
    queued, at most ``batch_size`` records a transaction, and runs the ``customers.matching``
    consumer on them (``deliver_batch``: its own ``processed_events`` rows, so a record is
    matched once). Waking a quarter of a second apart rather than at each relay batch, it
    matches a burst in batches some ten times larger, each record for a third of the work
    (one read of the candidates and one scoring pass for the batch), well within a second.
    Records queued but not matched when the process stopped are queued again by the lane's
    first run: handed off, never matched.
    """

    def __init__(
        self,
        consumer: Consumer,
        *,
        every_seconds: float = 0.25,
        matchers: Matchers | None = None,
    ) -> None:
        self.consumer = consumer
        self.every_seconds = every_seconds
        self.matchers = matchers
        self._queued: deque[Event] = deque()
        self._lock = threading.Lock()
        self._recovered = False

    @property
    def pending(self) -> int:
        """How many records wait in the queue."""
        return len(self._queued)

    def put(self, session: Session, events: Sequence[Event]) -> None:
        """Queue these records (the handoff consumer's handler; ``session`` is unused)."""
        with self._lock:
            self._queued.extend(events)

    def handoff(self) -> Consumer:
        """The consumer the relay delivers the records to: it queues them."""
        return Consumer(
            name=HANDOFF,
            events=self.consumer.events,
            handler=lambda session, event: self.put(session, [event]),
            batch_handler=self.put,
            batch_size=self.consumer.batch_size,
        )

    def job(self) -> Job:
        """The matcher's lane: every ``every_seconds``, match what is queued."""
        return Job(
            name="customers.matching",
            group=MATCHING,
            every_seconds=self.every_seconds,
            run=self.run,
        )

    def run(self, db: Database, report: Report) -> int:
        """Match everything queued (and what comes in meanwhile); how many records. A batch
        that fails goes back to the front of the queue, for the next run."""
        if not self._recovered:
            self._requeue_unmatched(db)
            self._recovered = True
        handled = 0
        while True:
            with self._lock:
                size = min(len(self._queued), self.consumer.batch_size)
                batch = [self._queued.popleft() for _ in range(size)]
            if not batch:
                return handled
            try:
                if self.matchers is not None:
                    # Names counted again, if the base has grown, before the write lock.
                    with db.reading() as session:
                        self.matchers.refresh(session)
                handled += deliver_batch(db, self.consumer, batch)
            except BaseException:
                with self._lock:
                    self._queued.extendleft(reversed(batch))
                raise

    def _requeue_unmatched(self, db: Database) -> None:
        """Queue again the records handed off and never matched (a stop in between)."""
        handed, matched = aliased(ProcessedEvent), aliased(ProcessedEvent)
        with db.reading() as session:
            lost = [
                row.to_event()
                for row in session.scalars(
                    select(OutboxEvent)
                    .join(
                        handed,
                        and_(handed.event_id == OutboxEvent.id, handed.consumer == HANDOFF),
                    )
                    .where(
                        ~exists().where(
                            matched.consumer == self.consumer.name,
                            matched.event_id == OutboxEvent.id,
                        )
                    )
                    .order_by(OutboxEvent.seq)
                )
            ]
        if lost:
            log.info("queueing again %d records handed to the matcher, never matched", len(lost))
            with self._lock:
                self._queued.extendleft(reversed(lost))
