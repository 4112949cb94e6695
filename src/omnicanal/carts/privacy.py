"""The carts module's part of a person's rights: their carts (open and closed, with lines),
exported or deleted."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import delete, or_, select, update
from sqlalchemy.orm import Session

from omnicanal.carts.models import Cart, CartLine

__all__ = ["erase_carts", "export_carts"]


def _owned(customer_refs: Sequence[str], anonymous_ids: Sequence[str]) -> Any:
    return or_(Cart.customer_ref.in_(customer_refs), Cart.anonymous_id.in_(anonymous_ids))


def export_carts(
    session: Session, *, customer_refs: Sequence[str], anonymous_ids: Sequence[str]
) -> list[dict[str, Any]]:
    """Every cart filed under one of the person's references or cookies, with its lines."""
    carts = [
        dict(row._mapping)
        for row in session.execute(
            select(Cart.__table__)
            .where(_owned(customer_refs, anonymous_ids))
            .order_by(Cart.created_at, Cart.id)
        )
    ]
    for cart in carts:
        cart["lines"] = [
            dict(row._mapping)
            for row in session.execute(
                select(CartLine.__table__)
                .where(CartLine.cart_id == cart["id"])
                .order_by(CartLine.position)
            )
        ]
    return carts


def erase_carts(
    session: Session, *, customer_refs: Sequence[str], anonymous_ids: Sequence[str]
) -> list[str]:
    """Delete the person's carts and their lines; returns the deleted carts' ids."""
    ids = list(session.scalars(select(Cart.id).where(_owned(customer_refs, anonymous_ids))))
    if not ids:
        return []
    session.execute(
        update(Cart)
        .where(Cart.merged_into_id.in_(ids))
        .values(merged_into_id=None)
        .execution_options(synchronize_session=False)
    )
    session.execute(
        delete(CartLine)
        .where(CartLine.cart_id.in_(ids))
        .execution_options(synchronize_session=False)
    )
    session.execute(
        delete(Cart).where(Cart.id.in_(ids)).execution_options(synchronize_session=False)
    )
    return ids
