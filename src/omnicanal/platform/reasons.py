"""Reasons: why an engine decided what it did, as a code with parameters, and its English.

The pricing and sourcing engines explain every decision. Each explanation is a
:class:`Reason`: a stable code (``sourcing.one_shipment``), the parameters of this decision
(codes, counts, minor units, distances) and the English sentence the API has always shown.
The sentence is made from the code's :class:`Phrase`, so the code, the parameters and the
English never disagree.

A page says the same reason in its reader's language with the same phrase and another
:class:`Speaker`: the phrase's English ``message`` is the gettext message id of the code, and
every number, amount, distance and code word inside it is said by the speaker (Babel's
French, a channel's name). Nothing parses the English back.

A phrase says each parameter with a *sayer* (``units``, ``names``, ``money`` ...); a domain
may bring its own sayer for what only it knows (a promotion's scope, a location with its
kind and distance), built from the speaker's primitives only.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Protocol

from pydantic import BaseModel, Field

from omnicanal.platform.money import Money

__all__ = [
    "ENGLISH",
    "Param",
    "Params",
    "Phrase",
    "Reason",
    "ReasonOut",
    "Sayer",
    "Speaker",
    "alternatives",
    "catalogue",
    "codes",
    "decimal",
    "distance",
    "listed",
    "money",
    "names",
    "number_of",
    "sets",
    "units",
    "word",
]

Param = str | int | float | list[str] | list[int] | list[float] | list[int | float]
"""A parameter's value: JSON as stored on an order (a code, a count, minor units, a list)."""

Params = Mapping[str, Param]


class Speaker(Protocol):
    """The words and numbers of one language: what a phrase needs to be said in it."""

    def gettext(self, message: str) -> str: ...

    def ngettext(self, singular: str, plural: str, count: int) -> str: ...

    def money(self, minor: int, currency: str) -> str:
        """An amount in minor units of ``currency``."""
        ...

    def decimal(self, text: str) -> str:
        """A decimal number given as text (``"12.5"``), a percentage for instance."""
        ...

    def distance(self, kilometres: int | float) -> str:
        """A distance as rounded by the engine: an int is whole kilometres, a float has one
        decimal."""
        ...

    def word(self, kind: str, code: str) -> str:
        """A code word of ``kind`` (``location_kind``, ``channel``, ``method``) as people say it."""
        ...


class _English:
    """The API's English: message ids as they are, the engines' own number formats."""

    def gettext(self, message: str) -> str:
        return message

    def ngettext(self, singular: str, plural: str, count: int) -> str:
        return singular if count == 1 else plural

    def money(self, minor: int, currency: str) -> str:
        return Money(minor, currency).format()

    def decimal(self, text: str) -> str:
        return text

    def distance(self, kilometres: int | float) -> str:
        if isinstance(kilometres, int):
            return f"{kilometres:,} km"
        return f"{kilometres:.1f} km"

    def word(self, kind: str, code: str) -> str:
        return code


ENGLISH: Speaker = _English()
"""The speaker of the API's English sentences."""

Sayer = Callable[[Params, str, Speaker], str]
"""How a phrase says its parameter ``name`` (it may read sibling parameters)."""


def number_of(value: Param) -> int:
    """A count: the number itself, or how many items a list holds."""
    if isinstance(value, list):
        return len(value)
    return int(value)


def units(params: Params, name: str, speaker: Speaker) -> str:
    """``3`` → "3 units"."""
    count = number_of(params[name])
    return speaker.ngettext("%(count)d unit", "%(count)d units", count) % {"count": count}


def sets(params: Params, name: str, speaker: Speaker) -> str:
    """``2`` → "2 sets"."""
    count = number_of(params[name])
    return speaker.ngettext("%(count)d set", "%(count)d sets", count) % {"count": count}


def listed(values: Sequence[str], speaker: Speaker, *, conjunction: str) -> str:
    """``["A", "B", "C"]`` → "A, B and C" (``conjunction`` is the message id that joins the
    last two)."""
    if len(values) <= 1:
        return "".join(values)
    return speaker.gettext(conjunction) % {"first": ", ".join(values[:-1]), "last": values[-1]}


def names(params: Params, name: str, speaker: Speaker) -> str:
    """``["A", "B", "C"]`` → "A, B and C"."""
    return listed(_strings(params[name]), speaker, conjunction="%(first)s and %(last)s")


def alternatives(params: Params, name: str, speaker: Speaker) -> str:
    """``["gold", "silver"]`` → "gold or silver" (every one joined with "or")."""
    values = _strings(params[name])
    said = values[0] if values else ""
    for value in values[1:]:
        said = speaker.gettext("%(first)s or %(last)s") % {"first": said, "last": value}
    return said


def codes(params: Params, name: str, speaker: Speaker) -> str:
    """``["A", "B"]`` → "A, B" (codes, the same in every language)."""
    return ", ".join(_strings(params[name]))


def money(params: Params, name: str, speaker: Speaker) -> str:
    """Minor units in the currency of the ``currency`` parameter."""
    return speaker.money(int(_scalar(params[name])), str(params["currency"]))


def decimal(params: Params, name: str, speaker: Speaker) -> str:
    """A decimal number given as text."""
    return speaker.decimal(str(params[name]))


def distance(params: Params, name: str, speaker: Speaker) -> str:
    """A distance in kilometres, rounded by the engine."""
    value = _scalar(params[name])
    if isinstance(value, str):
        raise TypeError(f"{name}: a distance is a number")
    return speaker.distance(value)


def word(kind: str) -> Sayer:
    """A code word of ``kind`` (a channel, a fulfilment method), as people say it."""

    def say(params: Params, name: str, speaker: Speaker) -> str:
        return speaker.word(kind, str(params[name]))

    return say


def _strings(value: Param) -> list[str]:
    if not isinstance(value, list):
        return [str(value)]
    return [str(item) for item in value]


def _scalar(value: Param) -> str | int | float:
    if isinstance(value, list):
        raise TypeError("a list where one value is expected")
    return value


@dataclass(frozen=True)
class Phrase:
    """How one reason code is said: its English message (the gettext message id, with its
    plural when a count changes the words), and how each parameter is said (as text unless
    ``says`` names a sayer)."""

    code: str
    message: str
    plural: str | None = None
    count: str = ""
    says: Mapping[str, Sayer] = field(default_factory=dict)

    def __call__(self, **params: Param) -> Reason:
        """The reason with these parameters, and its English sentence."""
        return Reason(self.code, dict(params), self.say(params, ENGLISH))

    def say(self, params: Params, speaker: Speaker) -> str:
        """The sentence with ``params`` in ``speaker``'s language."""
        values: dict[str, str] = {name: str(value) for name, value in params.items()}
        for name, sayer in self.says.items():
            values[name] = sayer(params, name, speaker)
        if self.plural is None:
            message = speaker.gettext(self.message)
        else:
            message = speaker.ngettext(self.message, self.plural, number_of(params[self.count]))
        return message % values


@dataclass(frozen=True)
class Reason:
    """One explained decision: its code, its parameters, and its English sentence."""

    code: str
    params: Mapping[str, Param]
    text: str

    def __hash__(self) -> int:
        # The parameters are a dict (lists inside); the code and the sentence made from them
        # identify the reason as well.
        return hash((self.code, self.text))

    def as_dict(self) -> dict[str, object]:
        """``{"code": ..., "params": {...}}``, as an order stores it."""
        return {"code": self.code, "params": dict(self.params)}


class ReasonOut(BaseModel):
    """One explained decision as a code with its parameters, for a client to say in its
    reader's language (``explanation`` holds the English sentences, in the same order)."""

    code: str = Field(description="Stable code of the sentence's shape, e.g. sourcing.one_shipment")
    params: dict[str, Param] = Field(
        description="The decision's values: codes, counts, minor units (with 'currency'), "
        "distances in km"
    )


def catalogue(*groups: Iterable[Phrase]) -> dict[str, Phrase]:
    """Every phrase of ``groups`` by its code; a code given twice is a programming error."""
    found: dict[str, Phrase] = {}
    for group in groups:
        for phrase in group:
            if phrase.code in found:
                raise ValueError(f"reason code {phrase.code} is declared twice")
            found[phrase.code] = phrase
    return found
