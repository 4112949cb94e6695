"""The generic signed webhook against a local service that checks every request's signature
with the snippet docs/messages.md gives integrators, and answers as the test tells it."""

from __future__ import annotations

import base64
import re
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from omnicanal.engagement.delivery.base import DeliveryFailed, Outgoing
from omnicanal.engagement.delivery.webhook import BadSignature, WebhookProvider, sign, verify
from tests.conftest import free_port
from tests.engagement.delivery_servers import Received, http_server

SECRET = "whsec_" + base64.b64encode(b"a shared secret of thirty-two b.").decode()
MESSAGE = "01JQ7Z0000000000000000MSGE"
DOCS = Path(__file__).parents[2] / "docs" / "messages.md"


def documented_verify() -> Any:
    """The ``verify`` function of the Delivery section of docs/messages.md, as written."""
    text = DOCS.read_text()
    delivery = text[text.index("## Delivery") :]
    (snippet,) = [
        block
        for block in re.findall(r"```python\n(.*?)```", delivery, flags=re.DOTALL)
        if "def verify" in block
    ]
    namespace: dict[str, Any] = {}
    exec(compile(snippet, str(DOCS), "exec"), namespace)
    return namespace["verify"]


def service(secret: str = SECRET, status: int = 202, answer: Any = None) -> Any:
    """A push service that takes only what is signed with ``secret``."""
    check = documented_verify()

    def respond(request: Received) -> tuple[int, Any]:
        if not check(secret, request.headers, request.body):
            return 401, {"error": "bad signature"}
        return status, answer

    return respond


def push(**more: Any) -> Outgoing:
    values: dict[str, Any] = {
        "message_id": MESSAGE,
        "channel": "push",
        "to": "device:4f7a-iphone",
        "subject": "Votre retrait",
        "text": "Votre commande vous attend à Lyon Part-Dieu.",
        "html": None,
        "purpose": "transactional",
        "language": "fr",
    }
    return Outgoing(**{**values, **more})


def provider(url: str, *, secret: str = SECRET) -> WebhookProvider:
    return WebhookProvider(url=url, secret=secret, channels=frozenset({"push"}))


def test_a_message_is_posted_signed_and_the_documented_snippet_verifies_it():
    with http_server(service(answer={"id": "push-991"})) as hub:
        receipt = provider(hub.url).send(push())

    assert (receipt.provider, receipt.provider_message_id) == ("webhook", "push-991")
    (request,) = hub.received
    assert request.headers["webhook-id"] == MESSAGE
    assert request.headers["webhook-signature"].startswith("v1,")
    assert request.json() == {
        "id": MESSAGE,
        "channel": "push",
        "to": "device:4f7a-iphone",
        "subject": "Votre retrait",
        "text": "Votre commande vous attend à Lyon Part-Dieu.",
        "html": None,
        "purpose": "transactional",
        "language": "fr",
    }


def test_without_an_id_in_the_answer_the_message_id_is_the_receipt():
    with http_server(service(status=204)) as hub:
        receipt = provider(hub.url).send(push())
    assert receipt.provider_message_id == MESSAGE


def test_a_plain_secret_signs_too():
    with http_server(service(secret="plain-secret")) as hub:
        provider(hub.url, secret="plain-secret").send(push())
    assert len(hub.received) == 1


def test_a_message_signed_with_another_secret_is_refused_by_the_service_for_good():
    """The documented check can fail: the service answers 401, which is final."""
    other = "whsec_" + base64.b64encode(b"another secret of thirty-two by.").decode()
    with http_server(service()) as hub, pytest.raises(DeliveryFailed) as failed:
        provider(hub.url, secret=other).send(push())
    assert failed.value.retryable is False
    assert "401" in failed.value.detail


@pytest.mark.parametrize(
    ("status", "retryable"), [(429, True), (503, True), (500, True), (400, False), (410, False)]
)
def test_429_and_5xx_are_tried_again_other_refusals_are_final(status, retryable):
    with (
        http_server(service(status=status, answer={"error": "x"})) as hub,
        pytest.raises(DeliveryFailed) as failed,
    ):
        provider(hub.url).send(push())
    assert failed.value.retryable is retryable


def test_a_service_out_of_reach_is_tried_again():
    with pytest.raises(DeliveryFailed) as failed:
        provider(f"http://127.0.0.1:{free_port()}").send(push())
    assert failed.value.retryable is True


def test_verify_takes_a_fresh_signed_request_and_refuses_a_changed_or_stale_one():
    body = b'{"message_id":"01JQ","event":"delivered"}'
    stamp = 1_773_500_000
    headers = {
        "webhook-id": "evt_1",
        "webhook-timestamp": str(stamp),
        "webhook-signature": "v1,bm9wZQ== "
        + sign(SECRET, webhook_id="evt_1", timestamp=stamp, body=body),
    }
    now = datetime.fromtimestamp(stamp + 60, UTC)
    assert verify(SECRET, headers, body, now=now) == "evt_1"
    with pytest.raises(BadSignature, match="matches"):
        verify(SECRET, headers, body.replace(b"delivered", b"bounced"), now=now)
    with pytest.raises(BadSignature, match="too far"):
        verify(SECRET, headers, body, now=datetime.fromtimestamp(stamp + 301, UTC))
    with pytest.raises(BadSignature, match="required"):
        verify(SECRET, {**headers, "webhook-signature": ""}, body, now=now)
    with pytest.raises(BadSignature, match="number"):
        verify(SECRET, {**headers, "webhook-timestamp": "soon"}, body, now=now)
