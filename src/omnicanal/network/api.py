"""HTTP routes of the network module."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Body

from omnicanal.network import service
from omnicanal.network.schemas import (
    ChannelIn,
    ChannelOut,
    LocationIn,
    LocationKind,
    LocationOut,
    LocationUpdateIn,
)
from omnicanal.platform.actors import Actor
from omnicanal.platform.http.deps import IdempotencyKey, PlatformDep, ReadSession, scope, write
from omnicanal.platform.http.paging import Paging
from omnicanal.platform.http.problems import responses
from omnicanal.platform.paging import Page

router = APIRouter(prefix="/v1", tags=["network"])


@router.post(
    "/locations", status_code=201, response_model=LocationOut, responses=responses(404, 409)
)
def create_location(
    body: LocationIn,
    platform: PlatformDep,
    idempotency_key: IdempotencyKey = None,
    actor: Actor = scope("network:write"),
):
    """Open a store, warehouse or other location."""
    return write(
        platform,
        actor=actor,
        idempotency_key=idempotency_key,
        operation="create_location",
        payload=body,
        status_code=201,
        action=lambda s: service.create_location(s, data=body, actor=actor),
    )


@router.get("/locations", response_model=Page[LocationOut], responses=responses())
def list_locations(
    session: ReadSession,
    paging: Paging,
    kind: LocationKind | None = None,
    active: bool | None = None,
    actor: Actor = scope("network:read"),
):
    """Locations with their channels, newest first; ``updated_since`` reads when a location,
    its capabilities or its channels changed."""
    return service.location_page(
        session,
        kind=kind.value if kind is not None else None,
        active=active,
        limit=paging.limit,
        starting_after=paging.starting_after,
        updated_since=paging.updated_since,
    )


@router.get("/locations/{code}", response_model=LocationOut, responses=responses(404))
def get_location(code: str, session: ReadSession, actor: Actor = scope("network:read")):
    """One location."""
    return service.get_location_view(session, code)


@router.patch("/locations/{code}", response_model=LocationOut, responses=responses(403, 404, 422))
def update_location(
    code: str,
    body: LocationUpdateIn,
    platform: PlatformDep,
    idempotency_key: IdempotencyKey = None,
    actor: Actor = scope("network:write"),
):
    """Change a location's name, address, time zone or opening hours; a store key changes
    its own store only."""
    return write(
        platform,
        actor=actor,
        idempotency_key=idempotency_key,
        operation=f"update_location:{code}",
        payload=body.model_dump(exclude_unset=True),
        action=lambda s: service.update_location(s, code=code, data=body, actor=actor),
    )


@router.get("/channels", response_model=list[ChannelOut], responses=responses())
def list_channels(session: ReadSession, actor: Actor = scope("network:read")):
    """Every channel with the locations that fulfil it, preferred first."""
    return service.list_channels(session)


@router.post("/channels", status_code=201, response_model=ChannelOut, responses=responses(409))
def create_channel(
    body: ChannelIn,
    platform: PlatformDep,
    idempotency_key: IdempotencyKey = None,
    actor: Actor = scope("network:write"),
):
    """Declare a channel (a marketplace, a second web shop...)."""
    return write(
        platform,
        actor=actor,
        idempotency_key=idempotency_key,
        operation="create_channel",
        payload=body,
        status_code=201,
        action=lambda s: service.create_channel(s, data=body, actor=actor),
    )


@router.put("/channels/{code}/locations", response_model=ChannelOut, responses=responses(404))
def set_channel_locations(
    code: str,
    platform: PlatformDep,
    locations: Annotated[list[str], Body(description="Location codes, preferred first")],
    idempotency_key: IdempotencyKey = None,
    actor: Actor = scope("network:write"),
):
    """Replace the locations whose stock a channel sells."""
    return write(
        platform,
        actor=actor,
        idempotency_key=idempotency_key,
        operation=f"set_channel_locations:{code}",
        payload=locations,
        action=lambda s: service.set_channel_locations(
            s, channel_code=code, location_codes=locations, actor=actor
        ),
    )
