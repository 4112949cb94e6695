"""What the message policy is told: the retailer's rules and one person's situation, read from
the database for :func:`omnicanal.engagement.policy.decide`.

- :func:`rules_of`: the ``message_policy`` row (``default``), or the documented defaults.
- :func:`situation_for`: the person's consents, the facts about them and about the
  message's subject, the messages they were sent within the longest cap's window, their
  time zone and whether the channel has an address for them.

Asked live (``replay=False``), the situation holds every fact recorded so far and the
consents as they stand. Replayed (``replay=True``, the measure of unjust messages), it holds
what had *happened* by ``now``: the facts by when they occurred, however late the policy
learned them, and the consents as they were then.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from datetime import datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from sqlalchemy import and_, or_, select
from sqlalchemy.orm import Session

from omnicanal.customers import service as customers
from omnicanal.customers.errors import UnknownProfile
from omnicanal.engagement import consents
from omnicanal.engagement.models import Fact, Message, PolicySettings
from omnicanal.engagement.policy import Candidate, Cap, FactView, Rules, SentView, Situation
from omnicanal.network import lookups as network
from omnicanal.network.errors import UnknownLocation
from omnicanal.platform.clock import as_utc

__all__ = [
    "ADDRESS_KINDS",
    "DEFAULT_TIME_ZONE",
    "TIME_ZONE_TRAITS",
    "fact_view",
    "rules_of",
    "situation_for",
    "time_zone_of",
]

POLICY = "default"
DEFAULT_TIME_ZONE = "Europe/Paris"
ADDRESS_KINDS: dict[str, frozenset[str]] = {
    "email": frozenset({"email"}),
    "sms": frozenset({"phone"}),
    "push": frozenset({"device_id"}),
}
"""The identifiers that reach a person on each channel (a post address is a trait)."""
POST_TRAITS = ("address", "street", "address_line1", "postal_code", "postcode")
TIME_ZONE_TRAITS = ("timezone", "time_zone")
"""The profile traits that may give the person's own time zone (Segment's ``timezone``)."""
_CLOCK = re.compile(r"^([01]\d|2[0-3]):([0-5]\d)$")


def _clock(value: Any, fallback: time) -> time:
    match = _CLOCK.match(value) if isinstance(value, str) else None
    return time(int(match.group(1)), int(match.group(2))) if match else fallback


def _positive(value: Any) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) and value > 0 else None


def rules_of(session: Session) -> Rules:
    """The retailer's policy rules: the ``default`` row of ``message_policy``, read
    leniently (a setting that does not parse keeps its default), or the defaults."""
    default = Rules.default()
    row = session.get(PolicySettings, POLICY)
    if row is None:
        return default
    caps: dict[str, Cap] = {}
    for channel, cap in (row.frequency_caps or {}).items():
        if isinstance(cap, dict):
            count, days = _positive(cap.get("count")), _positive(cap.get("days"))
            if count is not None and days is not None:
                caps[str(channel)] = Cap(count, days)
    suppression = {
        str(kind): days
        for kind, days in (row.suppression_days or {}).items()
        if isinstance(days, int) and not isinstance(days, bool) and days >= 0
    }
    return Rules(
        frequency_caps=caps,
        quiet_start=_clock(row.quiet_start, default.quiet_start),
        quiet_end=_clock(row.quiet_end, default.quiet_end),
        suppression_days=suppression,
    )


def fact_view(fact: Fact) -> FactView:
    """A recorded fact as the policy weighs it."""
    return FactView(
        kind=fact.kind,
        occurred_at=as_utc(fact.occurred_at),
        subject=fact.subject,
        detail=dict(fact.detail or {}),
        channel=fact.channel,
    )


def _known_zone(name: Any) -> str | None:
    if not isinstance(name, str) or not name or len(name) > 64:
        return None
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return None
    return name


def time_zone_of(
    session: Session,
    *,
    traits: dict[str, Any] | None,
    location_code: str | None,
    business_time_zone: str = DEFAULT_TIME_ZONE,
) -> str:
    """The time zone quiet hours are read in: the person's own (a ``timezone`` trait naming
    an IANA zone), else the store's the message is about, else the business's."""
    for name in TIME_ZONE_TRAITS:
        found = _known_zone((traits or {}).get(name))
        if found is not None:
            return found
    if location_code:
        try:
            found = _known_zone(network.get_location(session, location_code).timezone)
        except UnknownLocation:
            found = None
        if found is not None:
            return found
    return _known_zone(business_time_zone) or DEFAULT_TIME_ZONE


def _reachable(identifier_kinds: set[str], traits: dict[str, Any], channel: str) -> bool:
    if channel == "post":
        return any(traits.get(name) for name in POST_TRAITS)
    return bool(ADDRESS_KINDS.get(channel, frozenset()) & identifier_kinds)


def _person(session: Session, profile_id: str) -> tuple[list[str], set[str], dict[str, Any]]:
    """The person's profile ids, the kinds of identifier they have (not shared with
    others), and their traits; nothing for a profile that does not exist (any more)."""
    try:
        profile = customers.get_profile(session, profile_id=profile_id, timeline_limit=1)
    except UnknownProfile:
        return [], set(), {}
    ids = [profile.id, *profile.merged_profile_ids]
    kinds = {identifier.kind for identifier in profile.identifiers if not identifier.shared}
    traits = {trait.name: trait.value for trait in profile.traits}
    return ids, kinds, traits


def _person_light(session: Session, profile_id: str) -> tuple[list[str], dict[str, Any]]:
    """The person's profile ids and traits, without reading their identifiers."""
    try:
        ids = consents.person_profile_ids(session, profile_id)
        traits = customers.current_traits(session, profile_id=profile_id)
    except UnknownProfile:
        return [], {}
    return ids, traits


def _facts(
    session: Session,
    *,
    profile_ids: Sequence[str],
    subject: str,
    now: datetime,
    replay: bool,
) -> list[FactView]:
    about = Fact.subject == subject
    whose = or_(Fact.profile_id.in_(list(profile_ids)), about) if profile_ids else about
    query = select(Fact).where(whose)
    if replay:
        query = query.where(Fact.occurred_at <= now)
    return [fact_view(fact) for fact in session.scalars(query.order_by(Fact.occurred_at, Fact.id))]


def _sent(
    session: Session,
    *,
    profile_ids: Sequence[str],
    now: datetime,
    days: int,
    message_id: str | None,
) -> list[SentView]:
    if not profile_ids:
        return []
    query = select(Message.channel, Message.purpose, Message.sent_at).where(
        Message.profile_id.in_(list(profile_ids)),
        Message.status == "sent",
        Message.sent_at > now - timedelta(days=days),
        Message.sent_at <= now,
        Message.channel.is_not(None),
    )
    if message_id is not None:
        # The message asked about, and those sent at the same moment after it, are not
        # among the messages it follows.
        query = query.where(
            Message.id != message_id,
            or_(Message.sent_at < now, and_(Message.sent_at == now, Message.id < message_id)),
        )
    return [
        SentView(channel=str(channel), purpose=purpose, sent_at=as_utc(sent_at))
        for channel, purpose, sent_at in session.execute(query)
        if sent_at is not None
    ]


def situation_for(
    session: Session,
    *,
    profile_id: str | None,
    candidate: Candidate,
    now: datetime,
    live_facts: Sequence[FactView] = (),
    replay: bool = False,
    location_code: str | None = None,
    business_time_zone: str = DEFAULT_TIME_ZONE,
    rules: Rules | None = None,
    reachable: bool | None = None,
    message_id: str | None = None,
) -> Situation:
    """What the policy knows about ``candidate`` at ``now``.

    ``live_facts``: facts the caller knows and the database does not yet (the event being
    handled). ``replay``: the situation as it had happened by ``now`` (see the module).
    ``location_code``: the store the message is about (its time zone, when the person has
    none of their own); ``business_time_zone`` otherwise. ``rules``: to size the window of
    sent messages (read when not given). ``reachable``: already known (a replayed message
    that reached its recipient); else read from the profile's identifiers. ``message_id``:
    the message asked about, left out of the messages sent.
    """
    now = as_utc(now)
    rules = rules if rules is not None else rules_of(session)
    if profile_id is None:
        ids: list[str] = []
        kinds: set[str] = set()
        traits: dict[str, Any] = {}
    elif reachable is None:
        ids, kinds, traits = _person(session, profile_id)
    else:
        ids, traits = _person_light(session, profile_id)
        kinds = set()
    if reachable is None:
        reachable = bool(ids) and _reachable(kinds, traits, candidate.channel)
    answers = (
        consents.current_consents(session, profile_id, at=now if replay else None)
        if ids and profile_id is not None
        else {}
    )
    window = max((cap.days for cap in rules.frequency_caps.values()), default=0)
    facts = _facts(session, profile_ids=ids, subject=candidate.subject, now=now, replay=replay)
    facts += [fact for fact in live_facts if not replay or as_utc(fact.occurred_at) <= now]
    return Situation(
        now=now,
        consents={pair: state.granted for pair, state in answers.items()},
        facts=facts,
        sent=_sent(session, profile_ids=ids, now=now, days=window, message_id=message_id)
        if window
        else [],
        time_zone=time_zone_of(
            session,
            traits=traits,
            location_code=location_code,
            business_time_zone=business_time_zone,
        ),
        reachable=reachable,
    )
