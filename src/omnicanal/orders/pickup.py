"""Why a store holding a basket's items is not offered for click & collect.

A clerk sees the pickup stores nearest first and asks, rightly, why the store down the road
that has the dress on its shelf is not among them. Each store holding every line on hand is
offered, or not for one reason, checked in this order:

1. ``store_sales_only``: the store does not fulfil the channel's pickups at all; what it
   holds sells over its own counter only;
2. ``no_click_and_collect``: it does not offer click & collect;
3. ``held_for_orders``: the units on its shelf are reserved for other orders;
4. ``kept_for_walk_ins``: what is left is its safety stock, kept for walk-in customers;
5. ``too_far``: it could serve the pickup, but nearer stores fill the list offered.

Pure: no database here; ``orders.service.pickup`` gathers the facts.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass
from enum import StrEnum

__all__ = ["ExcludedStore", "Exclusion", "StoreHolding", "exclusions", "why_not_offered"]


class Exclusion(StrEnum):
    store_sales_only = "store_sales_only"
    no_click_and_collect = "no_click_and_collect"
    held_for_orders = "held_for_orders"
    kept_for_walk_ins = "kept_for_walk_ins"
    too_far = "too_far"


@dataclass(frozen=True, slots=True)
class StoreHolding:
    """A store that has every line of the basket on hand, and what it may do with it."""

    location: str
    name: str
    distance_km: float | None
    serves_channel: bool  # the store fulfils the channel's pickups
    click_and_collect: bool
    unreserved_covers: bool  # on hand less reserved covers every line
    available_covers: bool  # ... and less the safety stock too


@dataclass(frozen=True, slots=True)
class ExcludedStore:
    """A store holding the items that is not offered, and why (a code pages put in words)."""

    location: str
    name: str
    distance_km: float | None
    reason: Exclusion


def why_not_offered(store: StoreHolding) -> Exclusion | None:
    """The first reason the store cannot serve the pickup; None when it can."""
    if not store.serves_channel:
        return Exclusion.store_sales_only
    if not store.click_and_collect:
        return Exclusion.no_click_and_collect
    if not store.unreserved_covers:
        return Exclusion.held_for_orders
    if not store.available_covers:
        return Exclusion.kept_for_walk_ins
    return None


def exclusions(
    holdings: Sequence[StoreHolding], *, offered: Collection[str], limit: int
) -> list[ExcludedStore]:
    """The stores holding the items that are not among ``offered``, nearest first, at most
    ``limit``: each with its reason, or ``too_far`` when it could serve but the list
    offered was full of nearer stores (with no distance known, those are left out)."""
    found = []
    for store in sorted(
        holdings, key=lambda s: (s.distance_km is None, s.distance_km or 0.0, s.location)
    ):
        if store.location in offered:
            continue
        reason = why_not_offered(store)
        if reason is None:
            if store.distance_km is None:
                continue
            reason = Exclusion.too_far
        found.append(
            ExcludedStore(
                location=store.location,
                name=store.name,
                distance_km=store.distance_km,
                reason=reason,
            )
        )
    return found[:limit]
