"""Purchase costs: what one unit of a SKU costs the retailer, per currency.

A cost is head-office data: it is set with ``pricing:write`` (``PUT /v1/prices/{sku}/cost``,
``omnicanal pricing cost``) and read back with that scope only, never through the channels'
read scopes. Each change records ``pricing.purchase_cost_changed``, from which the analytics
module computes the contribution margin of the orders placed afterwards.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from omnicanal.catalog import service as catalog
from omnicanal.platform.actors import Actor
from omnicanal.platform.bounds import MAX_AMOUNT_MINOR
from omnicanal.platform.clock import utcnow
from omnicanal.platform.errors import InvalidInput, NotFound
from omnicanal.platform.events import record_event
from omnicanal.pricing.events import PurchaseCostChanged
from omnicanal.pricing.models import PurchaseCost
from omnicanal.pricing.schemas import PurchaseCostOut

__all__ = [
    "NoPurchaseCost",
    "change_purchase_costs",
    "get_purchase_cost",
    "purchase_costs",
    "set_purchase_cost",
]


class NoPurchaseCost(NotFound):
    code = "no_purchase_cost"
    title = "The SKU has no purchase cost in this currency"


def _checked(costs: Mapping[str, int]) -> None:
    for sku, amount in costs.items():
        if isinstance(amount, bool) or not 0 <= amount <= MAX_AMOUNT_MINOR:
            raise InvalidInput(
                f"The purchase cost of {sku} is outside 0 to {MAX_AMOUNT_MINOR:,} minor units.",
                field="cost_minor",
            )


def _locked(session: Session, variant_id: str, currency: str) -> PurchaseCost | None:
    return session.scalar(
        select(PurchaseCost)
        .where(PurchaseCost.variant_id == variant_id, PurchaseCost.currency == currency)
        .with_for_update()
    )


def change_purchase_costs(
    session: Session, *, currency: str, costs: Mapping[str, int], actor: Actor
) -> list[PurchaseCostChanged]:
    """Set purchase costs (SKU → minor units) in ``currency``, recording one
    ``pricing.purchase_cost_changed`` event per SKU whose cost changes; returns those events.

    :class:`~omnicanal.catalog.errors.UnknownSku` names every unknown SKU; an amount outside
    ``0..MAX_AMOUNT_MINOR`` is refused. Rows are locked in SKU order, so two head-office
    writes to the same SKUs never interleave and each event says the cost it replaced.
    """
    _checked(costs)
    variants = catalog.resolve_skus(session, costs)
    changed: list[PurchaseCostChanged] = []
    now = utcnow()
    for sku, amount in sorted(costs.items()):
        variant_id = variants[sku].id
        row = _locked(session, variant_id, currency)
        if row is None:
            try:
                # A first cost: a concurrent first write of the same SKU makes this insert
                # fail on the key, and the row it committed is then changed like any other.
                with session.begin_nested():
                    session.add(
                        PurchaseCost(
                            variant_id=variant_id,
                            currency=currency,
                            cost_minor=amount,
                            updated_at=now,
                            updated_by=actor.label,
                        )
                    )
                changed.append(
                    PurchaseCostChanged(
                        sku=sku, currency=currency, cost_minor=amount, previous_minor=None
                    )
                )
                continue
            except IntegrityError:
                row = _locked(session, variant_id, currency)
                assert row is not None
        if row.cost_minor == amount:
            continue
        changed.append(
            PurchaseCostChanged(
                sku=sku, currency=currency, cost_minor=amount, previous_minor=row.cost_minor
            )
        )
        row.cost_minor = amount
        row.updated_at = now
        row.updated_by = actor.label
    session.flush()
    for event in changed:
        record_event(session, event, actor=actor)
    return changed


def get_purchase_cost(session: Session, *, sku: str, currency: str) -> PurchaseCostOut:
    """The purchase cost of ``sku`` in ``currency``, or :class:`NoPurchaseCost`."""
    variant = catalog.get_variant(session, sku)
    row = session.scalar(
        select(PurchaseCost).where(
            PurchaseCost.variant_id == variant.id, PurchaseCost.currency == currency
        )
    )
    if row is None:
        raise NoPurchaseCost(f"SKU {sku} has no purchase cost in {currency}.", field="sku")
    return PurchaseCostOut(
        sku=sku,
        currency=currency,
        cost_minor=row.cost_minor,
        updated_at=row.updated_at,
        updated_by=row.updated_by,
    )


def set_purchase_cost(
    session: Session, *, sku: str, currency: str, cost_minor: int, actor: Actor
) -> PurchaseCostOut:
    """Set one SKU's purchase cost in ``currency`` (an event when it changes); returns it."""
    change_purchase_costs(session, currency=currency, costs={sku: cost_minor}, actor=actor)
    return get_purchase_cost(session, sku=sku, currency=currency)


def purchase_costs(session: Session, *, currency: str, skus: Iterable[str]) -> dict[str, int]:
    """The purchase costs (minor units) of those of ``skus`` that have one in ``currency``."""
    variants = catalog.known_skus(session, skus)
    sku_of = {variant.id: sku for sku, variant in variants.items()}
    if not sku_of:
        return {}
    rows = session.execute(
        select(PurchaseCost.variant_id, PurchaseCost.cost_minor).where(
            PurchaseCost.currency == currency, PurchaseCost.variant_id.in_(list(sku_of))
        )
    )
    return {sku_of[variant_id]: cost for variant_id, cost in rows}
