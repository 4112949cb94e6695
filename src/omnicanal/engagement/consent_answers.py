"""What a channel says about a person's consent, read from the Segment shapes (pure: no
database, no HTTP); the tracking module hands the answers to :mod:`consents`.

Three shapes are read (``docs/consent.md``):

- an ``identify`` trait ``consents``: purpose → channel → true or false,
  ``{"marketing": {"email": true, "sms": false}, "personalised_offers": {"email": true}}``;
- Segment's consent object, ``context.consent.categoryPreferences`` on any message:
  ``marketing`` and ``advertising`` answer for marketing, ``personalization`` (or
  ``personalisation``) for personalised offers, on every channel at once; when
  ``marketing`` and ``advertising`` disagree, the refusal wins;
- a ``Consent Updated`` track event: ``{purpose, channel, granted, lawful_basis?, proof?}``
  or ``{consents: {...}}`` (the trait's shape).

An answer holding something else than the known purposes, channels, lawful bases and true
or false is not guessed at: in a trait or the consent object it is set aside with a note
(like Segment, a message is never refused for a trait); in a ``Consent Updated`` event,
which exists only to carry it, it refuses the message.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from omnicanal.engagement.models import CHANNELS, LAWFUL_BASES, PURPOSES

__all__ = [
    "CATEGORY_PURPOSES",
    "CONSENT_TRAIT",
    "CONSENT_UPDATED",
    "MAX_PROOF_BYTES",
    "ConsentAnswer",
    "RefusedConsent",
    "SetAside",
    "answers_from_categories",
    "answers_from_event",
    "answers_from_traits",
    "message_answers",
    "proof_too_large",
]

CONSENT_TRAIT = "consents"
"""The ``identify`` trait that carries answers per purpose and channel."""
CONSENT_UPDATED = "Consent Updated"
"""The track event that carries one answer, or several."""
CATEGORY_PURPOSES: dict[str, str] = {
    "marketing": "marketing",
    "advertising": "marketing",
    "personalization": "personalised_offers",
    "personalisation": "personalised_offers",
}
"""Segment's consent categories that answer for one of our purposes (the others, such as
``analytics`` or ``functional``, say nothing about messages)."""
MAX_PROOF_BYTES = 4_096
"""The largest proof an answer may carry, as JSON."""


@dataclass(frozen=True)
class ConsentAnswer:
    """One answer about one purpose on one channel, and where in the message it was read."""

    purpose: str
    channel: str
    granted: bool
    lawful_basis: str = "consent"
    proof: Mapping[str, Any] = field(default_factory=dict)
    field: str = ""


@dataclass(frozen=True)
class SetAside:
    """An answer that could not be read (``field``: where), and why."""

    field: str
    reason: str


class RefusedConsent(ValueError):
    """A ``Consent Updated`` event that says no readable answer."""

    code = "invalid_consent"

    def __init__(self, field: str, reason: str) -> None:
        super().__init__(reason)
        self.field, self.reason = field, reason


def _choices(values: tuple[str, ...]) -> str:
    return ", ".join(values)


def proof_too_large(proof: Mapping[str, Any]) -> bool:
    """Whether a proof is over :data:`MAX_PROOF_BYTES` as JSON."""
    return len(json.dumps(proof, default=str).encode()) > MAX_PROOF_BYTES


def answers_from_traits(
    value: Any, *, where: str = f"traits.{CONSENT_TRAIT}"
) -> tuple[list[ConsentAnswer], list[SetAside]]:
    """The answers of a ``consents`` object (purpose → channel → bool), and what was set
    aside."""
    answers: list[ConsentAnswer] = []
    aside: list[SetAside] = []
    if not isinstance(value, Mapping):
        return [], [SetAside(where, f"{where} must be an object: purpose → channel → true/false")]
    for purpose, channels in value.items():
        at = f"{where}.{purpose}"
        if purpose not in PURPOSES:
            aside.append(SetAside(at, f"{purpose!r} is not a purpose ({_choices(PURPOSES)})"))
            continue
        if not isinstance(channels, Mapping):
            aside.append(SetAside(at, f"{at} must be an object: channel → true/false"))
            continue
        for channel, granted in channels.items():
            inner = f"{at}.{channel}"
            if channel not in CHANNELS:
                aside.append(
                    SetAside(inner, f"{channel!r} is not a channel ({_choices(CHANNELS)})")
                )
            elif not isinstance(granted, bool):
                aside.append(SetAside(inner, f"{inner} must be true or false"))
            else:
                answers.append(ConsentAnswer(purpose, channel, granted, field=inner))
    return answers, aside


def answers_from_categories(
    context: Mapping[str, Any],
) -> tuple[list[ConsentAnswer], list[SetAside]]:
    """The answers of Segment's ``context.consent.categoryPreferences``: each category we
    read, on every channel; a refusal of one of two categories meaning one purpose wins."""
    consent = context.get("consent")
    if consent is None:
        return [], []
    where = "context.consent.categoryPreferences"
    preferences = consent.get("categoryPreferences") if isinstance(consent, Mapping) else None
    if preferences is None:
        return [], []
    if not isinstance(preferences, Mapping):
        return [], [SetAside(where, f"{where} must be an object: category → true/false")]
    granted: dict[str, tuple[bool, str]] = {}
    aside: list[SetAside] = []
    for category, value in preferences.items():
        purpose = CATEGORY_PURPOSES.get(str(category).lower())
        if purpose is None:
            continue
        at = f"{where}.{category}"
        if not isinstance(value, bool):
            aside.append(SetAside(at, f"{at} must be true or false"))
            continue
        if purpose not in granted or not value:
            granted[purpose] = (value if purpose not in granted else False, at)
    answers = [
        ConsentAnswer(purpose, channel, value, field=at)
        for purpose, (value, at) in granted.items()
        for channel in CHANNELS
    ]
    return answers, aside


def _one(properties: Mapping[str, Any]) -> ConsentAnswer:
    """The single answer of a ``Consent Updated`` event's properties."""
    purpose, channel, granted = (properties.get(name) for name in ("purpose", "channel", "granted"))
    if purpose not in PURPOSES:
        raise RefusedConsent(
            "properties.purpose", f"properties.purpose must be one of {_choices(PURPOSES)}"
        )
    if channel not in CHANNELS:
        raise RefusedConsent(
            "properties.channel", f"properties.channel must be one of {_choices(CHANNELS)}"
        )
    if not isinstance(granted, bool):
        raise RefusedConsent("properties.granted", "properties.granted must be true or false")
    basis = properties.get("lawful_basis", "consent")
    if basis not in LAWFUL_BASES:
        raise RefusedConsent(
            "properties.lawful_basis",
            f"properties.lawful_basis must be one of {_choices(LAWFUL_BASES)}",
        )
    proof = properties.get("proof")
    if proof is not None and not isinstance(proof, Mapping):
        raise RefusedConsent("properties.proof", "properties.proof must be an object")
    if proof is not None and proof_too_large(proof):
        raise RefusedConsent(
            "properties.proof", f"properties.proof is over {MAX_PROOF_BYTES} bytes as JSON"
        )
    return ConsentAnswer(
        str(purpose),
        str(channel),
        granted,
        lawful_basis=str(basis),
        proof=dict(proof or {}),
        field="properties",
    )


def answers_from_event(properties: Mapping[str, Any]) -> list[ConsentAnswer]:
    """The answers of a ``Consent Updated`` event; :class:`RefusedConsent` when it says
    none, or says one that cannot be read."""
    if "consents" in properties:
        answers, aside = answers_from_traits(properties["consents"], where="properties.consents")
        if aside:
            raise RefusedConsent(aside[0].field, aside[0].reason)
        if not answers:
            raise RefusedConsent("properties.consents", "properties.consents holds no answer")
        return answers
    return [_one(properties)]


def message_answers(
    *,
    kind: str,
    name: str,
    traits: Mapping[str, Any],
    properties: Mapping[str, Any],
    context: Mapping[str, Any],
) -> tuple[list[ConsentAnswer], list[SetAside]]:
    """Every answer a tracking message carries, one per (purpose, channel): an explicit one
    (a trait, an event) before what the consent object's categories imply; and what was set
    aside. :class:`RefusedConsent` for an unreadable ``Consent Updated`` event."""
    explicit: list[ConsentAnswer] = []
    aside: list[SetAside] = []
    if kind == "identify" and CONSENT_TRAIT in traits:
        explicit, aside = answers_from_traits(traits[CONSENT_TRAIT])
    elif kind == "track" and name == CONSENT_UPDATED:
        explicit = answers_from_event(properties)
    implied, implied_aside = answers_from_categories(context)
    chosen: dict[tuple[str, str], ConsentAnswer] = {}
    for answer in (*explicit, *implied):
        chosen.setdefault((answer.purpose, answer.channel), answer)
    return list(chosen.values()), [*aside, *implied_aside]
