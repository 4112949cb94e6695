"""Sourcing: which location(s) fulfil each order line, decided by pure, explained rules.

Lines fulfilled at a store the customer chose (pickup, reserve & try, carry-out) are sourced
there or not at all. Home deliveries (ship, endless aisle) are sourced by the rules, in the
order of :attr:`SourcingRules.criteria`:

* ``fewest_shipments``: the plan with the fewest locations wins; every plan of one, two and
  three locations is searched exhaustively, beyond that a greedy cover takes over;
* ``prefer_warehouses``: among plans of as many shipments, the one using fewer stores;
* ``nearest``: then the smallest total great-circle distance to the delivery address;
* ``channel_priority``: then the channel's own preference order.

A store never ships below :attr:`SourcingRules.protected_store_units` units of a SKU: they
stay on its shop floor for walk-in customers. A line is split over several locations only
when no single one can send it whole. Every decision carries its explanation, one sentence
per choice (a reason code with its parameters, see ``reasons.py``). Nothing here touches the
database.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from omnicanal.fulfilment.sourcing.at_store import source_at_store
from omnicanal.fulfilment.sourcing.context import Context
from omnicanal.fulfilment.sourcing.home import source_home
from omnicanal.fulfilment.sourcing.types import (
    Allocation,
    Criterion,
    Decision,
    LineRequest,
    Point,
    Shortfall,
    Site,
    SourcingRules,
)
from omnicanal.fulfilment.states import AT_STORE, HOME_DELIVERY

__all__ = [
    "Allocation",
    "Criterion",
    "Decision",
    "LineRequest",
    "Point",
    "Shortfall",
    "Site",
    "SourcingRules",
    "source",
]


def source(
    lines: Iterable[LineRequest],
    *,
    sites: Iterable[Site],
    stock: Mapping[tuple[str, str], int],
    destination: Point | None = None,
    rules: SourcingRules | None = None,
) -> Decision:
    """Choose the location(s) of every line; ``stock`` maps (SKU, site code) to available units."""
    requests = list(lines)
    for request in requests:
        if request.quantity <= 0:
            raise ValueError(f"line {request.line}: a quantity is positive")
    context = Context(
        sites={site.code: site for site in sites},
        stock=stock,
        taken={},
        destination=destination,
        rules=rules or SourcingRules(),
    )
    for request in requests:
        if request.method in AT_STORE:
            source_at_store(context, request)
    source_home(context, [r for r in requests if r.method in HOME_DELIVERY])
    order = {request.line: index for index, request in enumerate(requests)}
    allocations = sorted(context.allocations, key=lambda a: (order[a.line], a.location))
    shortfalls = sorted(context.shortfalls, key=lambda s: order[s.line])
    reasons = [*context.reasons, *(shortfall.why for shortfall in shortfalls)]
    return Decision(tuple(allocations), tuple(shortfalls), tuple(reasons))
