"""Returns as a profile's timeline sees them (pure): which return, why, how it ended, and how
satisfied the customer said they were.

The ``return.*`` domain events (see ``omnicanal.returns.events``) join the customer's
timeline as orders do, and every one of them carries the return's id, its status, its lines
with their reason codes and, once the customer gave one, their satisfaction score (1 to 5).
:func:`return_facts` reads one event; :func:`fold_returns` folds a profile's events into its
returns, newest first; :func:`satisfaction_summary` gives the last score, the return it was
given for, and the average over the profile's scored returns. Like the order facts of
``customers.commerce``, they are derived when a profile is read: nothing more is stored.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

__all__ = [
    "RETURN_EVENT_PREFIX",
    "ProfileReturn",
    "ReturnFacts",
    "ReturnedItem",
    "Satisfaction",
    "fold_returns",
    "return_facts",
    "satisfaction_summary",
]

RETURN_EVENT_PREFIX = "return."
SCORES = range(1, 6)


@dataclass(frozen=True)
class ReturnedItem:
    """Units of one SKU that came back, and why."""

    sku: str
    reason: str


@dataclass(frozen=True)
class ReturnFacts:
    """What one ``return.*`` event says of its return."""

    return_id: str
    order_id: str | None
    status: str
    reasons: tuple[str, ...]
    items: tuple[ReturnedItem, ...]
    satisfaction: int | None
    new_skus: tuple[str, ...] = ()
    """What the customer took instead (an exchange)."""


@dataclass(frozen=True)
class ProfileReturn:
    """One return of the profile, from all its events: opened when first seen, as it is now."""

    return_id: str
    order_id: str | None
    opened_at: datetime
    updated_at: datetime
    status: str
    reasons: tuple[str, ...]
    items: tuple[ReturnedItem, ...]
    satisfaction: int | None
    scored_at: datetime | None
    """When the customer's score was first seen (at the counter: when the return opened)."""
    new_skus: tuple[str, ...] = ()


@dataclass(frozen=True)
class Satisfaction:
    """The customer's last satisfaction score, the return it was given at, and the average
    over every return they scored."""

    score: int
    at: datetime
    return_id: str
    reasons: tuple[str, ...]
    average: Decimal
    """Rounded to one decimal (half up)."""
    scored_returns: int


def _text(value: Any) -> str | None:
    return value if isinstance(value, str) and value else None


def _score(value: Any) -> int | None:
    if isinstance(value, int) and not isinstance(value, bool) and value in SCORES:
        return value
    return None


def _items(lines: Any) -> tuple[ReturnedItem, ...]:
    if not isinstance(lines, list):
        return ()
    found = []
    for line in lines:
        if isinstance(line, Mapping):
            sku, reason = _text(line.get("sku")), _text(line.get("reason"))
            if sku is not None and reason is not None:
                found.append(ReturnedItem(sku=sku, reason=reason))
    return tuple(found)


def _strings(values: Any) -> tuple[str, ...]:
    if not isinstance(values, list):
        return ()
    return tuple(dict.fromkeys(value for value in values if _text(value)))


def return_facts(name: str, data: Mapping[str, Any]) -> ReturnFacts | None:
    """The return facts in a ``return.*`` domain event's data; None for any other event, or
    data that names no return (an erased person's event keeps no id)."""
    if not name.startswith(RETURN_EVENT_PREFIX):
        return None
    return_id, status = _text(data.get("return_id")), _text(data.get("status"))
    if return_id is None or status is None:
        return None
    items = _items(data.get("lines"))
    reasons = _strings(data.get("reason_codes")) or tuple(
        dict.fromkeys(item.reason for item in items)
    )
    return ReturnFacts(
        return_id=return_id,
        order_id=_text(data.get("order_id")),
        status=status,
        reasons=reasons,
        items=items,
        satisfaction=_score(data.get("satisfaction")),
        new_skus=_strings(data.get("new_skus")),
    )


def fold_returns(facts: Iterable[tuple[datetime, ReturnFacts]]) -> list[ProfileReturn]:
    """Fold the events' facts (any order) into one entry per return, the newest opened
    first: its status and lines as its latest event says, its score as last given."""
    found: dict[str, ProfileReturn] = {}
    for at, fact in sorted(facts, key=lambda item: item[0]):
        seen = found.get(fact.return_id)
        if seen is None:
            found[fact.return_id] = ProfileReturn(
                return_id=fact.return_id,
                order_id=fact.order_id,
                opened_at=at,
                updated_at=at,
                status=fact.status,
                reasons=fact.reasons,
                items=fact.items,
                satisfaction=fact.satisfaction,
                scored_at=at if fact.satisfaction is not None else None,
                new_skus=fact.new_skus,
            )
            continue
        changed = fact.satisfaction is not None and fact.satisfaction != seen.satisfaction
        found[fact.return_id] = ProfileReturn(
            return_id=seen.return_id,
            order_id=seen.order_id or fact.order_id,
            opened_at=seen.opened_at,
            updated_at=at,
            status=fact.status,
            reasons=fact.reasons or seen.reasons,
            items=fact.items or seen.items,
            satisfaction=fact.satisfaction if fact.satisfaction is not None else seen.satisfaction,
            scored_at=at if changed else seen.scored_at,
            new_skus=fact.new_skus or seen.new_skus,
        )
    return sorted(
        found.values(), key=lambda entry: (entry.opened_at, entry.return_id), reverse=True
    )


def satisfaction_summary(returns: Sequence[ProfileReturn]) -> Satisfaction | None:
    """The last score given (the latest scored), its return and reasons, and the average of
    every scored return; None when the customer never gave a score."""
    scored = [entry for entry in returns if entry.satisfaction is not None]
    if not scored:
        return None
    last = max(scored, key=lambda entry: (entry.scored_at or entry.opened_at, entry.return_id))
    assert last.satisfaction is not None
    total = sum(entry.satisfaction or 0 for entry in scored)
    average = (Decimal(total) / len(scored)).quantize(Decimal("0.1"), rounding=ROUND_HALF_UP)
    return Satisfaction(
        score=last.satisfaction,
        at=last.scored_at or last.opened_at,
        return_id=last.return_id,
        reasons=last.reasons,
        average=average,
        scored_returns=len(scored),
    )
