"""Money: integer minor units with an ISO 4217 currency, never floats."""

from __future__ import annotations

from dataclasses import dataclass

MINOR_UNITS = {"EUR": 2, "GBP": 2, "USD": 2, "CHF": 2, "JPY": 0}


@dataclass(frozen=True, order=True)
class Money:
    amount_minor: int
    currency: str

    def __post_init__(self) -> None:
        if len(self.currency) != 3 or not self.currency.isalpha() or not self.currency.isupper():
            raise ValueError(f"not an ISO 4217 code: {self.currency!r}")

    def format(self) -> str:
        """'49,90 EUR'-style text for people (French decimal comma)."""
        digits = MINOR_UNITS.get(self.currency, 2)
        sign = "-" if self.amount_minor < 0 else ""
        whole, fraction = divmod(abs(self.amount_minor), 10**digits)
        if digits == 0:
            return f"{sign}{whole} {self.currency}"
        return f"{sign}{whole},{fraction:0{digits}d} {self.currency}"
