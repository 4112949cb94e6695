"""Loyalty writes at the counter (``/store/customers/{id}/…``): the customer joins the
programme in one tap, and one of their rewards goes on their counter basket in one tap.

Joining is the loyalty module's ``enrol`` (the clerk's store as where they joined); a reward
is applied by adding its single-use coupon to the basket through the carts module, so the
sale redeems it through the coupon path every channel uses. A refusal shows the customer
page again, nothing changed, with why in its loyalty panel.
"""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse, Response
from sqlalchemy.orm import Session

from omnicanal.carts import service as carts
from omnicanal.carts.errors import NoOpenCart
from omnicanal.carts.schemas import CartIn
from omnicanal.customers import service as customers
from omnicanal.customers.errors import UnknownProfile
from omnicanal.loyalty import service as loyalty
from omnicanal.loyalty.errors import AlreadyMember, UnknownMember
from omnicanal.loyalty.schemas import EnrolIn
from omnicanal.platform import audit
from omnicanal.platform.actors import Actor, ChannelKind
from omnicanal.platform.errors import Conflict, DomainError, NotFound
from omnicanal.platform.http.deps import PlatformDep
from omnicanal.staff import service as staff
from omnicanal.web import counter
from omnicanal.web.edge import Form, Member, WebDep
from omnicanal.web.loyalty import LOYALTY_PROBLEMS, membership

__all__ = ["RewardNotAvailable", "UnknownReward", "router"]

router = APIRouter()  # included by the store router, under /store

STORE_CHANNEL = ChannelKind.store.value


class UnknownReward(NotFound):
    code = "unknown_reward"
    title = "This reward is not the customer's"


class RewardNotAvailable(Conflict):
    code = "reward_not_available"
    title = "This reward was used or has expired"


def _refused(
    request: Request,
    edge: WebDep,
    platform: PlatformDep,
    member: staff.StaffMember,
    profile_id: str,
    error: DomainError,
) -> Response:
    """The customer page again, nothing changed, with why in the loyalty panel."""
    return counter.customer_page_refused(
        request,
        edge,
        platform,
        member,
        profile_id,
        error,
        panel="loyalty_problem",
        explained=LOYALTY_PROBLEMS,
    )


@router.post("/customers/{profile_id}/loyalty")
def enrol(
    request: Request,
    edge: WebDep,
    platform: PlatformDep,
    member: Member,
    form: Form,
    profile_id: str,
) -> Response:
    """The customer joins the programme at the counter, with a card when one is given."""
    card = form.get("card_number", "").strip()[:50] or None
    programme = form.get("programme", "").strip()[:50] or "-"
    try:
        with platform.db.transaction() as session:
            actor = staff.acting_as(session, member)
            profile = customers.get_profile(session, profile_id=profile_id, timeline_limit=1)
            if _member_of(session, programme=programme, profile_id=profile.id, actor=actor):
                # A second tap, or another counter was quicker: a member, as asked.
                raise AlreadyMember("Already a member.", field="profile_id")
            joined = loyalty.enrol(
                session,
                data=EnrolIn(programme=programme, profile_id=profile.id, card_number=card),
                actor=actor,
                region=platform.settings.phone_region,
            )
            audit.record(session, actor=actor, operation="loyalty_enrol", body={"id": joined.id})
    except UnknownProfile:
        return edge.renderer.render(
            request, "store/error.html", {"problem": "unknown_customer"}, status_code=404
        )
    except AlreadyMember:
        pass
    except DomainError as error:
        return _refused(request, edge, platform, member, profile_id, error)
    return RedirectResponse(f"/store/customers/{profile_id}#loyalty-title", status_code=303)


def _member_of(session: Session, *, programme: str, profile_id: str, actor: Actor) -> bool:
    """Whether the person is a member of ``programme`` already."""
    try:
        loyalty.find_member(session, actor=actor, programme=programme, profile_id=profile_id)
    except UnknownMember:
        return False
    return True


def _counter_basket(session: Session, *, profile_id: str, actor: Actor, currency: str) -> str:
    """The customer's open counter basket, or a new one for them at the clerk's store."""
    references = customers.customer_references(session, profile_id=profile_id)
    try:
        cart = carts.find_open_cart_among(
            session, customer_refs=references, channel=STORE_CHANNEL, actor=actor
        )
    except NoOpenCart:
        cart = None
    if cart is not None and cart.channel == STORE_CHANNEL:
        return cart.id
    made = carts.create_cart(
        session, data=CartIn(customer_ref=references[0]), actor=actor, currency=currency
    )
    audit.record(session, actor=actor, operation=f"store_basket:{made.id}:open")
    return made.id


@router.post("/customers/{profile_id}/rewards/{reward_id}/apply")
def apply_reward(
    request: Request,
    edge: WebDep,
    platform: PlatformDep,
    member: Member,
    form: Form,
    profile_id: str,
    reward_id: str,
) -> Response:
    """Add one of the customer's rewards to their counter basket (opened if they have
    none): its coupon, single use, is redeemed when the basket is sold."""
    try:
        with platform.db.transaction() as session:
            actor = staff.acting_as(session, member)
            profile = customers.get_profile(session, profile_id=profile_id, timeline_limit=1)
            joined = membership(session, profile_id=profile.id, actor=actor)
            rewards = loyalty.rewards_of(session, member_id=joined.id) if joined else []
            reward = next((r for r in rewards if r.id == reward_id), None)
            if reward is None:
                raise UnknownReward("This reward is not the customer's.", field="reward_id")
            if reward.status != "available":
                raise RewardNotAvailable(
                    f"This reward is {reward.status}.", field="reward_id", status=reward.status
                )
            cart_id = _counter_basket(
                session,
                profile_id=profile.id,
                actor=actor,
                currency=platform.settings.default_currency,
            )
            carts.add_coupon(session, cart_id=cart_id, code=reward.coupon_code, actor=actor)
            audit.record(session, actor=actor, operation=f"store_basket:{cart_id}:reward")
    except UnknownProfile:
        return edge.renderer.render(
            request, "store/error.html", {"problem": "unknown_customer"}, status_code=404
        )
    except DomainError as error:
        return _refused(request, edge, platform, member, profile_id, error)
    return RedirectResponse(f"/store/baskets/{cart_id}", status_code=303)
