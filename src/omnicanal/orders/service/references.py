"""The reference rows a checkout reads (channels, locations, networks, SKUs), read once per
transaction.

A checkout asks for the same channel, store or SKU at several steps (the channel check, the
lines' stores, the network, the reservations). Each is looked up once per transaction and
kept in ``session.info``: reference rows do not change under a checkout, and the memo ends
with the transaction, so nothing stale outlives it.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any, TypeVar, cast

from sqlalchemy.orm import Session

from omnicanal.catalog import service as catalog
from omnicanal.catalog.lookups import VariantRef
from omnicanal.network import service as network
from omnicanal.network.lookups import ChannelRef, LocationRef

__all__ = ["channel", "fulfilling_locations", "location", "variants"]

MEMO = "orders.references"
"""``session.info`` key: the transaction and the reference rows it read."""

_T = TypeVar("_T")


def _memo(session: Session) -> dict[tuple[str, str], Any]:
    transaction = session.get_transaction()
    held = session.info.get(MEMO)
    if held is None or held[0] is not transaction:
        held = session.info[MEMO] = (transaction, {})
    return cast(dict[tuple[str, str], Any], held[1])


def _once(session: Session, kind: str, code: str, load: Callable[[], _T]) -> _T:
    memo = _memo(session)
    key = (kind, code)
    if key not in memo:
        memo[key] = load()
    return cast(_T, memo[key])


def channel(session: Session, code: str) -> ChannelRef:
    """The channel with this code (``UnknownChannel`` otherwise)."""
    return _once(session, "channel", code, lambda: network.get_channel(session, code))


def location(session: Session, code: str) -> LocationRef:
    """The location with this code (``UnknownLocation`` otherwise)."""
    return _once(session, "location", code, lambda: network.get_location(session, code))


def fulfilling_locations(session: Session, channel_code: str) -> list[LocationRef]:
    """The active locations whose stock the channel may sell, preferred first
    (``UnknownChannel`` for an unknown channel)."""
    return _once(
        session,
        "fulfilling",
        channel_code,
        lambda: network.fulfilling_locations(session, channel_code),
    )


def variants(session: Session, skus: Iterable[str]) -> dict[str, VariantRef]:
    """The variants of these SKUs (``UnknownSku`` names every unknown one)."""
    memo = _memo(session)
    wanted = list(dict.fromkeys(skus))
    missing = [sku for sku in wanted if ("variant", sku) not in memo]
    if missing:
        for sku, variant in catalog.resolve_skus(session, missing).items():
            memo[("variant", sku)] = variant
    return {sku: memo[("variant", sku)] for sku in wanted}
