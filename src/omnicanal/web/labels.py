"""The words for an order's and a fulfilment's status, the same on every page.

Message ids (translated by the catalogs), so that the clerk at the counter and head office
read the same status for the same order, and an order's "allocated" (being prepared) does
not read like a fulfilment's "allocated" (to pick).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

__all__ = [
    "ACTOR_NAMES",
    "ALERT_PRIORITY_LABELS",
    "CHANNEL_LABELS",
    "EVENT_LABELS",
    "FULFILMENT_STATUS_LABELS",
    "FULFILMENT_STEP_LABELS",
    "LOCATION_KIND_LABELS",
    "ORDER_STATUS_LABELS",
    "PAYMENT_PROVIDER_LABELS",
    "PICKUP_EXCLUSION_LABELS",
    "PRODUCT_REVIEW_STATUS_LABELS",
    "RETURN_CHANNEL_LABELS",
    "RETURN_CONDITION_LABELS",
    "RETURN_REASON_LABELS",
    "RETURN_STATUS_LABELS",
    "REVIEW_REASON_NAMES",
    "REVIEW_REASON_SENTENCES",
    "REVIEW_REJECTION_LABELS",
    "actor_label",
    "event_label",
    "review_reason_label",
]

ORDER_STATUS_LABELS = {
    "placed": "Order placed",
    "allocated": "Being prepared",
    "partially_fulfilled": "Partly sent or handed over",
    "fulfilled": "Sent or handed over",
    "completed": "Completed",
    "cancelled": "Cancelled",
}
FULFILMENT_STATUS_LABELS = {
    "allocated": "Allocated",
    "picking": "Picking",
    "packed": "Packed",
    "shipped": "Shipped",
    "delivered": "Delivered",
    "ready_for_pickup": "Ready for pickup",
    "checked_in": "Customer arrived",
    "collected": "Collected",
    "held": "Held for trying",
    "tried": "Tried",
    "bought": "Bought",
    "released": "Released",
    "expired": "Expired",
    "completed": "Completed",
    "cancelled": "Cancelled",
    "rejected": "Rejected",
}

FULFILMENT_STEP_LABELS = {
    "pick": "pick",
    "pack": "pack",
    "ship": "send off",
    "deliver": "deliver",
    "ready": "mark ready",
    "check_in": "customer arrived",
    "collect": "hand over",
    "try_on": "tried on",
    "buy": "bought",
    "release": "put back on the shelf",
    "expire": "expired",
    "cancel": "cancel",
    "reject": "reject",
}
"""A fulfilment's steps (its actions) as people read them."""

CHANNEL_LABELS = {
    "web": "Website",
    "app": "Mobile app",
    "store": "In store",
    "call_centre": "Call centre",
    "marketplace": "Marketplace",
    "back_office": "Head office",
    "system": "Automatic",
}
LOCATION_KIND_LABELS = {
    "store": "shop",
    "warehouse": "warehouse",
    "dark_store": "dark store",
    "pickup_point": "pickup point",
    "outlet": "outlet shop",
}
# A stock alert's priority (omnicanal.inventory.priority.Priority).
ALERT_PRIORITY_LABELS = {
    "urgent": "Urgent",
    "high": "High",
    "normal": "Normal",
    "dormant": "No recent sale",
}
# Why a store holding a basket's items is not offered for click & collect
# (omnicanal.orders.pickup.Exclusion).
PICKUP_EXCLUSION_LABELS = {
    "no_click_and_collect": "no click & collect",
    "store_sales_only": "stock kept for in-store sales",
    "kept_for_walk_ins": "safety stock kept for walk-in customers",
    "held_for_orders": "held for other orders",
    "too_far": "too far",
}
EVENT_LABELS = {
    "order.placed": "Order was placed",
    "order.created": "Order was placed",
    "order.allocated": "Order being prepared",
    "order.partially_fulfilled": "Order partly sent or handed over",
    "order.fulfilled": "Order sent or handed over",
    "order.completed": "Order completed",
    "order.cancelled": "Order cancelled",
    "order.canceled": "Order cancelled",
    "order.line_cancelled": "Order line cancelled",
    "order.line_resourced": "Order line sent from another location",
    "order.payment_updated": "Payment updated",
    "order.payment_refunded": "Payment refunded",
    "order.refunded": "Order refunded",
    "return.requested": "Return opened",
    "return.review_requested": "Return sent to head office for review",
    "return.approved": "Return approved by head office",
    "return.refused": "Return refused by head office",
    "return.received": "Return parcel received",
    "return.inspected": "Returned items inspected",
    "return.refunded": "Return refunded",
    "return.exchanged": "Items exchanged",
    "return.closed": "Return closed without a refund",
    "return.cancelled": "Return cancelled, item kept",
    "cart.created": "Basket opened",
    "cart.checked_out": "Basket paid",
    "cart.merged": "Baskets merged",
    "customer.identified": "Customer recognised",
    "customer.profiles_merged": "Customer records merged",
    "customer.profiles_unmerged": "Customer records separated",
    "customer.erased": "Customer data erased",
}
"""Event types as people read them; a fulfilment's events read as its status."""


def event_label(event: str, _: Callable[[str], str]) -> str:
    """``order.placed`` → "Commande passée"; ``fulfilment.picking`` → its status word."""
    if event in EVENT_LABELS:
        return _(EVENT_LABELS[event])
    subject, _dot, what = event.partition(".")
    if subject == "fulfilment" and what in FULFILMENT_STATUS_LABELS:
        return _(FULFILMENT_STATUS_LABELS[what])
    return event


PAYMENT_PROVIDER_LABELS = {
    "store_terminal": "Card terminal",
    "in_store": "In the store, after trying",
    "loyalty": "Loyalty points",
}
"""The payment providers omnicanal itself names (the till's terminal, a reserve & try paid in
the store, points); a payment service's own name (``adyen``) is shown as given."""


ACTOR_NAMES = {
    "cli": "server command line",
    "sweeper": "automatic expiry",
    "matcher": "customer matching",
    "customers.matching": "customer matching",
    "customers.timeline": "customer timeline",
    "loyalty": "loyalty programme",
}
"""The operators that are programs, not people (``operator:<name>``)."""


def actor_label(actor: str, _: Callable[[str], str]) -> str:
    """Who acted, as stored (``operator:lea@example.fr``, ``operator:cli``, ``key:01H…``), as
    people read it: the staff member's e-mail, "server command line", "API key 01H…"."""
    kind, _colon, name = actor.partition(":")
    if kind == "operator":
        # A head-office member at a back-office page: ``operator:staff:<e-mail>``.
        name = name.removeprefix("staff:")
        return _(ACTOR_NAMES[name]) if name in ACTOR_NAMES else name or _(ACTOR_NAMES["cli"])
    if kind == "key":
        return _("API key %(key)s") % {"key": name}
    return actor


RETURN_STATUS_LABELS = {
    "requested": "Authorised, parcel on its way",
    "review_pending": "Waiting for head office's review",
    "approved": "Approved",
    "refused": "Refused",
    "received": "Received",
    "inspected": "Inspected",
    "refunded": "Refunded",
    "exchanged": "Exchanged",
    "closed": "Closed without refund",
    "cancelled": "Return cancelled",
}
"""A return's status (``returns.states.ReturnStatus``) as people read it."""

RETURN_REASON_LABELS = {
    "too_small": "Too small",
    "too_large": "Too large",
    "not_as_described": "Not as described",
    "defective": "Defective",
    "wrong_item": "Wrong item received",
    "arrived_late": "Arrived late",
    "changed_mind": "Changed their mind",
    "other": "Other reason",
}
"""Why the customer brings an item back (``returns.rules.ReasonCode``)."""

RETURN_CONDITION_LABELS = {
    "unworn": "Unworn",
    "worn": "Worn",
    "damaged": "Damaged",
}
"""The state a returned unit is in (``returns.rules.Condition``)."""

RETURN_CHANNEL_LABELS = {
    "store": "At a store counter",
    "post": "By post",
}
"""How a return came back (``Return.return_channel``)."""

REVIEW_REASON_SENTENCES = {
    "outside_window": (
        "Outside the return window: %(days)d days since the customer received it, "
        "%(window_days)d allowed"
    ),
    "no_proof_of_purchase": "No proof of purchase",
    "worn": "An item comes back worn",
    "damaged": "An item comes back damaged",
    "high_value_line": "High-value item: %(amount)s, above the %(threshold)s threshold",
    "high_value_total": "High-value return: %(amount)s in all, above the %(threshold)s threshold",
    "high_value_customer": "High-value customer",
}
"""Why the return rules sent a return to a person (``returns.rules.ReviewCode``), with the
reason's parameters: days since vs days allowed, amount vs threshold."""

REVIEW_REASON_NAMES = {
    "outside_window": "Outside the return window",
    "no_proof_of_purchase": "No proof of purchase",
    "worn": "Worn item",
    "damaged": "Damaged item",
    "high_value_line": "High-value item",
    "high_value_total": "High-value return",
    "high_value_customer": "High-value customer",
}
"""A review reason's short name, without its parameters (to choose it in a list)."""

# A product review's moderation status and why one was rejected (omnicanal.reviews.rules);
# "review" alone names the returns' and the identities' reviews on other pages.
PRODUCT_REVIEW_STATUS_LABELS = {
    "pending": "Waiting for moderation",
    "published": "Opinion published",
    "rejected": "Opinion rejected",
    "all": "Any moderation status",
}
REVIEW_REJECTION_LABELS = {
    "offensive": "Offensive or abusive",
    "off_topic": "Not about the product",
    "personal_data": "Holds personal data",
    "advertising": "Advertising or links",
    "not_genuine": "Not a genuine customer opinion",
    "duplicate": "Sent twice",
}


def review_reason_label(
    code: str,
    params: Mapping[str, Any],
    _: Callable[[str], str],
    money: Callable[[int], str],
) -> str:
    """A review reason as a sentence in the reader's language, its parameters filled in
    (``money`` writes an amount in minor units); an unknown code as it is."""
    sentence = REVIEW_REASON_SENTENCES.get(code)
    if sentence is None:
        return code
    values: dict[str, Any] = {
        "days": int(params.get("days", 0)),
        "window_days": int(params.get("window_days", 0)),
        "amount": money(int(params.get("amount_minor", 0))),
        "threshold": money(int(params.get("threshold_minor", 0))),
    }
    return _(sentence) % values
