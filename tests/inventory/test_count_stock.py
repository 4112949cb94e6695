"""``count_stock``: counted quantities in bulk, one ledger line per change, one event."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from omnicanal.inventory import counting
from omnicanal.inventory import service as inventory
from omnicanal.inventory.errors import InvalidMovement
from omnicanal.inventory.models import StockLevel, StockMovement
from omnicanal.inventory.schemas import ReservationIn
from omnicanal.inventory.service import StockCount
from omnicanal.platform.actors import OPERATOR
from omnicanal.platform.auth import LocationForbidden, authenticate
from omnicanal.platform.events import OutboxEvent
from tests.builders import make_key, make_location, make_product, receive


def given_two_stores_and_a_dress(platform):  # type: ignore[no-untyped-def]
    make_location(platform, "LYON-01")
    make_location(platform, "PARIS-01", latitude=48.8603, longitude=2.3431, city="Paris")
    return make_product(platform, "ROB-ALMA", sizes=("S", "M", "L"))


def levels(platform):  # type: ignore[no-untyped-def]
    """(on_hand, reserved, safety_stock, ledger sum) of every level, by variant and location."""
    with platform.db.reading() as session:
        ledger = dict(
            session.execute(
                select(
                    StockMovement.variant_id + StockMovement.location_id,
                    func.sum(StockMovement.quantity),
                ).group_by(StockMovement.variant_id, StockMovement.location_id)
            ).all()
        )
        return sorted(
            (
                level.on_hand,
                level.reserved,
                level.safety_stock,
                ledger.get(level.variant_id + level.location_id, 0),
            )
            for level in session.scalars(select(StockLevel))
        )


def events(platform, kind):  # type: ignore[no-untyped-def]
    with platform.db.reading() as session:
        return list(session.scalars(select(OutboxEvent).where(OutboxEvent.type == kind)))


def test_a_count_moves_each_line_to_its_counted_quantity(platform):
    small, medium, large = given_two_stores_and_a_dress(platform)
    receive(platform, small, "LYON-01", 8)

    with platform.db.transaction() as session:
        applied = inventory.count_stock(
            session,
            lines=[(small, "LYON-01", 5), (medium, "LYON-01", 3, 1), (large, "PARIS-01", 0)],
            actor=OPERATOR,
            reason="inventaire annuel",
        )

    assert applied == 2  # the large size was counted at 0 where there was nothing
    assert levels(platform) == [(0, 0, 0, 0), (3, 0, 1, 3), (5, 0, 0, 5)]
    (event,) = events(platform, "inventory.stock_counted")
    assert event.data["lines"] == 3
    assert (event.data["applied"], event.data["unchanged"]) == (2, 1)
    assert (event.data["units_added"], event.data["units_removed"]) == (3, 3)
    assert event.data["locations"] == ["LYON-01", "PARIS-01"]
    assert len(events(platform, "inventory.stock_moved")) == 1  # the receipt, not the count


def test_a_safety_stock_change_alone_writes_no_ledger_line(platform):
    (small, *_) = given_two_stores_and_a_dress(platform)
    receive(platform, small, "LYON-01", 4)

    with platform.db.transaction() as session:
        applied = inventory.count_stock(
            session, lines=[StockCount(small, "LYON-01", 4, 2)], actor=OPERATOR, reason="r"
        )

    assert applied == 0
    assert levels(platform) == [(4, 0, 2, 4)]


def test_counting_below_the_reserved_units_is_recorded_as_a_shortfall(platform):
    (small, *_) = given_two_stores_and_a_dress(platform)
    receive(platform, small, "LYON-01", 3)
    with platform.db.transaction() as session:
        inventory.reserve(
            session,
            data=ReservationIn(sku=small, quantity=2, channel="web"),
            actor=OPERATOR,
            default_ttl_seconds=900,
        )

    with platform.db.transaction() as session:
        inventory.count_stock(
            session, lines=[(small, "LYON-01", 1)], actor=OPERATOR, reason="casse"
        )

    # Only Lyon holds a level: looking for stock at Paris created nothing there.
    assert levels(platform) == [(1, 2, 0, 1)]
    (event,) = events(platform, "inventory.stock_counted")
    assert event.data["shortfall_count"] == 1
    assert event.data["shortfalls"] == [
        {"sku": small, "location": "LYON-01", "on_hand": 1, "reserved": 2}
    ]


def test_a_store_key_cannot_count_another_store_and_nothing_is_written(platform):
    (small, *_) = given_two_stores_and_a_dress(platform)
    token = make_key(platform, "store", location="LYON-01")
    with platform.db.reading() as session:
        lyon_till = authenticate(session, token)

    with pytest.raises(LocationForbidden), platform.db.transaction() as session:
        inventory.count_stock(
            session,
            lines=[(small, "LYON-01", 2), (small, "PARIS-01", 2)],
            actor=lyon_till,
            reason="r",
        )

    assert levels(platform) == []
    assert events(platform, "inventory.stock_counted") == []


@pytest.mark.parametrize(
    "lines",
    [[("ROB-ALMA-S", "LYON-01", -1)], [("ROB-ALMA-S", "LYON-01", 1), ("ROB-ALMA-S", "LYON-01", 2)]],
)
def test_a_negative_or_repeated_count_is_refused(platform, lines):
    given_two_stores_and_a_dress(platform)

    with pytest.raises(InvalidMovement), platform.db.transaction() as session:
        inventory.count_stock(session, lines=lines, actor=OPERATOR, reason="r")

    assert levels(platform) == []


def test_a_large_count_spans_chunks_and_the_ledger_still_agrees(platform):
    """More lines than one chunk: levels created, counted and re-counted consistently."""
    make_location(platform, "LYON-01")
    sizes = tuple(str(size) for size in range(counting.COUNT_CHUNK // 2 + 7))
    skus = make_product(platform, "CHAUSSETTES", sizes=sizes)
    make_location(platform, "PARIS-01", city="Paris")
    first = [(sku, store, 2) for sku in skus for store in ("LYON-01", "PARIS-01")]
    second = [(sku, store, index % 3) for index, (sku, store, _) in enumerate(first)]

    with platform.db.transaction() as session:
        assert inventory.count_stock(session, lines=first, actor=OPERATOR, reason="r") == len(first)
    with platform.db.transaction() as session:
        applied = inventory.count_stock(session, lines=second, actor=OPERATOR, reason="r")

    assert applied == sum(1 for *_, quantity in second if quantity != 2)
    assert all(on_hand == ledger for on_hand, _, _, ledger in levels(platform))
    assert sorted(on_hand for on_hand, *_ in levels(platform)) == sorted(q for *_, q in second)
    with platform.db.reading() as session:
        kinds = dict(
            session.execute(
                select(StockMovement.kind, func.count()).group_by(StockMovement.kind)
            ).all()
        )
    assert kinds == {"receipt": len(first), "cycle_count": applied}
