"""HTTP routes of the loyalty module (``/v1/loyalty``): programmes (head office), members
(enrol, look up, balance, ledger, adjustments), and redemptions: points held to pay part or
all of a sale on any channel, then captured by the order that names them as a tender;
rewards (the programmes' rules, the members' vouchers and offers), and the measures."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query

from omnicanal.loyalty import service
from omnicanal.loyalty.schemas import (
    AdjustmentIn,
    EnrolIn,
    LedgerPage,
    LoyaltyMeasures,
    MemberOut,
    ProgrammeIn,
    ProgrammeOut,
    ProgrammeUpdateIn,
    RedemptionIn,
    RedemptionOut,
    RedemptionPage,
    RewardOut,
    RewardRuleOut,
    RewardRulesIn,
)
from omnicanal.loyalty.service.measures import loyalty_measures
from omnicanal.platform.actors import Actor
from omnicanal.platform.bounds import Moment
from omnicanal.platform.http.deps import IdempotencyKey, PlatformDep, ReadSession, scope, write
from omnicanal.platform.http.paging import DeprecatedCursor, PageLimit, StartingAfter
from omnicanal.platform.http.problems import responses
from omnicanal.platform.paging import DEFAULT_LIMIT

router = APIRouter(prefix="/v1/loyalty", tags=["loyalty"])

Status = Annotated[str | None, Query(pattern=r"^(held|captured|released)$")]
RewardStatus = Annotated[str | None, Query(pattern=r"^(available|used|expired)$")]


@router.post("/programmes", status_code=201, response_model=ProgrammeOut, responses=responses(409))
def create_programme(
    body: ProgrammeIn,
    platform: PlatformDep,
    idempotency_key: IdempotencyKey = None,
    actor: Actor = scope("loyalty:admin"),
):
    """Open a programme: points per euro by category and channel, bonus events, the channels
    that earn, what a point is worth, the return window points wait for, tiers and their
    benefits, expiry (head office: ``loyalty:admin``)."""
    return write(
        platform,
        actor=actor,
        idempotency_key=idempotency_key,
        operation="loyalty_programme",
        payload=body,
        status_code=201,
        action=lambda s: service.create_programme(s, data=body, actor=actor),
    )


@router.get("/programmes", response_model=list[ProgrammeOut], responses=responses())
def list_programmes(session: ReadSession, actor: Actor = scope("loyalty:read")):
    """Every programme and its rules."""
    return service.list_programmes(session, actor=actor)


@router.get("/programmes/{code}", response_model=ProgrammeOut, responses=responses(404))
def get_programme(code: str, session: ReadSession, actor: Actor = scope("loyalty:read")):
    """One programme and its rules."""
    return service.get_programme(session, code=code, actor=actor)


@router.put("/programmes/{code}", response_model=ProgrammeOut, responses=responses(404))
def update_programme(
    code: str,
    body: ProgrammeUpdateIn,
    platform: PlatformDep,
    idempotency_key: IdempotencyKey = None,
    actor: Actor = scope("loyalty:admin"),
):
    """Replace a programme's settings (head office): they apply from now on."""
    return write(
        platform,
        actor=actor,
        idempotency_key=idempotency_key,
        operation=f"loyalty_programme:{code}",
        payload=body,
        action=lambda s: service.update_programme(s, code=code, data=body, actor=actor),
    )


@router.post("/members", status_code=201, response_model=MemberOut, responses=responses(404, 409))
def enrol_member(
    body: EnrolIn,
    platform: PlatformDep,
    idempotency_key: IdempotencyKey = None,
    actor: Actor = scope("loyalty:write"),
):
    """A customer joins: a known profile, an app login (``customer_ref``), a loyalty card,
    at a counter (a store key: its store). Their card and login are linked to their
    profile; once per programme (409 ``already_member``, ``card_in_use``)."""
    region = platform.settings.phone_region
    return write(
        platform,
        actor=actor,
        idempotency_key=idempotency_key,
        operation="loyalty_enrol",
        payload=body,
        status_code=201,
        action=lambda s: service.enrol(s, data=body, actor=actor, region=region),
    )


@router.get("/members", response_model=MemberOut, responses=responses(404))
def find_member(
    session: ReadSession,
    profile_id: str | None = None,
    card_number: str | None = None,
    programme: str | None = None,
    actor: Actor = scope("loyalty:read"),
):
    """The member holding a loyalty card (with its programme), or a person's membership by
    any of their profile ids."""
    return service.find_member(
        session, actor=actor, programme=programme, profile_id=profile_id, card_number=card_number
    )


@router.get("/members/{member_id}", response_model=MemberOut, responses=responses(404))
def get_member(member_id: str, session: ReadSession, actor: Actor = scope("loyalty:read")):
    """A member: card, tier, balance (available, pending, held, its value), next expiry."""
    return service.get_member(session, member_id=member_id, actor=actor)


@router.get("/members/{member_id}/ledger", response_model=LedgerPage, responses=responses(404))
def member_ledger(
    member_id: str,
    session: ReadSession,
    limit: PageLimit = DEFAULT_LIMIT,
    starting_after: StartingAfter = None,
    after: DeprecatedCursor = None,
    actor: Actor = scope("loyalty:read"),
):
    """The member's points ledger, newest first: every earning, confirmation, redemption,
    release, expiry, adjustment and reversal, with its order, return or redemption. An
    append-only log: it has no ``updated_since``."""
    return service.ledger_page(
        session,
        member_id=member_id,
        actor=actor,
        starting_after=starting_after or after,
        limit=limit,
    )


@router.post(
    "/members/{member_id}/adjustments", response_model=MemberOut, responses=responses(404, 409)
)
def adjust_points(
    member_id: str,
    body: AdjustmentIn,
    platform: PlatformDep,
    idempotency_key: IdempotencyKey = None,
    actor: Actor = scope("loyalty:admin"),
):
    """Add or take points by hand with the reason (head office: ``loyalty:admin``;
    audited). Never below zero (409 ``insufficient_points``)."""
    return write(
        platform,
        actor=actor,
        idempotency_key=idempotency_key,
        operation=f"loyalty_adjust:{member_id}",
        payload=body,
        action=lambda s: service.adjust_points(s, member_id=member_id, data=body, actor=actor),
    )


@router.post(
    "/redemptions", status_code=201, response_model=RedemptionOut, responses=responses(404, 409)
)
def hold_points(
    body: RedemptionIn,
    platform: PlatformDep,
    idempotency_key: IdempotencyKey = None,
    actor: Actor = scope("loyalty:write"),
):
    """Hold a member's points to pay part or all of a sale (a store key: at its store).

    All of them or none: two channels spending the same points at once never both get
    them (409 ``insufficient_points``); an expired point is never spent. Put the answer's
    ``tender`` in the checkout's ``tenders``: the order captures the points. A hold
    nobody uses is released when its time is up. Retry with the same Idempotency-Key:
    the same hold."""
    return write(
        platform,
        actor=actor,
        idempotency_key=idempotency_key,
        operation="loyalty_redeem",
        payload=body,
        status_code=201,
        action=lambda s: service.hold_points(s, data=body, actor=actor),
    )


@router.get("/redemptions", response_model=RedemptionPage, responses=responses())
def list_redemptions(
    session: ReadSession,
    member_id: str | None = None,
    order_id: str | None = None,
    status: Status = None,
    limit: PageLimit = 100,
    starting_after: StartingAfter = None,
    actor: Actor = scope("loyalty:read"),
):
    """Redemptions, newest first, by member, order or status (a store key: its store's)."""
    return service.list_redemptions(
        session,
        actor=actor,
        member_id=member_id,
        order_id=order_id,
        status=status,
        limit=limit,
        starting_after=starting_after,
    )


@router.get("/redemptions/{redemption_id}", response_model=RedemptionOut, responses=responses(404))
def get_redemption(redemption_id: str, session: ReadSession, actor: Actor = scope("loyalty:read")):
    """One redemption: held, captured by an order, or released."""
    return service.get_redemption(session, redemption_id=redemption_id, actor=actor)


@router.post(
    "/redemptions/{redemption_id}/release",
    response_model=RedemptionOut,
    responses=responses(404, 409),
)
def release_redemption(
    redemption_id: str,
    platform: PlatformDep,
    idempotency_key: IdempotencyKey = None,
    actor: Actor = scope("loyalty:write"),
):
    """Release a hold nobody used (the channel that made it): the points are the member's
    again (409 ``redemption_not_held`` once captured or released)."""
    return write(
        platform,
        actor=actor,
        idempotency_key=idempotency_key,
        operation=f"loyalty_release:{redemption_id}",
        payload=None,
        action=lambda s: service.release_redemption(s, redemption_id=redemption_id, actor=actor),
    )


@router.get(
    "/programmes/{code}/reward-rules", response_model=list[RewardRuleOut], responses=responses(404)
)
def reward_rules(code: str, session: ReadSession, actor: Actor = scope("loyalty:read")):
    """The programme's reward rules: vouchers and personalised offers, and who they are for."""
    return service.reward_rules(session, programme=code, actor=actor)


@router.put(
    "/programmes/{code}/reward-rules",
    response_model=list[RewardRuleOut],
    responses=responses(404),
)
def set_reward_rules(
    code: str,
    body: RewardRulesIn,
    platform: PlatformDep,
    idempotency_key: IdempotencyKey = None,
    actor: Actor = scope("loyalty:admin"),
):
    """Replace the programme's reward rules (head office: ``loyalty:admin``): a voucher (an
    amount off) every N points earned, for a tier, or for the customers an RFM condition
    picks; an offer (a percentage off their preferred category, or a given one). Rewards
    already issued stay."""
    return write(
        platform,
        actor=actor,
        idempotency_key=idempotency_key,
        operation=f"loyalty_reward_rules:{code}",
        payload=body,
        action=lambda s: service.set_reward_rules(s, programme=code, data=body, actor=actor),
    )


@router.get(
    "/members/{member_id}/rewards", response_model=list[RewardOut], responses=responses(404)
)
def member_rewards(
    member_id: str,
    session: ReadSession,
    status: RewardStatus = None,
    actor: Actor = scope("loyalty:read"),
):
    """The member's rewards, newest first: apply one by adding its ``coupon_code`` to the
    customer's cart (``POST /v1/carts/{id}/coupons``); single use, on every channel, by
    this customer only."""
    return service.list_rewards(session, member_id=member_id, actor=actor, status=status)


@router.post(
    "/members/{member_id}/rewards", response_model=list[RewardOut], responses=responses(404, 409)
)
def issue_rewards(
    member_id: str,
    platform: PlatformDep,
    idempotency_key: IdempotencyKey = None,
    actor: Actor = scope("loyalty:admin"),
):
    """Run the programme's reward rules for the member now (head office; the job does it
    daily): the rewards issued, none when nothing is due."""
    return write(
        platform,
        actor=actor,
        idempotency_key=idempotency_key,
        operation=f"loyalty_issue_rewards:{member_id}",
        payload=None,
        action=lambda s: service.issue_rewards(s, member_id=member_id, actor=actor),
    )


@router.get("/measures", response_model=LoyaltyMeasures, responses=responses())
def get_loyalty_measures(
    session: ReadSession,
    platform: PlatformDep,
    since: Moment | None = None,
    until: Moment | None = None,
    actor: Actor = scope("loyalty:read"),
):
    """The programme's measures over a period (default: the last 30 days): members' share
    of sales per channel, recognised against anonymous baskets (the uplift as a ratio),
    and per programme its points liability, redemption rate and members by tier."""
    return loyalty_measures(
        session, actor=actor, since=since, until=until, region=platform.settings.phone_region
    )
