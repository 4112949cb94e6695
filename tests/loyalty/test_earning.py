"""What an order earns: the programme's rates by category and channel, the channels that
earn, once per order whatever the bus redelivers, and a tender that cannot pay."""

from __future__ import annotations

from sqlalchemy import event, select

from omnicanal.loyalty.models import Earning, LedgerEntry
from omnicanal.loyalty.wiring import ledger_consumer
from omnicanal.orders.events import OrderPlaced
from omnicanal.platform.bus import Consumer, deliver, deliver_batch
from omnicanal.platform.events import OutboxEvent
from tests.builders import auth
from tests.loyalty.builders import (
    CUSTOMER,
    balance,
    enrol,
    give_points,
    hold,
    make_accessory,
    make_programme,
)
from tests.returns.builders import TILL, make_shop, till_order, web_order


def _events(platform, event_type: str) -> list[dict]:
    with platform.db.reading() as session:
        return list(
            session.scalars(
                select(OutboxEvent.data)
                .where(OutboxEvent.type == event_type)
                .order_by(OutboxEvent.seq)
            )
        )


def test_the_most_specific_rate_applies_per_line_and_category(platform, client):
    """Dresses earn 2 points per euro at a counter and 1.5 elsewhere, a scarf the default
    1."""
    shop = make_shop(platform)
    make_programme(
        platform,
        earning_rules=[
            {"category": "Robes", "channel": "store", "points_per_euro": "2"},
            {"category": "Robes", "points_per_euro": "1.5"},
        ],
    )
    scarf = make_accessory(platform)
    ines = enrol(client, shop.lyon)

    till_order(client, shop.lyon, (shop.robe_m, 1), (scarf, 1))
    web_order(client, platform, shop.web, (shop.robe_l, 1))
    platform.relay().drain()

    assert balance(client, shop.lyon, ines["id"])["pending"] == 99 + 19 + 74
    [till, web] = sorted(_events(platform, "loyalty.points_earned"), key=lambda e: e["channel"])
    assert (till["channel"], till["location"], till["points"]) == ("store", "LYON-01", 118)
    assert (web["channel"], web["points"]) == ("web", 74)


def test_marketplace_orders_earn_only_where_the_programme_allows(platform, client):
    shop = make_shop(platform)
    make_programme(platform)
    ines = enrol(client, shop.web)

    web_order(client, platform, shop.marketplace, (shop.robe_m, 1), customer_ref=CUSTOMER)
    platform.relay().drain()

    assert balance(client, shop.web, ines["id"])["pending"] == 0
    with platform.db.reading() as session:
        assert session.scalar(select(Earning.id)) is None


def test_an_order_filed_under_the_loyalty_card_earns_for_its_member(platform, client):
    shop = make_shop(platform)
    make_programme(platform)
    ines = enrol(client, shop.lyon, customer_ref=None, card_number="FID-77")

    till_order(client, shop.lyon, (shop.robe_m, 1), customer_ref="loyalty_card:FID77")
    platform.relay().drain()

    assert balance(client, shop.lyon, ines["id"])["pending"] == 49


def test_an_order_earns_once_however_often_its_event_is_delivered(platform, client):
    """The bus redelivers (a crash, a relay restart): the consumer skips the event it
    handled; a consumer that forgot it still finds the order's earning and adds nothing."""
    shop = make_shop(platform)
    make_programme(platform)
    ines = enrol(client, shop.web)
    web_order(client, platform, shop.web, (shop.robe_m, 1))
    platform.relay().drain()
    with platform.db.reading() as session:
        [placed] = session.scalars(
            select(OutboxEvent).where(OutboxEvent.type == OrderPlaced.type)
        ).all()
        envelope = placed.to_event()

    consumer = ledger_consumer(region="FR")
    assert deliver(platform.db, consumer, envelope) is False
    forgetful = Consumer(name="loyalty.replay", events=(OrderPlaced,), handler=consumer.handler)
    assert deliver(platform.db, forgetful, envelope) is True

    assert balance(client, shop.web, ines["id"])["pending"] == 49
    with platform.db.reading() as session:
        assert len(session.scalars(select(LedgerEntry.id)).all()) == 1
    assert len(_events(platform, "loyalty.points_earned")) == 1


def test_a_tender_that_names_another_amount_is_not_captured_and_its_hold_comes_back(
    platform, client
):
    shop = make_shop(platform)
    make_programme(platform)
    ines = enrol(client, shop.lyon)
    give_points(platform, ines["id"], 500)
    held = hold(client, shop.lyon, ines["id"], points=300).json()

    sale = client.post(
        "/v1/orders",
        json={
            "lines": [{"sku": shop.robe_m, "quantity": 1}],
            "customer_ref": CUSTOMER,
            "payment": TILL,
            "tenders": [{"kind": "loyalty", "reference": held["id"], "amount_minor": 400}],
        },
        headers=auth(shop.lyon),
    )
    assert sale.status_code == 201, sale.text
    platform.relay().drain()

    [failed] = _events(platform, "loyalty.redemption_capture_failed")
    assert (failed["problem"], failed["order_id"]) == ("amount_mismatch", sale.json()["id"])
    redemption = client.get(f"/v1/loyalty/redemptions/{held['id']}", headers=auth(shop.lyon))
    assert redemption.json()["release_reason"] == "capture_failed"
    assert balance(client, shop.lyon, ines["id"])["available"] == 500


def test_a_batch_of_orders_finds_its_programme_and_buyers_once_and_each_earns(platform, client):
    """The ledger's consumer hears the orders of many members at once: it reads whether
    their currency has a programme, and who each buyer is, once for the batch, and each
    member earns what their own order earns, as the orders heard one by one would."""
    shop = make_shop(platform)
    make_programme(platform)
    members = {}
    for name in ("ines", "louis", "chloe"):
        members[name] = enrol(
            client, shop.web, customer_ref=f"email:{name}@example.fr", card_number=None
        )
    for name in members:
        web_order(
            client, platform, shop.web, (shop.robe_m, 1), customer_ref=f"email:{name}@example.fr"
        )
    with platform.db.reading() as session:
        placed = [
            row.to_event()
            for row in session.scalars(
                select(OutboxEvent).where(OutboxEvent.type == "order.placed")
            )
        ]
    statements: list[str] = []

    def note(_conn, _cursor, statement, *_args) -> None:  # type: ignore[no-untyped-def]
        statements.append(" ".join(statement.split()))

    event.listen(platform.db.write_engine, "before_cursor_execute", note)
    try:
        assert deliver_batch(platform.db, ledger_consumer(region="FR"), placed) == 3
    finally:
        event.remove(platform.db.write_engine, "before_cursor_execute", note)

    earned = [balance(client, shop.web, m["id"])["pending"] for m in members.values()]
    assert earned == [49, 49, 49]  # the dress, at the default 1 point per euro
    programme_reads = [s for s in statements if s.startswith("SELECT loyalty_programmes.id FROM")]
    assert len(programme_reads) == 1, programme_reads
