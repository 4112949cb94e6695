"""The words for an order's and a fulfilment's status, the same on every page.

Message ids (translated by the catalogs), so that the clerk at the counter and head office
read the same status for the same order, and an order's "allocated" (being prepared) does
not read like a fulfilment's "allocated" (to pick).
"""

from __future__ import annotations

from collections.abc import Callable

__all__ = [
    "ACTOR_NAMES",
    "CHANNEL_LABELS",
    "EVENT_LABELS",
    "FULFILMENT_STATUS_LABELS",
    "FULFILMENT_STEP_LABELS",
    "LOCATION_KIND_LABELS",
    "ORDER_STATUS_LABELS",
    "actor_label",
    "event_label",
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


ACTOR_NAMES = {
    "cli": "server command line",
    "sweeper": "automatic expiry",
    "matcher": "customer matching",
    "customers.matching": "customer matching",
    "customers.timeline": "customer timeline",
}
"""The operators that are programs, not people (``operator:<name>``)."""


def actor_label(actor: str, _: Callable[[str], str]) -> str:
    """Who acted, as stored (``operator:lea@example.fr``, ``operator:cli``, ``key:01H…``), as
    people read it: the staff member's e-mail, "server command line", "API key 01H…"."""
    kind, _colon, name = actor.partition(":")
    if kind == "operator":
        return _(ACTOR_NAMES[name]) if name in ACTOR_NAMES else name or _(ACTOR_NAMES["cli"])
    if kind == "key":
        return _("API key %(key)s") % {"key": name}
    return actor
