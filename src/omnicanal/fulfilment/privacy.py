"""The fulfilment module's part of a person's rights: delivery addresses without the person."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from omnicanal.fulfilment.models import Fulfilment

__all__ = ["anonymise_deliveries"]


def anonymise_deliveries(
    session: Session,
    *,
    order_ids: Sequence[str],
    keep: Callable[[dict[str, Any] | None], dict[str, Any] | None],
) -> int:
    """Replace the delivery address of these orders' fulfilments by ``keep(address)``."""
    changed = 0
    for fulfilment in session.scalars(
        select(Fulfilment).where(
            Fulfilment.order_id.in_(order_ids), Fulfilment.delivery_address.is_not(None)
        )
    ):
        fulfilment.delivery_address = keep(fulfilment.delivery_address)
        changed += 1
    session.flush()
    return changed
