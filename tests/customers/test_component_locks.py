"""Identity resolution holds only the part of the graph it touches: a large batch and a till's
identify both go through, two identifies about unrelated people do not wait for each other,
and a merge (a reviewer's, the matcher's) holds only the two profiles it joins (PostgreSQL;
SQLite's writers queue on the database by design). No lock covers the whole graph."""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

import pytest
from sqlalchemy import func, select, text

from omnicanal.customers.models import Profile, ProfileIdentifier
from omnicanal.customers.service import merge_profiles
from omnicanal.platform.actors import OPERATOR
from omnicanal.platform.clock import utcnow
from omnicanal.platform.wiring import Platform
from omnicanal.tracking import service as tracking
from omnicanal.tracking.service import SourceKind, SourceView
from omnicanal.tracking.spec import ParsedMessage, parse_message

FAILSAFE = 60
"""Seconds after which a test that would otherwise hang gives up (not a speed bound)."""


def _source(platform: Platform, kind: SourceKind = SourceKind.store) -> SourceView:
    with platform.db.transaction() as session:
        source, _ = tracking.create_source(session, kind=kind, name=f"locks {kind.value}")
    return source


def _identify(index: int, user_id: str, **traits: Any) -> ParsedMessage:
    message = parse_message(
        {"type": "identify", "userId": user_id, "traits": traits}, index=index, received_at=utcnow()
    )
    assert isinstance(message, ParsedMessage)
    return message


def _app_identify(anonymous_id: str, email: str) -> ParsedMessage:
    """The app identifying a visitor by e-mail alone."""
    message = parse_message(
        {"type": "identify", "anonymousId": anonymous_id, "traits": {"email": email}},
        received_at=utcnow(),
    )
    assert isinstance(message, ParsedMessage)
    return message


def _signal_when_a_lock_waits(
    platform: Platform, *, after: threading.Event, signal: threading.Event
) -> Callable[[], None]:
    """A job that, once ``after`` is set, sets ``signal`` as soon as some transaction waits
    for an advisory lock (PostgreSQL's ``pg_locks``)."""

    def watch() -> None:
        assert after.wait(FAILSAFE)
        pause = threading.Event()
        for _ in range(FAILSAFE * 100):
            with platform.db.reading() as session:
                if session.scalar(
                    text(
                        "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND NOT granted"
                    )
                ):
                    signal.set()
                    return
            pause.wait(0.01)

    return watch


def _ingest(platform: Platform, source: SourceView, messages: list[ParsedMessage]) -> None:
    with platform.db.transaction() as session:
        tracking.ingest(session, source=source, messages=messages, received_at=utcnow())


def _profiles(platform: Platform) -> int:
    with platform.db.reading() as session:
        return session.scalar(select(func.count()).select_from(Profile)) or 0


def _run(*jobs: Any) -> list[BaseException]:
    """Run the jobs in threads started together; the errors they raised."""
    barrier = threading.Barrier(len(jobs))
    errors: list[BaseException] = []

    def start(job: Any) -> None:
        try:
            barrier.wait(FAILSAFE)
            job()
        except BaseException as error:  # reported to the test below
            errors.append(error)

    threads = [threading.Thread(target=start, args=(job,)) for job in jobs]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(FAILSAFE * 2)
    assert not any(thread.is_alive() for thread in threads)
    return errors


def test_a_large_batch_and_a_till_identify_sent_together_both_complete(platform):
    """Finding: a large request held the whole graph while a till's identify waited."""
    web, till = _source(platform, SourceKind.web), _source(platform)
    batch = [
        _identify(i, f"web-{i}", email=f"client.{i}@orange.fr", first_name="Client")
        for i in range(600)
    ]
    identify = [_identify(0, "till-1", email="camille.roux@free.fr", first_name="Camille")]

    errors = _run(lambda: _ingest(platform, web, batch), lambda: _ingest(platform, till, identify))

    assert errors == []
    assert _profiles(platform) == 601


def test_identifies_about_unrelated_people_do_not_wait_for_each_other(platform, backend):
    """While one transaction holding Anne's component is still open, Bruno's identify
    commits: the hold is per component, not on the whole graph."""
    if backend != "postgresql":
        pytest.skip("SQLite serialises its writers on the database itself")
    source = _source(platform)
    anne_recorded, bruno_committed = threading.Event(), threading.Event()
    seen: dict[str, bool] = {}

    def anne() -> None:
        with platform.db.transaction() as session:
            tracking.ingest(
                session,
                source=source,
                messages=[_identify(0, "anne", email="anne.petit@orange.fr")],
                received_at=utcnow(),
            )
            anne_recorded.set()
            seen["bruno before anne committed"] = bruno_committed.wait(FAILSAFE)

    def bruno() -> None:
        assert anne_recorded.wait(FAILSAFE)
        _ingest(platform, source, [_identify(0, "bruno", email="bruno.leroy@free.fr")])
        bruno_committed.set()

    errors = _run(anne, bruno)

    assert errors == []
    assert seen == {"bruno before anne committed": True}
    assert _profiles(platform) == 2


def test_identifies_about_one_person_wait_for_each_other_and_make_one_profile(platform, backend):
    """The second identify carrying Anne's e-mail waits for the first to commit, then joins
    her profile instead of making a second one."""
    if backend != "postgresql":
        pytest.skip("SQLite serialises its writers on the database itself")
    source = _source(platform)
    anne_recorded, second_waiting = threading.Event(), threading.Event()

    def first() -> None:
        with platform.db.transaction() as session:
            tracking.ingest(
                session,
                source=source,
                messages=[_identify(0, "anne", email="anne.petit@orange.fr")],
                received_at=utcnow(),
            )
            anne_recorded.set()
            assert second_waiting.wait(FAILSAFE)

    def second() -> None:
        assert anne_recorded.wait(FAILSAFE)
        _ingest(platform, source, [_app_identify("app-7", "anne.petit@orange.fr")])

    watch = _signal_when_a_lock_waits(platform, after=anne_recorded, signal=second_waiting)
    errors = _run(first, second, watch)

    assert errors == []
    with platform.db.reading() as session:
        owners = set(session.scalars(select(ProfileIdentifier.profile_id)))
    assert len(owners) == 1


def _profile_of(platform: Platform, kind: str, value: str) -> str:
    with platform.db.reading() as session:
        found = session.scalar(
            select(ProfileIdentifier.profile_id).where(
                ProfileIdentifier.kind == kind, ProfileIdentifier.value == value
            )
        )
    assert found is not None
    return found


def _merging_anne_and_bruno(platform: Platform, go_on: threading.Event) -> Any:
    """A transaction that merges Anne's and Bruno's profiles, then stays open until
    ``go_on``; ``merged`` is set once the merge is written."""
    anne = _profile_of(platform, "email", "anne.petit@orange.fr")
    bruno = _profile_of(platform, "email", "bruno.leroy@free.fr")
    merged = threading.Event()

    def merge() -> None:
        with platform.db.transaction() as session:
            merge_profiles(session, profile_ids=(anne, bruno), rule="manual", actor=OPERATOR)
            merged.set()
            assert go_on.wait(FAILSAFE)

    return merge, merged


def test_a_merge_in_progress_does_not_hold_back_identifies_about_other_people(platform, backend):
    """While a merge of Anne and Bruno is still open, Camille's identify commits."""
    if backend != "postgresql":
        pytest.skip("SQLite serialises its writers on the database itself")
    source = _source(platform)
    _ingest(platform, source, [_identify(0, "anne", email="anne.petit@orange.fr")])
    _ingest(platform, source, [_identify(0, "bruno", email="bruno.leroy@free.fr")])
    camille_committed = threading.Event()
    merge, merged = _merging_anne_and_bruno(platform, camille_committed)

    def camille() -> None:
        assert merged.wait(FAILSAFE)
        _ingest(platform, source, [_identify(0, "camille", email="camille.roux@free.fr")])
        camille_committed.set()

    errors = _run(merge, camille)

    assert errors == []
    assert camille_committed.is_set()
    assert _profile_of(platform, "email", "anne.petit@orange.fr") == _profile_of(
        platform, "email", "bruno.leroy@free.fr"
    )


def test_an_identify_of_a_profile_being_merged_waits_and_joins_the_merged_profile(
    platform, backend
):
    """An identify carrying Bruno's e-mail and a new cookie waits for the merge of Anne and
    Bruno to commit, then puts the cookie on the merged profile: no merge lost, no third
    profile."""
    if backend != "postgresql":
        pytest.skip("SQLite serialises its writers on the database itself")
    source = _source(platform)
    _ingest(platform, source, [_identify(0, "anne", email="anne.petit@orange.fr")])
    _ingest(platform, source, [_identify(0, "bruno", email="bruno.leroy@free.fr")])
    identify_waiting = threading.Event()
    merge, merged = _merging_anne_and_bruno(platform, identify_waiting)

    def identify() -> None:
        assert merged.wait(FAILSAFE)
        _ingest(platform, source, [_app_identify("app-9", "bruno.leroy@free.fr")])

    watch = _signal_when_a_lock_waits(platform, after=merged, signal=identify_waiting)
    errors = _run(merge, identify, watch)

    assert errors == []
    with platform.db.reading() as session:
        roots = set(session.scalars(select(Profile.root_id)))
    assert len(roots) == 1
    assert _profile_of(platform, "anonymous_id", "app-9") == roots.pop()
