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
    count_orders,
    get_fulfilment_view,
    get_order,
    list_fulfilment_views,
    list_orders,
)
from omnicanal.orders.service.selling import (
    PickupOption,
    Suggestion,
    bought_together,
    pickup_options,
    recent_skus,
)

__all__ = [
    "SWEEPER",
    "PickupOption",
    "Suggestion",
    "act",
    "bought_together",
    "cancel_order",
    "checkout",
    "count_orders",
    "expire_overdue",
    "get_fulfilment_view",
    "get_order",
    "list_fulfilment_views",
    "list_orders",
    "pickup_options",
    "recent_skus",
    "reject_line",
    "update_payment",
]
