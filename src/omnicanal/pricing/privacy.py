"""The pricing module's part of a person's rights: coupon redemptions without the person."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from omnicanal.platform.db import rowcount
from omnicanal.pricing.models import CouponRedemption

__all__ = ["anonymise_redemptions", "export_redemptions"]


def export_redemptions(session: Session, *, customer_refs: Sequence[str]) -> list[dict[str, Any]]:
    """The coupons the person redeemed."""
    return [
        dict(row._mapping)
        for row in session.execute(
            select(CouponRedemption.__table__)
            .where(CouponRedemption.customer_ref.in_(customer_refs))
            .order_by(CouponRedemption.redeemed_at)
        )
    ]


def anonymise_redemptions(session: Session, *, customer_refs: Sequence[str]) -> int:
    """Keep the redemptions (a promotion's usage count) without saying who redeemed them."""
    return rowcount(
        session.execute(
            update(CouponRedemption)
            .where(CouponRedemption.customer_ref.in_(customer_refs))
            .values(customer_ref=None)
            .execution_options(synchronize_session=False)
        )
    )
