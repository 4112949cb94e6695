"""Use cases of the orders module: checkout, operations on placed orders, and reads."""

from omnicanal.orders.service.checkout import checkout
from omnicanal.orders.service.operations import (
    SWEEPER,
    act,
    cancel_order,
    expire_overdue,
    record_refund,
    reject_line,
    update_payment,
)
from omnicanal.orders.service.pickup import PickupChoices, pickup_choices
from omnicanal.orders.service.queries import (
    OrderCustomer,
    count_orders,
    get_fulfilment_view,
    get_order,
    list_fulfilment_views,
    list_orders,
    order_customers,
    page_fulfilment_views,
)
from omnicanal.orders.service.selling import (
    CartStock,
    LineStock,
    PickupOption,
    StoreStock,
    Suggestion,
    bought_skus,
    bought_together,
    cart_stock,
    pickup_options,
    recent_skus,
)

__all__ = [
    "SWEEPER",
    "CartStock",
    "LineStock",
    "OrderCustomer",
    "PickupChoices",
    "PickupOption",
    "StoreStock",
    "Suggestion",
    "act",
    "bought_skus",
    "bought_together",
    "cancel_order",
    "cart_stock",
    "checkout",
    "count_orders",
    "expire_overdue",
    "get_fulfilment_view",
    "get_order",
    "list_fulfilment_views",
    "list_orders",
    "order_customers",
    "page_fulfilment_views",
    "pickup_choices",
    "pickup_options",
    "recent_skus",
    "record_refund",
    "reject_line",
    "update_payment",
]
