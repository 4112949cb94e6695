"""The words for an order's and a fulfilment's status, the same on every page.

Message ids (translated by the catalogs), so that the clerk at the counter and head office
read the same status for the same order, and an order's "allocated" (being prepared) does
not read like a fulfilment's "allocated" (to pick).
"""

from __future__ import annotations

__all__ = ["FULFILMENT_STATUS_LABELS", "ORDER_STATUS_LABELS"]

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
