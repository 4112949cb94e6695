"""Who may manage webhooks: head office only.

An endpoint receives every event it follows, whatever channel or store caused it (orders,
customers, stock of the whole network), so subscriptions belong to the retailer itself: a
first-party key that is not bound to a store and carries ``webhooks:admin``, a head-office
member in the back office, or the operator. A till's key or a marketplace's is refused
whatever its scopes (403 ``webhooks_forbidden``).
"""

from __future__ import annotations

from omnicanal.platform.access import is_first_party, is_privileged
from omnicanal.platform.actors import Actor
from omnicanal.webhooks.errors import WebhooksForbidden

__all__ = ["ADMIN_SCOPE", "check_admin", "is_admin"]

ADMIN_SCOPE = "webhooks:admin"


def is_admin(actor: Actor) -> bool:
    """The operator, or a first-party key of head office with ``webhooks:admin``."""
    if is_privileged(actor):
        return True
    return is_first_party(actor) and actor.location_code is None and ADMIN_SCOPE in actor.scopes


def check_admin(actor: Actor) -> None:
    """Refuse a caller who may not manage webhooks."""
    if is_admin(actor):
        return
    if not is_first_party(actor):
        detail = f"A {actor.channel} key cannot manage webhooks: they are the retailer's own."
    elif actor.location_code is not None:
        detail = f"A key of store {actor.location_code} cannot manage webhooks: head office can."
    else:
        detail = f"A key needs the '{ADMIN_SCOPE}' scope (head office) to manage webhooks."
    raise WebhooksForbidden(detail, required_scope=ADMIN_SCOPE)
