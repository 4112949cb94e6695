"""Properties of the message policy over random facts, consents and sends (pure).

An independent oracle, written as a list of plain questions over the same data rather than
as the policy's ordered rules, says whether anything stands in a message's way; the policy
sends exactly when nothing does. Then whole histories are replayed the way the measures
replay them: when every fact was known by the time each message was decided, replaying
the sent messages with the facts as they had happened finds no unjust one.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo

from hypothesis import given, settings
from hypothesis import strategies as st

from omnicanal.engagement.models import CHANNELS, FACT_KINDS, PURPOSES, TRIGGER_KINDS
from omnicanal.engagement.policy import (
    Candidate,
    Cap,
    FactView,
    Outcome,
    Rules,
    SentView,
    Situation,
    decide,
)

T0 = datetime(2026, 3, 10, 12, 0, tzinfo=UTC)
PERSON = "01JQ7Z0000000000000000PRF1"
SUBJECTS = (
    "carts/C1",
    "carts/C2",
    "orders/O1",
    "orders/O2",
    "fulfilments/F1",
    "stock/ROBE-M@LYON-01",
    f"profiles/{PERSON}",
)
ZONES = ("Europe/Paris", "America/New_York", "Asia/Tokyo", "UTC")
MARKETING = {"marketing", "personalised_offers", "profiling"}

minutes = st.integers(min_value=-60 * 24 * 45, max_value=60 * 24 * 2)


@st.composite
def facts(draw: st.DrawFn) -> FactView:
    kind = draw(st.sampled_from(FACT_KINDS))
    detail: dict[str, object] = {}
    if kind == "cart_closed" and draw(st.booleans()):
        detail["merged_into"] = "C9"
    if draw(st.booleans()):
        detail["about"] = draw(st.lists(st.sampled_from(SUBJECTS), max_size=2))
    return FactView(
        kind=kind,
        occurred_at=T0 + timedelta(minutes=draw(minutes)),
        subject=draw(st.none() | st.sampled_from(SUBJECTS)),
        detail=detail,
        channel=draw(st.none() | st.sampled_from((*CHANNELS, "store", "web"))),
    )


candidates = st.builds(
    Candidate,
    kind=st.sampled_from(TRIGGER_KINDS),
    purpose=st.sampled_from(PURPOSES),
    channel=st.sampled_from(CHANNELS),
    subject=st.sampled_from(SUBJECTS),
    profile_id=st.just(PERSON),
    reason_since=minutes.map(lambda m: T0 + timedelta(minutes=m)),
    due_at=st.just(T0),
)
consents = st.dictionaries(
    st.tuples(st.sampled_from(PURPOSES), st.sampled_from(CHANNELS)), st.booleans(), max_size=8
)
sends = st.lists(
    st.builds(
        SentView,
        channel=st.sampled_from(CHANNELS),
        purpose=st.sampled_from(PURPOSES),
        sent_at=minutes.map(lambda m: T0 + timedelta(minutes=m)),
    ),
    max_size=8,
)
situations = st.builds(
    Situation,
    now=st.integers(min_value=0, max_value=60 * 24 * 2).map(lambda m: T0 + timedelta(minutes=m)),
    consents=consents,
    facts=st.lists(facts(), max_size=12),
    sent=sends,
    time_zone=st.sampled_from(ZONES),
    reachable=st.booleans(),
)
rules = st.builds(
    Rules,
    frequency_caps=st.dictionaries(
        st.sampled_from(CHANNELS),
        st.builds(Cap, st.integers(1, 4), st.integers(1, 10)),
        max_size=4,
    ),
    quiet_start=st.builds(time, st.integers(0, 23), st.sampled_from((0, 30))),
    quiet_end=st.builds(time, st.integers(0, 23), st.sampled_from((0, 30))),
    suppression_days=st.dictionaries(
        st.sampled_from(("returned", "complaint", "cancelled", "refused_delivery")),
        st.integers(1, 40),
        max_size=4,
    ),
) | st.just(Rules.default())


# The oracle ------------------------------------------------------------------------------


def _about(fact: FactView, subject: str) -> bool:
    return fact.subject == subject or subject in fact.detail.get("about", ())


# For each kind of message: the facts that take its reason away, as (fact kind, whose, when)
# where whose is "subject" (about the message's subject) or "person" (any of the person's),
# and when is "any", "since" (at or after its reason began) or "after" (strictly after).
GONE = {
    "abandoned_cart": [("cart_closed", "subject", "any"), ("purchased", "person", "since")],
    "reservation_expiring": [
        ("reservation_closed", "subject", "any"),
        ("collected", "subject", "any"),
        ("cancelled", "subject", "any"),
    ],
    "pickup_ready": [
        ("collected", "subject", "any"),
        ("reservation_closed", "subject", "any"),
        ("cancelled", "subject", "any"),
    ],
    "back_in_stock": [("stock_out", "subject", "after")],
    "review_request": [
        ("returned", "subject", "any"),
        ("cancelled", "subject", "any"),
        ("reviewed", "person", "since"),
    ],
    "win_back": [("purchased", "person", "after")],
    "order_shipped": [("cancelled", "subject", "any")],
    "order_delayed": [("cancelled", "subject", "any")],
}


def reason_gone(candidate: Candidate, known: Sequence[FactView]) -> bool:
    for kind, whose, when in GONE.get(candidate.kind, []):
        for fact in known:
            if fact.kind != kind:
                continue
            if whose == "subject" and not _about(fact, candidate.subject):
                continue
            if when == "since" and fact.occurred_at < candidate.reason_since:
                continue
            if when == "after" and fact.occurred_at <= candidate.reason_since:
                continue
            return True
    return False


def refused(candidate: Candidate, situation: Situation) -> bool:
    answer = situation.consents.get((candidate.purpose, candidate.channel), "none")
    if candidate.purpose == "transactional":
        return answer is False
    return answer is not True


def dispute_holds(known: Sequence[FactView]) -> bool:
    """A sweep through time: an opening adds its subject, a closing takes its subject (or
    every subject) away; at the same moment, the closing comes second."""
    open_subjects: set[str | None] = set()
    order = {"dispute_opened": 0, "dispute_closed": 1}
    timeline = sorted(
        (f for f in known if f.kind in order), key=lambda f: (f.occurred_at, order[f.kind])
    )
    for fact in timeline:
        if fact.kind == "dispute_opened":
            open_subjects.add(fact.subject)
        elif fact.subject is None:
            open_subjects.clear()
        else:
            open_subjects.discard(fact.subject)
    return bool(open_subjects)


def suppressed(known: Sequence[FactView], now: datetime, rules: Rules) -> bool:
    return any(
        fact.kind in rules.suppression_days
        and fact.occurred_at > now - timedelta(days=rules.suppression_days[fact.kind])
        for fact in known
    )


def capped(candidate: Candidate, situation: Situation, rules: Rules) -> bool:
    cap = rules.frequency_caps.get(candidate.channel)
    if cap is None:
        return False
    since = situation.now - timedelta(days=cap.days)
    recent = [
        s
        for s in situation.sent
        if s.channel == candidate.channel and s.purpose in MARKETING and since < s.sent_at
    ]
    return len([s for s in recent if s.sent_at <= situation.now]) >= cap.count


def quiet(candidate: Candidate, situation: Situation, rules: Rules) -> bool:
    if candidate.purpose not in MARKETING and candidate.channel not in ("sms", "push"):
        return False
    zone = ZoneInfo(situation.time_zone)
    local = zone.fromutc(situation.now.replace(tzinfo=zone))
    minute = local.hour * 60 + local.minute
    start = rules.quiet_start.hour * 60 + rules.quiet_start.minute
    end = rules.quiet_end.hour * 60 + rules.quiet_end.minute
    return (minute - start) % 1440 < (end - start) % 1440


def blocked(candidate: Candidate, situation: Situation, rules: Rules) -> bool:
    """Whether anything stands in the way of sending ``candidate`` now."""
    known = [f for f in situation.facts if f.occurred_at <= situation.now]
    marketing = candidate.purpose in MARKETING
    bounced = any(
        f.kind == "bounced" and candidate.channel in (f.channel, f.detail.get("channel"))
        for f in known
    )
    return (
        reason_gone(candidate, known)
        or not situation.reachable
        or bounced
        or refused(candidate, situation)
        or (marketing and dispute_holds(known))
        or (marketing and suppressed(known, situation.now, rules))
        or (marketing and capped(candidate, situation, rules))
        or quiet(candidate, situation, rules)
    )


# Properties ------------------------------------------------------------------------------


@settings(max_examples=600, deadline=None)
@given(candidates, situations, rules)
def test_the_policy_sends_exactly_when_nothing_stands_in_the_way(candidate, situation, rules):
    decision = decide(candidate, situation, rules)
    assert (decision.outcome is Outcome.send) == (not blocked(candidate, situation, rules))


@settings(max_examples=300, deadline=None)
@given(candidates, situations, rules)
def test_a_deferral_names_a_later_moment_outside_quiet_hours(candidate, situation, rules):
    decision = decide(candidate, situation, rules)
    if decision.outcome is not Outcome.defer:
        return
    assert decision.retry_at is not None and decision.retry_at > situation.now
    later = replace(situation, now=decision.retry_at)
    assert not quiet(candidate, later, rules)


@settings(max_examples=300, deadline=None)
@given(candidates, situations, rules)
def test_the_answer_does_not_depend_on_the_order_of_facts_or_sends(candidate, situation, rules):
    shuffled = replace(
        situation, facts=list(reversed(situation.facts)), sent=list(reversed(situation.sent))
    )
    assert decide(candidate, situation, rules) == decide(candidate, shuffled, rules)


# Replaying histories ---------------------------------------------------------------------


@dataclass(frozen=True)
class Recorded:
    fact: FactView
    recorded_at: datetime


@dataclass(frozen=True)
class ConsentAnswer:
    purpose: str
    channel: str
    granted: bool
    at: datetime


def consents_at(answers: Sequence[ConsentAnswer], at: datetime) -> dict[tuple[str, str], bool]:
    current: dict[tuple[str, str], bool] = {}
    for answer in sorted(answers, key=lambda a: a.at):
        if answer.at <= at:
            current[(answer.purpose, answer.channel)] = answer.granted
    return current


@st.composite
def histories(draw: st.DrawFn, *, delayed: bool):
    recorded = []
    for fact in draw(st.lists(facts(), max_size=14)):
        delay = draw(st.integers(0, 60 * 24)) if delayed else 0
        recorded.append(Recorded(fact, fact.occurred_at + timedelta(minutes=delay)))
    answers = draw(
        st.lists(
            st.builds(
                ConsentAnswer,
                purpose=st.sampled_from(PURPOSES),
                channel=st.sampled_from(CHANNELS),
                granted=st.booleans(),
                at=minutes.map(lambda m: T0 + timedelta(minutes=m)),
            ),
            max_size=10,
        )
    )
    moments = draw(
        st.lists(st.integers(0, 60 * 24 * 3), min_size=1, max_size=10, unique=True).map(sorted)
    )
    planned = [(T0 + timedelta(minutes=m), draw(candidates)) for m in moments]
    return recorded, answers, planned, draw(st.sampled_from(ZONES)), draw(rules)


def run(history) -> tuple[list[tuple[datetime, Candidate]], list[tuple[datetime, Candidate]]]:
    """Decide each planned message at its moment with what had been recorded by then; replay
    each sent one at its sending time with the facts as they had happened. The sent
    messages, and those the replay would not have sent."""
    recorded, answers, planned, zone, policy_rules = history
    sent: list[tuple[datetime, Candidate]] = []
    for at, candidate in planned:
        situation = Situation(
            now=at,
            consents=consents_at(answers, at),
            facts=[r.fact for r in recorded if r.recorded_at <= at],
            sent=[SentView(c.channel, c.purpose, t) for t, c in sent],
            time_zone=zone,
            reachable=True,
        )
        if decide(candidate, situation, policy_rules).outcome is Outcome.send:
            sent.append((at, candidate))
    unjust = []
    for position, (at, candidate) in enumerate(sent):
        replayed = Situation(
            now=at,
            consents=consents_at(answers, at),
            facts=[r.fact for r in recorded if r.fact.occurred_at <= at],
            sent=[SentView(c.channel, c.purpose, t) for t, c in sent[:position]],
            time_zone=zone,
            reachable=True,
        )
        if decide(candidate, replayed, policy_rules).outcome is not Outcome.send:
            unjust.append((at, candidate))
    return sent, unjust


@settings(max_examples=300, deadline=None)
@given(histories(delayed=False))
def test_replaying_a_history_whose_facts_were_known_in_time_finds_no_unjust_message(history):
    _, unjust = run(history)
    assert unjust == []


def test_replaying_finds_the_message_sent_before_the_till_s_return_reached_the_policy():
    """The seeds' story: returned at the till at 10:00, the policy learned it at 23:00 (a
    nightly sync); a promotion sent at 15:00 is unjust."""
    returned = FactView("returned", occurred_at=T0 - timedelta(hours=2), subject="orders/O1")
    promotion = Candidate(
        kind="win_back",
        purpose="marketing",
        channel="email",
        subject=f"profiles/{PERSON}",
        profile_id=PERSON,
        reason_since=T0 - timedelta(days=90),
        due_at=T0,
    )
    history = (
        [Recorded(returned, T0 + timedelta(hours=11))],
        [ConsentAnswer("marketing", "email", True, T0 - timedelta(days=100))],
        [(T0 + timedelta(hours=3), promotion)],
        "Europe/Paris",
        Rules.default(),
    )
    sent, unjust = run(history)
    assert sent == unjust == [(T0 + timedelta(hours=3), promotion)]
    in_time = ([Recorded(returned, returned.occurred_at)], *history[1:])
    assert run(in_time) == ([], [])
