"""Consent collected from Segment traffic (``docs/consent.md``): an identify's ``consents``
trait, Segment's ``context.consent.categoryPreferences`` and ``Consent Updated`` events reach
the ledger from the sources that may say who the customer is, never from the web shop's
public key; an unreadable answer is set aside with a warning, an unreadable event refused."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import select

from omnicanal.customers import service as customers
from omnicanal.engagement.models import CHANNELS
from omnicanal.platform.clock import utcnow
from omnicanal.tracking import service as tracking
from omnicanal.tracking.models import TrackingMessage
from omnicanal.tracking.service import SourceKind
from tests.builders import make_location, snapshot
from tests.customers.support import basic, make_source, send
from tests.engagement.consent_builders import consent_events, ledger_rows, states_of


def identify(consents: Any = None, *, user_id: str | None = "zoe", **more: Any) -> dict[str, Any]:
    traits: dict[str, Any] = {"email": "zoe@example.fr", "first_name": "Zoé"}
    if consents is not None:
        traits["consents"] = consents
    message: dict[str, Any] = {"type": "identify", "traits": traits, **more}
    if user_id is not None:
        message["userId"] = user_id
    else:
        message["anonymousId"] = "cookie-zoe"
    return message


def banner(**preferences: Any) -> dict[str, Any]:
    """Segment's consent object, as its consent manager puts it on every message."""
    return {"consent": {"categoryPreferences": preferences}}


def updated(user_id: str = "zoe", **properties: Any) -> dict[str, Any]:
    return {
        "type": "track",
        "event": "Consent Updated",
        "userId": user_id,
        "properties": properties,
    }


def zoes_profile(platform) -> str:  # type: ignore[no-untyped-def]
    """The profile Zoé's login names."""

    with platform.db.reading() as session:
        found = customers.referenced_profile_id(session, customer_ref="user_id:zoe", region="FR")
    assert found is not None
    return found


def test_the_apps_identify_records_her_answers_with_the_message_as_proof(platform, client):
    answer = send(
        client,
        make_source(platform, "app"),
        identify({"marketing": {"email": True, "sms": False}}, messageId="m-1"),
    )

    assert (answer["accepted"], answer["warnings"]) == (1, [])
    zoe = zoes_profile(platform)
    assert states_of(platform, zoe) == {("marketing", "email"): True, ("marketing", "sms"): False}
    rows = {row.channel: row for row in ledger_rows(platform)}
    assert rows["email"].source == "segment"
    assert rows["email"].proof == {
        "message_id": "m-1",
        "tracking_source": "app/test app",
        "field": "traits.consents.marketing.email",
    }
    assert [event["granted"] for event in consent_events(platform)] == [True, False]


def test_segments_consent_categories_answer_for_every_channel(platform, client):
    send(
        client,
        make_source(platform, "app"),
        {
            "type": "page",
            "userId": "zoe",
            "name": "Accueil",
            "context": banner(
                marketing=True, advertising=True, personalization=False, analytics=True
            ),
        },
    )

    states = states_of(platform, zoes_profile(platform))
    assert states == {
        **{("marketing", channel): True for channel in CHANNELS},
        **{("personalised_offers", channel): False for channel in CHANNELS},
    }


def test_a_refused_category_wins_over_one_that_accepts_the_same_purpose(platform, client):
    send(
        client,
        make_source(platform, "app"),
        {
            "type": "track",
            "event": "Viewed",
            "userId": "zoe",
            "context": banner(marketing=True, advertising=False),
        },
    )

    assert set(states_of(platform, zoes_profile(platform)).values()) == {False}


def test_a_consent_updated_event_carries_one_answer_or_several(platform, client):
    key = make_source(platform, "app")
    send(
        client,
        key,
        updated(
            purpose="transactional",
            channel="sms",
            granted=False,
            lawful_basis="contract",
            proof={"screen": "settings"},
        ),
        updated(consents={"profiling": {"push": True, "post": False}}),
    )

    zoe = zoes_profile(platform)
    assert states_of(platform, zoe) == {
        ("transactional", "sms"): False,
        ("profiling", "push"): True,
        ("profiling", "post"): False,
    }
    refused = next(row for row in ledger_rows(platform) if row.purpose == "transactional")
    assert refused.lawful_basis == "contract"
    assert refused.proof["screen"] == "settings"


def test_a_banner_repeated_on_every_page_adds_nothing_until_it_changes(platform, client):
    key = make_source(platform, "app")
    page = {"type": "page", "userId": "zoe", "context": banner(marketing=True)}
    send(client, key, page, page, page)
    assert len(ledger_rows(platform)) == len(CHANNELS)

    send(client, key, {**page, "context": banner(marketing=True, personalization=True)})

    assert len(ledger_rows(platform)) == 2 * len(CHANNELS)
    assert len(consent_events(platform)) == 2 * len(CHANNELS)


def test_a_message_that_arrives_late_is_kept_without_changing_the_latest_answer(platform, client):
    key = make_source(platform, "app")
    now = utcnow()
    send(client, key, identify({"marketing": {"email": False}}, timestamp=now.isoformat()))
    send(
        client,
        key,
        identify({"marketing": {"email": True}}, timestamp=(now - timedelta(hours=3)).isoformat()),
    )

    assert states_of(platform, zoes_profile(platform)) == {("marketing", "email"): False}
    assert len(ledger_rows(platform)) == 2


def test_a_tills_message_records_the_answer_at_its_store(platform, client):
    make_location(platform, "LYON")
    with platform.db.transaction() as session:
        _, write_key = tracking.create_source(
            session, kind=SourceKind.store, name="Caisse 1", location_code="LYON"
        )
    send(client, write_key, identify({"marketing": {"sms": True}}))

    [row] = ledger_rows(platform)
    assert (row.source, row.location_code, row.granted) == ("segment", "LYON", True)


@pytest.mark.parametrize(
    ("kind", "message"),
    [
        ("web", identify({"marketing": {"email": True}})),
        ("web", {"type": "page", "userId": "zoe", "context": banner(marketing=False)}),
        ("web", updated(purpose="marketing", channel="email", granted=False)),
        ("app", identify({"marketing": {"email": True}}, user_id=None)),
    ],
)
def test_a_public_key_never_writes_consent_in_a_customers_name(platform, client, kind, message):
    """Anyone may send with the key every page holds: the message is stored, the answer
    says its consent was not taken."""
    answer = send(client, make_source(platform, kind), message)

    assert answer["accepted"] == 1
    assert [(w["code"], w["field"]) for w in answer["warnings"]] == [
        ("untrusted_consent_source", "userId")
    ]
    assert ledger_rows(platform) == []
    with platform.db.reading() as session:
        [stored] = session.scalars(select(TrackingMessage)).all()
        assert stored.warnings is not None
        assert stored.warnings[-1]["code"] == "untrusted_consent_source"


def test_an_unreadable_answer_in_a_trait_is_set_aside_and_the_rest_taken(platform, client):
    answer = send(
        client,
        make_source(platform, "app"),
        identify(
            {
                "marketing": {"email": True, "fax": True, "sms": "yes"},
                "newsletter": {"email": True},
                "profiling": True,
            },
            context=banner(personalization="oui"),
        ),
    )

    assert answer["accepted"] == 1
    assert sorted((w["code"], w["field"]) for w in answer["warnings"]) == [
        ("invalid_consent", "context.consent.categoryPreferences.personalization"),
        ("invalid_consent", "traits.consents.marketing.fax"),
        ("invalid_consent", "traits.consents.marketing.sms"),
        ("invalid_consent", "traits.consents.newsletter"),
        ("invalid_consent", "traits.consents.profiling"),
    ]
    assert states_of(platform, zoes_profile(platform)) == {("marketing", "email"): True}


@pytest.mark.parametrize(
    ("properties", "field"),
    [
        ({"purpose": "newsletter", "channel": "email", "granted": True}, "properties.purpose"),
        ({"purpose": "marketing", "channel": "fax", "granted": True}, "properties.channel"),
        ({"purpose": "marketing", "channel": "email", "granted": "yes"}, "properties.granted"),
        ({"purpose": "marketing", "channel": "email"}, "properties.granted"),
        (
            {"purpose": "marketing", "channel": "email", "granted": True, "lawful_basis": "x"},
            "properties.lawful_basis",
        ),
        (
            {"purpose": "marketing", "channel": "email", "granted": True, "proof": "signed"},
            "properties.proof",
        ),
        (
            {
                "purpose": "marketing",
                "channel": "email",
                "granted": True,
                "proof": {"x": "y" * 5000},
            },
            "properties.proof",
        ),
        ({"consents": {"marketing": {"email": "oui"}}}, "properties.consents.marketing.email"),
        ({"consents": {}}, "properties.consents"),
        ({}, "properties.purpose"),
    ],
)
def test_an_unreadable_consent_updated_event_is_refused_and_nothing_is_stored(
    platform, client, properties, field
):
    write_key = make_source(platform, "app")
    before = snapshot(platform)

    response = client.post(
        "/v1/track",
        json={"event": "Consent Updated", "userId": "zoe", "properties": properties},
        headers=basic(write_key),
    )

    assert response.status_code == 400, response.text
    assert (response.json()["code"], response.json()["field"]) == ("invalid_consent", field)
    assert snapshot(platform) == before
