"""The returns module's part of a person's rights: their returns and store credit exported,
or kept for the accounts without the person's identity.

A return is part of the sales records (it reverses a sale) and stays, like the order, with
its customer reference removed. A store credit balance is money owed: it stays in the
accounts under a reference that no longer names anyone.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import or_, select, update
from sqlalchemy.orm import Session

from omnicanal.platform.db import NO_SYNC, rowcount
from omnicanal.returns.models import Return, StoreCreditAccount
from omnicanal.returns.service import get_return, get_store_credit

__all__ = ["anonymise_returns", "export_returns", "export_store_credit", "returns_of"]

ERASED_PREFIX = "erased:"


def returns_of(
    session: Session, *, customer_refs: Sequence[str], order_ids: Sequence[str]
) -> list[str]:
    """The ids of the returns filed under one of the person's references or of their orders."""
    return list(
        session.scalars(
            select(Return.id)
            .where(or_(Return.customer_ref.in_(customer_refs), Return.order_id.in_(order_ids)))
            .order_by(Return.requested_at, Return.id)
        )
    )


def export_returns(session: Session, *, return_ids: Sequence[str]) -> list[dict[str, Any]]:
    """Each return with its lines, history, refund or exchange."""
    return [
        get_return(session, return_id=return_id).model_dump(mode="json") for return_id in return_ids
    ]


def export_store_credit(session: Session, *, customer_refs: Sequence[str]) -> list[dict[str, Any]]:
    """The person's store credit balances, with their ledgers."""
    accounts = session.execute(
        select(StoreCreditAccount.customer_ref, StoreCreditAccount.currency)
        .where(StoreCreditAccount.customer_ref.in_(customer_refs))
        .order_by(StoreCreditAccount.customer_ref, StoreCreditAccount.currency)
    ).all()
    return [
        get_store_credit(session, customer_ref=ref, currency=currency).model_dump(mode="json")
        for ref, currency in accounts
    ]


def anonymise_returns(
    session: Session, *, return_ids: Sequence[str], customer_refs: Sequence[str]
) -> int:
    """Remove the person from their returns and store credit, keeping what the accounts
    need; how many rows changed."""
    changed = rowcount(
        session.execute(
            update(Return)
            .where(Return.id.in_(return_ids), Return.customer_ref.is_not(None))
            .values(customer_ref=None),
            execution_options=NO_SYNC,
        )
    )
    for account in session.scalars(
        select(StoreCreditAccount).where(StoreCreditAccount.customer_ref.in_(customer_refs))
    ):
        account.customer_ref = f"{ERASED_PREFIX}{account.id}"
        changed += 1
    session.flush()
    return changed
