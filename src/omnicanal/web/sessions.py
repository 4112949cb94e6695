"""The pages' session cookie: its name and how long a browser keeps it. The session itself
lives on the server (``omnicanal.staff.sessions``); the cookie only holds its random token."""

from __future__ import annotations

from omnicanal.staff.sessions import LIFETIME

__all__ = ["COOKIE", "LIFETIME_SECONDS"]

COOKIE = "omnicanal_staff"
LIFETIME_SECONDS = int(LIFETIME.total_seconds())
