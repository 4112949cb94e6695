"""The demo's last 90 days of orders, placed and worked through the orders use cases.

Web and app orders shipped from the warehouses (or from a store when they lack the item),
click & collect with realistic pickup waits, till sales, reserve & try, endless aisle, items
the app sets aside in a store for two days, cancellations, no-shows and the lines a store
cannot find on its shelf. Everything goes through ``omnicanal.orders.service`` (and the
inventory's reservations) at simulated times, day after day, so statuses, histories, stock
and events are what the platform itself would have recorded, each event dated when it
happened (``omnicanal.platform.clock.simulated``). When and where people buy follows the
chain's calendar (``omnicanal.demo.calendar``): the stores while they are open, busiest on
Saturdays; online any day, most on Sunday evenings. The same seed gives the same orders
(ids aside).
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from random import Random
from typing import TYPE_CHECKING, Any

from sqlalchemy.orm import Session

from omnicanal.carts import service as carts
from omnicanal.carts.schemas import CartIn, CartLineIn
from omnicanal.catalog import service as catalog
from omnicanal.demo.calendar import Calendar, failure_factor, local_day
from omnicanal.demo.retailer import Site, Tier
from omnicanal.fulfilment.schemas import ActionIn, FulfilmentOut, RejectLineIn
from omnicanal.fulfilment.states import HOME_DELIVERY, Action, Method
from omnicanal.inventory import service as inventory
from omnicanal.inventory.schemas import ReservationIn
from omnicanal.network import service as network
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
STORE_SALES_PER_DAY = 0.4
"""Sales over the counter of a medium store on an average day (besides the items set aside)."""
SET_ASIDE_PER_DAY = 0.9
"""Items the app sets aside in a store on an average day, against a medium store's trade:
the service (« Réserver en boutique ») is offered by the flagship and the large stores."""
SETS_ASIDE = frozenset({Tier.flagship, Tier.large})
SET_ASIDE = timedelta(days=2)
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
FAILURES = {
    "parcel": 0.08,
    "shelf": 0.07,
    "no_show": 0.05,
    "set_aside": 0.4,
}
"""How often, before the pilot, a store finds a line of a parcel it ships missing, cannot
find a click & collect or reserve & try line on its shelf, sees a customer not collect, or
an item set aside lapse (``calendar.failure_factor`` says how each store does)."""
NO_CHECK_IN = 0.1
CUSTOMERS = 700
ATTEMPTS = 4
"""Items tried, one after the other, when the first is sold out meanwhile."""
INVENTORY_SWEEPER = Actor(key_id=None, channel="system", name="sweeper")

Report = Callable[[int, int], None]


@dataclass
class _Sim:
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
        from a random start: about one in eight, rather than by the luck of each draw. A
        store that sets aside eight items a week fails about one of them every week, so its
        daily figures say its rate, not the noise of a handful of reservations."""
        site = self.sites[store]
        rate = FAILURES[kind] * failure_factor(site, local_day(at), self.calendar.last_day)
        debt = self.debts.get((store, kind))
        if debt is None:
            debt = self.rng.random()
        debt += rate
        failed = debt >= 1
        self.debts[(store, kind)] = debt - 1 if failed else debt
        return failed


def _lines(
    sim: _Sim, skus: list[str], method: Method, *, known: bool = True, **choice: Any
) -> list[dict[str, Any]]:
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


def _checkout(sim: _Sim, body: dict[str, Any], actor: Actor, at: datetime) -> OrderOut | None:
    """Place an order; a refusal (sold out meanwhile) leaves nothing behind."""
    try:
        with simulated(at), sim.session.begin_nested():
            return orders.checkout(
                sim.session, data=CheckoutIn.model_validate(body), actor=actor, now=at
            )
    except DomainError as error:
        sim.stats[f"refused:{error.code}"] += 1
        return None


def _place(sim: _Sim, body: dict[str, Any], actor: Actor, at: datetime) -> OrderOut | None:
    """Place an online order; now and then from a cart the customer started a while before,
    on this channel or the other one."""
    if sim.rng.random() >= CART_ORDERS:
        return _checkout(sim, body, actor, at)
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


def _act(sim: _Sim, fulfilment: FulfilmentOut, action: Action, at: datetime, **data: Any) -> bool:
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


def _reject(sim: _Sim, fulfilment: FulfilmentOut, at: datetime, reason: str) -> OrderOut:
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


def _ship(sim: _Sim, parcels: list[FulfilmentOut], at: datetime) -> None:
    """Warehouses and stores pick, pack and hand parcels over; carriers deliver."""
    for parcel in parcels:
        t = at + sim.minutes(60, 6 * 60)
        if parcel.location in sim.tills and t < sim.end and sim.fails("parcel", parcel.location, t):
            reason = sim.rng.choice(("damaged", "not found on the shelf"))
            order = _reject(sim, parcel, t, reason)
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


def _not_on_the_shelf(sim: _Sim, fulfilment: FulfilmentOut, t: datetime) -> FulfilmentOut | None:
    """The store looks for the first line and may not find it: the rest of the fulfilment
    (None: nothing left to serve)."""
    if t >= sim.end or not sim.fails("shelf", fulfilment.location, t):
        return fulfilment
    _reject(sim, fulfilment, t, "not found on the shelf")
    if len(fulfilment.lines) == 1:
        return None
    return orders.get_fulfilment_view(sim.session, fulfilment_id=fulfilment.id)


def _collect(sim: _Sim, order: OrderOut, at: datetime) -> None:
    t = at + sim.minutes(45, 4 * 60)
    fulfilment = _not_on_the_shelf(sim, order.fulfilments[0], t)
    if fulfilment is None or not _act(sim, fulfilment, Action.pick, t):
        return
    t += sim.minutes(15, 90)
    if not _act(sim, fulfilment, Action.ready, t):
        return
    if sim.fails("no_show", fulfilment.location, t):
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
    found = _not_on_the_shelf(sim, order.fulfilments[0], at + sim.minutes(30, 4 * 60))
    if found is None:
        return
    roll = sim.rng.random()
    if roll < 0.25:
        _act(sim, found, Action.expire, at + timedelta(days=days, minutes=20))
        return
    t = at + sim.minutes(3 * 60, days * 24 * 60 - 60)
    if not _act(sim, found, Action.try_on, t):
        return
    t += sim.minutes(5, 25)
    if roll < 0.7:
        payment = {
            "provider": "adyen-pos",
            "reference": f"pos_{sim.rng.randrange(10**8, 10**9)}",
            "status": "captured",
        }
        _act(sim, found, Action.buy, t, payment=payment)
    else:
        _act(sim, found, Action.release, t, reason="did not fit")


def _cancel(sim: _Sim, order: OrderOut, at: datetime) -> None:
    # The customer calls customer service, which may cancel any first-party order.
    t = at + sim.minutes(5, 90)
    if t >= sim.end:
        return
    with simulated(t):
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


def _online(sim: _Sim, journey: str, at: datetime) -> None:
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
        order = _place(sim, body, sim.actors[channel], at)
        if order is None:
            return
        if rng.random() < CANCELLED:
            _cancel(sim, order, at)
        else:
            _ship(sim, _home(order), at)
    elif journey == "click_and_collect":
        store = _a_store(sim, sim.collect_stores, local_day(at))
        body = {
            "lines": _lines(sim, sim.store_skus[store], Method.pickup, location=store),
            "customer_ref": sim.customer(),
            "payment": _payment(sim),
        }
        order = _place(sim, body, sim.actors[rng.choice(("web", "app"))], at)
        if order is None:
            return
        if rng.random() < CANCELLED:
            _cancel(sim, order, at)
        else:
            _collect(sim, order, at)
    else:
        store = _a_store(sim, list(sim.tills), local_day(at))
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


def _at_the_counter(sim: _Sim, store: str, at: datetime) -> None:
    """A sale over the counter: carried out, or sent from the warehouse (endless aisle)."""
    if sim.rng.random() < ENDLESS_AISLE:
        body = {
            "lines": _lines(sim, sim.online_skus, Method.endless_aisle),
            "customer_ref": sim.customer(),
            "delivery_address": sim.address(),
            "payment": _payment(sim, "adyen-pos"),
        }
        order = _checkout(sim, body, sim.tills[store], at)
        if order is not None:
            _ship(sim, _home(order), at)
        return
    anonymous = sim.rng.random() < sim.calendar.anonymous_till(sim.sites[store], local_day(at))
    sale: dict[str, Any] = {
        "lines": _lines(
            sim, sim.store_skus[store], Method.carry_out, known=not anonymous, location=store
        ),
        "customer_ref": None if anonymous else sim.customer(),
        "payment": _payment(sim, "adyen-pos"),
    }
    _checkout(sim, sale, sim.tills[store], at)


def _variant_id(sim: _Sim, sku: str) -> str:
    if sku not in sim.variants:
        sim.variants[sku] = catalog.get_variant(sim.session, sku).id
    return sim.variants[sku]


def _set_aside(sim: _Sim, store: str, at: datetime) -> None:
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
        "payment": _payment(sim, "adyen-pos"),
    }
    _checkout(sim, body, sim.tills[store], came)


def _a_store(sim: _Sim, codes: list[str], day: date) -> str:
    """One of ``codes``, the busier stores more often."""
    weights = [max(sim.calendar.store_trade(sim.sites[code], day), 0.2) for code in codes]
    return sim.rng.choices(codes, weights=weights)[0]


def _count(rng: Random, expected: float) -> int:
    return max(0, round(rng.gauss(expected, math.sqrt(expected)))) if expected > 0 else 0


def _day(sim: _Sim, day: date, growth: float) -> list[tuple[datetime, str, str | None]]:
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
            wanted = SET_ASIDE_PER_DAY * calendar.size(site) * calendar.online_trade(day) * growth
            for _ in range(_count(rng, wanted)):
                planned.append((calendar.online(day, rng), "set_aside", code))
    planned.sort(key=lambda item: (item[0], item[1], item[2] or ""))
    return planned


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

    last_day = end.date() - timedelta(days=1)
    return _Sim(
        session=session,
        rng=rng,
        end=end,
        currency=demo.currency,
        calendar=Calendar(first_day=last_day, last_day=last_day),
        actors={
            "web": Actor(key_id=None, channel="web", name="demo web shop"),
            "app": Actor(key_id=None, channel="app", name="demo app"),
            "call_centre": Actor(key_id=None, channel="call_centre", name="demo call centre"),
            "warehouse": Actor(key_id=None, channel="back_office", name="demo warehouse"),
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


def generate_orders(
    session: Session, demo: DemoRetailer, rng: Random, report: Report, *, days: int = 90
) -> None:
    """The last ``days`` days of trade, online and in the stores, each order worked to its
    present state."""
    # The simulation runs up to midnight (UTC) today: the same seed, the same orders, whatever
    # the time of day. Whatever would happen after it is left in progress.
    end = utcnow().replace(hour=0, minute=0, second=0, microsecond=0)
    sim = _world(session, demo, rng, end)
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
                _set_aside(sim, store, at)
            else:
                _online(sim, journey, at)
            sim.stats[journey] += 1
        report(number + 1, days)
    demo.history_carts.extend(sim.carts)
