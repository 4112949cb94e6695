"""The demo's simulated trade: the world its orders are placed in, and the use cases called at
the moments of the story.

:class:`Simulation` holds who acts (the channels, each store's till), what each store holds,
the chain's calendar and the seeded generator; :func:`checkout`, :func:`act` and
:func:`reject` call the orders use cases at a simulated moment, dating their events then
(``omnicanal.platform.clock.simulated``), and stop at the present. A store's failures of a
kind (a parcel line missing, a line not on the shelf, a customer who never collects, an
item set aside that lapses) are spread evenly over its reservations of that kind
(:meth:`Simulation.fails`).
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from random import Random
from typing import TYPE_CHECKING, Any

from sqlalchemy.orm import Session

from omnicanal.demo.calendar import Calendar, failure_factor, local_day
from omnicanal.demo.retailer import Site
from omnicanal.fulfilment.schemas import ActionIn, FulfilmentOut, RejectLineIn
from omnicanal.fulfilment.states import Action, Method
from omnicanal.network import service as network
from omnicanal.orders import service as orders
from omnicanal.orders.schemas import CheckoutIn, OrderOut
from omnicanal.platform.actors import Actor
from omnicanal.platform.clock import simulated
from omnicanal.platform.errors import DomainError

if TYPE_CHECKING:
    from omnicanal.demo.generate import DemoRetailer

__all__ = [
    "ATTEMPTS",
    "FAILURES",
    "WAREHOUSE",
    "Simulation",
    "a_store",
    "act",
    "checkout",
    "lines",
    "payment",
    "reject",
    "world",
]

WAREHOUSE = Actor(key_id=None, channel="back_office", name="entrepôt")
"""Who picks, packs and ships the warehouses' parcels."""

FAILURES = {
    "parcel": 0.08,
    "shelf": 0.07,
    "no_show": 0.05,
    "set_aside": 0.4,
}
"""How often, before the pilot, a store finds a line of a parcel it ships missing, cannot
find a click & collect or reserve & try line on its shelf, sees a customer not collect, or
an item set aside lapse (``calendar.failure_factor`` says how each store does)."""
CUSTOMERS = 700
ATTEMPTS = 4
"""Items tried, one after the other, when the first is sold out meanwhile."""


@dataclass
class Simulation:
    """The world the history's orders are placed in, and what the simulation noted."""

    session: Session
    rng: Random
    end: datetime
    currency: str
    calendar: Calendar
    actors: dict[str, Actor]
    tills: dict[str, Actor]
    sites: dict[str, Site]
    store_skus: dict[str, list[str]]
    collect_stores: list[str]
    online_skus: list[str]
    store_only_skus: list[str]
    places: list[tuple[str, float, float]]
    pickup_pace: dict[str, float]
    variants: dict[str, str] = field(default_factory=dict)
    debts: dict[tuple[str, str], float] = field(default_factory=dict)
    carts: list[str] = field(default_factory=list)
    stats: Counter[str] = field(default_factory=Counter)

    def customer(self) -> str:
        # A few loyal customers order often: a skewed draw over the pool.
        return f"CUST-{int(CUSTOMERS * self.rng.random() ** 2) + 1:05d}"

    def address(self) -> dict[str, Any]:
        city, latitude, longitude = self.rng.choice(self.places)
        return {
            "name": self.customer(),
            "city": city,
            "latitude": round(latitude + self.rng.uniform(-0.25, 0.25), 4),
            "longitude": round(longitude + self.rng.uniform(-0.25, 0.25), 4),
        }

    def minutes(self, low: float, high: float) -> timedelta:
        return timedelta(minutes=self.rng.uniform(low, high))

    def fails(self, kind: str, store: str, at: datetime) -> bool:
        """Whether ``store`` fails this reservation of ``kind`` (a key of ``FAILURES``).

        A store's failures of a kind are spread evenly over its reservations of that kind,
        from a random start, rather than left to the luck of each draw: a store that fails
        one reservation in eight fails about every eighth, so its daily figures say its
        rate, not the noise of a handful of reservations."""
        site = self.sites[store]
        rate = FAILURES[kind] * failure_factor(site, local_day(at), self.calendar.last_day)
        debt = self.debts.get((store, kind))
        if debt is None:
            debt = self.rng.random()
        debt += rate
        failed = debt >= 1
        self.debts[(store, kind)] = debt - 1 if failed else debt
        return failed


def lines(
    sim: Simulation, skus: list[str], method: Method, *, known: bool = True, **choice: Any
) -> list[dict[str, Any]]:
    """One to three of ``skus``, as an order's lines fulfilled by ``method``."""
    # A customer who gives their card buys a little more than one who does not.
    weights = (55, 30, 15) if known else (72, 21, 7)
    count = sim.rng.choices((1, 2, 3), weights=weights)[0]
    picked = sim.rng.sample(skus, k=min(count, len(skus)))
    return [
        {
            "sku": sku,
            "quantity": 1 if sim.rng.random() < 0.9 else 2,
            "fulfilment": {"method": method.value, **choice},
        }
        for sku in picked
    ]


def checkout(sim: Simulation, body: dict[str, Any], actor: Actor, at: datetime) -> OrderOut | None:
    """Place an order; a refusal (sold out meanwhile) leaves nothing behind."""
    try:
        with simulated(at), sim.session.begin_nested():
            return orders.checkout(
                sim.session, data=CheckoutIn.model_validate(body), actor=actor, now=at
            )
    except DomainError as error:
        sim.stats[f"refused:{error.code}"] += 1
        return None


def act(
    sim: Simulation, fulfilment: FulfilmentOut, action: Action, at: datetime, **data: Any
) -> bool:
    """Apply an action if its time has come (the simulation stops at the present)."""
    if at >= sim.end:
        return False
    if action is Action.expire:
        actor = orders.SWEEPER
    else:
        actor = sim.tills.get(fulfilment.location, sim.actors["warehouse"])
    with simulated(at):
        orders.act(
            sim.session,
            fulfilment_id=fulfilment.id,
            action=action,
            data=ActionIn(**data),
            actor=actor,
            now=at,
        )
    return True


def reject(sim: Simulation, fulfilment: FulfilmentOut, at: datetime, reason: str) -> OrderOut:
    """The store cannot serve the fulfilment's first line."""
    with simulated(at):
        order = orders.reject_line(
            sim.session,
            fulfilment_id=fulfilment.id,
            data=RejectLineIn(line_id=fulfilment.lines[0].id, reason=reason),
            actor=sim.tills[fulfilment.location],
            now=at,
        )
    sim.stats["rejected_lines"] += 1
    return order


def payment(sim: Simulation, provider: str = "adyen") -> dict[str, str]:
    """A captured payment by ``provider``."""
    return {
        "provider": provider,
        "reference": f"psp_{sim.rng.randrange(10**9, 10**10)}",
        "status": "captured",
    }


def a_store(sim: Simulation, codes: list[str], day: date) -> str:
    """One of ``codes``, the busier stores more often."""
    weights = [max(sim.calendar.store_trade(sim.sites[code], day), 0.2) for code in codes]
    return sim.rng.choices(codes, weights=weights)[0]


def world(session: Session, demo: DemoRetailer, rng: Random, end: datetime) -> Simulation:
    """The demo retailer's world, as its stores opened, for a history ending at ``end``."""
    held: dict[str, set[str]] = {}
    for count in demo.stock:
        if count.quantity > 0:
            held.setdefault(count.location, set()).add(count.sku)
    warehouses = {site.code for site in demo.warehouses}
    in_warehouses = set().union(*(held.get(code, set()) for code in warehouses))
    flagship_like = [site.code for site in demo.stores if site.ships]
    store_only = sorted(
        {sku for code in flagship_like for sku in held.get(code, set())} - in_warehouses
    )

    def till(code: str) -> Actor:
        location = network.get_location(session, code)
        return Actor(
            key_id=None,
            channel="store",
            location_id=location.id,
            location_code=code,
            name=f"caisse {code}",
        )

    last_day = end.date() - timedelta(days=1)
    return Simulation(
        session=session,
        rng=rng,
        end=end,
        currency=demo.currency,
        calendar=Calendar(first_day=last_day, last_day=last_day),
        actors={
            "web": Actor(key_id=None, channel="web", name="boutique en ligne"),
            "app": Actor(key_id=None, channel="app", name="application mobile"),
            "call_centre": Actor(key_id=None, channel="call_centre", name="service client"),
            "warehouse": WAREHOUSE,
        },
        tills={site.code: till(site.code) for site in demo.stores},
        sites={site.code: site for site in demo.stores},
        store_skus={site.code: sorted(held.get(site.code, set())) for site in demo.stores},
        collect_stores=[site.code for site in demo.stores if site.click_and_collect],
        online_skus=sorted(in_warehouses),
        store_only_skus=store_only or sorted(in_warehouses),
        places=[(site.city, site.latitude, site.longitude) for site in demo.sites],
        pickup_pace={site.code: rng.uniform(2.5, 7.0) for site in demo.stores},
    )
