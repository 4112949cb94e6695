"""The retailer's return policy as a running platform configures it."""

from __future__ import annotations

from dataclasses import dataclass, field

from omnicanal.orders.policy import OrderPolicy
from omnicanal.platform.config import Settings
from omnicanal.returns.rules import ReturnRules

__all__ = ["ReturnPolicy"]


@dataclass(frozen=True)
class ReturnPolicy:
    """The return rules, how long a postal label is valid, the key that signs it, and the
    order policy an exchange sells under."""

    secret_key: str
    rules: ReturnRules = field(default_factory=ReturnRules)
    authorisation_days: int = 30
    orders: OrderPolicy = field(default_factory=OrderPolicy)

    @classmethod
    def from_settings(cls, settings: Settings) -> ReturnPolicy:
        """The policy of a running platform, from its settings."""
        return cls(
            secret_key=settings.resolved_secret_key(),
            rules=ReturnRules(
                window_days=settings.returns_window_days,
                window_days_by_channel=dict(settings.returns_window_days_by_channel),
                window_days_by_category=dict(settings.returns_window_days_by_category),
                high_value_line_minor=settings.returns_high_value_line_minor,
                high_value_total_minor=settings.returns_high_value_total_minor,
            ),
            authorisation_days=settings.returns_authorisation_days,
            orders=OrderPolicy.from_settings(settings),
        )
