"""E-mail through a real SMTP relay: STARTTLS and sign-in, the one-click unsubscription
headers, the message's own Message-ID, and which refusals are tried again."""

from __future__ import annotations

import pytest

from omnicanal.engagement.delivery.base import DeliveryFailed, Outgoing, unsubscribe_headers
from omnicanal.engagement.delivery.smtp import SmtpProvider
from omnicanal.platform.mail import Mail, SmtpSender
from tests.conftest import free_port
from tests.engagement.delivery_servers import make_certificate, smtp_relay

SENDER = "Maison Lumière <messages@maison-lumiere.example>"
UNSUBSCRIBE = "https://shop.example/v1/unsubscribe/tok3n"


def outgoing(**more: object) -> Outgoing:
    values: dict[str, object] = {
        "message_id": "01JQ7Z0000000000000000MSGE",
        "channel": "email",
        "to": "zoe@example.fr",
        "subject": "Votre panier vous attend, Zoé",
        "text": "Bonjour Zoé,\nvotre robe est toujours là.\n",
        "html": "<p>Bonjour Zoé, votre robe est toujours là.</p>",
        "purpose": "marketing",
        "language": "fr",
        "headers": unsubscribe_headers(UNSUBSCRIBE),
    }
    values.update(more)
    return Outgoing(**values)  # type: ignore[arg-type]


def test_a_marketing_email_arrives_with_the_one_click_unsubscription_and_its_own_id():
    with smtp_relay() as inbox:
        provider = SmtpProvider.from_url(inbox.url, sender=SENDER)

        receipt = provider.send(outgoing())

        ((recipients, message),) = inbox.wait_for(1)
    assert recipients == ["zoe@example.fr"]
    assert message["List-Unsubscribe"] == f"<{UNSUBSCRIBE}>"
    assert message["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert message["Message-ID"] == "<01JQ7Z0000000000000000MSGE@maison-lumiere.example>"
    assert (receipt.provider, receipt.provider_message_id) == ("smtp", message["Message-ID"])
    assert message["Subject"] == "Votre panier vous attend, Zoé"
    assert message.get_body(("plain",)).get_content().splitlines()[0] == "Bonjour Zoé,"
    assert "toujours là" in message.get_body(("html",)).get_content()


def test_a_transactional_email_carries_no_unsubscription():
    with smtp_relay() as inbox:
        SmtpProvider.from_url(inbox.url, sender=SENDER).send(
            outgoing(purpose="transactional", headers={}, html=None)
        )
        ((_, message),) = inbox.wait_for(1)
    assert message["List-Unsubscribe"] is None
    assert message.get_content_type() == "text/plain"


def test_the_relay_is_reached_over_starttls_with_its_account(tmp_path, monkeypatch):
    """The relay refuses anything before STARTTLS and any sender who has not signed in; the
    client trusts the test's certificate only."""
    certificate = make_certificate(tmp_path)
    monkeypatch.setenv("SSL_CERT_FILE", str(certificate.cert))
    with smtp_relay(certificate=certificate, account=("caisse@m.fr", "s3cr/t")) as inbox:
        port = inbox.url.rpartition(":")[2]
        url = f"smtp+starttls://caisse%40m.fr:s3cr%2Ft@127.0.0.1:{port}"

        SmtpProvider.from_url(url, sender=SENDER).send(outgoing())

        ((recipients, message),) = inbox.wait_for(1)
        assert inbox.signed_in == ["caisse@m.fr"]  # type: ignore[attr-defined]
    assert recipients == ["zoe@example.fr"]
    assert message["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"


def test_a_wrong_password_is_final(tmp_path, monkeypatch):
    certificate = make_certificate(tmp_path)
    monkeypatch.setenv("SSL_CERT_FILE", str(certificate.cert))
    with smtp_relay(certificate=certificate, account=("caisse@m.fr", "s3cr/t")) as inbox:
        port = inbox.url.rpartition(":")[2]
        url = f"smtp+starttls://caisse%40m.fr:wrong@127.0.0.1:{port}"

        with pytest.raises(DeliveryFailed) as failed:
            SmtpProvider.from_url(url, sender=SENDER).send(outgoing())

        assert inbox.messages == []
    assert failed.value.retryable is False
    assert "535" in failed.value.detail


def test_a_relay_whose_certificate_is_not_trusted_gets_nothing(tmp_path, monkeypatch):
    """Without the test's certificate among the trusted ones, STARTTLS fails and the
    message is not handed over in clear: a connection failure, tried again later."""
    certificate = make_certificate(tmp_path)
    monkeypatch.setenv("SSL_CERT_FILE", str(tmp_path / "nothing-trusted.pem"))
    with smtp_relay(certificate=certificate) as inbox:
        url = inbox.url.replace("smtp://", "smtp+starttls://")

        with pytest.raises(DeliveryFailed) as failed:
            SmtpProvider.from_url(url, sender=SENDER).send(outgoing())

        assert inbox.messages == []
    assert failed.value.retryable is True


@pytest.mark.parametrize(
    ("refusal", "retryable"),
    [
        ({"refuse_rcpt": "550 5.1.1 No such mailbox"}, False),
        ({"refuse_rcpt": "452 4.2.2 Mailbox full, try later"}, True),
        ({"refuse_data": "554 5.7.1 Message refused"}, False),
        ({"refuse_data": "451 4.3.0 Try again later"}, True),
    ],
)
def test_a_4xx_answer_is_tried_again_and_a_5xx_answer_is_final(refusal, retryable):
    with smtp_relay(**refusal) as inbox:
        with pytest.raises(DeliveryFailed) as failed:
            SmtpProvider.from_url(inbox.url, sender=SENDER).send(outgoing())
        assert inbox.messages == []
    assert failed.value.retryable is retryable
    assert failed.value.detail.startswith("relay: ")


def test_a_relay_that_cannot_be_reached_is_tried_again():
    provider = SmtpProvider(
        SmtpSender(host="127.0.0.1", port=free_port(), sender=SENDER, timeout=2)
    )
    with pytest.raises(DeliveryFailed) as failed:
        provider.send(outgoing())
    assert failed.value.retryable is True


def test_smtp_carries_email_only():
    provider = SmtpProvider.from_url("smtp://127.0.0.1:1", sender=SENDER)
    with pytest.raises(DeliveryFailed) as failed:
        provider.send(outgoing(channel="sms", to="+33612345678"))
    assert failed.value.retryable is False


def test_a_header_with_a_line_break_is_refused_before_anything_is_sent():
    with pytest.raises(ValueError, match="header"):
        outgoing(headers={"List-Unsubscribe": "<https://x>\r\nBcc: everyone@example.fr"})
    with pytest.raises(ValueError, match="header"):
        outgoing(headers={"Bad Name": "x"})


def test_the_receipts_mail_is_sent_as_before_with_a_fresh_message_id():
    """The receipts build a Mail with no headers and no id: nothing changes for them."""
    with smtp_relay() as inbox:
        relay = SmtpSender.from_url(inbox.url, sender=SENDER)
        relay.send(Mail(to="zoe@example.fr", subject="Votre ticket", text="Merci !\n"))
        relay.send(Mail(to="zoe@example.fr", subject="Votre ticket", text="Merci !\n"))
        (_, first), (_, second) = inbox.wait_for(2)
    assert first["Message-ID"] != second["Message-ID"]
    assert first["Message-ID"].endswith("@maison-lumiere.example>")
    assert first["List-Unsubscribe"] is None


def test_a_mail_may_not_replace_the_senders_own_headers():
    relay = SmtpSender.from_url("smtp://127.0.0.1:1", sender=SENDER)
    with pytest.raises(ValueError, match="sender's own"):
        relay.message(Mail(to="a@b.fr", subject="s", text="t", headers={"From": "x@y.fr"}))
