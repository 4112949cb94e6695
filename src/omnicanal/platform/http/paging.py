"""The query parameters of every list: ``limit``, ``starting_after`` and ``updated_since``."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Annotated

from fastapi import Depends, Query

from omnicanal.platform.bounds import Moment
from omnicanal.platform.paging import DEFAULT_LIMIT, MAX_CURSOR_LENGTH, MAX_LIMIT


@dataclass(frozen=True, slots=True)
class PageQuery:
    limit: int
    starting_after: str | None
    updated_since: datetime | None


def page_query(
    limit: Annotated[
        int, Query(ge=1, le=MAX_LIMIT, description="How many items at most on this page")
    ] = DEFAULT_LIMIT,
    starting_after: Annotated[
        str | None,
        Query(
            max_length=MAX_CURSOR_LENGTH,
            description="The next_cursor of the previous page (same filters, same updated_since)",
        ),
    ] = None,
    updated_since: Annotated[
        Moment | None,
        Query(
            description=(
                "Only what changed at or after this moment, oldest change first: keep the "
                "updated_at of the last item you stored and ask again from there"
            ),
            examples=["2026-12-01T00:00:00Z"],
        ),
    ] = None,
) -> PageQuery:
    return PageQuery(limit=limit, starting_after=starting_after, updated_since=updated_since)


Paging = Annotated[PageQuery, Depends(page_query)]
"""A list operation's paging parameters: ``paging: Paging``."""

PageLimit = Annotated[
    int, Query(ge=1, le=MAX_LIMIT, description="How many items at most on this page")
]
"""``limit`` alone, for a list that takes no ``updated_since``."""
StartingAfter = Annotated[
    str | None,
    Query(max_length=MAX_CURSOR_LENGTH, description="The next_cursor of the previous page"),
]
"""``starting_after`` alone, for an append-only log read without ``updated_since``."""
DeprecatedCursor = Annotated[
    str | None,
    Query(
        deprecated=True,
        max_length=MAX_CURSOR_LENGTH,
        description="Deprecated: the same as starting_after (the previous page's next_cursor)",
    ),
]
"""A list's former cursor parameter (``after``, ``cursor``), kept one release as an alias of
``starting_after``: ``after: DeprecatedCursor = None``, then
``paging.starting_after or after``."""
