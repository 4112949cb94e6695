"""The demo's loyalty programme: the Club Maison Lumière, members with their history, tiers,
points earned and spent, and rewards; Zoé is a Gold member with 10 % off dresses to use.

Everything goes through the loyalty use cases, as the platform itself would have recorded it:

1. Head office opened the Club two years ago: a point per euro (two on accessories), a cent
   a point, points pending for the 30-day return window, kept 24 months, Silver from 250
   points a year and Gold from 500 (points times 1.25 and 1.5); its reward rules give Gold
   members 10 % off their favourite category, and everyone a 5 € voucher every 500 points.
2. The demo's most loyal customers joined, at their store's counter or on the app, with the
   card they already carry (or a new one); Zoé joined at the Lyon counter.
3. Zoé bought dresses at the Lyon counter over the last eight months (her favourite
   category, so her Gold offer is on dresses).
4. The points: loyalty's own reaction (``loyalty.react``) to the events the demo's orders and
   returns wrote, in their order and at their time (earned pending, taken back on a return);
   the nightly job confirmed yesterday the points whose return window had closed, and
   reviewed the tiers.
5. A few members spent points at a counter today, part of a sale paid with them.
6. The reward rules ran now.

The same seed gives the same members, purchases and points (ids and reward codes aside).
Once served, the bus hands these events to loyalty again: it recognises each (an order
earns once, a reversal counts its units cumulatively, a capture by the same order is done).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from random import Random
from typing import TYPE_CHECKING

from sqlalchemy import select
from sqlalchemy.orm import Session

from omnicanal.customers import service as customers
from omnicanal.demo.showcase import STORE as SHOWCASE_STORE
from omnicanal.demo.showcase import ZOE
from omnicanal.fulfilment.states import Method
from omnicanal.loyalty import service as loyalty
from omnicanal.loyalty.schemas import (
    EarningRuleIn,
    EnrolIn,
    ProgrammeIn,
    RedemptionIn,
    RewardRuleIn,
    RewardRulesIn,
    TierIn,
)
from omnicanal.network import service as network
from omnicanal.orders import service as orders
from omnicanal.orders.events import OrderPlaced
from omnicanal.orders.schemas import CheckoutIn, OrderOut
from omnicanal.platform.actors import OPERATOR, Actor, ChannelKind
from omnicanal.platform.clock import simulated, utcnow
from omnicanal.platform.errors import DomainError
from omnicanal.platform.events import OutboxEvent
from omnicanal.returns import service as returns
from omnicanal.returns.events import ReturnEvent

if TYPE_CHECKING:
    from omnicanal.demo.generate import DemoRetailer

__all__ = ["MEMBERS", "PROGRAMME", "ZOE_CARD", "open_loyalty"]

Report = Callable[[int, int], None]

PROGRAMME = "CLUB"
MEMBERS = 30
"""The demo's most loyal customers who joined (the orders draw CUST-00001… most often)."""
ZOE_CARD = "ML-2024-0001"
ZOE_SPEND_MINOR = 52_000
"""What Zoé spent on dresses at the Lyon counter in the last months: past the Gold tier's 500
points."""
REDEMPTIONS = 4
"""Members who spent points at a counter today."""
APP_SHARE = 0.3
"""Of the members, the share who joined on the app rather than at a counter."""
REACTED = (
    "order.placed",
    "order.line_cancelled",
    "order.cancelled",
    "return.refunded",
    "return.exchanged",
)
"""The events loyalty reacts to (``loyalty.LOYALTY_EVENTS``), by type."""


class _NoSale(Exception):
    """The store could not hand the item over: the points held for it are given back."""


def _programme(session: Session, now: datetime) -> None:
    loyalty.create_programme(
        session,
        data=ProgrammeIn(
            code=PROGRAMME,
            name="Club Maison Lumière",
            points_per_euro=Decimal(1),
            earning_rules=[EarningRuleIn(category="Accessoires", points_per_euro=Decimal(2))],
            pending_days=30,
            expiry_months=24,
            tiers=[
                TierIn(code="silver", name="Silver", threshold=250, multiplier=Decimal("1.25")),
                TierIn(code="gold", name="Gold", threshold=500, multiplier=Decimal("1.5")),
            ],
        ),
        actor=OPERATOR,
        now=now - timedelta(days=760),
    )
    loyalty.set_reward_rules(
        session,
        programme=PROGRAMME,
        data=RewardRulesIn(
            rules=[
                RewardRuleIn(code="GOLD10", kind="offer", percent=Decimal(10), tier="gold"),
                RewardRuleIn(
                    code="POINTS500",
                    kind="voucher",
                    amount_minor=500,
                    every_points=500,
                    valid_days=60,
                ),
            ]
        ),
        actor=OPERATOR,
    )


def _till(session: Session, code: str) -> Actor:
    location = network.get_location(session, code)
    return Actor(
        key_id=None,
        channel=ChannelKind.store.value,
        location_id=location.id,
        location_code=code,
        name=f"caisse {code}",
    )


APP = Actor(key_id=None, channel=ChannelKind.app.value, name="mobile app (demo)")


def _card(session: Session, profile_id: str, rng: Random) -> str:
    """The loyalty card the person already carries, else a new Club card."""
    profile = customers.get_profile(session, profile_id=profile_id, timeline_limit=1)
    for identifier in profile.identifiers:
        if identifier.kind == "loyalty_card" and not identifier.shared:
            return identifier.value
    return f"ML-{rng.randrange(10**7, 10**8)}"


def _enrol(
    session: Session, demo: DemoRetailer, rng: Random, now: datetime
) -> tuple[set[str], list[str], list[tuple[str, str]]]:
    """Zoé and the most loyal customers join; the customer references their orders are filed
    under, the members, and (member, store) of those who joined at a counter."""
    stores = [site.code for site in demo.stores]
    references: set[str] = {ZOE["user_id"]}
    at_counter: list[tuple[str, str]] = []
    zoe = loyalty.enrol(
        session,
        data=EnrolIn(
            programme=PROGRAMME, customer_ref=f"user_id:{ZOE['user_id']}", card_number=ZOE_CARD
        ),
        actor=_till(session, SHOWCASE_STORE),
        now=now - timedelta(days=700),
    )
    members = [zoe.id]
    at_counter.append((zoe.id, SHOWCASE_STORE))
    for number in range(1, MEMBERS + 1):
        login = f"CUST-{number:05d}"
        profile_id = customers.referenced_profile_id(session, customer_ref=login, region="FR")
        if profile_id is None:
            continue
        joined = now - timedelta(days=rng.randint(100, 900))
        on_app = rng.random() < APP_SHARE
        store = rng.choice(stores)
        try:
            with session.begin_nested():
                member = loyalty.enrol(
                    session,
                    data=EnrolIn(
                        programme=PROGRAMME,
                        profile_id=profile_id,
                        card_number=_card(session, profile_id, rng),
                    ),
                    actor=APP if on_app else _till(session, store),
                    now=joined,
                )
        except DomainError:
            continue  # a card shared with another member, a person already enrolled
        references.add(login)
        members.append(member.id)
        if not on_app:
            at_counter.append((member.id, store))
    return references, members, at_counter


def _zoes_dresses(session: Session, demo: DemoRetailer, now: datetime) -> None:
    """Zoé's dresses bought at the Lyon counter over the last eight months."""
    held = {
        line.sku for line in demo.stock if line.location == SHOWCASE_STORE and line.quantity > 1
    }
    prices = {
        variant.sku: variant.price_minor or 0
        for product in demo.products
        if product.category == "Robes"
        for variant in product.variants
    }
    skus = sorted(sku for sku in prices if sku in held)
    till = _till(session, SHOWCASE_STORE)
    spent, when = 0, 240
    for sku in skus:
        if spent >= ZOE_SPEND_MINOR or when < 35:
            break
        order = _sell(
            session,
            till,
            sku,
            customer_ref=ZOE["user_id"],
            at=now - timedelta(days=when),
            payment_reference=f"TPE-ZM-{when}",
        )
        if order is not None:
            spent += order.total_minor
            when -= 25


def _sell(
    session: Session,
    till: Actor,
    sku: str,
    *,
    customer_ref: str,
    at: datetime,
    payment_reference: str,
    tenders: list[dict[str, object]] | None = None,
) -> OrderOut | None:
    """A sale over ``till``'s counter at ``at``; None when the store cannot hand it over."""
    body = {
        "lines": [{"sku": sku, "quantity": 1}],
        "customer_ref": customer_ref,
        "fulfilment": {"method": Method.carry_out.value, "location": till.location_code},
        "payment": {
            "provider": "store_terminal",
            "reference": payment_reference,
            "status": "captured",
        },
        "tenders": tenders or [],
    }
    try:
        with simulated(at), session.begin_nested():
            return orders.checkout(
                session,
                data=CheckoutIn.model_validate(body),
                actor=till,
                now=at,
            )
    except DomainError:
        return None


def _placed_at(session: Session, references: set[str]) -> dict[str, datetime]:
    """When each of the members' orders was placed."""
    page = orders.list_orders(session, customer_refs=sorted(references), limit=100_000)
    return {order.id: order.placed_at for order in page.items}


def _earn(session: Session, references: set[str]) -> None:
    """Loyalty's reactions to the members' orders and returns, in order, at the time they
    happened (the demo writes its events at the present: an order's at its placing, a
    return's when it was settled, a cancellation's with its order's)."""
    placed = _placed_at(session, references)
    rows = session.scalars(
        select(OutboxEvent).where(OutboxEvent.type.in_(REACTED)).order_by(OutboxEvent.seq)
    )
    for row in rows:
        event = row.to_event()
        payload = event.payload
        order_id = str(getattr(payload, "order_id", ""))
        if order_id not in placed:
            continue
        if isinstance(payload, OrderPlaced) and payload.customer_ref not in references:
            continue
        when = placed[order_id]
        if isinstance(payload, ReturnEvent):
            settled = returns.get_return(session, return_id=payload.return_id)
            when = settled.resolved_at or settled.updated_at
        loyalty.react(session, replace(event, time=when), region="FR")


def _spend(
    session: Session, demo: DemoRetailer, at_counter: list[tuple[str, str]], now: datetime
) -> None:
    """A few members pay part of a counter sale with their points today."""
    spent = 0
    for member_id, store in at_counter[1:]:
        if spent >= REDEMPTIONS:
            return
        member = loyalty.member_out(session, member_id=member_id, now=now)
        if member.balance.available < 300 or member.profile_id is None:
            continue
        at = now - timedelta(hours=2 + spent)
        till = _till(session, store)
        reference = customers.customer_references(session, profile_id=member.profile_id)[0]
        for sku in _in_stock(demo, store):
            try:
                with simulated(at), session.begin_nested():
                    held = loyalty.hold_points(
                        session,
                        data=RedemptionIn(member_id=member_id, points=300),
                        actor=till,
                        now=at,
                    )
                    order = _sell(
                        session,
                        till,
                        sku,
                        customer_ref=reference,
                        at=at,
                        payment_reference=f"TPE-{store}-{spent}",
                        tenders=[held.tender],
                    )
                    if order is None:
                        raise _NoSale
                    loyalty.capture_tenders(
                        session,
                        order_id=order.id,
                        currency=order.currency,
                        tenders=[(held.id, held.amount_minor)],
                        actor=till,
                        now=at,
                    )
            except _NoSale:
                continue
            spent += 1
            break


def _in_stock(demo: DemoRetailer, store: str) -> list[str]:
    """A few SKUs worth more than 3 € that ``store`` opened with, cheapest first (the sale
    tries them in turn: some may have sold since)."""
    prices = {v.sku: v.price_minor or 0 for p in demo.products for v in p.variants}
    opening = sorted(
        (line.sku for line in demo.stock if line.location == store and line.quantity > 1),
        key=lambda sku: (prices.get(sku, 0), sku),
    )
    return [sku for sku in opening if prices.get(sku, 0) > 300][:5]


def open_loyalty(session: Session, demo: DemoRetailer, rng: Random, report: Report) -> None:
    """The demo step: the Club, its members, their points, tiers and rewards."""
    now = utcnow().astimezone(UTC)
    _programme(session, now)
    references, members, at_counter = _enrol(session, demo, rng, now)
    report(1, 5)
    _zoes_dresses(session, demo, now)
    report(2, 5)
    _earn(session, references)
    loyalty.confirm_due(session, now=now - timedelta(days=1), limit=10_000)
    report(3, 5)
    _spend(session, demo, at_counter, now)
    report(4, 5)
    for member_id in members:
        loyalty.issue_rewards(session, member_id=member_id, now=now, actor=OPERATOR)
    report(5, 5)
