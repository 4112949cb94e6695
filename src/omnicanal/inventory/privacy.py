"""The inventory module's part of a person's rights: the reservations held for their orders.

A reservation names an order (its ``reference``), never a person: there is nothing to erase
here, only to export."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from omnicanal.catalog.models import Variant
from omnicanal.inventory.models import Reservation
from omnicanal.network.models import Location

__all__ = ["export_reservations"]


def export_reservations(session: Session, *, references: Sequence[str]) -> list[dict[str, Any]]:
    """Reservations held for these orders or carts, with their SKU and location."""
    rows = session.execute(
        select(Reservation.__table__, Variant.sku, Location.code.label("location"))
        .join(Variant, Variant.id == Reservation.variant_id)
        .join(Location, Location.id == Reservation.location_id)
        .where(Reservation.reference.in_(references))
        .order_by(Reservation.created_at, Reservation.id)
    )
    return [dict(row._mapping) for row in rows]
