"""HTTP routes of the message policy's facts and measures (``/v1/engagement``).

- ``POST /v1/engagement/facts``: the call centre (any customer) or a store (at its own
  store) reports a complaint, a dispute opened or closed, or a refused delivery
  (``engagement:write``); the policy weighs it from then on.
- ``GET /v1/engagement/measures``: sent, withheld and withdrawn messages by reason and per
  day, the unjust messages (must be 0) and the till-to-policy delay
  (``engagement:read``).
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any, Literal

from fastapi import APIRouter
from pydantic import BaseModel, Field, model_validator

from omnicanal.engagement import access
from omnicanal.engagement.facts import REPORT_SCOPE, report_fact
from omnicanal.engagement.measures import EngagementMeasures, measures
from omnicanal.engagement.models import Fact
from omnicanal.platform.actors import Actor
from omnicanal.platform.bounds import Moment, RequestModel
from omnicanal.platform.clock import as_utc, utcnow
from omnicanal.platform.errors import InvalidInput
from omnicanal.platform.http.deps import IdempotencyKey, PlatformDep, ReadSession, scope, write
from omnicanal.platform.http.problems import responses

__all__ = ["FactIn", "FactOut", "InvalidPeriod", "router"]

router = APIRouter(prefix="/v1/engagement", tags=["engagement"])

DEFAULT_PERIOD = timedelta(days=30)
MAX_PERIOD = timedelta(days=400)
SUBJECT_PATTERN = r"^(orders|fulfilments|returns|carts)/[A-Za-z0-9_-]{1,60}$"


class InvalidPeriod(InvalidInput):
    code = "invalid_period"
    title = "The period's start must come before its end, at most 400 days apart"


class FactIn(RequestModel):
    """A fact about a customer, reported by a person or an outside system."""

    kind: Literal["complaint", "dispute_opened", "dispute_closed", "refused_delivery"]
    profile_id: str | None = Field(default=None, min_length=1, max_length=26)
    customer_ref: str | None = Field(
        default=None,
        min_length=1,
        max_length=200,
        description="How a channel knows the customer: email:…, phone:…, a login, a card",
    )
    subject: str | None = Field(
        default=None,
        max_length=100,
        pattern=SUBJECT_PATTERN,
        description="What it is about: orders/<id>, fulfilments/<id>, returns/<id>, carts/<id>",
    )
    occurred_at: Moment | None = Field(default=None, description="When it happened (now)")
    location: str | None = Field(
        default=None, min_length=1, max_length=50, description="The store it happened at"
    )
    note: str | None = Field(default=None, max_length=500)

    @model_validator(mode="after")
    def _one_customer(self) -> FactIn:
        if (self.profile_id is None) == (self.customer_ref is None):
            raise ValueError("give the customer's profile_id or customer_ref (one of them)")
        return self


class FactOut(BaseModel):
    """A fact as the policy knows it."""

    id: str
    kind: str
    profile_id: str | None
    subject: str | None
    channel: str | None
    location_code: str | None
    occurred_at: datetime
    recorded_at: datetime
    detail: dict[str, Any]


def fact_out(fact: Fact) -> FactOut:
    return FactOut(
        id=fact.id,
        kind=fact.kind,
        profile_id=fact.profile_id,
        subject=fact.subject,
        channel=fact.channel,
        location_code=fact.location_code,
        occurred_at=as_utc(fact.occurred_at),
        recorded_at=as_utc(fact.recorded_at),
        detail=dict(fact.detail or {}),
    )


@router.post("/facts", status_code=201, response_model=FactOut, responses=responses(404))
def report_engagement_fact(
    body: FactIn,
    platform: PlatformDep,
    idempotency_key: IdempotencyKey = None,
    actor: Actor = scope(REPORT_SCOPE),
):
    """Report a complaint, a dispute opened or closed, or a refused delivery: marketing to
    the customer is held back for the policy's period (a dispute: until it is closed). The
    call centre reports for any customer; a store key at its own store (403
    ``location_forbidden`` for another); the web shop, the app and marketplaces not at all
    (403 ``engagement_forbidden``). An unknown customer is 422 ``unknown_customer``."""
    region = platform.settings.phone_region
    return write(
        platform,
        actor=actor,
        idempotency_key=idempotency_key,
        operation="engagement_fact",
        payload=body,
        status_code=201,
        action=lambda s: fact_out(
            report_fact(
                s,
                kind=body.kind,
                actor=actor,
                region=region,
                profile_id=body.profile_id,
                customer_ref=body.customer_ref,
                subject=body.subject,
                occurred_at=body.occurred_at,
                location_code=body.location,
                note=body.note,
            )
        ),
    )


@router.get("/measures", response_model=EngagementMeasures, responses=responses())
def engagement_measures(
    session: ReadSession,
    platform: PlatformDep,
    since: Moment | None = None,
    until: Moment | None = None,
    actor: Actor = scope("engagement:read"),
):
    """The messages' measures over a period (default: the last 30 days, at most 400): sent,
    withheld and withdrawn by reason and per day in the business's time zone, the unjust
    messages (sent while the policy, replayed with the facts as they had happened, would
    not have sent them: must be 0), and how long after they happened the policy learned
    facts, per channel."""
    access.check_reader(actor)
    until = as_utc(until) if until is not None else utcnow()
    since = as_utc(since) if since is not None else until - DEFAULT_PERIOD
    if not since < until or until - since > MAX_PERIOD:
        raise InvalidPeriod("since must come before until, at most 400 days apart.", field="since")
    return measures(
        session, since=since, until=until, time_zone=platform.settings.business_time_zone
    )
