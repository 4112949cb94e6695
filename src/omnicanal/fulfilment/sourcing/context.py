"""The working state of one sourcing decision: costs, stock left, what was decided."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from omnicanal.fulfilment.sourcing.reasons import rounded_km
from omnicanal.fulfilment.sourcing.types import (
    Allocation,
    Criterion,
    LineRequest,
    Point,
    Shortfall,
    Site,
    SourcingRules,
)
from omnicanal.fulfilment.states import HOME_DELIVERY
from omnicanal.network.geo import great_circle_km
from omnicanal.platform.reasons import Param, Reason


@dataclass
class Context:
    sites: dict[str, Site]
    stock: Mapping[tuple[str, str], int]
    taken: dict[tuple[str, str], int]
    destination: Point | None
    rules: SourcingRules
    allocations: list[Allocation] = field(default_factory=list)
    shortfalls: list[Shortfall] = field(default_factory=list)
    reasons: list[Reason] = field(default_factory=list)
    _distances: dict[str, float | None] = field(default_factory=dict)
    _costs: dict[str, tuple[float, ...]] = field(default_factory=dict)
    _allowed: dict[LineRequest, frozenset[str]] = field(default_factory=dict)

    def is_warehouse(self, site: Site) -> bool:
        return site.kind in self.rules.warehouse_kinds

    def distance(self, code: str) -> float | None:
        if code not in self._distances:
            site = self.sites[code]
            self._distances[code] = (
                None
                if self.destination is None
                else great_circle_km(
                    self.destination.latitude,
                    self.destination.longitude,
                    site.latitude,
                    site.longitude,
                )
            )
        return self._distances[code]

    def cost(self, code: str) -> tuple[float, ...]:
        """The site's cost vector, one entry per criterion; plans add them up."""
        if code not in self._costs:
            self._costs[code] = self._cost(code)
        return self._costs[code]

    def _cost(self, code: str) -> tuple[float, ...]:
        site = self.sites[code]
        values: list[float] = []
        for criterion in self.rules.criteria:
            if criterion is Criterion.fewest_shipments:
                values.append(1)
            elif criterion is Criterion.prefer_warehouses:
                values.append(0 if self.is_warehouse(site) else 1)
            elif criterion is Criterion.nearest:
                values.append(self.distance(code) or 0.0)
            else:
                values.append(site.priority)
        return tuple(values)

    def allowed(self, line: LineRequest) -> frozenset[str]:
        """The sites that may ship ``line``."""
        if line not in self._allowed:
            self._allowed[line] = frozenset(
                code
                for code, site in self.sites.items()
                if site.ships
                and code not in line.excluded
                and (line.candidates is None or code in line.candidates)
            )
        return self._allowed[line]

    def site_params(self, code: str, name: str) -> dict[str, Param]:
        """A location as a reason names it: its code, its kind, its distance when known."""
        site = self.sites[code]
        params: dict[str, Param] = {
            name: code,
            f"{name}_kind": "warehouse" if self.is_warehouse(site) else site.kind,
        }
        kilometres = self.distance(code)
        if kilometres is not None:
            params[f"{name}_km"] = rounded_km(kilometres)
        return params

    def left(self, sku: str, code: str) -> int:
        """Units of ``sku`` still available at the site (this decision's takings deducted)."""
        return max(self.stock.get((sku, code), 0) - self.taken.get((sku, code), 0), 0)

    def shippable(self, sku: str, code: str) -> int:
        """Units of ``sku`` the site may ship: a store keeps its protected last units."""
        have = self.left(sku, code)
        if not self.is_warehouse(self.sites[code]):
            have -= self.rules.protected_store_units
        return max(have, 0)

    def take(self, line: LineRequest, code: str, quantity: int) -> None:
        self.taken[(line.sku, code)] = self.taken.get((line.sku, code), 0) + quantity
        distance = self.distance(code) if line.method in HOME_DELIVERY else None
        self.allocations.append(
            Allocation(line.line, line.sku, code, quantity, line.method, distance)
        )
