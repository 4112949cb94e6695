"""One pagination for every collection: ``limit``, ``starting_after`` and ``updated_since``.

A list answers a :class:`Page`: its ``items``, ``has_more`` and ``next_cursor``, which the
caller passes back as ``starting_after`` for the next page. The cursor is opaque to callers.

Two orders, one cursor:

- without ``updated_since``, a collection is read in its natural order, newest first (by its
  ULID key, which grows with time); the cursor is the last key of the page (``k.`` + base64url
  JSON when the key has several columns);
- with ``updated_since``, it is read in the order of the last change, oldest change first,
  from that moment on, so a connector syncs incrementally: it keeps the ``updated_at`` of the
  last item it stored and asks again from there (ADR 0029). A row changed while the connector
  pages moves behind the cursor and is met again on a later page or the next sync. The cursor
  holds the last item's change time and key (``c.`` + base64url JSON).

A cursor made in one order and passed with the other is refused, as is one not made here.
"""

from __future__ import annotations

import base64
import binascii
import json
import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Generic, TypeVar

from pydantic import BaseModel, Field
from sqlalchemy import ColumnElement, Select, tuple_
from sqlalchemy.orm import QueryableAttribute, Session

from omnicanal.platform.errors import InvalidInput

T = TypeVar("T")
Row = TypeVar("Row")
C = TypeVar("C")

Column = ColumnElement[C] | QueryableAttribute[C]
"""A column to page by: a mapped attribute (``Order.id``) or any column expression."""

DEFAULT_LIMIT = 50
MAX_LIMIT = 500
MAX_CURSOR_LENGTH = 400
CHANGE_PREFIX = "c."
KEYS_PREFIX = "k."
ULID_LENGTH = 26
ULID = re.compile(r"[0-9A-HJKMNP-TV-Za-hjkmnp-tv-z]{26}")


class Page(BaseModel, Generic[T]):
    """One page of a collection; pass ``next_cursor`` as ``starting_after`` for the next."""

    items: list[T]
    has_more: bool = Field(description="More items follow this page")
    next_cursor: str | None = Field(
        description="Pass as starting_after for the next page (null on the last page)"
    )


class InvalidCursor(InvalidInput):
    code = "invalid_cursor"
    title = "This cursor was not made by this list"


@dataclass(frozen=True, slots=True)
class Paged(Generic[Row]):
    """The rows of one page, read by :func:`page_of`."""

    rows: list[Row]
    has_more: bool
    next_cursor: str | None

    def page(self, items: Sequence[T]) -> Page[T]:
        """The API page of these rows, once each row is shaped as an item."""
        return Page[T](items=list(items), has_more=self.has_more, next_cursor=self.next_cursor)


def _encode_change(at: datetime, keys: Sequence[str]) -> str:
    raw = json.dumps([at.isoformat(), *keys], separators=(",", ":")).encode()
    return CHANGE_PREFIX + base64.urlsafe_b64encode(raw).decode().rstrip("=")


def _decode_change(cursor: str, width: int) -> tuple[datetime, list[str]]:
    body = cursor[len(CHANGE_PREFIX) :]
    try:
        raw = base64.urlsafe_b64decode(body + "=" * (-len(body) % 4))
        values = json.loads(raw)
    except (binascii.Error, ValueError, UnicodeDecodeError):
        raise _invalid() from None
    if (
        not isinstance(values, list)
        or len(values) != width + 1
        or not all(isinstance(value, str) for value in values)
    ):
        raise _invalid()
    try:
        at = datetime.fromisoformat(values[0])
    except ValueError:
        raise _invalid() from None
    if at.tzinfo is None:
        raise _invalid()
    return at, values[1:]


def _encode_keys(keys: Sequence[str]) -> str:
    """The natural order's cursor: the last key itself, or its parts when it has several."""
    if len(keys) == 1:
        return keys[0]
    raw = json.dumps(list(keys), separators=(",", ":")).encode()
    return KEYS_PREFIX + base64.urlsafe_b64encode(raw).decode().rstrip("=")


def _decode_keys(cursor: str, width: int) -> list[str]:
    if width == 1:
        if cursor.startswith(KEYS_PREFIX):
            raise _invalid()
        return [cursor]
    if not cursor.startswith(KEYS_PREFIX):
        raise _invalid()
    body = cursor[len(KEYS_PREFIX) :]
    try:
        values = json.loads(base64.urlsafe_b64decode(body + "=" * (-len(body) % 4)))
    except (binascii.Error, ValueError, UnicodeDecodeError):
        raise _invalid() from None
    if (
        not isinstance(values, list)
        or len(values) != width
        or not all(isinstance(value, str) for value in values)
    ):
        raise _invalid()
    return values


def _is_ulid_column(column: Any) -> bool:
    """A key column that holds ULIDs (``String(26)``, :func:`omnicanal.platform.ids.new_id`)."""
    return getattr(column.type, "length", None) == ULID_LENGTH


def _invalid() -> InvalidCursor:
    return InvalidCursor(
        "starting_after must be the next_cursor of the previous page of this list, "
        "asked with the same updated_since.",
        field="starting_after",
    )


def page_of(
    session: Session,
    query: Select[Any],
    *,
    key: Column[Any] | Sequence[Column[Any]],
    changed: Column[datetime],
    limit: int = DEFAULT_LIMIT,
    starting_after: str | None = None,
    updated_since: datetime | None = None,
    key_of: Any = None,
    changed_of: Any = None,
) -> Paged[Any]:
    """Read one page of ``query`` (a select of one entity, already filtered by the caller's
    rights and filters).

    ``key``: the unique key column(s), strings (a ULID gives the natural order, newest first);
    ``changed``: the column of the last change (``updated_at``). ``key_of`` and
    ``changed_of`` read them back from a row (by default the attributes of the same names).
    """
    keys = list(key) if isinstance(key, Sequence) else [key]
    if starting_after is not None and len(starting_after) > MAX_CURSOR_LENGTH:
        raise _invalid()
    if updated_since is None:
        if starting_after is not None:
            if starting_after.startswith(CHANGE_PREFIX):
                raise _invalid()
            after = _decode_keys(starting_after, len(keys))
            if len(keys) == 1 and _is_ulid_column(keys[0]) and not ULID.fullmatch(after[0]):
                raise _invalid()
            query = query.where(
                tuple_(*keys) < tuple_(*after) if len(keys) > 1 else keys[0] < after[0]
            )
        query = query.order_by(*(column.desc() for column in keys))
    else:
        query = query.where(changed >= updated_since)
        if starting_after is not None:
            if not starting_after.startswith(CHANGE_PREFIX):
                raise _invalid()
            at, after = _decode_change(starting_after, len(keys))
            query = query.where(tuple_(changed, *keys) > tuple_(at, *after))
        query = query.order_by(changed.asc(), *(column.asc() for column in keys))
    rows = list(session.scalars(query.limit(limit + 1)))
    more = len(rows) > limit
    rows = rows[:limit]
    cursor: str | None = None
    if more and rows:
        last = rows[-1]
        read_keys = key_of or (lambda row: [getattr(row, str(column.key)) for column in keys])
        values = [str(value) for value in read_keys(last)]
        if updated_since is None:
            cursor = _encode_keys(values)
        else:
            read_changed = changed_of or (lambda row: getattr(row, str(changed.key)))
            cursor = _encode_change(read_changed(last), values)
    return Paged(rows=rows, has_more=more, next_cursor=cursor)
