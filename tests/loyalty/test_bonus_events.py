"""Bonus events and tier benefits: a "double points weekend" multiplies the points of the
lines it covers (its window, channels and categories), once, on top of the tier; a tier's
benefits are data every channel reads with the member."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import ROUND_FLOOR, Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from pydantic import ValidationError

from omnicanal.loyalty import service as loyalty
from omnicanal.loyalty.rules import BonusEvent, PricedLine, Rates, earn
from omnicanal.loyalty.schemas import ProgrammeUpdateIn, TierIn
from omnicanal.platform.actors import OPERATOR
from omnicanal.platform.clock import utcnow
from tests.builders import auth
from tests.loyalty.builders import (
    PROGRAMME,
    admin_key,
    enrol,
    make_accessory,
    make_programme,
    member,
)
from tests.returns.builders import make_shop, till_order, web_order

SATURDAY = datetime(2026, 6, 6, tzinfo=UTC)
MONDAY = SATURDAY + timedelta(days=2)
CATEGORIES = ["Robes", "Vestes", "Lingerie"]
CHANNELS = ["web", "app", "store", "call_centre"]

amounts = st.integers(min_value=0, max_value=10_000_000)
multipliers = st.decimals(min_value=1, max_value=10, places=2)
tier_multipliers = st.decimals(min_value=1, max_value=5, places=2)
rates = st.decimals(min_value=0, max_value=20, places=2)
moments = st.datetimes(
    min_value=datetime(2026, 6, 1), max_value=datetime(2026, 6, 14), timezones=st.just(UTC)
)
lines = st.lists(
    st.builds(
        PricedLine,
        line_id=st.uuids().map(str),
        quantity=st.integers(min_value=1, max_value=50),
        amount_minor=amounts,
        category=st.sampled_from(CATEGORIES),
    ),
    min_size=1,
    max_size=8,
)
events = st.builds(
    BonusEvent,
    code=st.sampled_from(["WEEKEND", "SOLDES", "NOEL", "VIP"]),
    starts_at=st.just(SATURDAY),
    ends_at=st.just(MONDAY),
    multiplier=multipliers,
    channels=st.frozensets(st.sampled_from(CHANNELS), max_size=2),
    categories=st.frozensets(st.sampled_from(CATEGORIES), max_size=2),
)


def _floor(value: Decimal) -> int:
    return int(value.to_integral_value(ROUND_FLOOR))


@settings(max_examples=300, deadline=None)
@given(
    lines=lines,
    event=events,
    placed_at=moments,
    channel=st.sampled_from(CHANNELS),
    rate=rates,
    tier=tier_multipliers,
)
def test_a_line_outside_the_window_channel_or_category_earns_no_bonus(
    lines, event, placed_at, channel, rate, tier
):
    """A line earns the bonus only when placed in the window, on one of its channels, in
    one of its categories; otherwise exactly what it earns without the event."""
    table = Rates(default=rate)
    with_event = earn(
        lines,
        rates=table,
        channels=(channel,),
        multiplier=tier,
        bonus_events=(event,),
        placed_at=placed_at,
    )
    without = earn(lines, rates=table, channels=(channel,), multiplier=tier)

    for line, bonused, plain in zip(lines, with_event, without, strict=True):
        covered = (
            SATURDAY <= placed_at < MONDAY
            and (not event.channels or channel in event.channels)
            and (not event.categories or line.category in event.categories)
        )
        assert bonused.bonus == (event.code if covered else None)
        if covered:
            assert bonused.points == _floor(
                Decimal(line.amount_minor) * rate * tier * event.multiplier / 100
            )
        else:
            assert bonused.points == plain.points


@settings(max_examples=300, deadline=None)
@given(
    lines=lines,
    overlapping=st.lists(events, min_size=1, max_size=4),
    placed_at=moments,
    channel=st.sampled_from(CHANNELS),
    rate=rates,
    tier=tier_multipliers,
)
def test_overlapping_events_never_multiply_a_line_twice(
    lines, overlapping, placed_at, channel, rate, tier
):
    """Among the events a line is in, only the best multiplier applies: the line earns what
    it would with that event alone, whole points, rounded down once."""
    table = Rates(default=rate)
    earned = earn(
        lines,
        rates=table,
        channels=(channel,),
        multiplier=tier,
        bonus_events=overlapping,
        placed_at=placed_at,
    )

    for line, result in zip(lines, earned, strict=True):
        covering = [
            event
            for event in overlapping
            if event.applies(placed_at=placed_at, category=line.category, channels=(channel,))
        ]
        best = max((event.multiplier for event in covering), default=Decimal(1))
        assert isinstance(result.points, int)
        assert result.points == _floor(Decimal(line.amount_minor) * rate * tier * best / 100)
        if covering:
            assert result.bonus in {e.code for e in covering if e.multiplier == best}


def test_the_window_includes_its_start_and_excludes_its_end():
    """Saturday 00:00 is in the weekend, Monday 00:00 is not."""
    weekend = BonusEvent(code="WEEKEND", starts_at=SATURDAY, ends_at=MONDAY, multiplier=Decimal(2))
    robe = PricedLine(line_id="1", quantity=1, amount_minor=4990, category="Robes")

    def points(at: datetime) -> int:
        [line] = earn(
            [robe],
            rates=Rates(default=Decimal(1)),
            channels=("web",),
            bonus_events=(weekend,),
            placed_at=at,
        )
        return line.points

    assert points(SATURDAY) == 99
    assert points(MONDAY - timedelta(microseconds=1)) == 99
    assert points(MONDAY) == 49
    assert points(SATURDAY - timedelta(microseconds=1)) == 49


def test_an_order_placed_during_a_double_points_weekend_earns_double(platform, client):
    """A dress bought at the Lyon counter during the weekend earns 2 x 49.90 = 99 points,
    its ledger line naming the event; the scarf, outside its categories, earns its 19; a
    web order, outside its channels, earns the usual 49."""
    shop = make_shop(platform)
    now = utcnow()
    make_programme(
        platform,
        bonus_events=[
            {
                "code": "WEEKEND-X2",
                "name": "Week-end double points",
                "starts_at": (now - timedelta(days=1)).isoformat(),
                "ends_at": (now + timedelta(days=2)).isoformat(),
                "multiplier": "2",
                "channels": ["store"],
                "categories": ["Robes"],
            }
        ],
    )
    scarf = make_accessory(platform)
    ines = enrol(client, shop.lyon)

    till_order(client, shop.lyon, (shop.robe_m, 1), (scarf, 1))
    web_order(client, platform, shop.web, (shop.robe_l, 1))
    platform.relay().drain()

    assert member(client, shop.lyon, ines["id"])["balance"]["pending"] == 99 + 19 + 49
    response = client.get(
        f"/v1/loyalty/members/{ines['id']}/ledger", params={"limit": 50}, headers=auth(shop.lyon)
    )
    entries = sorted(
        (entry["pending_points"], entry["channel"], entry["reason"])
        for entry in response.json()["items"]
    )
    assert entries == [
        (19, "store", ""),
        (49, "web", ""),
        (99, "store", "bonus_event:WEEKEND-X2"),
    ]


def test_a_member_reads_the_benefits_of_their_tier(platform, client):
    """Gold (from 40 points) gives 1.5 points per euro, free click and collect, a 10 €
    birthday voucher and sales two days early: GET /v1/loyalty/members/{id} lists them as
    tier_benefits once a dress bought at the counter makes the member Gold."""
    shop = make_shop(platform)
    make_programme(
        platform,
        pending_days=0,
        tiers=[
            {"code": "SILVER", "name": "Argent", "threshold": 0},
            {
                "code": "GOLD",
                "name": "Or",
                "threshold": 40,
                "multiplier": "1.5",
                "benefits": [
                    {"code": "free_click_and_collect"},
                    {"code": "birthday_voucher", "amount_minor": 1000},
                    {"code": "early_access", "days": 2},
                ],
            },
        ],
    )
    ines = enrol(client, shop.lyon)
    assert member(client, shop.lyon, ines["id"])["tier_benefits"] == []

    till_order(client, shop.lyon, (shop.robe_m, 1))
    platform.relay().drain()

    seen = member(client, shop.lyon, ines["id"])
    assert seen["tier"]["code"] == "GOLD"
    assert [
        (b["code"], b["multiplier"], b["days"], b["amount_minor"]) for b in seen["tier_benefits"]
    ] == [
        ("earn_multiplier", "1.5", None, None),
        ("free_click_and_collect", None, None, None),
        ("birthday_voucher", None, None, 1000),
        ("early_access", None, 2, None),
    ]


def test_a_change_that_leaves_bonus_events_and_benefits_out_keeps_them(platform, client):
    """The head-office settings page sends neither: saving it changes nothing of them."""
    make_programme(
        platform,
        tiers=[
            {
                "code": "GOLD",
                "name": "Or",
                "threshold": 500,
                "benefits": [{"code": "free_click_and_collect"}],
            }
        ],
        bonus_events=[
            {
                "code": "SOLDES",
                "name": "Soldes",
                "starts_at": SATURDAY.isoformat(),
                "ends_at": MONDAY.isoformat(),
                "multiplier": "3",
            }
        ],
    )
    with platform.db.transaction() as session:
        loyalty.update_programme(
            session,
            code=PROGRAMME,
            data=ProgrammeUpdateIn(
                name="Club", tiers=[TierIn(code="GOLD", name="Or", threshold=800)]
            ),
            actor=OPERATOR,
        )

    response = client.get(f"/v1/loyalty/programmes/{PROGRAMME}", headers=auth(admin_key(platform)))
    programme = response.json()
    assert [event["code"] for event in programme["bonus_events"]] == ["SOLDES"]
    assert programme["earning_rules"] == []
    assert programme["tiers"][0]["threshold"] == 800
    assert [b["code"] for b in programme["tiers"][0]["benefits"]] == ["free_click_and_collect"]


@pytest.mark.parametrize(
    "change",
    [
        {
            "bonus_events": [
                {
                    "code": "X",
                    "name": "X",
                    "starts_at": MONDAY.isoformat(),
                    "ends_at": SATURDAY.isoformat(),
                    "multiplier": "2",
                }
            ]
        },
        {
            "bonus_events": [
                {
                    "code": "X",
                    "name": "X",
                    "starts_at": SATURDAY.isoformat(),
                    "ends_at": MONDAY.isoformat(),
                    "multiplier": "11",
                }
            ]
        },
        {
            "bonus_events": [
                {
                    "code": "X",
                    "name": "X",
                    "starts_at": SATURDAY.isoformat(),
                    "ends_at": MONDAY.isoformat(),
                    "multiplier": "0.5",
                }
            ]
        },
        {
            "tiers": [
                {
                    "code": "GOLD",
                    "name": "Or",
                    "threshold": 1,
                    "benefits": [{"code": "free_spa_day"}],
                }
            ]
        },
        {
            "tiers": [
                {
                    "code": "GOLD",
                    "name": "Or",
                    "threshold": 1,
                    "benefits": [{"code": "birthday_voucher"}],
                }
            ]
        },
        {
            "tiers": [
                {
                    "code": "GOLD",
                    "name": "Or",
                    "threshold": 1,
                    "multiplier": "2",
                    "benefits": [{"code": "earn_multiplier", "multiplier": "3"}],
                }
            ]
        },
    ],
    ids=[
        "ends-before-it-starts",
        "multiplier-over-10",
        "multiplier-under-1",
        "unknown-benefit",
        "voucher-without-amount",
        "two-earn-multipliers",
    ],
)
def test_a_programme_with_a_wrong_bonus_event_or_benefit_is_refused(platform, client, change):
    """422, and the programme stays as it was."""
    make_programme(platform)
    key = admin_key(platform)
    before = client.get(f"/v1/loyalty/programmes/{PROGRAMME}", headers=auth(key)).json()

    response = client.put(
        f"/v1/loyalty/programmes/{PROGRAMME}",
        json={"name": "Club", **change},
        headers=auth(key),
    )

    assert response.status_code == 422, response.text
    assert client.get(f"/v1/loyalty/programmes/{PROGRAMME}", headers=auth(key)).json() == before


def test_an_earn_multiplier_benefit_is_the_tier_multiplier():
    """Said as a benefit, the multiplier is the tier's; it is stored once."""
    tier = TierIn(
        code="GOLD",
        name="Or",
        threshold=500,
        benefits=[{"code": "earn_multiplier", "multiplier": "2"}],
    )

    assert tier.multiplier == Decimal(2)
    with pytest.raises(ValidationError):
        TierIn(code="GOLD", name="Or", threshold=1, benefits=[{"code": "early_access"}])
