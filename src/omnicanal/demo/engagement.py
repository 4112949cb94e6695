"""The demo's messages: the customers' consents, the triggers, a segment, and the journeys of
the last hours, so that the served demo's mailbox (``/admin/messages/mailbox``) fills within
a minute with messages a retailer would recognise.

Everything goes through the engagement use cases, as the platform would have recorded it:

1. The default triggers and message policy (``triggers.ensure_defaults``).
2. The consent ledger of the customers who order (the ``CUST-…`` logins): most said yes to
   the news by e-mail on the web shop's sign-up form, some at a store's till (the clerk and
   the till as proof), some to SMS as well, a few said no, a few answered on the app, one
   unsubscribed on the preference centre since; Zoé said yes to e-mail and SMS at the Lyon
   counter, where she joined the Club.
3. The segment "Fidèles lyonnais" (city Lyon, two orders or more) and its own win-back
   trigger: 60 days without a purchase, 15 % off.
4. The journeys' consumer (``journeys.react``) hears the demo's history as it happened: each
   event the steps before wrote that it listens to, in the order the events happened, at the
   time they say. The steps called the orders, returns and carts use cases at the moments of
   their story and dated each event then (``omnicanal.platform.clock.simulated``), as the
   order's, the fulfilment's and the return's histories date them. The consumer records the
   facts (purchases, returns, collections, cancellations) as learned the few seconds after
   they happened that the bus takes (the tills' delay reads as the platform's, not as the
   build's), and plans, deciding now, the messages still worth sending: a message due longer
   ago than its kind's horizon is news too old (``engagement/planning.py``), so 90 days of
   history leave the pickups ready, the parcels shipped and the returns received of the last
   day and the review requests of the last days, and nothing older. Each event is noted as
   handled by that consumer, as the bus notes a delivery: once served, the relay's delivery
   of it is a repeat the consumer skips. The carts the history's customers bought from are
   noted without being heard: a cart bought the hour it was filled calls for no reminder.
5. Today's scenes, heard the same way:

   - Zoé left her web cart (the dress in M and a shirt) a little over three hours ago: its
     reminder is due, and withheld, as she brought trousers back to Lyon two or three days
     ago ("Retenu : retour il y a 2 jours");
   - a customer left a web cart three and a half hours ago: its reminder is due, with its
     single-use 10 % coupon;
   - another opened a cart on the app five hours ago and bought it at the Lyon counter two
     and a half hours ago, before its reminder was due: withdrawn ("Retiré : le panier a été
     acheté");
   - a customer brought a pair of trousers back to the Paris counter an hour ago and was
     refunded at once: the return's and the refund's confirmations are due;
   - two customers wait for Zoé's dress in M at Lyon (stock watches): they are told when it
     is back there;
   - a customer whose parcel arrived a week ago complained to the call centre five days ago:
     her review request is withheld ("Retenu : réclamation il y a 5 jours");
   - the warehouse handed the carrier the parcel packed last, fifty minutes ago: its
     shipping notice, with the tracking number, is due.

   The carts module stamps a cart's changes with the present (it takes no time), so a cart
   the demo makes would be three hours from its reminder when the server starts. The
   scenes' reminders are therefore planned through the journeys' planning use case
   (``planning.plan``) at the time the story gives the cart's last change, and the carts'
   own changes are noted handled without being heard (hearing them would move the reminder
   to three hours after the build); the cart's record says it was made at the build.
6. The daily win-back scan runs now.

Once served, the sending job sends what is due to the local mailbox: the pickups' SMS with
their codes (by e-mail during quiet hours, which defer SMS), the shipping notices with their
tracking numbers, the returns' and refunds' confirmations, the reminder with its coupon
(after 08:00: quiet hours defer marketing too); the withheld and the withdrawn ones say why.
The same seed gives the same consents, scenes and messages (ids, codes and times aside).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from random import Random
from typing import TYPE_CHECKING, Any

from sqlalchemy import insert, select
from sqlalchemy.orm import Session

from omnicanal.carts import service as carts
from omnicanal.carts.errors import NoOpenCart
from omnicanal.carts.schemas import CartIn, CartLineIn
from omnicanal.customers import service as customers
from omnicanal.demo.showcase import STAFF, ZOE
from omnicanal.demo.showcase import STORE as SHOWCASE_STORE
from omnicanal.demo.simulation import WAREHOUSE
from omnicanal.engagement import consents, deciding, facts, journeys, segments, triggers, watches
from omnicanal.engagement.consent_answers import ConsentAnswer
from omnicanal.engagement.journeys import CART_ACTIVITY, JOURNEY_EVENTS
from omnicanal.engagement.messages import message_page
from omnicanal.engagement.models import Message
from omnicanal.engagement.planning import plan
from omnicanal.engagement.policy import Outcome
from omnicanal.engagement.recipients import addresses
from omnicanal.engagement.schemas import CouponIn, StockWatchIn, TriggerIn
from omnicanal.engagement.wiring import journeys_consumer
from omnicanal.fulfilment.schemas import ActionIn
from omnicanal.fulfilment.states import Action, Method
from omnicanal.network import service as network
from omnicanal.orders import service as orders
from omnicanal.orders.schemas import CheckoutIn, OrderOut
from omnicanal.platform.actors import OPERATOR, Actor, ChannelKind
from omnicanal.platform.clock import as_utc, simulated, utcnow
from omnicanal.platform.errors import DomainError
from omnicanal.platform.events import OutboxEvent, ProcessedEvent
from omnicanal.returns import service as returns
from omnicanal.returns.policy import ReturnPolicy
from omnicanal.returns.rules import ReasonCode
from omnicanal.returns.schemas import InspectIn, RefundIn, ReturnIn, ReturnLineIn

if TYPE_CHECKING:
    from omnicanal.demo.generate import DemoRetailer

__all__ = [
    "ORDER_CUSTOMERS",
    "REGION",
    "SEGMENT",
    "WIN_BACK_TRIGGER",
    "run_journeys",
]

Report = Callable[[int, int], None]

REGION = "FR"
"""Where the demo's phone numbers are read (the retailer is French)."""
ORDER_CUSTOMERS = 700
"""The customers the demo's orders name (``CUST-00001``…): those the messages are about."""
SEGMENT = "FIDELES_LYON"
WIN_BACK_TRIGGER = "WIN_BACK_LYON"
WIN_BACK_DAYS = 60
JOURNEYS = journeys_consumer(region=REGION).name
"""The consumer the history is heard by (``engagement.journeys``)."""
HEARD = frozenset(cls.type for cls in JOURNEY_EVENTS)
CART_CHANGES = frozenset(cls.type for cls in CART_ACTIVITY)
BUS_SECONDS = (1.0, 40.0)
"""How long after it happened the policy learned an event of the history (the relay's and
the bus's delay)."""

# Of the customers who order, the shares of each first answer about the news (the rest gave
# none: no marketing message reaches them).
SIGNED_UP_YES = 0.58
AT_TILL_YES = 0.18
SIGNED_UP_NO = 0.08
ON_APP_YES = 0.04
ALSO_SMS = 0.3
ALSO_OFFERS = 0.4

WEB_SHOP = Actor(key_id=None, channel=ChannelKind.web.value, name="web shop (demo)")
APP = Actor(key_id=None, channel=ChannelKind.app.value, name="mobile app (demo)")
CALL_CENTRE = Actor(key_id=None, channel=ChannelKind.call_centre.value, name="call centre (demo)")
COUNTER_RETURNS = ReturnPolicy(secret_key="demo-counter-returns")
SIGN_UP_FORM = {
    "form": "création de compte",
    "url": "https://www.maison-lumiere.example/compte/creation",
    "version": "2024-03",
}
NEWS_BY_EMAIL = "Je souhaite recevoir les nouveautés et offres de Maison Lumière par e-mail."
NEWS_BY_SMS = "Je souhaite recevoir les nouveautés et offres de Maison Lumière par SMS."
OFFERS = "Je souhaite des offres choisies selon mes achats."
CLERKS = ("Camille", "Julien", "Sophie", "Nadia", "Hugo", "Inès", "Marc", "Élise")
"""The first names of the clerks who took customers' answers at the tills (Lyon's is Léa)."""


class _NoSale(Exception):
    """The store could not sell the cart (an item sold out meanwhile): nothing stays."""


@dataclass
class _Scene:
    """What the step knows while it writes today's scenes."""

    session: Session
    demo: DemoRetailer
    rng: Random
    now: datetime
    people: dict[str, str]
    """Customer reference → profile id, of the customers who order."""
    news: set[str] = field(default_factory=set)
    """The customer references who accept the news by e-mail."""
    taken: set[str] = field(default_factory=set)
    """The customer references a scene already uses."""
    quiet_carts: set[str] = field(default_factory=set)
    """The carts whose changes the scenes planned the reminder of."""


# -- 2. consents --------------------------------------------------------------------------------


def _till(session: Session, code: str) -> Actor:
    location = network.get_location(session, code)
    return Actor(
        key_id=None,
        channel=ChannelKind.store.value,
        location_id=location.id,
        location_code=code,
        name=f"caisse {code}",
    )


def _clerk(store: str, rng: Random) -> str:
    named = [name for _, name, _, location in STAFF if location == store]
    return named[0] if named else f"{rng.choice(CLERKS)} {rng.choice('BCDGLMPRT')}."


def _answer(purpose: str, channel: str, granted: bool, wording: str) -> ConsentAnswer:
    return ConsentAnswer(purpose, channel, granted, proof={"wording": wording})


def _people(session: Session) -> dict[str, str]:
    found: dict[str, str] = {}
    for number in range(1, ORDER_CUSTOMERS + 1):
        reference = f"CUST-{number:05d}"
        profile_id = customers.referenced_profile_id(session, customer_ref=reference, region=REGION)
        if profile_id is not None:
            found[reference] = profile_id
    return found


def _record(
    session: Session,
    profile_id: str,
    answers: Sequence[ConsentAnswer],
    *,
    source: str,
    actor: Actor,
    at: datetime,
    store: str | None = None,
    proof: dict[str, Any] | None = None,
) -> None:
    consents.record_answers(
        session,
        profile_id=profile_id,
        answers=answers,
        source=source,
        actor=actor,
        occurred_at=at,
        location_code=store,
        proof=proof,
    )


def _consents(session: Session, demo: DemoRetailer, rng: Random, scene: _Scene) -> None:
    """The customers' answers about the news, and Zoé's at the Lyon counter."""
    stores = [site.code for site in demo.stores]
    now = scene.now
    for reference, profile_id in scene.people.items():
        roll = rng.random()
        sms = rng.random() < ALSO_SMS
        offers = rng.random() < ALSO_OFFERS
        days = rng.uniform(90, 900)
        if roll < SIGNED_UP_YES:
            answers = [_answer("marketing", "email", True, NEWS_BY_EMAIL)]
            if sms:
                answers.append(_answer("marketing", "sms", True, NEWS_BY_SMS))
            if offers:
                answers.append(_answer("personalised_offers", "email", True, OFFERS))
            _record(
                session,
                profile_id,
                answers,
                source="web_form",
                actor=WEB_SHOP,
                at=now - timedelta(days=days),
                proof=SIGN_UP_FORM,
            )
            scene.news.add(reference)
        elif roll < SIGNED_UP_YES + AT_TILL_YES:
            store = rng.choice(stores)
            answers = [_answer("marketing", "email", True, NEWS_BY_EMAIL)]
            if sms:
                answers.append(_answer("marketing", "sms", True, NEWS_BY_SMS))
            _record(
                session,
                profile_id,
                answers,
                source="till",
                actor=_till(session, store),
                at=now - timedelta(days=days),
                store=store,
                proof={"clerk": _clerk(store, rng), "till": f"{store} caisse {rng.randint(1, 3)}"},
            )
            scene.news.add(reference)
        elif roll < SIGNED_UP_YES + AT_TILL_YES + SIGNED_UP_NO:
            _record(
                session,
                profile_id,
                [_answer("marketing", "email", False, NEWS_BY_EMAIL)],
                source="web_form",
                actor=WEB_SHOP,
                at=now - timedelta(days=days),
                proof=SIGN_UP_FORM,
            )
        elif roll < SIGNED_UP_YES + AT_TILL_YES + SIGNED_UP_NO + ON_APP_YES:
            _record(
                session,
                profile_id,
                [
                    _answer("marketing", "push", True, "Notifications : nouveautés et offres"),
                    _answer("marketing", "email", offers, NEWS_BY_EMAIL),
                ],
                source="app",
                actor=APP,
                at=now - timedelta(days=days),
                proof={"screen": "bienvenue", "app_version": "5.2"},
            )
            if offers:
                scene.news.add(reference)
    # One customer who said yes at sign-up changed her mind on the preference centre.
    leaving = rng.choice(sorted(scene.news))
    consents.unsubscribe_everywhere(
        session,
        profile_id=scene.people[leaving],
        source="preference_centre",
        actor=consents.PREFERENCE_CENTRE,
        occurred_at=now - timedelta(days=9, hours=rng.uniform(0, 8)),
        proof={"page": "centre de préférences"},
    )
    scene.news.discard(leaving)
    scene.taken.add(leaving)
    zoe = customers.referenced_profile_id(
        session, customer_ref=f"user_id:{ZOE['user_id']}", region=REGION
    )
    if zoe is not None:
        _record(
            session,
            zoe,
            [
                _answer("marketing", "email", True, NEWS_BY_EMAIL),
                _answer("marketing", "sms", True, NEWS_BY_SMS),
            ],
            source="till",
            actor=_till(session, SHOWCASE_STORE),
            at=now - timedelta(days=700),
            store=SHOWCASE_STORE,
            proof={"clerk": _clerk(SHOWCASE_STORE, rng), "till": f"{SHOWCASE_STORE} caisse 1"},
        )


# -- 3. the segment and its trigger ---------------------------------------------------------------


def _lyon_regulars(session: Session) -> None:
    segments.save_segment(
        session,
        code=SEGMENT,
        name="Fidèles lyonnais",
        rules=[
            {"field": "traits.city", "op": "eq", "value": "Lyon"},
            {"field": "computed.orders", "op": "gte", "value": 2},
        ],
        actor=OPERATOR,
    )
    triggers.create_trigger(
        session,
        data=TriggerIn(
            code=WIN_BACK_TRIGGER,
            kind="win_back",
            name="Reconquête des fidèles lyonnais",
            purpose="marketing",
            channels=["email"],
            segment_code=SEGMENT,
            coupon=CouponIn(percent=15, valid_days=30),
            settings={"days": WIN_BACK_DAYS},
        ),
        actor=OPERATOR,
    )


# -- 4. hearing what happened ---------------------------------------------------------------------


def _hear(
    session: Session,
    *,
    after: int,
    rng: Random,
    now: datetime,
    quiet_carts: Iterable[str] = (),
) -> int:
    """Hand the events written after ``after`` (an outbox position) to the journeys'
    consumer, in the order they happened and at that time, learned by the policy the few
    seconds later the bus takes, and note each as handled by it; the changes of
    ``quiet_carts`` are noted without being heard. The last position read."""
    rows = list(
        session.scalars(
            select(OutboxEvent).where(OutboxEvent.seq > after).order_by(OutboxEvent.seq)
        )
    )
    if not rows:
        return after
    moments = {row.id: as_utc(row.time) for row in rows}
    quiet = {f"carts/{cart_id}" for cart_id in quiet_carts}
    heard = sorted(
        (row for row in rows if row.type in HEARD),
        key=lambda row: (moments[row.id], row.seq),
    )
    for row in heard:
        if row.type in CART_CHANGES and row.subject in quiet:
            continue
        happened = moments[row.id]
        learned = min(happened + timedelta(seconds=rng.uniform(*BUS_SECONDS)), now)
        journeys.react(
            session, replace(row.to_event(), time=happened), region=REGION, learned_at=learned
        )
    if heard:
        session.execute(
            insert(ProcessedEvent),
            [{"consumer": JOURNEYS, "event_id": row.id, "handled_at": utcnow()} for row in heard],
        )
    return rows[-1].seq


# -- 5. today's scenes ----------------------------------------------------------------------------


def _held(demo: DemoRetailer, location: str, *, least: int = 2) -> list[str]:
    """The SKUs ``location`` opened with ``least`` units or more, by SKU."""
    return sorted(
        line.sku for line in demo.stock if line.location == location and line.quantity >= least
    )


def _quiet_since(scene: _Scene, reference: str, *, days: float) -> bool:
    """Whether the customer neither ordered nor returned anything in the last ``days``."""
    since = scene.now - timedelta(days=days)
    bought = orders.list_orders(scene.session, customer_ref=reference, placed_from=since, limit=1)
    if bought.items:
        return False
    brought = returns.list_returns(scene.session, customer_ref=reference, limit=5).items
    return not any(as_utc(item.requested_at) >= since for item in brought)


def _someone(scene: _Scene, *, news: bool = True) -> str:
    """A customer for a scene: one who accepts the news by e-mail (with ``news``), has an
    e-mail address, and bought or brought back nothing in the last 15 days."""
    pool = sorted(scene.news if news else scene.people)
    scene.rng.shuffle(pool)
    for reference in pool:
        if reference in scene.taken:
            continue
        if "email" in addresses(scene.session, scene.people[reference]) and _quiet_since(
            scene, reference, days=15
        ):
            scene.taken.add(reference)
            return reference
    raise LookupError("no customer left for a scene")


def _remind(scene: _Scene, cart_id: str, profile_id: str, *, left: datetime) -> None:
    """The cart's reminder, planned when the story says the cart last changed."""
    cart = carts.get_cart(scene.session, cart_id=cart_id, with_prices=False)
    subject = f"carts/{cart_id}"
    for trigger in triggers.active_triggers(scene.session, "abandoned_cart"):
        plan(
            scene.session,
            trigger=trigger,
            profile_id=profile_id,
            subject=subject,
            dedupe_key=f"{trigger.code}:{subject}",
            reason_since=left,
            due_at=left + trigger.delay,
            context={
                "cart_id": cart.id,
                "channel": cart.channel,
                "currency": cart.currency,
                "lines": [{"sku": line.sku, "quantity": line.quantity} for line in cart.lines],
            },
            cause_event_id=None,
            now=left,
        )
    scene.quiet_carts.add(cart_id)


def _zoes_cart(session: Session) -> str | None:
    """The web cart Zoé left (the dress in M and a shirt), if it is there."""
    try:
        return carts.find_open_cart(session, customer_ref=ZOE["user_id"]).id
    except NoOpenCart:
        return None


def _zoes_reminder(scene: _Scene, cart_id: str) -> None:
    """Zoé left her web cart a little over three hours ago."""
    zoe = customers.referenced_profile_id(
        scene.session, customer_ref=f"user_id:{ZOE['user_id']}", region=REGION
    )
    if zoe is not None:
        _remind(scene, cart_id, zoe, left=scene.now - timedelta(hours=3, minutes=10))


def _web_cart(scene: _Scene, actor: Actor, reference: str, skus: Sequence[str]) -> str:
    cart = carts.create_cart(
        scene.session,
        data=CartIn(
            customer_ref=reference, lines=[CartLineIn(sku=sku, quantity=1) for sku in skus]
        ),
        actor=actor,
        currency=scene.demo.currency,
    )
    return cart.id


def _left_cart(scene: _Scene) -> None:
    """A customer left a web cart three and a half hours ago."""
    reference = _someone(scene)
    held = _held(scene.demo, "WH-SARAN", least=5)
    skus = scene.rng.sample(held, k=2)
    cart_id = _web_cart(scene, WEB_SHOP, reference, skus)
    left = scene.now - timedelta(hours=3, minutes=scene.rng.randint(20, 35))
    _remind(scene, cart_id, scene.people[reference], left=left)


def _bought_at_the_counter(scene: _Scene) -> None:
    """A cart opened on the app five hours ago, bought at the Lyon counter before its
    reminder was due."""
    reference = _someone(scene)
    till = _till(scene.session, SHOWCASE_STORE)
    shelf = _held(scene.demo, SHOWCASE_STORE, least=3)
    for _attempt in range(4):
        skus = scene.rng.sample(shelf, k=2)
        try:
            with scene.session.begin_nested():
                cart_id = _web_cart(scene, APP, reference, skus)
                _remind(
                    scene, cart_id, scene.people[reference], left=scene.now - timedelta(hours=5)
                )
                order = _checkout(
                    scene,
                    till,
                    {
                        "cart_id": cart_id,
                        "channel": ChannelKind.store.value,
                        "customer_ref": reference,
                        "fulfilment": {
                            "method": Method.carry_out.value,
                            "location": SHOWCASE_STORE,
                        },
                        "payment": _payment(scene, "adyen-pos"),
                    },
                    at=scene.now - timedelta(hours=2, minutes=30),
                )
                if order is None:
                    raise _NoSale
                return
        except _NoSale:
            scene.quiet_carts.discard(cart_id)


def _payment(scene: _Scene, provider: str) -> dict[str, str]:
    return {
        "provider": provider,
        "reference": f"psp_{scene.rng.randrange(10**9, 10**10)}",
        "status": "captured",
    }


def _checkout(
    scene: _Scene, actor: Actor, body: dict[str, Any], *, at: datetime
) -> OrderOut | None:
    try:
        with simulated(at), scene.session.begin_nested():
            return orders.checkout(
                scene.session, data=CheckoutIn.model_validate(body), actor=actor, now=at
            )
    except DomainError:
        return None


def _refunded_at_the_counter(scene: _Scene) -> None:
    """Trousers bought at the Paris counter nine days ago, brought back an hour ago as too
    large, refunded to the card at once."""
    store = "PARIS-01"
    reference = _someone(scene, news=False)
    till = _till(scene.session, store)
    prices = {v.sku: v.price_minor or 0 for p in scene.demo.products for v in p.variants}
    trousers = {
        variant.sku
        for product in scene.demo.products
        if product.category == "Pantalons"
        for variant in product.variants
    }
    shelf = [sku for sku in _held(scene.demo, store) if sku in trousers and prices[sku] < 20_000]
    bought = scene.now - timedelta(days=9, hours=scene.rng.uniform(0, 6))
    for sku in scene.rng.sample(shelf, k=min(4, len(shelf))):
        order = _checkout(
            scene,
            till,
            {
                "lines": [{"sku": sku, "quantity": 1}],
                "customer_ref": reference,
                "fulfilment": {"method": Method.carry_out.value, "location": store},
                "payment": _payment(scene, "adyen-pos"),
            },
            at=bought,
        )
        if order is not None:
            break
    else:
        return
    brought = scene.now - timedelta(minutes=scene.rng.randint(55, 70))
    with simulated(brought):
        opened = returns.open_return(
            scene.session,
            data=ReturnIn(
                order_id=order.id,
                lines=[
                    ReturnLineIn(
                        order_line_id=order.lines[0].id, quantity=1, reason=ReasonCode.too_large
                    )
                ],
                method="counter",
                satisfaction=4,
            ),
            actor=till,
            policy=COUNTER_RETURNS,
            now=brought,
        )
    with simulated(brought + timedelta(minutes=4)):
        returns.inspect(
            scene.session,
            return_id=opened.id,
            data=InspectIn(),
            actor=till,
            now=brought + timedelta(minutes=4),
        )
    reference = f"psp_refund_{scene.rng.randrange(10**8, 10**9)}"
    with simulated(brought + timedelta(minutes=6)):
        returns.refund(
            scene.session,
            return_id=opened.id,
            data=RefundIn(method="original_payment", provider="adyen-pos", reference=reference),
            actor=till,
            now=brought + timedelta(minutes=6),
        )


def _waiting_for_zoes_dress(scene: _Scene, cart_id: str) -> None:
    """Two customers wait for the dress in M that Lyon has just sold out of."""
    dress = carts.get_cart(scene.session, cart_id=cart_id, with_prices=False).lines[0].sku
    for actor, days in ((WEB_SHOP, 2.2), (_till(scene.session, SHOWCASE_STORE), 0.9)):
        reference = _someone(scene)
        watches.watch_stock(
            scene.session,
            data=StockWatchIn(sku=dress, location=SHOWCASE_STORE, customer_ref=reference),
            actor=actor,
            region=REGION,
            now=scene.now - timedelta(days=days),
        )


def _complaint(scene: _Scene) -> None:
    """A customer whose parcel came a week ago complained to the call centre five days ago:
    the review request planned for that order is held back."""
    page = message_page(
        scene.session, actor=OPERATOR, status="scheduled", kind="review_request", limit=200
    )
    news = {scene.people[reference] for reference in scene.news - scene.taken}
    rows = {
        row.id: row
        for row in scene.session.scalars(
            select(Message).where(Message.id.in_([item.id for item in page.items]))
        )
    }
    for message in sorted(page.items, key=lambda item: (item.due_at, item.id)):
        row = rows.get(message.id)
        if message.profile_id in news and row is not None and _would_go(scene, row):
            facts.report_fact(
                scene.session,
                kind="complaint",
                actor=CALL_CENTRE,
                region=REGION,
                profile_id=message.profile_id,
                subject=message.about,
                note="Colis reçu avec la boîte abîmée ; la cliente est mécontente.",
                now=scene.now - timedelta(days=5, hours=scene.rng.uniform(1, 5)),
            )
            return


def _shipped_this_morning(scene: _Scene) -> None:
    """The warehouse hands the carrier the parcel packed last before the build, fifty
    minutes ago: its shipping notice is due whatever the hour of the build (the history
    stops at midnight UTC, and a notice a day old is no longer news)."""
    at = scene.now - timedelta(minutes=50)
    packed = orders.page_fulfilment_views(
        scene.session, status="packed", method=Method.ship, limit=50
    ).items
    ready = [f for f in packed if as_utc(f.updated_at) < at]
    if not ready:
        return
    parcel = max(ready, key=lambda f: (as_utc(f.updated_at), f.id))
    tracking = f"6A{scene.rng.randrange(10**10, 10**11)}"
    with simulated(at):
        orders.act(
            scene.session,
            fulfilment_id=parcel.id,
            action=Action.ship,
            data=ActionIn(carrier="Colissimo", tracking_reference=tracking),
            actor=WAREHOUSE,
            now=at,
        )


QUIET_HOURS_SPAN = timedelta(hours=11)
"""From 21:00 to 08:00: the longest the sending job's first run may wait after the build."""


def _would_go(scene: _Scene, message: Message) -> bool:
    """Whether ``message`` is due and nothing but the complaint would hold it back until
    the sending job's first run after quiet hours: no return, cancellation or other fact
    of the person's that would be the reason told instead."""
    if as_utc(message.due_at) > scene.now:
        return False
    channels = triggers.trigger_ref(scene.session, message.trigger_code).channels
    for at in (scene.now, scene.now + QUIET_HOURS_SPAN):
        answer = deciding.ask(scene.session, message, channels=channels, now=at)
        if answer.decision.outcome not in (Outcome.send, Outcome.defer):
            return False
    return True


# -- the step -------------------------------------------------------------------------------------


def run_journeys(session: Session, demo: DemoRetailer, rng: Random, report: Report) -> None:
    """The demo step: consents, triggers and a segment, the history heard by the journeys,
    today's scenes, and the win-back scan."""
    now = utcnow().astimezone(UTC)
    triggers.ensure_defaults(session)
    scene = _Scene(session=session, demo=demo, rng=rng, now=now, people=_people(session))
    _consents(session, demo, rng, scene)
    _lyon_regulars(session)
    report(1, 4)
    zoes = _zoes_cart(session)
    bus = Random(rng.random())
    quiet = [*demo.history_carts, *([zoes] if zoes else [])]
    heard = _hear(session, after=0, rng=bus, now=now, quiet_carts=quiet)
    report(2, 4)
    if zoes is not None:
        _zoes_reminder(scene, zoes)
        _waiting_for_zoes_dress(scene, zoes)
    _left_cart(scene)
    _bought_at_the_counter(scene)
    _refunded_at_the_counter(scene)
    _complaint(scene)
    _shipped_this_morning(scene)
    _hear(session, after=heard, rng=bus, now=utcnow(), quiet_carts=scene.quiet_carts)
    report(3, 4)
    journeys.scan_win_back(session, now=now, region=REGION)
    report(4, 4)
