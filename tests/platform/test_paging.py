"""The one pagination: both orders, a composite key, cursors it refuses, a row that moves."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import String, create_engine, select, update
from sqlalchemy.orm import DeclarativeBase, Mapped, Session, mapped_column

from omnicanal.platform.paging import InvalidCursor, page_of
from omnicanal.platform.types import UtcDateTime

START = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)


class Base(DeclarativeBase):
    pass


class Thing(Base):
    __tablename__ = "things"

    id: Mapped[str] = mapped_column(String(26), primary_key=True)
    part: Mapped[str] = mapped_column(String(10), primary_key=True)
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime())


@pytest.fixture
def session() -> Iterator[Session]:
    """Things a..e, part 1 and 2 each, changed one minute apart in the order written."""
    engine = create_engine("sqlite://")
    Base.metadata.create_all(engine)
    with Session(engine) as session:
        moment = START
        for key in "abcde":
            for part in "12":
                session.add(Thing(id=key, part=part, updated_at=moment))
                moment += timedelta(minutes=1)
        session.commit()
        yield session
    engine.dispose()


def read_all(session: Session, **options: Any) -> tuple[list[tuple[str, str]], int]:
    """Every row, following next_cursor two at a time; and how many pages it took."""
    seen: list[tuple[str, str]] = []
    cursor, pages = None, 0
    while True:
        paged = page_of(
            session,
            select(Thing),
            limit=2,
            starting_after=cursor,
            changed=Thing.updated_at,
            **options,
        )
        seen += [(row.id, row.part) for row in paged.rows]
        pages += 1
        if not paged.has_more:
            assert paged.next_cursor is None
            return seen, pages
        cursor = paged.next_cursor


def test_the_natural_order_is_newest_key_first_and_each_row_comes_once(session):
    """Without updated_since: by key descending, one key or several (a ``k.`` cursor)."""
    single = page_of(
        session,
        select(Thing).where(Thing.part == "1"),
        key=Thing.id,
        changed=Thing.updated_at,
        limit=3,
    )
    assert ([row.id for row in single.rows], single.has_more, single.next_cursor) == (
        ["e", "d", "c"],
        True,
        "c",
    )

    seen, pages = read_all(session, key=(Thing.id, Thing.part))

    assert seen == [(key, part) for key in "edcba" for part in "21"]
    assert pages == 5


def test_updated_since_reads_the_changes_from_then_oldest_first(session):
    """Rows changed at or after the moment, by (change time, key); a ``c.`` cursor."""
    since = START + timedelta(minutes=5)

    seen, _ = read_all(session, key=(Thing.id, Thing.part), updated_since=since)

    assert seen == [("c", "2"), ("d", "1"), ("d", "2"), ("e", "1"), ("e", "2")]


def test_a_row_changed_while_paging_is_met_again_on_a_later_page(session):
    """The first page is read; then its first row changes: the next pages bring it back."""
    first = page_of(
        session,
        select(Thing),
        key=(Thing.id, Thing.part),
        changed=Thing.updated_at,
        limit=4,
        updated_since=START,
    )
    assert (first.rows[0].id, first.rows[0].part) == ("a", "1")
    session.execute(
        update(Thing)
        .where(Thing.id == "a", Thing.part == "1")
        .values(updated_at=START + timedelta(hours=1))
    )

    rest = page_of(
        session,
        select(Thing),
        key=(Thing.id, Thing.part),
        changed=Thing.updated_at,
        limit=100,
        starting_after=first.next_cursor,
        updated_since=START,
    )

    assert [(row.id, row.part) for row in rest.rows][-1] == ("a", "1")
    assert len(rest.rows) == 10 - 4 + 1


@pytest.mark.parametrize(
    ("cursor", "since"),
    [
        ("c.bm90IGpzb24", START),  # not JSON
        ("c.WyIyMDI2LTEyLTAxVDA5OjAwOjAwIiwiYSIsIjEiXQ", START),  # a time without a zone
        ("k.WyJhIl0", None),  # one key part where the list has two
        ("a", None),  # a single key for a composite-key list
        ("k.WyJhIiwiMSJd", START),  # a natural-order cursor with updated_since
        ("x" * 401, None),  # longer than any cursor made here
    ],
)
def test_a_cursor_not_made_by_this_list_is_refused(session, cursor, since):
    with pytest.raises(InvalidCursor) as refused:
        page_of(
            session,
            select(Thing),
            key=(Thing.id, Thing.part),
            changed=Thing.updated_at,
            starting_after=cursor,
            updated_since=since,
        )
    assert refused.value.code == "invalid_cursor"


def test_a_change_cursor_is_refused_in_the_natural_order(session):
    """A cursor made with updated_since, passed without it, is refused."""
    made = page_of(
        session, select(Thing), key=Thing.id, changed=Thing.updated_at, limit=1, updated_since=START
    )
    assert made.next_cursor is not None and made.next_cursor.startswith("c.")
    with pytest.raises(InvalidCursor):
        page_of(
            session,
            select(Thing),
            key=Thing.id,
            changed=Thing.updated_at,
            starting_after=made.next_cursor,
        )


@pytest.mark.parametrize("cursor", ["n'importe quoi", "01JF" + "!" * 22, "0" * 25])
def test_a_key_cursor_that_is_no_ulid_is_refused_in_the_natural_order(session, cursor):
    """On a ULID-keyed list, a cursor that cannot be one of its keys is refused, not read as
    an empty page."""
    with pytest.raises(InvalidCursor):
        page_of(
            session, select(Thing), key=Thing.id, changed=Thing.updated_at, starting_after=cursor
        )
