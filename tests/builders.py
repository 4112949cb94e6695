"""Builders for test data: a store, a product, a key, some stock."""

from __future__ import annotations

import itertools

from omnicanal.catalog.gtin import make_gtin13
from omnicanal.catalog.schemas import ProductIn, VariantIn
from omnicanal.inventory import service as inventory
from omnicanal.inventory.schemas import MovementIn, MovementKind
from omnicanal.network import service as network
from omnicanal.network.schemas import Capabilities, LocationIn
from omnicanal.platform.actors import OPERATOR, ChannelKind
from omnicanal.platform.address import Address
from omnicanal.platform.auth import create_api_key
from omnicanal.platform.bounds import MAX_AMOUNT_MINOR
from omnicanal.platform.wiring import Platform
from omnicanal.pricing import products as priced

_gtins = itertools.count(1)


def make_location(
    platform: Platform,
    code: str,
    *,
    kind: str = "store",
    channels: tuple[str, ...] = ("web", "app", "store"),
    latitude: float = 45.7640,
    longitude: float = 4.8357,
    city: str = "Lyon",
    name: str | None = None,
    opening_hours: dict[str, list[list[str]]] | None = None,
) -> str:
    """A location serving ``channels`` (named "Store LYON" unless ``name``), open at
    ``opening_hours`` if given; returns its code."""
    with platform.db.transaction() as session:
        network.ensure_default_channels(session)
        network.create_location(
            session,
            data=LocationIn(
                code=code,
                name=name or f"{kind.title()} {code}",
                kind=kind,
                address=Address(city=city, latitude=latitude, longitude=longitude),
                capabilities=Capabilities(
                    sells_in_store=kind == "store",
                    ships=True,
                    click_and_collect=kind == "store",
                    accepts_returns=kind == "store",
                ),
                channels=list(channels),
                opening_hours=opening_hours,
            ),
            actor=OPERATOR,
        )
    return code


def make_product(platform: Platform, code: str, *, sizes: tuple[str, ...] = ("M",)) -> list[str]:
    """A product with one variant per size and valid GTINs; returns the SKUs."""
    variants = [
        VariantIn(
            sku=f"{code}-{size}",
            gtin=make_gtin13(f"37612345{next(_gtins):04d}"),
            size=size,
            colour="noir",
            price_minor=4990,
        )
        for size in sizes
    ]
    with platform.db.transaction() as session:
        priced.create_priced_products(
            session,
            products=[
                ProductIn(code=code, name=f"Produit {code}", category="Robes", variants=variants)
            ],
            actor=OPERATOR,
            currency="EUR",
        )
    return [variant.sku for variant in variants]


def make_one_size_product(
    platform: Platform,
    code: str,
    *,
    name: str,
    category: str,
    colour: str,
    price_minor: int,
    gtin: str,
) -> str:
    """A product of one variant (size U) at ``price_minor``; returns its SKU."""
    sku = f"{code}-U"
    with platform.db.transaction() as session:
        priced.create_priced_products(
            session,
            products=[
                ProductIn(
                    code=code,
                    name=name,
                    category=category,
                    variants=[
                        VariantIn(
                            sku=sku,
                            gtin=make_gtin13(gtin),
                            size="U",
                            colour=colour,
                            price_minor=price_minor,
                        )
                    ],
                )
            ],
            actor=OPERATOR,
            currency="EUR",
        )
    return sku


def make_dearest_watch(platform: Platform, *, location: str, quantity: int) -> str:
    """A gold watch in the Montres category at the dearest price a one-line order may carry
    (``MAX_AMOUNT_MINOR`` - 1), ``quantity`` in stock at ``location``; returns its SKU."""
    watch = make_one_size_product(
        platform,
        "MONTRE-OR",
        name="Montre en or",
        category="Montres",
        colour="or",
        price_minor=MAX_AMOUNT_MINOR - 1,
        gtin="376123459998",
    )
    receive(platform, watch, location, quantity)
    return watch


def receive(platform: Platform, sku: str, location: str, quantity: int) -> None:
    """A goods receipt of ``quantity`` units."""
    with platform.db.transaction() as session:
        inventory.record_movement(
            session,
            data=MovementIn(
                sku=sku, location=location, kind=MovementKind.receipt, quantity=quantity
            ),
            actor=OPERATOR,
        )


def make_key(
    platform: Platform,
    channel: str,
    *,
    location: str | None = None,
    scopes: list[str] | None = None,
) -> str:
    """A new API key's secret for ``channel`` (bound to ``location`` if given)."""
    with platform.db.transaction() as session:
        place = network.get_location(session, location) if location else None
        _, token = create_api_key(
            session,
            channel=ChannelKind(channel),
            name=f"test {channel}",
            scopes=scopes,
            location=place,
        )
    return token


def auth(token: str, **headers: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}", **headers}


def snapshot(platform: Platform) -> dict[str, object]:
    """Every table's row count and the stock totals: equal snapshots mean nothing changed."""
    from sqlalchemy import func, select

    from omnicanal.inventory.models import StockLevel
    from omnicanal.platform.db import Base

    counts: dict[str, object] = {}
    with platform.db.reading() as session:
        for table in Base.metadata.sorted_tables:
            counts[table.name] = session.scalar(select(func.count()).select_from(table))
        counts["stock"] = tuple(
            session.execute(
                select(
                    func.coalesce(func.sum(StockLevel.on_hand), 0),
                    func.coalesce(func.sum(StockLevel.reserved), 0),
                )
            ).one()
        )
    return counts
