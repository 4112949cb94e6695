"""Timeline and graph ids: ULID-shaped, and increasing within a process."""

from __future__ import annotations

from ulid import ULID

from omnicanal.customers.identity.ids import fast_id


def test_ids_are_ulids_that_increase_even_within_one_millisecond():
    ids = [fast_id() for _ in range(20_000)]

    assert ids == sorted(ids)
    assert len(set(ids)) == len(ids)
    assert str(ULID.from_str(ids[0])) == ids[0]
