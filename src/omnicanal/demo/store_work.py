"""The work the demo leaves waiting in each store, and the returns of the last weeks.

Every store opens the demo with something to do: customers' click & collect orders ready
(one of them at the counter already, where the store offers click & collect), an item held
for a customer to try, and a return taken at the counter that nobody has inspected yet. Head
office has returns to review (one outside the return window, one of high value), and the
last two months hold returns refunded and exchanged, with the customers' satisfaction
scores, so that the return measures and the customers' profiles show something. Zoé, the
showcase customer, brought trousers back to Lyon as too small and rated it 2/5: the clerk
who finds her is offered the next size.

Everything goes through the orders and returns use cases at times relative to now; the same
seed gives the same orders and returns (ids and pickup codes aside).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from random import Random
from typing import TYPE_CHECKING, Any

from sqlalchemy.orm import Session

from omnicanal.catalog.sizes import neighbour_size
from omnicanal.demo.showcase import STORE as SHOWCASE_STORE
from omnicanal.demo.showcase import ZOE
from omnicanal.fulfilment.schemas import ActionIn
from omnicanal.fulfilment.states import HOME_DELIVERY, Action, Method
from omnicanal.network import service as network
from omnicanal.orders import service as orders
from omnicanal.orders.schemas import CheckoutIn, OrderOut
from omnicanal.platform.actors import Actor
from omnicanal.platform.clock import simulated, utcnow
from omnicanal.platform.errors import DomainError
from omnicanal.returns import service as returns
from omnicanal.returns.policy import ReturnPolicy
from omnicanal.returns.rules import SIZE_STEPS, ReasonCode
from omnicanal.returns.schemas import (
    ExchangeIn,
    ExchangeLineIn,
    InspectIn,
    RefundIn,
    ReturnIn,
    ReturnLineIn,
    ReturnOut,
)

if TYPE_CHECKING:
    from omnicanal.demo.generate import DemoRetailer

__all__ = ["PAST_RETURNS", "leave_store_work"]

Report = Callable[[int, int], None]

CUSTOMERS = 700
PAST_RETURNS = 30
PAST_DAYS = 60
EXCHANGED = 0.7
"""Of the past returns for size whose other size the store holds, the share exchanged."""
# (reason, weight) of a return at a counter: mostly a matter of size, as in fashion.
REASONS: tuple[tuple[ReasonCode, int], ...] = (
    (ReasonCode.too_small, 30),
    (ReasonCode.too_large, 25),
    (ReasonCode.changed_mind, 18),
    (ReasonCode.not_as_described, 12),
    (ReasonCode.defective, 8),
    (ReasonCode.other, 7),
)
SCORES = ((1, 2, 3, 4, 5), (2, 3, 5, 8, 6))
NO_SCORE = 0.2
HIGH_VALUE_UNITS = 3
ATTEMPTS = 4
"""Items tried, one after the other, for an order a store may have sold out of meanwhile."""
# Counter returns sign no label: the key only signs postal returns' labels, which the demo
# does not make.
POLICY = ReturnPolicy(secret_key="demo-counter-returns")


@dataclass
class _Work:
    session: Session
    demo: DemoRetailer
    rng: Random
    now: datetime
    tills: dict[str, Actor]
    store_skus: dict[str, list[str]]
    sizes: dict[str, tuple[str, str, str]]
    """SKU → (product code, colour, size)."""
    siblings: dict[tuple[str, str], dict[str, str]]
    """(product code, colour) → size → SKU."""
    prices: dict[str, int]
    exchangeable: dict[str, list[str]] = field(default_factory=dict)
    """Store → the SKUs it holds in the sizes either side as well (read once per store)."""
    web: Actor = field(
        default_factory=lambda: Actor(key_id=None, channel="web", name="boutique en ligne")
    )
    warehouse: Actor = field(
        default_factory=lambda: Actor(key_id=None, channel="back_office", name="entrepôt")
    )

    def ago(self, low_hours: float, high_hours: float) -> datetime:
        return self.now - timedelta(hours=self.rng.uniform(low_hours, high_hours))

    def customer(self) -> str:
        return f"CUST-{self.rng.randrange(CUSTOMERS) + 1:05d}"

    def payment(self, provider: str = "adyen") -> dict[str, str]:
        return {
            "provider": provider,
            "reference": f"psp_{self.rng.randrange(10**9, 10**10)}",
            "status": "captured",
        }

    def score(self) -> int | None:
        if self.rng.random() < NO_SCORE:
            return None
        return self.rng.choices(*SCORES)[0]

    def reason(self) -> ReasonCode:
        reasons, weights = zip(*REASONS, strict=True)
        return self.rng.choices(reasons, weights=weights)[0]

    def other_size(self, sku: str, reason: str) -> str | None:
        """The SKU a return for size calls for (one size up or down, same colour)."""
        step = SIZE_STEPS.get(reason)
        if step is None or sku not in self.sizes:
            return None
        product, colour, size = self.sizes[sku]
        by_size = self.siblings[(product, colour)]
        other = neighbour_size(list(by_size), size, step=step)
        return by_size.get(other) if other else None


def _checkout(work: _Work, body: dict[str, Any], actor: Actor, at: datetime) -> OrderOut | None:
    """Place an order; a refusal (sold out meanwhile) leaves nothing behind."""
    try:
        with simulated(at), work.session.begin_nested():
            return orders.checkout(
                work.session, data=CheckoutIn.model_validate(body), actor=actor, now=at
            )
    except DomainError:
        return None


def _act(work: _Work, order: OrderOut, action: Action, at: datetime, **data: Any) -> None:
    for fulfilment in order.fulfilments:
        with simulated(at):
            orders.act(
                work.session,
                fulfilment_id=fulfilment.id,
                action=action,
                data=ActionIn(**data),
                actor=work.tills.get(fulfilment.location, work.warehouse),
                now=at,
            )


def _till_sale(
    work: _Work, store: str, at: datetime, *, skus: list[str], quantity: int = 1
) -> OrderOut | None:
    """A known customer's purchase over the counter of ``store``: the first of ``skus``
    the store can still hand over."""
    customer = work.customer()
    for sku in skus:
        body = {
            "lines": [
                {
                    "sku": sku,
                    "quantity": quantity,
                    "fulfilment": {"method": Method.carry_out.value, "location": store},
                }
            ],
            "customer_ref": customer,
            "payment": work.payment("adyen-pos"),
        }
        order = _checkout(work, body, work.tills[store], at)
        if order is not None:
            return order
    return None


def _delivered(
    work: _Work, skus: list[str], at: datetime, *, quantity: int = 1, customer: str | None = None
) -> OrderOut | None:
    """A web order shipped to the customer and delivered two days later."""
    for sku in skus:
        body = {
            "lines": [{"sku": sku, "quantity": quantity, "fulfilment": {"method": "ship"}}],
            "customer_ref": customer or work.customer(),
            "delivery_address": {"name": "Client démo", "city": "Lyon"},
            "shipping_minor": 490,
            "payment": work.payment(),
        }
        order = _checkout(work, body, work.web, at)
        if order is None:
            continue
        parcels = [f for f in order.fulfilments if Method(f.method) in HOME_DELIVERY]
        shipped = order.model_copy(update={"fulfilments": parcels})
        _act(work, shipped, Action.pick, at + timedelta(hours=2))
        _act(work, shipped, Action.pack, at + timedelta(hours=3))
        tracking = f"6A{work.rng.randrange(10**10, 10**11)}"
        _act(
            work,
            shipped,
            Action.ship,
            at + timedelta(hours=6),
            carrier="Colissimo",
            tracking_reference=tracking,
        )
        _act(work, shipped, Action.deliver, at + timedelta(days=2))
        return order
    return None


def _return(
    work: _Work,
    order: OrderOut,
    store: str,
    at: datetime,
    *,
    reason: ReasonCode,
    satisfaction: int | None,
    quantity: int | None = None,
) -> ReturnOut:
    """The order's first line brought back to the counter of ``store``."""
    line = order.lines[0]
    with simulated(at):
        return returns.open_return(
            work.session,
            data=ReturnIn(
                order_id=order.id,
                lines=[
                    ReturnLineIn(
                        order_line_id=line.id, quantity=quantity or line.quantity, reason=reason
                    )
                ],
                method="counter",
                satisfaction=satisfaction,
            ),
            actor=work.tills[store],
            policy=POLICY,
            now=at,
        )


def _ready_pickups(work: _Work, store: str) -> None:
    """Two click & collect orders ready at the store; the second customer has arrived."""
    for arrived in (False, True):
        placed = work.ago(6, 40)
        customer, count = work.customer(), work.rng.choice((1, 1, 2))
        order = None
        for _attempt in range(ATTEMPTS):
            skus = work.rng.sample(work.store_skus[store], k=count)
            body = {
                "lines": [
                    {
                        "sku": sku,
                        "quantity": 1,
                        "fulfilment": {"method": Method.pickup.value, "location": store},
                    }
                    for sku in skus
                ],
                "customer_ref": customer,
                "payment": work.payment(),
            }
            order = _checkout(work, body, work.web, placed)
            if order is not None:
                break
        if order is None:
            continue
        _act(work, order, Action.pick, placed + timedelta(hours=1))
        _act(work, order, Action.ready, placed + timedelta(hours=2))
        if arrived:
            _act(work, order, Action.check_in, work.now - timedelta(minutes=work.rng.uniform(2, 9)))


def _held_to_try(work: _Work, store: str) -> None:
    """An item held for a customer to try, for two or three days."""
    for sku in work.rng.sample(work.store_skus[store], k=ATTEMPTS):
        body = {
            "lines": [
                {
                    "sku": sku,
                    "quantity": 1,
                    "fulfilment": {
                        "method": Method.reserve_and_try.value,
                        "location": store,
                        "reserve_days": work.rng.choice((2, 3)),
                    },
                }
            ],
            "customer_ref": work.customer(),
        }
        if _checkout(work, body, work.web, work.ago(1, 20)) is not None:
            return


def _to_inspect(work: _Work, store: str) -> None:
    """A purchase of the last weeks brought back to the counter, not inspected yet."""
    bought = work.ago(3 * 24, 20 * 24)
    order = _till_sale(
        work, store, bought, skus=work.rng.sample(work.store_skus[store], k=ATTEMPTS)
    )
    if order is not None:
        _return(
            work, order, store, work.ago(0.5, 6), reason=work.reason(), satisfaction=work.score()
        )


def _for_review(work: _Work) -> None:
    """Two returns waiting for head office: bought seven weeks ago (outside the 30-day
    window) and three coats worth more than the high-value threshold."""
    stores = [site.code for site in work.demo.stores]
    late_store = work.rng.choice(stores)
    late = _till_sale(
        work, late_store, work.ago(49 * 24, 52 * 24), skus=work.store_skus[late_store][:5]
    )
    if late is not None:
        _return(
            work,
            late,
            late_store,
            work.ago(1, 5),
            reason=ReasonCode.changed_mind,
            satisfaction=work.score(),
        )
    dearest = sorted(work.prices, key=lambda sku: (-work.prices[sku], sku))[:5]
    store = work.rng.choice(stores)
    order = _delivered(work, dearest, work.ago(6 * 24, 8 * 24), quantity=HIGH_VALUE_UNITS)
    if order is not None:
        _return(
            work,
            order,
            store,
            work.ago(2, 8),
            reason=ReasonCode.not_as_described,
            satisfaction=work.score(),
        )


def _settle(work: _Work, opened: ReturnOut, store: str, at: datetime) -> None:
    """Inspect and refund a past return, or exchange it for the other size it called for."""
    line = opened.lines[0]
    other = work.other_size(line.sku, line.reason)
    if other is not None and other in work.store_skus[store] and work.rng.random() < EXCHANGED:
        try:
            with simulated(at), work.session.begin_nested():
                returns.exchange(
                    work.session,
                    return_id=opened.id,
                    data=ExchangeIn(lines=[ExchangeLineIn(sku=other, quantity=line.quantity)]),
                    actor=work.tills[store],
                    policy=POLICY,
                    now=at,
                )
                return
        except DomainError:
            pass  # the other size is gone meanwhile: refunded instead
    with simulated(at):
        returns.inspect(
            work.session, return_id=opened.id, data=InspectIn(), actor=work.tills[store], now=at
        )
    if work.rng.random() < 0.4:
        refund = RefundIn(method="store_credit")
    else:
        reference = f"psp_refund_{work.rng.randrange(10**8, 10**9)}"
        refund = RefundIn(method="original_payment", provider="adyen", reference=reference)
    refunded = min(at + timedelta(minutes=work.rng.uniform(5, 48 * 60)), work.now)
    with simulated(refunded):
        returns.refund(
            work.session,
            return_id=opened.id,
            data=refund,
            actor=work.tills[store],
            now=refunded,
        )


def _exchangeable(work: _Work, store: str) -> list[str]:
    """The SKUs ``store`` holds in the sizes either side as well (a return for size can be
    exchanged there); all it holds when too few are."""
    if store in work.exchangeable:
        return work.exchangeable[store]
    held = set(work.store_skus[store])
    both = [
        sku
        for sku in work.store_skus[store]
        if all(
            (other := work.other_size(sku, reason)) is not None and other in held
            for reason in (ReasonCode.too_small.value, ReasonCode.too_large.value)
        )
    ]
    work.exchangeable[store] = both if len(both) >= ATTEMPTS else work.store_skus[store]
    return work.exchangeable[store]


def _past_returns(work: _Work) -> None:
    """Returns of the last two months, refunded or exchanged, bought in store or online."""
    stores = [site.code for site in work.demo.stores]
    for index in range(PAST_RETURNS):
        store = stores[index % len(stores)]
        returned_at = work.ago(30, PAST_DAYS * 24)
        bought = returned_at - timedelta(days=work.rng.uniform(3, 20))
        skus = work.rng.sample(_exchangeable(work, store), k=ATTEMPTS)
        if work.rng.random() < 0.5:
            order = _till_sale(work, store, bought, skus=skus)
        else:
            order = _delivered(work, skus, bought)
        if order is None:
            continue
        opened = _return(
            work, order, store, returned_at, reason=work.reason(), satisfaction=work.score()
        )
        _settle(work, opened, store, returned_at + timedelta(minutes=work.rng.uniform(2, 30)))


def _zoes_trousers(work: _Work) -> None:
    """Zoé's trousers bought online, brought back to Lyon as too small, scored 2/5 and
    refunded as store credit; Lyon holds the next size."""
    store = SHOWCASE_STORE
    held = set(work.store_skus[store])
    candidates = [
        sku
        for product in work.demo.products
        if product.category == "Pantalons"
        for sku in (v.sku for v in product.variants)
        if (other := work.other_size(sku, ReasonCode.too_small.value)) is not None and other in held
    ]
    order = _delivered(work, candidates[:5], work.ago(20 * 24, 22 * 24), customer=ZOE["user_id"])
    if order is None:
        return
    returned_at = work.ago(50, 80)
    opened = _return(
        work, order, store, returned_at, reason=ReasonCode.too_small, satisfaction=2, quantity=1
    )
    till = work.tills[store]
    with simulated(returned_at):
        returns.inspect(
            work.session, return_id=opened.id, data=InspectIn(), actor=till, now=returned_at
        )
    with simulated(returned_at + timedelta(minutes=3)):
        returns.refund(
            work.session,
            return_id=opened.id,
            data=RefundIn(method="store_credit"),
            actor=till,
            now=returned_at + timedelta(minutes=3),
        )


def _world(session: Session, demo: DemoRetailer, rng: Random) -> _Work:
    held: dict[str, set[str]] = {}
    for count in demo.stock:
        if count.quantity > 0:
            held.setdefault(count.location, set()).add(count.sku)
    sizes: dict[str, tuple[str, str, str]] = {}
    siblings: dict[tuple[str, str], dict[str, str]] = {}
    prices: dict[str, int] = {}
    for product in demo.products:
        for variant in product.variants:
            colour = variant.colour or ""
            sizes[variant.sku] = (product.code, colour, variant.size or "")
            siblings.setdefault((product.code, colour), {})[variant.size or ""] = variant.sku
            if variant.price_minor is not None:
                prices[variant.sku] = variant.price_minor

    def till(code: str) -> Actor:
        location = network.get_location(session, code)
        return Actor(
            key_id=None,
            channel="store",
            location_id=location.id,
            location_code=code,
            name=f"caisse {code}",
        )

    return _Work(
        session=session,
        demo=demo,
        rng=rng,
        now=utcnow(),
        tills={site.code: till(site.code) for site in demo.stores},
        store_skus={site.code: sorted(held.get(site.code, set())) for site in demo.stores},
        sizes=sizes,
        siblings=siblings,
        prices=prices,
    )


def leave_store_work(session: Session, demo: DemoRetailer, rng: Random, report: Report) -> None:
    """The demo step: each store's waiting work, head office's reviews, past returns."""
    work = _world(session, demo, rng)
    total = len(demo.stores) + 3
    for done, site in enumerate(demo.stores, start=1):
        if site.click_and_collect:
            _ready_pickups(work, site.code)
        _held_to_try(work, site.code)
        _to_inspect(work, site.code)
        report(done, total)
    _for_review(work)
    report(total - 2, total)
    _past_returns(work)
    report(total - 1, total)
    _zoes_trousers(work)
    report(total, total)
