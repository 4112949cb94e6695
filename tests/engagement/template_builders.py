"""Builders for the templates, contexts and segments tests: the default triggers, a head office
and a reader, a store with its opening hours, a known customer with traits and browsing, and
her cart, pickup and return."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from omnicanal.customers import service as customers
from omnicanal.customers.identifiers import Identifier, IdentifierKind
from omnicanal.engagement import triggers
from omnicanal.platform.actors import OPERATOR, Actor
from omnicanal.platform.clock import utcnow
from omnicanal.platform.ids import new_id
from omnicanal.platform.wiring import Platform
from tests.builders import make_location, make_product, receive

HEAD_OFFICE = Actor(
    key_id="01JQ7Z0000000000000000HEAD",
    channel="call_centre",
    name="head office",
    scopes=frozenset({"engagement:admin", "engagement:read"}),
)
READER = Actor(
    key_id="01JQ7Z0000000000000000READ",
    channel="call_centre",
    name="reader",
    scopes=frozenset({"engagement:read"}),
)
WEEK = {
    "mon": [["10:00", "19:00"]],
    "tue": [["10:00", "19:00"]],
    "wed": [["10:00", "19:00"]],
    "thu": [["10:00", "20:00"]],
    "fri": [["10:00", "19:00"]],
    "sat": [["10:00", "12:30"], ["14:00", "19:00"]],
    "sun": [],
}


def with_defaults(platform: Platform) -> None:
    """The default triggers (one per kind, coded as the kind in capitals) and policy."""
    with platform.db.transaction() as session:
        triggers.ensure_defaults(session)


def make_store(platform: Platform, code: str = "LYON-01") -> str:
    """A click & collect store in Lyon, open Monday to Saturday, with a dress in stock."""
    make_location(
        platform,
        code,
        channels=("web", "app", "store", "call_centre"),
        name="Lyon Presqu'île",
        opening_hours=WEEK,
    )
    return code


def make_dress(platform: Platform, store: str = "LYON-01") -> str:
    """The dress ROBE-ALMA in M, five of them at ``store``; its SKU."""
    (sku,) = make_product(platform, "ROBE-ALMA")
    receive(platform, sku, store, 5)
    return sku


def make_customer(
    platform: Platform,
    email: str = "ines@example.fr",
    *,
    traits: dict[str, Any] | None = None,
    viewed: int = 0,
    viewed_days_ago: int = 1,
    now: datetime | None = None,
) -> str:
    """A customer known by ``email`` (Inès Martin unless ``traits`` say otherwise) who viewed
    a product ``viewed`` times ``viewed_days_ago`` days ago; her profile id."""
    moment = now or utcnow()
    identifiers = (Identifier(IdentifierKind.email, email, anchor=True),)
    seen = moment - timedelta(days=viewed_days_ago)
    sightings = [
        customers.Sighting(
            identifiers=identifiers,
            kind="identify",
            name="identify",
            occurred_at=moment - timedelta(days=60),
            received_at=moment,
            source="web",
            channel="web",
            message_ref=new_id(),
            traits={"first_name": "Inès", "last_name": "Martin", **(traits or {})},
        )
    ]
    sightings += [
        customers.Sighting(
            identifiers=identifiers,
            kind="track",
            name="Product Viewed",
            occurred_at=seen,
            received_at=moment,
            source="web",
            channel="web",
            message_ref=new_id(),
            properties={"sku": "ROBE-ALMA-M"},
        )
        for _ in range(viewed)
    ]
    with platform.db.transaction() as session:
        resolved = customers.record_sightings(session, sightings=sightings, actor=OPERATOR)
    profile_id = resolved[0].profile_id
    assert profile_id is not None
    return profile_id


def tell(platform: Platform, email: str, traits: dict[str, Any], *, at: datetime) -> None:
    """The customer known by ``email`` tells new ``traits`` (an identify) at ``at``."""
    with platform.db.transaction() as session:
        customers.record_sightings(
            session,
            sightings=[
                customers.Sighting(
                    identifiers=(Identifier(IdentifierKind.email, email, anchor=True),),
                    kind="identify",
                    name="identify",
                    occurred_at=at,
                    received_at=at,
                    source="web",
                    channel="web",
                    message_ref=new_id(),
                    traits=traits,
                )
            ],
            actor=OPERATOR,
        )
