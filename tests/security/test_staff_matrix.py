"""Who may use which page: every (staff role, page) cell of the README's table, both ways.

A clerk and a store manager work for their own store only; head office sees every store and
the back office. A store manager also reads their own store's stock in the back office.
"""

from __future__ import annotations

import re

import pytest

from omnicanal.engagement import settings as policy_settings
from omnicanal.reviews.models import ProductReview
from tests.conftest import restored_world
from tests.reviews.builders import zoes_review
from tests.web.loyalty_world import balance_of, enrol_zoe, make_club
from tests.web.test_store_pages import build_lyon, build_zoe, make_staff, sign_in
from tests.web.test_store_selling import fulfilment_status, pickup_for

STAFF = {
    "clerk_lyon": ("lea@example.fr", "clerk", "LYON"),
    "manager_lyon": ("max@example.fr", "store_manager", "LYON"),
    "clerk_vil": ("victor@example.fr", "clerk", "VIL"),
    "head_office": ("hugo@example.fr", "head_office", None),
}
ALLOWED, REFUSED = 200, 403

# page → the answer for each role, in the order of STAFF.
PAGES = {
    "/store": (ALLOWED, ALLOWED, ALLOWED, ALLOWED),
    "/store/customers?q=06.12.34.56.78": (ALLOWED, ALLOWED, ALLOWED, ALLOWED),
    "/store/queue/LYON": (ALLOWED, ALLOWED, REFUSED, ALLOWED),
    "/store/queue/VIL": (REFUSED, REFUSED, ALLOWED, ALLOWED),
    "/admin": (REFUSED, REFUSED, REFUSED, ALLOWED),
    "/admin/orders": (REFUSED, REFUSED, REFUSED, ALLOWED),
    "/admin/stock": (REFUSED, REFUSED, REFUSED, ALLOWED),
    "/admin/stock/LYON": (REFUSED, ALLOWED, REFUSED, ALLOWED),
    "/admin/stock/VIL": (REFUSED, REFUSED, REFUSED, ALLOWED),
    "/admin/reviews": (REFUSED, REFUSED, REFUSED, ALLOWED),
    "/admin/prices": (REFUSED, REFUSED, REFUSED, ALLOWED),
    "/admin/promotions": (REFUSED, REFUSED, REFUSED, ALLOWED),
    "/admin/audit": (REFUSED, REFUSED, REFUSED, ALLOWED),
    "/admin/privacy": (REFUSED, REFUSED, REFUSED, ALLOWED),
    "/admin/returns": (REFUSED, REFUSED, REFUSED, ALLOWED),
    "/admin/returns/measures": (REFUSED, REFUSED, REFUSED, ALLOWED),
    "/admin/loyalty": (REFUSED, REFUSED, REFUSED, ALLOWED),
    "/admin/loyalty/members": (REFUSED, REFUSED, REFUSED, ALLOWED),
    "/admin/product-reviews": (REFUSED, REFUSED, REFUSED, ALLOWED),
    "/admin/product-reviews?status=all&rating=5&channel=web": (REFUSED, REFUSED, REFUSED, ALLOWED),
    # Messages name people, their addresses and what they bought anywhere: head office only.
    "/admin/messages": (REFUSED, REFUSED, REFUSED, ALLOWED),
    "/admin/messages/log?status=sent": (REFUSED, REFUSED, REFUSED, ALLOWED),
    "/admin/messages/withheld": (REFUSED, REFUSED, REFUSED, ALLOWED),
    "/admin/messages/mailbox": (REFUSED, REFUSED, REFUSED, ALLOWED),
    "/admin/messages/triggers": (REFUSED, REFUSED, REFUSED, ALLOWED),
    "/admin/messages/triggers/ABANDONED_CART": (REFUSED, REFUSED, REFUSED, ALLOWED),
    "/admin/messages/templates/ABANDONED_CART/fr/email": (REFUSED, REFUSED, REFUSED, ALLOWED),
    "/admin/messages/segments": (REFUSED, REFUSED, REFUSED, ALLOWED),
    "/admin/messages/segments/new": (REFUSED, REFUSED, REFUSED, ALLOWED),
    "/admin/messages/policy": (REFUSED, REFUSED, REFUSED, ALLOWED),
}
CELLS = [
    (page, role, answers[index])
    for page, answers in PAGES.items()
    for index, role in enumerate(STAFF)
]


@pytest.fixture
def scene(platform, client, request) -> str:  # type: ignore[no-untyped-def]
    """The Lyon and Villeurbanne stores with a member of each role (Léa and Victor are their
    clerks) and Zoé with her web cart; built once per backend, restored for each cell."""

    def build() -> str:
        build_lyon(platform)
        make_staff(platform, "max@example.fr", role="store_manager", location="LYON")
        make_staff(platform, "hugo@example.fr", role="head_office", location=None)
        return build_zoe(platform, client)

    return restored_world(request, platform, build)


@pytest.fixture
def staff(scene, platform):  # type: ignore[no-untyped-def]
    return platform


@pytest.fixture
def zoe(scene) -> str:  # type: ignore[no-untyped-def]
    """Zoé's SKU in her web cart."""
    return scene


@pytest.mark.parametrize(("page", "role", "expected"), CELLS)
def test_each_role_opens_exactly_the_pages_of_its_table_row(
    staff, client, zoe, page, role, expected
):
    """The page answers 200 to the roles the table allows and 403 to the others."""
    sign_in(client, STAFF[role][0])

    response = client.get(page)

    assert response.status_code == expected, response.text[:300]


@pytest.mark.parametrize(
    ("role", "moves"),
    [("clerk_lyon", True), ("manager_lyon", True), ("clerk_vil", False), ("head_office", False)],
)
def test_only_the_stores_own_staff_move_its_queue_on(staff, client, zoe, role, moves):
    """Léa and Max pick a Lyon pickup; Victor (Villeurbanne) and head office, who belongs to no
    store, are refused and the fulfilment stays as it was."""
    fulfilment_id = pickup_for(staff, zoe)
    before = fulfilment_status(staff, fulfilment_id)
    sign_in(client, STAFF[role][0])
    page = client.get("/store")
    csrf = re.search(r'name="csrf" value="([^"]+)"', page.text)
    assert csrf is not None

    response = client.post(
        f"/store/queue/LYON/fulfilments/{fulfilment_id}/pick",
        data={"csrf": csrf.group(1)},
        follow_redirects=False,
    )

    if moves:
        assert response.status_code == 303, response.text[:300]
        assert fulfilment_status(staff, fulfilment_id) == "picking"
    else:
        assert response.status_code == 403, response.text[:300]
        assert fulfilment_status(staff, fulfilment_id) == before


def review_status(platform, review_id: str) -> str:  # type: ignore[no-untyped-def]
    with platform.db.reading() as session:
        row = session.get(ProductReview, review_id)
        assert row is not None
        return row.status


@pytest.mark.parametrize(
    ("role", "decides"),
    [("clerk_lyon", False), ("manager_lyon", False), ("clerk_vil", False), ("head_office", True)],
)
def test_only_head_office_publishes_a_product_review(staff, client, zoe, role, decides):
    """Head office publishes Zoé's review; a clerk or a store manager is refused and it stays
    waiting."""
    review_id = zoes_review(staff)
    sign_in(client, STAFF[role][0])
    csrf = re.search(r'name="csrf" value="([^"]+)"', client.get("/store").text)
    assert csrf is not None

    response = client.post(
        f"/admin/product-reviews/{review_id}",
        data={"csrf": csrf.group(1), "decision": "publish", "confirm": "yes"},
        follow_redirects=False,
    )

    if decides:
        assert response.status_code == 303, response.text[:300]
        assert review_status(staff, review_id) == "published"
    else:
        assert response.status_code == 403, response.text[:300]
        assert review_status(staff, review_id) == "pending"


@pytest.mark.parametrize(
    ("role", "adjusts"),
    [("clerk_lyon", False), ("manager_lyon", False), ("clerk_vil", False), ("head_office", True)],
)
def test_only_head_office_adjusts_a_members_points(staff, client, zoe, role, adjusts):
    """Head office adds 50 points to Zoé's; a clerk or a store manager is refused and her
    points stay as they were."""
    make_club(staff)
    member_id = enrol_zoe(staff)
    sign_in(client, STAFF[role][0])
    csrf = re.search(r'name="csrf" value="([^"]+)"', client.get("/store").text)
    assert csrf is not None

    response = client.post(
        f"/admin/loyalty/members/{member_id}/adjust",
        data={
            "csrf": csrf.group(1),
            "direction": "add",
            "points": "50",
            "reason": "goodwill",
            "confirm": "yes",
        },
        follow_redirects=False,
    )

    if adjusts:
        assert response.status_code == 303, response.text[:300]
        assert balance_of(staff, member_id) == (50, 0, 0)
    else:
        assert response.status_code == 403, response.text[:300]
        assert balance_of(staff, member_id) == (0, 0, 0)


def quiet_hours(platform) -> str:  # type: ignore[no-untyped-def]
    """When the message policy's quiet hours start."""
    with platform.db.reading() as session:
        return policy_settings.policy_settings(session).quiet_start


@pytest.mark.parametrize(
    ("role", "changes"),
    [("clerk_lyon", False), ("manager_lyon", False), ("clerk_vil", False), ("head_office", True)],
)
def test_only_head_office_changes_the_message_policy(staff, client, zoe, role, changes):
    """Head office moves the quiet hours to 20:00; a clerk or a store manager is refused and
    they stay at 21:00."""
    sign_in(client, STAFF[role][0])
    csrf = re.search(r'name="csrf" value="([^"]+)"', client.get("/store").text)
    assert csrf is not None
    fields = {
        "csrf": csrf.group(1),
        "quiet_start": "20:00",
        "quiet_end": "08:00",
        **{f"suppress-{fact}": "14" for fact in policy_settings.SUPPRESSING_FACTS},
    }

    response = client.post("/admin/messages/policy", data=fields, follow_redirects=False)

    if changes:
        assert response.status_code == 303, response.text[:300]
        assert quiet_hours(staff) == "20:00"
    else:
        assert response.status_code == 403, response.text[:300]
        assert quiet_hours(staff) == "21:00"
