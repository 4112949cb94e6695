"""The audit log: an API write is recorded with its key, channel, store and origin in the same
transaction; a refused write changes nothing, the log included; reads are filtered."""

from __future__ import annotations

import logging
from datetime import timedelta

from sqlalchemy import select

from omnicanal.platform import audit
from omnicanal.platform.actors import Actor
from omnicanal.platform.audit import AuditEntry
from omnicanal.platform.auth import ApiKey
from omnicanal.platform.clock import utcnow
from tests.builders import auth, make_key, make_location, make_product, snapshot


def test_a_stock_movement_by_api_is_recorded_with_who_what_and_from_where(platform, client):
    make_location(platform, "LYON-01")
    sku = make_product(platform, "ROBE")[0]
    token = make_key(platform, "store", location="LYON-01")

    response = client.post(
        "/v1/inventory/movements",
        json={"sku": sku, "location": "LYON-01", "kind": "receipt", "quantity": 3},
        headers=auth(token, **{"User-Agent": "caisse/2.1"}),
    )

    assert response.status_code in (200, 201), response.text
    with platform.db.reading() as session:
        entries = session.scalars(select(AuditEntry)).all()
        key_id = session.scalar(select(ApiKey.id))
    assert len(entries) == 1
    entry = entries[0]
    assert (entry.operation, entry.resource_type, entry.outcome) == (
        "record_movement",
        "stock",
        "succeeded",
    )
    assert (entry.key_id, entry.actor, entry.channel, entry.location_code) == (
        key_id,
        f"key:{key_id}",
        "store",
        "LYON-01",
    )
    assert (entry.address, entry.user_agent) == ("testclient", "caisse/2.1")
    assert entry.resource_id == f"{sku}@LYON-01"


def test_a_refused_write_leaves_no_audit_row_and_is_logged(platform, client, caplog):
    make_location(platform, "LYON-01")
    token = make_key(platform, "store", location="LYON-01")
    before = snapshot(platform)

    with caplog.at_level(logging.WARNING, logger="omnicanal.audit"):
        response = client.post(
            "/v1/inventory/movements",
            json={"sku": "NO-SUCH-SKU", "location": "LYON-01", "kind": "receipt", "quantity": 3},
            headers=auth(token),
        )

    assert response.status_code == 404
    assert snapshot(platform) == before
    assert "refused record_movement by key:" in caplog.text
    assert "unknown_sku" in caplog.text


def test_reads_of_carts_are_not_audited_but_their_kinds_are_named():
    assert audit.audited_resource("cancel_order:01ABC") == "order"
    assert audit.audited_resource("fulfilment:01ABC:pick") == "fulfilment"
    assert audit.audited_resource("create_promotion") == "promotion"
    assert audit.audited_resource("add_cart_line:01ABC") is None


def test_the_log_is_filtered_by_who_what_and_time(platform):
    clerk = Actor(key_id=None, channel="store", location_code="LYON-01", name="lea@example.fr")
    web = Actor(key_id="01KEY00000000000000000000W", channel="web", name="web shop")
    now = utcnow()
    with platform.db.transaction() as session:
        audit.record(session, actor=clerk, operation="cancel_order:O1", at=now)
        audit.record(session, actor=web, operation="checkout", body={"id": "O2"}, at=now)
        audit.record(
            session,
            actor=web,
            operation="create_promotion",
            body={"id": "P1"},
            at=now - timedelta(days=3),
        )
        assert not audit.record(session, actor=web, operation="add_cart_line:C1")

    with platform.db.reading() as session:
        by_clerk = audit.list_entries(session, who="lea@")
        by_key = audit.list_entries(session, who=web.key_id)
        orders = audit.list_entries(session, what="order")
        recent = audit.list_entries(session, since=now - timedelta(days=1))
        one_order = audit.list_entries(session, what="O2")

    assert [row.resource_id for row in by_clerk] == ["O1"]
    assert sorted(row.resource_id for row in by_key) == ["O2", "P1"]
    assert sorted(row.resource_id for row in orders) == ["O1", "O2"]
    assert sorted(row.resource_id for row in recent) == ["O1", "O2"]
    assert [row.operation for row in one_order] == ["checkout"]
