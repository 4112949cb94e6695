"""The coupon a message offers: a single-use promotion personal to the person it is sent to,
made when the message is sent (never for a message withdrawn or withheld), as a loyalty
reward's is (``loyalty/service/rewards.py``).

The promotions engine holds the rule: the coupon requires its code (``RELANCE-…``), is used
once (``usage_limit`` 1) on any channel, ends after the trigger's ``valid_days``, and only
the person's carts and orders may use it (``customer_refs``: every reference they may be
filed under). The checkout's coupon path redeems it under a conditional update, so two
channels using it at once use it once.
"""

from __future__ import annotations

import secrets
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

from sqlalchemy.orm import Session

from omnicanal.customers import service as customers
from omnicanal.platform.actors import Actor
from omnicanal.pricing import promotions
from omnicanal.pricing.engine import Kind, Target
from omnicanal.pricing.schemas import MAX_CUSTOMER_REFS, PromotionIn

__all__ = ["CODE_PREFIX", "Coupon", "make_coupon"]

CODE_PREFIX = "RELANCE-"
CODE_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"
"""Read aloud and typed at a till: no 0/O, no 1/I."""
CODE_LENGTH = 6


@dataclass(frozen=True)
class Coupon:
    """A coupon made for a message: its code, what it gives and until when."""

    code: str
    percent: int | None
    amount_minor: int | None
    currency: str | None
    valid_until: datetime

    def context(self) -> dict[str, Any]:
        """The coupon as a template reads it."""
        return {
            "code": self.code,
            "percent": self.percent,
            "amount_minor": self.amount_minor,
            "currency": self.currency,
            "valid_until": self.valid_until.isoformat(),
        }


def _new_code(session: Session) -> str:
    while True:
        code = CODE_PREFIX + "".join(secrets.choice(CODE_ALPHABET) for _ in range(CODE_LENGTH))
        if not promotions.coupon_uses(session, codes=[code]):
            return code


def make_coupon(
    session: Session,
    *,
    offer: Mapping[str, Any],
    profile_id: str,
    trigger_name: str,
    currency: str,
    now: datetime,
    actor: Actor,
) -> Coupon:
    """Make the personal coupon a trigger's ``offer`` describes (``percent`` or
    ``amount_minor``, ``valid_days``) for the person ``profile_id``, from ``now``; an amount
    is in the offer's ``currency``, else ``currency``."""
    code = _new_code(session)
    percent = offer.get("percent")
    amount = offer.get("amount_minor")
    valid_until = now + timedelta(days=int(offer.get("valid_days", 7)))
    references = customers.reference_forms(session, profile_id=profile_id)
    money = str(offer.get("currency") or currency) if amount is not None else None
    promotions.create_promotion(
        session,
        data=PromotionIn(
            code=code,
            name=f"{trigger_name}: {code}"[:200],
            kind=Kind.percent_off if percent is not None else Kind.amount_off,
            target=Target.cart,
            percent=Decimal(int(percent)) if percent is not None else None,
            amount_minor=int(amount) if amount is not None else None,
            currency=money,
            requires_coupon=True,
            usage_limit=1,
            # Usable from its making: no start, so no clock between two processes refuses it.
            ends_at=valid_until,
            customer_refs=list(references[:MAX_CUSTOMER_REFS]),
        ),
        actor=actor,
    )
    return Coupon(
        code=code,
        percent=int(percent) if percent is not None else None,
        amount_minor=int(amount) if amount is not None else None,
        currency=money,
        valid_until=valid_until,
    )
