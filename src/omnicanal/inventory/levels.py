"""Stock levels: atomic conditional updates and the threshold signals they raise."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from sqlalchemy import ColumnElement, Update
from sqlalchemy.orm import Session

from omnicanal.inventory.events import (
    StockCameBack,
    StockRanLow,
    StockRanOut,
    StockThresholdCrossed,
)
from omnicanal.inventory.models import (
    StockLevel,
)
from omnicanal.platform.actors import Actor
from omnicanal.platform.db import NO_SYNC, dialect_insert
from omnicanal.platform.events import record_event

_CROSSED: dict[str, type[StockThresholdCrossed]] = {
    "out_of_stock": StockRanOut,
    "low_stock": StockRanLow,
    "in_stock": StockCameBack,
}


@dataclass(frozen=True)
class LevelAfter:
    on_hand: int
    reserved: int
    safety_stock: int
    low_stock_threshold: int

    @property
    def available(self) -> int:
        return self.on_hand - self.reserved - self.safety_stock


def stock_status(available: int, threshold: int) -> str:
    """in_stock, low_stock or out_of_stock for an available quantity."""
    if available <= 0:
        return "out_of_stock"
    if available <= threshold:
        return "low_stock"
    return "in_stock"


def ensure_levels(session: Session, pairs: Iterable[tuple[str, str]]) -> None:
    """Create empty stock levels for these (variant id, location id) pairs if missing."""
    rows = [{"variant_id": v, "location_id": loc} for v, loc in dict.fromkeys(pairs)]
    if not rows:
        return
    insert = dialect_insert(session)
    session.execute(
        insert(StockLevel)
        .values(rows)
        .on_conflict_do_nothing(index_elements=["variant_id", "location_id"])
    )


def returning_level(session: Session, statement: Update) -> LevelAfter | None:
    row = session.execute(
        statement.returning(
            StockLevel.on_hand,
            StockLevel.reserved,
            StockLevel.safety_stock,
            StockLevel.low_stock_threshold,
        ),
        execution_options=NO_SYNC,
    ).one_or_none()
    return LevelAfter(*row) if row is not None else None


def level_where(
    variant_id: str, location_id: str
) -> tuple[ColumnElement[bool], ColumnElement[bool]]:
    return (StockLevel.variant_id == variant_id, StockLevel.location_id == location_id)


def signal_thresholds(
    session: Session,
    *,
    sku: str,
    location: str,
    before: int,
    after: LevelAfter,
    actor: Actor,
) -> None:
    """Emit low/out-of-stock (and back-in-stock) events when availability crosses a line."""
    threshold = after.low_stock_threshold
    was, now = stock_status(before, threshold), stock_status(after.available, threshold)
    if was == now:
        return
    crossed = _CROSSED[now](
        sku=sku,
        location=location,
        available=max(after.available, 0),
        on_hand=after.on_hand,
        reserved=after.reserved,
        threshold=threshold,
        previous_status=was,
    )
    record_event(session, crossed, actor=actor)
