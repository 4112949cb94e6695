"""Whether a person accepts personalised offers, read from the traits the channels sent.

Channels name the consent differently: ``personalised_offers``, ``marketing_consent``,
``accepts_marketing``... or send Segment's consent object (``categoryPreferences``) as a
``consent`` trait. A refusal anywhere wins: one "no" is enough to stop suggesting.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

__all__ = ["CONSENT_TRAITS", "OffersConsent", "OffersConsentState", "offers_consent"]

CONSENT_TRAITS = (
    "personalised_offers",
    "personalized_offers",
    "marketing_consent",
    "marketing_opt_in",
    "accepts_marketing",
    "email_marketing_consent",
)
CONSENT_OBJECTS = ("consent", "context.consent")
# Segment's consent categories that cover offers chosen for the person.
CONSENT_CATEGORIES = ("personalization", "personalisation", "marketing", "advertising")
_YES = frozenset({"true", "yes", "oui", "1", "granted", "given", "accepted", "opt_in", "opted_in"})
_NO = frozenset(
    {"false", "no", "non", "0", "denied", "refused", "declined", "opt_out", "opted_out", "revoked"}
)


class OffersConsent(StrEnum):
    given = "given"
    refused = "refused"
    unknown = "unknown"


@dataclass(frozen=True)
class OffersConsentState:
    """The person's answer and the trait that carries it (None when nobody asked)."""

    consent: OffersConsent
    trait: str | None = None

    @property
    def allows_suggestions(self) -> bool:
        return self.consent is not OffersConsent.refused


def _answer(value: Any) -> OffersConsent:
    if isinstance(value, bool):
        return OffersConsent.given if value else OffersConsent.refused
    if isinstance(value, str | int):
        text = str(value).strip().lower()
        if text in _YES:
            return OffersConsent.given
        if text in _NO:
            return OffersConsent.refused
    if isinstance(value, Mapping):
        for key in ("status", "state", "value", "granted", "optIn", "opt_in"):
            if key in value:
                return _answer(value[key])
    return OffersConsent.unknown


def _answers(traits: Mapping[str, Any]) -> list[tuple[str, OffersConsent]]:
    found = [(name, _answer(traits[name])) for name in CONSENT_TRAITS if name in traits]
    for name in CONSENT_OBJECTS:
        value = traits.get(name)
        preferences = value.get("categoryPreferences") if isinstance(value, Mapping) else None
        if isinstance(preferences, Mapping):
            found += [
                (f"{name}.categoryPreferences.{category}", _answer(preferences[category]))
                for category in CONSENT_CATEGORIES
                if category in preferences
            ]
    return [(name, answer) for name, answer in found if answer is not OffersConsent.unknown]


def offers_consent(traits: Mapping[str, Any]) -> OffersConsentState:
    """The person's consent to personalised offers: refused if any trait says no."""
    answers = _answers(traits)
    for name, answer in answers:
        if answer is OffersConsent.refused:
            return OffersConsentState(OffersConsent.refused, name)
    if answers:
        return OffersConsentState(OffersConsent.given, answers[0][0])
    return OffersConsentState(OffersConsent.unknown)
