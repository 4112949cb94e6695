"""A retailer's system receiving webhooks, as docs/webhooks.md tells integrators to build
one: a real HTTP server in a thread that checks every request with the documented ``verify``
snippet and processes each ``webhook-id`` once (a repeat is answered 200, not processed).

The test can stop it ("kill" it: its port refuses connections), make it crash after
processing a given delivery (the request is processed, no answer goes back, the server stops),
bring it back on the same port, and make it answer something else than 200.
"""

from __future__ import annotations

import json
import re
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

from tests.conftest import free_port

DOCS = Path(__file__).parents[2] / "docs" / "webhooks.md"


def documented_verify() -> Callable[..., str]:
    """The ``verify`` function of docs/webhooks.md's "Verifying a delivery", as written."""
    text = DOCS.read_text()
    section = text[text.index("### Verifying a delivery") :]
    (snippet,) = [
        block
        for block in re.findall(r"```python\n(.*?)```", section, flags=re.DOTALL)
        if "def verify" in block
    ]
    namespace: dict[str, Any] = {}
    exec(compile(snippet, str(DOCS), "exec"), namespace)
    return namespace["verify"]  # type: ignore[no-any-return]


@dataclass(frozen=True)
class Request:
    """One request as it arrived: lower-case headers, raw body."""

    headers: dict[str, str]
    body: bytes

    def json(self) -> Any:
        return json.loads(self.body)


@dataclass
class Processed:
    """A delivery the receiver did the work of: its webhook-id and its event."""

    webhook_id: str
    event: dict[str, Any]


@dataclass
class Receiver:
    """The receiving system: what arrived, what was processed, what was refused."""

    secret: str
    port: int = field(default_factory=free_port)
    answer: Callable[[dict[str, Any]], int] | None = None
    """The status to answer a verified new delivery with (None: 200)."""
    crash_after: set[int] = field(default_factory=set)
    """Numbers of processed deliveries after which it crashes."""
    received: list[Request] = field(default_factory=list)
    processed: list[Processed] = field(default_factory=list)
    repeats: int = 0
    refused: int = 0
    crashes: int = 0
    _seen: set[str] = field(default_factory=set)
    _down: bool = True
    _server: ThreadingHTTPServer | None = None
    _thread: threading.Thread | None = None
    _closing: threading.Thread | None = None
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def __post_init__(self) -> None:
        self.verify = documented_verify()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/omnicanal/webhooks"

    @property
    def events(self) -> list[str]:
        """The ids of the events processed, in the order they were."""
        return [item.event["id"] for item in self.processed]

    def handle(self, request: Request) -> int | None:
        """The status to answer, or None to drop the connection without one."""
        with self._lock:
            if self._down:
                return None
            self.received.append(request)
            try:
                webhook_id = self.verify(self.secret, request.headers, request.body)
            except (ValueError, KeyError):
                self.refused += 1
                return 401
            if webhook_id in self._seen:
                self.repeats += 1
                return 200
            event = request.json()
            status = self.answer(event) if self.answer is not None else 200
            if status != 200:
                return status
            self._seen.add(webhook_id)
            self.processed.append(Processed(webhook_id, event))
            if len(self.processed) in self.crash_after:
                # Processed and stored, but the answer never leaves: the server goes down.
                self.crashes += 1
                self._down = True
                self._closing = threading.Thread(target=self._close, daemon=True)
                self._closing.start()
                return None
            return 200

    def start(self) -> Receiver:
        """Listen on the port (again, after a stop or a crash)."""
        if self._closing is not None:
            self._closing.join(timeout=10)
            self._closing = None
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                length = int(self.headers.get("content-length") or 0)
                request = Request(
                    headers={name.lower(): value for name, value in self.headers.items()},
                    body=self.rfile.read(length),
                )
                status = receiver.handle(request)
                if status is None:
                    self.close_connection = True
                    return
                self.send_response(status)
                self.send_header("content-length", "0")
                self.end_headers()

            def log_message(self, format: str, *args: Any) -> None:
                pass  # quiet tests

        server = ThreadingHTTPServer(("127.0.0.1", self.port), Handler)
        server.daemon_threads = True
        thread = threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True)
        thread.start()
        with self._lock:
            self._server, self._thread, self._down = server, thread, False
        return self

    def _close(self) -> None:
        with self._lock:
            server, thread = self._server, self._thread
            self._server = self._thread = None
        if server is not None:
            server.shutdown()
            server.server_close()
        if thread is not None:
            thread.join(timeout=10)

    def stop(self) -> None:
        """Stop listening: a connection to the port is refused."""
        with self._lock:
            self._down = True
        self._close()

    def __enter__(self) -> Receiver:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()
