"""Reference data kept in the process: what nearly every request reads and almost nothing
changes (API keys, variants by SKU, channels and the locations serving them).

The module that owns the data declares a cache once (:class:`Cached`): a name and a time to
live. Each :class:`~omnicanal.platform.db.Database` keeps its own entries (:class:`Caches`),
so a new database starts empty.

How fresh a value is:

* In the process that makes a change, at once. The use cases that change the data call
  :meth:`Cached.changed` where they record the change's event (``network.location_updated``,
  ``catalog.product_updated``...): their session then reads around the cache until its
  transaction ends, and the entries are dropped at once and again when the transaction
  ends, in every database of the process on the same URL (a CLI command run in the API's
  process included). A value loaded while a change was under way is not kept: each drop
  moves a generation number on, and a value is kept only under the generation it was
  loaded in.
* In other processes, within the time to live: the safety net for changes made elsewhere.

Only what was found is kept: an unknown SKU or token is asked of the database every time,
so a thing created by another process is seen at once.
"""

from __future__ import annotations

import threading
import time
import weakref
from collections.abc import Callable, Hashable, Iterable, Mapping
from typing import Any, Generic, TypeVar

from sqlalchemy import event
from sqlalchemy.orm import Session, SessionTransaction, sessionmaker

__all__ = ["CACHES", "Cached", "Caches"]

K = TypeVar("K", bound=Hashable)
V = TypeVar("V")

CACHES = "omnicanal.caches"
"""The key of a session's ``info`` that holds its database's :class:`Caches`."""
_CHANGED = "omnicanal.caches_changed"
"""The key of a session's ``info`` that holds the names of the caches it changes."""

_DECLARED: dict[str, Cached[Any, Any]] = {}
_LIVE: dict[str, weakref.WeakSet[Caches]] = {}
_LIVE_LOCK = threading.Lock()
_MISSING: Any = object()


class _Store:
    """The entries of one cache for one database."""

    __slots__ = ("entries", "generation", "lock", "max_entries", "ttl")

    def __init__(self, ttl: float, max_entries: int) -> None:
        self.entries: dict[Any, tuple[float, Any]] = {}
        self.generation = 0
        self.lock = threading.Lock()
        self.ttl = ttl
        self.max_entries = max_entries

    def lookup(self, key: Any) -> Any:
        entry = self.entries.get(key)
        if entry is None or entry[0] < time.monotonic():
            return _MISSING
        return entry[1]

    def keep(self, key: Any, value: Any, generation: int) -> None:
        with self.lock:
            if generation != self.generation:
                return  # dropped while it was loaded: it may predate the change
            if len(self.entries) >= self.max_entries:
                self.entries = {}
            self.entries[key] = (time.monotonic() + self.ttl, value)

    def clear(self) -> None:
        with self.lock:
            self.generation += 1
            self.entries = {}


class Cached(Generic[K, V]):
    """A cache declared by the module that owns its data; ``ttl_seconds`` bounds how long a
    change made by another process takes to show."""

    def __init__(self, name: str, *, ttl_seconds: float, max_entries: int = 10_000) -> None:
        if name in _DECLARED:
            raise ValueError(f"A cache named {name!r} is already declared.")
        self.name = name
        self.ttl_seconds = ttl_seconds
        self.max_entries = max_entries
        _DECLARED[name] = self

    def _store(self, session: Session) -> _Store | None:
        """This cache's entries for the session's database; None where the session must read
        the database itself (no database of ours, or it is changing what the cache holds)."""
        caches: Caches | None = session.info.get(CACHES)
        if caches is None or self.name in session.info.get(_CHANGED, ()):
            return None
        return caches.store(self)

    def get(self, session: Session, key: K, load: Callable[[], V | None]) -> V | None:
        """The value under ``key``, from the cache or else from ``load()`` (kept if found)."""
        store = self._store(session)
        if store is None:
            return load()
        value = store.lookup(key)
        if value is not _MISSING:
            return value
        generation = store.generation
        value = load()
        if value is not None:
            store.keep(key, value, generation)
        return value

    def peek(self, caches: Caches, key: K) -> V | None:
        """The value cached under ``key`` for this database, if any: no session, no read."""
        value = caches.store(self).lookup(key)
        return None if value is _MISSING else value

    def get_many(
        self, session: Session, keys: Iterable[K], load: Callable[[list[K]], Mapping[K, V]]
    ) -> dict[K, V]:
        """The values under ``keys`` that exist: those cached, and the others from one
        ``load(missing keys)``."""
        store = self._store(session)
        if store is None:
            return dict(load(list(keys)))
        found: dict[K, V] = {}
        missing: list[K] = []
        for key in keys:
            value = store.lookup(key)
            if value is _MISSING:
                missing.append(key)
            else:
                found[key] = value
        if missing:
            generation = store.generation
            loaded = load(missing)
            for key, value in loaded.items():
                store.keep(key, value, generation)
            found.update(loaded)
        return found

    def changed(self, session: Session) -> None:
        """``session`` changes what this cache holds: it reads around the cache until its
        transaction ends, and the entries are dropped now and when it ends."""
        changed: set[str] = session.info.setdefault(_CHANGED, set())
        changed.add(self.name)
        caches: Caches | None = session.info.get(CACHES)
        if caches is not None:
            caches.clear((self.name,))


class Caches:
    """The entries of every declared cache for one database."""

    def __init__(self, url: str) -> None:
        self.url = url
        self._stores: dict[str, _Store] = {}
        with _LIVE_LOCK:
            _LIVE.setdefault(url, weakref.WeakSet()).add(self)

    def store(self, cached: Cached[Any, Any]) -> _Store:
        store = self._stores.get(cached.name)
        if store is None:
            store = self._stores.setdefault(
                cached.name, _Store(cached.ttl_seconds, cached.max_entries)
            )
        return store

    def clear(self, names: Iterable[str] | None = None) -> None:
        """Drop the entries of these caches (all when None) for this database, in every
        database of the process on the same URL."""
        wanted = None if names is None else set(names)
        with _LIVE_LOCK:
            peers = list(_LIVE.get(self.url, ()))
        for caches in peers:
            for name, store in list(caches._stores.items()):
                if wanted is None or name in wanted:
                    store.clear()

    def watch(self, sessions: sessionmaker[Session]) -> None:
        """Drop the caches that a session of these changed, when its transaction ends."""

        @event.listens_for(sessions, "after_transaction_end")
        def _ended(session: Session, transaction: SessionTransaction) -> None:
            if transaction.parent is None:
                names = session.info.pop(_CHANGED, None)
                caches: Caches | None = session.info.get(CACHES)
                if names and caches is not None:
                    caches.clear(names)
