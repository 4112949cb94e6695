"""What the counter needs around a sale: pickup stores, recent purchases, bought together."""

from __future__ import annotations

from omnicanal.orders import service as orders
from tests.builders import make_product, receive
from tests.orders.builders import LYON, line, make_shop, place


def test_pickup_stores_hold_every_line_and_come_nearest_first(platform):
    shop = make_shop(platform)
    receive(platform, shop.robe, "PARIS-01", 1)

    with platform.db.reading() as session:
        robe = orders.pickup_options(session, lines=[(shop.robe, 1)], channel="store", near=LYON)
        both = orders.pickup_options(
            session, lines=[(shop.robe, 1), (shop.pull, 1)], channel="store", near=LYON
        )
        too_many = orders.pickup_options(session, lines=[(shop.robe, 6)], channel="store")

    assert [(o.location, o.distance_km) for o in robe] == [("LYON-01", 0.0), ("PARIS-01", 391.5)]
    assert [o.location for o in both] == ["PARIS-01"]
    assert too_many == []


def test_bought_together_ranks_co_purchases_and_skips_the_basket_and_the_unstocked(platform):
    shop = make_shop(platform)
    (belt,) = make_product(platform, "CEINTURE")
    (sold_out,) = make_product(platform, "EPUISE")
    receive(platform, belt, "WH-CENTRE", 5)
    receive(platform, sold_out, "WH-CENTRE", 1)
    for extra in (shop.jean, belt, belt, sold_out):
        place(platform, line(shop.robe), line(extra))

    with platform.db.reading() as session:
        together = orders.bought_together(
            session, skus=[shop.robe], in_stock_at=["LYON-01"], online_channel="web"
        )
        excluding = orders.bought_together(
            session, skus=[shop.robe], exclude=[belt], in_stock_at=["LYON-01"]
        )

    assert [(s.sku, s.orders) for s in together] == [(belt, 2), (shop.jean, 1)]
    assert [s.sku for s in excluding] == [shop.jean]


def test_recent_skus_are_the_customers_latest_orders(platform):
    shop = make_shop(platform)
    place(platform, line(shop.robe), customer_ref="zoe")
    place(platform, line(shop.jean), customer_ref="zoe@example.fr")
    place(platform, line(shop.pull), customer_ref="someone-else")

    with platform.db.reading() as session:
        skus = orders.recent_skus(session, customer_refs=["zoe", "zoe@example.fr"])

    assert sorted(skus) == sorted([shop.robe, shop.jean])
