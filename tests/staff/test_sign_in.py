"""Signing in: throttled per email and per address, the same answer for an unknown account,
older hashes upgraded, sessions that end on sign-out, disabling and a new password."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import func, select

from omnicanal.platform.clock import utcnow
from omnicanal.staff import service as staff
from omnicanal.staff import sessions
from omnicanal.staff.models import SignInFailure, Staff, StaffSession
from tests.builders import make_location
from tests.staff.test_passwords import scrypt_hash

PASSWORD = "correct horse battery"


@pytest.fixture
def lea(platform):
    """Léa, a clerk of the Lyon store."""
    make_location(platform, "LYON")
    with platform.db.transaction() as session:
        return staff.create_staff(
            session,
            email="lea@example.fr",
            password=PASSWORD,
            role=staff.Role.clerk,
            location_code="LYON",
        )


def sign_in(platform, email="lea@example.fr", password=PASSWORD, address="10.0.0.1", now=None):
    with platform.db.transaction() as session:
        return sessions.sign_in(
            session, email=email, password=password, address=address, now=now or utcnow()
        )


def read(platform, cookie):
    with platform.db.reading() as session:
        return sessions.read_session(session, cookie)


def count(platform, table) -> int:
    with platform.db.reading() as session:
        return int(session.scalar(select(func.count()).select_from(table)) or 0)


def test_a_right_password_opens_a_session_that_the_cookie_reads_back(platform, lea):
    signed = sign_in(platform)

    assert signed.refusal is None
    opened = read(platform, signed.cookie)
    assert opened is not None
    assert opened.member.email == "lea@example.fr"
    assert opened.csrf_token == signed.session.csrf_token


def test_two_sign_ins_get_two_different_cookies_and_tokens(platform, lea):
    first, second = sign_in(platform), sign_in(platform)

    assert first.cookie != second.cookie
    assert first.session.csrf_token != second.session.csrf_token


def test_only_the_hash_of_the_cookie_is_kept(platform, lea):
    signed = sign_in(platform)

    with platform.db.reading() as session:
        stored = session.scalars(select(StaffSession.token_hash)).all()
    assert signed.cookie not in stored


def test_signing_out_ends_the_session_at_once(platform, lea):
    signed = sign_in(platform)

    with platform.db.transaction() as session:
        assert sessions.end_session(session, signed.cookie)

    assert read(platform, signed.cookie) is None


def test_a_session_ends_after_a_working_day(platform, lea):
    signed = sign_in(platform)

    with platform.db.reading() as session:
        later = utcnow() + sessions.LIFETIME + timedelta(seconds=1)
        assert sessions.read_session(session, signed.cookie, now=later) is None


def test_disabling_an_account_ends_its_sessions_and_refuses_its_password(platform, lea):
    signed = sign_in(platform)

    with platform.db.transaction() as session:
        staff.disable_staff(session, email="LEA@example.fr")

    assert read(platform, signed.cookie) is None
    assert sign_in(platform).refusal is sessions.Refusal.bad_credentials


def test_a_new_password_ends_the_old_sessions(platform, lea):
    signed = sign_in(platform)

    with platform.db.transaction() as session:
        staff.reset_password(session, email="lea@example.fr", password="another long phrase")

    assert read(platform, signed.cookie) is None
    assert sign_in(platform, password="another long phrase").cookie is not None


def test_a_weak_new_password_is_refused_and_changes_nothing(platform, lea):
    signed = sign_in(platform)
    with platform.db.reading() as session:
        before = session.scalar(select(Staff.password_hash))

    with pytest.raises(staff.passwords.WeakPassword), platform.db.transaction() as session:
        staff.reset_password(session, email="lea@example.fr", password="password1234")

    with platform.db.reading() as session:
        assert session.scalar(select(Staff.password_hash)) == before
    assert read(platform, signed.cookie) is not None


def test_an_unknown_email_gets_the_same_answer_as_a_wrong_password(platform, lea):
    """No account enumeration: both are ``bad_credentials``, both are counted."""
    unknown = sign_in(platform, email="nobody@example.fr")
    wrong = sign_in(platform, password="not the password")

    assert unknown == wrong == sessions.SignIn(refusal=sessions.Refusal.bad_credentials)
    assert count(platform, SignInFailure) == 2
    assert count(platform, StaffSession) == 0


def test_five_wrong_passwords_throttle_the_account_even_for_the_right_one(platform, lea):
    for _ in range(sessions.ACCOUNT_FAILURES):
        assert sign_in(platform, password="not the password").refusal == "bad_credentials"

    throttled = sign_in(platform)

    assert throttled.refusal is sessions.Refusal.too_many_attempts
    assert throttled.cookie is None
    assert count(platform, StaffSession) == 0


def test_the_account_throttle_lifts_after_the_window(platform, lea):
    start = utcnow()
    for _ in range(sessions.ACCOUNT_FAILURES):
        sign_in(platform, password="not the password", now=start)

    later = start + sessions.THROTTLE_WINDOW + timedelta(seconds=1)

    assert sign_in(platform, now=later).cookie is not None
    assert count(platform, SignInFailure) == 0


def test_an_unknown_email_is_throttled_like_a_real_one(platform, lea):
    for _ in range(sessions.ACCOUNT_FAILURES):
        sign_in(platform, email="nobody@example.fr", password="guess guess guess")

    again = sign_in(platform, email="nobody@example.fr", password="guess guess guess")

    assert again.refusal is sessions.Refusal.too_many_attempts


def test_one_address_guessing_many_accounts_is_throttled(platform, lea):
    for number in range(sessions.ADDRESS_FAILURES):
        sign_in(platform, email=f"guess{number}@example.fr", address="203.0.113.9")

    assert sign_in(platform, address="203.0.113.9").refusal is sessions.Refusal.too_many_attempts
    assert sign_in(platform, address="10.0.0.2").cookie is not None


@pytest.mark.parametrize(
    ("account", "address", "expected"),
    [(4, 19, False), (5, 0, True), (0, 20, True), (0, 0, False)],
)
def test_the_throttle_rule(account, address, expected):
    assert sessions.throttled(account_failures=account, address_failures=address) is expected


def test_an_older_scrypt_hash_is_rehashed_with_argon2id_at_the_next_sign_in(platform, lea):
    with platform.db.transaction() as session:
        session.scalar(select(Staff)).password_hash = scrypt_hash(PASSWORD)

    assert sign_in(platform).cookie is not None

    with platform.db.reading() as session:
        upgraded = session.scalar(select(Staff.password_hash))
    assert upgraded.startswith("$argon2id$")
    assert sign_in(platform).cookie is not None


def test_a_wrong_password_leaves_an_older_hash_as_it_is(platform, lea):
    old = scrypt_hash(PASSWORD)
    with platform.db.transaction() as session:
        session.scalar(select(Staff)).password_hash = old

    sign_in(platform, password="not the password")

    with platform.db.reading() as session:
        assert session.scalar(select(Staff.password_hash)) == old
