"""Domain events joining the profile timeline through the bus.

Orders, carts and reservations are other modules' business; the customers module reads
only the events' data, never their tables. An event joins a profile when its data names
the customer, in any of these ways (first found wins):

* ``profile_id`` (at the top level or under ``customer``): that profile;
* identifiers under ``customer`` or at the top level: ``email``/``customer_email``,
  ``phone``/``customer_phone``, ``loyalty_card``, ``user_id``, ``anonymous_id``,
  ``external_id``/``customer_number`` — resolved like a tracked message, so an anonymous
  cart stitched to a known customer links the visitor's cookie to them;
* ``customer_ref`` (as carts and orders carry it): ``kind:value`` (``email:a@b.fr``,
  ``loyalty_card:FID1``, ``profile:<id>``), a profile id, an email, else a login;
* a reference seen before with a customer: the order or cart of the event's subject,
  ``order_id``, ``cart_id``, or a reservation's ``reference`` (so ``inventory.reserved``
  for a known order joins its customer).

Events that name nobody are ignored.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Mapping
from functools import lru_cache
from typing import Any

from sqlalchemy.orm import Session

from omnicanal.customers.commerce import order_facts
from omnicanal.customers.identifiers import Identifier, IdentifierKind, InvalidIdentifier, normalise
from omnicanal.customers.service.ingest import Sighting, record_sightings
from omnicanal.platform.actors import Actor
from omnicanal.platform.bus import Consumer
from omnicanal.platform.events import Event

__all__ = ["CONSUMERS", "sighting_from_event"]

log = logging.getLogger(__name__)
PATTERNS = ("order.*", "cart.*", "inventory.reserved")
_ULID = re.compile(r"^[0-9A-HJKMNP-TV-Z]{26}$")
_KEYS: tuple[tuple[tuple[str, ...], IdentifierKind], ...] = (
    (("user_id", "customer_user_id"), IdentifierKind.user_id),
    (("loyalty_card", "customer_loyalty_card"), IdentifierKind.loyalty_card),
    (("external_id", "customer_number"), IdentifierKind.external_id),
    (("email", "customer_email"), IdentifierKind.email),
    (("phone", "customer_phone"), IdentifierKind.phone),
    (("anonymous_id", "customer_anonymous_id"), IdentifierKind.anonymous_id),
)


@lru_cache(maxsize=1)
def _region() -> str:
    from omnicanal.platform.config import Settings

    return Settings().phone_region


def _identifiers(places: list[Mapping[str, Any]], region: str) -> tuple[Identifier, ...]:
    found: list[Identifier] = []
    for place in places:
        for names, kind in _KEYS:
            for name in names:
                value = place.get(name)
                if value in (None, "") or isinstance(value, dict | list):
                    continue
                try:
                    found.append(normalise(kind, value, region=region))
                except InvalidIdentifier:
                    log.info("ignoring an invalid %s in a domain event", kind.value)
    return tuple(dict.fromkeys(found))


def _references(event: Event, data: Mapping[str, Any]) -> tuple[str, ...]:
    refs: list[Any] = []
    kind, _, subject_id = event.subject.partition("/")
    if kind in ("orders", "carts") and subject_id:
        refs.append(subject_id)
    if event.type.startswith("order."):
        refs += [data.get("order_id") or data.get("id"), data.get("cart_id")]
    elif event.type.startswith("cart."):
        refs += [data.get("cart_id") or data.get("id"), data.get("into"), data.get("order_id")]
    refs.append(data.get("reference"))
    return tuple(dict.fromkeys(f"ref:{r}" for r in refs if isinstance(r, str | int) and r != ""))


def _customer_ref(value: Any, region: str) -> tuple[Identifier | None, str | None]:
    """A free-form customer reference: ``kind:value`` (``email:…``, ``loyalty_card:…``,
    ``profile:…``), a profile id, an email, else a login (``user_id``)."""
    if not isinstance(value, str) or not value.strip():
        return None, None
    text = value.strip()
    prefix, _, rest = text.partition(":")
    try:
        if prefix == "profile" and rest:
            return None, rest
        if rest and prefix in IdentifierKind.__members__:
            return normalise(IdentifierKind(prefix), rest, region=region), None
        if _ULID.match(text):
            return None, text
        if "@" in text:
            return normalise(IdentifierKind.email, text, region=region), None
        return normalise(IdentifierKind.user_id, text, region=region), None
    except InvalidIdentifier:
        log.info("ignoring an invalid customer reference in a domain event")
        return None, None


def _channel(source: str) -> str:
    parts = source.strip("/").split("/")
    return parts[1] if len(parts) > 1 and parts[0] == "channels" else "system"


def sighting_from_event(event: Event, *, region: str = "FR") -> Sighting | None:
    """The sighting a domain event makes of its customer, or None when it names nobody."""
    data = event.data if isinstance(event.data, Mapping) else {}
    customer = data.get("customer") if isinstance(data.get("customer"), Mapping) else {}
    places: list[Mapping[str, Any]] = [customer, data]
    hint = next(
        (
            str(place[key])
            for place in places
            for key in ("profile_id", "customer_id", "customer_reference")
            if isinstance(place.get(key), str) and _ULID.match(place[key])
        ),
        None,
    )
    identifiers = _identifiers(places, region)
    referenced, named = _customer_ref(data.get("customer_ref"), region)
    if referenced is not None:
        identifiers = tuple(dict.fromkeys((*identifiers, referenced)))
    hint = hint or named
    references = _references(event, data)
    if not identifiers and hint is None and not references:
        return None
    return Sighting(
        identifiers=identifiers,
        kind="domain",
        name=event.type,
        occurred_at=event.time,
        received_at=event.time,
        source=event.source[:120],
        channel=_channel(event.source),
        message_ref=event.id,
        properties=dict(data),
        references=references,
        profile_hint=hint,
        order=order_facts(event.type, data, domain=True),
    )


def join_timeline(session: Session, event: Event) -> None:
    """Put a domain event on its customer's timeline (and link the identifiers it names)."""
    sighting = sighting_from_event(event, region=_region())
    if sighting is None:
        return
    actor = Actor(key_id=None, channel="system", name="customers.timeline")
    record_sightings(session, sightings=[sighting], actor=actor, skip_unresolved=True)


CONSUMERS = (Consumer(name="customers.timeline", patterns=PATTERNS, handler=join_timeline),)
