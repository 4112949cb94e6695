"""Reserving (and selling) the lines of an order at once: one UPDATE, all or nothing."""

from __future__ import annotations

import pytest
from sqlalchemy import event, select

from omnicanal.catalog import service as catalog
from omnicanal.inventory import service as inventory
from omnicanal.inventory.errors import InsufficientStock
from omnicanal.inventory.models import Reservation, StockLevel, StockMovement
from omnicanal.network import service as network
from omnicanal.platform.actors import OPERATOR
from omnicanal.platform.events import OutboxEvent
from omnicanal.platform.wiring import Platform
from tests.builders import make_location, make_product, receive, snapshot


def given_two_skus_in_a_store(platform: Platform, first: int, second: int) -> tuple[str, str]:
    make_location(platform, "LYON-01")
    robe, pull = make_product(platform, "ROBE", sizes=("S", "M"))
    receive(platform, robe, "LYON-01", first)
    receive(platform, pull, "LYON-01", second)
    return robe, pull


def holds(session, lines):  # type: ignore[no-untyped-def]
    """The lines (sku, quantity) to hold at LYON-01 for the web."""
    variants = catalog.resolve_skus(session, [sku for sku, _ in lines])
    store = network.get_location(session, "LYON-01")
    return [
        inventory.LineHold(
            variant=variants[sku], location=store, quantity=quantity, channel="web", ttl_seconds=60
        )
        for sku, quantity in lines
    ]


def levels(platform: Platform) -> list[tuple[int, int]]:
    """(on hand, reserved) of every stock level, by variant."""
    with platform.db.reading() as session:
        return [
            (row.on_hand, row.reserved)
            for row in session.scalars(select(StockLevel).order_by(StockLevel.variant_id))
        ]


def levels_in(session) -> list[tuple[int, int]]:  # type: ignore[no-untyped-def]
    """(on hand, reserved) of every stock level, as the transaction sees them."""
    return [(row.on_hand, row.reserved) for row in session.scalars(select(StockLevel))]


def events_since(platform: Platform, seq: int) -> list[tuple[str, dict[str, object]]]:
    with platform.db.reading() as session:
        return [
            (row.type, row.data)
            for row in session.scalars(
                select(OutboxEvent).where(OutboxEvent.seq > seq).order_by(OutboxEvent.seq)
            )
        ]


def last_seq(platform: Platform) -> int:
    with platform.db.reading() as session:
        return max(session.scalars(select(OutboxEvent.seq)), default=0)


def test_every_line_is_held_by_one_update_with_one_reservation_and_event_each(platform):
    """Three lines, two of them on one stock level, go in one UPDATE; each line gets its
    reservation and its event, in the lines' order."""
    robe, pull = given_two_skus_in_a_store(platform, 5, 5)
    seq = last_seq(platform)
    updates: list[str] = []

    def note(_connection, _cursor, statement, *_):  # type: ignore[no-untyped-def]
        if "UPDATE stock_levels" in statement:
            updates.append(statement)

    event.listen(platform.db.write_engine, "before_cursor_execute", note)
    try:
        with platform.db.transaction() as session:
            ids = inventory.reserve_lines(
                session,
                lines=holds(session, [(robe, 2), (pull, 1), (robe, 1)]),
                actor=OPERATOR,
                reference="order-1",
            )
    finally:
        event.remove(platform.db.write_engine, "before_cursor_execute", note)

    assert len(updates) == 1
    with platform.db.reading() as session:
        rows = {row.id: row for row in session.scalars(select(Reservation))}
    assert [(rows[i].quantity, rows[i].reference, rows[i].status) for i in ids] == [
        (2, "order-1", "active"),
        (1, "order-1", "active"),
        (1, "order-1", "active"),
    ]
    assert sorted(levels(platform)) == [(5, 1), (5, 3)]
    reserved = [data for kind, data in events_since(platform, seq) if kind == "inventory.reserved"]
    assert [(data["id"], data["sku"], data["quantity"]) for data in reserved] == [
        (ids[0], robe, 2),
        (ids[1], pull, 1),
        (ids[2], robe, 1),
    ]


def test_a_line_short_of_stock_holds_no_line_and_is_named_in_the_refusal(platform):
    """All or nothing: the units taken for the lines that had them are given back, and the
    refusal names the short line as a reservation of it alone would."""
    robe, pull = given_two_skus_in_a_store(platform, 5, 1)
    before = snapshot(platform)

    with pytest.raises(InsufficientStock) as refused, platform.db.transaction() as session:
        try:
            inventory.reserve_lines(
                session,
                lines=holds(session, [(robe, 2), (pull, 3)]),
                actor=OPERATOR,
                reference="order-1",
            )
        finally:
            assert sorted(levels_in(session)) == [(1, 0), (5, 0)]

    assert refused.value.extra == {"sku": pull, "requested": 3, "available": 1}
    assert str(refused.value) == f"Only 1 unit(s) of {pull} available at LYON-01; 3 requested."
    assert snapshot(platform) == before


def test_a_till_sale_of_held_lines_takes_them_out_of_on_hand_stock(platform):
    """Confirming the lines a transaction holds sells them: on hand and reserved go down,
    a ledger line and the events of a confirmed reservation for each."""
    robe, pull = given_two_skus_in_a_store(platform, 5, 5)
    seq = last_seq(platform)
    with platform.db.transaction() as session:
        lines = holds(session, [(robe, 2), (pull, 1)])
        ids = inventory.reserve_lines(session, lines=lines, actor=OPERATOR, reference="sale-1")
        inventory.confirm_lines(session, lines=list(zip(ids, lines, strict=True)), actor=OPERATOR)
        assert session.get(Reservation, ids[0]).status == "confirmed"

    assert sorted(levels(platform)) == [(3, 0), (4, 0)]
    with platform.db.reading() as session:
        statuses = set(session.scalars(select(Reservation.status)))
        sales = sorted(
            (row.reference, row.quantity, row.on_hand_after)
            for row in session.scalars(select(StockMovement).where(StockMovement.kind == "sale"))
        )
    assert statuses == {"confirmed"}
    assert sales == sorted([(ids[0], -2, 3), (ids[1], -1, 4)])
    assert [
        (kind, data["reference"] if kind == "inventory.stock_moved" else data.get("id"))
        for kind, data in events_since(platform, seq)
    ] == [
        ("inventory.reserved", ids[0]),
        ("inventory.low_stock", None),  # 5 robes, 2 held: 3 left, the low-stock threshold
        ("inventory.reserved", ids[1]),
        ("inventory.stock_moved", ids[0]),
        ("inventory.reservation_confirmed", ids[0]),
        ("inventory.stock_moved", ids[1]),
        ("inventory.reservation_confirmed", ids[1]),
    ]
