"""Brevo's API against a local server that checks each request's documented shape and
answers as Brevo does: 201 with the ``messageId``, or a refusal (429, 400, 401, 402, 5xx)."""

from __future__ import annotations

from typing import Any

import pytest

from omnicanal.engagement.delivery.base import DeliveryFailed, Outgoing, unsubscribe_headers
from omnicanal.engagement.delivery.brevo import BrevoProvider
from tests.conftest import free_port
from tests.engagement.delivery_servers import Received, http_server

API_KEY = "xkeysib-0123456789abcdef"
EMAIL_ID = "<202603141800.12345678901@smtp-relay.mailin.fr>"
SMS_ID = 1511882900176220
MESSAGE = "01JQ7Z0000000000000000MSGE"


def brevo_answer(request: Received) -> tuple[int, Any]:
    """Brevo, as documented: the key in ``api-key``, JSON bodies of the documented shape."""
    if request.headers.get("api-key") != API_KEY:
        return 401, {"code": "unauthorized", "message": "Key not found"}
    if request.headers.get("content-type") != "application/json":
        raise ValueError("JSON bodies only")
    body = request.json()
    if request.path == "/v3/smtp/email":
        if set(body) - {"sender", "to", "subject", "textContent", "htmlContent", "headers", "tags"}:
            raise ValueError(f"unknown fields {sorted(body)}")
        if not body["sender"].get("email") or not isinstance(body["to"], list):
            raise ValueError("sender and to are required")
        if not body.get("subject") or not (body.get("textContent") or body.get("htmlContent")):
            raise ValueError("subject and content are required")
        return 201, {"messageId": EMAIL_ID}
    if request.path == "/v3/transactionalSMS/send":
        if not {"sender", "recipient", "content"} <= set(body):
            raise ValueError("sender, recipient and content are required")
        if not body["recipient"].isdigit() or body["type"] not in ("transactional", "marketing"):
            raise ValueError("recipient is digits with the country code; type is known")
        if len(body["sender"]) > 11 or not isinstance(body["unicodeEnabled"], bool):
            raise ValueError("sender has 11 characters at most; unicodeEnabled is a boolean")
        return 201, {"messageId": SMS_ID}
    return 404, {"code": "not_found", "message": "Invalid route"}


def provider(url: str, **more: Any) -> BrevoProvider:
    return BrevoProvider(
        api_key=more.pop("api_key", API_KEY),
        sender="Maison Lumière <messages@maison-lumiere.example>",
        sms_sender="MLumiere",
        base_url=f"{url}/v3",
        **more,
    )


def email(**more: Any) -> Outgoing:
    values: dict[str, Any] = {
        "message_id": MESSAGE,
        "channel": "email",
        "to": "zoe@example.fr",
        "subject": "Votre panier vous attend",
        "text": "Bonjour Zoé, votre robe est toujours là.",
        "html": "<p>Bonjour Zoé</p>",
        "purpose": "marketing",
        "language": "fr",
        "headers": unsubscribe_headers("https://shop.example/u/t0k"),
    }
    return Outgoing(**{**values, **more})


def sms(**more: Any) -> Outgoing:
    values: dict[str, Any] = {
        "message_id": MESSAGE,
        "channel": "sms",
        "to": "+33612345678",
        "subject": "",
        "text": "Votre commande est prête à Lyon : code 4821.",
        "html": None,
        "purpose": "transactional",
        "language": "fr",
    }
    return Outgoing(**{**values, **more})


def test_an_email_is_sent_as_brevo_documents_it_and_its_message_id_kept():
    with http_server(brevo_answer) as brevo:
        receipt = provider(brevo.url).send(email())

    assert (receipt.provider, receipt.provider_message_id) == ("brevo", EMAIL_ID)
    (request,) = brevo.received
    body = request.json()
    assert request.path == "/v3/smtp/email"
    assert body["sender"] == {"name": "Maison Lumière", "email": "messages@maison-lumiere.example"}
    assert body["to"] == [{"email": "zoe@example.fr"}]
    assert (body["subject"], body["textContent"], body["htmlContent"]) == (
        "Votre panier vous attend",
        "Bonjour Zoé, votre robe est toujours là.",
        "<p>Bonjour Zoé</p>",
    )
    assert body["headers"] == {
        "List-Unsubscribe": "<https://shop.example/u/t0k>",
        "List-Unsubscribe-Post": "List-Unsubscribe=One-Click",
        "idempotencyKey": MESSAGE,
        "X-Mailin-custom": MESSAGE,
    }


def test_an_email_without_html_sends_its_text_only():
    with http_server(brevo_answer) as brevo:
        provider(brevo.url).send(email(html=None, headers={}, purpose="transactional"))
    body = brevo.received[0].json()
    assert "htmlContent" not in body
    assert body["headers"] == {"idempotencyKey": MESSAGE, "X-Mailin-custom": MESSAGE}


def test_an_sms_is_sent_with_the_number_without_its_plus_and_unicode_for_french():
    with http_server(brevo_answer) as brevo:
        receipt = provider(brevo.url).send(sms())

    assert receipt.provider_message_id == str(SMS_ID)
    (request,) = brevo.received
    assert request.path == "/v3/transactionalSMS/send"
    assert request.json() == {
        "sender": "MLumiere",
        "recipient": "33612345678",
        "content": "Votre commande est prête à Lyon : code 4821.",
        "type": "transactional",
        "tag": MESSAGE,
        "unicodeEnabled": True,
    }


def test_a_marketing_sms_in_plain_ascii_says_so():
    with http_server(brevo_answer) as brevo:
        provider(brevo.url).send(sms(purpose="marketing", text="Soldes -20% ce week-end"))
    body = brevo.received[0].json()
    assert (body["type"], body["unicodeEnabled"]) == ("marketing", False)


def test_an_sms_to_something_that_is_no_phone_number_is_final_and_sends_nothing():
    with http_server(brevo_answer) as brevo, pytest.raises(DeliveryFailed) as failed:
        provider(brevo.url).send(sms(to="zoe@example.fr"))
    assert failed.value.retryable is False
    assert brevo.received == []


@pytest.mark.parametrize(
    ("status", "retryable"),
    [(429, True), (500, True), (502, True), (400, False), (402, False), (403, False)],
)
def test_a_rate_limit_or_an_error_on_brevos_side_is_tried_again_a_refusal_is_final(
    status, retryable
):
    refusal = {"code": "some_code", "message": "Explained"}
    with http_server(lambda _: (status, refusal)) as brevo, pytest.raises(DeliveryFailed) as failed:
        provider(brevo.url).send(email())
    assert failed.value.retryable is retryable
    assert failed.value.detail == f"Brevo answered {status}: some_code Explained"


def test_an_unknown_key_is_final():
    with http_server(brevo_answer) as brevo, pytest.raises(DeliveryFailed) as failed:
        provider(brevo.url, api_key="xkeysib-wrong").send(email())
    assert failed.value.retryable is False
    assert "401" in failed.value.detail


def test_a_request_brevo_finds_malformed_is_final():
    """The local server refuses a body off the documented shape with a 400, as Brevo does."""
    with http_server(brevo_answer) as brevo, pytest.raises(DeliveryFailed) as failed:
        provider(brevo.url, channels=frozenset({"email", "sms"})).send(email(subject=""))
    assert failed.value.retryable is False
    assert "subject and content are required" in failed.value.detail


def test_brevo_out_of_reach_is_tried_again():
    with pytest.raises(DeliveryFailed) as failed:
        provider(f"http://127.0.0.1:{free_port()}").send(email())
    assert failed.value.retryable is True


def test_a_channel_brevo_is_not_set_for_is_refused_without_a_request():
    with http_server(brevo_answer) as brevo, pytest.raises(DeliveryFailed):
        provider(brevo.url, channels=frozenset({"email"})).send(sms())
    assert brevo.received == []
