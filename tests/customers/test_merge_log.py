"""The merges that made a profile, listed for the back office (undone ones too)."""

from __future__ import annotations

from omnicanal.customers import service as customers
from omnicanal.customers.schemas import ReviewDecision
from omnicanal.platform.actors import OPERATOR
from tests.customers.support import make_source, profile_by, profiles_key, send


def test_a_profile_lists_its_merges_and_their_undoing(platform, client):
    app = make_source(platform, "app")
    send(
        client,
        app,
        {"type": "identify", "userId": "u-a", "traits": {"loyalty_card": "FID1"}},
        {"type": "identify", "userId": "u-a", "traits": {"loyalty_card": "FID2"}},
    )
    with platform.db.transaction() as session:
        [review] = customers.list_reviews(session)
        customers.decide_review(
            session, review_id=review.id, decision=ReviewDecision.merge, actor=OPERATOR
        )
    survivor = profile_by(client, profiles_key(platform), loyalty_card="FID1")["id"]

    with platform.db.transaction() as session:
        [merge] = customers.list_merges(session, profile_id=survivor)
        customers.unmerge(session, profile_id=survivor, merge_id=merge.id, actor=OPERATOR)
    with platform.db.reading() as session:
        [undone] = customers.list_merges(session, profile_id=survivor)

    assert merge.rule == "review" and merge.unmerged_at is None
    assert {merge.survivor_id, merge.absorbed_id} == {review.profile_a_id, review.profile_b_id}
    assert undone.id == merge.id and undone.unmerged_by == "operator:cli"
