"""Read sessions: what a read leaves behind on the database."""

from __future__ import annotations

import pytest
from sqlalchemy import select, text

from omnicanal.network.models import Channel


@pytest.mark.parametrize("backend", ["postgresql"])
def test_a_read_on_postgresql_leaves_no_transaction_open(platform):
    """Each statement of a read runs on its own, as PostgreSQL's READ COMMITTED reads anyway:
    a connection kept by a read that is still going (a page being drawn, an export being
    sent) is idle, not idle in a transaction holding back VACUUM, and no BEGIN or ROLLBACK
    round trip goes with it."""
    with platform.db.reading() as session:
        channels = session.scalars(select(Channel.code)).all()
        pid = session.execute(text("SELECT pg_backend_pid()")).scalar_one()
        with platform.db.write_engine.connect() as other:
            state = other.execute(
                text("SELECT state FROM pg_stat_activity WHERE pid = :pid"), {"pid": pid}
            ).scalar_one()

    assert "web" in channels
    assert state == "idle"


@pytest.mark.parametrize("backend", ["postgresql"])
def test_a_write_transaction_on_postgresql_still_holds_its_transaction(platform):
    """Writes keep their transaction: what they do lands at the commit, or not at all."""
    with platform.db.transaction() as session:
        session.execute(select(Channel.code)).all()
        pid = session.execute(text("SELECT pg_backend_pid()")).scalar_one()
        with platform.db.write_engine.connect() as other:
            state = other.execute(
                text("SELECT state FROM pg_stat_activity WHERE pid = :pid"), {"pid": pid}
            ).scalar_one()

    assert state == "idle in transaction"
