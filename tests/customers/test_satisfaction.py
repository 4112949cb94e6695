"""A customer's satisfaction reaches their profile: the scores given at returns, folded from
the ``return.*`` events the timeline consumer already receives, on the API's profile."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal

from sqlalchemy import func, select

from omnicanal.customers.models import ProfileEvent
from omnicanal.customers.satisfaction import (
    ReturnedItem,
    ReturnFacts,
    fold_returns,
    return_facts,
    satisfaction_summary,
)
from omnicanal.customers.service.consumers import join_timeline
from omnicanal.platform.events import OutboxEvent
from omnicanal.returns.events import ReturnRequested
from tests.builders import auth
from tests.customers.support import make_source, profile_by, profiles_key, send
from tests.returns.builders import make_shop, return_body, till_order, web_order

T0 = datetime(2026, 12, 6, 10, 30, tzinfo=UTC)


def requested(return_id: str, score: int | None, reason: str = "too_small") -> dict[str, object]:
    """The data of a ``return.requested`` event of one dress line."""
    data: dict[str, object] = {
        "return_id": return_id,
        "order_id": f"order-{return_id}",
        "status": "received",
        "lines": [{"sku": "ROBE-S", "quantity": 1, "reason": reason, "condition": "unworn"}],
        "reason_codes": [reason],
    }
    if score is not None:
        data["satisfaction"] = score
    return data


def facts(return_id: str, score: int | None, reason: str = "too_small") -> ReturnFacts:
    fact = return_facts("return.requested", requested(return_id, score, reason))
    assert fact is not None
    return fact


# --- the pure folding --------------------------------------------------------------------------


def test_a_return_event_gives_its_return_its_lines_and_the_score():
    fact = return_facts("return.requested", requested("R1", 2))

    assert fact == ReturnFacts(
        return_id="R1",
        order_id="order-R1",
        status="received",
        reasons=("too_small",),
        items=(ReturnedItem(sku="ROBE-S", reason="too_small"),),
        satisfaction=2,
    )


def test_other_events_and_events_naming_no_return_say_nothing():
    """An order's event, an erased person's return event (its strings nulled), a score out
    of 1 to 5: no fact, or no score."""
    assert return_facts("order.placed", requested("R1", 2)) is None
    assert return_facts("return.requested", {**requested("R1", 2), "return_id": None}) is None
    assert return_facts("return.requested", {**requested("R1", 2), "satisfaction": 9}) == facts(
        "R1", None
    )
    assert return_facts("return.requested", {**requested("R1", 2), "satisfaction": True}) == facts(
        "R1", None
    )


def test_the_last_score_is_the_latest_given_and_the_average_counts_every_scored_return():
    returns = fold_returns(
        [
            (T0, facts("R1", 2, "too_small")),
            (T0 + timedelta(days=3), facts("R2", None, "changed_mind")),
            (T0 + timedelta(days=9), facts("R3", 5, "too_large")),
            (T0 + timedelta(days=1), facts("R1", 2, "too_small")),
        ]
    )

    summary = satisfaction_summary(returns)

    assert [entry.return_id for entry in returns] == ["R3", "R2", "R1"]
    assert summary is not None
    assert (summary.score, summary.at, summary.return_id) == (5, T0 + timedelta(days=9), "R3")
    assert summary.reasons == ("too_large",)
    assert (summary.average, summary.scored_returns) == (Decimal("3.5"), 2)


def test_a_score_given_when_the_parcel_arrives_dates_from_then():
    """A postal return is scored at the counter that receives it, days after it was opened:
    its score is the latest, from the day it was given."""
    returns = fold_returns(
        [
            (T0, facts("R1", 4)),
            (T0 + timedelta(days=1), facts("R2", None)),
            (T0 + timedelta(days=6), facts("R2", 1)),
        ]
    )

    summary = satisfaction_summary(returns)

    assert summary is not None
    assert (summary.score, summary.at, summary.return_id) == (1, T0 + timedelta(days=6), "R2")
    assert returns[0].opened_at == T0 + timedelta(days=1)
    assert summary.average == Decimal("2.5")


def test_a_customer_who_never_scored_has_no_satisfaction():
    assert satisfaction_summary(fold_returns([(T0, facts("R1", None))])) is None
    assert satisfaction_summary([]) is None


def test_the_average_is_rounded_half_up_to_one_decimal():
    returns = fold_returns(
        [(T0 + timedelta(hours=n), facts(f"R{n}", score)) for n, score in enumerate((4, 4, 5))]
    )

    summary = satisfaction_summary(returns)

    assert summary is not None and summary.average == Decimal("4.3")


# --- through the bus, on the profile -------------------------------------------------------


def given_ines(platform, client):  # type: ignore[no-untyped-def]
    """Inès, known on the web by her email, and the shop she buys from."""
    shop = make_shop(platform)
    send(
        client,
        make_source(platform, "web"),
        {"type": "identify", "userId": "u-1", "traits": {"email": "ines@example.fr"}},
    )
    return shop


def test_a_scored_return_reaches_the_profile_with_its_reason(platform, client):
    """Bought on the web, brought back to Lyon too small, scored 2/5: the profile says so."""
    shop = given_ines(platform, client)
    order = web_order(client, platform, shop.web, (shop.robe_m, 1))
    returned = client.post(
        "/v1/returns", json=return_body(order, satisfaction=2), headers=auth(shop.lyon)
    )
    assert returned.status_code == 201, returned.text

    platform.relay().drain()
    profile = profile_by(client, profiles_key(platform), email="ines@example.fr")

    satisfaction = profile["satisfaction"]
    assert satisfaction["score"] == 2
    assert satisfaction["return_id"] == returned.json()["id"]
    assert satisfaction["reasons"] == ["too_small"]
    assert (satisfaction["average"], satisfaction["scored_returns"]) == (2.0, 1)
    assert profile["last_return"]["status"] == "received"
    assert profile["last_return"]["items"] == [{"sku": shop.robe_m, "reason": "too_small"}]


def test_the_profile_keeps_the_last_score_and_the_average_of_its_returns(platform, client):
    """Two returns scored 2 then 5, one refunded: the last score is 5, the average 3.5, and
    the last return is the second, as it is now."""
    shop = given_ines(platform, client)
    first = web_order(client, platform, shop.web, (shop.robe_m, 1))
    second = till_order(client, shop.lyon, (shop.veste, 1))
    client.post("/v1/returns", json=return_body(first, satisfaction=2), headers=auth(shop.lyon))
    later = client.post(
        "/v1/returns",
        json=return_body(second, reason="changed_mind", satisfaction=5),
        headers=auth(shop.lyon),
    ).json()
    client.post(f"/v1/returns/{later['id']}/inspect", headers=auth(shop.lyon))
    refunded = client.post(
        f"/v1/returns/{later['id']}/refund",
        json={"method": "store_credit"},
        headers=auth(shop.lyon),
    )
    assert refunded.status_code == 200, refunded.text

    platform.relay().drain()
    profile = profile_by(client, profiles_key(platform), email="ines@example.fr")

    assert profile["satisfaction"]["score"] == 5
    assert profile["satisfaction"]["reasons"] == ["changed_mind"]
    assert (profile["satisfaction"]["average"], profile["satisfaction"]["scored_returns"]) == (
        3.5,
        2,
    )
    assert profile["last_return"]["return_id"] == later["id"]
    assert profile["last_return"]["status"] == "refunded"
    assert profile["last_return"]["satisfaction"] == 5


def test_a_return_without_a_score_leaves_the_profile_without_satisfaction(platform, client):
    shop = given_ines(platform, client)
    order = web_order(client, platform, shop.web, (shop.robe_m, 1))
    client.post("/v1/returns", json=return_body(order), headers=auth(shop.lyon))

    platform.relay().drain()
    profile = profile_by(client, profiles_key(platform), email="ines@example.fr")

    assert profile["satisfaction"] is None
    assert profile["last_return"]["satisfaction"] is None


def test_an_event_delivered_twice_counts_its_return_once(platform, client):
    """The bus delivers at least once: the same ``return.requested`` joining the timeline a
    second time leaves one scored return, not two."""
    shop = given_ines(platform, client)
    order = web_order(client, platform, shop.web, (shop.robe_m, 1))
    client.post("/v1/returns", json=return_body(order, satisfaction=4), headers=auth(shop.lyon))
    with platform.db.reading() as session:
        [row] = session.scalars(
            select(OutboxEvent).where(OutboxEvent.type == ReturnRequested.type)
        ).all()
        event = row.to_event()

    for _ in range(2):
        with platform.db.transaction() as session:
            join_timeline(session, event, region="FR")
    profile = profile_by(client, profiles_key(platform), email="ines@example.fr")

    with platform.db.reading() as session:
        entries = session.scalar(
            select(func.count())
            .select_from(ProfileEvent)
            .where(ProfileEvent.name == ReturnRequested.type)
        )
    assert entries == 2
    assert profile["satisfaction"]["scored_returns"] == 1
    assert profile["satisfaction"]["average"] == 4.0
