"""A person's returns and store credit are exported with the rest, and an erasure removes the
person from them while the accounts keep the amounts."""

from __future__ import annotations

from sqlalchemy import select

from omnicanal.platform.actors import OPERATOR
from omnicanal.privacy import service as privacy
from omnicanal.returns.models import Return, StoreCreditAccount
from tests.builders import auth
from tests.customers.support import make_source, profile_by, profiles_key, send
from tests.returns.builders import CUSTOMER, make_shop, return_body, web_order


def _refunded_as_credit(platform, client):  # type: ignore[no-untyped-def]
    shop = make_shop(platform)
    send(
        client,
        make_source(platform, "web"),
        {"type": "identify", "userId": "u-1", "traits": {"email": "ines@example.fr"}},
    )
    order = web_order(client, platform, shop.web, (shop.robe_m, 1))
    returned = client.post("/v1/returns", json=return_body(order), headers=auth(shop.lyon)).json()
    client.post(f"/v1/returns/{returned['id']}/inspect", headers=auth(shop.lyon))
    client.post(
        f"/v1/returns/{returned['id']}/refund",
        json={"method": "store_credit"},
        headers=auth(shop.lyon),
    )
    platform.relay().drain()
    profile = profile_by(client, profiles_key(platform), email="ines@example.fr")
    return profile["id"], returned


def test_an_export_holds_the_persons_returns_and_store_credit(platform, client):
    profile_id, returned = _refunded_as_credit(platform, client)

    with platform.db.reading() as session:
        export = privacy.export_person(session, profile_id=profile_id)

    assert [item["id"] for item in export["returns"]] == [returned["id"]]
    assert export["store_credit"][0]["customer_ref"] == CUSTOMER
    assert export["store_credit"][0]["balance_minor"] == returned["value_minor"]


def test_an_erasure_removes_the_person_from_returns_and_keeps_the_amounts(platform, client):
    profile_id, returned = _refunded_as_credit(platform, client)

    with platform.db.transaction() as session:
        result = privacy.erase_person(session, profile_id=profile_id, actor=OPERATOR)

    assert result.counts["returns_anonymised"] == 2
    with platform.db.reading() as session:
        row = session.get(Return, returned["id"])
        assert row is not None
        assert row.customer_ref is None
        assert row.value_minor == returned["value_minor"]
        accounts = session.execute(
            select(StoreCreditAccount.customer_ref, StoreCreditAccount.balance_minor)
        ).all()
    assert [(ref.startswith("erased:"), balance) for ref, balance in accounts] == [
        (True, returned["value_minor"])
    ]
