"""A person at a glance before their data is handed over or erased: who they are, by which
identifiers they are known, and how much omnicanal holds about them.

Read from the export itself (:func:`omnicanal.privacy.service.export_person`), so what the
back office shows is what the download holds.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import Any

__all__ = ["ErasureReason", "PersonSummary", "summarise"]


class ErasureReason(StrEnum):
    """Why a person is erased, as recorded on the erasure and in ``customer.erased``.

    Codes, never free text: the record outlives the person, so it must not hold what they
    wrote or said (RGPD art. 17(1))."""

    request = "request"
    """They asked to be forgotten (art. 17(1)(a))."""
    consent_withdrawn = "consent_withdrawn"
    """They withdrew the consent the processing rested on (art. 17(1)(b))."""
    objection = "objection"
    """They objected to the processing, marketing included (art. 17(1)(c), art. 21)."""
    unlawful = "unlawful"
    """The data was processed unlawfully (art. 17(1)(d))."""


@dataclass(frozen=True)
class PersonSummary:
    """Who the person is and how many records of each kind omnicanal holds about them."""

    profile_id: str
    name: str
    identifiers: list[tuple[str, str]]
    """(kind, value), strongest kinds first as the export lists them, each pair once."""
    profiles: int
    orders: int
    carts: int
    events: int
    """Entries of their timeline."""
    tracking_messages: int
    reservations: int


def _name(traits: list[dict[str, Any]]) -> str:
    latest: dict[str, tuple[str, Any]] = {}
    for trait in traits:
        seen = str(trait.get("observed_at") or "")
        if trait.get("name") not in latest or seen > latest[trait["name"]][0]:
            latest[trait["name"]] = (seen, trait.get("value"))
    parts = (latest.get(name, ("", None))[1] for name in ("first_name", "last_name"))
    return " ".join(str(part) for part in parts if isinstance(part, str | int) and part != "")


def summarise(export: dict[str, Any]) -> PersonSummary:
    """The summary of one person's export (as :func:`export_person` returns it)."""
    identifiers = list(
        dict.fromkeys(
            (str(row["kind"]), str(row["value"]))
            for row in export.get("identifiers", [])
            if not row.get("shared")
        )
    )
    return PersonSummary(
        profile_id=export["person"]["profile_id"],
        name=_name(export.get("traits", [])),
        identifiers=identifiers,
        profiles=len(export["person"].get("profile_ids", [])),
        orders=len(export.get("orders", [])),
        carts=len(export.get("carts", [])),
        events=len(export.get("timeline", [])),
        tracking_messages=len(export.get("tracking_messages", [])),
        reservations=len(export.get("reservations", [])),
    )
