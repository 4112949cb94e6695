"""API keys: one per channel or application, with scopes, optionally bound to a store."""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import JSON, ForeignKey, String, or_, select, update
from sqlalchemy.orm import Mapped, Session, mapped_column

from omnicanal.platform.actors import Actor, ChannelKind
from omnicanal.platform.cache import Cached
from omnicanal.platform.clock import as_utc, utcnow
from omnicanal.platform.db import Base, Database
from omnicanal.platform.errors import Conflict, Forbidden, InvalidInput, NotFound, Unauthenticated
from omnicanal.platform.ids import new_id
from omnicanal.platform.types import UtcDateTime

SCOPES: dict[str, str] = {
    "catalog:read": "read products and variants",
    "catalog:write": "create and update products and variants, import products files",
    "network:read": "read locations and channels",
    "network:write": "create and change locations and set which channels they fulfil",
    "inventory:read": "read stock and availability",
    "inventory:write": "record stock movements, import stock counts",
    "reservations:write": "reserve, confirm and release stock",
    "events:read": "read the event counts",
    "analytics:read": "read the KPIs, their definitions, customer value and the pilots (a "
    "store's key: its own store's figures only)",
    "analytics:write": "define, stop and rebuild pilot-store experiments (head office)",
    "surveys:write": "record customers' NPS and satisfaction answers from a survey tool",
    "pricing:read": "price carts, read promotions, overrides and the consistency audit",
    "pricing:write": "set list prices and channel price overrides, create promotions (back office)",
    "carts:read": "read carts priced live",
    "carts:write": "create, change and merge carts",
    "profiles:read": "read customer profiles, their timeline and the identity metrics",
    "profiles:write": "unmerge profiles and decide identity reviews",
    "profiles:export": "export every recognised customer in bulk (personal data; with "
    "profiles:read)",
    "tracking:write": "send tracking messages (identify, track, page...) with this key",
    "orders:read": "read orders, their fulfilments and history, and the pickup waits",
    "orders:write": "check out, cancel orders and record payment updates",
    "fulfilment:write": "move fulfilments on (pick, ready, check in, collect, ship...)",
    "returns:read": "read returns, their labels and the returns metrics",
    "returns:write": "take, receive, inspect, refund, exchange and cancel returns",
    "returns:review": "approve or refuse the returns waiting for review (head office)",
    "loyalty:read": "read loyalty programmes, members, their balance, ledger and redemptions",
    "loyalty:write": "enrol members and hold or release their points as a tender",
    "loyalty:admin": "set up loyalty programmes and adjust members' points by hand (head office)",
    "reviews:read": "read published product reviews (and those the key sent)",
    "reviews:write": "send customers' product reviews (a marketplace: its own orders' customers)",
    "reviews:moderate": "publish or reject product reviews, list those waiting (head office)",
    "consents:read": "read a customer's consent per purpose and channel, and its ledger",
    "consents:write": "record a customer's answers about consent (web, app: their logged-in one)",
    "engagement:read": "read messages, their decisions, the triggers and the engagement measures",
    "engagement:admin": "set up the message triggers (head office)",
    "watches:write": "watch a SKU at a store for a customer (back in stock), list and end watches",
    "engagement:write": "report complaints, disputes and refused deliveries to the message policy",
    "webhooks:admin": "subscribe endpoints to events, rotate their secrets, replay deliveries "
    "(head office)",
    "privacy:export": "export everything held about one customer (RGPD art. 15 and 20)",
    "privacy:erase": "erase a customer in every table and the event log (RGPD art. 17)",
}
SCOPE_PRESETS: dict[str, tuple[str, ...]] = {"admin": tuple(SCOPES)}
"""Names that stand for several scopes: ``admin`` is every scope, for a first-party admin key."""
_CARTS = ("pricing:read", "carts:read", "carts:write")
_ORDERS = ("orders:read", "orders:write")
_RETURNS = ("returns:read", "returns:write")
_LOYALTY = ("loyalty:read", "loyalty:write")
_REVIEWS = ("reviews:read", "reviews:write")
_CONSENTS = ("consents:read", "consents:write")
_WATCHES = ("watches:write",)
DEFAULT_SCOPES: dict[ChannelKind, tuple[str, ...]] = {
    ChannelKind.web: (
        "catalog:read",
        "network:read",
        "inventory:read",
        "reservations:write",
        *_CARTS,
        *_ORDERS,
        *_RETURNS,
        *_LOYALTY,
        *_REVIEWS,
        *_CONSENTS,
        *_WATCHES,
    ),
    ChannelKind.app: (
        "catalog:read",
        "network:read",
        "inventory:read",
        "reservations:write",
        *_CARTS,
        *_ORDERS,
        *_RETURNS,
        *_LOYALTY,
        *_REVIEWS,
        *_CONSENTS,
        *_WATCHES,
    ),
    ChannelKind.store: (
        "catalog:read",
        "network:read",
        "inventory:read",
        "inventory:write",
        "reservations:write",
        *_CARTS,
        *_ORDERS,
        *_RETURNS,
        *_LOYALTY,
        *_REVIEWS,
        *_CONSENTS,
        *_WATCHES,
        "fulfilment:write",
        "profiles:read",
        "tracking:write",
        "engagement:write",
        "analytics:read",
    ),
    ChannelKind.call_centre: (
        "catalog:read",
        "network:read",
        "inventory:read",
        "reservations:write",
        *_CARTS,
        *_ORDERS,
        *_RETURNS,
        *_LOYALTY,
        *_REVIEWS,
        *_CONSENTS,
        *_WATCHES,
        "profiles:read",
        "engagement:read",
        "engagement:write",
    ),
    ChannelKind.marketplace: (
        "catalog:read",
        "inventory:read",
        "reservations:write",
        "pricing:read",
        *_ORDERS,
        *_RETURNS,
        *_REVIEWS,
    ),
}


class LocationForbidden(Forbidden):
    code = "location_forbidden"
    title = "A store key acts for its own store only"


class ChannelForbidden(Forbidden):
    code = "channel_forbidden"
    title = "A key acts for its own channel only"


class ApiKey(Base):
    """A credential for one channel or application; only its hash is kept."""

    __tablename__ = "api_keys"

    id: Mapped[str] = mapped_column(String(26), primary_key=True, default=new_id)
    name: Mapped[str] = mapped_column(String(200))
    prefix: Mapped[str] = mapped_column(String(24))
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    channel: Mapped[str] = mapped_column(String(30))
    location_id: Mapped[str | None] = mapped_column(ForeignKey("locations.id"))
    location_code: Mapped[str | None] = mapped_column(String(50))
    scopes: Mapped[list[str]] = mapped_column(JSON)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime(), default=utcnow)
    revoked_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    last_used_at: Mapped[datetime | None] = mapped_column(UtcDateTime())
    """Recorded at most once a minute (:data:`USE_RESOLUTION`), not on every request."""
    requests_per_minute: Mapped[int | None] = mapped_column()
    """This key's own request rate, or None for the platform's default."""

    def actor(self) -> Actor:
        return Actor(
            key_id=self.id,
            channel=self.channel,
            location_id=self.location_id,
            location_code=self.location_code,
            scopes=frozenset(self.scopes),
            name=self.name,
            requests_per_minute=self.requests_per_minute,
        )


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def resolve_scopes(requested: list[str]) -> list[str]:
    """The scopes a key asks for, presets (``admin``) spelt out; an unknown one is refused
    with the list of valid ones."""
    chosen: set[str] = set()
    for name in requested:
        chosen.update(SCOPE_PRESETS.get(name, (name,)))
    unknown = sorted(chosen - set(SCOPES))
    if unknown:
        raise InvalidInput(
            f"Unknown scope(s): {', '.join(unknown)}. Valid scopes: {', '.join(SCOPES)}, or "
            "admin for all of them (omnicanal keys scopes lists them with their meaning).",
            field="scope",
            valid_scopes=[*SCOPES, *SCOPE_PRESETS],
        )
    return sorted(chosen)


MAX_REQUESTS_PER_MINUTE = 1_000_000
"""The highest rate a key may be given (over 16,000 a second: unlimited in practice)."""


def check_rate(requests_per_minute: int | None) -> int | None:
    """A key's own rate as given, or :class:`InvalidInput` when it is out of bounds."""
    if requests_per_minute is not None and not 0 <= requests_per_minute <= MAX_REQUESTS_PER_MINUTE:
        raise InvalidInput(
            f"A key's rate is 0 (no limit) to {MAX_REQUESTS_PER_MINUTE:,} requests a minute, "
            f"not {requests_per_minute}.",
            field="rate",
        )
    return requests_per_minute


def create_api_key(
    session: Session,
    *,
    channel: ChannelKind,
    name: str,
    scopes: list[str] | None = None,
    location: Any | None = None,
    requests_per_minute: int | None = None,
) -> tuple[ApiKey, str]:
    """Create a key; returns it with the secret token, which is shown only this once.

    ``requests_per_minute``: the key's own rate (0: no limit); None: the platform's default."""
    if channel is ChannelKind.store and location is None:
        raise InvalidInput("A store key must be bound to its store (--location).", field="location")
    check_rate(requests_per_minute)
    chosen = resolve_scopes(scopes) if scopes else list(DEFAULT_SCOPES[channel])
    token = f"oc_{channel.value}_{secrets.token_urlsafe(24)}"
    key = ApiKey(
        name=name,
        prefix=token[:16],
        token_hash=hash_token(token),
        channel=channel.value,
        location_id=location.id if location is not None else None,
        location_code=location.code if location is not None else None,
        scopes=sorted(chosen),
        requests_per_minute=requests_per_minute,
    )
    session.add(key)
    session.flush()
    return key, token


@dataclass
class _KnownKey:
    """A key as the process remembers it: its actor (None once revoked) and when its use
    was last noted."""

    actor: Actor | None
    last_used_at: datetime | None


KEYS_TTL_SECONDS = 5
API_KEYS: Cached[str, _KnownKey] = Cached("auth.api_keys", ttl_seconds=KEYS_TTL_SECONDS)
"""The keys by the hash of their token, so that a request costs no round trip to know its
key. A key revoked, rotated or given a rate by this process is dropped as the change
commits; by another process (``omnicanal keys revoke`` run from a shell), within the TTL."""


def _known_key(session: Session, token_hash: str) -> _KnownKey | None:
    def load() -> _KnownKey | None:
        key = session.scalar(select(ApiKey).where(ApiKey.token_hash == token_hash))
        if key is None:
            return None
        actor = key.actor() if key.revoked_at is None else None
        last_used = as_utc(key.last_used_at) if key.last_used_at is not None else None
        return _KnownKey(actor, last_used)

    return API_KEYS.get(session, token_hash, load)


def _unauthenticated(token: str | None) -> Unauthenticated:
    if not token:
        return Unauthenticated("Send an API key as 'Authorization: Bearer <key>'.")
    return Unauthenticated("This API key is unknown or has been revoked.")


def authenticate(session: Session, token: str | None) -> Actor:
    """The actor behind a bearer token, or :class:`Unauthenticated`."""
    known = _known_key(session, hash_token(token)) if token else None
    if known is None or known.actor is None:
        raise _unauthenticated(token)
    return known.actor


def require_scope(actor: Actor, scope: str) -> None:
    """Refuse an actor whose key lacks ``scope``."""
    if "*" not in actor.scopes and scope not in actor.scopes:
        raise Forbidden(f"This key lacks the '{scope}' scope.", required_scope=scope)


def require_location(actor: Actor, location_id: str, location_code: str) -> None:
    """Refuse a store-bound key acting for any other location than its own."""
    if actor.location_id is not None and actor.location_id != location_id:
        raise LocationForbidden(
            f"This key belongs to store {actor.location_code} and cannot act for {location_code}.",
            field="location",
        )


def require_channel(
    actor: Actor,
    *,
    kind: str,
    code: str,
    doing: str,
    error: type[ChannelForbidden] = ChannelForbidden,
) -> None:
    """Refuse a key acting on a channel of another kind than its own (the operator may).

    ``doing`` completes the sentence "A web key cannot ... the store channel." (``"reserve
    for"``); ``error`` is the module's own :class:`ChannelForbidden`, for its title.
    """
    if "*" not in actor.scopes and kind != actor.channel:
        raise error(f"A {actor.channel} key cannot {doing} the {code} channel.", field="channel")


# --- key management: list, revoke, rotate; when a key was last used -------------------------

USE_RESOLUTION = timedelta(minutes=1)


class UnknownApiKey(NotFound):
    code = "unknown_api_key"
    title = "No API key has this id"


class ApiKeyRevoked(Conflict):
    code = "api_key_revoked"
    title = "This API key is already revoked"


def known_actor(db: Database, token: str | None, *, now: datetime | None = None) -> Actor | None:
    """The actor behind a bearer token when this process knows its key and has noted its
    use within the minute: no database work, no waiting (an ``async`` edge may call it).
    None when :func:`authenticate_and_note_use` must ask the database or note the use."""
    if not token:
        raise _unauthenticated(token)
    known = API_KEYS.peek(db.caches, hash_token(token))
    if known is None:
        return None
    if known.actor is None:
        raise _unauthenticated(token)
    last_used = known.last_used_at
    if last_used is None or (now or utcnow()) - last_used >= USE_RESOLUTION:
        return None
    return known.actor


def authenticate_and_note_use(
    db: Database,
    token: str | None,
    *,
    now: datetime | None = None,
    admit: Callable[[Actor], None] | None = None,
) -> Actor:
    """The actor behind a bearer token, noting when the key was last used: one conditional
    UPDATE at most once a minute per key, never a write per request. A key this process
    knows (:data:`API_KEYS`) costs no database round trip.

    ``admit`` sees the actor before the use is noted: a request it refuses (by raising, as
    the rate limit does) leaves no trace."""
    if not token:
        raise _unauthenticated(token)
    token_hash = hash_token(token)
    known = API_KEYS.peek(db.caches, token_hash)
    if known is None:
        with db.reading() as session:
            known = _known_key(session, token_hash)
    if known is None or known.actor is None:
        raise _unauthenticated(token)
    actor = known.actor
    if admit is not None:
        admit(actor)
    now = now or utcnow()
    last_used = known.last_used_at
    if last_used is None or now - last_used >= USE_RESOLUTION:
        # Noted in the process too, so that its next requests skip this until a minute on.
        known.last_used_at = now
        with db.transaction() as session:
            # Processes racing here write once: the second finds the time already recent.
            session.execute(
                update(ApiKey)
                .where(
                    ApiKey.id == actor.key_id,
                    or_(
                        ApiKey.last_used_at.is_(None),
                        ApiKey.last_used_at <= now - USE_RESOLUTION,
                    ),
                )
                .values(last_used_at=now)
            )
    return actor


def list_api_keys(session: Session, *, include_revoked: bool = True) -> list[ApiKey]:
    """Every key, oldest first (their hashes, never their secrets)."""
    query = select(ApiKey).order_by(ApiKey.created_at, ApiKey.id)
    if not include_revoked:
        query = query.where(ApiKey.revoked_at.is_(None))
    return list(session.scalars(query))


def _live_key(session: Session, key_id: str) -> ApiKey:
    key = session.get(ApiKey, key_id)
    if key is None:
        raise UnknownApiKey(f"No API key has the id {key_id}.", field="key_id")
    if key.revoked_at is not None:
        raise ApiKeyRevoked(f"The API key {key_id} is already revoked.", field="key_id")
    return key


def set_api_key_rate(session: Session, *, key_id: str, requests_per_minute: int | None) -> ApiKey:
    """Give a key its own rate (0: no limit), or back the platform's default (None).

    The process that sets it applies it at the key's next request; the other API processes
    within :data:`KEYS_TTL_SECONDS`. No restart is needed."""
    check_rate(requests_per_minute)
    key = _live_key(session, key_id)
    key.requests_per_minute = requests_per_minute
    session.flush()
    API_KEYS.changed(session)
    return key


def revoke_api_key(session: Session, *, key_id: str, now: datetime | None = None) -> ApiKey:
    """Revoke a key: its very next request to this process is refused, and to the other API
    processes within :data:`KEYS_TTL_SECONDS`."""
    key = _live_key(session, key_id)
    key.revoked_at = now or utcnow()
    session.flush()
    API_KEYS.changed(session)
    return key


def rotate_api_key(
    session: Session, *, key_id: str, now: datetime | None = None
) -> tuple[ApiKey, str]:
    """A new key with the same channel, store, scopes, name and rate, and the old one revoked
    at once; returns the new key and its secret (shown only this once)."""
    old = _live_key(session, key_id)
    old.revoked_at = now or utcnow()
    API_KEYS.changed(session)
    location = None
    if old.location_id is not None:
        location = _BoundLocation(id=old.location_id, code=old.location_code or "")
    key, token = create_api_key(
        session,
        channel=ChannelKind(old.channel),
        name=old.name,
        scopes=list(old.scopes),
        location=location,
        requests_per_minute=old.requests_per_minute,
    )
    return key, token


@dataclass(frozen=True)
class _BoundLocation:
    id: str
    code: str
