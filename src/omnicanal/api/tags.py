"""The OpenAPI's tags: one per domain area, in the order a newcomer reads them.

Every operation carries exactly one of them (its router's); tests/api/test_openapi_contract.py
refuses an operation without one, so a new router gets its tag and description here.
"""

from __future__ import annotations

from typing import Any

__all__ = ["TAGS"]

TAGS: list[dict[str, Any]] = [
    {
        "name": "network",
        "description": "Locations (stores, warehouses) with their capabilities and opening "
        "hours, and the channels each one serves.",
    },
    {
        "name": "catalog",
        "description": "Products and their variants: SKU, GTIN (check digit verified), size, "
        "colour.",
    },
    {
        "name": "inventory",
        "description": "One stock ledger per SKU and location: movements, stock levels, "
        "reservations that expire, availability per channel.",
    },
    {
        "name": "pricing",
        "description": "One price book and one promotions engine for every channel: quotes, "
        "explicit channel overrides, promotions, the consistency audit.",
    },
    {
        "name": "carts",
        "description": "Carts of any channel, anonymous or known, priced live; merged at login.",
    },
    {
        "name": "orders",
        "description": "Checkout (price, source, reserve, create the order in one transaction) "
        "and the one order status every channel reads.",
    },
    {
        "name": "fulfilment",
        "description": "Each step of ship, click & collect, reserve & try, carry out and "
        "endless aisle; the stores' work queues and pickup waits.",
    },
    {
        "name": "returns",
        "description": "Returns taken anywhere: review, inspection, restock, refund or "
        "exchange; postal labels; store credit and the returns measures.",
    },
    {
        "name": "customers",
        "description": "The unified customer profile: identifiers, traits, timeline, why it is "
        "one person; unmerges and the identity review queue.",
    },
    {
        "name": "tracking",
        "description": "Segment-compatible tracking (identify, track, page, screen, alias, "
        "group, batch) with a source's write key.",
    },
    {
        "name": "consents",
        "description": "A person's consent per purpose and channel, with its source, lawful "
        "basis and proof.",
    },
    {
        "name": "loyalty",
        "description": "Loyalty programmes, members, points earned, held and redeemed, "
        "rewards and tiers.",
    },
    {
        "name": "reviews",
        "description": "Customers' product reviews from every channel, moderated by head "
        "office; ratings per product and customer.",
    },
    {
        "name": "engagement",
        "description": "Message triggers, the messages they planned with each decision of the "
        "policy, facts reported to it, stock watches and the engagement measures.",
    },
    {
        "name": "messages",
        "description": "Delivery reports of the message providers (deliveries, bounces, "
        "complaints, unsubscriptions), with the provider's own credentials.",
    },
    {
        "name": "webhooks",
        "description": "Endpoints subscribed to events, their signing secrets, deliveries and "
        "replays.",
    },
    {
        "name": "privacy",
        "description": "The RGPD rights: export everything held about a customer, erase them "
        "everywhere.",
    },
    {
        "name": "analytics",
        "description": "Event counts per day, type and channel.",
    },
    {
        "name": "imports",
        "description": "CSV files of products, stock and prices, upserted in one go.",
    },
    {
        "name": "exports",
        "description": "Products, stock, orders, customers and the stock ledger as CSV or "
        "Parquet, streamed.",
    },
    {
        "name": "platform",
        "description": "The service itself: liveness and readiness.",
    },
]
