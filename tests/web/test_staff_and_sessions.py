"""Staff accounts' stores and the choice of language."""

from __future__ import annotations

import pytest

from omnicanal.platform.errors import InvalidInput
from omnicanal.staff import service as staff
from omnicanal.web.i18n import choose_language
from tests.builders import make_location


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
