"""The clerk records the customer's answer about marketing at the counter
(``POST /store/customers/{id}/consents``), in one tap: accepts or refuses news by e-mail or
by SMS.

The answer goes to the consent ledger as given at the till of the clerk's store, the clerk
as its proof, through the write wrapper with a key made when the page was rendered, so a
double tap records it once. A refusal shows the customer page again, nothing changed, with
why in the consent panel.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse, Response
from sqlalchemy.orm import Session

from omnicanal.customers import service as customers
from omnicanal.customers.errors import UnknownProfile
from omnicanal.engagement import consents
from omnicanal.engagement.errors import InvalidConsent
from omnicanal.platform.clock import utcnow
from omnicanal.platform.errors import DomainError
from omnicanal.platform.http.deps import PlatformDep
from omnicanal.platform.idempotency import run_write
from omnicanal.staff import service as staff
from omnicanal.web import counter
from omnicanal.web.consent_panel import ANSWERS, PANEL_CHANNELS, PANEL_PURPOSE
from omnicanal.web.edge import Form, Member, WebDep

__all__ = ["CONSENT_PROBLEMS", "router"]

router = APIRouter()  # included by the store router, under /store

CONSENT_PROBLEMS = frozenset({"no_store", "invalid_consent", "idempotency_key_reused"})
"""The refusals the panel explains; any other reads "refused, nothing changed"."""


def _refused(
    request: Request,
    edge: WebDep,
    platform: PlatformDep,
    member: staff.StaffMember,
    profile_id: str,
    error: DomainError,
) -> Response:
    """The customer page again, nothing changed, with why in the consent panel."""
    return counter.customer_page_refused(
        request,
        edge,
        platform,
        member,
        profile_id,
        error,
        panel="consent_problem",
        explained=CONSENT_PROBLEMS,
    )


@router.post("/customers/{profile_id}/consents")
def record_answer(
    request: Request,
    edge: WebDep,
    platform: PlatformDep,
    member: Member,
    form: Form,
    profile_id: str,
) -> Response:
    """Record the customer's answer about news on one channel, given at this store's till."""
    channel = form.get("channel", "")
    answer = form.get("answer", "")
    try:
        if channel not in PANEL_CHANNELS or answer not in ANSWERS:
            raise InvalidConsent("Choose the customer's answer for e-mail or SMS.", field="channel")
        with platform.db.reading() as session:
            actor = staff.acting_as(session, member)
            root = customers.profile_root(session, profile_id).id

        def record(session: Session) -> dict[str, Any]:
            entry = consents.record_consent(
                session,
                profile_id=root,
                purpose=PANEL_PURPOSE,
                channel=channel,
                granted=ANSWERS[answer],
                source="till",
                actor=actor,
                occurred_at=utcnow(),
                location_code=actor.location_code,
                proof={"form": "counter", "staff_id": member.id},
            )
            return {"consent_entry_id": entry.id}

        run_write(
            platform.db,
            actor=actor,
            key=form.get("consent_key", "").strip()[:200] or None,
            operation=f"store_consent:{root}",
            payload={"channel": channel, "answer": answer},
            status_code=201,
            action=record,
        )
    except UnknownProfile:
        return edge.renderer.render(
            request, "store/error.html", {"problem": "unknown_customer"}, status_code=404
        )
    except DomainError as error:
        return _refused(request, edge, platform, member, profile_id, error)
    return RedirectResponse(f"/store/customers/{profile_id}#consents-title", status_code=303)
