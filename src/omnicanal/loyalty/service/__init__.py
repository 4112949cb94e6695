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
from omnicanal.loyalty.service.reactions import LOYALTY_EVENTS, react, read_ahead
from omnicanal.loyalty.service.redemptions import (
    LOYALTY_TENDER,
    capture_tenders,
    get_redemption,
    hold_points,
    list_redemptions,
    release_expired_holds,
    release_redemption,
)
from omnicanal.loyalty.service.reward_rules import reward_rules, set_reward_rules
from omnicanal.loyalty.service.rewards import (
    issue_due_rewards,
    issue_rewards,
    list_rewards,
    rewards_of,
)
from omnicanal.loyalty.service.sales import SalePoints, points_of_sale, points_within

__all__ = [
    "LOYALTY_EVENTS",
    "LOYALTY_TENDER",
    "Sale",
    "SalePoints",
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
    "issue_due_rewards",
    "issue_rewards",
    "ledger_page",
    "list_programmes",
    "list_redemptions",
    "list_rewards",
    "member_out",
    "points_of_sale",
    "points_within",
    "react",
    "read_ahead",
    "release_expired_holds",
    "release_redemption",
    "reverse_units",
    "review_tiers",
    "reward_rules",
    "rewards_of",
    "sale_of",
    "set_reward_rules",
    "update_programme",
]
