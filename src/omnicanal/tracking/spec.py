"""Messages of the Segment tracking spec, read the way Segment's and RudderStack's SDKs send
them (pure: no database, no HTTP).

A message becomes a :class:`ParsedMessage` (its identifiers normalised, its time decided)
or a :class:`Rejection` saying precisely which field is wrong and why. What the SDKs do
that a strict reader would refuse is accepted: ``anonymousId: null``, identify traits in
``context.traits`` (RudderStack), numeric ids, timestamps with milliseconds, microseconds
or nanoseconds, ``sentAt`` on the batch or on the message, no ``messageId`` at all.

Hostile values are refused before anything else reads the message, each with its field:
text holding a NUL character or a lone surrogate (PostgreSQL stores neither), integers
beyond 64 bits, infinite numbers, nesting deeper than ``MAX_JSON_DEPTH``, traits nesting
deeper than :data:`MAX_TRAIT_DEPTH` or larger than :data:`MAX_TRAIT_BYTES` (a profile is read
whole, on every page that shows it), times outside the years ``MIN_YEAR``..``MAX_YEAR``
(:mod:`omnicanal.platform.bounds`) and order amounts over :data:`MAX_ORDER_AMOUNT`. A
``Product Reviewed`` message is refused for its review as the API refuses one
(:func:`omnicanal.reviews.rules.draft_from_properties`): no product, a rating that is not 1
to 5 stars, a title or a text too long or holding control characters. A ``Consent Updated``
message is refused when it says no readable answer
(:mod:`omnicanal.engagement.consent_answers`: a purpose, channel or lawful basis we do not
know, ``granted`` that is not true or false).

Like Segment, a message is never refused for a trait. An identifier that cannot be
normalised (a phone outside the number plan, an e-mail with an accent before the @) is kept
as an unverified trait (``phone_unverified``), which never links anyone, and the rest of the
message is stored; a time in the future (beyond :data:`MAX_FUTURE_SKEW`) or before
:data:`TIME_FLOOR` is clamped; an unreadable answer in a ``consents`` trait or in Segment's
consent object is set aside (``invalid_consent``). Each is a :class:`MessageWarning` in the
answer.
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from decimal import Decimal, InvalidOperation
from typing import Any

from omnicanal.customers.commerce import OrderFacts, order_facts, order_status
from omnicanal.customers.identifiers import (
    Identifier,
    IdentifierKind,
    InvalidIdentifier,
    normalise,
)
from omnicanal.engagement.consent_answers import (
    ConsentAnswer,
    RefusedConsent,
    message_answers,
)
from omnicanal.platform.bounds import (
    MAX_JSON_DEPTH,
    MAX_YEAR,
    MIN_YEAR,
    check_moment,
    check_text,
    json_depth,
)
from omnicanal.platform.ids import new_id
from omnicanal.reviews.rules import (
    PRODUCT_REVIEWED,
    RefusedReview,
    ReviewDraft,
    draft_from_properties,
)

__all__ = [
    "MAX_FUTURE_SKEW",
    "MAX_INTEGER",
    "MAX_ORDER_AMOUNT",
    "MAX_TRAIT_BYTES",
    "MAX_TRAIT_DEPTH",
    "MESSAGE_TYPES",
    "TIME_FLOOR",
    "MessageWarning",
    "ParsedMessage",
    "Rejection",
    "clamp_time",
    "parse_message",
    "parse_timestamp",
]

MESSAGE_TYPES = ("identify", "track", "page", "screen", "alias", "group")
MAX_MESSAGE_ID = 100
MAX_EVENT_NAME = 200
MAX_INTEGER = 2**63 - 1
"""The largest integer a message may hold. Wider than the REST bound (int4): SDKs put epoch
milliseconds in properties, and properties are stored as JSON, read back by 64-bit readers."""
MAX_ORDER_AMOUNT = Decimal(10**12)
"""An order total (in currency units) at or over this is a mistake or an attack."""
MAX_TRAIT_DEPTH = 5
"""Levels of objects and lists the traits of one message may nest (the traits object is one,
an address inside it two)."""
MAX_TRAIT_BYTES = 16_384
"""The largest traits of one message, as JSON."""
MAX_FUTURE_SKEW = timedelta(minutes=10)
"""How far after its reception a message may say it happened; later is a wrong clock."""
TIME_FLOOR = datetime(2000, 1, 1, tzinfo=UTC)
"""The earliest time a message may say it happened; earlier is a wrong clock or a default."""
UNVERIFIED_SUFFIX = "_unverified"

TRAIT_IDENTIFIERS: dict[str, IdentifierKind] = {
    "email": IdentifierKind.email,
    "phone": IdentifierKind.phone,
    "phone_number": IdentifierKind.phone,
    "phoneNumber": IdentifierKind.phone,
    "mobile": IdentifierKind.phone,
    "loyalty_card": IdentifierKind.loyalty_card,
    "loyaltyCard": IdentifierKind.loyalty_card,
    "loyalty_card_number": IdentifierKind.loyalty_card,
    "loyaltyCardNumber": IdentifierKind.loyalty_card,
    "external_id": IdentifierKind.external_id,
    "customer_number": IdentifierKind.external_id,
    "customerNumber": IdentifierKind.external_id,
}
"""Trait names that carry an identifier (kept in the identity graph, not as traits)."""

EXTERNAL_ID_TYPES: dict[str, IdentifierKind] = {
    "email": IdentifierKind.email,
    "phone": IdentifierKind.phone,
    "loyalty_card": IdentifierKind.loyalty_card,
    "user_id": IdentifierKind.user_id,
    "customer_number": IdentifierKind.external_id,
    "external_id": IdentifierKind.external_id,
}


@dataclass(frozen=True)
class MessageNote:
    """Something said about the message at ``index`` of a batch, as the answer lists it."""

    index: int
    message_id: str | None
    code: str
    field: str
    reason: str

    def as_dict(self) -> dict[str, Any]:
        return {
            "index": self.index,
            "messageId": self.message_id,
            "code": self.code,
            "field": self.field,
            "reason": self.reason,
        }


class Rejection(MessageNote):
    """Why the message at ``index`` of a batch was refused."""


class MessageWarning(MessageNote):
    """What was kept aside or corrected in the message at ``index``, which was stored."""


@dataclass(frozen=True)
class ParsedMessage:
    """A valid message: who (identifiers), what, when, and its raw form."""

    index: int
    type: str
    message_id: str
    name: str
    occurred_at: datetime
    identifiers: tuple[Identifier, ...]
    traits: dict[str, Any] = field(default_factory=dict)
    properties: dict[str, Any] = field(default_factory=dict)
    raw: dict[str, Any] = field(default_factory=dict)
    order: OrderFacts | None = None
    warnings: tuple[MessageWarning, ...] = ()
    review: ReviewDraft | None = None
    """The review a ``Product Reviewed`` track message carries, checked."""
    consents: tuple[ConsentAnswer, ...] = ()
    """The consent answers it carries (an ``identify``'s ``consents`` trait, a ``Consent
    Updated`` event, Segment's ``context.consent.categoryPreferences``), checked."""


class _Refused(Exception):
    def __init__(self, code: str, field: str, reason: str) -> None:
        super().__init__(reason)
        self.code, self.field, self.reason = code, field, reason


@dataclass
class _Notes:
    """What reading one message set aside: warnings (code, field, reason) and the raw values
    of the identifiers that could not be normalised, by trait name."""

    warnings: list[tuple[str, str, str]] = field(default_factory=list)
    unverified: dict[str, str] = field(default_factory=dict)


def _clean_text(text: str) -> bool:
    """Whether text holds no NUL character and no lone surrogate (it encodes as UTF-8)."""
    try:
        check_text(text)
    except ValueError:
        return False
    return True


def _shown(text: str) -> str:
    """The start of a refused text, safe to echo in an answer."""
    return text[:40].encode("utf-8", "backslashreplace").decode().replace("\x00", "\\x00")


def _check_values(value: Any, where: str, depth: int = 0) -> None:
    """Refuse the first hostile value of a message: bad text (values and names), integers
    over 64 bits, infinite numbers, nesting deeper than MAX_JSON_DEPTH."""
    if isinstance(value, str):
        if not _clean_text(value):
            raise _Refused(
                "invalid_text", where, f"{where or 'the message'} holds a NUL or a lone surrogate"
            )
    elif isinstance(value, bool) or value is None:
        return
    elif isinstance(value, int):
        if abs(value) > MAX_INTEGER:
            raise _Refused(
                "number_out_of_range", where, f"{where} is beyond a 64-bit integer ({MAX_INTEGER})"
            )
    elif isinstance(value, float):
        if not math.isfinite(value):
            raise _Refused("number_out_of_range", where, f"{where} is not a finite number")
    elif isinstance(value, Mapping | list):
        if depth >= MAX_JSON_DEPTH:
            raise _Refused(
                "too_deep", where, f"{where or 'the message'} nests over {MAX_JSON_DEPTH} levels"
            )
        items = value.items() if isinstance(value, Mapping) else enumerate(value)
        for key, item in items:
            if isinstance(key, str) and not _clean_text(key):
                raise _Refused(
                    "invalid_text",
                    where,
                    f"a name in {where or 'the message'} holds a NUL or a lone surrogate",
                )
            inner = f"{where}[{key}]" if isinstance(key, int) else f"{where}.{key}".lstrip(".")
            _check_values(item, inner, depth + 1)


def _in_time_range(at: datetime, field: str) -> datetime:
    """``at`` in UTC, refused outside the years MIN_YEAR..MAX_YEAR (checked before any
    conversion, which overflows for year 1 at +01:00 or year 9999 at -01:00)."""
    try:
        return check_moment(at)
    except ValueError:
        raise _Refused(
            "invalid_timestamp", field, f"{field} must fall between {MIN_YEAR} and {MAX_YEAR}"
        ) from None


def parse_timestamp(value: Any, field: str) -> datetime | None:
    """An aware UTC datetime from ISO 8601 text (any fraction of a second) or epoch numbers."""
    if value is None or value == "":
        return None
    if isinstance(value, bool):
        raise _Refused("invalid_timestamp", field, f"{field} must be an ISO 8601 date")
    if isinstance(value, int | float):
        seconds = value / 1000 if abs(value) >= 1e11 else value
        try:
            return _in_time_range(datetime.fromtimestamp(seconds, UTC), field)
        except (OverflowError, OSError, ValueError):
            raise _Refused("invalid_timestamp", field, f"{field} {value} is out of range") from None
    if not isinstance(value, str):
        raise _Refused("invalid_timestamp", field, f"{field} must be an ISO 8601 date")
    try:
        parsed = datetime.fromisoformat(value.strip())
    except ValueError:
        raise _Refused(
            "invalid_timestamp", field, f"{field} '{_shown(value)}' is not an ISO 8601 date"
        ) from None
    return _in_time_range(parsed, field)


def _identifier_text(value: Any, field: str) -> str | None:
    """A user or anonymous id as text: strings and numbers; null and "" mean absent."""
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, str | int | float):
        raise _Refused("invalid_id", field, f"{field} must be a string")
    text = str(value).strip()
    return text or None


def _object(value: Any, field: str) -> dict[str, Any]:
    if value is None:
        return {}
    if not isinstance(value, Mapping):
        raise _Refused("invalid_field", field, f"{field} must be an object")
    return dict(value)


def _identifier(kind: IdentifierKind, raw: Any, field: str, region: str) -> Identifier:
    try:
        return normalise(kind, raw, region=region)
    except InvalidIdentifier as error:
        raise _Refused(f"invalid_{kind.value}", field, f"{field}: {error.reason}") from None


def _kept_aside(
    kind: IdentifierKind, raw: Any, field: str, region: str, notes: _Notes, trait: str
) -> Identifier | None:
    """The identifier, or None with a warning when it cannot be normalised: its raw text is
    kept as the unverified trait ``trait`` (never a link between people)."""
    try:
        return _identifier(kind, raw, field, region)
    except _Refused as refused:
        notes.warnings.append(
            (
                f"unverified_{kind.value}",
                field,
                f"{refused.reason}; kept as the unverified trait {trait}, not used to link",
            )
        )
        if isinstance(raw, str | int) and not isinstance(raw, bool):
            notes.unverified[trait] = str(raw)[:200]
        return None


def _trait_identifiers(
    traits: Mapping[str, Any], prefix: str, region: str, notes: _Notes
) -> list[Identifier]:
    found = []
    for name, kind in TRAIT_IDENTIFIERS.items():
        value = traits.get(name)
        if value is None or (isinstance(value, str) and not value.strip()):
            continue
        identifier = _kept_aside(
            kind, value, f"{prefix}.{name}", region, notes, f"{name}{UNVERIFIED_SUFFIX}"
        )
        if identifier is not None:
            found.append(identifier)
    return found


def _external_ids(context: Mapping[str, Any], region: str, notes: _Notes) -> list[Identifier]:
    entries = context.get("externalIds")
    if entries is None:
        return []
    if not isinstance(entries, list):
        raise _Refused("invalid_field", "context.externalIds", "context.externalIds must be a list")
    found = []
    for position, entry in enumerate(entries):
        field = f"context.externalIds[{position}]"
        if not isinstance(entry, Mapping) or entry.get("id") in (None, ""):
            raise _Refused("invalid_field", field, f"{field} needs an id")
        type_name = str(entry.get("type") or "external_id")
        kind = EXTERNAL_ID_TYPES.get(type_name, IdentifierKind.external_id)
        raw = entry["id"]
        if kind is IdentifierKind.external_id and type_name not in EXTERNAL_ID_TYPES:
            raw = f"{type_name}:{raw}"
        trait = f"{type_name[:60]}{UNVERIFIED_SUFFIX}"
        identifier = _kept_aside(kind, raw, f"{field}.id", region, notes, trait)
        if identifier is not None:
            found.append(identifier)
    return found


def clamp_time(at: datetime, received_at: datetime) -> tuple[datetime, str | None]:
    """``at`` held between :data:`TIME_FLOOR` and ``received_at`` plus
    :data:`MAX_FUTURE_SKEW`, and the code of the correction made, if any.

    A time after that is a wrong clock: kept, it would pin a trait (the latest observation
    wins) and give an order a negative recency; it becomes the reception time."""
    if at > received_at + MAX_FUTURE_SKEW:
        return received_at, "timestamp_in_future"
    if at < TIME_FLOOR:
        return TIME_FLOOR, "timestamp_too_old"
    return at, None


def _occurred_at(
    message: Mapping[str, Any],
    received_at: datetime,
    batch_sent_at: datetime | None,
    notes: _Notes,
) -> datetime:
    """When it happened: ``timestamp`` as sent, else the device's ``originalTimestamp``
    corrected for the device clock's skew (``receivedAt - (sentAt - originalTimestamp)``, as
    Segment does), else the time it was received; clamped (:func:`clamp_time`)."""
    timestamp = parse_timestamp(message.get("timestamp"), "timestamp")
    field = "timestamp"
    if timestamp is None:
        field = "originalTimestamp"
        original = parse_timestamp(message.get("originalTimestamp"), "originalTimestamp")
        sent_at = parse_timestamp(message.get("sentAt"), "sentAt") or batch_sent_at
        if original is not None and sent_at is not None:
            # Each time was within the years; the difference of two wrong clocks may not be.
            timestamp = max(received_at - (sent_at - original), TIME_FLOOR - timedelta(days=1))
        else:
            timestamp = original
    if timestamp is None:
        return received_at
    clamped, code = clamp_time(timestamp, received_at)
    if code is not None:
        notes.warnings.append(
            (
                code,
                field,
                f"{field} {timestamp.isoformat()} is "
                + (
                    f"over {int(MAX_FUTURE_SKEW.total_seconds() // 60)} minutes after its "
                    "reception; the reception time is kept"
                    if code == "timestamp_in_future"
                    else f"before {TIME_FLOOR.date().isoformat()}; that date is kept"
                ),
            )
        )
    return clamped


def _check_traits(traits: Mapping[str, Any], field: str) -> None:
    """Refuse traits nested deeper than MAX_TRAIT_DEPTH or larger than MAX_TRAIT_BYTES."""
    if not traits:
        return
    if json_depth(dict(traits), limit=MAX_TRAIT_DEPTH) > MAX_TRAIT_DEPTH:
        raise _Refused(
            "traits_too_deep", field, f"{field} nest over {MAX_TRAIT_DEPTH} levels of objects"
        )
    size = len(json.dumps(traits, default=str).encode())
    if size > MAX_TRAIT_BYTES:
        raise _Refused(
            "traits_too_large",
            field,
            f"{field} are {size} bytes as JSON; the limit is {MAX_TRAIT_BYTES}",
        )


def _check_order_amount(properties: Mapping[str, Any]) -> None:
    """Refuse an order total, revenue or value too large to be one."""
    for name in ("total", "revenue", "value"):
        raw = properties.get(name)
        if isinstance(raw, bool) or not isinstance(raw, int | float | str):
            continue
        try:
            amount = Decimal(str(raw).strip())
        except InvalidOperation:
            continue
        if amount.is_finite() and abs(amount) >= MAX_ORDER_AMOUNT:
            raise _Refused(
                "amount_out_of_range",
                f"properties.{name}",
                f"properties.{name} is over {MAX_ORDER_AMOUNT:,} (currency units)",
            )


def _name(message: Mapping[str, Any], kind: str, properties: Mapping[str, Any]) -> str:
    if kind == "track":
        event = message.get("event")
        if not isinstance(event, str) or not event.strip():
            raise _Refused("missing_event", "event", "a track message needs an event name")
        if len(event) > MAX_EVENT_NAME:
            raise _Refused(
                "invalid_field", "event", f"the event name is over {MAX_EVENT_NAME} characters"
            )
        return event.strip()
    if kind in ("page", "screen"):
        name = message.get("name") or properties.get("name") or message.get("category") or ""
        return str(name)[:MAX_EVENT_NAME]
    if kind == "group":
        return str(message.get("groupId") or "")[:MAX_EVENT_NAME]
    return ""


def _parse(
    message: Any,
    *,
    index: int,
    forced_type: str | None,
    received_at: datetime,
    batch_sent_at: datetime | None,
    region: str,
    max_bytes: int | None,
) -> ParsedMessage:
    if not isinstance(message, Mapping):
        raise _Refused("not_an_object", "", "a message must be a JSON object")
    size = len(json.dumps(message, default=str).encode()) if max_bytes is not None else 0
    if max_bytes is not None and size > max_bytes:
        raise _Refused(
            "message_too_large", "", f"the message is {size} bytes; the limit is {max_bytes}"
        )
    _check_values(message, "")
    kind = forced_type or message.get("type")
    if kind not in MESSAGE_TYPES:
        raise _Refused(
            "invalid_type", "type", f"type must be one of {', '.join(MESSAGE_TYPES)}, not {kind!r}"
        )
    context = _object(message.get("context"), "context")
    properties = _object(message.get("properties"), "properties")
    context_traits = _object(context.get("traits"), "context.traits")
    own_traits = _object(message.get("traits"), "traits")

    identifiers: list[Identifier] = []
    user_id = _identifier_text(message.get("userId"), "userId")
    anonymous_id = _identifier_text(message.get("anonymousId"), "anonymousId")
    if kind == "alias":
        previous_id = _identifier_text(message.get("previousId"), "previousId")
        if previous_id is None or user_id is None:
            raise _Refused("missing_id", "previousId", "an alias needs previousId and userId")
        identifiers.append(
            _identifier(IdentifierKind.anonymous_id, previous_id, "previousId", region)
        )
    elif user_id is None and anonymous_id is None:
        raise _Refused("missing_id", "userId", "a message needs a userId or an anonymousId")
    if kind == "group" and _identifier_text(message.get("groupId"), "groupId") is None:
        raise _Refused("missing_id", "groupId", "a group message needs a groupId")
    if user_id is not None:
        identifiers.append(_identifier(IdentifierKind.user_id, user_id, "userId", region))
    if anonymous_id is not None:
        identifiers.append(
            _identifier(IdentifierKind.anonymous_id, anonymous_id, "anonymousId", region)
        )
    notes = _Notes()
    _check_traits(context_traits, "context.traits")
    _check_traits(own_traits, "traits")
    identifiers += _trait_identifiers(context_traits, "context.traits", region, notes)
    if kind == "identify":
        identifiers += _trait_identifiers(own_traits, "traits", region, notes)
    identifiers += _external_ids(context, region, notes)
    device = _object(context.get("device"), "context.device")
    if device.get("id") not in (None, ""):
        device_id = _kept_aside(
            IdentifierKind.device_id,
            device["id"],
            "context.device.id",
            region,
            notes,
            f"device_id{UNVERIFIED_SUFFIX}",
        )
        if device_id is not None:
            identifiers.append(device_id)

    traits: dict[str, Any] = {}
    if kind == "identify":
        traits = {
            name: value
            for name, value in {**context_traits, **own_traits}.items()
            if name not in TRAIT_IDENTIFIERS and len(name) <= 100
        }
        traits.update(notes.unverified)
    elif kind == "group":
        traits = {"group_id": str(message.get("groupId"))}

    message_id = message.get("messageId")
    if message_id is None or message_id == "":
        message_id = f"auto-{new_id()}"
    elif isinstance(message_id, bool) or not isinstance(message_id, str | int):
        raise _Refused("invalid_field", "messageId", "messageId must be a string")
    message_id = str(message_id)
    if len(message_id) > MAX_MESSAGE_ID:
        raise _Refused(
            "invalid_field", "messageId", f"messageId is over {MAX_MESSAGE_ID} characters"
        )
    name = _name(message, kind, properties)
    if kind == "track" and order_status(name) is not None:
        _check_order_amount(properties)
    review = None
    if kind == "track" and name == PRODUCT_REVIEWED:
        try:
            review = draft_from_properties(properties)
        except RefusedReview as refused:
            raise _Refused(refused.code, f"properties.{refused.field}", refused.reason) from None
    try:
        consents, aside = message_answers(
            kind=kind, name=name, traits=traits, properties=properties, context=context
        )
    except RefusedConsent as refused:
        raise _Refused(refused.code, refused.field, refused.reason) from None
    notes.warnings += [
        ("invalid_consent", item.field, f"{item.reason}; this answer is not taken")
        for item in aside
    ]
    occurred_at = _occurred_at(message, received_at, batch_sent_at, notes)
    return ParsedMessage(
        index=index,
        type=kind,
        message_id=message_id,
        name=name,
        occurred_at=occurred_at,
        identifiers=tuple(dict.fromkeys(identifiers)),
        traits=traits,
        properties=properties,
        raw=dict(message),
        order=order_facts(name, properties, domain=False) if kind == "track" else None,
        warnings=tuple(
            MessageWarning(index, message_id, code, where, reason)
            for code, where, reason in notes.warnings
        ),
        review=review,
        consents=tuple(consents),
    )


def parse_message(
    message: Any,
    *,
    index: int = 0,
    forced_type: str | None = None,
    received_at: datetime,
    batch_sent_at: datetime | None = None,
    region: str = "FR",
    max_bytes: int | None = 32_768,
) -> ParsedMessage | Rejection:
    """One message of a batch, read, or the precise reason it is refused.

    ``max_bytes``: the largest message accepted; None when the caller knows every message
    is small enough (a whole body under the limit).
    """
    try:
        return _parse(
            message,
            index=index,
            forced_type=forced_type,
            received_at=received_at,
            batch_sent_at=batch_sent_at,
            region=region,
            max_bytes=max_bytes,
        )
    except _Refused as refused:
        message_id = message.get("messageId") if isinstance(message, Mapping) else None
        shown_id = str(message_id)[:MAX_MESSAGE_ID] if message_id is not None else None
        return Rejection(
            index=index,
            message_id=shown_id if shown_id is not None and _clean_text(shown_id) else None,
            code=refused.code,
            field=refused.field,
            reason=refused.reason,
        )


def batch_sent_at(body: Mapping[str, Any]) -> datetime | Rejection | None:
    """The batch's own ``sentAt``, when it has a readable one."""
    try:
        return parse_timestamp(body.get("sentAt"), "sentAt")
    except _Refused as refused:
        return Rejection(-1, None, refused.code, refused.field, refused.reason)
