"""Two guards around the journeys: news heard too long after its time writes to nobody
(a worker down for days, a history imported), and what a trigger planned does not leave once
head office switched the trigger off."""

from __future__ import annotations

from datetime import timedelta

from omnicanal.engagement import planning, triggers, watches
from omnicanal.engagement.models import Message
from omnicanal.engagement.schemas import StockWatchIn, TriggerUpdateIn
from omnicanal.platform.actors import OPERATOR, Actor, ChannelKind
from omnicanal.platform.clock import as_utc, utcnow
from tests.builders import receive
from tests.engagement.journey_builders import (
    consent,
    decisions_of,
    drain,
    make_person,
    messages,
    noon_after,
    run_send_due,
    smtp_platform,
)
from tests.mail_server import smtp_server
from tests.returns.builders import make_shop

ADMIN = Actor(
    key_id=None,
    channel=ChannelKind.call_centre,
    name="head office",
    scopes=frozenset({"engagement:read", "engagement:admin"}),
)


def _plan_back_in_stock(platform, person: str, *, due_ago: timedelta) -> Message | None:  # type: ignore[no-untyped-def]
    now = utcnow()
    with platform.db.transaction() as session:
        triggers.ensure_defaults(session)
        trigger = triggers.trigger_ref(session, "BACK_IN_STOCK")
        return planning.plan(
            session,
            trigger=trigger,
            profile_id=person,
            subject="stock/ROBE-M@PARIS-01",
            dedupe_key=f"guard:{person}:{due_ago}",
            reason_since=now - due_ago,
            due_at=now - due_ago,
            context={"sku": "ROBE-M", "location_code": "PARIS-01"},
            cause_event_id=None,
            now=now,
        )


def test_news_heard_days_after_its_time_plans_no_message(platform):
    person = make_person(platform, "lea@example.fr")
    assert _plan_back_in_stock(platform, person, due_ago=timedelta(days=3)) is None
    assert messages(platform, kind="back_in_stock") == []
    recent = _plan_back_in_stock(platform, person, due_ago=timedelta(hours=2))
    assert recent is not None
    assert [m.status for m in messages(platform, kind="back_in_stock")] == ["scheduled"]


def test_a_trigger_switched_off_withdraws_what_it_planned_at_sending_time(
    backend, tmp_path, request
):  # type: ignore[no-untyped-def]
    with smtp_server() as inbox:
        platform = smtp_platform(backend, tmp_path, request, inbox)
        try:
            shop = make_shop(platform)
            person = make_person(platform, "ines@example.fr")
            consent(platform, person)
            with platform.db.transaction() as session:
                watches.watch_stock(
                    session,
                    data=StockWatchIn(sku=shop.robe_m, location="PARIS-01", profile_id=person),
                    actor=OPERATOR,
                    region="FR",
                )
            receive(platform, shop.robe_m, "PARIS-01", 5)
            drain(platform)
            [planned] = messages(platform, kind="back_in_stock")
            assert planned.status == "scheduled"
            with platform.db.transaction() as session:
                triggers.update_trigger(
                    session, code="BACK_IN_STOCK", data=TriggerUpdateIn(active=False), actor=ADMIN
                )
            run_send_due(platform, noon_after(as_utc(planned.due_at)))
            [message] = messages(platform, kind="back_in_stock")
            assert (message.status, message.reason) == ("withdrawn", "trigger_off")
            assert decisions_of(platform, message.id)[-1][1:] == ("withdraw", "trigger_off")
            assert inbox.messages == []
        finally:
            platform.close()
