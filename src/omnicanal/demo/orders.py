"""The demo's last 90 days of orders, placed and worked through the orders use cases.

Web and app orders shipped from the warehouses (or from a store when they lack the item),
click & collect with realistic pickup waits, till sales, reserve & try, endless aisle,
cancellations, no-shows and the odd line a store cannot find. Everything goes through
``omnicanal.orders.service`` at simulated times, day after day, so statuses, histories,
stock and events are what the platform itself would have recorded. The same seed gives the
same orders (ids aside).
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from random import Random
from typing import TYPE_CHECKING, Any

from sqlalchemy.orm import Session

from omnicanal.fulfilment.schemas import ActionIn, FulfilmentOut, RejectLineIn
from omnicanal.fulfilment.states import HOME_DELIVERY, Action, Method
from omnicanal.network import service as network
from omnicanal.orders import service as orders
from omnicanal.orders.schemas import CheckoutIn, OrderOut, PaymentUpdateIn
from omnicanal.platform.actors import Actor
from omnicanal.platform.clock import utcnow
from omnicanal.platform.errors import DomainError

if TYPE_CHECKING:
    from omnicanal.demo.generate import DemoRetailer

__all__ = ["ORDERS_PER_DAY", "generate_orders"]

ORDERS_PER_DAY = 10
# (kind, weight): how the demo retailer's orders split between journeys.
JOURNEYS: tuple[tuple[str, int], ...] = (
    ("web_ship", 30),
    ("app_ship", 14),
    ("call_centre_ship", 3),
    ("click_and_collect", 20),
    ("till", 22),
    ("reserve_and_try", 6),
    ("endless_aisle", 5),
)
CANCELLED = 0.04
REJECTED_BY_STORE = 0.08
NO_SHOW = 0.05
NO_CHECK_IN = 0.1
CUSTOMERS = 700
ANONYMOUS_TILL = 0.35

Report = Callable[[int, int], None]


@dataclass
class _Sim:
    session: Session
    rng: Random
    end: datetime
    actors: dict[str, Actor]
    tills: dict[str, Actor]
    store_skus: dict[str, list[str]]
    collect_stores: list[str]
    try_stores: list[str]
    online_skus: list[str]
    store_only_skus: list[str]
    places: list[tuple[str, float, float]]
    pickup_pace: dict[str, float]
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


def _lines(sim: _Sim, skus: list[str], method: Method, **choice: Any) -> list[dict[str, Any]]:
    count = sim.rng.choices((1, 2, 3), weights=(60, 28, 12))[0]
    picked = sim.rng.sample(skus, k=min(count, len(skus)))
    return [
        {
            "sku": sku,
            "quantity": 1 if sim.rng.random() < 0.9 else 2,
            "fulfilment": {"method": method.value, **choice},
        }
        for sku in picked
    ]


def _checkout(sim: _Sim, body: dict[str, Any], actor: Actor, at: datetime) -> OrderOut | None:
    """Place an order; a refusal (sold out meanwhile) leaves nothing behind."""
    try:
        with sim.session.begin_nested():
            return orders.checkout(
                sim.session, data=CheckoutIn.model_validate(body), actor=actor, now=at
            )
    except DomainError as error:
        sim.stats[f"refused:{error.code}"] += 1
        return None


def _act(sim: _Sim, fulfilment: FulfilmentOut, action: Action, at: datetime, **data: Any) -> bool:
    """Apply an action if its time has come (the simulation stops at the present)."""
    if at >= sim.end:
        return False
    if action is Action.expire:
        actor = orders.SWEEPER
    else:
        actor = sim.tills.get(fulfilment.location, sim.actors["warehouse"])
    orders.act(
        sim.session,
        fulfilment_id=fulfilment.id,
        action=action,
        data=ActionIn(**data),
        actor=actor,
        now=at,
    )
    return True


def _ship(sim: _Sim, parcels: list[FulfilmentOut], at: datetime) -> None:
    """Warehouses and stores pick, pack and hand parcels over; carriers deliver."""
    for parcel in parcels:
        t = at + sim.minutes(60, 6 * 60)
        if parcel.location in sim.tills and sim.rng.random() < REJECTED_BY_STORE and t < sim.end:
            order = orders.reject_line(
                sim.session,
                fulfilment_id=parcel.id,
                data=RejectLineIn(
                    line_id=parcel.lines[0].id,
                    reason=sim.rng.choice(("damaged", "not found on the shelf")),
                ),
                actor=sim.tills[parcel.location],
                now=t,
            )
            sim.stats["rejected_lines"] += 1
            _ship(sim, [f for f in order.fulfilments if f.replaces == parcel.id], t)
            if len(parcel.lines) == 1:
                continue
            parcel = orders.get_fulfilment_view(sim.session, fulfilment_id=parcel.id)
        if not _act(sim, parcel, Action.pick, t):
            continue
        t += sim.minutes(10, 60)
        if not _act(sim, parcel, Action.pack, t):
            continue
        t += sim.minutes(60, 8 * 60)
        tracking = f"6A{sim.rng.randrange(10**10, 10**11)}"
        if not _act(sim, parcel, Action.ship, t, carrier="Colissimo", tracking_reference=tracking):
            continue
        _act(sim, parcel, Action.deliver, t + sim.minutes(20 * 60, 72 * 60))


def _home(order: OrderOut) -> list[FulfilmentOut]:
    return [f for f in order.fulfilments if Method(f.method) in HOME_DELIVERY]


def _pickup_wait(sim: _Sim, store: str) -> timedelta:
    """Minutes between check-in and handover: mostly a few, sometimes a long queue."""
    median = sim.pickup_pace[store]
    return timedelta(minutes=min(median * math.exp(sim.rng.gauss(0, 0.7)), 45))


def _collect(sim: _Sim, order: OrderOut, at: datetime) -> None:
    (fulfilment,) = order.fulfilments
    t = at + sim.minutes(45, 4 * 60)
    if not _act(sim, fulfilment, Action.pick, t):
        return
    t += sim.minutes(15, 90)
    if not _act(sim, fulfilment, Action.ready, t):
        return
    if sim.rng.random() < NO_SHOW:
        _act(sim, fulfilment, Action.expire, t + timedelta(days=7, minutes=30))
        sim.stats["no_shows"] += 1
        return
    t += sim.minutes(2 * 60, 3 * 24 * 60)
    if sim.rng.random() >= NO_CHECK_IN:
        if not _act(sim, fulfilment, Action.check_in, t):
            return
        t += _pickup_wait(sim, fulfilment.location)
    # The customer shows the code of their "ready" message; the clerk types it.
    _act(sim, fulfilment, Action.collect, t, pickup_code=fulfilment.pickup_code)


def _try_on(sim: _Sim, order: OrderOut, at: datetime, days: int) -> None:
    (fulfilment,) = order.fulfilments
    roll = sim.rng.random()
    if roll < 0.25:
        _act(sim, fulfilment, Action.expire, at + timedelta(days=days, minutes=20))
        return
    t = at + sim.minutes(3 * 60, days * 24 * 60 - 60)
    if not _act(sim, fulfilment, Action.try_on, t):
        return
    t += sim.minutes(5, 25)
    if roll < 0.7:
        payment = {
            "provider": "adyen-pos",
            "reference": f"pos_{sim.rng.randrange(10**8, 10**9)}",
            "status": "captured",
        }
        _act(sim, fulfilment, Action.buy, t, payment=payment)
    else:
        _act(sim, fulfilment, Action.release, t, reason="did not fit")


def _cancel(sim: _Sim, order: OrderOut, at: datetime) -> None:
    # The customer calls customer service, which may cancel any first-party order.
    t = at + sim.minutes(5, 90)
    if t >= sim.end:
        return
    orders.cancel_order(
        sim.session,
        order_id=order.id,
        reason="customer changed their mind",
        actor=sim.actors["call_centre"],
        now=t,
    )
    orders.update_payment(
        sim.session,
        order_id=order.id,
        data=PaymentUpdateIn(status="refunded"),
        actor=sim.actors["call_centre"],
    )
    sim.stats["cancelled"] += 1


def _payment(sim: _Sim, provider: str = "adyen") -> dict[str, str]:
    return {
        "provider": provider,
        "reference": f"psp_{sim.rng.randrange(10**9, 10**10)}",
        "status": "captured",
    }


def _one_order(sim: _Sim, journey: str, at: datetime) -> None:
    rng = sim.rng
    if journey in ("web_ship", "app_ship", "call_centre_ship"):
        channel = journey.removesuffix("_ship")
        skus = sim.store_only_skus if rng.random() < 0.12 else sim.online_skus
        body = {
            "lines": _lines(sim, skus, Method.ship),
            "customer_ref": sim.customer(),
            "delivery_address": sim.address(),
            "shipping_minor": 490,
            "payment": _payment(sim),
        }
        order = _checkout(sim, body, sim.actors[channel], at)
        if order is None:
            return
        if rng.random() < CANCELLED:
            _cancel(sim, order, at)
        else:
            _ship(sim, _home(order), at)
    elif journey == "click_and_collect":
        store = rng.choice(sim.collect_stores)
        body = {
            "lines": _lines(sim, sim.store_skus[store], Method.pickup, location=store),
            "customer_ref": sim.customer(),
            "payment": _payment(sim),
        }
        order = _checkout(sim, body, sim.actors[rng.choice(("web", "app"))], at)
        if order is None:
            return
        if rng.random() < CANCELLED:
            _cancel(sim, order, at)
        else:
            _collect(sim, order, at)
    elif journey == "till":
        store = rng.choice(list(sim.tills))
        body = {
            "lines": _lines(sim, sim.store_skus[store], Method.carry_out, location=store),
            "customer_ref": None if rng.random() < ANONYMOUS_TILL else sim.customer(),
            "payment": _payment(sim, "adyen-pos"),
        }
        _checkout(sim, body, sim.tills[store], at)
    elif journey == "reserve_and_try":
        store = rng.choice(sim.try_stores)
        days = rng.choice((1, 2, 3))
        body = {
            "lines": _lines(
                sim,
                sim.store_skus[store],
                Method.reserve_and_try,
                location=store,
                reserve_days=days,
            )[:1],
            "customer_ref": sim.customer(),
        }
        order = _checkout(sim, body, sim.actors[rng.choice(("web", "app"))], at)
        if order is not None:
            _try_on(sim, order, at, days)
    else:
        store = rng.choice(list(sim.tills))
        body = {
            "lines": _lines(sim, sim.online_skus, Method.endless_aisle),
            "customer_ref": sim.customer(),
            "delivery_address": sim.address(),
            "payment": _payment(sim, "adyen-pos"),
        }
        order = _checkout(sim, body, sim.tills[store], at)
        if order is not None:
            _ship(sim, _home(order), at)


def _world(session: Session, demo: DemoRetailer, rng: Random, end: datetime) -> _Sim:
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
            name=f"demo till {code}",
        )

    return _Sim(
        session=session,
        rng=rng,
        end=end,
        actors={
            "web": Actor(key_id=None, channel="web", name="demo web shop"),
            "app": Actor(key_id=None, channel="app", name="demo app"),
            "call_centre": Actor(key_id=None, channel="call_centre", name="demo call centre"),
            "warehouse": Actor(key_id=None, channel="back_office", name="demo warehouse"),
        },
        tills={site.code: till(site.code) for site in demo.stores},
        store_skus={site.code: sorted(held.get(site.code, set())) for site in demo.stores},
        collect_stores=[site.code for site in demo.stores if site.click_and_collect],
        try_stores=[site.code for site in demo.stores],
        online_skus=sorted(in_warehouses),
        store_only_skus=store_only or sorted(in_warehouses),
        places=[(site.city, site.latitude, site.longitude) for site in demo.sites],
        pickup_pace={site.code: rng.uniform(2.5, 7.0) for site in demo.stores},
    )


def generate_orders(
    session: Session, demo: DemoRetailer, rng: Random, report: Report, *, days: int = 90
) -> None:
    """About ten orders a day over the last ``days`` days, each worked to its present state."""
    # The simulation runs up to midnight (UTC) today: the same seed, the same orders, whatever
    # the time of day. Whatever would happen after it is left in progress.
    end = utcnow().replace(hour=0, minute=0, second=0, microsecond=0)
    start = end - timedelta(days=days)
    sim = _world(session, demo, rng, end)
    journeys, weights = zip(*JOURNEYS, strict=True)
    for day in range(days):
        date = start + timedelta(days=day)
        weekend = date.weekday() >= 5
        expected = ORDERS_PER_DAY * (1.4 if weekend else 1.0) * (0.85 + 0.3 * day / days)
        count = max(0, round(rng.gauss(expected, math.sqrt(expected))))
        times = sorted(date + timedelta(minutes=rng.uniform(8 * 60, 21 * 60)) for _ in range(count))
        for at in times:
            if at >= end:
                break
            _one_order(sim, rng.choices(journeys, weights=weights)[0], at)
            sim.stats["orders"] += 1
        report(day + 1, days)
