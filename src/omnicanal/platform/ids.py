"""Sortable unique ids (ULID) for entities and events."""

from ulid import ULID


def new_id() -> str:
    """A new ULID as its 26-character string: sortable by creation time."""
    return str(ULID())
