"""« Réserver en boutique »: the app sets an item aside in a store for two days.

The flagship and the large stores offer it. The customer comes and buys the item at the
till (the app lifts its hold, the till's sale holds it anew), cancels in the app, or never
comes: the hold lapses, and the reservation has failed. How often it lapses is the store's
(``calendar.failure_factor``), spread evenly over its holds (``Simulation.fails``).
"""

from __future__ import annotations

from datetime import datetime, timedelta

from omnicanal.catalog import service as catalog
from omnicanal.demo.calendar import local_day
from omnicanal.demo.retailer import Tier
from omnicanal.demo.simulation import ATTEMPTS, Simulation, checkout, payment
from omnicanal.fulfilment.states import Method
from omnicanal.inventory import service as inventory
from omnicanal.inventory.schemas import ReservationIn
from omnicanal.platform.actors import Actor
from omnicanal.platform.clock import simulated
from omnicanal.platform.errors import DomainError

__all__ = ["SETS_ASIDE", "SET_ASIDE_PER_DAY", "set_aside"]

SET_ASIDE_PER_DAY = 1.8
"""Items the app sets aside in a store on an average day, against a medium store's trade:
the service (« Réserver en boutique ») is offered by the flagship and the large stores."""
SETS_ASIDE = frozenset({Tier.flagship, Tier.large})
SET_ASIDE = timedelta(days=2)
SET_ASIDE_CANCELLED = 0.4
"""Of the items set aside whose hold does not lapse, the share the customer cancels in the
app (the others they come and buy)."""
INVENTORY_SWEEPER = Actor(key_id=None, channel="system", name="sweeper")


def _variant_id(sim: Simulation, sku: str) -> str:
    if sku not in sim.variants:
        sim.variants[sku] = catalog.get_variant(sim.session, sku).id
    return sim.variants[sku]


def set_aside(sim: Simulation, store: str, at: datetime) -> None:
    """« Réserver en boutique »: the app holds an item in the store for two days; the
    customer comes and buys it at the till (the app lifts its hold), or never comes and the
    hold lapses."""
    site = sim.sites[store]
    until = at + SET_ASIDE
    customer = sim.customer()
    skus = sim.store_skus[store]
    for sku in sim.rng.sample(skus, k=min(ATTEMPTS, len(skus))):
        try:
            with simulated(at), sim.session.begin_nested():
                held = inventory.reserve(
                    sim.session,
                    data=ReservationIn(
                        sku=sku,
                        quantity=1,
                        location=store,
                        channel="app",
                        ttl_seconds=round((until - at).total_seconds()),
                        reference=customer,
                    ),
                    actor=sim.actors["app"],
                    default_ttl_seconds=round((until - at).total_seconds()),
                )
            break
        except DomainError as error:
            sim.stats[f"refused:{error.code}"] += 1
    else:
        return
    if sim.fails("set_aside", store, until):
        if until < sim.end:
            # The hold's own clock is the build's: the sweeper is asked at its real end.
            with simulated(until):
                inventory.release_expired(
                    sim.session,
                    actor=INVENTORY_SWEEPER,
                    variant_ids=[_variant_id(sim, sku)],
                    now=held.expires_at + timedelta(seconds=1),
                )
            sim.stats["set_aside_lapsed"] += 1
        return
    if sim.rng.random() < SET_ASIDE_CANCELLED:
        # The customer changed their mind and cancelled in the app before the end.
        cancelled = at + sim.minutes(20, 36 * 60)
        if cancelled < sim.end:
            with simulated(cancelled):
                inventory.release_reservation(
                    sim.session, reservation_id=held.id, actor=sim.actors["app"]
                )
        return
    came = sim.calendar.next_open(site, at, sim.rng, within=until - at)
    if came >= sim.end:
        return
    with simulated(came):
        # The till tells the app, which lifts its hold; the till's sale holds the item anew.
        inventory.release_reservation(sim.session, reservation_id=held.id, actor=sim.actors["app"])
    # The clerk asks for the card as at any sale: some customers give none.
    anonymous = sim.rng.random() < sim.calendar.anonymous_till(site, local_day(came))
    body = {
        "lines": [
            {
                "sku": sku,
                "quantity": 1,
                "fulfilment": {"method": Method.carry_out.value, "location": store},
            }
        ],
        "customer_ref": None if anonymous else customer,
        "payment": payment(sim, "adyen-pos"),
    }
    checkout(sim, body, sim.tills[store], came)
