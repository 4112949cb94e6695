"""Real servers for the delivery tests: an SMTP relay with STARTTLS and an account
(aiosmtpd, a certificate made for the test), and a local HTTP server that answers as the
test tells it and keeps every request it received."""

from __future__ import annotations

import datetime as dt
import ipaddress
import json
import ssl
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from tests.conftest import free_port
from tests.mail_server import Inbox, _Handler


@dataclass(frozen=True)
class Certificate:
    """A self-signed certificate for 127.0.0.1, as files."""

    cert: Path
    key: Path

    def server_context(self) -> ssl.SSLContext:
        context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        context.load_cert_chain(self.cert, self.key)
        return context


def make_certificate(folder: Path) -> Certificate:
    """A key and a self-signed certificate naming 127.0.0.1, written to ``folder``."""
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "127.0.0.1")])
    now = dt.datetime.now(dt.UTC)
    certificate = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(hours=1))
        .not_valid_after(now + dt.timedelta(days=1))
        .add_extension(
            x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]),
            critical=False,
        )
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    cert_path, key_path = folder / "relay.pem", folder / "relay.key"
    cert_path.write_bytes(certificate.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    return Certificate(cert=cert_path, key=key_path)


class _Refusing(_Handler):
    """Answers RCPT or DATA with a given reply instead of taking the message."""

    def __init__(self, inbox: Inbox, *, rcpt: str | None, data: str | None) -> None:
        super().__init__(inbox)
        self.rcpt = rcpt
        self.data = data

    async def handle_RCPT(
        self, server: Any, session: Any, envelope: Any, address: str, options: Any
    ) -> str:
        if self.rcpt is not None:
            return self.rcpt
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        if self.data is not None:
            return self.data
        return await super().handle_DATA(server, session, envelope)


@contextmanager
def smtp_relay(
    *,
    certificate: Certificate | None = None,
    account: tuple[str, str] | None = None,
    refuse_rcpt: str | None = None,
    refuse_data: str | None = None,
) -> Iterator[Inbox]:
    """A running SMTP relay: STARTTLS required with ``certificate``, sign-in required with
    ``account``, and RCPT or DATA refused with the given replies."""
    port = free_port()
    inbox = Inbox(url=f"smtp://127.0.0.1:{port}")
    signed_in: list[str] = []

    def authenticator(
        server: Any, session: Any, envelope: Any, mechanism: str, data: Any
    ) -> AuthResult:
        given = (
            (data.login.decode(), data.password.decode())
            if isinstance(data, LoginPassword)
            else None
        )
        if given is not None and given == account:
            signed_in.append(given[0])
            return AuthResult(success=True)
        return AuthResult(success=False, handled=False)

    options: dict[str, Any] = {}
    if certificate is not None:
        options.update(tls_context=certificate.server_context(), require_starttls=True)
    if account is not None:
        options.update(authenticator=authenticator, auth_required=True, auth_require_tls=True)
    controller = Controller(
        _Refusing(inbox, rcpt=refuse_rcpt, data=refuse_data),
        hostname="127.0.0.1",
        port=port,
        **options,
    )
    controller.start()
    inbox.signed_in = signed_in  # type: ignore[attr-defined]
    try:
        yield inbox
    finally:
        controller.stop()


@dataclass
class Received:
    """One request the HTTP server received."""

    method: str
    path: str
    headers: dict[str, str]
    body: bytes

    def json(self) -> Any:
        return json.loads(self.body)


Answer = tuple[int, Any]
"""A status and a JSON body (None: no body)."""


@dataclass
class HttpServer:
    """What the server received, and how it answers: ``answer`` is called with each
    request; a ValueError it raises is a 400 naming the broken rule."""

    url: str
    answer: Callable[[Received], Answer]
    received: list[Received] = field(default_factory=list)


@contextmanager
def http_server(answer: Callable[[Received], Answer]) -> Iterator[HttpServer]:
    """A local HTTP server in a thread, answering every POST with ``answer``."""
    port = free_port()
    server_state = HttpServer(url=f"http://127.0.0.1:{port}", answer=answer)

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            length = int(self.headers.get("content-length") or 0)
            request = Received(
                method="POST",
                path=self.path,
                headers={name.lower(): value for name, value in self.headers.items()},
                body=self.rfile.read(length),
            )
            server_state.received.append(request)
            try:
                status, body = server_state.answer(request)
            except ValueError as error:
                status, body = 400, {"code": "invalid_parameter", "message": str(error)}
            payload = b"" if body is None else json.dumps(body).encode()
            self.send_response(status)
            self.send_header("content-type", "application/json")
            self.send_header("content-length", str(len(payload)))
            self.end_headers()
            self.wfile.write(payload)

        def log_message(self, format: str, *args: Any) -> None:
            """Silent: the tests read the requests themselves, not the server's log lines."""

    server = ThreadingHTTPServer(("127.0.0.1", port), Handler)
    thread = threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    try:
        yield server_state
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=10)
