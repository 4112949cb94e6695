"""Builders for the loyalty pages' tests: the Club programme with its tiers and a reward rule,
and Zoé, a Gold member of it by her purchases at the Lyon counter, with a reward to use."""

from __future__ import annotations

import re
from decimal import Decimal

from fastapi.testclient import TestClient

from omnicanal.loyalty import service as loyalty
from omnicanal.loyalty.schemas import (
    AdjustmentIn,
    EnrolIn,
    ProgrammeIn,
    ProgrammeUpdateIn,
    RewardRuleIn,
    RewardRulesIn,
    TierIn,
)
from omnicanal.platform.actors import OPERATOR
from omnicanal.platform.wiring import Platform
from omnicanal.reviews import service as reviews
from omnicanal.reviews.rules import Decision
from omnicanal.reviews.schemas import DecisionIn, ReviewIn
from tests.builders import receive
from tests.customers.support import make_source, send
from tests.web.test_store_basket import L_NATURAL, M_NATURAL, open_basket, sale_fields, sell
from tests.web.test_store_pages import WEB as WEB_SHOP

PROGRAMME = "CLUB"
ZOE_CARD = "FID-ZOE-0001"
GOLD_PURCHASE = 6
"""Dresses at 89 € Zoé bought at the counter: 534 points, past the Gold tier's 500."""


def make_club(platform: Platform, *, pending_days: int = 30) -> str:
    """The "Club Lumière" programme: a point per euro (two on accessories), a cent a point,
    points pending 30 days, Silver from 200 points and Gold from 500 (points times 1.5), and
    a reward rule: 10 % off their favourite category for Gold members."""
    with platform.db.transaction() as session:
        loyalty.create_programme(
            session,
            data=ProgrammeIn(
                code=PROGRAMME,
                name="Club Lumière",
                pending_days=pending_days,
                earning_rules=[{"category": "Accessoires", "points_per_euro": Decimal(2)}],
                tiers=[
                    TierIn(code="silver", name="Silver", threshold=200),
                    TierIn(code="gold", name="Gold", threshold=500, multiplier=Decimal("1.5")),
                ],
            ),
            actor=OPERATOR,
        )
        loyalty.set_reward_rules(
            session,
            programme=PROGRAMME,
            data=RewardRulesIn(
                rules=[RewardRuleIn(code="GOLD10", kind="offer", percent=Decimal(10), tier="gold")]
            ),
            actor=OPERATOR,
        )
    return PROGRAMME


def enrol_zoe(platform: Platform) -> str:
    """Zoé joins the Club with her card (she is known by her web login); her member id."""
    with platform.db.transaction() as session:
        member = loyalty.enrol(
            session,
            data=EnrolIn(programme=PROGRAMME, customer_ref="user_id:zoe", card_number=ZOE_CARD),
            actor=OPERATOR,
        )
    return member.id


def zoe_profile(client: TestClient) -> str:
    """Zoé's customer page, found by her e-mail (a clerk is signed in)."""
    search = client.get("/store/customers", params={"q": "zoe@example.fr"})
    found = re.search(r'href="(/store/customers/[0-9A-Z]{26})"', search.text)
    assert found is not None, search.text
    return found.group(1)


def set_pending_days(platform: Platform, days: int) -> None:
    """Change the Club's return window (head office's setting; from now on)."""
    with platform.db.transaction() as session:
        current = loyalty.get_programme(session, code=PROGRAMME, actor=OPERATOR)
        settings = ProgrammeUpdateIn.model_validate(
            {
                **current.model_dump(include=set(ProgrammeUpdateIn.model_fields)),
                "pending_days": days,
            }
        )
        loyalty.update_programme(session, code=PROGRAMME, data=settings, actor=OPERATOR)


def make_gold(platform: Platform, client: TestClient, member_id: str) -> None:
    """Zoé buys six dresses at the Lyon counter while the Club credits points at once (534
    points: Gold); then the Club's return window becomes 30 days, and the reward rules give
    her 10 % off dresses."""
    receive(platform, M_NATURAL, "LYON", GOLD_PURCHASE)
    profile_id = zoe_profile(client).rsplit("/", 1)[1]
    basket = open_basket(client, profile_id=profile_id, sku=M_NATURAL, quantity=str(GOLD_PURCHASE))
    fields = {**sale_fields(client, basket, "carry_out"), "payment_reference": "T-GOLD"}
    sold = sell(client, basket, fields)
    assert sold.status_code == 303, sold.text
    platform.relay().drain()
    set_pending_days(platform, 30)
    with platform.db.transaction() as session:
        loyalty.issue_rewards(session, member_id=member_id, actor=OPERATOR)


def publish_review(
    platform: Platform, *, product_code: str, rating: int, title: str, customer_ref: str = "zoe"
) -> None:
    """A review the customer wrote on the web, published by head office."""
    with platform.db.transaction() as session:
        review = reviews.submit_review(
            session,
            data=ReviewIn(
                product_code=product_code, customer_ref=customer_ref, rating=rating, title=title
            ),
            actor=WEB_SHOP,
            region="FR",
        )
        reviews.moderate(
            session,
            review_id=review.id,
            data=DecisionIn(decision=Decision.publish),
            actor=OPERATOR,
        )


def reward_of(platform: Platform, member_id: str):  # type: ignore[no-untyped-def]
    """Zoé's one reward."""
    with platform.db.reading() as session:
        [reward] = loyalty.rewards_of(session, member_id=member_id)
    return reward


def balance_of(platform: Platform, member_id: str) -> tuple[int, int, int]:
    """The member's (available, pending, held) points."""
    with platform.db.reading() as session:
        member = loyalty.member_out(session, member_id=member_id)
    return member.balance.available, member.balance.pending, member.balance.held


def french_scene(platform: Platform, client: TestClient) -> dict[str, str]:
    """For the French pages' check (Léa signed in; Zoé and the linen dress there): the Club,
    Zoé a member with 800 points and a 5 € welcome voucher, Inès who is not a member, a
    basket of Zoé's to pay with points and a sale's receipt part paid with them; returns
    the pages' ids."""
    make_club(platform)
    member_id = enrol_zoe(platform)
    with platform.db.transaction() as session:
        loyalty.set_reward_rules(
            session,
            programme=PROGRAMME,
            data=RewardRulesIn(
                rules=[RewardRuleIn(code="WELCOME", kind="voucher", amount_minor=500)]
            ),
            actor=OPERATOR,
        )
        loyalty.adjust_points(
            session,
            member_id=member_id,
            data=AdjustmentIn(points=800, reason="goodwill"),
            actor=OPERATOR,
        )
        loyalty.issue_rewards(session, member_id=member_id, actor=OPERATOR)
    send(
        client,
        make_source(platform, "app", name="appli"),
        {"type": "identify", "userId": "ines", "traits": {"email": "ines@example.fr"}},
    )
    profile_id = zoe_profile(client).rsplit("/", 1)[1]
    receive(platform, L_NATURAL, "LYON", 1)
    sold_basket = open_basket(client, profile_id=profile_id, sku=L_NATURAL)
    fields = {
        **sale_fields(client, sold_basket, "carry_out"),
        "loyalty_points": "300",
        "payment_reference": "T-2",
    }
    sold = sell(client, sold_basket, fields)
    assert sold.status_code == 303, sold.text
    search = client.get("/store/customers", params={"q": "ines@example.fr"})
    ines = re.search(r'href="(/store/customers/[0-9A-Z]{26})"', search.text)
    assert ines is not None
    return {
        "member": member_id,
        "points_basket": open_basket(client, profile_id=profile_id, sku=L_NATURAL),
        "points_receipt": sold.headers["location"],
        "not_member": ines.group(1),
    }
