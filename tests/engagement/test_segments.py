"""Segments: rules on traits, computed traits, loyalty and events, evaluated purely and both
ways for each operator, never thrown by hostile values, checked when saved, and evaluated in
real time for real profiles."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from types import MappingProxyType
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from omnicanal.engagement import segments
from omnicanal.engagement.errors import EngagementForbidden, UnknownSegment
from omnicanal.engagement.segments import (
    InvalidSegment,
    PersonFacts,
    check_rules,
    evaluate,
    is_member,
    members_count,
    person_facts,
    save_segment,
)
from omnicanal.platform.actors import Actor
from omnicanal.platform.clock import utcnow
from tests.builders import snapshot
from tests.engagement.template_builders import HEAD_OFFICE, READER, make_customer, tell

NOW = datetime(2026, 3, 14, 15, 0, tzinfo=UTC)


def _person(**facts: Any) -> PersonFacts:
    return PersonFacts(
        profile_id="01JQ7Z0000000000000000PRF1",
        now=NOW,
        traits=MappingProxyType(facts.get("traits", {})),
        computed=MappingProxyType(facts.get("computed", {})),
        loyalty=MappingProxyType(facts.get("loyalty", {})),
        events=MappingProxyType(facts.get("events", {})),
    )


INES = _person(
    traits={"city": "Lyon", "age": "34", "sizes": ["M", "38"], "vip": True, "bio": "Aime le lin"},
    computed={
        "orders": 3,
        "monetary_minor": 24970,
        "last_order_at": datetime(2026, 1, 10, tzinfo=UTC),
        "favourite_categories": ["Robes", "Vestes"],
        "recency_days": 63,
    },
    loyalty={"tier": "GOLD", "points": 1240},
    events={"Product Viewed": (NOW - timedelta(days=2), NOW - timedelta(days=40))},
)


# --- one operator at a time, both ways --------------------------------------------------------


@pytest.mark.parametrize(
    ("rule", "holds"),
    [
        ({"field": "traits.city", "op": "eq", "value": "Lyon"}, True),
        ({"field": "traits.city", "op": "eq", "value": "lyon"}, True),
        ({"field": "traits.city", "op": "eq", "value": "Paris"}, False),
        ({"field": "computed.orders", "op": "eq", "value": 3}, True),
        ({"field": "traits.age", "op": "eq", "value": 34}, True),
        ({"field": "traits.vip", "op": "eq", "value": True}, True),
        ({"field": "traits.vip", "op": "eq", "value": 1}, False),
        ({"field": "traits.city", "op": "ne", "value": "Paris"}, True),
        ({"field": "traits.city", "op": "ne", "value": "LYON"}, False),
        ({"field": "traits.city", "op": "in", "value": ["Paris", "Lyon"]}, True),
        ({"field": "traits.city", "op": "in", "value": ["Paris", "Lille"]}, False),
        ({"field": "computed.orders", "op": "gte", "value": 2}, True),
        ({"field": "computed.orders", "op": "gte", "value": 3}, True),
        ({"field": "computed.orders", "op": "gte", "value": 4}, False),
        ({"field": "computed.orders", "op": "lte", "value": 3}, True),
        ({"field": "computed.orders", "op": "lte", "value": 2}, False),
        ({"field": "traits.age", "op": "gte", "value": 30}, True),
        ({"field": "computed.last_order_at", "op": "gte", "value": "2026-01-01"}, True),
        ({"field": "computed.last_order_at", "op": "gte", "value": "2026-02-01"}, False),
        (
            {"field": "computed.last_order_at", "op": "lte", "value": "2026-02-01T00:00:00+00:00"},
            True,
        ),
        ({"field": "traits.city", "op": "gte", "value": 3}, False),
        ({"field": "traits.bio", "op": "contains", "value": "LIN"}, True),
        ({"field": "traits.bio", "op": "contains", "value": "soie"}, False),
        ({"field": "computed.favourite_categories", "op": "contains", "value": "robes"}, True),
        ({"field": "computed.favourite_categories", "op": "contains", "value": "Jeans"}, False),
        ({"field": "traits.sizes", "op": "contains", "value": "38"}, True),
        ({"field": "traits.city", "op": "exists", "value": True}, True),
        ({"field": "traits.city", "op": "exists", "value": False}, False),
        ({"field": "traits.birthday", "op": "exists", "value": False}, True),
        ({"field": "traits.birthday", "op": "exists", "value": True}, False),
        ({"field": "loyalty.tier", "op": "in", "value": ["GOLD", "SILVER"]}, True),
        ({"field": "loyalty.points", "op": "gte", "value": 2000}, False),
        ({"event": "Product Viewed", "within_days": 30, "min_count": 1}, True),
        ({"event": "Product Viewed", "within_days": 30, "min_count": 2}, False),
        ({"event": "Product Viewed", "within_days": 60, "min_count": 2}, True),
        ({"event": "Product Viewed", "within_days": 1, "min_count": 1}, False),
        ({"event": "Product Viewed", "within_days": 1, "min_count": 0, "max_count": 0}, True),
        ({"event": "Product Viewed", "within_days": 30, "max_count": 0}, False),
        ({"event": "Order Completed", "within_days": 365}, False),
    ],
)
def test_each_rule_holds_or_not_for_ines(rule, holds):
    assert evaluate([rule], INES) is holds


def test_a_missing_field_satisfies_only_ne_and_exists_false():
    nobody = _person()

    held = {
        operator: evaluate([{"field": "traits.city", "op": operator, "value": value}], nobody)
        for operator, value in [
            ("eq", "Lyon"),
            ("ne", "Lyon"),
            ("in", ["Lyon"]),
            ("gte", 1),
            ("lte", 1),
            ("contains", "y"),
            ("exists", True),
        ]
    }

    assert held == {
        "eq": False,
        "ne": True,
        "in": False,
        "gte": False,
        "lte": False,
        "contains": False,
        "exists": False,
    }
    assert evaluate([{"field": "traits.city", "op": "exists", "value": False}], nobody)


def test_every_rule_must_hold_and_no_rule_is_everyone():
    lyon = {"field": "traits.city", "op": "eq", "value": "Lyon"}
    paris = {"field": "traits.city", "op": "eq", "value": "Paris"}

    assert evaluate([], INES) is True
    assert evaluate([lyon], INES) is True
    assert evaluate([lyon, paris], INES) is False


@pytest.mark.parametrize(
    "rule",
    [
        "traits.city",
        {"field": "traits.city", "op": "like", "value": "L%"},
        {"field": 3, "op": "eq", "value": 3},
        {"field": "traits.city", "op": "in", "value": "Lyon"},
        {"field": "traits.city", "op": "exists", "value": "yes"},
        {"event": "Product Viewed", "within_days": 10**12},
        {"event": "Product Viewed", "within_days": "30"},
        {"event": ["Product Viewed"], "within_days": 30},
    ],
)
def test_a_rule_that_cannot_be_read_holds_for_nobody(rule):
    assert evaluate([rule], INES) is False


# --- hostile values ---------------------------------------------------------------------------

JSON = st.recursive(
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats(allow_nan=True, allow_infinity=True)
    | st.text(max_size=30)
    | st.datetimes(timezones=st.just(UTC)),
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=8), children, max_size=4)
    ),
    max_leaves=12,
)
FIELDS = st.sampled_from(
    ["traits.city", "traits.x", "computed.orders", "loyalty.tier", "traits.", "nope", ""]
)
RULES = st.lists(
    st.one_of(
        st.fixed_dictionaries(
            {
                "field": FIELDS | JSON,
                "op": st.sampled_from(segments.OPERATORS) | JSON,
                "value": JSON,
            }
        ),
        st.fixed_dictionaries(
            {"event": st.text(max_size=20) | JSON, "within_days": JSON, "min_count": JSON},
            optional={"max_count": JSON},
        ),
        JSON,
    ),
    max_size=4,
)


@settings(max_examples=300, deadline=None)
@given(
    traits=st.dictionaries(st.sampled_from(["city", "x", "age"]), JSON, max_size=3),
    computed=st.dictionaries(st.sampled_from(["orders", "last_order_at"]), JSON, max_size=2),
    loyalty=st.dictionaries(st.just("tier"), JSON, max_size=1),
    rules=RULES,
)
def test_hostile_values_never_break_the_evaluation(traits, computed, loyalty, rules):
    person = _person(traits=traits, computed=computed, loyalty=loyalty)

    assert evaluate(rules, person) in (True, False)


@settings(max_examples=300, deadline=None)
@given(rules=RULES | JSON)
def test_checking_hostile_rules_keeps_them_or_refuses_them_with_a_sentence(rules):
    try:
        checked = check_rules(rules)
    except InvalidSegment as refused:
        assert refused.field and refused.detail and refused.extra["detail_fr"]
    else:
        assert check_rules(checked) == checked  # what is kept reads the same again
        assert evaluate(checked, INES) in (True, False)


@pytest.mark.parametrize(
    ("rules", "where"),
    [
        ("traits.city eq Lyon", "rules"),
        ([{"field": "traits.city", "op": "eq", "value": "Lyon"}] * 21, "rules"),
        ([{"field": "password", "op": "eq", "value": "x"}], "rules[0].field"),
        ([{"field": "computed.secret", "op": "eq", "value": "x"}], "rules[0].field"),
        ([{"field": "traits.city", "op": "like", "value": "x"}], "rules[0].op"),
        ([{"field": "traits.city", "op": "in", "value": []}], "rules[0].value"),
        ([{"field": "traits.city", "op": "in", "value": ["x"] * 101}], "rules[0].value"),
        ([{"field": "traits.city", "op": "eq", "value": "x" * 201}], "rules[0].value"),
        ([{"field": "traits.city", "op": "eq", "value": "a\x00b"}], "rules[0].value"),
        ([{"field": "traits.city", "op": "eq", "value": {"$ne": 1}}], "rules[0].value"),
        ([{"field": "traits.city", "op": "gte", "value": "Lyon"}], "rules[0].value"),
        ([{"field": "traits.city", "op": "exists", "value": 1}], "rules[0].value"),
        ([{"field": "traits.city", "op": "eq", "value": "x", "extra": 1}], "rules[0]"),
        ([{"event": "Viewed", "within_days": 0}], "rules[0].within_days"),
        (
            [{"event": "Viewed", "within_days": 30, "min_count": 3, "max_count": 2}],
            "rules[0].max_count",
        ),
        ([{"event": "", "within_days": 30}], "rules[0].event"),
    ],
)
def test_rules_that_cannot_be_read_are_refused_naming_where(rules, where):
    with pytest.raises(InvalidSegment) as refused:
        check_rules(rules)

    assert refused.value.field == where


# --- real profiles, in real time ---------------------------------------------------------------

LYON_BROWSERS = [
    {"field": "traits.city", "op": "eq", "value": "Lyon"},
    {"event": "Product Viewed", "within_days": 30, "min_count": 2},
]


def _save(platform, rules=LYON_BROWSERS, **fields):  # type: ignore[no-untyped-def]
    values: dict[str, Any] = {
        "code": "LYON_BROWSERS",
        "name": "Lyonnais qui regardent",
        "rules": rules,
        "actor": HEAD_OFFICE,
        **fields,
    }
    with platform.db.transaction() as session:
        return save_segment(session, **values)


def test_a_segment_holds_real_people_by_their_traits_and_their_browsing(platform):
    now = utcnow()
    ines = make_customer(platform, traits={"city": "Lyon"}, viewed=3, now=now)
    louis = make_customer(platform, "louis@example.fr", traits={"city": "Paris"}, viewed=3, now=now)
    lea = make_customer(platform, "lea@example.fr", traits={"city": "Lyon"}, viewed=1, now=now)
    long_ago = make_customer(
        platform, "jo@example.fr", traits={"city": "lyon"}, viewed=5, viewed_days_ago=45, now=now
    )
    saved = _save(platform)

    with platform.db.reading() as session:
        members = {
            who: is_member(session, "LYON_BROWSERS", profile_id, now=now)
            for who, profile_id in [
                ("ines", ines),
                ("louis", louis),
                ("lea", lea),
                ("long_ago", long_ago),
            ]
        }
        count = members_count(session, "LYON_BROWSERS", now=now)
        facts = person_facts(session, ines, now=now, rules=LYON_BROWSERS)

    assert saved.code == "LYON_BROWSERS" and saved.rules == LYON_BROWSERS
    assert members == {"ines": True, "louis": False, "lea": False, "long_ago": False}
    assert count == 1
    assert facts.traits["first_name"] == "Inès"
    assert len(facts.events["Product Viewed"]) == 3
    assert facts.loyalty == {}  # the rules read no loyalty: it was not looked up


def test_membership_follows_the_truth_at_each_evaluation(platform):
    now = utcnow()
    ines = make_customer(platform, traits={"city": "Paris"}, viewed=2, now=now)
    _save(platform)
    with platform.db.reading() as session:
        before = is_member(session, "LYON_BROWSERS", ines, now=now)
    tell(platform, "ines@example.fr", {"city": "Lyon"}, at=now)  # she moved to Lyon

    with platform.db.reading() as session:
        after = is_member(session, "LYON_BROWSERS", ines, now=now + timedelta(minutes=1))
        much_later = is_member(session, "LYON_BROWSERS", ines, now=now + timedelta(days=40))

    assert (before, after, much_later) == (False, True, False)


def test_computed_traits_and_loyalty_are_read_for_real_people(platform):
    now = utcnow()
    ines = make_customer(platform, now=now)
    rules = [
        {"field": "computed.orders", "op": "eq", "value": 0},
        {"field": "loyalty.tier", "op": "exists", "value": False},
    ]
    _save(platform, rules=rules, code="NEWCOMERS")

    with platform.db.reading() as session:
        assert is_member(session, "NEWCOMERS", ines, now=now) is True
        assert is_member(session, "NEWCOMERS", "01JQ7Z00000000000000NOBODY", now=now) is False
        with pytest.raises(UnknownSegment):
            is_member(session, "NOPE", ines, now=now)


def test_saving_again_replaces_the_rules_and_a_bad_segment_changes_nothing(platform):
    _save(platform)
    replaced = _save(
        platform, rules=[{"field": "traits.city", "op": "eq", "value": "Paris"}], name="Parisiens"
    )
    before = snapshot(platform)

    for fields in (
        {"rules": [{"field": "traits.city", "op": "sounds_like", "value": "Lyon"}]},
        {"code": "lyon browsers"},
        {"name": ""},
        {"actor": READER},
    ):
        with pytest.raises((InvalidSegment, EngagementForbidden)):
            _save(platform, **fields)

    assert replaced.name == "Parisiens"
    assert replaced.rules == [{"field": "traits.city", "op": "eq", "value": "Paris"}]
    assert snapshot(platform) == before
    with platform.db.reading() as session:
        listed = segments.list_segments(session, actor=READER)
        with pytest.raises(EngagementForbidden):
            segments.list_segments(session, actor=Actor(key_id="k", channel="marketplace"))
    assert [(view.code, view.name) for view in listed] == [("LYON_BROWSERS", "Parisiens")]
