"""The engines' explanations, said in the reader's language.

The pricing and sourcing engines explain each decision in one English sentence (the API's
``detail`` and the order's stored explanation stay so). A page reads each sentence back into
its code and parameters, here, and says it again with a message id of the catalogs; a
sentence of a shape not known here is left out of a French page rather than shown in English
(the page's own words still say what happened).
"""

from __future__ import annotations

import gettext
import re
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal

from babel.numbers import format_decimal

from omnicanal.web.labels import FULFILMENT_STEP_LABELS, LOCATION_KIND_LABELS

__all__ = ["Explainer"]

_AND = re.compile(r", | and ")


@dataclass(frozen=True)
class Explainer:
    """Says the engines' English sentences again in ``language``."""

    translations: gettext.NullTranslations
    language: str
    money: Callable[[int | None, str | None, str], str]

    def _(self, message: str) -> str:
        return self.translations.gettext(message)

    def _units(self, count: str) -> str:
        number = int(count)
        return self.translations.ngettext("%(count)d unit", "%(count)d units", number) % {
            "count": number
        }

    def _names(self, listed: str) -> str:
        parts = _AND.split(listed)
        if len(parts) == 1:
            return parts[0]
        return self._("%(first)s and %(last)s") % {
            "first": ", ".join(parts[:-1]),
            "last": parts[-1],
        }

    def _km(self, text: str) -> str:
        number = Decimal(text.removesuffix(" km").replace(",", ""))
        pattern = "#,##0" if number >= 10 else "#,##0.0"
        return f"{format_decimal(number, format=pattern, locale=self.language)}\u00a0km"

    def _site(self, text: str) -> str:
        """``LYON (store, 4.2 km)`` → ``LYON (magasin, 4,2 km)``."""
        found = re.fullmatch(r"(\S+) \(([a-z_]+)(?:, ([\d.,]+ km))?\)", text)
        if found is None:
            return text
        code, kind, distance = found.groups()
        words = [self._(LOCATION_KIND_LABELS.get(kind, kind))]
        if distance:
            words.append(self._km(distance))
        return f"{code} ({', '.join(words)})"

    def _amount(self, text: str) -> str:
        """``10,00 EUR`` (the engine's money) → ``10,00 €`` / ``€10.00``."""
        found = re.fullmatch(r"(-?)(\d+)(?:,(\d+))? ([A-Z]{3})", text)
        if found is None:
            return text
        sign, whole, fraction, currency = found.groups()
        minor = int(whole + (fraction or ""))
        return f"{sign}{self.money(minor, currency, self.language)}"

    def _scope(self, text: str) -> str:
        if text == "the cart":
            return self._("the whole basket")
        if text.startswith("SKU "):
            return self._("SKU %(skus)s") % {"skus": text.removeprefix("SKU ")}
        if text.startswith("category "):
            return self._("category %(names)s") % {"names": text.removeprefix("category ")}
        return text

    # --- sourcing ----------------------------------------------------------------------------

    def sourcing(self, sentence: str) -> str | None:
        """A sourcing decision or shortfall in the reader's language; None when its shape is
        unknown."""
        if self.language == "en":
            return sentence
        what = r"Line (?P<line>\d+) \((?P<quantity>\d+) x (?P<sku>\S+)\)"
        for pattern, message, words in (
            (
                rf"{what} (?P<verb>is picked up at|is held to try on at|leaves with the customer "
                r"from) (?P<code>\S+), the store the customer chose \((?P<units>\d+) units? "
                r"available\)\.",
                None,
                self._at_store,
            ),
            (
                r"One shipment: (?P<site>.+) can send the line whole\.",
                "One shipment: %(site)s can send the line whole.",
                {"site": self._site},
            ),
            (
                r"One shipment: (?P<site>.+) can send all (?P<count>\d+) lines whole\.",
                "One shipment: %(site)s can send all %(count)s lines whole.",
                {"site": self._site},
            ),
            (
                r"(?P<site>.+\)) sends lines? (?P<lines>.+)\.",
                "%(site)s sends line(s) %(lines)s.",
                {"site": self._site, "lines": self._names},
            ),
            (
                r"(?P<code>\S+) chosen over (?P<site>.+\)): (?P<why>.+)\.",
                "%(code)s chosen over %(site)s: %(why)s.",
                {"site": self._site, "why": self._why},
            ),
            (
                r"No coordinates for the delivery address: distance does not count\.",
                "No coordinates for the delivery address: distance does not count.",
                {},
            ),
            (
                rf"{what}: (?P<code>\S+) has (?P<units>\d+) units? available, (?P<wanted>\d+) "
                r"wanted\.",
                "Line %(line)s (%(quantity)s x %(sku)s): %(code)s has %(units)s available, "
                "%(wanted)s wanted.",
                {"units": self._units},
            ),
            (
                rf"{what}: (?P<code>\S+) does not offer click & collect\.",
                "Line %(line)s (%(quantity)s x %(sku)s): %(code)s does not offer click & collect.",
                {},
            ),
            (
                rf"{what}: (?P<code>\S+) does not fulfil this channel's orders\.",
                "Line %(line)s (%(quantity)s x %(sku)s): %(code)s does not fulfil this "
                "channel's orders.",
                {},
            ),
            (
                rf"{what}: no single location can ship it whole and splitting is off\.",
                "Line %(line)s (%(quantity)s x %(sku)s): no single location can ship it whole.",
                {},
            ),
            (
                rf"{what}: only (?P<units>\d+) units? can be shipped from the locations serving "
                r"this order\.",
                "Line %(line)s (%(quantity)s x %(sku)s): only %(units)s can be shipped from the "
                "locations serving this order.",
                {"units": self._units},
            ),
        ):
            found = re.fullmatch(pattern, sentence)
            if found is None:
                continue
            if callable(words):
                return words(found.groupdict())
            assert message is not None
            values = {
                name: words.get(name, str)(value) if value is not None else ""
                for name, value in found.groupdict().items()
            }
            return self._(message) % values
        return None

    def _at_store(self, values: dict[str, str]) -> str:
        message = {
            "is picked up at": "Line %(line)s (%(quantity)s x %(sku)s) is picked up at "
            "%(code)s, the store the customer chose (%(units)s available).",
            "is held to try on at": "Line %(line)s (%(quantity)s x %(sku)s) is held to try "
            "on at %(code)s, the store the customer chose (%(units)s available).",
            "leaves with the customer from": "Line %(line)s (%(quantity)s x %(sku)s) leaves "
            "with the customer from %(code)s, the store the customer chose (%(units)s "
            "available).",
        }[values["verb"]]
        return self._(message) % {**values, "units": self._units(values["units"])}

    def _why(self, text: str) -> str:
        nearer = re.fullmatch(
            r"it is nearer the delivery address \(([\d.,]+ km) against ([\d.,]+ km)\)", text
        )
        if nearer is not None:
            return self._("it is nearer the delivery address (%(mine)s against %(theirs)s)") % {
                "mine": self._km(nearer.group(1)),
                "theirs": self._km(nearer.group(2)),
            }
        return self._(text)

    # --- pricing -----------------------------------------------------------------------------

    def pricing(self, sentence: str) -> str | None:
        """A promotion applied (``label: description: -amount``) or a coupon note, in the
        reader's language; None when its shape is unknown."""
        if self.language == "en":
            return sentence
        coupon = re.fullmatch(r"Coupon (\S+) did not apply: (.+)\.", sentence)
        if coupon is not None:
            return self._("Coupon %(code)s did not apply: %(reason)s.") % {
                "code": coupon.group(1),
                "reason": self._(coupon.group(2)),
            }
        applied = re.fullmatch(r"(.+): (.+): -(-?\d+(?:,\d+)? [A-Z]{3})", sentence)
        if applied is None:
            return None
        label, description, amount = applied.groups()
        said = self._description(description)
        if said is None:
            return None
        return self._("%(promotion)s: %(what)s: -%(amount)s") % {
            "promotion": label,
            "what": said,
            "amount": self._amount(amount),
        }

    def _description(self, text: str) -> str | None:
        if text == "free shipping":
            return self._("free delivery")
        found = re.fullmatch(r"([\d.]+)% off (.+)", text)
        if found is not None:
            return self._("%(percent)s %% off %(scope)s") % {
                "percent": format_decimal(Decimal(found.group(1)), locale=self.language),
                "scope": self._scope(found.group(2)),
            }
        found = re.fullmatch(r"(.+ [A-Z]{3}) off the cart", text)
        if found is not None:
            return self._("%(amount)s off the basket") % {"amount": self._amount(found.group(1))}
        found = re.fullmatch(r"(.+ [A-Z]{3}) off each unit of (.+)", text)
        if found is not None:
            return self._("%(amount)s off each unit of %(scope)s") % {
                "amount": self._amount(found.group(1)),
                "scope": self._scope(found.group(2)),
            }
        found = re.fullmatch(
            r"buy (\d+) get (\d+) (free|at ([\d.]+)% off) on (.+) \((\d+) units?\)", text
        )
        if found is not None:
            buy, get, _deal, percent, scope, free = found.groups()
            message = (
                "buy %(buy)s get %(get)s free on %(scope)s (%(units)s)"
                if percent is None
                else "buy %(buy)s get %(get)s at %(percent)s %% off on %(scope)s (%(units)s)"
            )
            return self._(message) % {
                "buy": buy,
                "get": get,
                "percent": percent,
                "scope": self._scope(scope),
                "units": self._units(free),
            }
        found = re.fullmatch(r"(.+) for (.+ [A-Z]{3}) \((\d+) sets?\)", text)
        if found is not None:
            number = int(found.group(3))
            return self._("%(skus)s for %(amount)s (%(sets)s)") % {
                "skus": found.group(1),
                "amount": self._amount(found.group(2)),
                "sets": self.translations.ngettext("%(count)d set", "%(count)d sets", number)
                % {"count": number},
            }
        return None

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
            r"(given name|family name|birth date|phone|email|address) (.*) ~ (.*): (.+), "
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
