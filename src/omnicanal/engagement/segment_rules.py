"""The rules of a segment, pure: how they read a person, and how they are checked.

A segment is a list of rules that must all hold; a rule is data::

    {"field": "traits.city", "op": "eq", "value": "Lyon"}
    {"field": "computed.orders", "op": "gte", "value": 2}
    {"field": "loyalty.tier", "op": "in", "value": ["GOLD", "SILVER"]}
    {"event": "Product Viewed", "within_days": 30, "min_count": 1}

- Fields: ``traits.<name>`` (the profile's traits, as the sources sent them),
  ``computed.<name>`` (the computed traits: ``orders``, ``monetary_minor``,
  ``lifetime_value_minor``, ``average_order_minor``, ``first_order_at``, ``last_order_at``,
  ``recency_days``, ``favourite_categories``, ``currency``), ``loyalty.tier`` (the tier's
  code), ``loyalty.points`` (available points) and ``loyalty.programme``.
- Operators: ``eq``, ``ne``, ``in`` (a list of values), ``gte``, ``lte`` (numbers, or
  moments and ISO dates), ``contains`` (a word in a text, an item in a list), ``exists``
  (``true`` or ``false``). Texts compare without regard to case. A field the person lacks
  satisfies only ``ne`` and ``exists: false``.
- An event rule counts the timeline's events of that name in the last ``within_days``
  days: at least ``min_count`` (1 by default) and, if given, at most ``max_count`` (``0``:
  "did not").

:func:`evaluate` is pure and total: whatever a person's traits hold (any JSON a source
sent), it answers, and a rule it cannot read holds for nobody. What reaches a segment is
checked once, on saving (:func:`save_segment`): known fields and operators, bounded sizes.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from types import MappingProxyType
from typing import Any

from omnicanal.platform.bounds import check_text
from omnicanal.platform.clock import as_utc
from omnicanal.platform.errors import InvalidInput

__all__ = [
    "COMPUTED_FIELDS",
    "LOYALTY_FIELDS",
    "MAX_DAYS",
    "MAX_RULES",
    "OPERATORS",
    "InvalidSegment",
    "PersonFacts",
    "check_rules",
    "evaluate",
]

OPERATORS = ("eq", "ne", "in", "gte", "lte", "contains", "exists")
COMPUTED_FIELDS = (
    "orders",
    "monetary_minor",
    "currency",
    "lifetime_value_minor",
    "average_order_minor",
    "first_order_at",
    "last_order_at",
    "recency_days",
    "favourite_categories",
)
LOYALTY_FIELDS = ("tier", "points", "programme")
MAX_RULES = 20
MAX_IN_VALUES = 100
MAX_VALUE_LENGTH = 200
MAX_DAYS = 3650
MAX_COUNT = 10_000
TRAIT_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_.-]{0,99}$")


class InvalidSegment(InvalidInput):
    code = "invalid_segment"
    title = "This segment's rules cannot be read"


@dataclass(frozen=True)
class PersonFacts:
    """What the rules look at about one person, read at ``now``: their traits, computed
    traits and loyalty (by name), and the moments of their timeline's events (by event
    name, those the rules ask about)."""

    profile_id: str
    now: datetime
    traits: Mapping[str, Any] = field(default_factory=lambda: MappingProxyType({}))
    computed: Mapping[str, Any] = field(default_factory=lambda: MappingProxyType({}))
    loyalty: Mapping[str, Any] = field(default_factory=lambda: MappingProxyType({}))
    events: Mapping[str, tuple[datetime, ...]] = field(default_factory=lambda: MappingProxyType({}))


# --- pure evaluation --------------------------------------------------------------------------


def _is_number(value: Any) -> bool:
    return (
        isinstance(value, int | float)
        and not isinstance(value, bool)
        and not (isinstance(value, float) and not math.isfinite(value))
    )


def _moment(value: Any) -> datetime | None:
    if isinstance(value, datetime):
        return as_utc(value)
    if isinstance(value, str) and 8 <= len(value) <= 64 and value[:4].isdigit():
        try:
            return as_utc(datetime.fromisoformat(value))
        except ValueError:
            return None
    return None


def _equal(found: Any, wanted: Any) -> bool:
    if isinstance(found, str) and isinstance(wanted, str):
        return found.casefold() == wanted.casefold()
    if isinstance(found, bool) or isinstance(wanted, bool):
        return isinstance(found, bool) and isinstance(wanted, bool) and found is wanted
    if _is_number(found) and _is_number(wanted):
        return bool(found == wanted)
    if isinstance(found, str) and _is_number(wanted):
        # A number a source sent as text ("2") still equals 2.
        try:
            return float(found.strip()) == float(wanted)
        except ValueError:
            return False
    return False


def _order(found: Any, wanted: Any) -> int | None:
    """-1, 0 or 1 as ``found`` is below, at or above ``wanted``; None when they do not
    compare (a text against a number, a moment against a word)."""
    if _is_number(found) and _is_number(wanted):
        return (found > wanted) - (found < wanted)
    if isinstance(found, str) and _is_number(wanted):
        try:
            number = float(found.strip())
        except ValueError:
            return None
        return (number > wanted) - (number < wanted) if math.isfinite(number) else None
    first, second = _moment(found), _moment(wanted)
    if first is not None and second is not None:
        return (first > second) - (first < second)
    return None


def _blank(value: Any) -> bool:
    return value is None or (isinstance(value, str | list | dict) and not value)


def _lookup(person: PersonFacts, name: Any) -> tuple[bool, Any]:
    if not isinstance(name, str):
        return False, None
    group, _, key = name.partition(".")
    source = {"traits": person.traits, "computed": person.computed, "loyalty": person.loyalty}
    values = source.get(group)
    if values is None or key not in values:
        return False, None
    return True, values[key]


def _whole(value: Any) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def _event_holds(rule: Mapping[str, Any], person: PersonFacts) -> bool:
    days, least = _whole(rule.get("within_days")), _whole(rule.get("min_count", 1))
    most = _whole(rule.get("max_count"))
    if days is None or least is None or not 0 < days <= MAX_DAYS:
        return False
    if rule.get("max_count") is not None and most is None:
        return False
    since = as_utc(person.now) - timedelta(days=days)
    moments = person.events.get(rule["event"], ()) if isinstance(rule["event"], str) else ()
    count = sum(1 for moment in moments if since <= as_utc(moment) <= as_utc(person.now))
    return count >= least and (most is None or count <= most)


def _is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _holds(rule: Any, person: PersonFacts) -> bool:
    if not isinstance(rule, Mapping):
        return False
    if "event" in rule:
        return _event_holds(rule, person)
    operator, wanted = rule.get("op"), rule.get("value")
    found, value = _lookup(person, rule.get("field"))
    if operator == "exists":
        return isinstance(wanted, bool) and (found and not _blank(value)) is wanted
    if not found or value is None:
        return operator == "ne"
    if operator == "eq":
        return _equal(value, wanted)
    if operator == "ne":
        return not _equal(value, wanted)
    if operator == "in":
        return isinstance(wanted, list) and any(_equal(value, item) for item in wanted)
    if operator in ("gte", "lte"):
        order = _order(value, wanted)
        return order is not None and (order >= 0 if operator == "gte" else order <= 0)
    if operator == "contains":
        if isinstance(value, str):
            return isinstance(wanted, str) and wanted.casefold() in value.casefold()
        if isinstance(value, list | tuple):
            return any(_equal(item, wanted) for item in value)
        return False
    return False


def evaluate(rules: Sequence[Mapping[str, Any]], person: PersonFacts) -> bool:
    """Whether every rule holds for the person (no rule: everyone). Pure, and never raises:
    a rule it cannot read holds for nobody."""
    return all(_holds(rule, person) for rule in rules)


# --- checking a segment's rules ---------------------------------------------------------------


def _refuse(message: str, where: str, fr: str) -> InvalidSegment:
    return InvalidSegment(message, field=where, detail_fr=fr)


def _scalar(value: Any, where: str) -> Any:
    if isinstance(value, str):
        if len(value) > MAX_VALUE_LENGTH:
            raise _refuse(
                f"A value is at most {MAX_VALUE_LENGTH} characters.",
                where,
                f"Une valeur fait au plus {MAX_VALUE_LENGTH} caractères.",
            )
        try:
            return check_text(value)
        except ValueError as error:
            raise _refuse(
                f"{error}.", where, "La valeur contient un caractère illisible."
            ) from None
    if isinstance(value, bool) or (_is_number(value) and abs(value) <= 1e15):
        return value
    raise _refuse(
        "A value is a text, a number or true/false.",
        where,
        "Une valeur est un texte, un nombre ou vrai/faux.",
    )


def _field_rule(rule: Mapping[str, Any], where: str) -> dict[str, Any]:
    unknown = sorted(set(rule) - {"field", "op", "value"})
    if unknown:
        raise _refuse(
            f"A rule takes field, op and value, not {unknown[0][:30]!r}.",
            where,
            "Une règle prend un champ, un opérateur et une valeur.",
        )
    name = rule.get("field")
    if not isinstance(name, str):
        raise _refuse("A rule names its field.", f"{where}.field", "Une règle nomme son champ.")
    group, _, key = name.partition(".")
    known = (
        (group == "traits" and TRAIT_NAME.match(key) is not None)
        or (group == "computed" and key in COMPUTED_FIELDS)
        or (group == "loyalty" and key in LOYALTY_FIELDS)
    )
    if not known:
        raise _refuse(
            f"{name[:60]!r} is not a field a segment reads: traits.<name>, "
            f"computed.{{{','.join(COMPUTED_FIELDS)}}} or loyalty.{{{','.join(LOYALTY_FIELDS)}}}.",
            f"{where}.field",
            "Ce champ n'existe pas pour un segment.",
        )
    operator = rule.get("op")
    if operator not in OPERATORS:
        raise _refuse(
            f"The operator is one of {', '.join(OPERATORS)}.",
            f"{where}.op",
            "Opérateur inconnu.",
        )
    value = rule.get("value")
    if operator == "exists":
        if not isinstance(value, bool):
            raise _refuse(
                "exists takes true or false.", f"{where}.value", "« existe » prend vrai ou faux."
            )
    elif operator == "in":
        if not isinstance(value, list) or not value or len(value) > MAX_IN_VALUES:
            raise _refuse(
                f"in takes a list of 1 to {MAX_IN_VALUES} values.",
                f"{where}.value",
                f"« parmi » prend une liste de 1 à {MAX_IN_VALUES} valeurs.",
            )
        value = [_scalar(item, f"{where}.value") for item in value]
    else:
        value = _scalar(value, f"{where}.value")
        if operator in ("gte", "lte") and not (_is_number(value) or _moment(value) is not None):
            raise _refuse(
                f"{operator} compares with a number or a date (2026-03-14).",
                f"{where}.value",
                "Cette comparaison se fait avec un nombre ou une date.",
            )
    return {"field": name, "op": operator, "value": value}


def _bounded(value: Any, low: int, high: int, where: str, *, fr: str) -> int:
    if not _is_int(value) or not low <= value <= high:
        raise _refuse(f"{where.rsplit('.', 1)[-1]} lies between {low} and {high}.", where, fr)
    return int(value)


def _event_rule(rule: Mapping[str, Any], where: str) -> dict[str, Any]:
    unknown = sorted(set(rule) - {"event", "within_days", "min_count", "max_count"})
    if unknown:
        raise _refuse(
            f"An event rule takes event, within_days, min_count and max_count, not "
            f"{unknown[0][:30]!r}.",
            where,
            "Une règle d'événement prend un événement, une période et un nombre.",
        )
    name = rule.get("event")
    if not isinstance(name, str) or not name.strip():
        raise _refuse("An event rule names its event.", f"{where}.event", "Nommez l'événement.")
    checked: dict[str, Any] = {
        "event": _scalar(name, f"{where}.event"),
        "within_days": _bounded(
            rule.get("within_days"),
            1,
            MAX_DAYS,
            f"{where}.within_days",
            fr=f"La période va de 1 à {MAX_DAYS} jours.",
        ),
        "min_count": _bounded(
            rule.get("min_count", 1),
            0,
            MAX_COUNT,
            f"{where}.min_count",
            fr=f"Le nombre va de 0 à {MAX_COUNT}.",
        ),
    }
    if rule.get("max_count") is not None:
        checked["max_count"] = _bounded(
            rule["max_count"],
            checked["min_count"],
            MAX_COUNT,
            f"{where}.max_count",
            fr="Le maximum ne peut être inférieur au minimum.",
        )
    return checked


def check_rules(rules: Any) -> list[dict[str, Any]]:
    """A segment's rules in their stored shape, or :class:`InvalidSegment` naming the first
    that cannot be read (``rules[2].op``...)."""
    if not isinstance(rules, list):
        raise _refuse("A segment's rules are a list.", "rules", "Les règles forment une liste.")
    if len(rules) > MAX_RULES:
        raise _refuse(
            f"A segment has at most {MAX_RULES} rules.",
            "rules",
            f"Un segment a au plus {MAX_RULES} règles.",
        )
    checked = []
    for position, rule in enumerate(rules):
        where = f"rules[{position}]"
        if not isinstance(rule, Mapping):
            raise _refuse("A rule is an object.", where, "Une règle est un objet.")
        checked.append(_event_rule(rule, where) if "event" in rule else _field_rule(rule, where))
    return checked
