"""Use cases of the orders module: checkout, operations on placed orders, and reads."""

from omnicanal.orders.service.checkout import checkout
from omnicanal.orders.service.operations import (
    SWEEPER,
    act,
    cancel_order,
    expire_overdue,
    reject_line,
    update_payment,
)
from omnicanal.orders.service.queries import (
    get_fulfilment_view,
    get_order,
    list_fulfilment_views,
    list_orders,
)

__all__ = [
    "SWEEPER",
    "act",
    "cancel_order",
    "checkout",
    "expire_overdue",
    "get_fulfilment_view",
    "get_order",
    "list_fulfilment_views",
    "list_orders",
    "reject_line",
    "update_payment",
]
