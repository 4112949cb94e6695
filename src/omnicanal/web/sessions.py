"""Signed session cookies (HMAC-SHA256 over the staff id and an expiry), stdlib only."""

from __future__ import annotations

import base64
import hashlib
import hmac
import time

__all__ = ["COOKIE", "SessionSigner"]

COOKIE = "omnicanal_staff"
LIFETIME_SECONDS = 12 * 3600  # one working day


class SessionSigner:
    """Signs and reads the session cookie with one secret key."""

    def __init__(self, secret: bytes) -> None:
        self._secret = secret

    def _mac(self, payload: str) -> str:
        digest = hmac.new(self._secret, payload.encode(), hashlib.sha256).digest()
        return base64.urlsafe_b64encode(digest).decode().rstrip("=")

    def sign(self, staff_id: str, *, now: float | None = None) -> str:
        expires = int((now or time.time()) + LIFETIME_SECONDS)
        payload = f"{staff_id}.{expires}"
        return f"{payload}.{self._mac(payload)}"

    def csrf_token(self, session_value: str) -> str:
        """The token every form of this session carries (bound to the session cookie)."""
        return self._mac(f"csrf|{session_value}")

    def read(self, value: str | None, *, now: float | None = None) -> str | None:
        """The staff id the cookie names, or None if it is missing, forged or expired."""
        if not value or value.count(".") != 2:
            return None
        staff_id, expires, mac = value.split(".")
        if not hmac.compare_digest(mac, self._mac(f"{staff_id}.{expires}")):
            return None
        if not expires.isdigit() or int(expires) < (now or time.time()):
            return None
        return staff_id
