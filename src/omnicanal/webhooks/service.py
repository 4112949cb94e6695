"""Use cases of the webhooks module for its edges (API, CLI, back office): endpoints made,
read, changed, disabled, enabled and removed, their secrets rotated, their deliveries read
and the dead-letter list replayed. Each is one business action in the caller's transaction;
head office only (``access.check_admin``).

Sending is the job's (``webhooks.sending``); making deliveries from the events, the
consumer's (``webhooks.recording``).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta

from sqlalchemy import delete, func, select, update
from sqlalchemy.orm import Session

from omnicanal.platform.actors import Actor
from omnicanal.platform.clock import as_utc, utcnow
from omnicanal.platform.db import NO_SYNC, rowcount
from omnicanal.platform.events import declared_events, record_event
from omnicanal.webhooks import segment
from omnicanal.webhooks.access import check_admin
from omnicanal.webhooks.errors import (
    DeliveryNotDead,
    EndpointDisabled,
    EndpointNotSigned,
    InvalidCursor,
    InvalidWriteKey,
    UnknownWebhookDelivery,
    UnknownWebhookEndpoint,
)
from omnicanal.webhooks.events import WebhookEndpointDisabled
from omnicanal.webhooks.models import WebhookDelivery, WebhookEndpoint
from omnicanal.webhooks.rules import check_patterns, check_url, new_secret
from omnicanal.webhooks.schemas import (
    DeliveryOut,
    DeliveryPage,
    EndpointCreatedOut,
    EndpointIn,
    EndpointOut,
    EndpointPage,
    EndpointRemovedOut,
    EndpointUpdateIn,
    EventTypesOut,
    ReplayOut,
    RotationIn,
    SecretOut,
)
from omnicanal.webhooks.segment import SEGMENT

__all__ = [
    "DELIVERY_STATUSES",
    "MAX_PAGE",
    "create_endpoint",
    "delivery_out",
    "disable_endpoint",
    "event_types",
    "get_endpoint",
    "list_deliveries",
    "list_endpoints",
    "remove_endpoint",
    "replay_delivery",
    "replay_since",
    "rotate_secret",
    "update_endpoint",
]

MAX_PAGE = 100
DELIVERY_STATUSES = ("pending", "delivered", "dead")


def event_types(*, actor: Actor) -> EventTypesOut:
    """Every declared event type an endpoint may follow, and the modules' prefixes."""
    check_admin(actor)
    types = sorted(declared_events())
    return EventTypesOut(
        types=types,
        prefixes=sorted({f"{event_type.split('.', 1)[0]}.*" for event_type in types}),
        segment=list(segment.EVENT_TYPES),
    )


# --- reading -------------------------------------------------------------------------------


def _counts(session: Session, endpoint_ids: Sequence[str]) -> dict[tuple[str, str], int]:
    """Pending and dead deliveries per endpoint (one grouped query)."""
    if not endpoint_ids:
        return {}
    rows = session.execute(
        select(WebhookDelivery.endpoint_id, WebhookDelivery.status, func.count())
        .where(
            WebhookDelivery.endpoint_id.in_(list(endpoint_ids)),
            WebhookDelivery.status.in_(("pending", "dead")),
        )
        .group_by(WebhookDelivery.endpoint_id, WebhookDelivery.status)
    )
    return {(endpoint_id, status): int(count) for endpoint_id, status, count in rows}


def _out(
    endpoint: WebhookEndpoint, counts: dict[tuple[str, str], int], *, now: datetime
) -> EndpointOut:
    until = endpoint.previous_secret_until
    overlapping = until is not None and endpoint.previous_secret and as_utc(until) > now
    return EndpointOut(
        id=endpoint.id,
        url=endpoint.url,
        description=endpoint.description,
        event_types=list(endpoint.event_types),
        format=endpoint.format,
        write_key_prefix=segment.write_key_prefix(endpoint.write_key),
        active=endpoint.active,
        disabled_at=endpoint.disabled_at,
        disabled_reason=endpoint.disabled_reason,
        failing_since=endpoint.failing_since,
        failures=endpoint.failures,
        last_success_at=endpoint.last_success_at,
        previous_secret_until=until if overlapping else None,
        pending=counts.get((endpoint.id, "pending"), 0),
        dead=counts.get((endpoint.id, "dead"), 0),
        created_at=endpoint.created_at,
        updated_at=endpoint.updated_at,
    )


def _endpoint(session: Session, endpoint_id: str, *, lock: bool = False) -> WebhookEndpoint:
    query = select(WebhookEndpoint).where(WebhookEndpoint.id == endpoint_id)
    if lock and session.get_bind().dialect.name == "postgresql":
        query = query.with_for_update()
    endpoint = session.scalar(query)
    if endpoint is None:
        raise UnknownWebhookEndpoint(
            f"No webhook endpoint has the id {endpoint_id!r}.", field="endpoint_id"
        )
    return endpoint


def _read(session: Session, endpoint: WebhookEndpoint, *, now: datetime) -> EndpointOut:
    return _out(endpoint, _counts(session, [endpoint.id]), now=now)


def get_endpoint(session: Session, *, endpoint_id: str, actor: Actor) -> EndpointOut:
    """One endpoint, its pending and dead deliveries counted."""
    check_admin(actor)
    return _read(session, _endpoint(session, endpoint_id), now=utcnow())


def list_endpoints(
    session: Session, *, actor: Actor, limit: int = 50, starting_after: str | None = None
) -> EndpointPage:
    """The endpoints, newest first, a page at a time (``starting_after``: the last id of the
    previous page)."""
    check_admin(actor)
    query = select(WebhookEndpoint).order_by(WebhookEndpoint.id.desc())
    if starting_after is not None:
        if session.get(WebhookEndpoint, starting_after) is None:
            raise InvalidCursor(
                f"No webhook endpoint has the id {starting_after!r}.", field="starting_after"
            )
        query = query.where(WebhookEndpoint.id < starting_after)
    rows = list(session.scalars(query.limit(limit + 1)))
    page, more = rows[:limit], len(rows) > limit
    counts = _counts(session, [endpoint.id for endpoint in page])
    now = utcnow()
    return EndpointPage(
        items=[_out(endpoint, counts, now=now) for endpoint in page],
        has_more=more,
        next_cursor=page[-1].id if more else None,
    )


# --- changing ------------------------------------------------------------------------------


def create_endpoint(
    session: Session,
    *,
    data: EndpointIn,
    actor: Actor,
    allow_private: bool,
    now: datetime | None = None,
) -> EndpointCreatedOut:
    """Subscribe an address to the event types it follows; its signing secret is in the
    answer, this once. A ``segment`` endpoint follows forwarded types only, and has a write
    key instead of a secret."""
    check_admin(actor)
    now = now or utcnow()
    url = check_url(data.url, allow_private=allow_private)
    event_types = check_patterns(data.event_types, declared_events())
    forwarding = data.format == SEGMENT
    if forwarding:
        url, event_types = segment.check_base_url(url), segment.check_forwarded(event_types)
        if data.write_key is None:
            raise InvalidWriteKey(
                "A Segment endpoint needs the write key of the source it sends to.",
                field="write_key",
            )
    elif data.write_key is not None:
        raise InvalidWriteKey(
            "A standard endpoint is signed with its secret: a write key is for format "
            "'segment' only.",
            field="write_key",
        )
    endpoint = WebhookEndpoint(
        url=url,
        description=data.description,
        event_types=event_types,
        active=data.active,
        format=data.format,
        secret="" if forwarding else new_secret(),
        write_key=data.write_key,
        created_at=now,
        created_by=actor.label[:300],
        updated_at=now,
    )
    if not data.active:
        endpoint.disabled_at, endpoint.disabled_reason = now, "requested"
        endpoint.disabled_by = actor.label[:300]
    session.add(endpoint)
    session.flush()
    return EndpointCreatedOut(
        **_read(session, endpoint, now=now).model_dump(), secret=endpoint.secret or None
    )


def update_endpoint(
    session: Session,
    *,
    endpoint_id: str,
    data: EndpointUpdateIn,
    actor: Actor,
    allow_private: bool,
    now: datetime | None = None,
) -> EndpointOut:
    """Change an endpoint's address, event types, description or (a segment endpoint's)
    write key; disable it (its pending deliveries go to the dead-letter list) or enable it
    again."""
    check_admin(actor)
    now = now or utcnow()
    endpoint = _endpoint(session, endpoint_id, lock=True)
    forwarding = endpoint.format == SEGMENT
    if data.url is not None:
        url = check_url(data.url, allow_private=allow_private)
        endpoint.url = segment.check_base_url(url) if forwarding else url
    if data.event_types is not None:
        event_types = check_patterns(data.event_types, declared_events())
        endpoint.event_types = segment.check_forwarded(event_types) if forwarding else event_types
    if data.write_key is not None:
        if not forwarding:
            raise InvalidWriteKey(
                f"Endpoint {endpoint.id} is signed with its secret: only a Segment endpoint "
                "has a write key.",
                field="write_key",
            )
        endpoint.write_key = data.write_key
    if data.description is not None:
        endpoint.description = data.description
    if data.active is False and endpoint.active:
        disable_endpoint(session, endpoint, reason="requested", by=actor, now=now)
    elif data.active is True and not endpoint.active:
        _enable(endpoint)
    endpoint.updated_at = now
    session.flush()
    return _read(session, endpoint, now=now)


def _enable(endpoint: WebhookEndpoint) -> None:
    """Back to receiving new events, with a clean slate (what it missed stays dead until
    replayed)."""
    endpoint.active = True
    endpoint.disabled_at = endpoint.disabled_reason = endpoint.disabled_by = None
    endpoint.failing_since = None
    endpoint.failures = 0


def disable_endpoint(
    session: Session, endpoint: WebhookEndpoint, *, reason: str, by: Actor, now: datetime
) -> int:
    """Stop sending to ``endpoint``: its pending deliveries go to the dead-letter list (they
    are replayed once it is enabled again), and ``webhook.endpoint_disabled`` says so; how
    many deliveries went."""
    dead = rowcount(
        session.execute(
            update(WebhookDelivery)
            .where(WebhookDelivery.endpoint_id == endpoint.id, WebhookDelivery.status == "pending")
            .values(status="dead", dead_at=now, dead_reason="endpoint_disabled")
            .execution_options(**NO_SYNC)
        )
    )
    failing_since = endpoint.failing_since
    endpoint.active = False
    endpoint.disabled_at = now
    endpoint.disabled_reason = reason
    endpoint.disabled_by = by.label[:300]
    endpoint.updated_at = now
    session.flush()
    record_event(
        session,
        WebhookEndpointDisabled(
            endpoint_id=endpoint.id,
            url=endpoint.url,
            reason=reason,
            failing_since=failing_since,
            failures=endpoint.failures,
            dead_lettered=dead,
        ),
        actor=by,
    )
    return dead


def remove_endpoint(session: Session, *, endpoint_id: str, actor: Actor) -> EndpointRemovedOut:
    """Remove an endpoint and its deliveries (the events stay for the other endpoints)."""
    check_admin(actor)
    endpoint = _endpoint(session, endpoint_id, lock=True)
    session.execute(
        delete(WebhookDelivery)
        .where(WebhookDelivery.endpoint_id == endpoint.id)
        .execution_options(**NO_SYNC)
    )
    session.delete(endpoint)
    session.flush()
    return EndpointRemovedOut(id=endpoint_id)


def rotate_secret(
    session: Session,
    *,
    endpoint_id: str,
    data: RotationIn,
    actor: Actor,
    now: datetime | None = None,
) -> SecretOut:
    """A new signing secret for the endpoint, shown this once; the current one keeps signing
    beside it for ``overlap_hours``."""
    check_admin(actor)
    now = now or utcnow()
    endpoint = _endpoint(session, endpoint_id, lock=True)
    if endpoint.format == SEGMENT:
        raise EndpointNotSigned(
            f"Endpoint {endpoint.id} sends to Segment with a write key, unsigned: change its "
            "write_key instead.",
            field="endpoint_id",
        )
    if data.overlap_hours:
        endpoint.previous_secret = endpoint.secret
        endpoint.previous_secret_until = now + timedelta(hours=data.overlap_hours)
    else:
        endpoint.previous_secret = endpoint.previous_secret_until = None
    endpoint.secret = new_secret()
    endpoint.updated_at = now
    session.flush()
    return SecretOut(
        id=endpoint.id, secret=endpoint.secret, previous_secret_until=endpoint.previous_secret_until
    )


# --- deliveries and the dead-letter list ---------------------------------------------------


def delivery_out(delivery: WebhookDelivery) -> DeliveryOut:
    """A delivery as its readers see it."""
    return DeliveryOut(
        id=delivery.id,
        endpoint_id=delivery.endpoint_id,
        event_id=delivery.event_id,
        event_type=delivery.event_type,
        subject=delivery.subject,
        status=delivery.status,
        attempts=delivery.attempts,
        next_attempt_at=delivery.due_at if delivery.status == "pending" else None,
        created_at=delivery.created_at,
        last_attempt_at=delivery.last_attempt_at,
        last_status_code=delivery.last_status_code,
        last_error=delivery.last_error,
        delivered_at=delivery.delivered_at,
        dead_at=delivery.dead_at,
        dead_reason=delivery.dead_reason,
        replays=delivery.replays,
    )


def list_deliveries(
    session: Session,
    *,
    endpoint_id: str,
    actor: Actor,
    status: str | None = None,
    limit: int = 50,
    starting_after: str | None = None,
) -> DeliveryPage:
    """An endpoint's deliveries, newest first, all or of one status (``dead``: its
    dead-letter list), a page at a time."""
    check_admin(actor)
    _endpoint(session, endpoint_id)
    query = (
        select(WebhookDelivery)
        .where(WebhookDelivery.endpoint_id == endpoint_id)
        .order_by(WebhookDelivery.seq.desc())
    )
    if status is not None:
        query = query.where(WebhookDelivery.status == status)
    if starting_after is not None:
        seq = session.scalar(
            select(WebhookDelivery.seq).where(
                WebhookDelivery.id == starting_after, WebhookDelivery.endpoint_id == endpoint_id
            )
        )
        if seq is None:
            raise InvalidCursor(
                f"No delivery of this endpoint has the id {starting_after!r}.",
                field="starting_after",
            )
        query = query.where(WebhookDelivery.seq < seq)
    rows = list(session.scalars(query.limit(limit + 1)))
    page, more = rows[:limit], len(rows) > limit
    return DeliveryPage(
        items=[delivery_out(delivery) for delivery in page],
        has_more=more,
        next_cursor=page[-1].id if more else None,
    )


def _replayed(now: datetime) -> dict[str, object]:
    """A delivery back in the queue: due now, its attempts and give-up counted afresh, the
    same id (so a receiver that had it after all drops the repeat)."""
    return {
        "status": "pending",
        "due_at": now,
        "started_at": now,
        "attempts": 0,
        "dead_at": None,
        "dead_reason": None,
        "replays": WebhookDelivery.replays + 1,
    }


def replay_delivery(
    session: Session,
    *,
    delivery_id: str,
    actor: Actor,
    endpoint_id: str | None = None,
    now: datetime | None = None,
) -> DeliveryOut:
    """Send a delivery of the dead-letter list again (its endpoint enabled), with the same
    ``webhook-id``; with ``endpoint_id``, a delivery of another endpoint is unknown."""
    check_admin(actor)
    now = now or utcnow()
    delivery = session.scalar(select(WebhookDelivery).where(WebhookDelivery.id == delivery_id))
    if delivery is None or endpoint_id not in (None, delivery.endpoint_id):
        raise UnknownWebhookDelivery(
            f"No webhook delivery has the id {delivery_id!r}.", field="delivery_id"
        )
    endpoint = _endpoint(session, delivery.endpoint_id, lock=True)
    if not endpoint.active:
        raise EndpointDisabled(
            f"Endpoint {endpoint.id} is disabled: enable it, then replay.", field="delivery_id"
        )
    replayed = rowcount(
        session.execute(
            update(WebhookDelivery)
            .where(WebhookDelivery.seq == delivery.seq, WebhookDelivery.status == "dead")
            .values(**_replayed(now))
            .execution_options(**NO_SYNC)
        )
    )
    if not replayed:
        raise DeliveryNotDead(
            f"Delivery {delivery_id} is {delivery.status}: only the dead-letter list is replayed.",
            field="delivery_id",
        )
    session.refresh(delivery)
    return delivery_out(delivery)


def replay_since(
    session: Session,
    *,
    endpoint_id: str,
    since: datetime,
    actor: Actor,
    now: datetime | None = None,
) -> ReplayOut:
    """Send again every delivery of the endpoint's dead-letter list made since ``since``, in
    their order, with their ``webhook-id``; how many."""
    check_admin(actor)
    now = now or utcnow()
    endpoint = _endpoint(session, endpoint_id, lock=True)
    if not endpoint.active:
        raise EndpointDisabled(
            f"Endpoint {endpoint.id} is disabled: enable it, then replay.", field="endpoint_id"
        )
    replayed = rowcount(
        session.execute(
            update(WebhookDelivery)
            .where(
                WebhookDelivery.endpoint_id == endpoint.id,
                WebhookDelivery.status == "dead",
                WebhookDelivery.created_at >= since,
            )
            .values(**_replayed(now))
            .execution_options(**NO_SYNC)
        )
    )
    return ReplayOut(replayed=replayed)
