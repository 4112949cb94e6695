"""Builders for review tests: the returns tests' shop (a warehouse, Lyon and Paris, a dress
in two sizes, a jacket, a key per channel), Inès known by her login and e-mail, a head
office key, and reviews sent, read and decided over HTTP."""

from __future__ import annotations

from typing import Any

from fastapi.testclient import TestClient

from omnicanal.platform.actors import OPERATOR
from omnicanal.platform.wiring import Platform
from omnicanal.reviews import service as reviews
from omnicanal.reviews.schemas import ReviewIn
from tests.builders import auth, make_key
from tests.customers.support import make_source, send

INES = "email:ines@example.fr"
DRESS = "ROBE-ALMA"
JACKET = "VESTE-LIN"


def head_office_key(platform: Platform) -> str:
    """A head-office key: it reads every review and publishes or rejects them."""
    return make_key(
        platform,
        "call_centre",
        scopes=["reviews:read", "reviews:write", "reviews:moderate", "profiles:read"],
    )


def make_customer(
    platform: Platform, client: TestClient, *, user_id: str = "ines", email: str = "ines@example.fr"
) -> str:
    """A customer known by her app login and her e-mail (an app identify); her profile id."""
    answer = send(
        client,
        make_source(platform, "app", name=f"app {user_id}"),
        {
            "type": "identify",
            "userId": user_id,
            "traits": {"email": email, "first_name": "Inès", "last_name": "Martin"},
        },
    )
    assert answer["accepted"] == 1
    return profile_of(platform, f"email:{email}")


def profile_of(platform: Platform, customer_ref: str) -> str:
    """The root profile a customer reference names."""
    from omnicanal.customers import service as customers

    with platform.db.reading() as session:
        found = customers.referenced_profile_id(session, customer_ref=customer_ref, region="FR")
    assert found is not None
    return found


def review_body(
    product: str = DRESS, *, rating: int = 5, customer_ref: str = INES, **more: Any
) -> dict[str, Any]:
    return {
        "product_code": product,
        "customer_ref": customer_ref,
        "rating": rating,
        "title": "Parfaite",
        "text": "Tombe très bien, tissu agréable.",
        **more,
    }


def submit(client: TestClient, key: str, **body: Any) -> dict[str, Any]:
    """POST /v1/reviews, asserting it was taken."""
    response = client.post("/v1/reviews", json=review_body(**body), headers=auth(key))
    assert response.status_code == 201, response.text
    return dict(response.json())


def decide(
    client: TestClient,
    key: str,
    review_id: str,
    decision: str = "publish",
    reason: str | None = None,
) -> dict[str, Any]:
    """POST /v1/reviews/{id}/decision, asserting it was made."""
    body: dict[str, Any] = {"decision": decision}
    if reason is not None:
        body["reason"] = reason
    response = client.post(f"/v1/reviews/{review_id}/decision", json=body, headers=auth(key))
    assert response.status_code == 200, response.text
    return dict(response.json())


def zoes_review(platform: Platform, product_code: str = "ROBE") -> str:
    """Zoé's (``userId`` zoe, the store pages' tests) five stars for the dress, waiting for
    moderation; its id."""
    with platform.db.transaction() as session:
        review = reviews.submit_review(
            session,
            data=ReviewIn(
                product_code=product_code,
                customer_ref="user_id:zoe",
                rating=5,
                title="Elle tombe parfaitement",
            ),
            actor=OPERATOR,
            region="FR",
        )
    return review.id
