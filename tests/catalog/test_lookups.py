"""What other modules read of the catalogue: SKU and id lookups within a transaction."""

from __future__ import annotations

from sqlalchemy import select

from omnicanal.catalog import lookups
from omnicanal.catalog.models import Product, Variant
from tests.builders import make_product


def test_a_lookup_sees_the_variants_the_transaction_added_and_not_yet_written(platform):
    """An import or the demo adds sizes and reads them back by SKU in one transaction: the
    lookup writes what the session holds first, as the ORM's own queries do."""
    make_product(platform, "GILET-IRIS")
    with platform.db.transaction() as session:
        product_id = session.scalars(select(Product.id)).one()
        session.add(Variant(sku="GILET-IRIS-XXL", product_id=product_id, size="XXL"))

        by_sku = lookups.known_skus(session, ["GILET-IRIS-XXL", "GILET-IRIS-ZZ"])
        by_id = lookups.variants_by_id(session, [by_sku["GILET-IRIS-XXL"].id])

    assert list(by_sku) == ["GILET-IRIS-XXL"]
    assert (by_sku["GILET-IRIS-XXL"].size, by_sku["GILET-IRIS-XXL"].product_code) == (
        "XXL",
        "GILET-IRIS",
    )
    assert list(by_id.values()) == [by_sku["GILET-IRIS-XXL"]]


def test_a_lookup_in_a_no_autoflush_block_writes_nothing_early(platform):
    """Where a use case holds a half-built row back (``no_autoflush``), a lookup does not
    write it: it reads what the database holds."""
    (sku,) = make_product(platform, "GILET-IRIS")
    with platform.db.transaction() as session, session.no_autoflush:
        product_id = session.scalars(select(Product.id)).one()
        half_built = Variant(sku="GILET-IRIS-XS", product_id=product_id)
        session.add(half_built)

        found = lookups.known_skus(session, [sku, "GILET-IRIS-XS"])

        assert list(found) == [sku]
        assert half_built in session.new
        session.expunge(half_built)
