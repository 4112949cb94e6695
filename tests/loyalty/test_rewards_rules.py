"""The reward rules, pure, by the hundred: appetence and RFM from purchases, which rewards
are due, vouchers per points crossed, offers on the preferred category, their status."""

from __future__ import annotations

import itertools
import random
from datetime import UTC, datetime, timedelta
from decimal import Decimal

from hypothesis import given, settings
from hypothesis import strategies as st

from omnicanal.loyalty.rewards_rules import (
    MOST_AT_ONCE,
    Bought,
    Issued,
    MemberFacts,
    Order,
    RewardKind,
    RewardRule,
    RewardStatus,
    Rfm,
    appetence,
    due_rewards,
    fits,
    preferred_category,
    reward_status,
    rfm,
    title,
)

NOW = datetime(2026, 6, 1, 10, tzinfo=UTC)
TIERS = ("silver", "gold", "platinum")
CATEGORIES = ["Robes", "Vestes", "Lingerie", "Accessoires"]

bought = st.lists(
    st.builds(
        Bought,
        category=st.sampled_from(CATEGORIES),
        quantity=st.integers(min_value=1, max_value=20),
        total_minor=st.integers(min_value=0, max_value=1_000_000),
    ),
    max_size=30,
)
orders = st.lists(
    st.builds(
        Order,
        placed_at=st.integers(min_value=0, max_value=364 * 24).map(
            lambda hours: NOW - timedelta(hours=hours)
        ),
        total_minor=st.integers(min_value=0, max_value=1_000_000),
    ),
    max_size=30,
)


def member(
    *,
    tier: str | None = "gold",
    earned: int = 0,
    rfm_: Rfm | None = None,
    spends: tuple[Bought, ...] = (),
) -> MemberFacts:
    return MemberFacts(
        tier=tier,
        tiers=TIERS,
        earned_points=earned,
        rfm=rfm_ or Rfm(recency_days=10, frequency=5, monetary_minor=50_000),
        appetence=appetence(spends),
    )


def voucher(**fields) -> RewardRule:
    return RewardRule(
        **{
            "code": "BON-1000",
            "kind": RewardKind.voucher,
            "valid_days": 60,
            "every_days": 60,
            "amount_minor": 1000,
            **fields,
        }
    )


def offer(**fields) -> RewardRule:
    return RewardRule(
        **{
            "code": "OFFRE",
            "kind": RewardKind.offer,
            "valid_days": 30,
            "every_days": 30,
            "percent": Decimal(10),
            **fields,
        }
    )


@settings(max_examples=200)
@given(bought)
def test_the_preferred_category_is_where_the_member_spent_most(lines):
    """Whatever the purchases, the preferred category has the largest spend, every category
    kept is counted once with its exact total, and the order they were read in changes
    nothing."""
    spends = appetence(lines)
    shuffled = list(lines)
    random.Random(7).shuffle(shuffled)

    assert appetence(shuffled) == spends
    assert sum(spend.spent_minor for spend in spends) == sum(line.total_minor for line in lines)
    assert len({spend.category for spend in spends}) == len(spends)
    if lines:
        best = preferred_category(spends)
        assert best is not None
        top = max(spend.spent_minor for spend in spends)
        assert next(s for s in spends if s.category == best).spent_minor == top
    else:
        assert preferred_category(spends) is None


def test_a_tie_in_spending_goes_to_the_most_units_then_the_name():
    """Same spend: more units wins; same units too: the first name."""
    lines = [Bought("Vestes", 1, 5000), Bought("Robes", 2, 5000), Bought("Accessoires", 2, 5000)]

    assert [spend.category for spend in appetence(lines)] == ["Accessoires", "Robes", "Vestes"]


@settings(max_examples=200)
@given(orders)
def test_rfm_counts_the_orders_their_amount_and_the_days_since_the_last(placed):
    """Frequency is the number of orders, monetary their total, recency whole days since
    the latest one (None without any)."""
    found = rfm(placed, now=NOW)

    assert found.frequency == len(placed)
    assert found.monetary_minor == sum(order.total_minor for order in placed)
    if placed:
        assert found.recency_days == (NOW - max(o.placed_at for o in placed)).days
    else:
        assert found.recency_days is None


@settings(max_examples=200)
@given(
    every=st.integers(min_value=25, max_value=5000),
    earnings=st.lists(st.integers(min_value=0, max_value=2_000), min_size=1, max_size=12),
)
def test_a_voucher_per_multiple_of_points_crossed_never_more_never_twice(every, earnings):
    """Points earned bit by bit, the rules run after each: the vouchers issued are numbered
    1, 2, 3…, one per multiple of ``every_points`` crossed, at most a few at a time, and
    running again with nothing new issues nothing."""
    rule = voucher(every_points=every)
    issued = Issued()
    earned = 0
    numbers: list[int] = []
    for step, points in enumerate(earnings):
        earned += points
        at = NOW + timedelta(days=step)
        due = due_rewards(
            [rule], member(earned=earned), {rule.code: issued}, now=at, currency="EUR"
        )
        assert len(due) <= MOST_AT_ONCE
        numbers += [reward.sequence for reward in due]
        if due:
            issued = Issued(count=due[-1].sequence, last_at=at)
    while due := due_rewards(
        [rule], member(earned=earned), {rule.code: issued}, now=NOW, currency="EUR"
    ):
        numbers += [reward.sequence for reward in due]
        issued = Issued(count=due[-1].sequence, last_at=NOW)

    assert numbers == list(range(1, earned // every + 1))
    assert (
        due_rewards([rule], member(earned=earned), {rule.code: issued}, now=NOW, currency="EUR")
        == []
    )


def test_a_voucher_for_points_says_the_points_it_is_for():
    """The third 1,000 points: "10,00 EUR off for 3000 points", valid 60 days."""
    rule = voucher(every_points=1000)

    [due] = due_rewards(
        [rule], member(earned=3400), {rule.code: Issued(count=2)}, now=NOW, currency="EUR"
    )

    assert (due.sequence, due.amount_minor, due.valid_until) == (3, 1000, NOW + timedelta(days=60))
    assert due.title_code == "loyalty.reward.voucher_points"
    assert title(due.title_code, due.params) == "10,00 EUR off for 3000 points"


@settings(max_examples=200)
@given(
    spends=bought,
    fixed=st.sampled_from([None, "Vestes"]),
    days=st.lists(st.integers(min_value=0, max_value=400), min_size=1, max_size=15),
)
def test_an_offer_is_on_the_preferred_category_and_never_twice_within_its_period(
    spends, fixed, days
):
    """The rules run on random days: an offer goes to the rule's category, else to the
    preferred one; none without a category to offer; two offers are always ``every_days``
    apart."""
    rule = offer(category=fixed, every_days=30)
    facts = member(spends=tuple(spends))
    issued = Issued()
    given_at: list[datetime] = []
    for day in sorted(days):
        at = NOW + timedelta(days=day)
        due = due_rewards([rule], facts, {rule.code: issued}, now=at, currency="EUR")
        for reward in due:
            assert reward.kind is RewardKind.offer
            assert reward.category == (fixed or preferred_category(facts.appetence))
            assert reward.percent == Decimal(10)
            given_at.append(at)
            issued = Issued(count=reward.sequence, last_at=at)
    if fixed is None and not spends:
        assert given_at == []
    else:
        assert given_at
    assert all(b - a >= timedelta(days=30) for a, b in itertools.pairwise(given_at))


def test_ten_percent_on_the_preferred_category():
    """Mostly dresses bought: "10% off Robes"."""
    facts = member(spends=(Bought("Robes", 3, 14970), Bought("Vestes", 1, 8900)))

    [due] = due_rewards([offer()], facts, {}, now=NOW, currency="EUR")

    assert (due.category, due.title_code) == ("Robes", "loyalty.reward.offer_category")
    assert title(due.title_code, due.params) == "10% off Robes"


@settings(max_examples=200)
@given(
    rule_tier=st.sampled_from(TIERS),
    member_tier=st.sampled_from((None, *TIERS)),
)
def test_a_tier_condition_takes_that_tier_and_the_higher_ones(rule_tier, member_tier):
    """A Gold rule fits Gold and Platinum members, not Silver ones nor members in no tier."""
    fitting = fits(voucher(tier=rule_tier), member(tier=member_tier))

    expected = member_tier is not None and TIERS.index(member_tier) >= TIERS.index(rule_tier)
    assert fitting is expected


def test_a_tier_voucher_comes_once_a_period_while_the_member_stays_in_the_tier():
    """Reached Gold: a voucher at once, none until a year has passed, then another."""
    rule = voucher(code="OR", tier="gold", every_days=365)
    facts = member(tier="gold")

    [first] = due_rewards([rule], facts, {}, now=NOW, currency="EUR", tier_names={"gold": "Gold"})
    again = Issued(count=1, last_at=NOW)

    assert title(first.title_code, first.params) == "10,00 EUR off as a Gold member"
    assert (
        due_rewards([rule], facts, {"OR": again}, now=NOW + timedelta(days=364), currency="EUR")
        == []
    )
    assert (
        len(
            due_rewards([rule], facts, {"OR": again}, now=NOW + timedelta(days=365), currency="EUR")
        )
        == 1
    )
    assert due_rewards([rule], member(tier="silver"), {}, now=NOW, currency="EUR") == []


@settings(max_examples=300)
@given(
    recency=st.one_of(st.none(), st.integers(min_value=0, max_value=400)),
    frequency=st.integers(min_value=0, max_value=20),
    monetary=st.integers(min_value=0, max_value=500_000),
    max_days=st.one_of(st.none(), st.integers(min_value=0, max_value=400)),
    min_days=st.one_of(st.none(), st.integers(min_value=0, max_value=400)),
    min_orders=st.integers(min_value=0, max_value=20),
    min_spend=st.integers(min_value=0, max_value=500_000),
)
def test_rfm_conditions_pick_exactly_the_members_they_describe(
    recency, frequency, monetary, max_days, min_days, min_orders, min_spend
):
    """A member fits when they ordered often enough, spent enough, and their last order is
    within (or beyond) the days the rule says; a member who never ordered fits no recency
    condition."""
    rule = offer(
        min_orders=min_orders,
        min_spend_minor=min_spend,
        max_days_since_order=max_days,
        min_days_since_order=min_days,
    )
    facts = member(rfm_=Rfm(recency_days=recency, frequency=frequency, monetary_minor=monetary))

    expected = (
        frequency >= min_orders
        and monetary >= min_spend
        and (max_days is None or (recency is not None and recency <= max_days))
        and (min_days is None or (recency is not None and recency >= min_days))
    )
    assert fits(rule, facts) is expected


def test_an_inactive_rule_issues_nothing():
    assert (
        due_rewards(
            [offer(active=False)],
            member(spends=(Bought("Robes", 1, 100),)),
            {},
            now=NOW,
            currency="EUR",
        )
        == []
    )


def test_rules_run_in_the_order_of_their_codes():
    """Two rules due at once: by code, each numbered on its own."""
    facts = member(earned=1000, spends=(Bought("Robes", 1, 100),))

    due = due_rewards(
        [offer(code="B-OFFRE"), voucher(code="A-BON", every_points=1000)],
        facts,
        {},
        now=NOW,
        currency="EUR",
    )

    assert [(reward.rule, reward.sequence) for reward in due] == [("A-BON", 1), ("B-OFFRE", 1)]


def test_a_reward_is_used_expired_or_available():
    """Used wins over everything; then its end, or its withdrawal, makes it expired."""
    end = NOW + timedelta(days=1)

    assert reward_status(used=True, void=True, valid_until=NOW, now=end) is RewardStatus.used
    assert reward_status(used=False, void=False, valid_until=end, now=NOW) is RewardStatus.available
    assert reward_status(used=False, void=False, valid_until=end, now=end) is RewardStatus.expired
    assert reward_status(used=False, void=True, valid_until=end, now=NOW) is RewardStatus.expired
