"""What the staff pages accept from a form, a query string or a path: UTF-8 text without NUL.

Browsers percent-encode what is typed, so a NUL (``%00``) or bytes that are no UTF-8 (a lone
surrogate, ``%ED%A0%80``) reach us only from a hand-made request. Replacing them would change
what was sent, and PostgreSQL refuses a NUL in any text; the page answers 400 instead.
"""

from __future__ import annotations

from urllib.parse import parse_qsl, unquote_to_bytes

from omnicanal.platform.bounds import check_text

__all__ = ["PageInputRefused", "address_is_clean", "parse_fields"]


class PageInputRefused(Exception):
    """A form or query string holding a NUL or bytes that are not UTF-8."""


def parse_fields(encoded: bytes) -> dict[str, str]:
    """An ``application/x-www-form-urlencoded`` text, one value per field (the first), or
    :class:`PageInputRefused`."""
    try:
        pairs = parse_qsl(encoded.decode(), keep_blank_values=True, errors="strict")
        for name, value in pairs:
            check_text(name)
            check_text(value)
    except (UnicodeDecodeError, ValueError):
        raise PageInputRefused from None
    fields: dict[str, str] = {}
    for name, value in pairs:
        fields.setdefault(name, value)
    return fields


def address_is_clean(raw_path: bytes, query_string: bytes) -> bool:
    """Whether a request's raw path and query string decode to text without NUL."""
    try:
        check_text(unquote_to_bytes(raw_path).decode())
        parse_fields(query_string)
    except (UnicodeDecodeError, ValueError, PageInputRefused):
        return False
    return True
