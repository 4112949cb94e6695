"""The pages' sessions over HTTP: sign-out ends the session on the server, sign-ins are
throttled in French, deep links survive signing in, every response carries security headers,
and page writes reach the audit log."""

from __future__ import annotations

import re

from fastapi.testclient import TestClient
from sqlalchemy import func, select

from omnicanal.platform.audit import AuditEntry
from omnicanal.staff import service as staff
from omnicanal.staff import sessions
from omnicanal.staff.models import StaffSession
from tests.web.test_store_pages import PASSWORD, lyon, make_staff, sign_in, zoe  # noqa: F401
from tests.web.test_store_selling import fulfilment_status, pickup_for, queue_csrf

FORM = {"Content-Type": "application/x-www-form-urlencoded"}


def csrf_of(page: str) -> str:
    found = re.search(r'name="csrf" value="([^"]+)"', page)
    assert found is not None, page
    return found.group(1)


def attempt(client: TestClient, email: str, password: str, next_path: str = "/store"):
    return client.post(
        "/store/login",
        data={"email": email, "password": password, "next": next_path},
        follow_redirects=False,
    )


def open_sessions(platform) -> int:
    with platform.db.reading() as session:
        return int(
            session.scalar(
                select(func.count())
                .select_from(StaffSession)
                .where(StaffSession.ended_at.is_(None))
            )
            or 0
        )


def test_signing_out_refuses_the_old_cookie_and_its_csrf_token_at_once(lyon, client, zoe):  # noqa: F811
    fulfilment_id = pickup_for(lyon, zoe)
    sign_in(client, "lea@example.fr")
    old_cookie = client.cookies["omnicanal_staff"]
    token = queue_csrf(client)

    out = client.post("/store/logout", data={"csrf": token}, follow_redirects=False)
    assert out.status_code == 303

    replay = TestClient(client.app, cookies={"omnicanal_staff": old_cookie})
    page = replay.get("/store", follow_redirects=False)
    step = replay.post(
        f"/store/queue/LYON/fulfilments/{fulfilment_id}/pick",
        data={"csrf": token},
        follow_redirects=False,
    )
    assert page.status_code == 303
    assert page.headers["location"].startswith("/store/login")
    assert step.status_code == 303
    assert step.headers["location"].startswith("/store/login")
    assert fulfilment_status(lyon, fulfilment_id) == "allocated"
    assert open_sessions(lyon) == 0


def test_two_sign_ins_of_one_person_get_two_cookies_and_one_sign_out_ends_only_its_own(
    lyon,  # noqa: F811
    client,
):
    tablet, laptop = TestClient(client.app), TestClient(client.app)
    sign_in(tablet, "lea@example.fr")
    sign_in(laptop, "lea@example.fr")
    assert tablet.cookies["omnicanal_staff"] != laptop.cookies["omnicanal_staff"]

    tablet.post("/store/logout", data={"csrf": csrf_of(tablet.get("/store").text)})

    assert laptop.get("/store", follow_redirects=False).status_code == 200
    assert open_sessions(lyon) == 1


def test_disabling_an_account_ends_its_open_session(lyon, client):  # noqa: F811
    sign_in(client, "lea@example.fr")
    assert client.get("/store", follow_redirects=False).status_code == 200

    with lyon.db.transaction() as session:
        staff.disable_staff(session, email="lea@example.fr")

    assert client.get("/store", follow_redirects=False).status_code == 303


def test_too_many_wrong_passwords_are_refused_in_french_and_open_nothing(lyon, client):  # noqa: F811
    for _ in range(sessions.ACCOUNT_FAILURES):
        assert attempt(client, "lea@example.fr", "not the password").status_code == 401

    refused = attempt(client, "lea@example.fr", PASSWORD)

    assert refused.status_code == 429
    assert "Trop de tentatives de connexion" in refused.text
    assert "omnicanal_staff" not in refused.cookies
    assert open_sessions(lyon) == 0


def test_an_unknown_account_gets_the_same_page_as_a_wrong_password(lyon, client):  # noqa: F811
    unknown = attempt(client, "nobody@example.fr", "not the password")
    wrong = attempt(client, "lea@example.fr", "not the password")

    assert unknown.status_code == wrong.status_code == 401
    assert unknown.text.replace("nobody@example.fr", "lea@example.fr") == wrong.text


def test_a_deep_link_into_the_back_office_survives_signing_in(lyon, client):  # noqa: F811
    make_staff(lyon, "hq@example.fr", role="head_office", location=None)

    bounced = client.get("/admin/orders?status=completed", follow_redirects=False)
    login = client.get(bounced.headers["location"])
    next_path = re.search(r'name="next" value="([^"]+)"', login.text)
    signed = attempt(client, "hq@example.fr", PASSWORD, next_path.group(1).replace("&amp;", "&"))

    assert signed.status_code == 303
    assert signed.headers["location"] == "/admin/orders?status=completed"


def test_sign_in_never_sends_the_browser_to_another_site(lyon, client):  # noqa: F811
    for elsewhere in ("https://evil.example/", "//evil.example/store", "/\\evil.example"):
        signed = attempt(client, "lea@example.fr", PASSWORD, elsewhere)
        assert signed.headers["location"] == "/store"


def test_pages_and_api_answers_carry_the_security_headers(lyon, client):  # noqa: F811
    """A strict Content-Security-Policy (no inline script), no framing, no sniffing."""
    for response in (client.get("/store/login"), client.get("/v1/locations")):
        headers = response.headers
        policy = headers["content-security-policy"]
        assert "script-src 'self';" in policy
        assert "frame-ancestors 'none'" in policy
        assert "unsafe-inline" not in policy
        assert headers["x-content-type-options"] == "nosniff"
        assert headers["x-frame-options"] == "DENY"
        assert headers["referrer-policy"] == "same-origin"


def test_a_queue_step_at_a_page_is_in_the_audit_log_with_who_and_from_where(lyon, client, zoe):  # noqa: F811
    fulfilment_id = pickup_for(lyon, zoe)
    sign_in(client, "lea@example.fr")

    client.post(
        f"/store/queue/LYON/fulfilments/{fulfilment_id}/pick",
        data={"csrf": queue_csrf(client)},
        headers={"User-Agent": "tablette-caisse-3"},
    )

    with lyon.db.reading() as session:
        entries = session.scalars(select(AuditEntry)).all()
        member_id = session.scalar(select(StaffSession.staff_id))
    assert [(e.operation, e.resource_type, e.resource_id, e.outcome) for e in entries] == [
        (f"fulfilment:{fulfilment_id}:pick", "fulfilment", fulfilment_id, "succeeded")
    ]
    assert entries[0].staff_id == member_id
    assert entries[0].actor == "operator:lea@example.fr"
    assert entries[0].location_code == "LYON"
    assert entries[0].address == "testclient"
    assert entries[0].user_agent == "tablette-caisse-3"


def test_head_office_reads_the_audit_log_in_french_and_a_clerk_may_not(lyon, client, zoe):  # noqa: F811
    fulfilment_id = pickup_for(lyon, zoe)
    sign_in(client, "lea@example.fr")
    client.post(
        f"/store/queue/LYON/fulfilments/{fulfilment_id}/pick", data={"csrf": queue_csrf(client)}
    )
    assert client.get("/admin/audit").status_code == 403

    make_staff(lyon, "hq@example.fr", role="head_office", location=None)
    head_office = TestClient(client.app)
    sign_in(head_office, "hq@example.fr")
    page = head_office.get("/admin/audit", params={"who": "lea@"})
    nobody = head_office.get("/admin/audit", params={"who": "paul@"})

    assert page.status_code == 200
    assert "Journal d\u2019audit" in page.text
    assert fulfilment_id in page.text
    assert "Fait" in page.text
    assert fulfilment_id not in nobody.text
    assert "Aucune modification ne correspond à ces filtres." in nobody.text
