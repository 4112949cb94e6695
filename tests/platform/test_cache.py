"""The reference data kept in the process (platform/cache.py): read once, dropped by a change
made in the process, never kept from a load that raced a change."""

from __future__ import annotations

import itertools
from collections.abc import Iterator

import pytest
from sqlalchemy import create_engine
from sqlalchemy.orm import Session, sessionmaker

from omnicanal.platform.cache import CACHES, Cached, Caches

_names = itertools.count(1)


def a_cache(ttl_seconds: float = 60) -> Cached[str, str]:
    return Cached(f"test.cache.{next(_names)}", ttl_seconds=ttl_seconds)


class Loads:
    """A loader that counts its calls and answers from ``values``."""

    def __init__(self, **values: str) -> None:
        self.values = values
        self.calls: list[list[str]] = []

    def one(self, key: str) -> str | None:
        self.calls.append([key])
        return self.values.get(key)

    def many(self, keys: list[str]) -> dict[str, str]:
        self.calls.append(keys)
        return {key: self.values[key] for key in keys if key in self.values}


@pytest.fixture
def sessions() -> Iterator[sessionmaker[Session]]:
    """Sessions of one database, as platform/db.py makes them."""
    engine = create_engine("sqlite://")
    caches = Caches(f"sqlite:///cache-test-{next(_names)}")
    maker = sessionmaker(engine, info={CACHES: caches})
    caches.watch(maker)
    yield maker
    engine.dispose()


def test_a_value_found_is_loaded_once_until_its_time_to_live_is_up(sessions):
    kept, expired, loads = a_cache(), a_cache(ttl_seconds=0), Loads(LYON="Lyon")
    with sessions() as session:
        assert [kept.get(session, "LYON", lambda: loads.one("LYON")) for _ in range(3)] == [
            "Lyon"
        ] * 3
        assert len(loads.calls) == 1
        assert [expired.get(session, "LYON", lambda: loads.one("LYON")) for _ in range(2)] == [
            "Lyon"
        ] * 2
        assert len(loads.calls) == 3


def test_what_is_not_found_is_asked_every_time(sessions):
    """A thing created by another process is seen at once: absence is never kept."""
    cache, loads = a_cache(), Loads()
    with sessions() as session:
        for _ in range(2):
            assert cache.get(session, "NEW", lambda: loads.one("NEW")) is None
    assert loads.calls == [["NEW"], ["NEW"]]


def test_many_keys_load_only_those_not_kept_in_one_call(sessions):
    cache, loads = a_cache(), Loads(A="a", B="b", C="c")
    with sessions() as session:
        cache.get_many(session, ["A", "B"], loads.many)
        found = cache.get_many(session, ["A", "B", "C", "D"], loads.many)
    assert found == {"A": "a", "B": "b", "C": "c"}
    assert loads.calls == [["A", "B"], ["C", "D"]]


def test_a_session_that_changes_the_data_reads_around_the_cache_until_its_transaction_ends(
    sessions,
):
    cache, loads = a_cache(), Loads(LYON="Lyon")
    with sessions() as reader, sessions() as writer:
        cache.get(reader, "LYON", lambda: loads.one("LYON"))
        writer.connection()  # a transaction under way
        cache.changed(writer)
        loads.values["LYON"] = "Lyon Part-Dieu"

        assert cache.get(writer, "LYON", lambda: loads.one("LYON")) == "Lyon Part-Dieu"
        assert cache.get(writer, "LYON", lambda: loads.one("LYON")) == "Lyon Part-Dieu"
        calls_in_the_change = len(loads.calls) - 1
        writer.commit()
        assert cache.get(writer, "LYON", lambda: loads.one("LYON")) == "Lyon Part-Dieu"
        assert cache.get(reader, "LYON", lambda: loads.one("LYON")) == "Lyon Part-Dieu"
    assert calls_in_the_change == 2
    assert len(loads.calls) == 4  # kept again once the change was over


def test_the_entries_are_dropped_again_when_the_changing_transaction_ends(sessions):
    """A value read by another session while the change was under way (the old one, as the
    database still showed it) is dropped at the commit."""
    cache, loads = a_cache(), Loads(LYON="Lyon")
    with sessions() as reader, sessions() as writer:
        writer.connection()
        cache.changed(writer)
        assert cache.get(reader, "LYON", lambda: loads.one("LYON")) == "Lyon"
        loads.values["LYON"] = "Lyon Part-Dieu"
        writer.rollback()  # a rolled back change drops them too: harmless, and simpler

        assert cache.get(reader, "LYON", lambda: loads.one("LYON")) == "Lyon Part-Dieu"


def test_a_value_loaded_while_a_change_dropped_the_cache_is_not_kept(sessions):
    cache, loads = a_cache(), Loads(LYON="Lyon")
    with sessions() as reader, sessions() as writer:
        writer.connection()

        def load_racing_a_change() -> str | None:
            value = loads.one("LYON")
            cache.changed(writer)  # the change lands while the old value is on its way
            return value

        assert cache.get(reader, "LYON", load_racing_a_change) == "Lyon"
        writer.commit()
        loads.values["LYON"] = "Lyon Part-Dieu"

        assert cache.get(reader, "LYON", lambda: loads.one("LYON")) == "Lyon Part-Dieu"


def test_a_change_drops_the_entries_of_every_database_on_the_same_url_only(tmp_path):
    """A CLI command run in the API's process (its own Database on the same URL) drops
    what the API kept; another database keeps its entries."""
    cache = a_cache()
    engine = create_engine("sqlite://")
    url = f"sqlite:///{tmp_path / 'shared.db'}"
    api, cli, other = Caches(url), Caches(url), Caches(f"sqlite:///{tmp_path / 'other.db'}")
    makers = {}
    for name, caches in (("api", api), ("cli", cli), ("other", other)):
        makers[name] = sessionmaker(engine, info={CACHES: caches})
        caches.watch(makers[name])
    loads = Loads(KEY="live")
    with makers["api"]() as on_api, makers["other"]() as on_other:
        cache.get(on_api, "KEY", lambda: loads.one("KEY"))
        cache.get(on_other, "KEY", lambda: loads.one("KEY"))
        loads.values["KEY"] = "revoked"
        with makers["cli"]() as on_cli:
            on_cli.connection()
            cache.changed(on_cli)
            on_cli.commit()

        assert cache.get(on_api, "KEY", lambda: loads.one("KEY")) == "revoked"
        assert cache.get(on_other, "KEY", lambda: loads.one("KEY")) == "live"
    engine.dispose()


def test_a_session_of_no_database_of_ours_reads_the_database_itself():
    cache, loads = a_cache(), Loads(LYON="Lyon")
    with Session() as session:
        cache.get(session, "LYON", lambda: loads.one("LYON"))
        cache.get(session, "LYON", lambda: loads.one("LYON"))
    assert len(loads.calls) == 2


def test_two_caches_may_not_share_a_name():
    name = f"test.cache.{next(_names)}"
    Cached(name, ttl_seconds=1)
    with pytest.raises(ValueError, match="already declared"):
        Cached(name, ttl_seconds=1)
