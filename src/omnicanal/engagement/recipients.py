"""Whom a message reaches: a person's address on a channel and the language they read.

An address is one of the person's own identifiers (never one shared with someone else): their
e-mail for the ``email`` channel, their phone (E.164) for ``sms``. Their language is the
latest ``language`` or ``locale`` trait a channel gave (``en-GB`` reads ``en``), French
otherwise: the languages omnicanal writes messages in are French and English.
"""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy.orm import Session

from omnicanal.carts import service as carts
from omnicanal.carts.errors import UnknownCart
from omnicanal.carts.schemas import CartOut
from omnicanal.customers import service as customers
from omnicanal.customers.errors import UnknownProfile
from omnicanal.customers.identifiers import IdentifierKind
from omnicanal.orders.errors import UnknownOrder
from omnicanal.orders.lookups import order_customer_ref, order_customer_refs
from omnicanal.platform.db import kept_memo, transaction_memo

__all__ = [
    "DEFAULT_LANGUAGE",
    "LANGUAGES",
    "address_for",
    "addresses",
    "cart_read",
    "is_reachable",
    "language_of",
    "order_person",
    "person_named",
    "reachable_person",
    "read_ahead",
    "visitor_cart",
]

LANGUAGES = ("fr", "en")
DEFAULT_LANGUAGE = "fr"
LANGUAGE_TRAITS = ("language", "locale", "preferred_language", "lang")
_IDENTIFIER_OF_CHANNEL = {"email": "email", "sms": "phone"}
_ADDRESS_KINDS = tuple(IdentifierKind(kind) for kind in _IDENTIFIER_OF_CHANNEL.values())


def addresses(session: Session, profile_id: str) -> dict[str, str]:
    """The person's address on each channel that has one (``email``, ``sms``): as the
    consumer's read-ahead kept it (:func:`read_ahead`), else read now."""
    kept = kept_memo(session, _ADDRESSES)
    if kept is not None and profile_id in kept:
        found: dict[str, str] = kept[profile_id]
        return found
    own = customers.own_identifiers(session, profile_id=profile_id, kinds=_ADDRESS_KINDS)
    return _addresses(own)


def _addresses(own: dict[str, str]) -> dict[str, str]:
    return {channel: own[kind] for channel, kind in _IDENTIFIER_OF_CHANNEL.items() if own.get(kind)}


def address_for(session: Session, profile_id: str | None, channel: str) -> str | None:
    """The person's address on ``channel``, or None when they have none there."""
    if profile_id is None:
        return None
    return addresses(session, profile_id).get(channel)


def is_reachable(session: Session, profile_id: str) -> bool:
    """Whether the person has an address on some channel (a visitor known only by a cookie
    has none)."""
    return bool(addresses(session, profile_id))


def language_of(session: Session, profile_id: str | None) -> str:
    """The language to write to the person in: ``fr`` or ``en``."""
    if profile_id is None:
        return DEFAULT_LANGUAGE
    try:
        profile = customers.get_profile(session, profile_id=profile_id, timeline_limit=1)
    except UnknownProfile:
        return DEFAULT_LANGUAGE
    traits = {trait.name: trait.value for trait in profile.traits}
    for name in LANGUAGE_TRAITS:
        value = traits.get(name)
        if isinstance(value, str) and value.strip():
            code = value.strip().replace("_", "-").split("-")[0].lower()
            return code if code in LANGUAGES else DEFAULT_LANGUAGE
    return DEFAULT_LANGUAGE


_PEOPLE = "engagement.people"
"""The transaction's memo (``transaction_memo``) of the person each customer reference names."""
_CARTS = "engagement.carts"
"""The transaction's memo of the carts read (unpriced), None for an unknown id."""
_VISITORS = "engagement.visitor_carts"
"""The transaction's memo of each visitor's latest open cart id, None for none."""
_ORDERS = "engagement.order_customers"
"""The transaction's memo of the customer reference of each order read, ``_NO_ORDER`` for
an unknown id."""
_NO_ORDER = object()
_ADDRESSES = "engagement.addresses"
"""The transaction's memo of the addresses (:func:`addresses`) of the people its read-ahead
found: made only there (a request that adds an address reads again)."""


def person_named(session: Session, customer_ref: str | None, *, region: str) -> str | None:
    """The person (merges followed) a cart's, an order's or a return's customer reference
    names, None for nobody; phone numbers read in ``region``.

    Remembered for the transaction: the journeys' consumer hears a checkout's several events
    in one, and reads identities without changing them."""
    if not customer_ref:
        return None
    people = transaction_memo(session, _PEOPLE)
    key = (customer_ref, region)
    if key not in people:
        people[key] = customers.referenced_profile_id(
            session, customer_ref=customer_ref, region=region
        )
    found: str | None = people[key]
    return found


def reachable_person(session: Session, customer_ref: str | None, *, region: str) -> str | None:
    """The person a cart's, an order's or a return's customer reference names (merges
    followed), when they can be reached; phone numbers read in ``region``."""
    found = person_named(session, customer_ref, region=region)
    return found if found is not None and is_reachable(session, found) else None


def cart_read(session: Session, cart_id: str) -> CartOut | None:
    """The cart ``cart_id`` with its lines, unpriced; None when no cart has this id.

    Remembered for the transaction, as the people are: the journeys' consumer hears a cart's
    several events in one, and never changes a cart."""
    known = transaction_memo(session, _CARTS)
    if cart_id not in known:
        try:
            known[cart_id] = carts.get_cart(session, cart_id=cart_id, with_prices=False)
        except UnknownCart:
            known[cart_id] = None
    found: CartOut | None = known[cart_id]
    return found


def visitor_cart(session: Session, anonymous_id: str) -> CartOut | None:
    """The visitor's most recently updated open cart, unpriced; None when they have none.
    Remembered for the transaction, as the carts are."""
    known = transaction_memo(session, _VISITORS)
    if anonymous_id not in known:
        known[anonymous_id] = carts.open_carts_of_visitors(session, [anonymous_id]).get(
            anonymous_id
        )
    cart_id = known[anonymous_id]
    return cart_read(session, cart_id) if cart_id is not None else None


def order_person(session: Session, order_id: str, *, region: str) -> str | None:
    """The person (merges followed) an order was placed for; None for an anonymous sale, an
    unknown order or nobody known. Remembered for the transaction, as the carts are."""
    known = transaction_memo(session, _ORDERS)
    if order_id not in known:
        try:
            known[order_id] = order_customer_ref(session, order_id)
        except UnknownOrder:
            known[order_id] = _NO_ORDER
    reference = known[order_id]
    if reference is _NO_ORDER:
        return None
    return person_named(session, reference, region=region)


def read_ahead(
    session: Session,
    *,
    customer_refs: Iterable[str],
    cart_ids: Iterable[str],
    order_ids: Iterable[str] = (),
    anonymous_ids: Iterable[str] = (),
    region: str,
) -> None:
    """Read in one go the carts, the visitors' open carts, the orders' customers and the
    people a batch of events names, and where those people can be reached, and remember
    them for the transaction (:func:`cart_read`, :func:`visitor_cart`, :func:`order_person`,
    :func:`person_named`, :func:`addresses`): one statement for the visitors, one for the
    carts, one for the orders, two for the people of the whole batch (the carts' and the
    orders' customers among them) and one for their addresses, where the events read one by
    one took one to three each."""
    kept_visitors = transaction_memo(session, _VISITORS)
    visitors = [v for v in dict.fromkeys(anonymous_ids) if v not in kept_visitors]
    open_carts = carts.open_carts_of_visitors(session, visitors)
    for visitor in visitors:
        kept_visitors[visitor] = open_carts.get(visitor)
    kept_carts = transaction_memo(session, _CARTS)
    unread = [
        cart_id
        for cart_id in dict.fromkeys([*cart_ids, *open_carts.values()])
        if cart_id not in kept_carts
    ]
    found = carts.unpriced_carts(session, unread)
    for cart_id in unread:
        kept_carts[cart_id] = found.get(cart_id)
    references = [reference for reference in customer_refs if reference]
    for cart in found.values():
        if cart.customer_ref:
            references.append(cart.customer_ref)
        if cart.anonymous_id:
            references.append(f"anonymous_id:{cart.anonymous_id}")
    kept_orders = transaction_memo(session, _ORDERS)
    unread = [order_id for order_id in dict.fromkeys(order_ids) if order_id not in kept_orders]
    placed_for = order_customer_refs(session, unread)
    for order_id in unread:
        reference = placed_for.get(order_id, _NO_ORDER)
        kept_orders[order_id] = reference
        if isinstance(reference, str):
            references.append(reference)
    people = transaction_memo(session, _PEOPLE)
    unknown = [ref for ref in dict.fromkeys(references) if (ref, region) not in people]
    if unknown:
        named = customers.referenced_profile_ids(session, customer_refs=unknown, region=region)
        for reference, person in named.items():
            people[(reference, region)] = person
    # Where each of them can be reached: one statement for the batch, where each planning
    # asked one.
    reachable = transaction_memo(session, _ADDRESSES)
    unseen = {person for person in people.values() if person and person not in reachable}
    own = customers.own_identifiers_of(session, profile_ids=unseen, kinds=_ADDRESS_KINDS)
    for person, identifiers in own.items():
        reachable[person] = _addresses(identifiers)
