"""Who is acting: every write is attributed to an API key (or the operator's CLI)."""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum


class ChannelKind(StrEnum):
    """The kinds of channel a key can speak for."""

    web = "web"
    app = "app"
    store = "store"
    call_centre = "call_centre"
    marketplace = "marketplace"


@dataclass(frozen=True)
class Actor:
    """The caller of a use case: which key, which channel, bound to which location if any."""

    key_id: str | None
    channel: str
    location_id: str | None = None
    location_code: str | None = None
    scopes: frozenset[str] = field(default_factory=frozenset)
    name: str = ""
    staff_id: str | None = None
    """The staff account behind a page's write, when a person at a page made it."""
    address: str | None = None
    """The client address of the request (for the audit log)."""
    user_agent: str | None = None
    requests_per_minute: int | None = None
    """The key's own request rate (0: unlimited); None: the platform's default
    (``Settings.rate_limit_per_minute``)."""

    @property
    def label(self) -> str:
        """How the actor appears in ledgers and event sources."""
        return f"key:{self.key_id}" if self.key_id else f"operator:{self.name or 'cli'}"


OPERATOR = Actor(key_id=None, channel="back_office", name="cli", scopes=frozenset({"*"}))
"""The operator running CLI commands on the server itself."""
