"""Customers in the back office: search, the identity review queue, undoing a merge."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse, Response

from omnicanal.customers import service as customers
from omnicanal.customers.errors import (
    NothingToUnmerge,
    ReviewAlreadyDecided,
    UnknownMerge,
    UnknownProfile,
    UnknownReview,
)
from omnicanal.customers.schemas import ReviewDecision
from omnicanal.platform import audit
from omnicanal.platform.http.deps import PlatformDep
from omnicanal.web.admin.common import HeadOffice, problem, staff_actor
from omnicanal.web.edge import Form, WebDep
from omnicanal.web.store import search_page

__all__ = ["router"]

router = APIRouter()

DONE = {
    "merged": "The two profiles are now one.",
    "kept_apart": "The two profiles are kept apart for good.",
    "unmerged": "The merge is undone: the profiles are separate again.",
}


@router.get("/customers")
def customer_search(
    request: Request, edge: WebDep, platform: PlatformDep, member: HeadOffice, q: str = ""
) -> Response:
    """Find a customer by phone, email, loyalty card or name; each opens the 360° page."""
    return search_page(request, edge, platform, q, template="admin/customers.html")


@router.get("/customers/{profile_id}/merges")
def merges(
    request: Request, edge: WebDep, platform: PlatformDep, member: HeadOffice, profile_id: str
) -> Response:
    """The merges that made this profile, each with a button to undo it."""
    with platform.db.reading() as session:
        try:
            profile = customers.get_profile(session, profile_id=profile_id, timeline_limit=1)
        except UnknownProfile:
            return problem(request, edge, "unknown_customer", 404)
        rows = customers.list_merges(session, profile_id=profile.id)
    return edge.renderer.render(
        request,
        "admin/merges.html",
        {
            "profile": profile,
            "name": customers.display_name(profile),
            "merges": rows,
            "done_messages": DONE,
        },
    )


@router.post("/customers/{profile_id}/unmerge")
def unmerge(
    request: Request,
    edge: WebDep,
    platform: PlatformDep,
    member: HeadOffice,
    form: Form,
    profile_id: str,
) -> Response:
    """Undo one recorded merge, once confirmed; back to the profile's merges with a
    confirmation."""
    if form.get("confirm") != "yes":
        return problem(request, edge, "not_confirmed", 422)
    try:
        with platform.db.transaction() as session:
            actor = staff_actor(member)
            customers.unmerge(
                session,
                profile_id=profile_id,
                merge_id=form.get("merge_id") or None,
                actor=actor,
            )
            audit.record(session, actor=actor, operation=f"unmerge:{profile_id}")
    except UnknownProfile:
        return problem(request, edge, "unknown_customer", 404)
    except (UnknownMerge, NothingToUnmerge):
        return problem(request, edge, "nothing_to_unmerge", 409)
    return RedirectResponse(f"/admin/customers/{profile_id}/merges?done=unmerged", status_code=303)


@router.get("/reviews")
def reviews(request: Request, edge: WebDep, platform: PlatformDep, member: HeadOffice) -> Response:
    """Pairs of profiles waiting for a person's decision, side by side."""
    with platform.db.reading() as session:
        pairs = customers.review_pairs(session)
    return edge.renderer.render(
        request, "admin/reviews.html", {"pairs": pairs, "done_messages": DONE}
    )


@router.post("/reviews/{review_id}")
def decide(
    request: Request,
    edge: WebDep,
    platform: PlatformDep,
    member: HeadOffice,
    form: Form,
    review_id: str,
) -> Response:
    """Merge the pair (once confirmed), or keep it apart for good; back to the queue with a
    confirmation."""
    try:
        decision = ReviewDecision(form.get("decision", ""))
    except ValueError:
        return problem(request, edge, "bad_decision", 400)
    # Merging joins two people's histories: asked to confirm (an unmerge undoes it later).
    if decision is ReviewDecision.merge and form.get("confirm") != "yes":
        return problem(request, edge, "not_confirmed", 422)
    try:
        with platform.db.transaction() as session:
            actor = staff_actor(member)
            customers.decide_review(session, review_id=review_id, decision=decision, actor=actor)
            audit.record(session, actor=actor, operation=f"review:{review_id}:{decision.value}")
    except UnknownReview:
        return problem(request, edge, "unknown_review", 404)
    except ReviewAlreadyDecided:
        return problem(request, edge, "review_decided", 409)
    done = "merged" if decision is ReviewDecision.merge else "kept_apart"
    return RedirectResponse(f"/admin/reviews?done={done}", status_code=303)
