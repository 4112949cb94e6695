"""What providers report back (``/v1/engagement/feedback``): only from who holds the token
or the secret, in Brevo's documented shapes, once however often it is sent, and what a
bounce, a complaint or an unsubscription changes in the consent ledger and the facts."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from omnicanal.api.app import create_app
from omnicanal.engagement.delivery.base import DeliveryFailed, Outgoing
from omnicanal.engagement.delivery.feedback import brevo_report, record_report
from omnicanal.engagement.delivery.log import record_attempt
from omnicanal.engagement.delivery.schemas import BrevoEvent
from omnicanal.engagement.delivery.webhook import sign
from omnicanal.engagement.models import ConsentEntry
from omnicanal.platform.clock import utcnow
from omnicanal.platform.wiring import Platform
from tests.builders import snapshot
from tests.conftest import make_platform
from tests.engagement.delivery_builders import (
    FEEDBACK_TOKEN,
    SENT_AT,
    SETTINGS,
    WEBHOOK_SECRET,
    consent_of,
    facts_of,
    log_of,
    opt_in,
    sent_message,
)
from tests.reviews.builders import make_customer

EMAIL_ID = "<202603141700.12345678901@smtp-relay.mailin.fr>"
SMS_ID = 1511882900176220
BOUNCED_AT = 1773511200  # 2026-03-14 18:00 UTC
BREVO = "/v1/engagement/feedback/brevo"
WEBHOOK = "/v1/engagement/feedback/webhook"


@pytest.fixture
def platform(backend, tmp_path, request) -> Iterator[Platform]:  # type: ignore[no-untyped-def]
    """A platform that takes delivery reports (a feedback token, a webhook secret)."""
    platform = make_platform(backend, tmp_path, request, **SETTINGS)
    yield platform
    platform.close()


@pytest.fixture
def ines(platform: Platform, client: TestClient) -> str:
    """Inès, known by her e-mail, who said yes to marketing by e-mail and SMS."""
    profile_id = make_customer(platform, client)
    opt_in(platform, profile_id)
    return profile_id


def brevo_email(event: str, **more: Any) -> dict[str, Any]:
    """A Brevo transactional e-mail event, as its webhooks send them."""
    return {
        "event": event,
        "email": "ines@example.fr",
        "id": 26570,
        "date": "2026-03-14 19:00:00",
        "ts": BOUNCED_AT,
        "message-id": EMAIL_ID,
        "ts_event": BOUNCED_AT,
        "subject": "Votre panier vous attend",
        "tags": ["marketing"],
        "sending_ip": "185.41.28.109",
        "ts_epoch": BOUNCED_AT * 1000,
        "reason": "550 5.1.1 user unknown" if "bounce" in event else None,
        **more,
    }


def brevo_sms(status: str, **more: Any) -> dict[str, Any]:
    """A Brevo transactional SMS event, as its webhooks send them."""
    return {
        "id": 26570,
        "to": "33612345678",
        "sms_count": 1,
        "credits_used": 1.5,
        "messageId": SMS_ID,
        "remaining_credit": 11488.845,
        "msg_status": status,
        "date": "2026-03-14 19:00:00",
        "type": "marketing",
        "reference": "ab1cde2fgh3i4jklmno",
        **more,
    }


def report(client: TestClient, body: Any, **params: str) -> Any:
    return client.post(BREVO, json=body, params={"token": FEEDBACK_TOKEN, **params})


def signed(
    body: dict[str, Any], *, secret: str = WEBHOOK_SECRET, stamp: int | None = None
) -> tuple[bytes, dict[str, str]]:
    raw = json.dumps(body).encode()
    stamp = int(utcnow().timestamp()) if stamp is None else stamp
    headers = {
        "content-type": "application/json",
        "webhook-id": "evt_" + str(stamp),
        "webhook-timestamp": str(stamp),
        "webhook-signature": sign(
            secret, webhook_id="evt_" + str(stamp), timestamp=stamp, body=raw
        ),
    }
    return raw, headers


# --- who may report -------------------------------------------------------------------------


def test_a_brevo_report_without_the_right_token_is_refused_and_changes_nothing(
    platform, client, ines
):
    message = sent_message(platform, ines, provider_message_id=EMAIL_ID)
    before = snapshot(platform)
    for params in ({}, {"token": "guess"}, {"token": FEEDBACK_TOKEN[:-1]}):
        response = client.post(BREVO, json=brevo_email("hard_bounce"), params=params)
        assert response.status_code == 401, params
        assert response.json()["code"] == "feedback_unauthenticated"
    wrong_bearer = client.post(
        BREVO, json=brevo_email("hard_bounce"), headers={"Authorization": "Bearer guess"}
    )
    assert wrong_bearer.status_code == 401
    assert snapshot(platform) == before
    assert log_of(platform, message) == [("accepted", "brevo", None)]


def test_the_token_may_come_as_a_bearer_header(platform, client, ines):
    sent_message(platform, ines, provider_message_id=EMAIL_ID)
    response = client.post(
        BREVO,
        json=brevo_email("delivered"),
        headers={"Authorization": f"Bearer {FEEDBACK_TOKEN}"},
    )
    assert response.status_code == 200, response.text
    assert response.json()["recorded"] == 1


def test_without_a_configured_token_no_report_is_taken(backend, tmp_path, request):
    platform = make_platform(backend, tmp_path, request)
    try:
        with TestClient(create_app(platform, background=False)) as client:
            response = client.post(BREVO, json=brevo_email("spam"), params={"token": ""})
            assert response.status_code == 401
            assert "OMNICANAL_DELIVERY_FEEDBACK_TOKEN" in response.json()["detail"]
            raw, headers = signed(
                {
                    "message_id": "x",
                    "event": "delivered",
                    "channel": "sms",
                    "at": "2026-03-14T18:00:00Z",
                }
            )
            unsigned = client.post(WEBHOOK, content=raw, headers=headers)
            assert unsigned.status_code == 401
    finally:
        platform.close()


# --- Brevo's events -------------------------------------------------------------------------


def test_a_hard_bounce_refuses_marketing_on_that_address_and_tells_the_policy(
    platform, client, ines
):
    message = sent_message(platform, ines, provider_message_id=EMAIL_ID)

    response = report(client, brevo_email("hard_bounce"))

    assert response.status_code == 200, response.text
    assert response.json() == {
        "received": 1,
        "recorded": 1,
        "duplicates": 0,
        "unknown": 0,
        "ignored": 0,
    }
    assert log_of(platform, message) == [
        ("accepted", "brevo", None),
        ("bounced", "brevo", "bounced: 550 5.1.1 user unknown"),
    ]
    consent = consent_of(platform, ines)
    assert consent[("marketing", "email")] == (False, "bounce")
    # Nothing else moves: the SMS still reaches her, offers are hers to refuse.
    assert consent[("marketing", "sms")] == (True, "web_form")
    assert consent[("personalised_offers", "email")] == (True, "web_form")
    assert facts_of(platform, ines) == [
        ("bounced", {"channel": "email", "recipient": "ines@example.fr", "message_id": message})
    ]


def test_the_same_report_twice_changes_nothing_the_second_time(platform, client, ines):
    sent_message(platform, ines, provider_message_id=EMAIL_ID)
    assert report(client, brevo_email("hard_bounce")).json()["recorded"] == 1
    before = snapshot(platform)

    again = report(client, [brevo_email("hard_bounce"), brevo_email("hard_bounce")])

    assert again.status_code == 200
    assert again.json() == {
        "received": 2,
        "recorded": 0,
        "duplicates": 2,
        "unknown": 0,
        "ignored": 0,
    }
    assert snapshot(platform) == before


def test_a_complaint_refuses_marketing_and_offers_on_that_channel(platform, client, ines):
    message = sent_message(platform, ines, provider_message_id=EMAIL_ID)

    assert report(client, brevo_email("spam")).json()["recorded"] == 1

    consent = consent_of(platform, ines)
    assert consent[("marketing", "email")] == (False, "complaint")
    assert consent[("personalised_offers", "email")] == (False, "complaint")
    assert consent[("marketing", "sms")] == (True, "web_form")
    assert [kind for kind, _ in facts_of(platform, ines)] == ["complaint"]
    assert log_of(platform, message)[-1][:2] == ("complained", "brevo")


def test_an_unsubscription_refuses_marketing_and_offers_everywhere(platform, client, ines):
    message = sent_message(platform, ines, provider_message_id=EMAIL_ID)

    assert report(client, brevo_email("unsubscribed")).json()["recorded"] == 1

    consent = consent_of(platform, ines)
    for purpose in ("marketing", "personalised_offers"):
        for channel in ("email", "sms", "push", "post"):
            assert consent[(purpose, channel)][0] is False, (purpose, channel)
    assert facts_of(platform, ines) == []
    assert log_of(platform, message)[-1][:2] == ("unsubscribed", "brevo")


def test_deliveries_soft_bounces_and_blocks_are_logged_and_change_nothing_else(
    platform, client, ines
):
    message = sent_message(platform, ines, provider_message_id=EMAIL_ID)
    consent = consent_of(platform, ines)

    answer = report(
        client,
        [
            brevo_email("delivered"),
            brevo_email("soft_bounce", reason="452 mailbox full"),
            brevo_email("blocked"),
            brevo_email("opened"),
            brevo_email("click", link="https://shop.example/robe"),
        ],
    ).json()

    assert answer == {"received": 5, "recorded": 3, "duplicates": 0, "unknown": 0, "ignored": 2}
    assert log_of(platform, message)[1:] == [
        ("delivered", "brevo", "delivered"),
        ("failed", "brevo", "soft_bounced: 452 mailbox full"),
        ("failed", "brevo", "blocked"),
    ]
    assert consent_of(platform, ines) == consent
    assert facts_of(platform, ines) == []


def test_an_sms_that_bounced_refuses_marketing_by_sms(platform, client, ines):
    message = sent_message(
        platform,
        ines,
        channel="sms",
        recipient="+33612345678",
        provider_message_id=str(SMS_ID),
    )

    answer = report(client, [brevo_sms("sent"), brevo_sms("hard_bounce")]).json()

    assert (answer["recorded"], answer["ignored"]) == (1, 1)
    consent = consent_of(platform, ines)
    assert consent[("marketing", "sms")] == (False, "bounce")
    assert consent[("marketing", "email")] == (True, "web_form")
    assert facts_of(platform, ines) == [
        ("bounced", {"channel": "sms", "recipient": "+33612345678", "message_id": message})
    ]


def test_a_message_is_found_by_its_own_id_brevo_gives_back(platform, client, ines):
    """The header the e-mail was sent with (``X-Mailin-custom``), the SMS's tag."""
    message = sent_message(platform, ines, provider_message_id=None)
    answer = report(
        client, brevo_email("delivered", **{"message-id": "<other@x>", "X-Mailin-custom": message})
    ).json()
    assert answer["recorded"] == 1
    sms = sent_message(platform, ines, channel="sms", recipient="+33612345678")
    assert report(client, brevo_sms("delivered", messageId=9, tag=sms)).json()["recorded"] == 1
    assert log_of(platform, sms)[-1][:2] == ("delivered", "brevo")


def test_a_report_about_no_message_sent_here_is_acknowledged_and_changes_nothing(
    platform, client, ines
):
    """Brevo's account may send for other tools: such events are counted, not refused (a
    refusal would have Brevo send them again and again)."""
    before = snapshot(platform)
    answer = report(client, brevo_email("hard_bounce", **{"message-id": "<not-ours@x>"}))
    assert answer.status_code == 200
    assert answer.json()["unknown"] == 1
    assert snapshot(platform) == before


@pytest.mark.parametrize(
    ("body", "status", "field"),
    [
        ({"email": "ines@example.fr"}, 422, "body"),
        ({"event": "spam", "email": "ines\x00@example.fr"}, 422, "email"),
        ({"event": "x" * 61}, 422, "event"),
        ({"event": "spam", "ts_event": 10**12}, 422, "ts_event"),
        ([], 422, "body"),
        ([{"event": "delivered"}] * 501, 422, "body"),
        ({"event": "spam", "message-id": "m" * 201}, 422, "message-id"),
    ],
)
def test_a_malformed_brevo_report_is_refused_and_changes_nothing(
    platform, client, ines, body, status, field
):
    sent_message(platform, ines, provider_message_id=EMAIL_ID)
    before = snapshot(platform)
    response = report(client, body)
    assert response.status_code == status, response.text
    assert response.json()["field"] == field
    assert snapshot(platform) == before


def test_a_body_that_is_not_json_is_a_400(platform, client):
    response = client.post(
        BREVO,
        content=b"{not json",
        params={"token": FEEDBACK_TOKEN},
        headers={"content-type": "application/json"},
    )
    assert (response.status_code, response.json()["code"]) == (400, "malformed_json")


# --- the signed webhook ---------------------------------------------------------------------


def test_a_signed_report_of_a_webhook_service_is_recorded_once(platform, client, ines):
    message = sent_message(
        platform,
        ines,
        channel="sms",
        recipient="+33612345678",
        provider="webhook",
        provider_message_id="gw-5521",
    )
    body = {
        "provider_message_id": "gw-5521",
        "event": "complained",
        "channel": "sms",
        "at": "2026-03-14T18:00:00Z",
        "detail": "STOP reçu",
    }
    raw, headers = signed(body)

    first = client.post(WEBHOOK, content=raw, headers=headers)
    before = snapshot(platform)
    second = client.post(WEBHOOK, content=raw, headers=headers)

    assert first.status_code == 200, first.text
    assert first.json()["recorded"] == 1
    assert second.json()["duplicates"] == 1
    assert snapshot(platform) == before
    assert log_of(platform, message)[-1] == ("complained", "webhook", "complained: STOP reçu")
    assert consent_of(platform, ines)[("marketing", "sms")] == (False, "complaint")


def test_an_unsigned_or_tampered_or_stale_webhook_report_is_refused(platform, client, ines):
    message = sent_message(platform, ines, provider="webhook", provider_message_id="gw-1")
    body = {
        "message_id": message,
        "event": "bounced",
        "channel": "email",
        "at": "2026-03-14T18:00:00Z",
    }
    raw, headers = signed(body)
    _, other = signed(body, secret="whsec_" + "b3RoZXI=")
    stale_raw, stale = signed(body, stamp=int(utcnow().timestamp()) - 3600)
    before = snapshot(platform)
    attempts = [
        (raw, {"content-type": "application/json"}),
        (raw.replace(b"bounced", b"delivered"), headers),
        (raw, other),
        (stale_raw, stale),
    ]
    for content, sent_headers in attempts:
        response = client.post(WEBHOOK, content=content, headers=sent_headers)
        assert response.status_code == 401, response.text
        assert response.json()["code"] == "feedback_unauthenticated"
    assert snapshot(platform) == before
    accepted = client.post(WEBHOOK, content=raw, headers=headers)
    assert accepted.status_code == 200, accepted.text
    assert consent_of(platform, ines)[("marketing", "email")] == (False, "bounce")


def test_a_webhook_report_about_an_unknown_message_is_a_404(platform, client):
    raw, headers = signed(
        {
            "message_id": "01JQ7Z0000000000000000NONE",
            "event": "delivered",
            "channel": "push",
            "at": "2026-03-14T18:00:00Z",
        }
    )
    response = client.post(WEBHOOK, content=raw, headers=headers)
    assert (response.status_code, response.json()["code"]) == (404, "unknown_message")


@pytest.mark.parametrize(
    "body",
    [
        {"event": "delivered", "channel": "sms", "at": "2026-03-14T18:00:00Z"},
        {"message_id": "m", "event": "opened", "channel": "sms", "at": "2026-03-14T18:00:00Z"},
        {"message_id": "m", "event": "delivered", "channel": "fax", "at": "2026-03-14T18:00:00Z"},
        {"message_id": "m", "event": "delivered", "channel": "sms", "at": "0001-01-01T00:00:00Z"},
        {
            "message_id": "m",
            "event": "delivered",
            "channel": "sms",
            "at": "2026-03-14T18:00:00Z",
            "more": 1,
        },
    ],
)
def test_a_malformed_webhook_report_is_a_422_that_changes_nothing(platform, client, body):
    before = snapshot(platform)
    raw, headers = signed(body)
    response = client.post(WEBHOOK, content=raw, headers=headers)
    assert (response.status_code, response.json()["code"]) == (422, "validation_error")
    assert snapshot(platform) == before


def test_copies_of_one_report_arriving_at_once_are_recorded_once(platform, client, ines):
    """Eight threads record the same bounce at the same moment: one line, one fact, one
    refusal in the ledger."""
    message = sent_message(platform, ines, provider_message_id=EMAIL_ID)
    bounce = brevo_report(BrevoEvent.model_validate(brevo_email("hard_bounce")))
    start = threading.Barrier(8)

    def record() -> str:
        start.wait()
        with platform.db.transaction() as session:
            return record_report(session, bounce)

    with ThreadPoolExecutor(max_workers=8) as pool:
        verdicts = sorted(pool.map(lambda _: record(), range(8)))

    assert verdicts == ["duplicate"] * 7 + ["recorded"]
    assert [line[0] for line in log_of(platform, message)] == ["accepted", "bounced"]
    assert [kind for kind, _ in facts_of(platform, ines)] == ["bounced"]
    with platform.db.reading() as session:
        refusals = session.scalar(
            select(func.count())
            .select_from(ConsentEntry)
            .where(ConsentEntry.profile_id == ines, ConsentEntry.source == "bounce")
        )
    assert refusals == 1


def test_brevos_id_is_found_with_or_without_its_angle_brackets(platform, client, ines):
    message = sent_message(platform, ines, provider_message_id=EMAIL_ID)
    bare = EMAIL_ID.strip("<>")
    answer = report(client, brevo_email("delivered", **{"message-id": bare})).json()
    assert answer["recorded"] == 1
    assert log_of(platform, message)[-1][:2] == ("delivered", "brevo")


def test_an_attempt_is_logged_taken_or_failed_never_both(platform, ines):
    message = sent_message(platform, ines, provider="smtp", provider_message_id="<m@x>")
    outgoing = Outgoing(
        message_id=message,
        channel="email",
        to="ines@example.fr",
        subject="s",
        text="t",
        html=None,
        purpose="marketing",
        language="fr",
    )
    failure = DeliveryFailed("relay: SMTPDataError: (451, 'Try again later')", retryable=True)
    with platform.db.transaction() as session:
        record_attempt(session, outgoing=outgoing, provider="smtp", at=SENT_AT, failure=failure)
        with pytest.raises(ValueError, match="either"):
            record_attempt(session, outgoing=outgoing, provider="smtp", at=SENT_AT)
    assert log_of(platform, message) == [
        ("accepted", "smtp", None),
        ("failed", "smtp", "retryable: relay: SMTPDataError: (451, 'Try again later')"),
    ]
