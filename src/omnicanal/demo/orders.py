"""The demo's last 90 days of orders, placed and worked through the orders use cases.

Web and app orders shipped from the warehouses (or from a store when they lack the item),
some from a cart started earlier (now and then on the other channel), click & collect with
realistic pickup waits, till sales, reserve & try, endless aisle, items the app sets aside
in a store (``omnicanal.demo.set_aside``), cancellations, no-shows and the lines a store
cannot find on its shelf. Everything goes through ``omnicanal.orders.service`` at simulated
times, day after day (``omnicanal.demo.simulation``), so statuses, histories, stock and
events are what the platform itself would have recorded, each event dated when it
happened. When and where people buy follows the chain's calendar
(``omnicanal.demo.calendar``): the stores while they are open, busiest on Saturdays; online
any day, most on Sunday evenings. The same seed gives the same orders (ids aside).
"""

from __future__ import annotations

import math
from collections.abc import Callable
from datetime import date, datetime, timedelta
from random import Random
from typing import TYPE_CHECKING, Any

from sqlalchemy.orm import Session

from omnicanal.carts import service as carts
from omnicanal.carts.schemas import CartIn, CartLineIn
from omnicanal.demo.calendar import Calendar, local_day
from omnicanal.demo.set_aside import SET_ASIDE_PER_DAY, SETS_ASIDE, set_aside
from omnicanal.demo.simulation import (
    Simulation,
    a_store,
    act,
    checkout,
    lines,
    payment,
    reject,
    world,
)
from omnicanal.fulfilment.schemas import FulfilmentOut
from omnicanal.fulfilment.states import HOME_DELIVERY, Action, Method
from omnicanal.orders import service as orders
from omnicanal.orders.schemas import CheckoutIn, OrderOut, PaymentUpdateIn
from omnicanal.platform.actors import Actor
from omnicanal.platform.clock import simulated, utcnow
from omnicanal.platform.errors import DomainError

if TYPE_CHECKING:
    from omnicanal.demo.generate import DemoRetailer

__all__ = ["ONLINE_PER_DAY", "STORE_SALES_PER_DAY", "generate_orders"]

ONLINE_PER_DAY = 7.5
"""Orders placed online (web, app, call centre) on an average day."""
STORE_SALES_PER_DAY = 0.3
"""Sales over the counter of a medium store on an average day (besides the items set aside)."""
# (kind, weight): how the online orders split between journeys.
JOURNEYS: tuple[tuple[str, int], ...] = (
    ("web_ship", 30),
    ("app_ship", 14),
    ("call_centre_ship", 3),
    ("click_and_collect", 20),
    ("reserve_and_try", 6),
)
CART_ORDERS = 0.35
"""Of the web and app orders, the share placed from a cart the customer started earlier."""
OTHER_CHANNEL_CART = 0.25
"""Of those carts, the share started on the other channel (the app's cart bought on the web
shop, or the other way round)."""
ENDLESS_AISLE = 0.18
"""Of the counter sales, the share sent from the warehouse (endless aisle)."""
CANCELLED = 0.04
NO_CHECK_IN = 0.1

Report = Callable[[int, int], None]


def _place(sim: Simulation, body: dict[str, Any], actor: Actor, at: datetime) -> OrderOut | None:
    """Place an online order; now and then from a cart the customer started a while before,
    on this channel or the other one."""
    if sim.rng.random() >= CART_ORDERS:
        return checkout(sim, body, actor, at)
    started = at - sim.minutes(10, 2 * 24 * 60)
    channel = actor.channel
    if sim.rng.random() < OTHER_CHANNEL_CART:
        channel = "app" if channel == "web" else "web"
    lines = body.pop("lines")
    wanted = CartIn(
        customer_ref=body["customer_ref"],
        lines=[CartLineIn(sku=line["sku"], quantity=line["quantity"]) for line in lines],
    )
    try:
        # The cart goes with a refused order: a history's cart is one that was bought.
        with sim.session.begin_nested():
            with simulated(started):
                cart = carts.create_cart(
                    sim.session, data=wanted, actor=sim.actors[channel], currency=sim.currency
                )
            with simulated(at):
                order = orders.checkout(
                    sim.session,
                    data=CheckoutIn.model_validate(
                        {
                            **body,
                            "cart_id": cart.id,
                            "channel": actor.channel,
                            "fulfilment": lines[0]["fulfilment"],
                        }
                    ),
                    actor=actor,
                    now=at,
                )
    except DomainError as error:
        sim.stats[f"refused:{error.code}"] += 1
        return None
    sim.carts.append(cart.id)
    return order


def _ship(sim: Simulation, parcels: list[FulfilmentOut], at: datetime) -> None:
    """Warehouses and stores pick, pack and hand parcels over; carriers deliver."""
    for parcel in parcels:
        t = at + sim.minutes(60, 6 * 60)
        if parcel.location in sim.tills and t < sim.end and sim.fails("parcel", parcel.location, t):
            reason = sim.rng.choice(("article abîmé", "introuvable en rayon"))
            order = reject(sim, parcel, t, reason)
            _ship(sim, [f for f in order.fulfilments if f.replaces == parcel.id], t)
            if len(parcel.lines) == 1:
                continue
            parcel = orders.get_fulfilment_view(sim.session, fulfilment_id=parcel.id)
        if not act(sim, parcel, Action.pick, t):
            continue
        t += sim.minutes(10, 60)
        if not act(sim, parcel, Action.pack, t):
            continue
        t += sim.minutes(60, 8 * 60)
        tracking = f"6A{sim.rng.randrange(10**10, 10**11)}"
        if not act(sim, parcel, Action.ship, t, carrier="Colissimo", tracking_reference=tracking):
            continue
        act(sim, parcel, Action.deliver, t + sim.minutes(20 * 60, 72 * 60))


def _home(order: OrderOut) -> list[FulfilmentOut]:
    return [f for f in order.fulfilments if Method(f.method) in HOME_DELIVERY]


def _pickup_wait(sim: Simulation, store: str) -> timedelta:
    """Minutes between check-in and handover: mostly a few, sometimes a long queue."""
    median = sim.pickup_pace[store]
    return timedelta(minutes=min(median * math.exp(sim.rng.gauss(0, 0.7)), 45))


def _not_on_the_shelf(
    sim: Simulation, fulfilment: FulfilmentOut, t: datetime
) -> FulfilmentOut | None:
    """The store looks for the first line and may not find it: the rest of the fulfilment
    (None: nothing left to serve)."""
    if t >= sim.end or not sim.fails("shelf", fulfilment.location, t):
        return fulfilment
    reject(sim, fulfilment, t, "introuvable en rayon")
    if len(fulfilment.lines) == 1:
        return None
    return orders.get_fulfilment_view(sim.session, fulfilment_id=fulfilment.id)


def _collect(sim: Simulation, order: OrderOut, at: datetime) -> None:
    t = at + sim.minutes(45, 4 * 60)
    fulfilment = _not_on_the_shelf(sim, order.fulfilments[0], t)
    if fulfilment is None or not act(sim, fulfilment, Action.pick, t):
        return
    t += sim.minutes(15, 90)
    if not act(sim, fulfilment, Action.ready, t):
        return
    if sim.fails("no_show", fulfilment.location, t):
        act(sim, fulfilment, Action.expire, t + timedelta(days=7, minutes=30))
        sim.stats["no_shows"] += 1
        return
    t += sim.minutes(2 * 60, 3 * 24 * 60)
    if sim.rng.random() >= NO_CHECK_IN:
        if not act(sim, fulfilment, Action.check_in, t):
            return
        t += _pickup_wait(sim, fulfilment.location)
    # The customer shows the code of their "ready" message; the clerk types it.
    act(sim, fulfilment, Action.collect, t, pickup_code=fulfilment.pickup_code)


def _try_on(sim: Simulation, order: OrderOut, at: datetime, days: int) -> None:
    found = _not_on_the_shelf(sim, order.fulfilments[0], at + sim.minutes(30, 4 * 60))
    if found is None:
        return
    roll = sim.rng.random()
    if roll < 0.25:
        act(sim, found, Action.expire, at + timedelta(days=days, minutes=20))
        return
    t = at + sim.minutes(3 * 60, days * 24 * 60 - 60)
    if not act(sim, found, Action.try_on, t):
        return
    t += sim.minutes(5, 25)
    if roll < 0.7:
        payment = {
            "provider": "adyen-pos",
            "reference": f"pos_{sim.rng.randrange(10**8, 10**9)}",
            "status": "captured",
        }
        act(sim, found, Action.buy, t, payment=payment)
    else:
        act(sim, found, Action.release, t, reason="ne lui allait pas")


def _cancel(sim: Simulation, order: OrderOut, at: datetime) -> None:
    # The customer calls customer service, which may cancel any first-party order.
    t = at + sim.minutes(5, 90)
    if t >= sim.end:
        return
    with simulated(t):
        orders.cancel_order(
            sim.session,
            order_id=order.id,
            reason="le client a changé d\u2019avis",
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


def _online(sim: Simulation, journey: str, at: datetime) -> None:
    rng = sim.rng
    if journey in ("web_ship", "app_ship", "call_centre_ship"):
        channel = journey.removesuffix("_ship")
        skus = sim.store_only_skus if rng.random() < 0.12 else sim.online_skus
        body = {
            "lines": lines(sim, skus, Method.ship),
            "customer_ref": sim.customer(),
            "delivery_address": sim.address(),
            "shipping_minor": 490,
            "payment": payment(sim),
        }
        order = _place(sim, body, sim.actors[channel], at)
        if order is None:
            return
        if rng.random() < CANCELLED:
            _cancel(sim, order, at)
        else:
            _ship(sim, _home(order), at)
    elif journey == "click_and_collect":
        store = a_store(sim, sim.collect_stores, local_day(at))
        body = {
            "lines": lines(sim, sim.store_skus[store], Method.pickup, location=store),
            "customer_ref": sim.customer(),
            "payment": payment(sim),
        }
        order = _place(sim, body, sim.actors[rng.choice(("web", "app"))], at)
        if order is None:
            return
        if rng.random() < CANCELLED:
            _cancel(sim, order, at)
        else:
            _collect(sim, order, at)
    else:
        store = a_store(sim, list(sim.tills), local_day(at))
        days = rng.choice((1, 2, 3))
        body = {
            "lines": lines(
                sim,
                sim.store_skus[store],
                Method.reserve_and_try,
                location=store,
                reserve_days=days,
            )[:1],
            "customer_ref": sim.customer(),
        }
        order = checkout(sim, body, sim.actors[rng.choice(("web", "app"))], at)
        if order is not None:
            _try_on(sim, order, at, days)


def _at_the_counter(sim: Simulation, store: str, at: datetime) -> None:
    """A sale over the counter: carried out, or sent from the warehouse (endless aisle)."""
    if sim.rng.random() < ENDLESS_AISLE:
        body = {
            "lines": lines(sim, sim.online_skus, Method.endless_aisle),
            "customer_ref": sim.customer(),
            "delivery_address": sim.address(),
            "payment": payment(sim, "adyen-pos"),
        }
        order = checkout(sim, body, sim.tills[store], at)
        if order is not None:
            _ship(sim, _home(order), at)
        return
    anonymous = sim.rng.random() < sim.calendar.anonymous_till(sim.sites[store], local_day(at))
    sale: dict[str, Any] = {
        "lines": lines(
            sim, sim.store_skus[store], Method.carry_out, known=not anonymous, location=store
        ),
        "customer_ref": None if anonymous else sim.customer(),
        "payment": payment(sim, "adyen-pos"),
    }
    checkout(sim, sale, sim.tills[store], at)


def _count(rng: Random, expected: float) -> int:
    return max(0, round(rng.gauss(expected, math.sqrt(expected)))) if expected > 0 else 0


def _day(sim: Simulation, day: date, growth: float) -> list[tuple[datetime, str, str | None]]:
    """What happens on local ``day``: (when, what, which store)."""
    rng, calendar = sim.rng, sim.calendar
    journeys, weights = zip(*JOURNEYS, strict=True)
    planned: list[tuple[datetime, str, str | None]] = []
    for _ in range(_count(rng, ONLINE_PER_DAY * calendar.online_trade(day) * growth)):
        planned.append((calendar.online(day, rng), rng.choices(journeys, weights=weights)[0], None))
    for code, site in sim.sites.items():
        trade = calendar.store_trade(site, day) * growth
        for _ in range(_count(rng, STORE_SALES_PER_DAY * trade)):
            moment = calendar.in_store(site, day, rng)
            if moment is not None:
                planned.append((moment, "counter", code))
        if site.tier in SETS_ASIDE:
            # The app takes reservations every day, a closed store's included.
            wanted = SET_ASIDE_PER_DAY * calendar.size(site) * calendar.set_aside_trade(site, day)
            wanted *= growth
            for _ in range(_count(rng, wanted)):
                planned.append((calendar.online(day, rng), "set_aside", code))
    planned.sort(key=lambda item: (item[0], item[1], item[2] or ""))
    return planned


def generate_orders(
    session: Session, demo: DemoRetailer, rng: Random, report: Report, *, days: int = 90
) -> None:
    """The last ``days`` days of trade, online and in the stores, each order worked to its
    present state."""
    # The simulation runs up to midnight (UTC) today: the same seed, the same orders, whatever
    # the time of day. Whatever would happen after it is left in progress.
    end = utcnow().replace(hour=0, minute=0, second=0, microsecond=0)
    sim = world(session, demo, rng, end)
    first_day = sim.calendar.last_day - timedelta(days=days - 1)
    sim.calendar = Calendar(first_day=first_day, last_day=sim.calendar.last_day)
    for number in range(days):
        day = first_day + timedelta(days=number)
        growth = 0.85 + 0.3 * number / days
        for at, journey, store in _day(sim, day, growth):
            if at >= end:
                continue
            if journey == "counter" and store is not None:
                _at_the_counter(sim, store, at)
            elif journey == "set_aside" and store is not None:
                set_aside(sim, store, at)
            else:
                _online(sim, journey, at)
            sim.stats[journey] += 1
        report(number + 1, days)
    demo.history_carts.extend(sim.carts)
