"""The retailer's order policy: sourcing rules, how long stock is held, which networks."""

from __future__ import annotations

from dataclasses import dataclass, field

from omnicanal.fulfilment.sourcing import SourcingRules
from omnicanal.platform.config import Settings

DAY = 24 * 60 * 60


@dataclass(frozen=True)
class OrderPolicy:
    """Settings of checkout and fulfilment, with the defaults a fashion retailer would use."""

    currency: str = "EUR"
    sourcing: SourcingRules = field(default_factory=SourcingRules)
    # Reservations of ship and pickup orders last until handover (the inventory module caps
    # a reservation at 30 days); an uncollected pickup expires sooner, by the sweeper.
    hold_days: int = 30
    pickup_window_days: int = 7
    reserve_and_try_days: int = 3
    carry_out_ttl_seconds: int = 60
    # An endless-aisle order is sold in a store and sent from the online network.
    endless_aisle_network: str = "web"
    # A pickup or a hold at a store outside the order channel's network uses the stores'.
    store_network: str = "store"

    @property
    def hold_seconds(self) -> int:
        return self.hold_days * DAY

    @classmethod
    def from_settings(cls, settings: Settings) -> OrderPolicy:
        """The policy of a running platform (its currency; default rules otherwise)."""
        return cls(currency=settings.default_currency)
