"""A person's rights reach every engagement table: the export holds her consent ledger, the
facts, her messages with their decisions and deliveries, her stock watches; the erasure
leaves none of her identifiers in them, keeps the ledger as proof naming no one, withdraws
what was not sent, and touches nobody else."""

from __future__ import annotations

import json
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import select

from omnicanal.engagement import privacy as engagement
from omnicanal.engagement.models import (
    ConsentEntry,
    Decision,
    Delivery,
    Fact,
    Message,
    StockWatch,
)
from omnicanal.platform.clock import utcnow
from omnicanal.platform.db import Base
from omnicanal.platform.events import OutboxEvent
from omnicanal.platform.wiring import Platform
from tests.builders import auth, make_key
from tests.engagement.consent_builders import answer, make_person

TABLES = (ConsentEntry, Fact, Message, Decision, Delivery, StockWatch)
ZOE_EMAIL = "zoe@example.fr"


def give_her_engagement(platform: Platform, profile_id: str, *, email: str) -> dict[str, str]:
    """A row of every engagement table about the person: a fact, a sent message with its
    decision and delivery, a scheduled one, a stock watch (and, through the ledger, her
    answers); the ids of the messages."""
    now = utcnow()
    answer(
        platform,
        profile_id,
        granted=True,
        at=now - timedelta(days=3),
        proof={"form": "signup", "user_agent": "Firefox", "address": email},
    )
    answer(platform, profile_id, "marketing", "sms", granted=False, at=now - timedelta(days=2))
    with platform.db.transaction() as session:
        session.add(
            Fact(
                profile_id=profile_id,
                kind="complaint",
                subject=f"orders/ORDER-{profile_id[-4:]}",
                channel="call_centre",
                detail={"text": f"{email} says the parcel never came"},
                occurred_at=now - timedelta(days=1),
            )
        )
        sent = Message(
            trigger_code="ABANDONED_CART",
            kind="abandoned_cart",
            purpose="marketing",
            profile_id=profile_id,
            language="fr",
            subject=f"carts/CART-{profile_id[-4:]}",
            dedupe_key=f"ABANDONED_CART:carts/CART:{profile_id}",
            context={"first_name": "Zoé", "email": email},
            status="sent",
            reason_since=now - timedelta(days=1),
            due_at=now - timedelta(hours=20),
            sent_at=now - timedelta(hours=20),
            channel="email",
            recipient=email,
            reason_facts={"cart": profile_id},
            rendered_subject="Zoé, votre panier vous attend",
            rendered_text=f"Bonjour Zoé ({email})",
            rendered_html=f"<p>Bonjour Zoé ({email})</p>",
        )
        waiting = Message(
            trigger_code="WIN_BACK",
            kind="win_back",
            purpose="marketing",
            profile_id=profile_id,
            language="fr",
            subject=f"profiles/{profile_id}",
            dedupe_key=f"WIN_BACK:profiles/{profile_id}",
            context={"first_name": "Zoé"},
            status="scheduled",
            reason_since=now,
            due_at=now + timedelta(days=1),
        )
        session.add_all([sent, waiting])
        session.flush()
        session.add_all(
            [
                Decision(
                    message_id=sent.id,
                    stage="send",
                    outcome="send",
                    reason="allowed",
                    facts={"email": email},
                ),
                Delivery(
                    message_id=sent.id,
                    channel="email",
                    provider="smtp",
                    recipient=email,
                    outcome="bounced",
                    detail=f"550 {email}: no such user",
                ),
                StockWatch(
                    profile_id=profile_id, sku="ROBE-M", location_code="LYON", channel="web"
                ),
            ]
        )
        return {"sent": sent.id, "waiting": waiting.id}


@pytest.fixture
def people(platform, client) -> dict[str, Any]:  # type: ignore[no-untyped-def]
    zoe = make_person(platform, client)
    ines = make_person(platform, client, user_id="ines", email="ines@example.fr")
    return {
        "zoe": zoe,
        "ines": ines,
        "zoe_messages": give_her_engagement(platform, zoe, email=ZOE_EMAIL),
        "ines_messages": give_her_engagement(platform, ines, email="ines@example.fr"),
        "privacy": make_key(platform, "call_centre", scopes=["privacy:export", "privacy:erase"]),
    }


def engagement_rows(platform: Platform) -> dict[str, list[dict[str, Any]]]:
    with platform.db.reading() as session:
        return {
            model.__tablename__: [
                dict(row._mapping) for row in session.execute(select(model.__table__))
            ]
            for model in TABLES
        }


def mentions(platform: Platform, needle: str) -> list[str]:
    """The engagement tables holding ``needle`` anywhere in a row."""
    found = []
    for table, rows in engagement_rows(platform).items():
        for row in rows:
            text = json.dumps(row, ensure_ascii=False, default=str)
            if needle in text:
                found.append(table)
    return sorted(set(found))


def test_the_export_holds_her_rows_of_every_engagement_table_and_no_one_elses(
    platform, client, people
):
    response = client.get(f"/v1/profiles/{people['zoe']}/export", headers=auth(people["privacy"]))

    assert response.status_code == 200, response.text
    export = response.json()
    counts = {
        table: len(export[table])
        for table in (
            "consent_entries",
            "engagement_facts",
            "messages",
            "message_decisions",
            "message_deliveries",
            "stock_watches",
        )
    }
    assert counts == {
        "consent_entries": 2,
        "engagement_facts": 1,
        "messages": 2,
        "message_decisions": 1,
        "message_deliveries": 1,
        "stock_watches": 1,
    }
    assert "ines@example.fr" not in json.dumps(export)
    assert {m["id"] for m in export["messages"]} == set(people["zoe_messages"].values())
    assert export["messages"][0]["recipient"] in (ZOE_EMAIL, None)


def test_the_csv_export_has_a_file_per_engagement_table(platform, client, people):
    import io
    import zipfile

    response = client.get(
        f"/v1/profiles/{people['zoe']}/export",
        params={"format": "csv"},
        headers=auth(people["privacy"]),
    )

    names = zipfile.ZipFile(io.BytesIO(response.content)).namelist()
    for table in ("consent_entries", "engagement_facts", "messages", "message_deliveries"):
        assert f"{table}.csv" in names


def test_erasing_her_leaves_nothing_of_her_in_any_engagement_table(platform, client, people):
    zoe, ines = people["zoe"], people["ines"]
    assert mentions(platform, ZOE_EMAIL) and mentions(platform, zoe)
    ines_before = {
        table: sorted(
            json.dumps(row, default=str, sort_keys=True)
            for row in rows
            if ines in json.dumps(row, default=str)
            or "ines@example.fr" in json.dumps(row, default=str)
        )
        for table, rows in engagement_rows(platform).items()
    }

    response = client.post(f"/v1/profiles/{zoe}/erase", headers=auth(people["privacy"]))

    assert response.status_code == 200, response.text
    counts = response.json()["counts"]
    assert counts["consent_entries_anonymised"] == 2
    assert counts["engagement_facts_anonymised"] == 1
    assert counts["messages_anonymised"] == 2
    assert counts["messages_withdrawn"] == 1
    assert counts["message_deliveries_anonymised"] == 1
    assert counts["stock_watches"] == 1
    assert mentions(platform, ZOE_EMAIL) == []
    assert mentions(platform, zoe) == []
    ines_after = {
        table: sorted(
            json.dumps(row, default=str, sort_keys=True)
            for row in rows
            if ines in json.dumps(row, default=str)
            or "ines@example.fr" in json.dumps(row, default=str)
        )
        for table, rows in engagement_rows(platform).items()
    }
    assert ines_after == ines_before


def test_her_ledger_stays_as_proof_naming_no_one_and_her_messages_without_content(
    platform, client, people
):
    client.post(f"/v1/profiles/{people['zoe']}/erase", headers=auth(people["privacy"]))

    rows = engagement_rows(platform)
    kept = [row for row in rows["consent_entries"] if row["proof"].get("erased_at")]
    assert len(kept) == 2
    assert len({row["profile_id"] for row in kept}) == 1  # still one (unnamed) person
    signup = next(row for row in kept if row["channel"] == "email")
    assert set(signup["proof"]) == {"form", "erased_at"}
    messages = {row["id"]: row for row in rows["messages"]}
    sent = messages[people["zoe_messages"]["sent"]]
    waiting = messages[people["zoe_messages"]["waiting"]]
    assert (sent["status"], sent["recipient"], sent["rendered_html"], sent["context"]) == (
        "sent",
        None,
        None,
        {},
    )
    assert (waiting["status"], waiting["reason"]) == ("withdrawn", engagement.ERASED_REASON)
    decisions = [row for row in rows["message_decisions"] if row["message_id"] == waiting["id"]]
    assert [(d["outcome"], d["reason"]) for d in decisions] == [("withdraw", "erased")]
    assert not any(row["profile_id"] == people["zoe"] for row in rows["stock_watches"])


def test_her_consent_events_are_scrubbed_from_the_outbox(platform, client, people):
    client.post(f"/v1/profiles/{people['zoe']}/erase", headers=auth(people["privacy"]))

    with platform.db.reading() as session:
        data = session.scalars(
            select(OutboxEvent.data).where(
                OutboxEvent.type == "consent.changed",
                OutboxEvent.subject == f"profiles/{people['zoe']}",
            )
        ).all()
    assert data
    assert all(event["profile_id"] is None for event in data)


def test_every_engagement_table_that_names_a_person_is_reached():
    """A new engagement table naming a person, or one of their messages, needs its place in
    the export and the erasure."""
    from omnicanal.engagement import models

    tables = [
        value.__table__
        for value in vars(models).values()
        if isinstance(value, type) and issubclass(value, Base) and value is not Base
    ]
    naming = {
        table.name
        for table in tables
        if {"profile_id", "message_id", "recipient"} & set(table.c.keys())
    }
    assert naming == {model.__tablename__ for model in TABLES}
