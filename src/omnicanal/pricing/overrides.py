"""Channel price overrides: explicit, dated, with a reason and an author; and the audit.

A channel sells a SKU at its list price unless an override is in force for that channel:
``valid_from <= at < valid_until`` (open-ended when ``valid_until`` is empty). Overrides
never rewrite the past: a ``valid_from`` (or an end) in the past takes effect now.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import ColumnElement, or_, select
from sqlalchemy.orm import Session

from omnicanal.catalog import service as catalog
from omnicanal.network import service as network
from omnicanal.platform.actors import Actor
from omnicanal.platform.clock import as_utc, utcnow
from omnicanal.platform.events import record_event
from omnicanal.pricing import promotions
from omnicanal.pricing.errors import (
    MissingPrice,
    OverrideEnded,
    OverrideInThePast,
    OverrideOverlaps,
    UnknownOverride,
)
from omnicanal.pricing.events import PriceOverrideEnded, PriceOverrideSet
from omnicanal.pricing.models import ListPrice, PriceBook, PriceOverride
from omnicanal.pricing.schemas import (
    ChannelPrice,
    ConsistencyOut,
    OverrideIn,
    OverrideOut,
    PriceDifference,
    PromotionSummary,
)


def _book(session: Session, currency: str) -> PriceBook | None:
    return session.scalar(select(PriceBook).where(PriceBook.currency == currency))


def _in_force(at: datetime) -> tuple[ColumnElement[bool], ColumnElement[bool]]:
    return (
        PriceOverride.valid_from <= at,
        or_(PriceOverride.valid_until.is_(None), PriceOverride.valid_until > at),
    )


def override_out(override: PriceOverride, currency: str, list_minor: int | None) -> OverrideOut:
    return OverrideOut(
        id=override.id,
        sku=override.sku,
        channel=override.channel,
        currency=currency,
        price_minor=override.amount_minor,
        list_price_minor=list_minor,
        valid_from=override.valid_from,
        valid_until=override.valid_until,
        reason=override.reason,
        created_by=override.created_by,
        created_at=override.created_at,
        ended_at=override.ended_at,
        ended_by=override.ended_by,
        end_reason=override.end_reason,
    )


def set_override(session: Session, *, data: OverrideIn, currency: str, actor: Actor) -> OverrideOut:
    """Give a channel its own price for a SKU over a period; refuses overlapping periods."""
    currency = data.currency or currency
    variant = catalog.get_variant(session, data.sku)
    network.get_channel(session, data.channel)
    book = _book(session, currency)
    # Locking the list price row serialises overrides of one SKU (PostgreSQL; SQLite's
    # writers are serialised already), so the overlap check cannot race.
    listed = (
        session.scalar(
            select(ListPrice)
            .where(ListPrice.price_book_id == book.id, ListPrice.variant_id == variant.id)
            .with_for_update()
        )
        if book is not None
        else None
    )
    if book is None or listed is None:
        raise MissingPrice(
            f"SKU {data.sku} has no list price in {currency}: set one before overriding it.",
            field="sku",
            skus=[data.sku],
        )
    now = utcnow()
    valid_from = max(data.valid_from or now, now)
    if data.valid_until is not None and data.valid_until <= valid_from:
        raise OverrideInThePast(
            "valid_until is already past: this override would never be in force.",
            field="valid_until",
        )
    clash = session.scalar(
        select(PriceOverride).where(
            PriceOverride.price_book_id == book.id,
            PriceOverride.variant_id == variant.id,
            PriceOverride.channel == data.channel,
            or_(PriceOverride.valid_until.is_(None), PriceOverride.valid_until > valid_from),
            *(
                (PriceOverride.valid_from < data.valid_until,)
                if data.valid_until is not None
                else ()
            ),
        )
    )
    if clash is not None:
        raise OverrideOverlaps(
            f"Override {clash.id} already prices {data.sku} on {data.channel} from "
            f"{clash.valid_from.isoformat()}"
            + (f" until {clash.valid_until.isoformat()}" if clash.valid_until else "")
            + ": end it first.",
            field="valid_from",
            override_id=clash.id,
        )
    override = PriceOverride(
        price_book_id=book.id,
        variant_id=variant.id,
        sku=variant.sku,
        channel=data.channel,
        amount_minor=data.price_minor,
        valid_from=valid_from,
        valid_until=data.valid_until,
        reason=data.reason,
        created_by=actor.label,
        created_at=now,
    )
    session.add(override)
    session.flush()
    out = override_out(override, currency, listed.amount_minor)
    record_event(session, PriceOverrideSet.model_validate(out.model_dump()), actor=actor)
    return out


def end_override(
    session: Session,
    *,
    override_id: str,
    at: datetime | None = None,
    reason: str = "",
    actor: Actor,
) -> OverrideOut:
    """End an override at ``at`` (default now; never in the past): the list price returns."""
    override = session.get(PriceOverride, override_id, with_for_update=True)
    if override is None:
        raise UnknownOverride(f"No price override has the id {override_id!r}.", field="id")
    now = utcnow()
    end = max(as_utc(at) if at is not None else now, now)
    if override.ended_at is not None or (
        override.valid_until is not None and override.valid_until <= end
    ):
        raise OverrideEnded(
            f"Override {override_id} was already ended"
            + (f" (on {override.valid_until.isoformat()})." if override.valid_until else "."),
            field="at",
        )
    # An override that has not started yet is cancelled: its period becomes empty.
    override.valid_until = max(end, override.valid_from)
    override.ended_at = now
    override.ended_by = actor.label
    override.end_reason = reason or None
    session.flush()
    book = session.get(PriceBook, override.price_book_id)
    assert book is not None
    listed = session.get(ListPrice, (override.price_book_id, override.variant_id))
    out = override_out(override, book.currency, listed.amount_minor if listed else None)
    record_event(session, PriceOverrideEnded.model_validate(out.model_dump()), actor=actor)
    return out


def list_overrides(
    session: Session,
    *,
    currency: str,
    sku: str | None = None,
    channel: str | None = None,
    active_at: datetime | None = None,
) -> list[OverrideOut]:
    """Overrides in a currency, newest first; only those in force at ``active_at`` if given."""
    book = _book(session, currency)
    if book is None:
        return []
    query = (
        select(PriceOverride, ListPrice.amount_minor)
        .outerjoin(
            ListPrice,
            (ListPrice.price_book_id == PriceOverride.price_book_id)
            & (ListPrice.variant_id == PriceOverride.variant_id),
        )
        .where(PriceOverride.price_book_id == book.id)
        .order_by(PriceOverride.created_at.desc(), PriceOverride.id.desc())
    )
    if sku is not None:
        query = query.where(PriceOverride.sku == sku)
    if channel is not None:
        query = query.where(PriceOverride.channel == channel)
    if active_at is not None:
        query = query.where(*_in_force(as_utc(active_at)))
    return [override_out(o, currency, listed) for o, listed in session.execute(query)]


def effective_overrides(
    session: Session, *, currency: str, channel: str, variant_ids: Sequence[str], at: datetime
) -> dict[str, PriceOverride]:
    """The override in force for each of these variants on ``channel`` at ``at``."""
    return {
        override.variant_id: override
        for override in session.scalars(
            select(PriceOverride)
            .join(PriceBook, PriceBook.id == PriceOverride.price_book_id)
            .where(
                PriceBook.currency == currency,
                PriceOverride.channel == channel,
                PriceOverride.variant_id.in_(list(variant_ids)),
                *_in_force(at),
            )
        )
    }


def consistency(session: Session, *, currency: str, at: datetime | None = None) -> ConsistencyOut:
    """Every SKU whose price differs between channels at ``at`` (default now), and why."""
    at = as_utc(at) if at is not None else utcnow()
    channels = [channel.code for channel in network.list_channels(session)]
    book = _book(session, currency)
    active = (
        list(
            session.scalars(
                select(PriceOverride)
                .where(PriceOverride.price_book_id == book.id, *_in_force(at))
                .order_by(PriceOverride.sku, PriceOverride.channel)
            )
        )
        if book is not None
        else []
    )
    listed = {
        variant_id: amount
        for variant_id, amount in session.execute(
            select(ListPrice.variant_id, ListPrice.amount_minor).where(
                ListPrice.price_book_id == (book.id if book else None),
                ListPrice.variant_id.in_(sorted({o.variant_id for o in active})),
            )
        )
    }
    by_sku: dict[str, list[PriceOverride]] = {}
    for override in active:
        by_sku.setdefault(override.sku, []).append(override)
    items: list[PriceDifference] = []
    for sku, found in sorted(by_sku.items()):
        list_minor = listed.get(found[0].variant_id)
        if list_minor is None:
            continue
        by_channel = {override.channel: override for override in found}
        prices = [
            _channel_price(channel, list_minor, by_channel.get(channel))
            for channel in sorted({*channels, *by_channel})
        ]
        if len({price.price_minor for price in prices}) > 1:
            items.append(PriceDifference(sku=sku, list_price_minor=list_minor, prices=prices))
    return ConsistencyOut(
        at=at,
        currency=currency,
        channels=channels,
        items=items,
        channel_scoped_promotions=[
            PromotionSummary(code=p.code, name=p.name, channels=list(p.channels))
            for p in promotions.channel_scoped(session, at=at)
        ],
    )


def _channel_price(channel: str, list_minor: int, override: PriceOverride | None) -> ChannelPrice:
    if override is None:
        return ChannelPrice(channel=channel, price_minor=list_minor, source="list")
    return ChannelPrice(
        channel=channel,
        price_minor=override.amount_minor,
        source="override",
        override_id=override.id,
        reason=override.reason,
        valid_until=override.valid_until,
    )
