"""What the customer page's consent panel shows: the person's marketing consent by e-mail and
by SMS, read from the consent ledger, and whether suggestions may be made to them.

Personalised offers are refused as soon as one source says no: the traits the channels sent
(``customers.offers_consent``), or the ledger, where a refusal of personalised offers on any
channel stops the counter's suggestions too.
"""

from __future__ import annotations

import secrets
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from sqlalchemy.orm import Session

from omnicanal.customers import service as customers
from omnicanal.engagement import consents
from omnicanal.engagement.consents import ConsentState

__all__ = [
    "ANSWERS",
    "PANEL_CHANNELS",
    "PANEL_PURPOSE",
    "ConsentLine",
    "ConsentPanel",
    "consent_context",
    "ledger_of",
    "offers_with_ledger",
]

PANEL_PURPOSE = "marketing"
PANEL_CHANNELS = ("email", "sms")
"""The channels a clerk asks about: those a shop's news reaches most people by."""
ANSWERS = {"yes": True, "no": False}
"""The answer a clerk's button sends, as the ledger records it."""


@dataclass(frozen=True)
class ConsentLine:
    """The customer's marketing answer on one channel, if they ever gave one."""

    channel: str
    state: ConsentState | None

    @property
    def status(self) -> str:
        """``granted``, ``refused`` or ``unknown`` (never asked)."""
        if self.state is None:
            return "unknown"
        return "granted" if self.state.granted else "refused"


@dataclass(frozen=True)
class ConsentPanel:
    """The panel: a line per channel, and the key that makes each button's tap count once."""

    lines: list[ConsentLine]
    key: str

    def button_key(self, channel: str, answer: str) -> str:
        """The idempotency key of one button: a double tap records the answer once."""
        return f"{self.key}:{channel}:{answer}"


def ledger_of(session: Session, profile_id: str) -> dict[tuple[str, str], ConsentState]:
    """What the person accepts now, by (purpose, channel)."""
    return consents.current_consents(session, profile_id)


def offers_with_ledger(
    traits_say: customers.OffersConsentState, states: Mapping[tuple[str, str], ConsentState]
) -> customers.OffersConsentState:
    """The person's answer about personalised offers: a refusal in the ledger or in the
    traits wins; else a grant in either; else unknown."""
    ledger = consents.offers_answer(states)
    if ledger is False:
        return customers.OffersConsentState(customers.OffersConsent.refused)
    if ledger is True and traits_say.consent is customers.OffersConsent.unknown:
        return customers.OffersConsentState(customers.OffersConsent.given)
    return traits_say


def consent_context(states: Mapping[tuple[str, str], ConsentState]) -> dict[str, Any]:
    """The panel's part of the customer page."""
    return {
        "consents": ConsentPanel(
            lines=[
                ConsentLine(channel, states.get((PANEL_PURPOSE, channel)))
                for channel in PANEL_CHANNELS
            ],
            key=secrets.token_urlsafe(18),
        )
    }
