"""Helpers for the customers and tracking tests: sources, write keys, profile readers."""

from __future__ import annotations

import base64
from typing import Any

from fastapi.testclient import TestClient

from omnicanal.customers.service.realtime import MATCHING
from omnicanal.platform.actors import ChannelKind
from omnicanal.platform.auth import create_api_key
from omnicanal.platform.wiring import Platform
from omnicanal.tracking import service as tracking
from omnicanal.tracking.service import SourceKind, TrustLevel


def make_source(
    platform: Platform, kind: str = "web", name: str | None = None, trust: str | None = None
) -> str:
    """A tracking source of ``kind`` (its trust: the kind's default unless given); returns
    its write key."""
    with platform.db.transaction() as session:
        _, write_key = tracking.create_source(
            session,
            kind=SourceKind(kind),
            name=name or f"test {kind}",
            trust=TrustLevel(trust) if trust else None,
        )
    return write_key


def relay_and_match(platform: Platform) -> None:
    """Publish the outbox (the bus hands the new person records to the matcher's queue),
    then run the matcher's lane once, as its thread does."""
    platform.relay().drain()
    platform.run_group(MATCHING)


def basic(write_key: str) -> dict[str, str]:
    """HTTP Basic auth with the write key as user name, as the SDKs send it."""
    token = base64.b64encode(f"{write_key}:".encode()).decode()
    return {"Authorization": f"Basic {token}"}


def profiles_key(platform: Platform) -> dict[str, str]:
    """Bearer headers of a back-office key that reads and changes profiles."""
    with platform.db.transaction() as session:
        _, token = create_api_key(
            session,
            channel=ChannelKind.call_centre,
            name="profiles",
            scopes=["profiles:read", "profiles:write"],
        )
    return {"Authorization": f"Bearer {token}"}


def send(client: TestClient, write_key: str, *messages: dict[str, Any]) -> dict[str, Any]:
    """POST /v1/batch; returns the answer, asserting it was accepted."""
    response = client.post("/v1/batch", json={"batch": list(messages)}, headers=basic(write_key))
    assert response.status_code == 200, response.text
    return response.json()


def profile_by(client: TestClient, headers: dict[str, str], **identifier: str) -> dict[str, Any]:
    """GET /v1/profiles?kind=value, asserting it is found."""
    response = client.get("/v1/profiles/lookup", params=identifier, headers=headers)
    assert response.status_code == 200, response.text
    return response.json()
