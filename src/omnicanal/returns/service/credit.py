"""Store credit: a balance per customer reference and currency, owned by the returns module,
with a ledger of every change (refunds give it; a till spends it)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from omnicanal.platform.actors import Actor
from omnicanal.platform.db import NO_SYNC, dialect_insert
from omnicanal.platform.ids import new_id
from omnicanal.returns.models import StoreCreditAccount, StoreCreditEntry
from omnicanal.returns.schemas import StoreCreditEntryOut, StoreCreditOut

__all__ = ["add_store_credit", "get_store_credit"]


def add_store_credit(
    session: Session,
    *,
    customer_ref: str,
    currency: str,
    amount_minor: int,
    reason: str,
    return_id: str | None,
    actor: Actor,
    now: datetime,
) -> int:
    """Credit ``amount_minor`` to the customer's balance (one atomic update, the account
    opened on first use) and write the ledger line; returns the balance after."""
    insert = dialect_insert(session)
    session.execute(
        insert(StoreCreditAccount)
        .values(
            id=new_id(),
            customer_ref=customer_ref,
            currency=currency,
            balance_minor=0,
            updated_at=now,
        )
        .on_conflict_do_nothing(index_elements=["customer_ref", "currency"])
    )
    account_id, balance = session.execute(
        update(StoreCreditAccount)
        .where(
            StoreCreditAccount.customer_ref == customer_ref,
            StoreCreditAccount.currency == currency,
        )
        .values(balance_minor=StoreCreditAccount.balance_minor + amount_minor, updated_at=now)
        .returning(StoreCreditAccount.id, StoreCreditAccount.balance_minor),
        execution_options=NO_SYNC,
    ).one()
    session.add(
        StoreCreditEntry(
            account_id=account_id,
            delta_minor=amount_minor,
            balance_after_minor=balance,
            reason=reason,
            return_id=return_id,
            actor=actor.label,
            occurred_at=now,
        )
    )
    return int(balance)


def get_store_credit(session: Session, *, customer_ref: str, currency: str) -> StoreCreditOut:
    """The customer's balance and its ledger, newest first (zero and empty when none)."""
    account = session.scalar(
        select(StoreCreditAccount).where(
            StoreCreditAccount.customer_ref == customer_ref,
            StoreCreditAccount.currency == currency,
        )
    )
    if account is None:
        return StoreCreditOut(
            customer_ref=customer_ref, currency=currency, balance_minor=0, entries=[]
        )
    entries = session.scalars(
        select(StoreCreditEntry)
        .where(StoreCreditEntry.account_id == account.id)
        .order_by(StoreCreditEntry.occurred_at.desc(), StoreCreditEntry.id.desc())
    )
    return StoreCreditOut(
        customer_ref=customer_ref,
        currency=currency,
        balance_minor=account.balance_minor,
        entries=[
            StoreCreditEntryOut(
                delta_minor=entry.delta_minor,
                balance_after_minor=entry.balance_after_minor,
                reason=entry.reason,
                return_id=entry.return_id,
                actor=entry.actor,
                at=entry.occurred_at,
            )
            for entry in entries
        ],
    )
