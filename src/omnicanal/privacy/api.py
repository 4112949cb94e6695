"""HTTP routes of the privacy module: a person's export (JSON or a zip of CSV) and erasure."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Query
from fastapi.responses import Response

from omnicanal.platform.actors import Actor
from omnicanal.platform.http.deps import IdempotencyKey, PlatformDep, ReadSession, scope, write
from omnicanal.platform.http.problems import responses
from omnicanal.privacy import service
from omnicanal.privacy.schemas import ErasureOut, ErasureRecord

router = APIRouter(prefix="/v1", tags=["privacy"])
Format = Annotated[
    Literal["json", "csv"], Query(description="json, or csv: a zip with one CSV file per kind")
]
Identifier = Annotated[str | None, Query(min_length=1, max_length=254)]
EXPORT_RESPONSES = {
    200: {
        "description": "Everything held about the person",
        "content": {"application/json": {}, "application/zip": {}},
    },
    **responses(404, 409),
}


def _download(export: dict[str, Any], form: str) -> Response:
    body, media_type, extension = service.export_as(export, form)
    name = f"omnicanal-{export['person']['profile_id']}.{extension}"
    return Response(
        body,
        media_type=media_type,
        headers={"Content-Disposition": f'attachment; filename="{name}"'},
    )


@router.get("/privacy/export", response_class=Response, responses=EXPORT_RESPONSES)
def export_by_identifier(
    session: ReadSession,
    platform: PlatformDep,
    email: Identifier = None,
    phone: Annotated[
        str | None,
        Query(min_length=1, max_length=254, description="Any usual form: 06 12 34 56 78..."),
    ] = None,
    loyalty_card: Identifier = None,
    user_id: Identifier = None,
    external_id: Identifier = None,
    anonymous_id: Identifier = None,
    device_id: Identifier = None,
    profile_id: Identifier = None,
    format: Format = "json",
    actor: Actor = scope("privacy:export"),
):
    """Everything omnicanal holds about the person one identifier designates (RGPD art. 15
    and 20): profiles, identifiers, traits, timeline, messages, carts, orders, reservations."""
    found = service.find_person(
        session,
        given={
            "email": email,
            "phone": phone,
            "loyalty_card": loyalty_card,
            "user_id": user_id,
            "external_id": external_id,
            "anonymous_id": anonymous_id,
            "device_id": device_id,
            "profile_id": profile_id,
        },
        region=platform.settings.phone_region,
    )
    return _download(service.export_person(session, profile_id=found), format)


@router.get("/profiles/{profile_id}/export", response_class=Response, responses=EXPORT_RESPONSES)
def export_profile(
    profile_id: str,
    session: ReadSession,
    format: Format = "json",
    actor: Actor = scope("privacy:export"),
):
    """Everything omnicanal holds about the person this profile is part of."""
    return _download(service.export_person(session, profile_id=profile_id), format)


@router.post(
    "/profiles/{profile_id}/erase", response_model=ErasureOut, responses=responses(404, 409)
)
def erase_profile(
    profile_id: str,
    platform: PlatformDep,
    idempotency_key: IdempotencyKey = None,
    actor: Actor = scope("privacy:erase"),
):
    """Erase the person this profile is part of (RGPD art. 17) in every table and the event
    log; their orders stay in the accounts without them. Publishes ``customer.erased``."""
    return write(
        platform,
        actor=actor,
        idempotency_key=idempotency_key,
        operation=f"erase:{profile_id}",
        payload={},
        action=lambda s: ErasureOut(
            **service.erase_person(s, profile_id=profile_id, actor=actor).__dict__
        ),
    )


@router.get("/privacy/erasures", response_model=list[ErasureRecord], responses=responses())
def list_erasures(
    session: ReadSession,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
    actor: Actor = scope("privacy:erase"),
):
    """The latest erasures, newest first (no personal data: profile ids and counts)."""
    return service.list_erasures(session, limit=limit)
