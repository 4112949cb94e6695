"""Rewards through the API, the bus and the jobs, on a real database: vouchers for the
points crossed and personalised offers on the preferred category, issued by the rules as
single-use coupons that only the member's carts and orders use, on every channel."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import func, select

from omnicanal.customers import service as customers
from omnicanal.customers.identifiers import Identifier, IdentifierKind
from omnicanal.loyalty import service as loyalty
from omnicanal.loyalty.models import Reward
from omnicanal.loyalty.privacy import erase_members
from omnicanal.loyalty.wiring import LOYALTY_REWARDS
from omnicanal.platform.actors import OPERATOR
from omnicanal.platform.clock import utcnow
from omnicanal.platform.events import OutboxEvent
from omnicanal.platform.ids import new_id
from omnicanal.pricing.models import CouponRedemption, Promotion
from tests.builders import auth, make_key, snapshot
from tests.loyalty.builders import CARD, CUSTOMER, make_accessory
from tests.loyalty.reward_builders import (
    OFFER,
    VOUCHER,
    issue,
    rewards,
    set_rules,
    shop_with_member,
)
from tests.returns.builders import CARD as CARD_PAYMENT
from tests.returns.builders import DELIVERY, TILL, web_order


def _sale(client, key: str, sku: str, *, customer_ref: str | None, coupon: str):
    """A sale over the counter of the key's store with ``coupon``: the response."""
    body = {"lines": [{"sku": sku, "quantity": 1}], "payment": TILL, "coupons": [coupon]}
    if customer_ref is not None:
        body["customer_ref"] = customer_ref
    return client.post("/v1/orders", json=body, headers=auth(key))


def _cart(client, key: str, *skus: str, customer_ref: str | None) -> str:
    body: dict = {"lines": [{"sku": sku, "quantity": 1} for sku in skus]}
    if customer_ref is None:
        body["anonymous_id"] = "cookie-42"
    else:
        body["customer_ref"] = customer_ref
    response = client.post("/v1/carts", json=body, headers=auth(key))
    assert response.status_code == 201, response.text
    return str(response.json()["id"])


def _events(platform, event_type: str) -> list[dict]:
    with platform.db.reading() as session:
        return [
            row.data
            for row in session.scalars(
                select(OutboxEvent).where(OutboxEvent.type == event_type).order_by(OutboxEvent.seq)
            )
        ]


def test_crossing_a_thousand_points_gives_a_ten_euro_voucher_used_once_at_the_counter(
    platform, client
):
    """Inès earns 1,996 points on the web: one 10 € voucher, a coupon of her own. At the
    Lyon counter it takes 10 € off her dress; the bus marks it used by that sale; a second
    sale with it is refused."""
    shop, admin, ines = shop_with_member(platform, client, VOUCHER)

    [voucher] = issue(client, admin, ines["id"])

    assert voucher | {"id": "", "coupon_code": "", "issued_at": "", "valid_until": ""} == {
        "id": "",
        "member_id": ines["id"],
        "rule": "BON-1000",
        "kind": "voucher",
        "title": "10,00 EUR off for 1000 points",
        "title_code": "loyalty.reward.voucher_points",
        "params": {"amount": 1000, "currency": "EUR", "points": 1000},
        "coupon_code": "",
        "currency": "EUR",
        "value_minor": 1000,
        "percent_off": None,
        "category": None,
        "min_subtotal_minor": 0,
        "issued_at": "",
        "valid_until": "",
        "status": "available",
        "used_at": None,
        "order_id": None,
    }
    assert voucher["coupon_code"].startswith("FID-")
    sale = _sale(
        client, shop.lyon, shop.robe_m, customer_ref=CUSTOMER, coupon=voucher["coupon_code"]
    )
    assert sale.status_code == 201, sale.text
    assert (sale.json()["total_minor"], sale.json()["coupons"]) == (3990, [voucher["coupon_code"]])
    [shown] = rewards(client, shop.lyon, ines["id"])
    assert shown["status"] == "used"

    platform.relay().drain()

    [used] = rewards(client, shop.web, ines["id"])
    assert (used["status"], used["order_id"]) == ("used", sale.json()["id"])
    assert [
        (event["reward_id"], event["order_id"], event["channel"])
        for event in _events(platform, "loyalty.reward_used")
    ] == [(voucher["id"], sale.json()["id"], "store")]
    again = _sale(
        client, shop.lyon, shop.robe_m, customer_ref=CUSTOMER, coupon=voucher["coupon_code"]
    )
    assert (again.status_code, again.json()["code"]) == (409, "coupon_exhausted")
    on_the_web = client.post(
        "/v1/orders",
        json={
            "lines": [{"sku": shop.robe_m, "quantity": 1}],
            "customer_ref": ines["profile_id"],
            "delivery_address": DELIVERY,
            "payment": CARD_PAYMENT,
            "fulfilment": {"method": "ship"},
            "coupons": [voucher["coupon_code"]],
        },
        headers=auth(shop.web),
    )
    assert (on_the_web.status_code, on_the_web.json()["code"]) == (409, "coupon_exhausted")


def test_a_personal_offer_takes_ten_percent_off_the_preferred_category_in_a_cart(platform, client):
    """Inès bought dresses (99.80 €) and a scarf (19.90 €): her offer is 10 % off Robes; in
    her cart with a dress and a scarf it takes 4.99 € off the dress only."""
    shop, admin, ines = shop_with_member(platform, client, OFFER)
    scarf = make_accessory(platform, location="WH-CENTRE")
    web_order(client, platform, shop.web, (scarf, 1))

    [offer] = issue(client, admin, ines["id"])
    cart = _cart(client, shop.app, shop.robe_m, scarf, customer_ref=CUSTOMER)
    added = client.post(
        f"/v1/carts/{cart}/coupons", json={"code": offer["coupon_code"]}, headers=auth(shop.app)
    )

    assert (offer["kind"], offer["category"], offer["percent_off"]) == ("offer", "Robes", "10.00")
    assert (offer["title"], offer["params"]) == (
        "10% off Robes",
        {"percent": "10", "category": "Robes"},
    )
    assert added.status_code == 200, added.text
    priced = added.json()["priced"]
    assert [(line["sku"], line["discount_minor"]) for line in priced["lines"]] == [
        (shop.robe_m, 499),
        (scarf, 0),
    ]


def test_a_personal_coupon_is_refused_to_another_customer_and_to_a_walk_in(platform, client):
    """Zoé's cart and an anonymous cart cannot take Inès's voucher (409
    ``coupon_for_another_customer``), nor can a sale for Zoé; nothing changes."""
    shop, admin, ines = shop_with_member(platform, client, VOUCHER)
    [voucher] = issue(client, admin, ines["id"])
    zoe = _cart(client, shop.web, shop.robe_m, customer_ref="email:zoe@example.fr")
    walk_in = _cart(client, shop.lyon, shop.robe_m, customer_ref=None)
    before = snapshot(platform)

    refused = [
        client.post(
            f"/v1/carts/{cart}/coupons", json={"code": voucher["coupon_code"]}, headers=auth(key)
        )
        for cart, key in ((zoe, shop.web), (walk_in, shop.lyon))
    ]
    sale = _sale(
        client,
        shop.lyon,
        shop.robe_m,
        customer_ref="email:zoe@example.fr",
        coupon=voucher["coupon_code"],
    )

    assert [(r.status_code, r.json()["code"]) for r in [*refused, sale]] == [
        (409, "coupon_for_another_customer")
    ] * 3
    assert snapshot(platform) == before
    assert rewards(client, shop.web, ines["id"])[0]["status"] == "available"


def test_her_card_her_profile_and_her_email_all_use_her_coupon(platform, client):
    """A personal coupon follows the person: a cart filed under her loyalty card, her
    profile or her bare e-mail takes it (whatever the case of the letters)."""
    shop, admin, ines = shop_with_member(platform, client, VOUCHER)
    [voucher] = issue(client, admin, ines["id"])

    for reference in (
        f"loyalty_card:{CARD.replace('-', '')}",
        ines["profile_id"],
        "INES@example.fr",
    ):
        cart = _cart(client, shop.web, shop.robe_m, customer_ref=reference)
        added = client.post(
            f"/v1/carts/{cart}/coupons",
            json={"code": voucher["coupon_code"]},
            headers=auth(shop.web),
        )
        assert added.status_code == 200, (reference, added.text)
        assert added.json()["priced"]["discount_minor"] == 1000


def test_issuing_again_issues_nothing_more_until_more_points_are_earned(platform, client):
    """The rules ran: running them again, by hand or by the job, issues nothing; 1,000 more
    points earned give a second voucher, numbered 2."""
    shop, admin, ines = shop_with_member(platform, client, VOUCHER)
    issue(client, admin, ines["id"])

    assert issue(client, admin, ines["id"]) == []
    platform.run_group(LOYALTY_REWARDS)
    assert len(rewards(client, shop.web, ines["id"])) == 1

    web_order(client, platform, shop.web, (shop.robe_m, 1))
    platform.relay().drain()
    [second] = issue(client, admin, ines["id"])
    assert (second["params"]["points"], second["title"]) == (2000, "10,00 EUR off for 2000 points")
    with platform.db.reading() as session:
        numbers = session.scalars(select(Reward.sequence).order_by(Reward.sequence)).all()
    assert numbers == [1, 2]


def test_the_daily_job_issues_rewards_to_the_members_who_fit(platform, client):
    """The job looks at every member of a programme with rules once a day: Inès gets her
    voucher and her offer; the next pass the same day looks at nobody."""
    shop, _, ines = shop_with_member(platform, client, VOUCHER, OFFER)

    looked_at = platform.run_group(LOYALTY_REWARDS)
    with platform.db.transaction() as session:
        again = loyalty.issue_due_rewards(session)
    with platform.db.transaction() as session:
        tomorrow = loyalty.issue_due_rewards(session, now=utcnow() + timedelta(days=1, minutes=1))

    assert (looked_at, again, tomorrow) == (1, 0, 1)
    assert sorted(reward["rule"] for reward in rewards(client, shop.web, ines["id"])) == [
        "BON-1000",
        "OFFRE-PREFEREE",
    ]
    issued = _events(platform, "loyalty.reward_issued")
    assert sorted((event["rule"], event["title"]) for event in issued) == [
        ("BON-1000", "10,00 EUR off for 1000 points"),
        ("OFFRE-PREFEREE", "10% off Robes"),
    ]


def test_an_expired_reward_is_shown_expired_and_refused(platform, client):
    """A voucher issued 40 days ago, valid 30: expired in the list, refused by a cart."""
    shop, _, ines = shop_with_member(platform, client, VOUCHER | {"valid_days": 30})
    with platform.db.transaction() as session:
        [old] = loyalty.issue_rewards(
            session, member_id=ines["id"], now=utcnow() - timedelta(days=40), actor=OPERATOR
        )
    cart = _cart(client, shop.web, shop.robe_m, customer_ref=CUSTOMER)

    added = client.post(
        f"/v1/carts/{cart}/coupons", json={"code": old.coupon_code}, headers=auth(shop.web)
    )

    assert (added.status_code, added.json()["code"]) == (409, "coupon_expired")
    assert [reward["status"] for reward in rewards(client, shop.web, ines["id"])] == ["expired"]
    assert rewards(client, shop.web, ines["id"], status="available") == []


def test_an_erased_member_s_rewards_are_withdrawn(platform, client):
    """Inès erased: her unused voucher ends and names nobody; no cart can take it, hers
    neither."""
    shop, admin, ines = shop_with_member(platform, client, VOUCHER)
    [voucher] = issue(client, admin, ines["id"])

    with platform.db.transaction() as session:
        erase_members(session, member_ids=[ines["id"]])

    cart = _cart(client, shop.web, shop.robe_m, customer_ref=CUSTOMER)
    added = client.post(
        f"/v1/carts/{cart}/coupons", json={"code": voucher["coupon_code"]}, headers=auth(shop.web)
    )
    assert (added.status_code, added.json()["code"]) == (409, "coupon_for_another_customer")
    with platform.db.reading() as session:
        refs = session.scalar(
            select(Promotion.customer_refs).where(Promotion.code == voucher["coupon_code"])
        )
    assert refs == []
    assert [reward["status"] for reward in rewards(client, shop.web, ines["id"])] == ["expired"]


def test_personal_coupons_stay_out_of_the_promotions_list(platform, client):
    """Head office's list of promotions holds campaigns, not each customer's coupon; the
    coupon itself says it is personal."""
    _, admin, ines = shop_with_member(platform, client, VOUCHER)
    [voucher] = issue(client, admin, ines["id"])
    pricing_key = make_key(platform, "call_centre", scopes=["pricing:read"])

    listed = client.get("/v1/promotions", headers=auth(pricing_key))
    one = client.get(f"/v1/promotions/{voucher['coupon_code']}", headers=auth(pricing_key))

    assert listed.status_code == 200 and listed.json() == []
    assert (one.json()["personal"], one.json()["usage_limit"]) == (True, 1)
    created = _events(platform, "pricing.promotion_created")
    assert [event["personal"] for event in created] == [True]
    assert all("customer_refs" not in event for event in created)


def test_only_head_office_sets_rules_and_issues_and_a_marketplace_sees_no_reward(platform, client):
    """A web key cannot set rules or issue rewards (403); a marketplace key reads no
    reward (403); nothing changes."""
    shop, _, ines = shop_with_member(platform, client, VOUCHER)
    before = snapshot(platform)

    answers = [
        client.put(
            "/v1/loyalty/programmes/CLUB/reward-rules",
            json={"rules": [VOUCHER]},
            headers=auth(shop.web),
        ),
        client.post(f"/v1/loyalty/members/{ines['id']}/rewards", headers=auth(shop.web)),
        client.get(f"/v1/loyalty/members/{ines['id']}/rewards", headers=auth(shop.marketplace)),
    ]

    assert [answer.status_code for answer in answers] == [403, 403, 403]
    assert snapshot(platform) == before


def test_a_rule_that_makes_no_sense_is_refused_and_nothing_changes(platform, client):
    """A voucher without its amount, an offer with points, two rules with one code, a tier
    the programme lacks: 422 each, the rules as they were."""
    shop, admin, _ = shop_with_member(platform, client, VOUCHER)
    before = snapshot(platform)
    bad = [
        [{"code": "X", "kind": "voucher", "percent": "10"}],
        [{"code": "X", "kind": "offer", "percent": "10", "every_points": 100}],
        [VOUCHER, VOUCHER],
        [VOUCHER | {"tier": "diamond"}],
        [VOUCHER | {"every_days": 30}],
    ]

    answers = [
        client.put(
            "/v1/loyalty/programmes/CLUB/reward-rules", json={"rules": rules}, headers=auth(admin)
        )
        for rules in bad
    ]

    assert [answer.status_code for answer in answers] == [422] * 5
    assert answers[3].json()["code"] == "unknown_tier"
    assert snapshot(platform) == before
    listed = client.get("/v1/loyalty/programmes/CLUB/reward-rules", headers=auth(shop.web))
    assert [rule["code"] for rule in listed.json()] == ["BON-1000"]


def test_a_tier_voucher_and_a_win_back_offer_follow_the_rules_conditions(platform, client):
    """Gold members get a voucher; an offer for customers who have not ordered for 60 days
    skips Inès, who ordered today."""
    _, admin, ines = shop_with_member(platform, client)
    client.put(
        "/v1/loyalty/programmes/CLUB",
        json={
            "name": "Club",
            "points_per_euro": "20",
            "pending_days": 0,
            "tiers": [
                {"code": "silver", "name": "Argent", "threshold": 0},
                {"code": "gold", "name": "Or", "threshold": 1500},
            ],
        },
        headers=auth(admin),
    ).raise_for_status()
    set_rules(
        client,
        admin,
        {"code": "OR", "kind": "voucher", "amount_minor": 1500, "tier": "gold", "every_days": 365},
        OFFER | {"code": "RETOUR", "min_days_since_order": 60},
    )
    with platform.db.transaction() as session:
        loyalty.review_tiers(session, now=utcnow() + timedelta(days=2))

    issued = issue(client, admin, ines["id"])

    assert [(reward["rule"], reward["title"]) for reward in issued] == [
        ("OR", "15,00 EUR off as a Or member")
    ]
    with platform.db.reading() as session:
        assert session.scalar(select(func.count()).select_from(CouponRedemption)) == 0


def _app_login(platform, user_id: str) -> None:
    """Inès signs in to the app for the first time: her login joins her profile."""
    now = utcnow()
    with platform.db.transaction() as session:
        customers.record_sightings(
            session,
            sightings=[
                customers.Sighting(
                    identifiers=(
                        Identifier(IdentifierKind.user_id, user_id, anchor=True),
                        Identifier(IdentifierKind.email, "ines@example.fr", anchor=True),
                    ),
                    kind="identify",
                    name="identify",
                    occurred_at=now,
                    received_at=now,
                    source="app",
                    channel="app",
                    message_ref=new_id(),
                )
            ],
            actor=OPERATOR,
        )


def test_a_reward_follows_its_customer_to_a_new_login(platform, client):
    """Inès's voucher was issued before her first app login: a cart filed under the login
    is refused until the rewards pass looks at her again, then takes it."""
    shop, admin, ines = shop_with_member(platform, client, VOUCHER)
    [voucher] = issue(client, admin, ines["id"])
    _app_login(platform, "u-77")
    cart = _cart(client, shop.app, shop.robe_m, customer_ref="user_id:u-77")

    def add():
        return client.post(
            f"/v1/carts/{cart}/coupons",
            json={"code": voucher["coupon_code"]},
            headers=auth(shop.app),
        )

    refused = add()
    assert (refused.status_code, refused.json()["code"]) == (409, "coupon_for_another_customer")
    assert issue(client, admin, ines["id"]) == []
    assert add().status_code == 200
