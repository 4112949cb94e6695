"""The events of the privacy module."""

from __future__ import annotations

from omnicanal.platform.events import DomainEvent

__all__ = ["CustomerErased"]


class CustomerErased(DomainEvent):
    """A person was erased: every consumer and connected system forgets what it holds under
    these profile ids (the event itself carries no personal value)."""

    type = "customer.erased"
    example = {
        "erasure_id": "01JQ7Z0000000000000000ERAS",
        "profile_ids": ["01JQ7Z0000000000000000PRF1", "01JQ7Z0000000000000000PRF2"],
        "reason": "request",
    }

    erasure_id: str
    profile_ids: list[str]
    reason: str

    @property
    def subject(self) -> str:
        return f"erasures/{self.erasure_id}"
