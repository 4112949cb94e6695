"""The values the matcher takes and gives: person records, thresholds and match scores."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Literal

Decision = Literal["merge", "review", "household", "distinct"]


@dataclass(frozen=True)
class PersonRecord:
    """One customer record as a channel saw it: a till, a web account, an app profile."""

    record_id: str
    given_name: str = ""
    family_name: str = ""
    birth_date: date | None = None
    street: str = ""
    postcode: str = ""
    city: str = ""
    phone: str | None = None  # E.164, e.g. "+33612345678"
    email: str | None = None
    phone_is_landline: bool = False

    @property
    def is_person(self) -> bool:
        """A name and something to find the person by (an address, a phone, an e-mail, a
        birth date): a till record with only a landline is one, a bare cookie is not."""
        named = bool(self.given_name.strip() or self.family_name.strip())
        located = any(value.strip() for value in (self.street, self.postcode, self.city)) or bool(
            self.phone or self.email or self.birth_date
        )
        return named and located


@dataclass(frozen=True)
class Thresholds:
    """Match probabilities at and above which a pair is merged, or queued for review."""

    # Calibrated probabilities, three classes: at 0.9 the doubt left is mostly a namesake
    # housemate, and merges are planned so that none joins records that tell two people
    # apart (``clusters``); below, a person decides (ADR 0007).
    merge: float = 0.9
    review: float = 0.8

    def __post_init__(self) -> None:
        if not 0.0 < self.review <= self.merge < 1.0:
            raise ValueError(
                f"thresholds need 0 < review <= merge < 1, got review={self.review}, "
                f"merge={self.merge}"
            )


@dataclass(frozen=True)
class MatchScore:
    """How strongly two records look like one person, what to do, and why."""

    weight: float  # sum of the log2 Bayes factors of every comparison
    probability: float  # posterior match probability, with the estimated prior
    decision: Decision
    reasons: list[str] = field(default_factory=list)
