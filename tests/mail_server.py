"""A real SMTP server for the tests that send e-mail (aiosmtpd, on a free local port)."""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from email import message_from_bytes, policy
from email.message import EmailMessage
from typing import Any

from aiosmtpd.controller import Controller

from tests.conftest import free_port


@dataclass
class Inbox:
    """What the server received: each message with the envelope's recipients."""

    url: str
    messages: list[tuple[list[str], EmailMessage]] = field(default_factory=list)

    def wait_for(self, count: int, timeout: float = 5.0) -> list[tuple[list[str], EmailMessage]]:
        """The messages once ``count`` have arrived (the server runs in its own thread)."""
        deadline = time.monotonic() + timeout
        while len(self.messages) < count and time.monotonic() < deadline:
            time.sleep(0.02)
        return self.messages


class _Handler:
    def __init__(self, inbox: Inbox) -> None:
        self.inbox = inbox

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        parsed = message_from_bytes(envelope.original_content, policy=policy.default)
        assert isinstance(parsed, EmailMessage)
        self.inbox.messages.append((list(envelope.rcpt_tos), parsed))
        return "250 Message accepted for delivery"


@contextmanager
def smtp_server() -> Iterator[Inbox]:
    """A running SMTP server and the messages it receives."""
    port = free_port()
    inbox = Inbox(url=f"smtp://127.0.0.1:{port}")
    controller = Controller(_Handler(inbox), hostname="127.0.0.1", port=port)
    controller.start()
    try:
        yield inbox
    finally:
        controller.stop()
