"""The message policy, pure (ADR 0026): may this message go to this person now?

``decide(candidate, situation, rules)`` answers *send*, *withhold*, *withdraw* or *defer*,
with a reason code and the facts behind it. It reads nothing but its arguments: no
database, no clock (``situation.now`` is the moment asked about), so the same question asked
twice gets the same answer, and measuring "unjust" messages is asking it again with the
facts as they had happened by the sending time.

The questions, in this order (the first that stops the message gives the answer):

1. **Is the reason still there?** Else *withdraw*: an abandoned cart that was bought or
   merged, or a person who ordered since; a pickup or a reservation that was collected or
   ended; stock that ran out again; a review request for an order returned, cancelled or
   already reviewed; a win-back for a person who bought since; a shipping notice for a
   cancelled order. Returns' messages never lose their reason.
2. **May the channel reach the person?** An address for the channel (``no_address``), not
   bounced (``address_bounced``).
3. **Consent.** A transactional message rests on the contract: it goes unless the person
   explicitly refused the channel (``channel_refused``). Marketing, personalised offers and
   profiling need a granted consent for the purpose on the channel (``no_consent``,
   ``consent_withdrawn``).
4. **An open dispute** keeps marketing back (``open_dispute``).
5. **A suppressing fact within its period** (a return, a complaint, a cancellation, a
   refused delivery) keeps marketing back (``returned_recently``...).
6. **The frequency cap** of marketing messages on the channel (``frequency_cap``).
7. **Quiet hours** in the person's (or the store's) time zone *defer* marketing on every
   channel and transactional SMS and push to their end; a transactional e-mail is never
   deferred.

Facts that happened after ``situation.now`` are not weighed: the policy judges a moment
with what had happened by then.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from enum import StrEnum
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from babel.dates import format_time, format_timedelta

__all__ = [
    "MARKETING_PURPOSES",
    "OUTCOME_LABELS",
    "QUIET_TRANSACTIONAL_CHANNELS",
    "REASONS",
    "SUPPRESSION_REASONS",
    "Candidate",
    "Cap",
    "Decision",
    "FactView",
    "Outcome",
    "Rules",
    "SentView",
    "Situation",
    "decide",
    "describe",
    "dispute_open",
    "in_quiet_hours",
    "quiet_hours_end",
]

MARKETING_PURPOSES = frozenset({"marketing", "personalised_offers", "profiling"})
"""The purposes that need an opt-in and that disputes, suppressing facts, caps and quiet
hours hold back."""
QUIET_TRANSACTIONAL_CHANNELS = frozenset({"sms", "push"})
"""The channels on which quiet hours defer transactional messages too (they ring)."""
SUPPRESSION_REASONS = {
    "returned": "returned_recently",
    "complaint": "complaint_recently",
    "cancelled": "cancelled_recently",
    "refused_delivery": "refused_delivery_recently",
}
"""The reason code of each fact kind that suppresses marketing for a while."""


class Outcome(StrEnum):
    """What the policy decided about a message."""

    send = "send"
    withhold = "withhold"
    withdraw = "withdraw"
    defer = "defer"


@dataclass(frozen=True)
class FactView:
    """A fact as the policy weighs it.

    ``subject`` names what it is about (``carts/<id>``, ``orders/<id>``...); ``detail`` may
    list other subjects it concerns under ``about`` (a cancelled order's fulfilments).
    ``channel`` is where it happened, or for a ``bounced`` fact the channel that bounced.
    """

    kind: str
    occurred_at: datetime
    subject: str | None = None
    detail: Mapping[str, Any] = field(default_factory=dict)
    channel: str | None = None

    def concerns(self, subject: str) -> bool:
        """Whether the fact is about ``subject`` (its own, or one it lists)."""
        if self.subject == subject:
            return True
        about = self.detail.get("about")
        return isinstance(about, list | tuple) and subject in about


@dataclass(frozen=True)
class SentView:
    """A message the person was sent: on which channel, for which purpose, when."""

    channel: str
    purpose: str
    sent_at: datetime


@dataclass(frozen=True)
class Cap:
    """At most ``count`` marketing messages per ``days`` days on a channel."""

    count: int
    days: int


@dataclass(frozen=True)
class Rules:
    """The retailer's policy settings: caps per channel, quiet hours, suppression periods."""

    frequency_caps: Mapping[str, Cap]
    quiet_start: time
    quiet_end: time
    suppression_days: Mapping[str, int]

    @classmethod
    def default(cls) -> Rules:
        """Three marketing e-mails or pushes and two SMS a week; quiet from 21:00 to 08:00;
        marketing held back 14 days after a return, 30 after a complaint or a refused
        delivery, 7 after a cancellation."""
        return cls(
            frequency_caps={"email": Cap(3, 7), "sms": Cap(2, 7), "push": Cap(3, 7)},
            quiet_start=time(21, 0),
            quiet_end=time(8, 0),
            suppression_days={
                "returned": 14,
                "complaint": 30,
                "cancelled": 7,
                "refused_delivery": 30,
            },
        )


@dataclass(frozen=True)
class Candidate:
    """A message the policy is asked about: what it is, for whom, why, and since when."""

    kind: str
    """The trigger's kind (``abandoned_cart``, ``pickup_ready``...)."""
    purpose: str
    channel: str
    subject: str
    profile_id: str | None
    reason_since: datetime
    """When its reason began (the cart's last change, the last purchase...)."""
    due_at: datetime


@dataclass(frozen=True)
class Situation:
    """What the policy knows at ``now``: the person's consents (purpose, channel) → granted,
    the facts about the person and the subject, the messages they were sent, their time
    zone, and whether the channel has an address for them."""

    now: datetime
    consents: Mapping[tuple[str, str], bool]
    facts: Sequence[FactView]
    sent: Sequence[SentView]
    time_zone: str
    reachable: bool


@dataclass(frozen=True)
class Decision:
    """The policy's answer, its reason's code, the facts behind it (JSON-ready), and for a
    deferral when to ask again."""

    outcome: Outcome
    reason: str
    facts: Mapping[str, Any] = field(default_factory=dict)
    retry_at: datetime | None = None


ALLOWED = "allowed"


def _utc(moment: datetime) -> datetime:
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


def _zone(name: str) -> ZoneInfo:
    """The IANA zone ``name``, or UTC for a name no zone has (never a failure here)."""
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return ZoneInfo("UTC")


def _days_ago(moment: datetime, now: datetime) -> int:
    return max(0, (now - moment).days)


def _fact_facts(fact: FactView, now: datetime) -> dict[str, Any]:
    found: dict[str, Any] = {
        "fact": fact.kind,
        "occurred_at": fact.occurred_at.isoformat(),
        "days_ago": _days_ago(fact.occurred_at, now),
    }
    if fact.subject is not None:
        found["subject"] = fact.subject
    return found


def _latest(facts: Iterable[FactView]) -> FactView | None:
    return max(facts, key=lambda fact: fact.occurred_at, default=None)


def _withhold(reason: str, **facts: Any) -> Decision:
    return Decision(Outcome.withhold, reason, facts)


def _withdraw(reason: str, fact: FactView, now: datetime) -> Decision:
    return Decision(Outcome.withdraw, reason, _fact_facts(fact, now))


# 1. Is the reason still there? -----------------------------------------------------------


def _reason_gone(candidate: Candidate, facts: Sequence[FactView], now: datetime) -> Decision | None:
    subject, since = candidate.subject, candidate.reason_since

    def on_subject(*kinds: str) -> FactView | None:
        return _latest(f for f in facts if f.kind in kinds and f.concerns(subject))

    def by_person(kind: str, *, strictly_after: bool = False) -> FactView | None:
        return _latest(
            f
            for f in facts
            if f.kind == kind
            and (f.occurred_at > since if strictly_after else f.occurred_at >= since)
        )

    gone: list[tuple[str, FactView | None]] = []
    match candidate.kind:
        case "abandoned_cart":
            closed = on_subject("cart_closed")
            gone = [
                (_cart_closed_reason(closed), closed),
                ("ordered_since", by_person("purchased")),
            ]
        case "reservation_expiring":
            gone = [
                ("reservation_ended", on_subject("reservation_closed")),
                ("collected", on_subject("collected")),
                ("order_cancelled", on_subject("cancelled")),
            ]
        case "pickup_ready":
            gone = [
                ("collected", on_subject("collected")),
                ("reservation_ended", on_subject("reservation_closed")),
                ("order_cancelled", on_subject("cancelled")),
            ]
        case "back_in_stock":
            ran_out = _latest(
                f
                for f in facts
                if f.kind == "stock_out" and f.concerns(subject) and f.occurred_at > since
            )
            gone = [("stock_ran_out_again", ran_out)]
        case "review_request":
            gone = [
                ("order_returned", on_subject("returned")),
                ("order_cancelled", on_subject("cancelled")),
                ("already_reviewed", by_person("reviewed")),
            ]
        case "win_back":
            gone = [("ordered_since", by_person("purchased", strictly_after=True))]
        case "order_shipped" | "order_delayed":
            gone = [("order_cancelled", on_subject("cancelled"))]
    for reason, fact in gone:
        if fact is not None:
            return _withdraw(reason, fact, now)
    return None


def _cart_closed_reason(closed: FactView | None) -> str:
    """Why a cart is no reason to write any more: bought, joined another, emptied, gone."""
    if closed is None:
        return "cart_bought"
    if closed.detail.get("merged_into") is not None:
        return "cart_merged"
    if closed.detail.get("emptied"):
        return "cart_emptied"
    if closed.detail.get("status") == "unknown":
        return "cart_gone"
    return "cart_bought"


# 2. May the channel reach the person? ----------------------------------------------------


def _bounced(candidate: Candidate, facts: Sequence[FactView]) -> FactView | None:
    return _latest(
        f
        for f in facts
        if f.kind == "bounced"
        and (f.channel == candidate.channel or f.detail.get("channel") == candidate.channel)
    )


# 4. An open dispute ----------------------------------------------------------------------


def dispute_open(facts: Iterable[FactView]) -> FactView | None:
    """The latest dispute still open among ``facts``: a ``dispute_opened`` that no
    ``dispute_closed`` at the same time or later closes (one about the same subject, or one
    about no subject in particular, which closes them all)."""
    listed = list(facts)
    closings = [f for f in listed if f.kind == "dispute_closed"]
    still_open = [
        opened
        for opened in listed
        if opened.kind == "dispute_opened"
        and not any(
            closed.occurred_at >= opened.occurred_at
            and (closed.subject is None or closed.subject == opened.subject)
            for closed in closings
        )
    ]
    return _latest(still_open)


# 7. Quiet hours --------------------------------------------------------------------------


def in_quiet_hours(moment: datetime, *, start: time, end: time, time_zone: str) -> bool:
    """Whether ``moment`` falls in the quiet hours from ``start`` to ``end`` (local wall-clock
    times in ``time_zone``; over midnight when ``start`` is later than ``end``; none when
    they are equal)."""
    local = _utc(moment).astimezone(_zone(time_zone)).time().replace(tzinfo=None)
    if start == end:
        return False
    if start < end:
        return start <= local < end
    return local >= start or local < end


def quiet_hours_end(moment: datetime, *, end: time, time_zone: str) -> datetime:
    """The first moment after ``moment`` (in UTC) when the local clock in ``time_zone``
    shows ``end``."""
    zone = _zone(time_zone)
    local_day: date = _utc(moment).astimezone(zone).date()
    for offset in range(3):
        candidate = datetime.combine(local_day + timedelta(days=offset), end, tzinfo=zone)
        # Round-trip through UTC: a wall-clock time that a DST change skips becomes the
        # moment just after the gap.
        at = candidate.astimezone(UTC)
        if at > _utc(moment):
            return at
    return _utc(moment) + timedelta(days=1)  # pragma: no cover - three days always hold one


# The policy ------------------------------------------------------------------------------


def decide(candidate: Candidate, situation: Situation, rules: Rules) -> Decision:
    """Send, withhold, withdraw or defer ``candidate`` in ``situation`` under ``rules``
    (see the module's questions, asked in order)."""
    now = _utc(situation.now)
    facts = [f for f in situation.facts if _utc(f.occurred_at) <= now]
    marketing = candidate.purpose in MARKETING_PURPOSES
    channel = candidate.channel

    gone = _reason_gone(candidate, facts, now)
    if gone is not None:
        return gone

    if not situation.reachable:
        return _withhold("no_address", channel=channel)
    bounced = _bounced(candidate, facts)
    if bounced is not None:
        return _withhold("address_bounced", channel=channel, **_fact_facts(bounced, now))

    granted = situation.consents.get((candidate.purpose, channel))
    if candidate.purpose == "transactional":
        if granted is False:
            return _withhold("channel_refused", purpose=candidate.purpose, channel=channel)
    elif granted is None:
        return _withhold("no_consent", purpose=candidate.purpose, channel=channel)
    elif granted is False:
        return _withhold("consent_withdrawn", purpose=candidate.purpose, channel=channel)

    if marketing:
        dispute = dispute_open(facts)
        if dispute is not None:
            return _withhold("open_dispute", **_fact_facts(dispute, now))
        suppressing = _latest(
            f
            for f in facts
            if f.kind in SUPPRESSION_REASONS
            and f.kind in rules.suppression_days
            and now - _utc(f.occurred_at) < timedelta(days=rules.suppression_days[f.kind])
        )
        if suppressing is not None:
            return _withhold(
                SUPPRESSION_REASONS[suppressing.kind],
                period_days=rules.suppression_days[suppressing.kind],
                **_fact_facts(suppressing, now),
            )
        cap = rules.frequency_caps.get(channel)
        if cap is not None:
            window = now - timedelta(days=cap.days)
            count = sum(
                1
                for sent in situation.sent
                if sent.channel == channel
                and sent.purpose in MARKETING_PURPOSES
                and window < _utc(sent.sent_at) <= now
            )
            if count >= cap.count:
                return _withhold(
                    "frequency_cap", channel=channel, count=count, cap=cap.count, days=cap.days
                )

    quiet_applies = marketing or channel in QUIET_TRANSACTIONAL_CHANNELS
    if quiet_applies and in_quiet_hours(
        now, start=rules.quiet_start, end=rules.quiet_end, time_zone=situation.time_zone
    ):
        retry_at = quiet_hours_end(now, end=rules.quiet_end, time_zone=situation.time_zone)
        return Decision(
            Outcome.defer,
            "quiet_hours",
            {"time_zone": situation.time_zone, "until": retry_at.isoformat()},
            retry_at,
        )
    return Decision(Outcome.send, ALLOWED, {})


# Saying it -------------------------------------------------------------------------------


@dataclass(frozen=True)
class Sentence:
    """A reason in French and in English; ``{ago}``, ``{until}``, ``{count}`` and ``{days}``
    stand for the decision's facts."""

    fr: str
    en: str


REASONS: dict[str, Sentence] = {
    ALLOWED: Sentence("rien ne s'y oppose", "nothing stands in the way"),
    "cart_bought": Sentence("le panier a été acheté", "the cart was bought"),
    "cart_merged": Sentence("le panier a rejoint un autre panier", "the cart joined another"),
    "cart_emptied": Sentence("le panier a été vidé", "the cart was emptied"),
    "cart_gone": Sentence("le panier n'existe plus", "the cart no longer exists"),
    "trigger_off": Sentence("déclencheur désactivé", "the trigger was switched off"),
    "ordered_since": Sentence("commande passée {ago}", "ordered {ago}"),
    "reservation_ended": Sentence("la réservation est terminée", "the reservation ended"),
    "collected": Sentence("l'article a été retiré", "the item was collected"),
    "stock_ran_out_again": Sentence("de nouveau en rupture {ago}", "out of stock again {ago}"),
    "order_returned": Sentence("la commande a été retournée", "the order was returned"),
    "order_cancelled": Sentence("la commande a été annulée", "the order was cancelled"),
    "already_reviewed": Sentence("avis déjà donné {ago}", "already reviewed {ago}"),
    "no_address": Sentence("aucune adresse pour ce canal", "no address on this channel"),
    "address_bounced": Sentence("adresse en échec {ago}", "the address bounced {ago}"),
    "channel_refused": Sentence("canal refusé par la personne", "the person refused this channel"),
    "no_consent": Sentence("pas de consentement", "no consent"),
    "consent_withdrawn": Sentence("consentement retiré", "consent withdrawn"),
    "open_dispute": Sentence("litige en cours", "a dispute is open"),
    "returned_recently": Sentence("retour {ago}", "returned {ago}"),
    "complaint_recently": Sentence("réclamation {ago}", "complaint {ago}"),
    "cancelled_recently": Sentence("annulation {ago}", "cancelled {ago}"),
    "refused_delivery_recently": Sentence("livraison refusée {ago}", "delivery refused {ago}"),
    "frequency_cap": Sentence(
        "déjà {count} messages en {days} jours", "{count} messages in {days} days already"
    ),
    "quiet_hours": Sentence("heures de repos, jusqu'à {until}", "quiet hours, until {until}"),
}
"""Each reason code's short sentence, in French and English (``describe`` says it)."""

OUTCOME_LABELS: dict[Outcome, Sentence] = {
    Outcome.send: Sentence("Envoyé", "Sent"),
    Outcome.withhold: Sentence("Retenu", "Withheld"),
    Outcome.withdraw: Sentence("Retiré", "Withdrawn"),
    Outcome.defer: Sentence("Reporté", "Deferred"),
}

_PLACEHOLDER = re.compile(r"\{(\w+)\}")


def _moment(value: Any) -> datetime | None:
    if isinstance(value, datetime):
        return _utc(value)
    if isinstance(value, str):
        try:
            return _utc(datetime.fromisoformat(value))
        except ValueError:
            return None
    return None


def _values(decision: Decision, *, language: str, now: datetime) -> dict[str, str]:
    facts = decision.facts
    values: dict[str, str] = {}
    occurred = _moment(facts.get("occurred_at"))
    if occurred is not None:
        values["ago"] = format_timedelta(
            min(occurred - _utc(now), timedelta(0)), add_direction=True, locale=language
        )
    until = decision.retry_at or _moment(facts.get("until"))
    if until is not None:
        zone = _zone(str(facts.get("time_zone") or "UTC"))
        values["until"] = format_time(_utc(until), "short", tzinfo=zone, locale=language)
    for name in ("count", "days"):
        if isinstance(facts.get(name), int):
            values[name] = str(facts[name])
    return values


def describe(decision: Decision, *, language: str, now: datetime) -> str:
    """The decision in a few words in ``language`` (``fr`` or ``en``; French otherwise):
    "Retenu : retour il y a 2 jours", "Retiré : le panier a été acheté", "Envoyé"."""
    language = "en" if language == "en" else "fr"
    label = getattr(OUTCOME_LABELS[Outcome(decision.outcome)], language)
    if decision.outcome == Outcome.send:
        return str(label)
    reason = REASONS.get(decision.reason)
    if reason is None:
        return str(label)
    values = _values(decision, language=language, now=now)
    sentence = _PLACEHOLDER.sub(
        lambda match: values.get(match.group(1), ""), getattr(reason, language)
    )
    # A placeholder with nothing to say leaves two plain spaces: one is enough (Babel's own
    # narrow no-break spaces stay).
    sentence = re.sub(" {2,}", " ", sentence).strip(" ,")
    separator = " : " if language == "fr" else ": "
    return f"{label}{separator}{sentence}"
