"""Use cases of the loyalty module (one function = one business action, caller's
transaction), re-exported here: ``from omnicanal.loyalty import service``."""

from omnicanal.loyalty.service.earning import (
    Sale,
    confirm_due,
    earn_for_sale,
    reverse_units,
    sale_of,
)
from omnicanal.loyalty.service.expiry import expire_points, review_tiers
from omnicanal.loyalty.service.members import (
    adjust_points,
    enrol,
    find_member,
    get_member,
    ledger_page,
    member_out,
)
from omnicanal.loyalty.service.programmes import (
    create_programme,
    get_programme,
    list_programmes,
    update_programme,
)
from omnicanal.loyalty.service.reactions import LOYALTY_EVENTS, react
from omnicanal.loyalty.service.redemptions import (
    LOYALTY_TENDER,
    capture_tenders,
    get_redemption,
    hold_points,
    list_redemptions,
    release_expired_holds,
    release_redemption,
)

__all__ = [
    "LOYALTY_EVENTS",
    "LOYALTY_TENDER",
    "Sale",
    "adjust_points",
    "capture_tenders",
    "confirm_due",
    "create_programme",
    "earn_for_sale",
    "enrol",
    "expire_points",
    "find_member",
    "get_member",
    "get_programme",
    "get_redemption",
    "hold_points",
    "ledger_page",
    "list_programmes",
    "list_redemptions",
    "member_out",
    "react",
    "release_expired_holds",
    "release_redemption",
    "reverse_units",
    "review_tiers",
    "sale_of",
    "update_programme",
]
