"""The measures of the messages (ADR 0026), from the data: what was sent, withheld and
withdrawn and why, day by day; the unjust messages; how late the policy learns facts.

- **Sent, withheld, withdrawn**: the messages that reached that status in the period (sent
  by ``sent_at``, the others by when they were decided), by reason, and per day in the
  business's time zone (the chart of the back office).
- **Unjust messages**: a sent message is unjust when the policy, asked again at its sending
  time with the facts as they had *happened* by then (by ``occurred_at``, however late it
  learned them), the consents as they were then and the messages sent before it, would not
  have sent it. The seeds' measure: it must read 0. A message sent while a return at the
  till had happened but had not reached the policy yet is one.
- **Till-to-policy delay**: for the facts learned in the period, ``recorded_at -
  occurred_at`` by the channel where they happened (the store first): the median, the 95th
  percentile (nearest rank) and the longest, in seconds.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Sequence
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from pydantic import BaseModel, Field
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from omnicanal.engagement.models import Fact, Message
from omnicanal.engagement.policy import Candidate, Outcome, decide
from omnicanal.engagement.situation import DEFAULT_TIME_ZONE, rules_of, situation_for
from omnicanal.platform.clock import as_utc

__all__ = [
    "ChannelDelay",
    "DayCounts",
    "EngagementMeasures",
    "UnjustMessage",
    "measures",
    "nearest_rank",
]

STORE_FIRST = "store"


class DayCounts(BaseModel):
    """One local day's messages."""

    day: date
    sent: int
    withheld: int
    withdrawn: int


class UnjustMessage(BaseModel):
    """A sent message the policy, replayed, would not have sent, and why."""

    message_id: str
    trigger_code: str
    kind: str
    purpose: str
    channel: str | None
    profile_id: str | None
    sent_at: datetime
    outcome: str
    reason: str


class ChannelDelay(BaseModel):
    """How long after it happened the policy learned a fact, on one channel (seconds)."""

    channel: str
    facts: int
    p50_seconds: float
    p95_seconds: float
    max_seconds: float


class EngagementMeasures(BaseModel):
    """What the messages did over a period, measured from the data."""

    since: datetime
    until: datetime
    time_zone: str
    sent: int
    withheld: int
    withdrawn: int
    withheld_by_reason: dict[str, int]
    withdrawn_by_reason: dict[str, int]
    days: list[DayCounts]
    unjust: int = Field(description="Sent messages the policy, replayed, would not have sent")
    unjust_messages: list[UnjustMessage]
    delays: list[ChannelDelay]


def nearest_rank(values: Sequence[float], share: float) -> float:
    """The nearest-rank percentile of ``values`` (sorted or not): the smallest value with at
    least ``share`` of them at or below it."""
    ordered = sorted(values)
    rank = max(1, math.ceil(share * len(ordered)))
    return ordered[rank - 1]


def _zone(name: str) -> ZoneInfo:
    return ZoneInfo(name)


def _days(since: datetime, until: datetime, zone: ZoneInfo) -> list[date]:
    first = since.astimezone(zone).date()
    last = (until - timedelta(microseconds=1)).astimezone(zone).date()
    return [first + timedelta(days=n) for n in range((last - first).days + 1)]


def _decided(message: Message) -> datetime:
    return as_utc(message.decided_at or message.created_at)


def _unjust(session: Session, sent: Sequence[Message], *, time_zone: str) -> list[UnjustMessage]:
    rules = rules_of(session)
    found: list[UnjustMessage] = []
    for message in sent:
        if message.sent_at is None or message.channel is None:
            continue
        sent_at = as_utc(message.sent_at)
        candidate = Candidate(
            kind=message.kind,
            purpose=message.purpose,
            channel=message.channel,
            subject=message.subject,
            profile_id=message.profile_id,
            reason_since=as_utc(message.reason_since),
            due_at=as_utc(message.due_at),
        )
        context = message.context if isinstance(message.context, dict) else {}
        location = context.get("location_code")
        situation = situation_for(
            session,
            profile_id=message.profile_id,
            candidate=candidate,
            now=sent_at,
            replay=True,
            location_code=location if isinstance(location, str) else None,
            business_time_zone=time_zone,
            rules=rules,
            # It was delivered to its recipient: the address reached the person then,
            # whatever the profile holds now.
            reachable=message.recipient is not None,
            message_id=message.id,
        )
        decision = decide(candidate, situation, rules)
        if decision.outcome is not Outcome.send:
            found.append(
                UnjustMessage(
                    message_id=message.id,
                    trigger_code=message.trigger_code,
                    kind=message.kind,
                    purpose=message.purpose,
                    channel=message.channel,
                    profile_id=message.profile_id,
                    sent_at=sent_at,
                    outcome=decision.outcome.value,
                    reason=decision.reason,
                )
            )
    return found


def _delays(session: Session, *, since: datetime, until: datetime) -> list[ChannelDelay]:
    by_channel: dict[str, list[float]] = {}
    rows = session.execute(
        select(Fact.channel, Fact.occurred_at, Fact.recorded_at).where(
            Fact.recorded_at >= since, Fact.recorded_at < until, Fact.channel.is_not(None)
        )
    )
    for channel, occurred_at, recorded_at in rows:
        delay = (as_utc(recorded_at) - as_utc(occurred_at)).total_seconds()
        by_channel.setdefault(str(channel), []).append(max(0.0, delay))
    order = sorted(by_channel, key=lambda channel: (channel != STORE_FIRST, channel))
    return [
        ChannelDelay(
            channel=channel,
            facts=len(by_channel[channel]),
            p50_seconds=nearest_rank(by_channel[channel], 0.5),
            p95_seconds=nearest_rank(by_channel[channel], 0.95),
            max_seconds=max(by_channel[channel]),
        )
        for channel in order
    ]


def measures(
    session: Session,
    *,
    since: datetime,
    until: datetime,
    time_zone: str = DEFAULT_TIME_ZONE,
) -> EngagementMeasures:
    """The messages' measures from ``since`` (included) to ``until`` (excluded); days are
    those of ``time_zone`` (the business's)."""
    since, until = as_utc(since), as_utc(until)
    zone = _zone(time_zone)
    sent = list(
        session.scalars(
            select(Message)
            .where(Message.status == "sent", Message.sent_at >= since, Message.sent_at < until)
            .order_by(Message.sent_at, Message.id)
        )
    )
    decided_at = func.coalesce(Message.decided_at, Message.created_at)
    held = list(
        session.scalars(
            select(Message)
            .where(
                Message.status.in_(("withheld", "withdrawn")),
                decided_at >= since,
                decided_at < until,
            )
            .order_by(Message.id)
        )
    )
    withheld = Counter(m.reason or "unknown" for m in held if m.status == "withheld")
    withdrawn = Counter(m.reason or "unknown" for m in held if m.status == "withdrawn")
    per_day: dict[date, Counter[str]] = {day: Counter() for day in _days(since, until, zone)}
    for message in sent:
        assert message.sent_at is not None
        per_day.setdefault(as_utc(message.sent_at).astimezone(zone).date(), Counter())["sent"] += 1
    for message in held:
        day = _decided(message).astimezone(zone).date()
        per_day.setdefault(day, Counter())[message.status] += 1
    unjust = _unjust(session, sent, time_zone=time_zone)
    return EngagementMeasures(
        since=since,
        until=until,
        time_zone=time_zone,
        sent=len(sent),
        withheld=sum(withheld.values()),
        withdrawn=sum(withdrawn.values()),
        withheld_by_reason=dict(sorted(withheld.items())),
        withdrawn_by_reason=dict(sorted(withdrawn.items())),
        days=[
            DayCounts(
                day=day,
                sent=counts["sent"],
                withheld=counts["withheld"],
                withdrawn=counts["withdrawn"],
            )
            for day, counts in sorted(per_day.items())
        ],
        unjust=len(unjust),
        unjust_messages=unjust,
        delays=_delays(session, since=since, until=until),
    )
