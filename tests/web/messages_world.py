"""Builders for the back office's message pages: messages planned, decided and sent by the
engagement module itself, from the platform's own events.

Head office sends cart reminders at once and keeps no quiet hours. Inès and Zoé accepted
marketing e-mails and each left a web cart; Léa sold Zoé's cart at the Lyon counter, which
withdrew her reminder; Inès's reminder went to the local mailbox (no provider configured).
Zoé had returned an item at the Lyon till two days before (the till told the policy four
minutes later); when she filled a new web cart, its reminder was withheld.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from fastapi.testclient import TestClient

from omnicanal.carts import service as carts
from omnicanal.carts.schemas import CartIn, CartLineIn
from omnicanal.customers import service as customers
from omnicanal.customers.identifiers import IdentifierKind
from omnicanal.engagement import facts, triggers
from omnicanal.engagement import settings as policy_settings
from omnicanal.engagement.models import Message
from omnicanal.engagement.schemas import TriggerUpdateIn
from omnicanal.platform.actors import OPERATOR
from omnicanal.platform.clock import utcnow
from omnicanal.platform.ids import new_id
from omnicanal.platform.wiring import Platform
from tests.engagement.fact_builders import make_person
from tests.engagement.journey_builders import consent, drain, messages, run_send_due
from tests.web.test_store_pages import WEB, sign_in
from tests.web.test_store_selling import post, profile_path, sale_form

INES = "ines@example.fr"


def zoe_id(platform: Platform) -> str:
    """Zoé's profile, found by her e-mail."""
    with platform.db.reading() as session:
        return customers.find_profile_id(
            session, kind=IdentifierKind.email, value="zoe@example.fr", region="FR"
        )


def remind_at_once(platform: Platform) -> None:
    """Head office's settings: a cart reminder leaves as soon as the cart is left, and no
    quiet hours hold marketing back (the pages are tested at any hour)."""
    with platform.db.transaction() as session:
        triggers.ensure_defaults(session)
        triggers.update_trigger(
            session,
            code="ABANDONED_CART",
            data=TriggerUpdateIn(delay_minutes=0),
            actor=OPERATOR,
        )
        current = policy_settings.policy_settings(session)
        policy_settings.save_policy_settings(
            session,
            data=policy_settings.PolicySettingsIn.model_validate(
                {
                    "frequency_caps": current.frequency_caps,
                    "quiet_start": "00:00",
                    "quiet_end": "00:00",
                    "suppression_days": current.suppression_days,
                }
            ),
            actor=OPERATOR,
        )


def web_cart(platform: Platform, customer_ref: str, sku: str) -> None:
    """A web cart of one ``sku`` for the customer."""
    with platform.db.transaction() as session:
        carts.create_cart(
            session,
            data=CartIn(customer_ref=customer_ref, lines=[CartLineIn(sku=sku, quantity=1)]),
            actor=WEB,
            currency="EUR",
        )


def till_return(
    platform: Platform, profile_id: str, *, at: datetime, learned: datetime | None = None
) -> None:
    """An item of the person's returned at the Lyon till at ``at``, which the policy learned
    at ``learned`` (four minutes later unless said)."""
    with platform.db.transaction() as session:
        facts.record_fact(
            session,
            profile_id=profile_id,
            kind="returned",
            occurred_at=at,
            subject=f"returns/{new_id()}",
            channel="store",
            location_code="LYON",
            recorded_at=learned or at + timedelta(minutes=4),
        )


def _latest(platform: Platform, profile_id: str) -> Message:
    return [m for m in messages(platform, kind="abandoned_cart") if m.profile_id == profile_id][-1]


def message_scene(platform: Platform, client: TestClient, sku: str) -> dict[str, str]:
    """The scene of the module's docstring, on the Lyon world with Zoé and her web cart of
    ``sku`` (Léa, a Lyon clerk, sells it); returns the messages' ids by what became of them,
    and the people's profile ids."""
    remind_at_once(platform)
    ines = make_person(platform, INES, traits={"first_name": "Inès"})
    zoe = zoe_id(platform)
    consent(platform, ines)
    consent(platform, zoe)
    web_cart(platform, f"email:{INES}", sku)
    drain(platform)
    sign_in(client, "lea@example.fr")
    path = profile_path(client)
    sold = post(client, path, {**sale_form(client, path, "carry_out"), "payment_reference": "T-1"})
    assert sold.status_code == 303, sold.text
    drain(platform)
    withdrawn = _latest(platform, zoe)
    assert run_send_due(platform, utcnow()) == 1
    sent = _latest(platform, ines)
    till_return(platform, zoe, at=utcnow() - timedelta(days=2))
    web_cart(platform, "zoe", sku)
    drain(platform)
    run_send_due(platform, utcnow())
    withheld = _latest(platform, zoe)
    assert (sent.status, withdrawn.status, withheld.status) == ("sent", "withdrawn", "withheld")
    return {
        "sent": sent.id,
        "withdrawn": withdrawn.id,
        "withheld": withheld.id,
        "ines": ines,
        "zoe": zoe,
    }


def add_message(
    platform: Platform,
    *,
    profile_id: str | None,
    kind: str = "abandoned_cart",
    purpose: str = "marketing",
    status: str = "scheduled",
    created_at: datetime | None = None,
    **more: Any,
) -> str:
    """A message row as the journeys leave one (for the pages' paging, which needs many);
    returns its id."""
    created = created_at or utcnow() - timedelta(hours=4)
    message_id = new_id()
    with platform.db.transaction() as session:
        session.add(
            Message(
                id=message_id,
                trigger_code=kind.upper(),
                kind=kind,
                purpose=purpose,
                profile_id=profile_id,
                language="fr",
                subject=f"carts/{new_id()}",
                dedupe_key=f"{kind}:{message_id}",
                context={},
                status=status,
                reason_since=created,
                due_at=created + timedelta(hours=3),
                created_at=created,
                channel="email",
                recipient="zoe@example.fr",
                **more,
            )
        )
    return message_id
