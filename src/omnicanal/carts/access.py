"""Who may read and change a cart: a pure policy over the caller and the cart's owner.

- A known customer's cart (``customer_ref``) follows the customer: every first-party
  channel reads and changes it (the counter sells the web cart).
- An anonymous cart belongs to the channel (and store) that opened it.
- A marketplace has no carts here: it sends its orders whole.
"""

from __future__ import annotations

from dataclasses import dataclass

from omnicanal.carts.errors import CartForbidden
from omnicanal.platform.access import Owner, is_first_party, is_privileged, owns
from omnicanal.platform.actors import Actor

__all__ = ["CartFacts", "check_cart", "check_open_cart", "may_use"]


@dataclass(frozen=True)
class CartFacts:
    """What the policy needs of a cart: who opened it, and the customer it is filed under."""

    id: str
    owner: Owner
    customer_ref: str | None = None


def may_use(actor: Actor, cart: CartFacts) -> bool:
    """Whether ``actor`` may read and change the cart."""
    if is_privileged(actor):
        return True
    if not is_first_party(actor):
        return False
    return cart.customer_ref is not None or owns(actor, cart.owner)


def check_open_cart(actor: Actor) -> None:
    """Refuse a caller who may hold no cart at all (a marketplace)."""
    if not is_privileged(actor) and not is_first_party(actor):
        raise CartForbidden(
            f"A {actor.channel} key has no carts: it checks out its orders with their lines.",
            field="channel",
        )


def check_cart(actor: Actor, cart: CartFacts) -> None:
    """Refuse a caller who may not read or change the cart."""
    check_open_cart(actor)
    if not may_use(actor, cart):
        where = f" at {cart.owner.location_code}" if cart.owner.location_code else ""
        raise CartForbidden(
            f"Cart {cart.id} is an anonymous cart of the {cart.owner.channel} channel{where}: "
            f"a {actor.channel} key cannot use it.",
            field="cart_id",
        )
