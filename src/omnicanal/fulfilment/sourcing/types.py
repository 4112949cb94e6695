"""What sourcing takes and gives: sites, lines, rules, and the explained decision."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from omnicanal.fulfilment.states import HOME_DELIVERY, Method
from omnicanal.platform.reasons import Reason


class Criterion(StrEnum):
    fewest_shipments = "fewest_shipments"
    prefer_warehouses = "prefer_warehouses"
    nearest = "nearest"
    channel_priority = "channel_priority"


@dataclass(frozen=True)
class Site:
    """A location that may fulfil lines, with what it can do."""

    code: str
    kind: str = "store"
    latitude: float = 0.0
    longitude: float = 0.0
    ships: bool = False
    click_and_collect: bool = False
    sells_in_store: bool = False
    priority: int = 100


@dataclass(frozen=True)
class Point:
    latitude: float
    longitude: float


@dataclass(frozen=True)
class LineRequest:
    """One order line to source.

    ``location`` is the store of an at-store method; ``candidates`` limits a home delivery
    to some sites (None: every site given); ``excluded`` lists sites that already rejected
    the line.
    """

    line: str
    sku: str
    quantity: int
    method: Method
    location: str | None = None
    candidates: frozenset[str] | None = None
    excluded: frozenset[str] = frozenset()


@dataclass(frozen=True)
class SourcingRules:
    """The retailer's sourcing policy."""

    criteria: tuple[Criterion, ...] = (
        Criterion.fewest_shipments,
        Criterion.prefer_warehouses,
        Criterion.nearest,
        Criterion.channel_priority,
    )
    protected_store_units: int = 2
    allow_split: bool = True
    max_sources_per_line: int = 3
    warehouse_kinds: frozenset[str] = frozenset({"warehouse", "dark_store"})
    exhaustive_up_to: int = 3
    exhaustive_budget: int = 50_000


@dataclass(frozen=True)
class Allocation:
    """Units of a line taken from one location."""

    line: str
    sku: str
    location: str
    quantity: int
    method: Method
    distance_km: float | None = None


@dataclass(frozen=True)
class Shortfall:
    """A line (or part of it) that cannot be sourced: the refusal's machine code
    (``reason``), and why in detail (``why``: a reason code with its parameters)."""

    line: str
    sku: str
    requested: int
    sourced: int
    reason: str
    why: Reason

    @property
    def detail(self) -> str:
        """Why, in English."""
        return self.why.text


@dataclass(frozen=True)
class Decision:
    """Where each line comes from, what could not be sourced, and why."""

    allocations: tuple[Allocation, ...]
    shortfalls: tuple[Shortfall, ...] = ()
    reasons: tuple[Reason, ...] = ()
    """One reason per choice, then one per shortfall."""

    @property
    def explanation(self) -> tuple[str, ...]:
        """The reasons in English, one sentence each."""
        return tuple(reason.text for reason in self.reasons)

    @property
    def complete(self) -> bool:
        return not self.shortfalls

    @property
    def shipments(self) -> int:
        """How many locations send a home delivery."""
        return len({a.location for a in self.allocations if a.method in HOME_DELIVERY})

    def for_line(self, line: str) -> tuple[Allocation, ...]:
        return tuple(a for a in self.allocations if a.line == line)
