"""Signing in and out: throttled password checks and server-side sessions.

The cookie holds a random token; the table keeps only its SHA-256, so a copy of the database
opens no session. Ending a session (sign-out, a disabled account, a new password) is one row
update, seen by the very next request of every process.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

from sqlalchemy import ColumnElement, delete, func, or_, select
from sqlalchemy.orm import Session

from omnicanal.platform.clock import as_utc, utcnow
from omnicanal.platform.db import rowcount
from omnicanal.staff import passwords
from omnicanal.staff.models import SignInFailure, Staff, StaffSession
from omnicanal.staff.service import StaffMember, member_of

__all__ = [
    "ACCOUNT_FAILURES",
    "ADDRESS_FAILURES",
    "LIFETIME",
    "THROTTLE_WINDOW",
    "OpenSession",
    "Refusal",
    "SignIn",
    "end_session",
    "read_session",
    "sign_in",
    "throttled",
]

LIFETIME = timedelta(hours=12)  # one working day
THROTTLE_WINDOW = timedelta(minutes=15)
ACCOUNT_FAILURES = 5  # wrong passwords for one email within the window
ADDRESS_FAILURES = 20  # wrong passwords from one client address within the window
MAX_ADDRESS = 100
MAX_USER_AGENT = 300


class Refusal(StrEnum):
    bad_credentials = "bad_credentials"
    too_many_attempts = "too_many_attempts"


@dataclass(frozen=True)
class OpenSession:
    """A session the cookie opens: who, and the token its forms carry against CSRF."""

    member: StaffMember
    csrf_token: str


@dataclass(frozen=True)
class SignIn:
    """The answer to a sign-in: a session (its cookie value) or why there is none."""

    session: OpenSession | None = None
    cookie: str | None = None
    refusal: Refusal | None = None


def throttled(*, account_failures: int, address_failures: int) -> bool:
    """Whether recent failures forbid another try (for this email, or from this address)."""
    return account_failures >= ACCOUNT_FAILURES or address_failures >= ADDRESS_FAILURES


def _token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def _recent_failures(
    session: Session, *, email: str, address: str, since: datetime
) -> tuple[int, int]:
    def count(condition: ColumnElement[bool]) -> int:
        return int(
            session.scalar(
                select(func.count())
                .select_from(SignInFailure)
                .where(condition, SignInFailure.at > since)
            )
            or 0
        )

    return count(SignInFailure.email == email), count(SignInFailure.address == address)


def sign_in(
    session: Session,
    *,
    email: str,
    password: str,
    address: str,
    user_agent: str = "",
    now: datetime | None = None,
) -> SignIn:
    """Check a password and open a session, unless recent failures throttle the email or
    the address. An unknown email costs the same hash check and gets the same answer as a
    wrong password; a failure is recorded in this same transaction."""
    now = now or utcnow()
    email = email.strip().lower()[:254]
    address = address[:MAX_ADDRESS]
    # 1. Forget what the window no longer needs: old failures, sessions past their end.
    session.execute(delete(SignInFailure).where(SignInFailure.at <= now - THROTTLE_WINDOW))
    session.execute(delete(StaffSession).where(StaffSession.expires_at <= now))
    # 2. Throttle before spending a hash on the guess.
    account, from_address = _recent_failures(
        session, email=email, address=address, since=now - THROTTLE_WINDOW
    )
    if throttled(account_failures=account, address_failures=from_address):
        return SignIn(refusal=Refusal.too_many_attempts)
    # 3. Check the password (or a dummy hash, in the same time, when there is no account).
    staff = session.scalar(select(Staff).where(Staff.email == email))
    if staff is None:
        correct = passwords.verify_against_nothing(password)
    else:
        correct = passwords.verify_password(password, staff.password_hash) and staff.active
    if staff is None or not correct:
        session.add(SignInFailure(email=email, address=address, at=now))
        session.flush()
        return SignIn(refusal=Refusal.bad_credentials)
    # 4. Upgrade an older hash now that the password is in hand; the account starts afresh.
    if passwords.needs_rehash(staff.password_hash):
        staff.password_hash = passwords.hash_password(password)
    session.execute(delete(SignInFailure).where(SignInFailure.email == email))
    # 5. A new random token per sign-in: two sign-ins never share a cookie.
    token = secrets.token_urlsafe(32)
    row = StaffSession(
        token_hash=_token_hash(token),
        staff_id=staff.id,
        csrf_token=secrets.token_urlsafe(32),
        created_at=now,
        expires_at=now + LIFETIME,
        address=address,
        user_agent=user_agent[:MAX_USER_AGENT],
    )
    session.add(row)
    session.flush()
    member = member_of(session, staff, address=address, user_agent=row.user_agent)
    return SignIn(session=OpenSession(member=member, csrf_token=row.csrf_token), cookie=token)


def read_session(
    session: Session,
    token: str | None,
    *,
    address: str = "",
    user_agent: str = "",
    now: datetime | None = None,
) -> OpenSession | None:
    """The open session a cookie names, or None if it is unknown, ended, expired, or its
    account is disabled."""
    if not token or len(token) > 200:
        return None
    row = session.get(StaffSession, _token_hash(token))
    now = now or utcnow()
    if row is None or row.ended_at is not None or as_utc(row.expires_at) <= now:
        return None
    staff = session.get(Staff, row.staff_id)
    if staff is None or not staff.active:
        return None
    member = member_of(
        session, staff, address=address[:MAX_ADDRESS], user_agent=user_agent[:MAX_USER_AGENT]
    )
    return OpenSession(member=member, csrf_token=row.csrf_token)


def end_session(session: Session, token: str | None, *, now: datetime | None = None) -> bool:
    """End the session a cookie names (sign-out); whether there was one open."""
    if not token or len(token) > 200:
        return False
    row = session.get(StaffSession, _token_hash(token))
    if row is None or row.ended_at is not None:
        return False
    row.ended_at = now or utcnow()
    session.flush()
    return True


def purge_sessions(session: Session, *, before: datetime) -> int:
    """Delete the sessions that expired or ended before ``before``; how many."""
    result = session.execute(
        delete(StaffSession).where(
            or_(StaffSession.expires_at < before, StaffSession.ended_at < before)
        )
    )
    return rowcount(result)
