"""Staff accounts: create one, check a password, say which store a person works for."""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass
from enum import StrEnum

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from omnicanal.network import service as network
from omnicanal.network.models import Location
from omnicanal.platform.actors import Actor, ChannelKind
from omnicanal.platform.auth import DEFAULT_SCOPES
from omnicanal.platform.errors import Conflict, Forbidden, InvalidInput, Unauthenticated
from omnicanal.web.models import Staff

__all__ = [
    "BadCredentials",
    "NoStore",
    "Role",
    "StaffMember",
    "StoreForbidden",
    "acting_as",
    "authenticate",
    "create_staff",
    "get_member",
    "hash_password",
    "require_store",
    "verify_password",
]

# scrypt at n=2**14, r=8: ~16 MiB and a few tens of ms per check, OWASP's minimum.
_SCRYPT = {"n": 2**14, "r": 8, "p": 1, "dklen": 32}


class Role(StrEnum):
    clerk = "clerk"
    store_manager = "store_manager"
    head_office = "head_office"


STORE_ROLES = frozenset({Role.clerk, Role.store_manager})


class BadCredentials(Unauthenticated):
    code = "bad_credentials"


class StaffExists(Conflict):
    code = "staff_exists"


class StoreForbidden(Forbidden):
    code = "store_forbidden"


class NoStore(Forbidden):
    code = "no_store"


@dataclass(frozen=True)
class StaffMember:
    """Who is signed in, as the pages need it."""

    id: str
    email: str
    name: str
    role: Role
    location_code: str | None

    def may_work_for(self, location_code: str) -> bool:
        return self.role == Role.head_office or self.location_code == location_code


def hash_password(password: str) -> str:
    """A salted scrypt hash, self-describing: ``scrypt$n$r$p$salt$hash``."""
    salt = secrets.token_bytes(16)
    digest = hashlib.scrypt(password.encode(), salt=salt, **_SCRYPT)
    return f"scrypt${_SCRYPT['n']}${_SCRYPT['r']}${_SCRYPT['p']}${salt.hex()}${digest.hex()}"


def verify_password(password: str, stored: str) -> bool:
    """Whether ``password`` matches the stored hash (in constant time)."""
    try:
        scheme, n, r, p, salt, digest = stored.split("$")
    except ValueError:
        return False
    if scheme != "scrypt":
        return False
    candidate = hashlib.scrypt(
        password.encode(),
        salt=bytes.fromhex(salt),
        n=int(n),
        r=int(r),
        p=int(p),
        dklen=len(digest) // 2,
    )
    return hmac.compare_digest(candidate.hex(), digest)


def _member(staff: Staff, location: Location | None) -> StaffMember:
    return StaffMember(
        id=staff.id,
        email=staff.email,
        name=staff.name,
        role=Role(staff.role),
        location_code=location.code if location else None,
    )


def create_staff(
    session: Session,
    *,
    email: str,
    password: str,
    role: Role,
    location_code: str | None = None,
    name: str = "",
) -> StaffMember:
    """A new staff account; clerks and managers belong to one store."""
    email = email.strip().lower()
    if "@" not in email:
        raise InvalidInput("An email address is needed.", field="email")
    if len(password) < 8:
        raise InvalidInput("A password has at least 8 characters.", field="password")
    if role in STORE_ROLES and not location_code:
        raise InvalidInput(f"A {role.value} works for one store: give its code.", field="location")
    location = network.get_location(session, location_code) if location_code else None
    if session.scalar(select(func.count()).select_from(Staff).where(Staff.email == email)):
        raise StaffExists(f"A staff account already uses {email}.", field="email")
    staff = Staff(
        email=email,
        name=name,
        role=role.value,
        location_id=location.id if location else None,
        password_hash=hash_password(password),
    )
    session.add(staff)
    session.flush()
    return _member(staff, location)


def _load(session: Session, staff: Staff | None) -> StaffMember | None:
    if staff is None or not staff.active:
        return None
    location = session.get(Location, staff.location_id) if staff.location_id else None
    return _member(staff, location)


def authenticate(session: Session, *, email: str, password: str) -> StaffMember:
    """The staff member with this email and password, or :class:`BadCredentials`."""
    staff = session.scalar(select(Staff).where(Staff.email == email.strip().lower()))
    if staff is None or not verify_password(password, staff.password_hash):
        raise BadCredentials("Unknown email or wrong password.")
    member = _load(session, staff)
    if member is None:
        raise BadCredentials("This account is disabled.")
    return member


def get_member(session: Session, staff_id: str) -> StaffMember | None:
    """The active staff member with this id, if any (a session cookie names it)."""
    return _load(session, session.get(Staff, staff_id))


def require_store(member: StaffMember, location_code: str) -> None:
    """Refuse a clerk or manager the pages of another store than theirs."""
    if not member.may_work_for(location_code):
        raise StoreForbidden(
            f"You work for store {member.location_code}, not {location_code}.",
            field="location",
        )


def acting_as(session: Session, member: StaffMember) -> Actor:
    """The member as the use cases see a caller: the store channel, at their store, under
    their email; only a member of a store sells or moves that store's orders."""
    if member.location_code is None:
        raise NoStore(
            "Selling and moving orders is done by a store's staff; this account has no store.",
            field="location",
        )
    location = network.get_location(session, member.location_code)
    return Actor(
        key_id=None,
        channel=ChannelKind.store.value,
        location_id=location.id,
        location_code=location.code,
        scopes=frozenset(DEFAULT_SCOPES[ChannelKind.store]),
        name=member.email,
    )
