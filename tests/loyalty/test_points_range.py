"""Points beyond 32 bits: the dearest sale at the richest rate earns what the programme's
bounds allow, and a balance that adds such sales up past 2^31 - 1 is kept, on SQLite and
PostgreSQL alike."""

from __future__ import annotations

from omnicanal.loyalty.rules import MAX_POINTS
from omnicanal.platform.bounds import MAX_INT
from tests.builders import make_dearest_watch
from tests.loyalty.builders import balance, enrol, make_programme
from tests.returns.builders import make_shop, till_order

SALES = 22
"""Sales that earn ``MAX_POINTS`` each: their sum passes 2^31 - 1."""


def test_the_richest_sales_earn_the_bound_each_and_add_up_past_32_bits(platform, client):
    """Watches at the dearest price, at 1,000 points per euro: each sale earns
    ``MAX_POINTS`` (not the ten billion its rate says), the relay keeps up, and the pending
    balance is their sum."""
    shop = make_shop(platform)
    make_programme(platform, earning_rules=[{"category": "Montres", "points_per_euro": "1000"}])
    watch = make_dearest_watch(platform, location="LYON-01", quantity=SALES)
    ines = enrol(client, shop.lyon)

    for _ in range(SALES):
        till_order(client, shop.lyon, (watch, 1))
    platform.relay().drain()

    pending = balance(client, shop.lyon, ines["id"])["pending"]
    assert pending == SALES * MAX_POINTS > MAX_INT
