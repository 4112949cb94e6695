"""The message policy, rule by rule, each both ways, on hand-built situations (pure)."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, time, timedelta
from typing import Any

import pytest

from omnicanal.engagement.policy import (
    REASONS,
    Candidate,
    Cap,
    Decision,
    FactView,
    Outcome,
    Rules,
    SentView,
    Situation,
    decide,
    describe,
)

NOW = datetime(2026, 3, 10, 14, 0, tzinfo=UTC)  # 15:00 in Paris
PERSON = "01JQ7Z0000000000000000PRF1"
CART = "carts/01JQ7Z0000000000000000CART"
ORDER = "orders/01JQ7Z0000000000000000ORDR"
OTHER_ORDER = "orders/01JQ7Z0000000000000000ORD2"
FULFILMENT = "fulfilments/01JQ7Z0000000000000000FLFL"
STOCK = "stock/ROBE-LIN-38@LYON-01"
RULES = Rules.default()


def candidate(
    kind: str = "abandoned_cart",
    *,
    purpose: str = "marketing",
    channel: str = "email",
    subject: str = CART,
    since: datetime = NOW - timedelta(hours=3),
) -> Candidate:
    return Candidate(
        kind=kind,
        purpose=purpose,
        channel=channel,
        subject=subject,
        profile_id=PERSON,
        reason_since=since,
        due_at=NOW,
    )


def situation(
    *facts: FactView,
    consents: dict[tuple[str, str], bool] | None = None,
    sent: tuple[SentView, ...] = (),
    now: datetime = NOW,
    time_zone: str = "Europe/Paris",
    reachable: bool = True,
) -> Situation:
    return Situation(
        now=now,
        consents={("marketing", "email"): True} if consents is None else consents,
        facts=facts,
        sent=sent,
        time_zone=time_zone,
        reachable=reachable,
    )


def fact(
    kind: str,
    *,
    ago: timedelta = timedelta(hours=1),
    subject: str | None = None,
    channel: str | None = None,
    **detail: Any,
) -> FactView:
    return FactView(
        kind=kind, occurred_at=NOW - ago, subject=subject, detail=detail, channel=channel
    )


def outcome(decision: Decision) -> tuple[Outcome, str]:
    return decision.outcome, decision.reason


SENT = (Outcome.send, "allowed")


def test_the_default_rules_are_the_documented_ones():
    rules = Rules.default()
    assert rules.frequency_caps == {"email": Cap(3, 7), "sms": Cap(2, 7), "push": Cap(3, 7)}
    assert (rules.quiet_start, rules.quiet_end) == (time(21, 0), time(8, 0))
    assert rules.suppression_days == {
        "returned": 14,
        "complaint": 30,
        "cancelled": 7,
        "refused_delivery": 30,
    }


def test_a_message_with_nothing_against_it_is_sent():
    assert outcome(decide(candidate(), situation(), RULES)) == SENT


# 1. The reason ---------------------------------------------------------------------------


def test_an_abandoned_cart_reminder_is_withdrawn_once_the_cart_was_bought():
    decision = decide(candidate(), situation(fact("cart_closed", subject=CART)), RULES)
    assert outcome(decision) == (Outcome.withdraw, "cart_bought")
    assert decision.facts["fact"] == "cart_closed"


def test_another_cart_closing_leaves_the_reminder_in_place():
    other = fact("cart_closed", subject="carts/01JQ7Z0000000000000000CRT2")
    assert outcome(decide(candidate(), situation(other), RULES)) == SENT


def test_a_cart_merged_into_another_withdraws_its_reminder():
    merged = fact("cart_closed", subject=CART, merged_into="01JQ7Z0000000000000000CRT2")
    assert outcome(decide(candidate(), situation(merged), RULES)) == (
        Outcome.withdraw,
        "cart_merged",
    )


def test_a_cart_emptied_or_gone_withdraws_its_reminder_with_its_own_reason():
    emptied = fact("cart_closed", subject=CART, status="open", emptied=True)
    gone = fact("cart_closed", subject=CART, status="unknown")
    assert outcome(decide(candidate(), situation(emptied), RULES)) == (
        Outcome.withdraw,
        "cart_emptied",
    )
    assert outcome(decide(candidate(), situation(gone), RULES)) == (Outcome.withdraw, "cart_gone")


def test_an_order_on_any_channel_since_the_cart_was_left_withdraws_the_reminder():
    ordered = fact("purchased", subject=ORDER, channel="store", ago=timedelta(minutes=1))
    assert outcome(decide(candidate(), situation(ordered), RULES)) == (
        Outcome.withdraw,
        "ordered_since",
    )


def test_an_order_before_the_cart_was_left_does_not_withdraw_the_reminder():
    ordered = fact("purchased", subject=ORDER, ago=timedelta(days=2))
    assert outcome(decide(candidate(), situation(ordered), RULES)) == SENT


@pytest.mark.parametrize(
    ("kind", "reason"), [("reservation_closed", "reservation_ended"), ("collected", "collected")]
)
def test_a_reservation_reminder_is_withdrawn_once_the_reservation_ended(kind, reason):
    reminder = candidate("reservation_expiring", purpose="transactional", subject=FULFILMENT)
    assert outcome(decide(reminder, situation(fact(kind, subject=FULFILMENT)), RULES)) == (
        Outcome.withdraw,
        reason,
    )
    elsewhere = fact(kind, subject="fulfilments/01JQ7Z0000000000000000FLF2")
    assert outcome(decide(reminder, situation(elsewhere), RULES)) == SENT


def test_a_pickup_reminder_is_withdrawn_once_the_parcel_was_collected():
    reminder = candidate("pickup_ready", purpose="transactional", subject=FULFILMENT)
    assert outcome(decide(reminder, situation(), RULES)) == SENT
    collected = fact("collected", subject=FULFILMENT, channel="store")
    assert outcome(decide(reminder, situation(collected), RULES)) == (Outcome.withdraw, "collected")


def test_a_back_in_stock_message_is_withdrawn_when_the_stock_ran_out_again():
    message = candidate("back_in_stock", subject=STOCK, since=NOW - timedelta(hours=2))
    again = fact("stock_out", subject=STOCK, ago=timedelta(hours=1))
    assert outcome(decide(message, situation(again), RULES)) == (
        Outcome.withdraw,
        "stock_ran_out_again",
    )


def test_the_stock_out_before_the_stock_came_back_does_not_withdraw_it():
    message = candidate("back_in_stock", subject=STOCK, since=NOW - timedelta(hours=2))
    before = fact("stock_out", subject=STOCK, ago=timedelta(days=3))
    assert outcome(decide(message, situation(before), RULES)) == SENT


def test_a_review_request_is_withdrawn_when_its_order_was_returned():
    request = candidate("review_request", purpose="transactional", subject=ORDER)
    returned = fact("returned", subject=ORDER, ago=timedelta(minutes=5))
    assert outcome(decide(request, situation(returned), RULES)) == (
        Outcome.withdraw,
        "order_returned",
    )


def test_a_return_of_another_order_long_ago_leaves_the_review_request():
    request = candidate("review_request", subject=ORDER, since=NOW - timedelta(days=10))
    old = fact("returned", subject=OTHER_ORDER, ago=timedelta(days=20))
    assert outcome(decide(request, situation(old), RULES)) == SENT


def test_a_review_request_is_withdrawn_once_the_person_reviewed_since():
    request = candidate("review_request", subject=ORDER, since=NOW - timedelta(days=10))
    reviewed = fact("reviewed", subject="reviews/01JQ7Z000000000000000REVW1", ago=timedelta(days=1))
    assert outcome(decide(request, situation(reviewed), RULES)) == (
        Outcome.withdraw,
        "already_reviewed",
    )
    earlier = replace(reviewed, occurred_at=NOW - timedelta(days=30))
    assert outcome(decide(request, situation(earlier), RULES)) == SENT


def test_a_win_back_is_withdrawn_when_the_person_bought_again():
    since = NOW - timedelta(days=90)
    win_back = candidate("win_back", subject=f"profiles/{PERSON}", since=since)
    again = FactView("purchased", occurred_at=since + timedelta(days=89), subject=ORDER)
    assert outcome(decide(win_back, situation(again), RULES)) == (
        Outcome.withdraw,
        "ordered_since",
    )


def test_the_purchase_a_win_back_counts_from_does_not_withdraw_it():
    since = NOW - timedelta(days=90)
    win_back = candidate("win_back", subject=f"profiles/{PERSON}", since=since)
    last = FactView("purchased", occurred_at=since, subject=ORDER)
    assert outcome(decide(win_back, situation(last), RULES)) == SENT


@pytest.mark.parametrize("kind", ["order_shipped", "order_delayed"])
def test_a_shipping_message_is_withdrawn_when_its_order_was_cancelled(kind):
    message = candidate(kind, purpose="transactional", subject=ORDER)
    cancelled = fact("cancelled", subject=ORDER)
    assert outcome(decide(message, situation(cancelled), RULES)) == (
        Outcome.withdraw,
        "order_cancelled",
    )
    another = fact("cancelled", subject=OTHER_ORDER)
    assert outcome(decide(message, situation(another), RULES)) == SENT


def test_a_cancellation_naming_the_fulfilment_withdraws_its_shipping_message():
    message = candidate("order_shipped", purpose="transactional", subject=FULFILMENT)
    cancelled = fact("cancelled", subject=ORDER, about=[FULFILMENT])
    assert outcome(decide(message, situation(cancelled), RULES)) == (
        Outcome.withdraw,
        "order_cancelled",
    )


@pytest.mark.parametrize("kind", ["return_received", "return_refunded"])
def test_a_return_message_never_loses_its_reason(kind):
    message = candidate(kind, purpose="transactional", subject="returns/01JQ7Z00000000000000000RET")
    facts = (
        fact("returned", subject=ORDER, ago=timedelta(minutes=1)),
        fact("cancelled", subject=ORDER),
        fact("purchased", subject=OTHER_ORDER),
    )
    assert outcome(decide(message, situation(*facts), RULES)) == SENT


# 2. Reaching the person ------------------------------------------------------------------


def test_a_person_without_an_address_on_the_channel_is_not_sent_anything():
    assert outcome(decide(candidate(), situation(reachable=False), RULES)) == (
        Outcome.withhold,
        "no_address",
    )


def test_a_bounced_address_keeps_messages_on_that_channel_back():
    bounced = fact("bounced", channel="email", ago=timedelta(days=40))
    assert outcome(decide(candidate(), situation(bounced), RULES)) == (
        Outcome.withhold,
        "address_bounced",
    )


def test_a_bounce_on_another_channel_does_not_stop_the_email():
    bounced = fact("bounced", channel="sms")
    assert outcome(decide(candidate(), situation(bounced), RULES)) == SENT


# 3. Consent ------------------------------------------------------------------------------


def test_a_transactional_message_needs_no_opt_in():
    receipt = candidate("return_refunded", purpose="transactional", subject="returns/R1")
    assert outcome(decide(receipt, situation(consents={}), RULES)) == SENT


def test_a_transactional_message_honours_an_explicit_refusal_of_the_channel():
    receipt = candidate("return_refunded", purpose="transactional", channel="sms", subject="r/1")
    refused = {("transactional", "sms"): False}
    assert outcome(decide(receipt, situation(consents=refused), RULES)) == (
        Outcome.withhold,
        "channel_refused",
    )
    refused_marketing = {("marketing", "sms"): False}
    assert outcome(decide(receipt, situation(consents=refused_marketing), RULES)) == SENT


def test_marketing_without_consent_is_withheld():
    assert outcome(decide(candidate(), situation(consents={}), RULES)) == (
        Outcome.withhold,
        "no_consent",
    )


def test_marketing_after_consent_was_withdrawn_is_withheld():
    withdrawn = {("marketing", "email"): False}
    assert outcome(decide(candidate(), situation(consents=withdrawn), RULES)) == (
        Outcome.withhold,
        "consent_withdrawn",
    )


def test_consent_is_per_purpose_and_channel():
    sms_only = {("marketing", "sms"): True, ("personalised_offers", "email"): True}
    assert outcome(decide(candidate(), situation(consents=sms_only), RULES)) == (
        Outcome.withhold,
        "no_consent",
    )
    offer = candidate(purpose="personalised_offers")
    assert outcome(decide(offer, situation(consents=sms_only), RULES)) == SENT


# 4. Disputes -----------------------------------------------------------------------------


def test_an_open_dispute_keeps_marketing_back():
    opened = fact("dispute_opened", subject=ORDER, ago=timedelta(days=60))
    assert outcome(decide(candidate(), situation(opened), RULES)) == (
        Outcome.withhold,
        "open_dispute",
    )


def test_a_closed_dispute_no_longer_does():
    opened = fact("dispute_opened", subject=ORDER, ago=timedelta(days=60))
    closed = fact("dispute_closed", subject=ORDER, ago=timedelta(days=50))
    assert outcome(decide(candidate(), situation(opened, closed), RULES)) == SENT


def test_a_dispute_opened_after_the_last_closing_is_open():
    closed = fact("dispute_closed", ago=timedelta(days=50))
    opened = fact("dispute_opened", subject=ORDER, ago=timedelta(days=40))
    assert outcome(decide(candidate(), situation(closed, opened), RULES)) == (
        Outcome.withhold,
        "open_dispute",
    )


def test_closing_one_order_s_dispute_leaves_another_open():
    first = fact("dispute_opened", subject=ORDER, ago=timedelta(days=60))
    second = fact("dispute_opened", subject=OTHER_ORDER, ago=timedelta(days=55))
    closed = fact("dispute_closed", subject=ORDER, ago=timedelta(days=50))
    decision = decide(candidate(), situation(first, second, closed), RULES)
    assert outcome(decision) == (Outcome.withhold, "open_dispute")
    assert decision.facts["subject"] == OTHER_ORDER


def test_a_dispute_does_not_stop_transactional_messages():
    receipt = candidate("return_refunded", purpose="transactional", subject="returns/R1")
    opened = fact("dispute_opened", subject=ORDER)
    assert outcome(decide(receipt, situation(opened), RULES)) == SENT


# 5. Suppressing facts --------------------------------------------------------------------


@pytest.mark.parametrize(
    ("kind", "reason", "days"),
    [
        ("returned", "returned_recently", 14),
        ("complaint", "complaint_recently", 30),
        ("cancelled", "cancelled_recently", 7),
        ("refused_delivery", "refused_delivery_recently", 30),
    ],
)
def test_a_suppressing_fact_holds_marketing_back_for_its_period(kind, reason, days):
    within = fact(kind, subject=OTHER_ORDER, ago=timedelta(days=days) - timedelta(minutes=1))
    decision = decide(candidate(), situation(within), RULES)
    assert outcome(decision) == (Outcome.withhold, reason)
    assert decision.facts["fact"] == kind
    assert decision.facts["occurred_at"] == within.occurred_at.isoformat()
    assert decision.facts["days_ago"] == days - 1
    after = fact(kind, subject=OTHER_ORDER, ago=timedelta(days=days))
    assert outcome(decide(candidate(), situation(after), RULES)) == SENT


def test_a_return_does_not_hold_back_the_refund_confirmation():
    receipt = candidate("return_refunded", purpose="transactional", subject="returns/R1")
    returned = fact("returned", subject=ORDER, channel="store", ago=timedelta(days=2))
    assert outcome(decide(receipt, situation(returned), RULES)) == SENT


def test_the_suppression_periods_are_the_retailer_s():
    rules = replace(RULES, suppression_days={"returned": 3})
    returned = fact("returned", subject=ORDER, ago=timedelta(days=4))
    complaint = fact("complaint", ago=timedelta(days=1))
    assert outcome(decide(candidate(), situation(returned), rules)) == SENT
    assert outcome(decide(candidate(), situation(complaint), rules)) == SENT
    assert outcome(decide(candidate(), situation(returned), RULES)) == (
        Outcome.withhold,
        "returned_recently",
    )


def test_the_latest_suppressing_fact_is_the_one_named():
    older = fact("complaint", ago=timedelta(days=10))
    newer = fact("returned", subject=ORDER, ago=timedelta(days=2))
    decision = decide(candidate(), situation(older, newer), RULES)
    assert decision.reason == "returned_recently"
    assert decision.facts["days_ago"] == 2


# 6. Frequency caps -----------------------------------------------------------------------


def marketing_sent(*days_ago: float, channel: str = "email", purpose: str = "marketing"):
    return tuple(SentView(channel, purpose, NOW - timedelta(days=d)) for d in days_ago)


def test_the_frequency_cap_holds_the_fourth_marketing_email_of_the_week():
    decision = decide(candidate(), situation(sent=marketing_sent(1, 3, 6)), RULES)
    assert outcome(decision) == (Outcome.withhold, "frequency_cap")
    assert decision.facts == {"channel": "email", "count": 3, "cap": 3, "days": 7}


def test_below_the_cap_the_message_goes():
    assert outcome(decide(candidate(), situation(sent=marketing_sent(1, 3)), RULES)) == SENT


def test_messages_older_than_the_window_do_not_count():
    assert outcome(decide(candidate(), situation(sent=marketing_sent(1, 3, 7)), RULES)) == SENT


def test_transactional_messages_and_other_channels_do_not_count_toward_the_cap():
    sent = (
        *marketing_sent(1, 2, purpose="transactional"),
        *marketing_sent(1, 2, 3, channel="sms"),
        *marketing_sent(1, 2),
    )
    assert outcome(decide(candidate(), situation(sent=sent), RULES)) == SENT


def test_transactional_messages_are_not_capped():
    receipt = candidate("return_refunded", purpose="transactional", subject="returns/R1")
    assert outcome(decide(receipt, situation(sent=marketing_sent(1, 2, 3, 4)), RULES)) == SENT


def test_the_sms_cap_is_two_a_week():
    sms = candidate(channel="sms")
    consents = {("marketing", "sms"): True}
    sent = marketing_sent(1, 2, channel="sms")
    assert outcome(decide(sms, situation(sent=sent, consents=consents), RULES)) == (
        Outcome.withhold,
        "frequency_cap",
    )


# 7. Quiet hours --------------------------------------------------------------------------

EVENING = datetime(2026, 3, 10, 21, 30, tzinfo=UTC)  # 22:30 in Paris, 17:30 in New York
EARLY = datetime(2026, 3, 11, 6, 59, tzinfo=UTC)  # 07:59 in Paris


def test_marketing_in_quiet_hours_is_deferred_to_their_end():
    decision = decide(candidate(), situation(now=EVENING), RULES)
    assert outcome(decision) == (Outcome.defer, "quiet_hours")
    assert decision.retry_at == datetime(2026, 3, 11, 7, 0, tzinfo=UTC)  # 08:00 in Paris


def test_just_before_the_end_it_waits_the_minute_and_at_the_end_it_goes():
    decision = decide(candidate(), situation(now=EARLY), RULES)
    assert decision.retry_at == datetime(2026, 3, 11, 7, 0, tzinfo=UTC)
    at_eight = datetime(2026, 3, 11, 7, 0, tzinfo=UTC)
    assert outcome(decide(candidate(), situation(now=at_eight), RULES)) == SENT


def test_quiet_hours_follow_the_person_s_time_zone():
    assert (
        outcome(decide(candidate(), situation(now=EVENING, time_zone="America/New_York"), RULES))
        == SENT
    )
    at_night_there = datetime(2026, 3, 11, 3, 0, tzinfo=UTC)  # 23:00 in New York
    decision = decide(
        candidate(), situation(now=at_night_there, time_zone="America/New_York"), RULES
    )
    assert outcome(decision) == (Outcome.defer, "quiet_hours")
    assert decision.retry_at == datetime(2026, 3, 11, 12, 0, tzinfo=UTC)  # 08:00 EDT


def test_a_transactional_email_is_never_deferred():
    receipt = candidate("return_refunded", purpose="transactional", subject="returns/R1")
    assert outcome(decide(receipt, situation(now=EVENING), RULES)) == SENT


@pytest.mark.parametrize("channel", ["sms", "push"])
def test_a_transactional_sms_or_push_waits_for_the_morning(channel):
    ready = candidate("pickup_ready", purpose="transactional", channel=channel, subject=FULFILMENT)
    decision = decide(ready, situation(now=EVENING), RULES)
    assert outcome(decision) == (Outcome.defer, "quiet_hours")
    assert outcome(decide(ready, situation(), RULES)) == SENT


def test_quiet_hours_ending_in_a_skipped_hour_end_just_after_the_change():
    rules = replace(RULES, quiet_start=time(22, 0), quiet_end=time(2, 30))
    night = datetime(2026, 3, 28, 23, 0, tzinfo=UTC)  # 00:00 in Paris, the night clocks spring
    decision = decide(candidate(), situation(now=night), rules)
    assert decision.retry_at == datetime(2026, 3, 29, 1, 30, tzinfo=UTC)  # 03:30 summer time


def test_quiet_hours_within_a_day_are_honoured_too():
    rules = replace(RULES, quiet_start=time(12, 0), quiet_end=time(14, 0))
    decision = decide(candidate(), situation(now=NOW - timedelta(hours=1)), rules)  # 14:00
    assert outcome(decision) == SENT
    lunch = decide(candidate(), situation(now=NOW - timedelta(hours=2)), rules)  # 13:00
    assert lunch.retry_at == datetime(2026, 3, 10, 13, 0, tzinfo=UTC)


def test_an_unknown_time_zone_is_read_as_utc():
    decision = decide(candidate(), situation(now=EVENING, time_zone="Mars/Olympus"), RULES)
    assert decision.retry_at == datetime(2026, 3, 11, 8, 0, tzinfo=UTC)


# The order of the questions --------------------------------------------------------------


def test_a_gone_reason_is_told_before_anything_else():
    facts = (fact("cart_closed", subject=CART), fact("returned", subject=ORDER))
    decision = decide(candidate(), situation(*facts, consents={}, reachable=False), RULES)
    assert outcome(decision) == (Outcome.withdraw, "cart_bought")


def test_consent_is_told_before_a_dispute_a_return_or_the_cap():
    facts = (fact("dispute_opened"), fact("returned", subject=ORDER))
    decision = decide(
        candidate(), situation(*facts, consents={}, sent=marketing_sent(1, 2, 3)), RULES
    )
    assert outcome(decision) == (Outcome.withhold, "no_consent")


def test_a_suppressing_fact_is_told_before_the_cap_and_the_cap_before_quiet_hours():
    returned = fact("returned", subject=ORDER)
    busy = marketing_sent(1, 2, 3)
    assert decide(candidate(), situation(returned, sent=busy, now=NOW), RULES).reason == (
        "returned_recently"
    )
    evening = decide(candidate(), situation(sent=busy, now=EVENING), RULES)
    assert outcome(evening) == (Outcome.withhold, "frequency_cap")


def test_facts_that_happened_after_the_moment_asked_about_are_not_weighed():
    later = FactView("cart_closed", occurred_at=NOW + timedelta(minutes=1), subject=CART)
    assert outcome(decide(candidate(), situation(later), RULES)) == SENT


# Saying it -------------------------------------------------------------------------------


def test_every_reason_the_policy_gives_is_said_in_both_languages():
    assert all(sentence.fr and sentence.en for sentence in REASONS.values())


def test_a_withheld_message_says_why_and_when_in_french():
    returned = fact("returned", subject=ORDER, ago=timedelta(days=2))
    decision = decide(candidate(), situation(returned), RULES)
    assert describe(decision, language="fr", now=NOW) == "Retenu : retour il y a 2 jours"
    assert describe(decision, language="en", now=NOW) == "Withheld: returned 2 days ago"


def test_a_withdrawn_and_a_sent_message_say_so():
    bought = decide(candidate(), situation(fact("cart_closed", subject=CART)), RULES)
    assert describe(bought, language="fr", now=NOW) == "Retiré : le panier a été acheté"
    assert describe(bought, language="en", now=NOW) == "Withdrawn: the cart was bought"
    sent = decide(candidate(), situation(), RULES)
    assert describe(sent, language="fr", now=NOW) == "Envoyé"
    assert describe(sent, language="en", now=NOW) == "Sent"


def test_a_deferral_names_the_local_time_it_waits_for():
    decision = decide(candidate(), situation(now=EVENING), RULES)
    assert describe(decision, language="fr", now=EVENING) == (
        "Reporté : heures de repos, jusqu'à 08:00"
    )
    assert (
        describe(decision, language="en", now=EVENING)
        == "Deferred: quiet hours, until 8:00\u202fAM"
    )


def test_the_cap_says_how_many_messages_were_sent():
    decision = decide(candidate(), situation(sent=marketing_sent(1, 3, 6)), RULES)
    assert describe(decision, language="fr", now=NOW) == "Retenu : déjà 3 messages en 7 jours"


def test_a_decision_read_back_from_storage_is_described_the_same():
    stored = Decision(
        outcome=Outcome("withhold"),
        reason="complaint_recently",
        facts={"fact": "complaint", "occurred_at": "2026-03-09T14:00:00+00:00", "days_ago": 1},
        retry_at=None,
    )
    assert describe(stored, language="fr", now=NOW) == "Retenu : réclamation il y a 1 jour"
