"""Use cases of promotions: create, list, and load those in force for the engine.

A *personal* coupon (``customer_refs``) is one customer's: a loyalty reward. Only their carts
and orders may use it (``pricing.service.check_coupon``), and the lists of promotions leave
it out: it is the customer's, not a campaign."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from decimal import Decimal

from sqlalchemy import ColumnElement, or_, select, update
from sqlalchemy.orm import Session

from omnicanal.catalog import service as catalog
from omnicanal.network import service as network
from omnicanal.platform.actors import Actor
from omnicanal.platform.clock import as_utc
from omnicanal.platform.db import rowcount
from omnicanal.platform.events import record_event
from omnicanal.pricing import engine
from omnicanal.pricing.errors import PromotionExists, UnknownPromotion
from omnicanal.pricing.events import PromotionCreated
from omnicanal.pricing.models import Promotion
from omnicanal.pricing.schemas import PromotionIn, PromotionOut

BASIS_POINTS = Decimal(100)


def _conditions(given: dict[str, str | list[str]]) -> dict[str, list[str]]:
    return {
        attribute: sorted({value} if isinstance(value, str) else set(value))
        for attribute, value in given.items()
    }


def _percent(basis_points: int | None) -> Decimal | None:
    return None if basis_points is None else Decimal(basis_points) / BASIS_POINTS


def create_promotion(session: Session, *, data: PromotionIn, actor: Actor) -> PromotionOut:
    """Create a promotion (a coupon when it requires its code); SKUs and channels must exist."""
    if session.scalar(select(Promotion.id).where(Promotion.code == data.code)) is not None:
        raise PromotionExists(f"A promotion with code {data.code} already exists.", field="code")
    skus = sorted(set(data.skus))
    bundle = sorted(set(data.bundle_skus))
    if skus or bundle:
        catalog.resolve_skus(session, [*skus, *bundle])
    for channel in sorted(set(data.channels)):
        network.get_channel(session, channel)
    promotion = Promotion(
        code=data.code,
        name=data.name,
        kind=data.kind.value,
        target=data.target.value,
        skus=skus,
        categories=sorted(set(data.categories)),
        percent_bp=int(data.percent * BASIS_POINTS) if data.percent is not None else None,
        amount_minor=data.amount_minor,
        buy_quantity=data.buy_quantity,
        get_quantity=data.get_quantity,
        get_percent_bp=int(data.get_percent * BASIS_POINTS),
        bundle_skus=bundle,
        currency=data.currency,
        requires_coupon=data.requires_coupon,
        usage_limit=data.usage_limit,
        times_used=0,
        customer_conditions=_conditions(data.customer_conditions),
        channels=sorted(set(data.channels)),
        starts_at=data.starts_at,
        ends_at=data.ends_at,
        priority=data.priority,
        stackable=data.stackable,
        exclusive=data.exclusive,
        min_subtotal_minor=data.min_subtotal_minor,
        customer_refs=_references(data.customer_refs),
        created_by=actor.label,
    )
    session.add(promotion)
    session.flush()
    out = promotion_out(promotion)
    record_event(session, PromotionCreated.model_validate(out.model_dump()), actor=actor)
    return out


def promotion_out(promotion: Promotion) -> PromotionOut:
    return PromotionOut(
        id=promotion.id,
        code=promotion.code,
        name=promotion.name,
        kind=promotion.kind,
        target=promotion.target,
        skus=list(promotion.skus),
        categories=list(promotion.categories),
        percent=_percent(promotion.percent_bp),
        amount_minor=promotion.amount_minor,
        buy_quantity=promotion.buy_quantity,
        get_quantity=promotion.get_quantity,
        get_percent=_percent(promotion.get_percent_bp) or Decimal(100),
        bundle_skus=list(promotion.bundle_skus),
        currency=promotion.currency,
        requires_coupon=promotion.requires_coupon,
        usage_limit=promotion.usage_limit,
        times_used=promotion.times_used,
        customer_conditions=dict(promotion.customer_conditions),
        channels=list(promotion.channels),
        starts_at=promotion.starts_at,
        ends_at=promotion.ends_at,
        priority=promotion.priority,
        stackable=promotion.stackable,
        exclusive=promotion.exclusive,
        min_subtotal_minor=promotion.min_subtotal_minor,
        personal=promotion.customer_refs is not None,
        created_at=promotion.created_at,
        created_by=promotion.created_by,
    )


def get_promotion(session: Session, *, code: str) -> PromotionOut:
    """One promotion by its code."""
    promotion = session.scalar(select(Promotion).where(Promotion.code == code.upper()))
    if promotion is None:
        raise UnknownPromotion(f"No promotion has the code {code!r}.", field="code")
    return promotion_out(promotion)


def _in_window(at: datetime) -> tuple[ColumnElement[bool], ColumnElement[bool]]:
    return (
        or_(Promotion.starts_at.is_(None), Promotion.starts_at <= at),
        or_(Promotion.ends_at.is_(None), Promotion.ends_at > at),
    )


def list_promotions(
    session: Session, *, active_at: datetime | None = None, channel: str | None = None
) -> list[PromotionOut]:
    """Promotions by priority then code (personal coupons left out); only those in force at
    ``active_at`` if given."""
    query = (
        select(Promotion)
        .where(Promotion.customer_refs.is_(None))
        .order_by(Promotion.priority.desc(), Promotion.code)
    )
    if active_at is not None:
        query = query.where(*_in_window(as_utc(active_at)))
    found = [promotion_out(p) for p in session.scalars(query)]
    if channel is not None:
        found = [p for p in found if not p.channels or channel in p.channels]
    return found


def to_rule(promotion: Promotion) -> engine.Promotion:
    """The engine's view of a stored promotion."""
    return engine.Promotion(
        code=promotion.code,
        kind=engine.Kind(promotion.kind),
        name=promotion.name,
        target=engine.Target(promotion.target),
        skus=frozenset(promotion.skus),
        categories=frozenset(promotion.categories),
        percent=_percent(promotion.percent_bp) or Decimal(0),
        amount_minor=promotion.amount_minor or 0,
        buy_quantity=promotion.buy_quantity or 1,
        get_quantity=promotion.get_quantity or 1,
        get_percent=_percent(promotion.get_percent_bp) or Decimal(100),
        bundle_skus=tuple(promotion.bundle_skus),
        currency=promotion.currency,
        requires_coupon=promotion.requires_coupon,
        customer_conditions={
            attribute: frozenset(values)
            for attribute, values in promotion.customer_conditions.items()
        },
        channels=frozenset(promotion.channels),
        starts_at=promotion.starts_at,
        ends_at=promotion.ends_at,
        priority=promotion.priority,
        stackable=promotion.stackable,
        exclusive=promotion.exclusive,
        min_subtotal_minor=promotion.min_subtotal_minor,
    )


def in_force(
    session: Session, *, at: datetime, coupon_codes: Sequence[str]
) -> list[engine.Promotion]:
    """The rules the engine should consider at ``at``: automatic ones and the coupons given."""
    query = select(Promotion).where(
        *_in_window(at),
        or_(Promotion.requires_coupon.is_(False), Promotion.code.in_(list(coupon_codes))),
    )
    return [to_rule(promotion) for promotion in session.scalars(query)]


def channel_scoped(session: Session, *, at: datetime) -> list[Promotion]:
    """Automatic or coupon promotions in force at ``at`` on some channels only."""
    return [
        promotion
        for promotion in session.scalars(
            select(Promotion).where(*_in_window(at)).order_by(Promotion.code)
        )
        if promotion.channels
    ]


def _references(given: Sequence[str] | None) -> list[str] | None:
    """A personal coupon's customer references, trimmed and each once."""
    if given is None:
        return None
    return list(dict.fromkeys(reference.strip() for reference in given if reference.strip()))


def coupon_uses(session: Session, *, codes: Sequence[str]) -> dict[str, int]:
    """How many times each of these coupons has been used (the codes that exist)."""
    wanted = sorted({code.strip().upper() for code in codes})
    if not wanted:
        return {}
    return {
        code: times_used
        for code, times_used in session.execute(
            select(Promotion.code, Promotion.times_used).where(Promotion.code.in_(wanted))
        )
    }


def make_personal(session: Session, *, code: str, customer_refs: Sequence[str]) -> bool:
    """Let only the customer of ``customer_refs`` use coupon ``code`` (their references as
    they are now, after a merge or a new login); whether it changed anything."""
    references = _references(customer_refs) or []
    promotion = session.scalar(select(Promotion).where(Promotion.code == code.upper()))
    if promotion is None:
        raise UnknownPromotion(f"No promotion has the code {code!r}.", field="code")
    if promotion.customer_refs == references:
        return False
    promotion.customer_refs = references
    session.flush()
    return True


def withdraw_coupons(session: Session, *, codes: Sequence[str], at: datetime) -> int:
    """End these personal coupons at ``at`` and forget whose they were (their customer is
    erased): no one may use them any more; how many were withdrawn."""
    wanted = sorted({code.strip().upper() for code in codes})
    if not wanted:
        return 0
    at = as_utc(at)
    personal = (Promotion.code.in_(wanted), Promotion.customer_refs.is_not(None))
    session.execute(
        update(Promotion)
        .where(*personal, or_(Promotion.ends_at.is_(None), Promotion.ends_at > at))
        .values(ends_at=at)
        .execution_options(synchronize_session=False)
    )
    return rowcount(
        session.execute(
            update(Promotion)
            .where(*personal)
            .values(customer_refs=[])
            .execution_options(synchronize_session=False)
        )
    )
