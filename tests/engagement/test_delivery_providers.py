"""Which provider carries each channel, as the settings choose, and the settings that are
refused at start."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from omnicanal.engagement.delivery.base import Outgoing
from omnicanal.engagement.delivery.brevo import BrevoProvider
from omnicanal.engagement.delivery.mailbox import MailboxProvider
from omnicanal.engagement.delivery.providers import DeliveryMisconfigured, Providers
from omnicanal.engagement.delivery.smtp import SmtpProvider
from omnicanal.engagement.delivery.webhook import WebhookProvider
from omnicanal.platform.config import Settings


def names(settings: Settings) -> dict[str, str]:
    return Providers.from_settings(settings).names()


def test_with_nothing_configured_every_channel_goes_to_the_local_mailbox_but_post():
    providers = Providers.from_settings(Settings())
    assert providers.names() == {"email": "mailbox", "sms": "mailbox", "push": "mailbox"}
    assert providers.for_channel("post") is None
    assert providers.for_channel("fax") is None


def test_the_mailbox_takes_every_message_under_its_own_id():
    outgoing = Outgoing(
        message_id="01JQ7Z0000000000000000MSGE",
        channel="sms",
        to="+33612345678",
        subject="",
        text="Votre colis est arrivé.",
        html=None,
        purpose="transactional",
        language="fr",
    )
    receipt = MailboxProvider().send(outgoing)
    assert (receipt.provider, receipt.provider_message_id) == ("mailbox", outgoing.message_id)


def test_auto_sends_email_through_the_relay_when_one_is_set():
    providers = Providers.from_settings(Settings(smtp_url="smtp+starttls://u:p@relay.example"))
    email = providers.for_channel("email")
    assert isinstance(email, SmtpProvider)
    assert (email.relay.host, email.relay.security) == ("relay.example", "starttls")
    assert providers.names()["sms"] == "mailbox"


def test_the_mailbox_can_be_chosen_even_with_a_relay():
    settings = Settings(smtp_url="smtp://relay.example", email_provider="mailbox")
    assert names(settings)["email"] == "mailbox"


def test_brevo_carries_email_and_sms_when_chosen_for_both():
    providers = Providers.from_settings(
        Settings(
            email_provider="brevo",
            sms_provider="brevo",
            brevo_api_key="xkeysib-1",
            brevo_url="http://127.0.0.1:9/v3",
            sms_sender="MLumiere",
        )
    )
    email, sms = providers.for_channel("email"), providers.for_channel("sms")
    assert isinstance(email, BrevoProvider) and email is sms
    assert email.channels == frozenset({"email", "sms"})
    assert (email.base_url, email.sms_sender) == ("http://127.0.0.1:9/v3", "MLumiere")


def test_brevo_for_sms_only_leaves_email_to_the_relay():
    providers = Providers.from_settings(
        Settings(sms_provider="brevo", brevo_api_key="k", smtp_url="smtp://relay.example")
    )
    assert providers.names() == {"email": "smtp", "sms": "brevo", "push": "mailbox"}
    sms = providers.for_channel("sms")
    assert isinstance(sms, BrevoProvider) and sms.channels == frozenset({"sms"})


def test_sms_and_push_webhooks_are_signed_with_the_shared_secret():
    providers = Providers.from_settings(
        Settings(
            sms_provider="webhook",
            push_provider="webhook",
            sms_webhook_url="https://sms.example/hook",
            push_webhook_url="https://push.example/hook",
            message_webhook_secret="s3cret",
        )
    )
    sms, push = providers.for_channel("sms"), providers.for_channel("push")
    assert isinstance(sms, WebhookProvider) and isinstance(push, WebhookProvider)
    assert (sms.url, sms.channels) == ("https://sms.example/hook", frozenset({"sms"}))
    assert (push.url, push.secret) == ("https://push.example/hook", "s3cret")


@pytest.mark.parametrize(
    ("settings", "sentence"),
    [
        (
            {"email_provider": "brevo"},
            "OMNICANAL_EMAIL_PROVIDER=brevo needs OMNICANAL_BREVO_API_KEY",
        ),
        ({"sms_provider": "brevo"}, "OMNICANAL_SMS_PROVIDER=brevo needs OMNICANAL_BREVO_API_KEY"),
        ({"email_provider": "smtp"}, "OMNICANAL_EMAIL_PROVIDER=smtp needs OMNICANAL_SMTP_URL"),
        (
            {"sms_provider": "webhook", "message_webhook_secret": "s"},
            "OMNICANAL_SMS_PROVIDER=webhook needs OMNICANAL_SMS_WEBHOOK_URL",
        ),
        (
            {"push_provider": "webhook", "push_webhook_url": "https://push.example"},
            "needs OMNICANAL_MESSAGE_WEBHOOK_SECRET",
        ),
        ({"email_provider": "sendmail"}, "email_provider"),
        ({"sms_sender": "Maison Lumière Lyon"}, "sms_sender"),
    ],
)
def test_a_provider_without_what_it_needs_is_refused_at_start_in_one_sentence(
    settings, sentence, monkeypatch
):
    with pytest.raises(ValidationError, match=sentence):
        Settings(**settings)
    # The same from the environment, as omnicanal starts.
    for name, value in settings.items():
        monkeypatch.setenv(f"OMNICANAL_{name.upper()}", value)
    with pytest.raises(ValidationError, match=sentence):
        Settings()


def test_settings_built_around_the_check_are_refused_by_the_providers_too():
    settings = Settings.model_construct(**{**Settings().model_dump(), "email_provider": "brevo"})
    with pytest.raises(DeliveryMisconfigured, match="Brevo needs OMNICANAL_BREVO_API_KEY"):
        Providers.from_settings(settings)
