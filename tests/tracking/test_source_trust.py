"""The trust level of a write key: who may merge two known customers, who may only attach
identifiers to their own visitor. Each cell of the README's trust table, both ways."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select
from typer.testing import CliRunner

from omnicanal.cli.main import app as cli
from omnicanal.customers.identity.rules import ReviewReason
from omnicanal.customers.models import IdentityMerge, IdentityReview, Profile
from omnicanal.tracking import service as tracking
from omnicanal.tracking.models import TrackingMessage, TrackingSource
from omnicanal.tracking.service import SourceKind, TrustLevel
from tests.customers.support import make_source, profile_by, profiles_key, send

ALICE_EMAIL = "alice.bernard@orange.fr"
BOB_MOBILE = "06 45 45 67 67"


def _two_customers(platform, client) -> tuple[str, str]:
    """Two customers known from the tills: one by e-mail, one by mobile."""
    till = make_source(platform, "store", name="till of the known customers")
    send(
        client,
        till,
        {"type": "identify", "anonymousId": "till-a", "traits": {"email": ALICE_EMAIL}},
        {"type": "identify", "anonymousId": "till-b", "traits": {"phone": BOB_MOBILE}},
    )
    headers = profiles_key(platform)
    return (
        profile_by(client, headers, email=ALICE_EMAIL)["id"],
        profile_by(client, headers, phone=BOB_MOBILE)["id"],
    )


def _state(platform) -> tuple[int, int, list[str]]:
    """People, merges, reasons of the open reviews."""
    with platform.db.reading() as session:
        people = session.scalar(
            select(func.count()).select_from(Profile).where(Profile.root_id == Profile.id)
        )
        merges = session.scalar(select(func.count()).select_from(IdentityMerge))
        reasons = list(
            session.scalars(select(IdentityReview.reason).where(IdentityReview.status == "open"))
        )
    return people, merges, reasons


def _both(**extra) -> dict:
    return {
        "type": "identify",
        "anonymousId": "visitor-x",
        "traits": {"email": ALICE_EMAIL, "phone": BOB_MOBILE, "city": "Lille"},
        **extra,
    }


def test_the_public_web_key_cannot_merge_two_known_customers(platform, client):
    """An identify with A's e-mail and B's mobile sent with the web shop's key merges no one:
    the pair waits for review and the message is stored."""
    alice, bob = _two_customers(platform, client)
    web = make_source(platform, "web")

    answer = send(client, web, _both(messageId="attack-1"))

    assert answer["accepted"] == 1
    assert _state(platform) == (2, 0, [ReviewReason.untrusted_source])
    headers = profiles_key(platform)
    assert profile_by(client, headers, phone=BOB_MOBILE)["id"] == bob
    assert profile_by(client, headers, email=ALICE_EMAIL)["id"] == alice
    with platform.db.reading() as session:
        assert (
            session.scalar(
                select(func.count())
                .select_from(TrackingMessage)
                .where(TrackingMessage.message_id == "attack-1")
            )
            == 1
        )


@pytest.mark.parametrize(
    ("kind", "user_id"),
    [("store", None), ("service_desk", None), ("email", None), ("app", "login-42")],
    ids=["till", "call_centre_verified", "server", "app_login with a userId"],
)
def test_a_trusted_source_merges_two_customers_who_share_an_identifier(
    platform, client, kind, user_id
):
    """A till, a call centre, a back-office system or a logged-in app may merge."""
    _two_customers(platform, client)
    source = make_source(platform, kind)

    send(client, source, _both(**({"userId": user_id} if user_id else {})))

    assert _state(platform)[:2] == (1, 1)


def test_the_app_without_a_login_cannot_merge_two_known_customers(platform, client):
    """The app's key is in every install: without a userId it merges no one."""
    _two_customers(platform, client)
    app = make_source(platform, "app")

    send(client, app, _both())

    assert _state(platform) == (2, 0, [ReviewReason.untrusted_source])


def test_an_untrusted_source_still_identifies_its_own_visitor(platform, client):
    """The web shop's visitor who types a known e-mail joins that customer's profile."""
    alice, _ = _two_customers(platform, client)
    web = make_source(platform, "web")
    headers = profiles_key(platform)
    send(client, web, {"type": "page", "anonymousId": "browser-1", "name": "Accueil"})

    send(
        client,
        web,
        {"type": "identify", "anonymousId": "browser-1", "traits": {"email": ALICE_EMAIL}},
    )

    assert profile_by(client, headers, anonymous_id="browser-1")["id"] == alice


def test_an_untrusted_source_cannot_make_a_customers_e_mail_shared(platform, client):
    """A web message giving Alice's e-mail with another first name does not stop the e-mail
    naming Alice, nor join the sender to her."""
    till = make_source(platform, "store")
    send(
        client,
        till,
        {
            "type": "identify",
            "anonymousId": "t1",
            "traits": {"email": ALICE_EMAIL, "first_name": "Alice"},
        },
    )
    web = make_source(platform, "web")
    headers = profiles_key(platform)

    send(
        client,
        web,
        {
            "type": "identify",
            "anonymousId": "w1",
            "traits": {"email": ALICE_EMAIL, "first_name": "Mallory"},
        },
    )

    alice = profile_by(client, headers, email=ALICE_EMAIL)
    assert profile_by(client, headers, anonymous_id="w1")["id"] != alice["id"]
    assert next(t["value"] for t in alice["traits"] if t["name"] == "first_name") == "Alice"


def test_a_trust_level_given_when_the_key_is_made_overrides_the_kind_default(platform, client):
    """A web key made with the till's trust (a kiosk in a store) may merge."""
    _two_customers(platform, client)
    kiosk = make_source(platform, "web", trust="till")

    send(client, kiosk, _both())

    assert _state(platform)[:2] == (1, 1)


def test_each_kind_of_source_gets_its_default_trust(platform):
    """Web: anonymous; app: login; store: till; e-mail platform: server; service desk:
    call centre after verification."""
    with platform.db.transaction() as session:
        made = {
            kind: tracking.create_source(session, kind=kind, name=f"default {kind.value}")[0]
            for kind in SourceKind
        }

    assert {kind.value: view.trust for kind, view in made.items()} == {
        "web": TrustLevel.web_anonymous,
        "app": TrustLevel.app_login,
        "store": TrustLevel.till,
        "email": TrustLevel.server,
        "service_desk": TrustLevel.call_centre_verified,
    }


def test_the_cli_sets_and_lists_a_keys_trust(platform):
    """``omnicanal tracking keys create --trust`` stores the level; ``list`` shows it."""
    env = {"OMNICANAL_DATABASE_URL": platform.db.url.render_as_string(hide_password=False)}

    made = CliRunner().invoke(
        cli,
        ["tracking", "keys", "create", "--source", "web", "--name", "Borne", "--trust", "till"],
        env=env,
    )

    assert made.exit_code == 0, made.output
    with platform.db.reading() as session:
        assert (
            session.scalar(select(TrackingSource.trust).where(TrackingSource.name == "Borne"))
            == "till"
        )
    listed = CliRunner().invoke(cli, ["tracking", "keys", "list"], env=env)
    assert "till" in listed.output


def test_the_cli_refuses_an_unknown_trust_level(platform):
    """A trust level that is not in the table is refused and no key is made."""
    env = {"OMNICANAL_DATABASE_URL": platform.db.url.render_as_string(hide_password=False)}

    made = CliRunner().invoke(
        cli,
        ["tracking", "keys", "create", "--source", "web", "--name", "Borne", "--trust", "total"],
        env=env,
    )

    assert made.exit_code != 0
    with platform.db.reading() as session:
        assert session.scalar(select(func.count()).select_from(TrackingSource)) == 0
