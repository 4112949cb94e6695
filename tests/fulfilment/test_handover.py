"""Handing a pickup over: the pickup code each pickup and hold gets, the proof a handover
needs (the code or an identity document checked), and "put back" only once it is due."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from sqlalchemy import select

from omnicanal.fulfilment.errors import HandoverProofRequired, PickupCodeMismatch
from omnicanal.fulfilment.handover import (
    PICKUP_CODE_ALPHABET,
    IdentityDocument,
    check_handover,
    new_pickup_code,
    normalise_pickup_code,
)
from omnicanal.fulfilment.models import FulfilmentStatusChange
from omnicanal.fulfilment.schemas import ActionIn
from omnicanal.fulfilment.states import Action
from omnicanal.orders import service as orders
from omnicanal.orders.errors import NotDueYet
from omnicanal.platform.clock import utcnow
from tests.builders import auth, snapshot
from tests.orders.builders import WEB, checkout_body, line, make_shop, place

CODE = re.compile(r"^[A-HJ-NP-Z2-9]{6}$")


# --- the rules, without a database ----------------------------------------------------------


def test_a_pickup_code_is_six_characters_without_look_alikes():
    codes = {new_pickup_code() for _ in range(2000)}

    assert all(CODE.match(code) for code in codes)
    assert not set("".join(codes)) & set("0O1I")
    assert set("".join(codes)) <= set(PICKUP_CODE_ALPHABET)
    assert len(codes) > 1990  # random, not a sequence


def test_a_typed_code_ignores_case_spaces_and_dashes():
    assert normalise_pickup_code(" k7m 4q-x ") == "K7M4QX"


def test_the_right_code_hands_over_whatever_its_case():
    assert (
        check_handover("K7M4QX", pickup_code="k7m 4qx", identity_checked=None)
        == "pickup code checked"
    )


def test_an_identity_document_hands_over_without_a_code():
    proof = check_handover("K7M4QX", pickup_code="  ", identity_checked=IdentityDocument.passport)

    assert proof == "identity document checked: passport"


def test_a_wrong_code_is_refused_even_with_an_identity_document():
    """A wrong code means the wrong parcel on the counter: the document does not excuse it."""
    with pytest.raises(PickupCodeMismatch):
        check_handover("K7M4QX", pickup_code="K7M4QY", identity_checked=IdentityDocument.id_card)


def test_no_code_and_no_document_is_refused():
    with pytest.raises(HandoverProofRequired):
        check_handover("K7M4QX", pickup_code=None, identity_checked=None)


def test_a_fulfilment_without_a_code_is_handed_over_on_a_document_only():
    with pytest.raises(PickupCodeMismatch):
        check_handover(None, pickup_code="K7M4QX", identity_checked=None)
    assert check_handover(None, pickup_code=None, identity_checked=IdentityDocument.id_card)


# --- through the API --------------------------------------------------------------------------


def _ready_pickup(platform, client, shop):  # type: ignore[no-untyped-def]
    response = client.post(
        "/v1/orders",
        json=checkout_body(line(shop.robe, 1, "pickup", location="LYON-01")),
        headers=auth(shop.web),
    )
    assert response.status_code == 201, response.text
    fulfilment = response.json()["fulfilments"][0]
    for verb in ("pick", "ready"):
        moved = client.post(f"/v1/fulfilments/{fulfilment['id']}/{verb}", headers=auth(shop.lyon))
        assert moved.status_code == 200, moved.text
    return fulfilment


def test_pickups_and_holds_get_a_code_and_parcels_do_not(platform, client):
    shop = make_shop(platform)
    order = place(
        platform,
        line(shop.robe, 1, "pickup", location="LYON-01"),
        line(shop.jean, 1, "reserve_and_try", location="LYON-01"),
        line(shop.pull, 1),
    )

    codes = {f.method: f.pickup_code for f in order.fulfilments}
    assert CODE.match(codes["pickup"] or "") and CODE.match(codes["reserve_and_try"] or "")
    assert codes["ship"] is None
    read = client.get(f"/v1/fulfilments/{order.fulfilments[0].id}", headers=auth(shop.web))
    assert read.json()["pickup_code"] == order.fulfilments[0].pickup_code


def test_the_clerk_hands_over_with_the_code_typed_in_lower_case(platform, client):
    shop = make_shop(platform)
    fulfilment = _ready_pickup(platform, client, shop)
    typed = fulfilment["pickup_code"].lower()
    typed = f"{typed[:3]} {typed[3:]}"

    moved = client.post(
        f"/v1/fulfilments/{fulfilment['id']}/collect",
        json={"pickup_code": typed},
        headers=auth(shop.lyon),
    )

    assert moved.status_code == 200, moved.text
    assert moved.json()["status"] == "collected"
    with platform.db.reading() as session:
        reason = session.scalars(
            select(FulfilmentStatusChange.reason).where(
                FulfilmentStatusChange.fulfilment_id == fulfilment["id"],
                FulfilmentStatusChange.to_status == "collected",
            )
        ).one()
    assert reason == "pickup code checked"


def test_a_wrong_code_is_refused_with_422_and_nothing_changes(platform, client):
    shop = make_shop(platform)
    fulfilment = _ready_pickup(platform, client, shop)
    wrong = "ABCDEF" if fulfilment["pickup_code"] != "ABCDEF" else "GHJKLM"
    before = snapshot(platform)

    refused = client.post(
        f"/v1/fulfilments/{fulfilment['id']}/collect",
        json={"pickup_code": wrong},
        headers=auth(shop.lyon),
    )

    assert refused.status_code == 422
    assert refused.json()["code"] == "pickup_code_mismatch"
    assert snapshot(platform) == before
    read = client.get(f"/v1/fulfilments/{fulfilment['id']}", headers=auth(shop.lyon)).json()
    assert read["status"] == "ready_for_pickup"


def test_a_handover_without_code_or_document_is_refused_with_422(platform, client):
    shop = make_shop(platform)
    fulfilment = _ready_pickup(platform, client, shop)
    before = snapshot(platform)

    for body in (None, {}, {"pickup_code": ""}):
        refused = client.post(
            f"/v1/fulfilments/{fulfilment['id']}/collect", json=body, headers=auth(shop.lyon)
        )
        assert refused.status_code == 422, body
        assert refused.json()["code"] == "handover_proof_required"
    unknown_document = client.post(
        f"/v1/fulfilments/{fulfilment['id']}/collect",
        json={"identity_checked": "library_card"},
        headers=auth(shop.lyon),
    )
    assert unknown_document.status_code == 422
    assert snapshot(platform) == before


def test_an_identity_document_checked_hands_over_through_the_generic_transition(platform, client):
    shop = make_shop(platform)
    fulfilment = _ready_pickup(platform, client, shop)

    moved = client.post(
        f"/v1/fulfilments/{fulfilment['id']}/transitions",
        json={"action": "collect", "identity_checked": "driving_licence"},
        headers=auth(shop.lyon),
    )

    assert moved.status_code == 200, moved.text
    assert moved.json()["status"] == "collected"
    history = client.get(f"/v1/orders/{moved.json()['order_id']}", headers=auth(shop.web)).json()
    collected = next(h for h in history["history"] if h["to_status"] == "collected")
    assert collected["reason"] == "identity document checked: driving_licence"


def test_an_uncollected_pickup_is_put_back_only_once_its_window_is_over(platform):
    shop = make_shop(platform)
    order = place(platform, line(shop.robe, 1, "pickup", location="LYON-01"))
    fulfilment_id = order.fulfilments[0].id
    for action in (Action.pick, Action.ready):
        with platform.db.transaction() as session:
            orders.act(session, fulfilment_id=fulfilment_id, action=action, actor=WEB)
    before = snapshot(platform)

    with pytest.raises(NotDueYet), platform.db.transaction() as session:
        orders.act(session, fulfilment_id=fulfilment_id, action=Action.expire, actor=WEB)
    assert snapshot(platform) == before

    later = utcnow() + timedelta(days=8)
    with platform.db.transaction() as session:
        expired = orders.act(
            session,
            fulfilment_id=fulfilment_id,
            action=Action.expire,
            actor=WEB,
            now=later,
            data=ActionIn(reason="not collected"),
        )
    assert expired.status == "expired"
