"""The inventory module's part of a person's rights: the reservations held for their orders.

A reservation names an order (its ``reference``), never a person: there is nothing to erase
here, only to export."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from omnicanal.catalog import service as catalog
from omnicanal.inventory.models import Reservation
from omnicanal.network import service as network

__all__ = ["export_reservations"]


def export_reservations(session: Session, *, references: Sequence[str]) -> list[dict[str, Any]]:
    """Reservations held for these orders or carts, with their SKU and location."""
    rows = session.execute(
        select(Reservation.__table__)
        .where(Reservation.reference.in_(references))
        .order_by(Reservation.created_at, Reservation.id)
    ).all()
    variants = catalog.variants_by_id(session, {row.variant_id for row in rows})
    locations = network.locations_by_id(session, {row.location_id for row in rows})
    return [
        {
            **row._mapping,
            "sku": variants[row.variant_id].sku,
            "location": locations[row.location_id].code,
        }
        for row in rows
    ]
