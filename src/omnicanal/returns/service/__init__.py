"""Use cases of the returns module: open a return, review, inspect, refund, exchange,
cancel, close, and read them."""

from omnicanal.returns.service.credit import add_store_credit, get_store_credit
from omnicanal.returns.service.handling import (
    cancel_return,
    close_return,
    exchange,
    inspect,
    refund,
    review,
)
from omnicanal.returns.service.queries import get_return, label_token, list_returns, review_queue
from omnicanal.returns.service.requesting import open_return, receive_parcel

__all__ = [
    "add_store_credit",
    "cancel_return",
    "close_return",
    "exchange",
    "get_return",
    "get_store_credit",
    "inspect",
    "label_token",
    "list_returns",
    "open_return",
    "receive_parcel",
    "refund",
    "review",
    "review_queue",
]
