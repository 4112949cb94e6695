"""Which provider carries each channel, as the settings choose (ADR 0026).

- E-mail (``OMNICANAL_EMAIL_PROVIDER``): ``smtp`` (the relay of ``OMNICANAL_SMTP_URL``),
  ``brevo`` or ``mailbox``; ``auto``, the default, is the relay when one is configured and
  the local mailbox otherwise.
- SMS (``OMNICANAL_SMS_PROVIDER``): ``mailbox`` (the default), ``brevo`` or ``webhook``
  (``OMNICANAL_SMS_WEBHOOK_URL``).
- Push (``OMNICANAL_PUSH_PROVIDER``): ``mailbox`` (the default) or ``webhook``
  (``OMNICANAL_PUSH_WEBHOOK_URL``).
- Post: no provider; a letter is the retailer's to print.

The settings refuse, at start, a provider that lacks what it needs (Brevo without its key,
a webhook without its address or secret); :class:`DeliveryMisconfigured` says the same of
settings built around that check.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from types import MappingProxyType

from omnicanal.engagement.delivery.base import Provider
from omnicanal.engagement.delivery.brevo import BrevoProvider
from omnicanal.engagement.delivery.mailbox import MailboxProvider
from omnicanal.engagement.delivery.smtp import SmtpProvider
from omnicanal.engagement.delivery.webhook import WebhookProvider
from omnicanal.platform.config import Settings

__all__ = ["DeliveryMisconfigured", "Providers"]


class DeliveryMisconfigured(ValueError):
    """The settings name a provider without what it needs."""


def _required(value: str | None, setting: str, provider: str) -> str:
    if not value:
        raise DeliveryMisconfigured(
            f"{provider} needs {setting}: set it or choose another provider."
        )
    return value


@dataclass(frozen=True)
class Providers:
    """The provider of each channel (none for a channel no provider carries)."""

    by_channel: Mapping[str, Provider]

    @classmethod
    def from_settings(cls, settings: Settings) -> Providers:
        """The providers ``settings`` choose, one per channel."""
        mailbox = MailboxProvider()
        chosen: dict[str, Provider] = {"email": mailbox, "sms": mailbox, "push": mailbox}
        brevo_channels = frozenset(
            channel
            for channel, wanted in (
                ("email", settings.email_provider),
                ("sms", settings.sms_provider),
            )
            if wanted == "brevo"
        )
        if brevo_channels:
            brevo = BrevoProvider(
                api_key=_required(settings.brevo_api_key, "OMNICANAL_BREVO_API_KEY", "Brevo"),
                sender=settings.smtp_from,
                sms_sender=settings.sms_sender,
                channels=brevo_channels,
                base_url=settings.brevo_url,
            )
            chosen.update(dict.fromkeys(brevo_channels, brevo))
        email = settings.email_provider
        if email == "smtp" or (email == "auto" and settings.smtp_url):
            relay = _required(settings.smtp_url, "OMNICANAL_SMTP_URL", "SMTP")
            chosen["email"] = SmtpProvider.from_url(relay, sender=settings.smtp_from)
        for channel, wanted, url in (
            ("sms", settings.sms_provider, settings.sms_webhook_url),
            ("push", settings.push_provider, settings.push_webhook_url),
        ):
            if wanted == "webhook":
                setting = f"OMNICANAL_{channel.upper()}_WEBHOOK_URL"
                chosen[channel] = WebhookProvider(
                    url=_required(url, setting, f"The {channel} webhook"),
                    secret=_required(
                        settings.message_webhook_secret,
                        "OMNICANAL_MESSAGE_WEBHOOK_SECRET",
                        f"The {channel} webhook",
                    ),
                    channels=frozenset({channel}),
                )
        return cls(by_channel=MappingProxyType(chosen))

    def for_channel(self, channel: str) -> Provider | None:
        """The provider that carries ``channel``, or None (post, an unknown channel)."""
        return self.by_channel.get(channel)

    def names(self) -> dict[str, str]:
        """The name of each channel's provider (for the back office and the CLI)."""
        return {channel: provider.name for channel, provider in self.by_channel.items()}
