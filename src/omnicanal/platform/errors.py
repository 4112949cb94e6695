"""Domain errors: a machine code and a human sentence, nothing about HTTP.

The API maps each family (not found, conflict, invalid, forbidden) to its status in one place.
"""

from __future__ import annotations

from typing import Any


class DomainError(Exception):
    """A business rule said no. ``code`` is stable for machines, ``detail`` is for people."""

    code = "domain_error"
    title = "The request could not be carried out"

    def __init__(self, detail: str, *, field: str | None = None, **extra: Any) -> None:
        super().__init__(detail)
        self.detail = detail
        self.field = field
        self.extra = extra


class NotFound(DomainError):
    code = "not_found"
    title = "Not found"


class Conflict(DomainError):
    code = "conflict"
    title = "Conflicts with the current state"


class InvalidInput(DomainError):
    code = "invalid_input"
    title = "Invalid input"


class Forbidden(DomainError):
    code = "forbidden"
    title = "Not allowed for this caller"


class Throttled(DomainError):
    """The caller sends faster than it is allowed to; the same request succeeds later."""

    code = "throttled"
    title = "Too many requests"


class Unauthenticated(DomainError):
    code = "unauthenticated"
    title = "Missing or unknown credentials"
    # The WWW-Authenticate challenge of the 401: which credentials to send.
    challenge = "Bearer"
