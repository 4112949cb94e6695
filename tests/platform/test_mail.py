"""Sending an e-mail through a real SMTP server, and the URL that names the relay."""

from __future__ import annotations

import pytest

from omnicanal.platform.mail import Mail, MailNotSent, SmtpSender, mail_sender
from tests.conftest import free_port
from tests.mail_server import smtp_server

SENDER = "Maison Lumière <tickets@maison-lumiere.example>"


def test_no_url_means_no_email_is_sent():
    assert mail_sender(None, sender=SENDER) is None
    assert mail_sender("", sender=SENDER) is None


def test_the_url_names_the_relay_its_security_and_its_account():
    relay = SmtpSender.from_url(
        "smtp+starttls://caisse%40m.fr:s3cr%2Ft@relay.example", sender=SENDER
    )

    assert (relay.host, relay.port, relay.security) == ("relay.example", 587, "starttls")
    assert (relay.username, relay.password) == ("caisse@m.fr", "s3cr/t")
    assert SmtpSender.from_url("smtps://relay.example", sender=SENDER).port == 465
    assert SmtpSender.from_url("smtp://relay.example:2525", sender=SENDER).security == "plain"


@pytest.mark.parametrize("url", ["http://relay.example", "smtp://", "relay.example:25"])
def test_a_url_that_names_no_relay_is_refused(url):
    with pytest.raises(ValueError, match="SMTP URL"):
        SmtpSender.from_url(url, sender=SENDER)


def test_a_message_reaches_the_server_with_its_french_text_intact():
    with smtp_server() as inbox:
        relay = mail_sender(inbox.url, sender=SENDER)
        assert relay is not None

        relay.send(Mail(to="zoe@example.fr", subject="Votre ticket · été", text="Merci, Zoé !\n"))

        ((recipients, message),) = inbox.wait_for(1)
    assert recipients == ["zoe@example.fr"]
    assert message["Subject"] == "Votre ticket · été"
    assert message["From"] == SENDER
    assert message.get_content().splitlines() == ["Merci, Zoé !"]


def test_a_relay_that_does_not_answer_raises_mail_not_sent():
    relay = SmtpSender(host="127.0.0.1", port=free_port(), sender=SENDER, timeout=2)

    with pytest.raises(MailNotSent):
        relay.send(Mail(to="zoe@example.fr", subject="s", text="t"))
