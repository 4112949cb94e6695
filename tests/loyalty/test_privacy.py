"""A member's rights: their memberships exported whole, or erased: the card and the profile
gone, the points forfeited, the ledger kept for the accounts."""

from __future__ import annotations

from sqlalchemy import func, select

from omnicanal.loyalty.models import Balance, LedgerEntry, Member, Redemption
from tests.builders import auth, make_key
from tests.loyalty.builders import enrol, give_points, hold, make_programme
from tests.returns.builders import make_shop, web_order


def test_the_export_holds_the_membership_its_ledger_and_its_redemptions(platform, client):
    shop = make_shop(platform)
    make_programme(platform)
    member = enrol(client, shop.lyon)
    give_points(platform, member["id"], 200)
    held = hold(client, shop.lyon, member["id"], points=50).json()
    privacy = make_key(platform, "call_centre", scopes=["privacy:export", "privacy:erase"])

    exported = client.get(
        "/v1/privacy/export", params={"loyalty_card": "FID-0001"}, headers=auth(privacy)
    )

    assert exported.status_code == 200, exported.text
    [membership] = exported.json()["loyalty_memberships"]
    assert (membership["id"], membership["card_number"]) == (member["id"], "FID0001")
    assert [entry["kind"] for entry in membership["ledger"]] == ["adjust", "redeem"]
    assert [r["id"] for r in membership["redemptions"]] == [held["id"]]


def test_an_erased_member_keeps_no_card_no_profile_and_no_points(platform, client):
    shop = make_shop(platform)
    make_programme(platform)
    member = enrol(client, shop.web)
    give_points(platform, member["id"], 200)
    hold(client, shop.lyon, member["id"], points=50)
    web_order(client, platform, shop.web, (shop.robe_m, 1))
    platform.relay().drain()
    privacy = make_key(platform, "call_centre", scopes=["privacy:export", "privacy:erase"])

    erased = client.post(f"/v1/profiles/{member['profile_id']}/erase", headers=auth(privacy))

    assert erased.status_code == 200, erased.text
    assert erased.json()["counts"]["loyalty_members"] == 1
    with platform.db.reading() as session:
        row = session.get(Member, member["id"])
        assert (row.profile_id, row.card_number) == (None, None)
        assert row.erased_at is not None
        assert session.execute(select(Balance.available, Balance.pending)).one() == (0, 0)
        assert session.scalars(select(Redemption.status)).all() == ["released"]
        assert (
            session.scalar(select(func.sum(LedgerEntry.points + LedgerEntry.pending_points))) == 0
        )
    lookup = client.get(
        "/v1/loyalty/members",
        params={"card_number": "FID-0001", "programme": "CLUB"},
        headers=auth(shop.web),
    )
    assert lookup.status_code == 404
    platform.relay().drain()
    assert (
        client.get(f"/v1/loyalty/members/{member['id']}", headers=auth(shop.web)).json()["erased"]
        is True
    )
