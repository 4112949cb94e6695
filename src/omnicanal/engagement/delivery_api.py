"""HTTP routes of the providers' delivery reports (``/v1/engagement/feedback``): Brevo's
webhooks and the generic signed webhook's reports of deliveries, bounces, complaints and
unsubscriptions.

No API key here: Brevo presents the feedback token (``?token=`` or ``Authorization:
Bearer``, ``OMNICANAL_DELIVERY_FEEDBACK_TOKEN``), a webhook service signs its report with
the messages' webhook secret (Standard Webhooks). Either is checked, in constant time,
before the body is read; anything else is a 401 that changes nothing.
"""

from __future__ import annotations

import hmac
import json
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Header, Query, Request
from fastapi.exceptions import RequestValidationError
from pydantic import TypeAdapter, ValidationError

from omnicanal.engagement.delivery.feedback import (
    FeedbackRefused,
    brevo_report,
    record_reports,
    webhook_report,
)
from omnicanal.engagement.delivery.schemas import (
    MAX_BATCH,
    BrevoBatch,
    BrevoEvent,
    FeedbackOut,
    WebhookReportIn,
)
from omnicanal.engagement.delivery.webhook import BadSignature, verify
from omnicanal.engagement.errors import UnknownMessage
from omnicanal.platform.actors import Actor
from omnicanal.platform.http.deps import PlatformDep, write
from omnicanal.platform.http.openapi import FEEDBACK_TOKEN, WEBHOOK_SIGNATURE
from omnicanal.platform.http.problems import responses

__all__ = ["router"]

router = APIRouter(prefix="/v1/engagement/feedback", tags=["messages"])

_BREVO_ONE = TypeAdapter(BrevoEvent)
_BREVO_BATCH = TypeAdapter[Any](BrevoBatch)
_REPORT = TypeAdapter(WebhookReportIn)


def _body_schema(schema: dict[str, Any], *, credential: str) -> dict[str, Any]:
    """The OpenAPI of a report: its body, and the provider's credential (no API key)."""
    return {
        "requestBody": {"required": True, "content": {"application/json": {"schema": schema}}},
        "security": [{credential: []}],
    }


def _document(body: bytes) -> Any:
    """``body`` read as JSON, or the 400 problem of a malformed body."""
    try:
        return json.loads(body)
    except ValueError:
        raise RequestValidationError(
            [{"type": "json_invalid", "loc": ("body",), "msg": "JSON decode error"}]
        ) from None


def _validated(document: Any, adapter: TypeAdapter[Any]) -> Any:
    """``document`` validated by ``adapter``, or the 422 problem naming the field."""
    try:
        return adapter.validate_python(document)
    except ValidationError as error:
        raise RequestValidationError(
            [
                {"type": issue["type"], "loc": ("body", *issue["loc"]), "msg": issue["msg"]}
                for issue in error.errors()
            ]
        ) from None


def _actor(request: Request, provider: str) -> Actor:
    return Actor(
        key_id=None,
        channel="system",
        name=f"delivery feedback ({provider})",
        address=request.client.host if request.client else None,
        user_agent=request.headers.get("user-agent"),
    )


def brevo_caller(
    request: Request,
    platform: PlatformDep,
    token: Annotated[
        str | None, Query(max_length=200, description="The delivery feedback token")
    ] = None,
    authorization: Annotated[
        # The OpenAPI states it as the deliveryFeedbackToken security scheme.
        str | None, Header(max_length=300, include_in_schema=False)
    ] = None,
) -> Actor:
    """Brevo, when it presents the feedback token; else 401."""
    expected = platform.settings.delivery_feedback_token
    if not expected:
        raise FeedbackRefused(
            "Delivery reports are not taken here: OMNICANAL_DELIVERY_FEEDBACK_TOKEN is not set."
        )
    given = token
    if given is None and authorization and authorization[:7].lower() == "bearer ":
        given = authorization[7:].strip()
    if given is None or not hmac.compare_digest(given.encode(), expected.encode()):
        raise FeedbackRefused("The delivery feedback token is missing or wrong.")
    return _actor(request, "brevo")


async def _body(request: Request) -> bytes:
    return await request.body()


def webhook_caller(
    request: Request, platform: PlatformDep, body: Annotated[bytes, Depends(_body)]
) -> Actor:
    """A webhook service, when its report's signature holds; else 401."""
    secret = platform.settings.message_webhook_secret
    if not secret:
        raise FeedbackRefused(
            "Webhook reports are not taken here: OMNICANAL_MESSAGE_WEBHOOK_SECRET is not set."
        )
    try:
        verify(secret, request.headers, body)
    except BadSignature as error:
        raise FeedbackRefused(f"The report's signature does not hold: {error}.") from None
    return _actor(request, "webhook")


@router.post(
    "/brevo",
    response_model=FeedbackOut,
    responses=responses(400, 413, 415),
    openapi_extra=_body_schema(
        {
            "anyOf": [
                BrevoEvent.model_json_schema(),
                {
                    "type": "array",
                    # A title of its own: client generators name inline models by title.
                    "items": {**BrevoEvent.model_json_schema(), "title": "BrevoEventInBatch"},
                    "minItems": 1,
                    "maxItems": MAX_BATCH,
                },
            ]
        },
        credential=FEEDBACK_TOKEN,
    ),
)
def brevo_feedback(
    platform: PlatformDep,
    body: Annotated[bytes, Depends(_body)],
    actor: Annotated[Actor, Depends(brevo_caller)],
):
    """Brevo's transactional webhook events, e-mail and SMS, one or a batch: a delivery, a
    hard bounce (the address is set aside and marketing on it refused), a complaint
    (marketing and personalised offers refused on that channel), an unsubscription
    (refused everywhere); the others are acknowledged and set aside. A repeat changes
    nothing; an event about no message sent from here is counted as unknown."""
    document = _document(body)
    if isinstance(document, list):
        events: list[BrevoEvent] = _validated(document, _BREVO_BATCH)
    else:
        events = [_validated(document, _BREVO_ONE)]
    reports = [brevo_report(event) for event in events]
    return write(
        platform,
        actor=actor,
        idempotency_key=None,
        operation="delivery_feedback:brevo",
        payload=[event.model_dump(by_alias=True) for event in events],
        action=lambda session: record_reports(session, reports),
    )


@router.post(
    "/webhook",
    response_model=FeedbackOut,
    responses=responses(400, 404, 413, 415),
    openapi_extra=_body_schema(WebhookReportIn.model_json_schema(), credential=WEBHOOK_SIGNATURE),
)
def webhook_feedback(
    platform: PlatformDep,
    body: Annotated[bytes, Depends(_body)],
    actor: Annotated[Actor, Depends(webhook_caller)],
):
    """A webhook service's report (signed as the messages it received: ``webhook-id``,
    ``webhook-timestamp``, ``webhook-signature``): a message delivered, bounced, complained
    of or unsubscribed from, named by its id or the service's. A repeat changes nothing; a
    message not sent from here is a 404."""
    data: WebhookReportIn = _validated(_document(body), _REPORT)
    report = webhook_report(data)

    def record(session: Any) -> Any:
        summary = record_reports(session, [report])
        if summary.unknown:
            raise UnknownMessage(
                "No message sent from here has this id.",
                field="message_id" if data.message_id else "provider_message_id",
            )
        return summary

    return write(
        platform,
        actor=actor,
        idempotency_key=None,
        operation="delivery_feedback:webhook",
        payload=data,
        action=record,
    )
