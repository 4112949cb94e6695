"""Why a store holding a basket's items is not offered for click & collect: the rule, and
the choices the counter reads from the database."""

from __future__ import annotations

import pytest

from omnicanal.inventory import service as inventory
from omnicanal.inventory.schemas import ReservationIn, StockSettingsIn
from omnicanal.network import service as network
from omnicanal.network.schemas import Capabilities, LocationIn
from omnicanal.orders import service as orders
from omnicanal.orders.pickup import Exclusion, StoreHolding, exclusions, why_not_offered
from omnicanal.platform.actors import OPERATOR
from omnicanal.platform.address import Address
from omnicanal.platform.wiring import Platform
from tests.builders import make_location, make_product, receive

LYON = (45.7640, 4.8357)


def holding(
    code: str,
    distance_km: float | None = 1.0,
    *,
    serves_channel: bool = True,
    click_and_collect: bool = True,
    unreserved_covers: bool = True,
    available_covers: bool = True,
) -> StoreHolding:
    return StoreHolding(
        location=code,
        name=f"Magasin {code}",
        distance_km=distance_km,
        serves_channel=serves_channel,
        click_and_collect=click_and_collect,
        unreserved_covers=unreserved_covers,
        available_covers=available_covers,
    )


# --- the rule ------------------------------------------------------------------------------


def test_a_store_that_can_serve_the_pickup_has_no_reason_against_it():
    assert why_not_offered(holding("A")) is None


@pytest.mark.parametrize(
    ("store", "reason"),
    [
        (holding("A", serves_channel=False, click_and_collect=False), Exclusion.store_sales_only),
        (
            holding("A", click_and_collect=False, unreserved_covers=False),
            Exclusion.no_click_and_collect,
        ),
        (holding("A", unreserved_covers=False, available_covers=False), Exclusion.held_for_orders),
        (holding("A", available_covers=False), Exclusion.kept_for_walk_ins),
    ],
    ids=["outside the network", "no click & collect", "reserved", "safety stock"],
)
def test_the_first_reason_in_the_rules_order_is_given(store, reason):
    assert why_not_offered(store) is reason


def test_the_stores_not_offered_come_nearest_first_and_the_offered_are_left_out():
    stores = [
        holding("FAR", 300.0, click_and_collect=False),
        holding("OFFERED", 2.0),
        holding("NEAR", 1.0, available_covers=False),
    ]

    found = exclusions(stores, offered={"OFFERED"}, limit=10)

    assert [(s.location, s.reason) for s in found] == [
        ("NEAR", Exclusion.kept_for_walk_ins),
        ("FAR", Exclusion.no_click_and_collect),
    ]


def test_a_store_able_to_serve_but_not_offered_is_too_far():
    """The list offered was full of nearer stores."""
    found = exclusions(
        [holding("OFFERED", 3.0), holding("BEYOND", 40.0)], offered={"OFFERED"}, limit=5
    )

    assert [(s.location, s.reason, s.distance_km) for s in found] == [
        ("BEYOND", Exclusion.too_far, 40.0)
    ]


def test_without_a_distance_no_store_is_called_too_far():
    found = exclusions(
        [holding("X", None), holding("Y", None, click_and_collect=False)], offered=set(), limit=5
    )

    assert [(s.location, s.reason) for s in found] == [("Y", Exclusion.no_click_and_collect)]


def test_at_most_limit_stores_are_explained():
    stores = [holding(f"S{n}", float(n), click_and_collect=False) for n in range(6)]

    assert [s.location for s in exclusions(stores, offered=set(), limit=3)] == ["S0", "S1", "S2"]


# --- the choices at the counter ------------------------------------------------------------


def open_store(
    platform: Platform,
    code: str,
    latitude: float,
    longitude: float,
    *,
    channels: tuple[str, ...] = ("store",),
    click_and_collect: bool = True,
    kind: str = "store",
) -> None:
    with platform.db.transaction() as session:
        network.ensure_default_channels(session)
        network.create_location(
            session,
            data=LocationIn(
                code=code,
                name=f"Magasin {code.title()}",
                kind=kind,
                address=Address(city="Lyon", latitude=latitude, longitude=longitude),
                capabilities=Capabilities(
                    sells_in_store=kind == "store",
                    ships=False,
                    click_and_collect=click_and_collect,
                    accepts_returns=True,
                ),
                channels=list(channels),
            ),
            actor=OPERATOR,
        )


@pytest.fixture
def lyon_area(platform: Platform) -> str:
    """A dress on the shelves around Lyon, each store unable to take the pickup for its own
    reason, and two that can: Grenoble and Paris. Returns the dress's SKU."""
    (robe,) = make_product(platform, "ROBE")
    make_location(platform, "LYON-01", channels=("store",))
    receive(platform, robe, "LYON-01", 1)
    with platform.db.transaction() as session:
        inventory.reserve(
            session,
            data=ReservationIn(sku=robe, quantity=1, location="LYON-01", channel="store"),
            actor=OPERATOR,
            default_ttl_seconds=3600,
        )
    open_store(platform, "PART-DIEU", 45.7606, 4.8594, channels=())
    receive(platform, robe, "PART-DIEU", 3)
    open_store(platform, "VILLEURBANNE", 45.7719, 4.8902, click_and_collect=False)
    receive(platform, robe, "VILLEURBANNE", 2)
    open_store(platform, "CALUIRE", 45.7950, 4.8460)
    receive(platform, robe, "CALUIRE", 2)
    with platform.db.transaction() as session:
        inventory.update_stock_settings(
            session,
            sku=robe,
            location_code="CALUIRE",
            data=StockSettingsIn(safety_stock=2),
            actor=OPERATOR,
        )
    open_store(platform, "WH-CORBAS", 45.6680, 4.9020, kind="warehouse", click_and_collect=False)
    receive(platform, robe, "WH-CORBAS", 50)
    open_store(platform, "GRENOBLE", 45.1885, 5.7245)
    receive(platform, robe, "GRENOBLE", 4)
    open_store(platform, "PARIS", 48.8566, 2.3522)
    receive(platform, robe, "PARIS", 4)
    open_store(platform, "BRON", 45.7380, 4.9130)  # holds none of it
    return robe


def test_each_nearer_store_holding_the_dress_says_why_it_is_not_offered(platform, lyon_area):
    with platform.db.reading() as session:
        choices = orders.pickup_choices(session, lines=[(lyon_area, 1)], channel="store", near=LYON)

    assert [o.location for o in choices.options] == ["GRENOBLE", "PARIS"]
    assert [(s.location, s.reason) for s in choices.excluded] == [
        ("LYON-01", Exclusion.held_for_orders),
        ("PART-DIEU", Exclusion.store_sales_only),
        ("CALUIRE", Exclusion.kept_for_walk_ins),
        ("VILLEURBANNE", Exclusion.no_click_and_collect),
    ]
    assert choices.excluded[1].name == "Magasin Part-Dieu"
    assert choices.excluded[1].distance_km == 1.9


def test_a_store_beyond_the_stores_offered_is_too_far(platform, lyon_area):
    with platform.db.reading() as session:
        choices = orders.pickup_choices(
            session, lines=[(lyon_area, 1)], channel="store", near=LYON, limit=1, explained=10
        )
        fewer = orders.pickup_choices(
            session, lines=[(lyon_area, 1)], channel="store", near=LYON, limit=1, explained=2
        )

    assert [o.location for o in choices.options] == ["GRENOBLE"]
    assert [(s.location, s.reason) for s in choices.excluded][-1] == ("PARIS", Exclusion.too_far)
    assert len(choices.excluded) == 5
    assert [s.location for s in fewer.excluded] == ["LYON-01", "PART-DIEU"]


def test_a_store_holding_fewer_units_than_wanted_is_not_explained(platform, lyon_area):
    """Two dresses: only the stores with two on their shelves count."""
    with platform.db.reading() as session:
        choices = orders.pickup_choices(session, lines=[(lyon_area, 2)], channel="store", near=LYON)

    assert [o.location for o in choices.options] == ["GRENOBLE", "PARIS"]
    assert [s.location for s in choices.excluded] == ["PART-DIEU", "CALUIRE", "VILLEURBANNE"]


def test_an_empty_basket_has_no_choice(platform, lyon_area):
    with platform.db.reading() as session:
        choices = orders.pickup_choices(session, lines=[], channel="store", near=LYON)

    assert (choices.options, choices.excluded) == ([], [])
