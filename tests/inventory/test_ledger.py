"""The movements ledger: on-hand is the sum of movements, each with reason, actor and time."""

from __future__ import annotations

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import func, select

from omnicanal.inventory import service as inventory
from omnicanal.inventory.errors import NegativeStock
from omnicanal.inventory.models import StockLevel, StockMovement
from omnicanal.inventory.schemas import MovementIn, MovementKind
from omnicanal.platform.actors import OPERATOR
from omnicanal.platform.events import OutboxEvent
from tests.builders import auth, make_key, make_location, make_product, receive


def events_of(platform, type_):  # type: ignore[no-untyped-def]
    with platform.db.reading() as session:
        return [
            row.data
            for row in session.scalars(
                select(OutboxEvent).where(OutboxEvent.type == type_).order_by(OutboxEvent.seq)
            )
        ]


def test_a_transfer_moves_units_between_two_locations_in_one_request(platform, client):
    make_location(platform, "ENTREPOT-SARAN", kind="warehouse", channels=("web",))
    make_location(platform, "LYON-01")
    (sku,) = make_product(platform, "VESTE-ELIO")
    receive(platform, sku, "ENTREPOT-SARAN", 10)
    warehouse = make_key(platform, "store", location="ENTREPOT-SARAN")

    response = client.post(
        "/v1/inventory/movements",
        json={
            "sku": sku,
            "location": "ENTREPOT-SARAN",
            "to_location": "LYON-01",
            "kind": "transfer",
            "quantity": 4,
            "reason": "réassort",
        },
        headers=auth(warehouse),
    )

    assert response.status_code == 201, response.text
    assert [
        (m["location"], m["kind"], m["quantity"], m["on_hand_after"]) for m in response.json()
    ] == [
        ("ENTREPOT-SARAN", "transfer_out", -4, 6),
        ("LYON-01", "transfer_in", 4, 4),
    ]
    stock = client.get(f"/v1/inventory/{sku}", headers=auth(warehouse)).json()
    assert {row["location"]: row["on_hand"] for row in stock["locations"]} == {
        "ENTREPOT-SARAN": 6,
        "LYON-01": 4,
    }


def test_a_cycle_count_sets_on_hand_and_records_the_difference(platform, client):
    make_location(platform, "LYON-01")
    (sku,) = make_product(platform, "JUPE-LOU")
    receive(platform, sku, "LYON-01", 7)
    till = make_key(platform, "store", location="LYON-01")

    response = client.post(
        "/v1/inventory/movements",
        json={
            "sku": sku,
            "location": "LYON-01",
            "kind": "cycle_count",
            "quantity": 5,
            "reason": "inventaire tournant",
        },
        headers=auth(till),
    )

    (movement,) = response.json()
    assert (movement["kind"], movement["quantity"], movement["on_hand_after"]) == (
        "cycle_count",
        -2,
        5,
    )
    assert movement["actor"].startswith("key:") and movement["channel"] == "store"
    ledger = client.get(f"/v1/inventory/{sku}/movements", headers=auth(till)).json()["items"]
    assert [(m["kind"], m["quantity"]) for m in ledger] == [("cycle_count", -2), ("receipt", 7)]


def test_crossing_the_low_stock_threshold_and_zero_emits_events(platform):
    make_location(platform, "LYON-01")
    (sku,) = make_product(platform, "TOTE-IRIS")
    receive(platform, sku, "LYON-01", 5)

    def sell(quantity: int) -> None:
        with platform.db.transaction() as session:
            inventory.record_movement(
                session,
                data=MovementIn(
                    sku=sku, location="LYON-01", kind=MovementKind.sale, quantity=quantity
                ),
                actor=OPERATOR,
            )

    sell(1)  # 4 left: above the default threshold of 3
    assert events_of(platform, "inventory.low_stock") == []
    sell(2)  # 2 left
    sell(2)  # 0 left
    receive(platform, sku, "LYON-01", 10)

    assert [e["available"] for e in events_of(platform, "inventory.low_stock")] == [2]
    assert [e["available"] for e in events_of(platform, "inventory.out_of_stock")] == [0]
    assert [e["available"] for e in events_of(platform, "inventory.back_in_stock")] == [5, 10]


def test_a_reservation_taking_the_last_units_signals_out_of_stock(platform, client):
    make_location(platform, "LYON-01")
    (sku,) = make_product(platform, "BOTTINE-ZOE")
    receive(platform, sku, "LYON-01", 2)
    web = make_key(platform, "web")

    client.post("/v1/reservations", json={"sku": sku, "quantity": 2}, headers=auth(web))

    (event,) = events_of(platform, "inventory.out_of_stock")
    assert (event["sku"], event["location"], event["reserved"]) == (sku, "LYON-01", 2)


def test_safety_stock_is_kept_out_of_availability(platform, client):
    make_location(platform, "LYON-01")
    (sku,) = make_product(platform, "POLO-MAX")
    receive(platform, sku, "LYON-01", 3)
    till = make_key(platform, "store", location="LYON-01")

    client.put(
        f"/v1/inventory/{sku}/locations/LYON-01/settings",
        json={"safety_stock": 2},
        headers=auth(till),
    )

    web = make_key(platform, "web")
    assert (
        client.post("/v1/reservations", json={"sku": sku, "quantity": 2}, headers=auth(web)).json()[
            "code"
        ]
        == "insufficient_stock"
    )
    assert (
        client.post(
            "/v1/reservations", json={"sku": sku, "quantity": 1}, headers=auth(web)
        ).status_code
        == 201
    )


def test_a_till_sale_of_reserved_units_records_a_shortfall(platform, client):
    """The till always sells what is physically there; the shortfall is signalled."""
    make_location(platform, "LYON-01")
    (sku,) = make_product(platform, "CEINTURE-NOE")
    receive(platform, sku, "LYON-01", 1)
    client.post(
        "/v1/reservations",
        json={"sku": sku, "quantity": 1},
        headers=auth(make_key(platform, "web")),
    )

    sale = client.post(
        "/v1/inventory/movements",
        json={"sku": sku, "location": "LYON-01", "kind": "sale", "quantity": 1},
        headers=auth(make_key(platform, "store", location="LYON-01")),
    )

    assert sale.status_code == 201
    (shortfall,) = events_of(platform, "inventory.reservation_shortfall")
    assert (shortfall["on_hand"], shortfall["reserved"]) == (0, 1)


movement_kinds = st.sampled_from(
    [
        MovementKind.receipt,
        MovementKind.sale,
        MovementKind.adjustment,
        MovementKind.return_restock,
        MovementKind.cycle_count,
    ]
)


@settings(
    max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    steps=st.lists(
        st.tuples(movement_kinds, st.integers(min_value=1, max_value=8)), min_size=1, max_size=12
    )
)
def test_on_hand_always_equals_the_sum_of_the_ledger_and_never_goes_negative(platform, steps):
    code = f"P{len(events_of(platform, 'catalog.product_created'))}"
    if not events_of(platform, "network.location_opened"):
        make_location(platform, "LYON-01")
    (sku,) = make_product(platform, code)
    for kind, quantity in steps:
        signed = -quantity if kind is MovementKind.adjustment and quantity % 2 else quantity
        try:
            with platform.db.transaction() as session:
                inventory.record_movement(
                    session,
                    data=MovementIn(
                        sku=sku, location="LYON-01", kind=kind, quantity=signed, reason="test"
                    ),
                    actor=OPERATOR,
                )
        except NegativeStock:
            pass
    with platform.db.reading() as session:
        from omnicanal.catalog.service import get_variant

        variant = get_variant(session, sku)
        on_hand = session.scalar(
            select(func.coalesce(func.sum(StockLevel.on_hand), 0)).where(
                StockLevel.variant_id == variant.id
            )
        )
        ledger = session.scalar(
            select(func.coalesce(func.sum(StockMovement.quantity), 0)).where(
                StockMovement.variant_id == variant.id
            )
        )
    assert on_hand == ledger
    assert on_hand >= 0
