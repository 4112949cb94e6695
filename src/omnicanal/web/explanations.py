"""The engines' explanations, said in the reader's language.

The pricing and sourcing engines explain each decision as a reason: a code with its
parameters, and an English sentence (``platform/reasons.py``). An order keeps both: the
sentences (the API's ``pricing_explanation``, ``sourcing_explanation``) and the reasons
(``pricing_reasons``, ``sourcing_reasons``). A page says each reason with its code's phrase:
the phrase's English message is the gettext message id (French in ``explanations.po``), and
the amounts, distances and code words in it are said the reader's way.

An order placed before the reasons were kept has only its sentences: each is read back into
its code and parameters (``legacy_explanations.py``) and said the same way; a sentence of a
shape not known there is left out of a French page rather than shown in English (the page's
own words still say what happened).
"""

from __future__ import annotations

import gettext
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from babel.numbers import format_decimal

from omnicanal.fulfilment.sourcing import reasons as sourcing_reasons
from omnicanal.platform.reasons import Param, Phrase, catalogue
from omnicanal.pricing import reasons as pricing_reasons
from omnicanal.web import legacy_explanations as legacy
from omnicanal.web.labels import CHANNEL_LABELS, FULFILMENT_STEP_LABELS, LOCATION_KIND_LABELS

__all__ = ["PHRASES", "Explainer"]

PHRASES: dict[str, Phrase] = catalogue(
    pricing_reasons.PHRASES.values(), sourcing_reasons.PHRASES.values()
)
"""Every reason code the engines give, with its phrase."""

_WORDS: dict[str, Mapping[str, str]] = {
    "location_kind": LOCATION_KIND_LABELS,
    "channel": CHANNEL_LABELS,
}


@dataclass(frozen=True)
class _PageSpeaker:
    """A page's language, as the phrases need it (``platform.reasons.Speaker``)."""

    translations: gettext.NullTranslations
    language: str
    amount: Callable[[int | None, str | None, str], str]

    def gettext(self, message: str) -> str:
        return self.translations.gettext(message)

    def ngettext(self, singular: str, plural: str, count: int) -> str:
        return self.translations.ngettext(singular, plural, count)

    def money(self, minor: int, currency: str) -> str:
        return self.amount(minor, currency, self.language)

    def decimal(self, text: str) -> str:
        return format_decimal(Decimal(text), locale=self.language)

    def distance(self, kilometres: int | float) -> str:
        pattern = "#,##0" if isinstance(kilometres, int) else "#,##0.0"
        return f"{format_decimal(kilometres, format=pattern, locale=self.language)}\u00a0km"

    def word(self, kind: str, code: str) -> str:
        """A code word: a location's kind and a channel by their labels, a fulfilment method
        by its own message id."""
        return self.gettext(_WORDS.get(kind, {}).get(code, code))


def _code_and_params(reason: Any) -> tuple[str, Mapping[str, Param]]:
    """A reason as an order gives it: ``{"code", "params"}`` or an object with both."""
    if isinstance(reason, Mapping):
        return str(reason.get("code", "")), reason.get("params") or {}
    return str(reason.code), reason.params or {}


@dataclass(frozen=True)
class Explainer:
    """Says the engines' reasons (or, for older orders, their English sentences) in
    ``language``."""

    translations: gettext.NullTranslations
    language: str
    money: Callable[[int | None, str | None, str], str]

    def _(self, message: str) -> str:
        return self.translations.gettext(message)

    def say(self, code: str, params: Mapping[str, Param]) -> str | None:
        """The reason ``code`` with ``params`` in the reader's language; None for a code or
        parameters this version does not know."""
        phrase = PHRASES.get(code)
        if phrase is None:
            return None
        try:
            return phrase.say(params, _PageSpeaker(self.translations, self.language, self.money))
        except (KeyError, TypeError, ValueError, ArithmeticError):
            return None

    def _explain(self, reason: Any, read_back: Callable[[str], legacy.Found | None]) -> str | None:
        if not isinstance(reason, str):
            return self.say(*_code_and_params(reason))
        if self.language == "en":
            return reason
        found = read_back(reason)
        return None if found is None else self.say(*found)

    def sourcing(self, reason: Any) -> str | None:
        """A sourcing decision or shortfall in the reader's language: a reason (``{code,
        params}``), or an older order's English sentence; None when its shape is unknown."""
        return self._explain(reason, legacy.sourcing)

    def pricing(self, reason: Any) -> str | None:
        """A promotion applied or a coupon's note in the reader's language: a reason
        (``{code, params}``), or an older order's English sentence; None when its shape is
        unknown."""
        return self._explain(reason, legacy.pricing)

    # --- history -----------------------------------------------------------------------------

    def reason(self, text: str) -> str:
        """Why a status changed: the platform's own reasons in the reader's language; a
        reason a person typed (a rejection, a cancellation) as they typed it."""
        if self.language == "en" or not text:
            return text
        step = re.fullmatch(r"fulfilment ([a-z_]+)", text)
        if step is not None:
            return self._("step of the fulfilment: %(step)s") % {
                "step": self._(FULFILMENT_STEP_LABELS.get(step.group(1), step.group(1)))
            }
        resourced = re.fullmatch(r"re-sourced: (\S+) rejected (\S+)", text)
        if resourced is not None:
            return self._("sent from elsewhere: %(code)s rejected %(sku)s") % {
                "code": resourced.group(1),
                "sku": resourced.group(2),
            }
        for prefix in ("line rejected: ", "every line rejected: "):
            if text.startswith(prefix):
                return f"{self._(prefix.removesuffix(': '))} : {text.removeprefix(prefix)}"
        return self._(text)

    def detail(self, text: str | None) -> str | None:
        """A refusal's English ``detail`` in the reader's language, when its shape is known
        (a sourcing shortfall); None otherwise, the page's own sentence saying the refusal."""
        if not text or self.language == "en":
            return text
        more = re.fullmatch(r"(.+) \((\d+) more line\(s\) cannot be sourced either\.\)", text)
        if more is None:
            return self.sourcing(text)
        first = self.sourcing(more.group(1))
        if first is None:
            return None
        count = int(more.group(2))
        return f"{first} " + self.translations.ngettext(
            "(%(count)d more line cannot be sourced either.)",
            "(%(count)d more lines cannot be sourced either.)",
            count,
        ) % {"count": count}

    def match_reason(self, text: str) -> str:
        """One line of why two profiles look alike (``family name Dupont ~ DUPONT: exact,
        +8.1``), its comparison and verdict in the reader's language."""
        if self.language == "en":
            return text
        found = re.fullmatch(
            r"(given name|family name|birth date|birth year in the email|phone|email|address) "
            r"(.*) ~ (.*): (.+), "
            r"([+-]\d+(?:\.\d+)?)",
            text,
        )
        if found is None:
            return text
        name, first, second, phrase, weight = found.groups()
        swapped = " (first and last names swapped)"
        said = self._(phrase.removesuffix(swapped))
        if phrase.endswith(swapped):
            said += " " + self._("(first and last names swapped)")
        return self._("%(what)s %(first)s ~ %(second)s: %(verdict)s, %(weight)s") % {
            "what": self._(name),
            "first": first,
            "second": second,
            "verdict": said,
            "weight": format_decimal(Decimal(weight), format="+0.0;-0.0", locale=self.language),
        }
