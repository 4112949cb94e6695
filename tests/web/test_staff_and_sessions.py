"""Staff passwords, signed session cookies and the choice of language: pure rules."""

from __future__ import annotations

import pytest

from omnicanal.platform.errors import InvalidInput
from omnicanal.web import staff
from omnicanal.web.i18n import choose_language
from omnicanal.web.sessions import LIFETIME_SECONDS, SessionSigner
from tests.builders import make_location


def test_a_password_verifies_against_its_hash_and_nothing_else():
    stored = staff.hash_password("correct horse")

    assert staff.verify_password("correct horse", stored)
    assert not staff.verify_password("correct horsE", stored)
    assert "correct horse" not in stored


def test_two_hashes_of_one_password_differ_by_their_salt():
    assert staff.hash_password("correct horse") != staff.hash_password("correct horse")


def test_a_session_cookie_reads_back_until_it_expires():
    signer = SessionSigner(b"k" * 32)
    cookie = signer.sign("STAFF1", now=1000.0)

    assert signer.read(cookie, now=1000.0 + LIFETIME_SECONDS - 1) == "STAFF1"
    assert signer.read(cookie, now=1000.0 + LIFETIME_SECONDS + 1) is None


@pytest.mark.parametrize("tamper", ["STAFF2.{expires}.{mac}", "STAFF1.9999999999.{mac}", ""])
def test_a_forged_session_cookie_names_nobody(tamper):
    signer = SessionSigner(b"k" * 32)
    staff_id, expires, mac = signer.sign("STAFF1", now=1000.0).split(".")

    assert signer.read(tamper.format(expires=expires, mac=mac), now=1000.0) is None
    assert SessionSigner(b"x" * 32).read(f"{staff_id}.{expires}.{mac}", now=1000.0) is None


@pytest.mark.parametrize(
    ("query", "cookie", "accept", "expected"),
    [
        (None, None, None, "fr"),
        (None, None, "de-DE,de;q=0.9", "fr"),
        (None, None, "de-DE,en;q=0.8,fr;q=0.5", "en"),
        (None, None, "en;q=0.4,fr-CA;q=0.9", "fr"),
        (None, "en", "fr-FR", "en"),
        ("fr", "en", "en-GB", "fr"),
        ("xx", None, None, "fr"),
    ],
)
def test_the_language_is_the_switch_then_the_cookie_then_the_browser(
    query, cookie, accept, expected
):
    assert choose_language(query=query, cookie=cookie, accept_language=accept) == expected


def test_a_clerk_must_belong_to_a_store(platform):
    with platform.db.transaction() as session, pytest.raises(InvalidInput):
        staff.create_staff(
            session, email="lea@example.fr", password="correct horse", role=staff.Role.clerk
        )


def test_head_office_may_open_every_store_and_a_clerk_only_theirs(platform):
    make_location(platform, "LYON")
    with platform.db.transaction() as session:
        clerk = staff.create_staff(
            session,
            email="lea@example.fr",
            password="correct horse",
            role=staff.Role.clerk,
            location_code="LYON",
        )
        head_office = staff.create_staff(
            session, email="hq@example.fr", password="correct horse", role=staff.Role.head_office
        )

    assert clerk.may_work_for("LYON")
    assert not clerk.may_work_for("VIL")
    assert head_office.may_work_for("VIL")
