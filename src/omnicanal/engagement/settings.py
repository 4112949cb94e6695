"""The retailer's message policy settings (``message_policy``): how many marketing messages a
person may get per channel and period, the quiet hours, and how long a return, a complaint,
a cancellation or a refused delivery holds marketing back.

The policy reads them as :class:`omnicanal.engagement.policy.Rules`; head office reads and
changes them here (``engagement:admin``). A change applies to the next decision: messages
already sent stay as they were judged.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Literal

from pydantic import Field, field_validator
from sqlalchemy.orm import Session

from omnicanal.engagement import access
from omnicanal.engagement.models import PolicySettings
from omnicanal.engagement.triggers import DEFAULT_POLICY, ensure_defaults
from omnicanal.platform.actors import Actor
from omnicanal.platform.bounds import RequestModel
from omnicanal.platform.clock import as_utc, utcnow

__all__ = [
    "CAPPED_CHANNELS",
    "SUPPRESSING_FACTS",
    "CapIn",
    "PolicySettingsIn",
    "PolicySettingsView",
    "policy_settings",
    "save_policy_settings",
]

POLICY = "default"
CAPPED_CHANNELS = ("email", "sms", "push", "post")
SUPPRESSING_FACTS = ("returned", "complaint", "cancelled", "refused_delivery")
MAX_CAP = 1_000
MAX_DAYS = 365
CLOCK = re.compile(r"^([01]\d|2[0-3]):[0-5]\d$")

CappedChannel = Literal["email", "sms", "push", "post"]
SuppressingFact = Literal["returned", "complaint", "cancelled", "refused_delivery"]


class CapIn(RequestModel):
    """At most ``count`` marketing messages per ``days`` days on a channel."""

    count: int = Field(ge=1, le=MAX_CAP)
    days: int = Field(ge=1, le=MAX_DAYS)


class PolicySettingsIn(RequestModel):
    """The whole policy: a channel without a cap has none; quiet hours as local ``HH:MM``
    (the same start and end: none); days each fact holds marketing back (0: not at all)."""

    frequency_caps: dict[CappedChannel, CapIn] = Field(default_factory=dict)
    quiet_start: str = Field(min_length=5, max_length=5)
    quiet_end: str = Field(min_length=5, max_length=5)
    suppression_days: dict[SuppressingFact, int] = Field(default_factory=dict)

    @field_validator("quiet_start", "quiet_end")
    @classmethod
    def _clock(cls, value: str) -> str:
        if not CLOCK.match(value):
            raise ValueError("a time of day is written HH:MM, from 00:00 to 23:59")
        return value

    @field_validator("suppression_days")
    @classmethod
    def _days(cls, value: dict[str, int]) -> dict[str, int]:
        for days in value.values():
            if not 0 <= days <= MAX_DAYS:
                raise ValueError(f"a suppression period lies between 0 and {MAX_DAYS} days")
        return value


@dataclass(frozen=True)
class PolicySettingsView:
    """The policy settings as they stand (the defaults until head office changes them)."""

    frequency_caps: dict[str, dict[str, int]]
    quiet_start: str
    quiet_end: str
    suppression_days: dict[str, int]
    updated_at: datetime | None


def _view(row: PolicySettings | None) -> PolicySettingsView:
    if row is None:
        return PolicySettingsView(
            frequency_caps={k: dict(v) for k, v in DEFAULT_POLICY["frequency_caps"].items()},
            quiet_start=str(DEFAULT_POLICY["quiet_start"]),
            quiet_end=str(DEFAULT_POLICY["quiet_end"]),
            suppression_days=dict(DEFAULT_POLICY["suppression_days"]),
            updated_at=None,
        )
    return PolicySettingsView(
        frequency_caps={
            channel: {"count": int(cap["count"]), "days": int(cap["days"])}
            for channel, cap in (row.frequency_caps or {}).items()
            if isinstance(cap, dict)
        },
        quiet_start=row.quiet_start,
        quiet_end=row.quiet_end,
        suppression_days={kind: int(days) for kind, days in (row.suppression_days or {}).items()},
        updated_at=as_utc(row.updated_at),
    )


def policy_settings(session: Session) -> PolicySettingsView:
    """The message policy's settings (the defaults when none were saved yet)."""
    return _view(session.get(PolicySettings, POLICY))


def save_policy_settings(
    session: Session, *, data: PolicySettingsIn, actor: Actor
) -> PolicySettingsView:
    """Replace the message policy's settings (head office: ``engagement:admin``); the next
    decisions follow them."""
    access.check_admin(actor, doing="change the message policy")
    values: dict[str, Any] = {
        "frequency_caps": {
            channel: {"count": cap.count, "days": cap.days}
            for channel, cap in sorted(data.frequency_caps.items())
        },
        "quiet_start": data.quiet_start,
        "quiet_end": data.quiet_end,
        "suppression_days": dict(sorted(data.suppression_days.items())),
        "updated_at": utcnow(),
    }
    # The defaults' row is made once (safely from several processes), then changed in place
    # under its lock: two saves at once leave one of them whole, never a mix.
    ensure_defaults(session)
    row = session.get(PolicySettings, POLICY, with_for_update=True, populate_existing=True)
    assert row is not None
    for name, value in values.items():
        setattr(row, name, value)
    session.flush()
    return _view(row)
