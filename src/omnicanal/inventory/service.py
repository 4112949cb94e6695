"""Use cases of the inventory module: its public surface for edges and other modules.

Every change to a stock level is one atomic conditional UPDATE in the database
(``... SET reserved = reserved + :q WHERE available >= :q``), never a read followed by a
write, so concurrent writers from every channel can never reserve more than there is
(docs/adr/0002). The work lives in ``ledger``, ``counting``, ``reservations`` and ``levels``.
"""

from omnicanal.inventory.counting import StockCount, count_stock
from omnicanal.inventory.errors import ChannelForbidden
from omnicanal.inventory.ledger import (
    receive_returned,
    record_movement,
    update_stock_settings,
)
from omnicanal.inventory.levels import LevelAfter, ensure_levels, stock_status
from omnicanal.inventory.line_reservations import LineHold, confirm_lines, reserve_lines
from omnicanal.inventory.listing import (
    movement_page,
    reservation_page,
    sku_movements,
    stock_level_page,
)
from omnicanal.inventory.reservations import (
    confirm_reservation,
    expired_hold,
    get_reservation,
    release_expired,
    release_reservation,
    reserve,
)

__all__ = [
    "ChannelForbidden",
    "LevelAfter",
    "LineHold",
    "StockCount",
    "confirm_lines",
    "confirm_reservation",
    "count_stock",
    "ensure_levels",
    "expired_hold",
    "get_reservation",
    "movement_page",
    "receive_returned",
    "record_movement",
    "release_expired",
    "release_reservation",
    "reservation_page",
    "reserve",
    "reserve_lines",
    "sku_movements",
    "stock_level_page",
    "stock_status",
    "update_stock_settings",
]
