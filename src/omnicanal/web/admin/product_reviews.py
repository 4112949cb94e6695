"""Product reviews in the back office (``/admin/product-reviews``): head office's moderation
queue, filtered by status, stars and channel, and the decision on each review (publish, or
reject with a reason), confirmed and audited.

The queue and the decision are the reviews module's use cases (``reviews.service``), the
same the API calls; head office decides as a moderator: the ``reviews:moderate`` scope a
head-office key carries, under the member's own name. (``/admin/reviews`` is the identity
review queue: two profiles that may be one person.)
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from datetime import UTC, datetime
from urllib.parse import urlencode

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse, Response

from omnicanal.customers import service as customers
from omnicanal.platform import audit
from omnicanal.platform.actors import Actor
from omnicanal.platform.http.deps import PlatformDep
from omnicanal.platform.paging import InvalidCursor
from omnicanal.reviews import service
from omnicanal.reviews.access import MODERATE_SCOPE
from omnicanal.reviews.errors import ReviewDecided, UnknownProductReview
from omnicanal.reviews.rules import MAX_RATING, MIN_RATING, Decision, RejectionReason, ReviewStatus
from omnicanal.reviews.schemas import DecisionIn
from omnicanal.staff.service import StaffMember
from omnicanal.web.admin.common import HeadOffice, problem, staff_actor
from omnicanal.web.edge import Form, WebDep
from omnicanal.web.labels import (
    CHANNEL_LABELS,
    PRODUCT_REVIEW_STATUS_LABELS,
    REVIEW_REJECTION_LABELS,
)

__all__ = ["router"]

router = APIRouter()

PATH = "/admin/product-reviews"
PAGE_SIZE = 25
QUEUE_START = datetime(1970, 1, 1, tzinfo=UTC)
"""Before any review: the waiting ones read by change time from here, oldest first."""
MAX_PAGE = 10_000
ALL = "all"
STATUSES = (*(status.value for status in ReviewStatus), ALL)
RATINGS = tuple(str(stars) for stars in range(MAX_RATING, MIN_RATING - 1, -1))
CHANNELS = ("web", "app", "store", "call_centre", "marketplace")
DONE = {"published": "The review is published.", "rejected": "The review is rejected."}


def moderator(member: StaffMember) -> Actor:
    """Head office as the reviews module sees it: a moderator (a head-office key's scopes),
    recorded under the member's name."""
    return dataclasses.replace(
        staff_actor(member), scopes=frozenset({"reviews:read", MODERATE_SCOPE})
    )


def _choice(value: str, allowed: tuple[str, ...]) -> str | None:
    """The filter's value if it is one of the list's ("" for any), else None."""
    return value if value == "" or value in allowed else None


def _page_number(text: str) -> int | None:
    if not (text.isascii() and text.isdigit() and len(text) <= len(str(MAX_PAGE))):
        return None
    return int(text) if 0 < int(text) <= MAX_PAGE else None


@router.get("/product-reviews")
def queue(
    request: Request,
    edge: WebDep,
    platform: PlatformDep,
    member: HeadOffice,
    status: str = ReviewStatus.pending.value,
    rating: str = "",
    channel: str = "",
    page: str = "1",
    after: str = "",
) -> Response:
    """The reviews waiting for moderation, the longest wait on top (or those of another
    status, newest first), by stars and channel; each with its decision. ``after``: the
    previous page's ``next_cursor`` (``page`` only numbers it)."""
    given = {"status": status, "rating": rating, "channel": channel}
    chosen = {
        "status": status if status in STATUSES else None,
        "rating": _choice(rating, RATINGS),
        "channel": _choice(channel, CHANNELS),
    }
    for name, value in chosen.items():
        if value is None:
            return problem(request, edge, "bad_filter", 400, value=given[name][:50])
    number = _page_number(page)
    if number is None:
        return problem(request, edge, "bad_page", 400, value=page[:50])
    number = number if after else 1
    actor = moderator(member)
    wanted = None if status == ALL else ReviewStatus(status)
    stars = int(rating) if rating else None
    with platform.db.reading() as session:
        try:
            found = service.list_reviews(
                session,
                actor=actor,
                status=wanted,
                rating=stars,
                channel=channel or None,
                limit=PAGE_SIZE,
                starting_after=after or None,
                # Read by change time, the waiting reviews come in the order they arrived.
                updated_since=QUEUE_START if status == ReviewStatus.pending.value else None,
            )
        except InvalidCursor:
            return problem(request, edge, "bad_page", 400, value=after[:50])
        total = service.count_reviews(
            session, actor=actor, status=wanted, rating=stars, channel=channel or None
        )
        names = customers.names_of_references(
            session,
            customer_refs=[item.profile_id for item in found.items if item.profile_id],
            region=platform.settings.phone_region,
        )
    pages = max(number, -(-total // PAGE_SIZE))
    filters = {name: value for name, value in chosen.items() if value}

    def link(to: int, cursor: str | None = None) -> str:
        query: dict[str, str | int] = {**filters, "page": to}
        if cursor:
            query["after"] = cursor
        return f"{PATH}?" + urlencode(query)

    _ = edge.renderer.translations[edge.renderer.language(request)].gettext

    def words(labels: dict[str, str]) -> Callable[[str], str]:
        """The word for each code of ``labels`` in the reader's language (else the code)."""
        return lambda code: _(labels.get(code, code))

    return edge.renderer.render(
        request,
        "admin/product_reviews.html",
        {
            "items": found.items,
            "total": total,
            "names": names,
            "status": status,
            "rating": rating,
            "channel": channel,
            "statuses": STATUSES,
            "ratings": RATINGS,
            "channels": CHANNELS,
            "reasons": [reason.value for reason in RejectionReason],
            "review_status": words(PRODUCT_REVIEW_STATUS_LABELS),
            "rejection": words(REVIEW_REJECTION_LABELS),
            "channel_label": words(CHANNEL_LABELS),
            "page": number,
            "pages": pages,
            "first_link": link(1) if number > 1 else None,
            "next_link": link(number + 1, found.next_cursor) if found.has_more else None,
            "done_messages": DONE,
        },
    )


@router.post("/product-reviews/{review_id}")
def decide(
    request: Request,
    edge: WebDep,
    platform: PlatformDep,
    member: HeadOffice,
    form: Form,
    review_id: str,
) -> Response:
    """Publish a pending review, or reject it with a reason, once confirmed; back to the
    queue, which says what was done."""
    decision = form.get("decision", "")
    if decision not in {d.value for d in Decision}:
        return problem(request, edge, "unknown_choice", 400, value=decision[:50], field="Decision")
    reason = form.get("reason", "") if decision == Decision.reject.value else ""
    if decision == Decision.reject.value and reason not in {r.value for r in RejectionReason}:
        return problem(request, edge, "unknown_choice", 400, value=reason[:50], field="Reason")
    if form.get("confirm") != "yes":
        return problem(request, edge, "not_confirmed", 422)
    data = DecisionIn(
        decision=Decision(decision), reason=RejectionReason(reason) if reason else None
    )
    actor = moderator(member)
    try:
        with platform.db.transaction() as session:
            service.moderate(session, review_id=review_id, data=data, actor=actor)
            audit.record(session, actor=actor, operation=f"product_review:{review_id}:{decision}")
    except UnknownProductReview:
        return problem(request, edge, "unknown_review", 404)
    except ReviewDecided:
        return problem(request, edge, "review_decided", 409)
    done = "published" if decision == Decision.publish.value else "rejected"
    return RedirectResponse(f"{PATH}?done={done}", status_code=303)
