"""Real-time matching under an ingestion burst: does the matcher keep up?

Per backend, on a fresh database: a till source sends identifies (names, postcode, e-mail; one
in ten is a second record of an earlier person without e-mail, for the matcher to merge) at
``--rate`` messages per second in batches of ``--batch``, through the tracking use case (as
``/v1/batch`` calls it), while the outbox relay and the background lanes (the matcher's among
them) run as ``omnicanal serve`` runs them. A watcher reads, every 50 ms, which
``customer.person_recorded`` events the real-time matcher has handled (committed).
``--tills`` threads meanwhile send a ``--till-share`` of the messages one identify at a time,
as store tills do. Printed per run, with the load average beside it:

* the rate reached (messages per second through ingestion);
* deterministic unification: from a message's receipt to the commit that put it on its
  profile (identifiers, merges, traits, timeline), p50 and p99, for the batches and for the
  tills' single identifies;
* probabilistic matching: from a record's ``customer.person_recorded`` event to the commit of
  the real-time matcher's decision on it, p50, p99, max;
* the matcher's backlog (records recorded, not yet matched) at its highest and when the
  burst ends, then how long it takes to drain;
* the baseline: the raw database (plain DBAPI) inserting the same messages in the same
  batches, one row per message (``bench.ingest``'s ``raw``).

``--in-relay`` also runs the matcher as it was before it had its own queue (a consumer the
relay runs inside its own pass, docs/adr/0036), the baseline in the same run.

    .venv/bin/python -m bench.realtime --backend postgresql --messages 6000 --rate 1000
    .venv/bin/python -m bench.realtime --backend both --tills 4 --till-share 0.1 --in-relay
"""

from __future__ import annotations

import argparse
import os
import threading
import time
from datetime import timedelta
from random import Random
from typing import Any

from sqlalchemy import select

from bench.common import (
    build_platform_on,
    fresh_database,
    ms,
    percentile,
    print_machine,
    resolve_backends,
)

GIVEN = ["Jean", "Marie", "Léa", "Hugo", "Chloé", "Louis", "Emma", "Gabriel", "Inès", "Jules"]
FAMILY = ["Martin", "Bernard", "Dubois", "Thomas", "Robert", "Richard", "Petit", "Durand"]


def _messages(count: int, seed: int = 7) -> list[dict[str, Any]]:
    """Identifies of new people, one in ten a second record of an earlier one (no e-mail)."""
    random = Random(seed)
    people: list[dict[str, Any]] = []
    messages = []
    for i in range(count):
        if people and i % 10 == 9:
            traits = {k: v for k, v in random.choice(people).items() if k != "email"}
            user = f"till-{i}"
        else:
            traits = {
                "first_name": random.choice(GIVEN),
                "last_name": f"{random.choice(FAMILY)}{i % 997}",
                "postal_code": f"{random.randint(1, 95):02d}{random.randint(0, 999):03d}",
                "email": f"client.{i}@orange.fr",
            }
            people.append(traits)
            user = f"web-{i}"
        messages.append(
            {"type": "identify", "userId": user, "messageId": f"m-{i}", "traits": traits}
        )
    return messages


def _run(backend: str, args: argparse.Namespace, *, in_relay: bool) -> None:
    from omnicanal.customers.events import PersonRecorded
    from omnicanal.customers.service.realtime import HANDOFF, MATCHING, matching_consumer
    from omnicanal.platform.clock import utcnow
    from omnicanal.platform.events import OutboxEvent, ProcessedEvent
    from omnicanal.tracking import service as tracking
    from omnicanal.tracking.spec import ParsedMessage, parse_message

    load_before = os.getloadavg()
    with fresh_database(backend, "realtime") as db:
        platform = build_platform_on(db)
        if in_relay:
            platform.consumers = [
                matching_consumer() if c.name == HANDOFF else c for c in platform.consumers
            ]
            platform.jobs = [job for job in platform.jobs if job.group != MATCHING]
        with platform.db.transaction() as session:
            source, _ = tracking.create_source(
                session, kind=tracking.SourceKind.store, name="bench till"
            )
        messages = _messages(args.messages)
        platform.start_background(relay=True)
        seen: dict[str, float] = {}
        created: dict[str, float] = {}
        backlog: list[int] = []
        stop = threading.Event()

        def watch() -> None:
            """Note when each record's event appears and when its match commits (reading
            only what is new: the outbox after its last sequence number, the handled events
            of the last seconds)."""
            pause = threading.Event()
            last_seq, since = 0, utcnow() - timedelta(seconds=5)
            while not stop.is_set():
                with platform.db.reading() as session:
                    now = time.time()
                    for seq, event_id, event_type, at in session.execute(
                        select(
                            OutboxEvent.seq, OutboxEvent.id, OutboxEvent.type, OutboxEvent.time
                        ).where(OutboxEvent.seq > last_seq)
                    ):
                        last_seq = max(last_seq, seq)
                        if event_type == PersonRecorded.type:
                            created.setdefault(event_id, at.timestamp())
                    for event_id, handled in session.execute(
                        select(ProcessedEvent.event_id, ProcessedEvent.handled_at).where(
                            ProcessedEvent.consumer == "customers.matching",
                            ProcessedEvent.handled_at >= since,
                        )
                    ):
                        seen.setdefault(event_id, now)
                        since = max(since, handled - timedelta(seconds=5))
                backlog.append(len(created) - len(seen))
                pause.wait(0.05)

        watcher = threading.Thread(target=watch, daemon=True)
        watcher.start()
        singles = int(len(messages) * args.till_share) if args.tills else 0
        till_messages, batch_messages = messages[:singles], messages[singles:]
        batch_delays: list[float] = []
        till_delays: list[float] = []
        delays_lock = threading.Lock()

        def take(group: list[dict[str, Any]], into: list[float]) -> None:
            """Receive, parse and ingest ``group`` in one transaction, noting each message's
            time from receipt to commit."""
            clock = time.time()
            received = utcnow()
            parsed = [
                m
                for i, raw in enumerate(group)
                if isinstance(m := parse_message(raw, index=i, received_at=received), ParsedMessage)
            ]
            with platform.db.transaction() as session:
                tracking.ingest(session, source=source, messages=parsed, received_at=received)
            took = time.time() - clock
            with delays_lock:
                into.extend([took] * len(parsed))

        def till(number: int, started: float) -> None:
            """One till: its share of the single identifies, evenly spread over the burst."""
            mine = till_messages[number :: args.tills]
            every = args.tills / (args.rate * args.till_share)
            for k, message in enumerate(mine):
                if (wait := started + k * every - time.time()) > 0:
                    time.sleep(wait)
                take([message], till_delays)

        started = time.time()
        tills = [
            threading.Thread(target=till, args=(n, started), daemon=True)
            for n in range(args.tills if singles else 0)
        ]
        for thread in tills:
            thread.start()
        batch_rate = args.rate * (1 - (args.till_share if singles else 0))
        for start in range(0, len(batch_messages), args.batch):
            due = started + start / batch_rate
            if (wait := due - time.time()) > 0:
                time.sleep(wait)
            take(batch_messages[start : start + args.batch], batch_delays)
        for thread in tills:
            thread.join()
        ingest_seconds = time.time() - started
        at_end = backlog[-1] if backlog else 0
        deadline = time.time() + args.drain_limit
        while time.time() < deadline and (len(seen) < len(created) or not created):
            time.sleep(0.05)
        drained = time.time() - started - ingest_seconds
        stop.set()
        watcher.join()
        platform.close()
        delays = [seen[e] - created[e] for e in created if e in seen]
        label = "matcher in relay" if in_relay else "matcher lane"
        load_after = os.getloadavg()
        print(
            f"{backend:<10} {label:<20} rate {len(messages) / ingest_seconds:7.0f} msg/s "
            f"(asked {args.rate:.0f})  load {load_before[0]:.2f} → {load_after[0]:.2f}\n"
            f"{'':<10} deterministic  batches p50 {_ms(percentile(batch_delays, 50))} "
            f"p99 {_ms(percentile(batch_delays, 99))}  "
            f"tills p50 {_ms(percentile(till_delays, 50))} "
            f"p99 {_ms(percentile(till_delays, 99))} ({len(till_delays)} singles)\n"
            f"{'':<10} probabilistic  records {len(created):5d}  matched {len(delays):5d}  "
            f"p50 {percentile(delays, 50):6.2f}s  p99 {percentile(delays, 99):6.2f}s  "
            f"max {max(delays, default=0):6.2f}s  backlog max {max(backlog, default=0):5d} "
            f"at end {at_end:5d}  drained in {drained:5.1f}s"
        )


def _ms(value: float) -> str:
    return f"{ms(value * 1000)} ms"


def _raw(backend: str, args: argparse.Namespace) -> None:
    """The baseline: the raw database storing the same messages in the same batches."""
    from bench.ingest import run_raw

    messages = [{**m, "timestamp": "2026-11-01T10:00:00+00:00"} for m in _messages(args.messages)]
    load_before = os.getloadavg()
    with fresh_database(backend, "realtime-raw") as db:
        outcome = run_raw(db, messages, args)
    print(
        f"{backend:<10} {'raw inserts':<20} rate {outcome.per_second:7.0f} msg/s (unpaced)  "
        f"load {load_before[0]:.2f} → {os.getloadavg()[0]:.2f}"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--backend", default="sqlite")
    parser.add_argument("--messages", type=int, default=6_000)
    parser.add_argument("--rate", type=float, default=1_000.0)
    parser.add_argument("--batch", type=int, default=50)
    parser.add_argument("--drain-limit", type=float, default=300.0)
    parser.add_argument("--tills", type=int, default=4, help="threads sending single identifies")
    parser.add_argument(
        "--till-share", type=float, default=0.1, help="share of the messages the tills send"
    )
    parser.add_argument(
        "--in-relay", action="store_true", help="also run the matcher inside the relay (before)"
    )
    args = parser.parse_args()
    backends = resolve_backends(args.backend)
    print_machine("Real-time matching under a burst of identifies", backends)
    for backend in backends:
        _raw(backend, args)
        if args.in_relay:
            _run(backend, args, in_relay=True)
        _run(backend, args, in_relay=False)


if __name__ == "__main__":
    main()
