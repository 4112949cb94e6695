"""The return rules are pure: approve at once or review with reasons (no database)."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from omnicanal.returns.rules import (
    Assessment,
    ClaimedLine,
    Condition,
    ReturnClaim,
    ReturnRules,
    ReviewCode,
    assess,
    refund_share,
    shortfalls,
)

NOW = datetime(2026, 6, 15, 12, 0, tzinfo=UTC)
RULES = ReturnRules()


def _line(
    days_ago: float = 3,
    *,
    category: str = "Robes",
    refund_minor: int = 4990,
    condition: Condition = Condition.unworn,
    line_id: str = "L1",
    quantity: int = 1,
) -> ClaimedLine:
    return ClaimedLine(
        order_line_id=line_id,
        category=category,
        quantity=quantity,
        refund_minor=refund_minor,
        condition=condition,
        received_at=NOW - timedelta(days=days_ago),
    )


def _claim(*lines: ClaimedLine, channel: str = "web", **flags: bool) -> ReturnClaim:
    return ReturnClaim(channel=channel, at=NOW, lines=lines or (_line(),), **flags)


def _codes(assessment: Assessment) -> list[str]:
    return [reason.code.value for reason in assessment.reasons]


def test_an_unworn_item_brought_back_within_the_window_is_approved_at_once():
    assessment = assess(_claim(), RULES)

    assert assessment.approved
    assert assessment.reasons == ()


@pytest.mark.parametrize(
    ("days_ago", "category", "channel", "rules", "expected"),
    [
        (30, "Robes", "web", RULES, []),
        (30.01, "Robes", "web", RULES, ["outside_window"]),
        (14, "Lingerie", "web", RULES, []),
        (15, "Lingerie", "web", RULES, ["outside_window"]),
        (15, "Maillots de bain", "store", RULES, ["outside_window"]),
        (40, "Robes", "store", ReturnRules(window_days_by_channel={"store": 60}), []),
        (40, "Robes", "web", ReturnRules(window_days_by_channel={"store": 60}), ["outside_window"]),
        (
            20,
            "Lingerie",
            "store",
            ReturnRules(window_days_by_channel={"store": 60}),
            ["outside_window"],
        ),
        (5, "Robes", "app", ReturnRules(window_days=3), ["outside_window"]),
        (0, "Robes", "web", ReturnRules(window_days=0), []),
    ],
)
def test_the_return_window_per_channel_and_category(days_ago, category, channel, rules, expected):
    """The shorter of the channel's window (or the default) and the category's applies."""
    assessment = assess(_claim(_line(days_ago, category=category), channel=channel), rules)

    assert _codes(assessment) == expected


def test_a_late_return_says_how_late_and_which_window():
    [reason] = assess(_claim(_line(41)), RULES).reasons

    assert reason.as_dict() == {
        "code": "outside_window",
        "params": {"order_line_id": "L1", "days": 41, "window_days": 30},
    }


@pytest.mark.parametrize(
    ("condition", "expected"),
    [(Condition.unworn, []), (Condition.worn, ["worn"]), (Condition.damaged, ["damaged"])],
)
def test_a_worn_or_damaged_item_is_looked_at(condition, expected):
    assert _codes(assess(_claim(_line(condition=condition)), RULES)) == expected


def test_without_proof_of_purchase_a_person_decides():
    assessment = assess(_claim(proof_of_purchase=False), RULES)

    assert _codes(assessment) == ["no_proof_of_purchase"]


def test_a_high_value_customer_flagged_by_the_caller_is_reviewed():
    assert _codes(assess(_claim(high_value_customer=True), RULES)) == ["high_value_customer"]


@pytest.mark.parametrize(
    ("amounts", "expected"),
    [
        ((50_000,), []),
        ((50_001,), ["high_value_line"]),
        ((40_000, 40_000), []),
        ((40_000, 40_000, 20_001), ["high_value_total"]),
        ((60_000, 50_000), ["high_value_line", "high_value_total"]),
    ],
)
def test_high_value_lines_and_totals_are_reviewed(amounts, expected):
    lines = [_line(refund_minor=amount, line_id=f"L{i}") for i, amount in enumerate(amounts)]

    assert sorted(set(_codes(assess(_claim(*lines), RULES)))) == sorted(expected)


def test_every_reason_is_given_at_once():
    """A person sees the whole picture, not the first objection."""
    late_worn_dear = _line(45, condition=Condition.worn, refund_minor=120_000)

    assessment = assess(_claim(late_worn_dear, high_value_customer=True), RULES)

    assert _codes(assessment) == [
        "outside_window",
        "worn",
        "high_value_line",
        "high_value_total",
        "high_value_customer",
    ]
    assert assessment.codes == _codes(assessment)


lines = st.builds(
    _line,
    days_ago=st.floats(min_value=0, max_value=400, allow_nan=False),
    category=st.sampled_from(["Robes", "Lingerie", "Jeans", "Maillots de bain"]),
    refund_minor=st.integers(min_value=0, max_value=200_000),
    condition=st.sampled_from(list(Condition)),
    line_id=st.sampled_from(["L1", "L2", "L3"]),
)
claims = st.builds(
    lambda lines_, channel, proof, vip: ReturnClaim(
        channel=channel, at=NOW, lines=lines_, proof_of_purchase=proof, high_value_customer=vip
    ),
    st.lists(lines, min_size=1, max_size=5),
    st.sampled_from(["web", "app", "store", "marketplace"]),
    st.booleans(),
    st.booleans(),
)
policies = st.builds(
    ReturnRules,
    window_days=st.integers(min_value=0, max_value=90),
    high_value_line_minor=st.integers(min_value=0, max_value=200_000),
    high_value_total_minor=st.integers(min_value=0, max_value=400_000),
)


@given(claims, policies)
def test_approved_exactly_when_no_rule_asks_for_review(claim, rules):
    assessment = assess(claim, rules)

    assert assessment.approved is (assessment.reasons == ())
    assert all(isinstance(reason.code, ReviewCode) for reason in assessment.reasons)


@given(claims, policies)
def test_a_damaged_or_worn_unit_or_a_flagged_customer_always_goes_to_review(claim, rules):
    needs_review = claim.high_value_customer or not claim.proof_of_purchase
    needs_review |= any(line.condition is not Condition.unworn for line in claim.lines)

    if needs_review:
        assert not assess(claim, rules).approved


@given(claims, policies, st.integers(min_value=1, max_value=30))
def test_coming_back_later_never_removes_a_reason(claim, rules, extra_days):
    later = replace(claim, at=claim.at + timedelta(days=extra_days))

    assert set(_codes(assess(claim, rules))) <= set(_codes(assess(later, rules)))


@given(claims, policies, st.integers(min_value=0, max_value=100_000))
def test_raising_the_thresholds_never_adds_a_reason(claim, rules, more):
    laxer = replace(
        rules,
        high_value_line_minor=rules.high_value_line_minor + more,
        high_value_total_minor=rules.high_value_total_minor + more,
        window_days=rules.window_days + more // 1000,
    )

    assert set(_codes(assess(claim, laxer))) <= set(_codes(assess(claim, rules)))


@given(claims, policies)
def test_the_order_of_the_lines_does_not_change_the_verdict(claim, rules):
    backwards = replace(claim, lines=list(reversed(claim.lines)))

    assert sorted(_codes(assess(claim, rules))) == sorted(_codes(assess(backwards, rules)))


@pytest.mark.parametrize(
    ("requested", "returnable", "expected"),
    [
        ([("L1", 1)], {"L1": 1}, []),
        ([("L1", 2)], {"L1": 1}, [("L1", 2, 1)]),
        ([("L1", 1), ("L1", 1)], {"L1": 1}, [("L1", 2, 1)]),
        ([("L9", 1)], {"L1": 3}, [("L9", 1, 0)]),
        ([("L1", 1), ("L2", 3)], {"L1": 0, "L2": 2}, [("L1", 1, 0), ("L2", 3, 2)]),
    ],
)
def test_every_line_asked_back_beyond_what_may_return_is_named(requested, returnable, expected):
    found = shortfalls(requested, returnable)

    assert [(s.order_line_id, s.requested, s.returnable) for s in found] == expected


@given(
    st.dictionaries(
        st.sampled_from(["L1", "L2", "L3"]), st.integers(min_value=0, max_value=10), min_size=1
    ),
    st.lists(
        st.tuples(st.sampled_from(["L1", "L2", "L3"]), st.integers(min_value=1, max_value=10)),
        min_size=1,
        max_size=6,
    ),
)
def test_a_return_fits_exactly_when_no_line_exceeds_what_remains(returnable, requested):
    wanted: dict[str, int] = {}
    for line, quantity in requested:
        wanted[line] = wanted.get(line, 0) + quantity

    fits = all(quantity <= returnable.get(line, 0) for line, quantity in wanted.items())

    assert (shortfalls(requested, returnable) == []) is fits


@given(
    st.integers(min_value=0, max_value=10_000_000),
    st.lists(st.integers(min_value=1, max_value=5), min_size=1, max_size=6),
)
def test_the_units_of_a_line_returned_bit_by_bit_add_up_to_what_was_paid(total, parts):
    """No cent lost or created by rounding, whatever the split."""
    quantity = sum(parts)
    already = 0
    given_back = 0
    for part in parts:
        given_back += refund_share(
            line_total_minor=total, line_quantity=quantity, quantity=part, already=already
        )
        already += part

    assert given_back == total
