"""Staff accounts: create, list, reset a password, disable; say which store a person works for
and how the use cases see them."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from omnicanal.network import service as network
from omnicanal.platform.actors import Actor, ChannelKind
from omnicanal.platform.auth import DEFAULT_SCOPES
from omnicanal.platform.clock import utcnow
from omnicanal.platform.errors import InvalidInput
from omnicanal.staff import passwords
from omnicanal.staff.errors import NoStore, StaffExists, StoreForbidden, UnknownStaff
from omnicanal.staff.models import Staff, StaffSession

__all__ = [
    "NoStore",
    "Role",
    "StaffAccount",
    "StaffExists",
    "StaffMember",
    "StoreForbidden",
    "UnknownStaff",
    "acting_as",
    "back_office_actor",
    "create_staff",
    "disable_staff",
    "end_all_sessions",
    "get_member",
    "list_staff",
    "member_of",
    "require_store",
    "reset_password",
]


class Role(StrEnum):
    clerk = "clerk"
    store_manager = "store_manager"
    head_office = "head_office"


STORE_ROLES = frozenset({Role.clerk, Role.store_manager})


@dataclass(frozen=True)
class StaffMember:
    """Who is signed in, as the pages need it, and from where the current request comes."""

    id: str
    email: str
    name: str
    role: Role
    location_code: str | None
    address: str = ""
    user_agent: str = ""

    def may_work_for(self, location_code: str) -> bool:
        return self.role == Role.head_office or self.location_code == location_code


@dataclass(frozen=True)
class StaffAccount:
    """A staff account as the operator lists it."""

    id: str
    email: str
    name: str
    role: Role
    location_code: str | None
    active: bool
    created_at: datetime
    open_sessions: int


def _normalise_email(email: str) -> str:
    return email.strip().lower()


def _location_code(session: Session, staff: Staff) -> str | None:
    if staff.location_id is None:
        return None
    location = network.locations_by_id(session, [staff.location_id]).get(staff.location_id)
    return location.code if location else None


def member_of(
    session: Session, staff: Staff, *, address: str = "", user_agent: str = ""
) -> StaffMember:
    """The account as the pages see the person signed in with it."""
    return StaffMember(
        id=staff.id,
        email=staff.email,
        name=staff.name,
        role=Role(staff.role),
        location_code=_location_code(session, staff),
        address=address,
        user_agent=user_agent,
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
    email = _normalise_email(email)
    if "@" not in email:
        raise InvalidInput("An email address is needed.", field="email")
    passwords.check_policy(password, email=email)
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
        password_hash=passwords.hash_password(password),
    )
    session.add(staff)
    session.flush()
    return member_of(session, staff)


def _find(session: Session, email: str) -> Staff:
    staff = session.scalar(select(Staff).where(Staff.email == _normalise_email(email)))
    if staff is None:
        raise UnknownStaff(f"No staff account uses {email.strip()}.", field="email")
    return staff


def list_staff(session: Session, *, now: datetime | None = None) -> list[StaffAccount]:
    """Every staff account, by email, with how many sessions it has open now."""
    now = now or utcnow()
    open_sessions = dict(
        session.execute(
            select(StaffSession.staff_id, func.count())
            .where(StaffSession.ended_at.is_(None), StaffSession.expires_at > now)
            .group_by(StaffSession.staff_id)
        ).all()
    )
    return [
        StaffAccount(
            id=staff.id,
            email=staff.email,
            name=staff.name,
            role=Role(staff.role),
            location_code=_location_code(session, staff),
            active=staff.active,
            created_at=staff.created_at,
            open_sessions=int(open_sessions.get(staff.id, 0)),
        )
        for staff in session.scalars(select(Staff).order_by(Staff.email))
    ]


def end_all_sessions(session: Session, *, staff_id: str, now: datetime | None = None) -> int:
    """End every open session of one account at once; returns how many."""
    now = now or utcnow()
    rows = session.scalars(
        select(StaffSession).where(
            StaffSession.staff_id == staff_id, StaffSession.ended_at.is_(None)
        )
    ).all()
    for row in rows:
        row.ended_at = now
    session.flush()
    return len(rows)


def reset_password(session: Session, *, email: str, password: str) -> StaffMember:
    """Give an account a new password; its open sessions end."""
    staff = _find(session, email)
    passwords.check_policy(password, email=staff.email)
    staff.password_hash = passwords.hash_password(password)
    end_all_sessions(session, staff_id=staff.id)
    return member_of(session, staff)


def disable_staff(session: Session, *, email: str) -> StaffMember:
    """Close an account: it cannot sign in any more and its open sessions end at once."""
    staff = _find(session, email)
    staff.active = False
    end_all_sessions(session, staff_id=staff.id)
    return member_of(session, staff)


def get_member(session: Session, staff_id: str) -> StaffMember | None:
    """The active staff member with this id, if any."""
    staff = session.get(Staff, staff_id)
    if staff is None or not staff.active:
        return None
    return member_of(session, staff)


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
        staff_id=member.id,
        address=member.address,
        user_agent=member.user_agent,
    )


def back_office_actor(member: StaffMember) -> Actor:
    """The member as the author of a back-office change, as ledgers and events record it."""
    return Actor(
        key_id=None,
        channel="back_office",
        name=f"staff:{member.email}",
        staff_id=member.id,
        address=member.address,
        user_agent=member.user_agent,
    )
