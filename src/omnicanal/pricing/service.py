"""Use cases of the pricing module."""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from sqlalchemy import select
from sqlalchemy.orm import Session

from omnicanal.platform.money import Money
from omnicanal.pricing.models import ListPrice, PriceBook


def price_book(session: Session, currency: str) -> PriceBook:
    """The price book of ``currency``, created on first use."""
    book = session.scalar(select(PriceBook).where(PriceBook.currency == currency))
    if book is None:
        book = PriceBook(code=f"list-{currency.lower()}", currency=currency)
        session.add(book)
        session.flush()
    return book


def set_list_prices(session: Session, *, currency: str, prices: Mapping[str, int]) -> None:
    """Set list prices (variant id -> minor units) in the currency's price book."""
    book = price_book(session, currency)
    existing = {
        price.variant_id: price
        for price in session.scalars(
            select(ListPrice).where(
                ListPrice.price_book_id == book.id, ListPrice.variant_id.in_(list(prices))
            )
        )
    }
    for variant_id, amount in prices.items():
        if variant_id in existing:
            existing[variant_id].amount_minor = amount
        else:
            session.add(
                ListPrice(price_book_id=book.id, variant_id=variant_id, amount_minor=amount)
            )
    session.flush()


def list_prices(session: Session, *, currency: str, variant_ids: Iterable[str]) -> dict[str, Money]:
    """List prices of these variants (those that have one) in ``currency``."""
    rows = session.execute(
        select(ListPrice.variant_id, ListPrice.amount_minor)
        .join(PriceBook, PriceBook.id == ListPrice.price_book_id)
        .where(PriceBook.currency == currency, ListPrice.variant_id.in_(list(variant_ids)))
    )
    return {variant_id: Money(amount, currency) for variant_id, amount in rows}
