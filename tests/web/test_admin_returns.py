"""Returns in the back office: head office's review queue with each reason in French, the
decision (approve, or refuse once confirmed), the return measures, the return QR code on the
receipt and a postal return's label; clerks are refused and change nothing."""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Any

import pytest
import segno
from babel.numbers import format_percent
from fastapi.testclient import TestClient

from omnicanal.orders import service as orders
from omnicanal.platform import audit
from omnicanal.platform.actors import OPERATOR
from omnicanal.platform.clock import utcnow
from omnicanal.platform.wiring import Platform
from omnicanal.returns import service
from omnicanal.returns.schemas import InspectIn, RefundIn, ReturnIn
from tests.builders import auth, snapshot
from tests.customers.support import make_source, send
from tests.returns.builders import (
    CARD,
    DELIVERY,
    Shop,
    deliver,
    make_shop,
    policy,
    return_body,
    till_order,
)
from tests.web.test_admin_pages import _csrf, _post
from tests.web.test_store_pages import make_staff, sign_in

INES = "ines@example.fr"


def delivered_order(
    client: TestClient, platform: Platform, shop: Shop, *, days_ago: int = 0, sku: str = ""
) -> dict[str, Any]:
    """A web order of Inès's, shipped from the warehouse and delivered ``days_ago`` days ago."""
    response = client.post(
        "/v1/orders",
        json={
            "lines": [{"sku": sku or shop.robe_m, "quantity": 1}],
            "customer_ref": INES,
            "delivery_address": DELIVERY,
            "payment": CARD,
            "fulfilment": {"method": "ship"},
        },
        headers=auth(shop.web),
    )
    assert response.status_code == 201, response.text
    order = response.json()
    deliver(platform, order, now=utcnow() - timedelta(days=days_ago))
    return dict(order)


def open_return(client: TestClient, key: str, body: dict[str, Any]) -> dict[str, Any]:
    """POST /v1/returns, asserting it was taken (or authorised)."""
    response = client.post("/v1/returns", json=body, headers=auth(key))
    assert response.status_code == 201, response.text
    return dict(response.json())


def waiting_return(platform: Platform, order_id: str, store: str) -> str:
    """The first line of a counter sale brought back worn at ``store``: it waits for head
    office; returns its id."""
    with platform.db.transaction() as session:
        order = orders.get_order(session, order_id=order_id)
        returned = service.open_return(
            session,
            data=ReturnIn.model_validate(
                {
                    "order_id": order_id,
                    "lines": [
                        {
                            "order_line_id": order.lines[0].id,
                            "quantity": 1,
                            "reason": "too_large",
                            "condition": "worn",
                        }
                    ],
                    "method": "counter",
                    "location": store,
                }
            ),
            actor=OPERATOR,
            policy=policy(),
        )
    assert returned.status == "review_pending"
    return returned.id


def status_of(platform: Platform, return_id: str) -> str:
    with platform.db.reading() as session:
        return service.get_return(session, return_id=return_id).status


def decisions(platform: Platform) -> list[audit.AuditRow]:
    with platform.db.reading() as session:
        return audit.list_entries(session, what="return_review")


@pytest.fixture
def shop(platform, client) -> Shop:  # type: ignore[no-untyped-def]
    """The returns shop (a warehouse, Lyon and Paris), Inès known by her e-mail and name, and
    head office signed in."""
    built = make_shop(platform)
    send(
        client,
        make_source(platform, "web"),
        {
            "type": "identify",
            "userId": "ines",
            "traits": {"email": INES, "first_name": "Inès", "last_name": "Martin"},
        },
    )
    make_staff(platform, "hugo@example.fr", role="head_office", location=None)
    sign_in(client, "hugo@example.fr")
    return built


@pytest.fixture
def late(platform, client, shop) -> dict[str, Any]:  # type: ignore[no-untyped-def]
    """Inès brings back, at the Lyon counter, a dress delivered 41 days ago: it waits."""
    order = delivered_order(client, platform, shop, days_ago=41)
    returned = open_return(client, shop.lyon, return_body(order))
    assert returned["status"] == "review_pending"
    return returned


def test_a_return_outside_the_window_waits_in_the_queue_with_its_french_reason(
    platform, client, shop, late
):
    """Her name, the order, the channel of purchase, the counter and the amount; the reason
    as a sentence with its days."""
    page = client.get("/admin/returns")

    assert page.status_code == 200
    row = re.search(rf'<tr class="waiting">.*?{late["id"]}.*?</tr>', page.text, re.S)
    assert row is not None
    assert "Inès Martin" in row.group(0)
    assert late["order_id"] in row.group(0)
    assert "Au comptoir d\u2019un magasin · Store LYON-01" in row.group(0)
    assert "49,90\u00a0€" in row.group(0)
    assert "Hors délai : reçu il y a 41 jours, 30 autorisés" in row.group(0)
    english = client.get("/admin/returns", params={"lang": "en"})
    assert "Outside the return window: 41 days since the customer received it" in english.text


def test_the_oldest_return_waiting_comes_first_then_the_others(platform, client, shop, late):
    """A newer return waiting and one approved at once: the waiting ones, oldest first, on top."""
    newer_order = delivered_order(client, platform, shop, days_ago=45)
    newer = open_return(client, shop.lyon, return_body(newer_order))
    approved = open_return(client, shop.lyon, return_body(delivered_order(client, platform, shop)))
    assert approved["status"] == "received"

    page = client.get("/admin/returns").text

    assert page.index(late["id"]) < page.index(newer["id"]) < page.index(approved["id"])


def test_approving_moves_the_return_on_with_its_history_and_an_audit_record(
    platform, client, shop, late
):
    detail = client.get(f"/admin/returns/{late['id']}")
    form = detail.text.split('value="approve"')[0]
    key = re.findall(r'name="key" value="([^"]+)"', form)[-1]

    answer = _post(
        client,
        f"/admin/returns/{late['id']}/review",
        csrf=_csrf(detail.text),
        key=key,
        decision="approve",
        note="Cliente fidèle",
    )

    assert answer.status_code == 303
    assert answer.headers["location"] == "/admin/returns?done=approved"
    with platform.db.reading() as session:
        returned = service.get_return(session, return_id=late["id"])
    assert returned.status == "approved"
    last = returned.history[-1]
    assert (last.from_status, last.to_status, last.reason) == (
        "review_pending",
        "approved",
        "Cliente fidèle",
    )
    assert last.actor == "operator:staff:hugo@example.fr"
    (entry,) = decisions(platform)
    assert (entry.resource_type, entry.resource_id) == ("return", late["id"])
    assert entry.operation == f"return_review:{late['id']}:approve"
    assert entry.staff_id is not None
    shown = client.get(f"/admin/returns/{late['id']}")
    assert "Accepté" in shown.text and "Cliente fidèle" in shown.text
    assert "hugo@example.fr · Siège" in shown.text
    assert 'value="approve"' not in shown.text
    assert "Le retour est accepté." in client.get(answer.headers["location"]).text


def test_a_decision_sent_twice_is_made_once(platform, client, shop, late):
    detail = client.get(f"/admin/returns/{late['id']}")
    key = re.findall(r'name="key" value="([^"]+)"', detail.text)[0]
    fields = {"csrf": _csrf(detail.text), "key": key, "decision": "approve", "note": ""}

    first = _post(client, f"/admin/returns/{late['id']}/review", **fields)
    second = _post(client, f"/admin/returns/{late['id']}/review", **fields)

    assert first.status_code == second.status_code == 303
    with platform.db.reading() as session:
        history = service.get_return(session, return_id=late["id"]).history
    assert [entry.to_status for entry in history] == ["review_pending", "approved"]
    assert len(decisions(platform)) == 1


def test_a_member_with_a_long_email_decides_too(platform, client, shop, late):
    """The decision's idempotency is kept under the member however long their e-mail (254
    characters are allowed; the key's owner column holds 60)."""
    email = f"{'hugo.' * 12}durand@example.fr"
    make_staff(platform, email, role="head_office", location=None)
    client.cookies.clear()
    sign_in(client, email)
    detail = client.get(f"/admin/returns/{late['id']}")
    key = re.findall(r'name="key" value="([^"]+)"', detail.text)[0]
    fields = {"csrf": _csrf(detail.text), "key": key, "decision": "approve"}

    answers = [_post(client, f"/admin/returns/{late['id']}/review", **fields) for _ in range(2)]

    assert [answer.status_code for answer in answers] == [303, 303]
    assert status_of(platform, late["id"]) == "approved"
    (entry,) = decisions(platform)
    assert entry.actor == f"operator:staff:{email}"


def test_refusing_needs_the_confirmation(platform, client, shop, late):
    """Without the tick: a French 400, nothing changed; with it: refused."""
    detail = client.get(f"/admin/returns/{late['id']}")
    key = re.findall(r'name="key" value="([^"]+)"', detail.text)[1]
    fields = {"csrf": _csrf(detail.text), "key": key, "decision": "refuse", "note": "Porté"}
    before = snapshot(platform)

    unconfirmed = _post(client, f"/admin/returns/{late['id']}/review", **fields)

    assert unconfirmed.status_code == 400
    assert "Cochez la confirmation pour refuser le retour" in unconfirmed.text
    assert snapshot(platform) == before
    assert status_of(platform, late["id"]) == "review_pending"
    assert decisions(platform) == []

    confirmed = _post(client, f"/admin/returns/{late['id']}/review", **fields, confirm="yes")

    assert confirmed.status_code == 303
    assert status_of(platform, late["id"]) == "refused"
    assert [entry.operation for entry in decisions(platform)] == [
        f"return_review:{late['id']}:refuse"
    ]


def test_a_decided_return_cannot_be_decided_again(platform, client, shop, late):
    detail = client.get(f"/admin/returns/{late['id']}")
    keys = re.findall(r'name="key" value="([^"]+)"', detail.text)
    csrf = _csrf(detail.text)
    _post(client, f"/admin/returns/{late['id']}/review", csrf=csrf, key=keys[0], decision="approve")

    again = _post(
        client,
        f"/admin/returns/{late['id']}/review",
        csrf=csrf,
        key=keys[1],
        decision="refuse",
        confirm="yes",
    )

    assert again.status_code == 409
    assert "décidé" in again.text
    assert status_of(platform, late["id"]) == "approved"


@pytest.mark.parametrize(
    "fields",
    [
        {"decision": "maybe"},
        {"decision": "approve", "note": "x" * 501},
    ],
    ids=["unknown decision", "note too long"],
)
def test_a_bad_decision_is_refused_in_french_and_changes_nothing(
    platform, client, shop, late, fields
):
    detail = client.get(f"/admin/returns/{late['id']}")
    before = snapshot(platform)

    answer = _post(client, f"/admin/returns/{late['id']}/review", csrf=_csrf(detail.text), **fields)

    assert answer.status_code == 400
    assert '<html lang="fr">' in answer.text and "Traceback" not in answer.text
    assert snapshot(platform) == before


def test_a_clerk_is_refused_the_returns_pages_and_changes_nothing(platform, client, shop, late):
    detail = client.get(f"/admin/returns/{late['id']}")
    key = re.findall(r'name="key" value="([^"]+)"', detail.text)[0]
    make_staff(platform, "lea@example.fr", location="LYON-01")
    client.cookies.clear()
    sign_in(client, "lea@example.fr")
    csrf = _csrf(client.get("/store").text)
    before = snapshot(platform)

    for path in (
        "/admin/returns",
        "/admin/returns/measures",
        f"/admin/returns/{late['id']}",
        f"/admin/returns/{late['id']}/label",
        f"/admin/returns/{late['id']}/label.png",
    ):
        page = client.get(path)
        assert page.status_code == 403, path
        assert "réservé au siège" in page.text
    answer = _post(
        client, f"/admin/returns/{late['id']}/review", csrf=csrf, key=key, decision="approve"
    )

    assert answer.status_code == 403
    assert snapshot(platform) == before
    assert status_of(platform, late["id"]) == "review_pending"


def test_the_filters_narrow_the_queue(platform, client, shop, late):
    """By status, by place of return (a store, or the post) and by review reason."""
    damaged = return_body(delivered_order(client, platform, shop))
    damaged["lines"][0]["condition"] = "damaged"
    worn_out = open_return(client, shop.lyon, damaged)
    by_post = open_return(
        client, shop.web, return_body(delivered_order(client, platform, shop), method="post")
    )

    def shown(**filters: str) -> set[str]:
        page = client.get("/admin/returns", params=filters)
        assert page.status_code == 200, page.text
        return set(re.findall(r'<a href="/admin/returns/([0-9A-Z]{26})">', page.text))

    assert shown() == {late["id"], worn_out["id"], by_post["id"]}
    assert shown(reason="outside_window") == {late["id"]}
    assert shown(reason="damaged") == {worn_out["id"]}
    assert shown(place="post") == {by_post["id"]}
    assert shown(place="LYON-01") == {late["id"], worn_out["id"]}
    assert shown(status="requested") == {by_post["id"]}
    assert shown(status="review_pending", place="LYON-01", reason="damaged") == {worn_out["id"]}
    page = client.get("/admin/returns", params={"reason": "damaged"}).text
    assert '<option value="damaged" selected>Article abîmé</option>' in page


@pytest.mark.parametrize(
    "filters",
    [
        {"status": "lost"},
        {"place": "NOWHERE"},
        {"reason": "'; DROP TABLE returns"},
        {"page": "0"},
        {"page": "²"},
        {"page": "9" * 5000},
    ],
)
def test_an_unknown_filter_value_gets_a_french_400(platform, client, shop, filters):
    page = client.get("/admin/returns", params=filters)

    assert page.status_code == 400
    assert "n\u2019est pas un des choix de ce filtre" in page.text


def test_the_measures_show_the_exchange_ratio_from_real_returns(platform, client, shop):
    """One return refunded, one exchanged: half of them exchanged; a bar chart drawn here."""
    refunded = open_return(
        client, shop.lyon, return_body(till_order(client, shop.lyon, (shop.robe_m, 1)))
    )
    exchanged = open_return(
        client, shop.lyon, return_body(till_order(client, shop.lyon, (shop.robe_m, 1)))
    )
    with platform.db.transaction() as session:
        service.inspect(session, return_id=refunded["id"], data=InspectIn(), actor=OPERATOR)
        service.refund(
            session,
            return_id=refunded["id"],
            data=RefundIn(method="store_credit"),
            actor=OPERATOR,
        )
    answer = client.post(
        f"/v1/returns/{exchanged['id']}/exchange",
        json={"lines": [{"sku": shop.robe_l, "quantity": 1}]},
        headers=auth(shop.lyon),
    )
    assert answer.status_code == 200, answer.text

    page = client.get("/admin/returns/measures", params={"days": "7"})

    assert page.status_code == 200
    half = format_percent(0.5, locale="fr")
    assert f'<span class="figure" id="exchange-ratio">{half}</span>' in page.text
    assert "<rect " in page.text and 'role="img"' in page.text
    assert "Trop petit" in page.text
    assert '<option value="7" selected>' in page.text
    for period in ("365", "²", "9" * 5000):
        refused = client.get("/admin/returns/measures", params={"days": period})
        assert refused.status_code == 400
        assert "n\u2019est pas une période des mesures" in refused.text


def test_the_receipt_carries_the_return_qr_code_of_its_order(platform, client, shop):
    """The SVG segno draws for ``omnicanal:order:<id>``, inline, with its French caption."""
    order = till_order(client, shop.lyon, (shop.robe_m, 1))

    page = client.get(f"/store/orders/{order['id']}/receipt")

    assert page.status_code == 200
    code = segno.make(f"omnicanal:order:{order['id']}", error="m", micro=False)
    drawn = code.svg_inline(scale=3, svgclass="return-code-qr")
    assert drawn.replace("<svg ", '<svg aria-hidden="true" focusable="false" ', 1) in page.text
    assert "Pour un retour ou un échange, présentez ce code en magasin" in page.text
    assert "<img" not in page.text.split('class="return-code"')[1].split("</figure>")[0]


def test_the_label_page_shows_the_qr_code_and_links_png_svg_and_pdf(platform, client, shop):
    authorised = open_return(
        client, shop.web, return_body(delivered_order(client, platform, shop), method="post")
    )
    token = authorised["authorisation"]["token"]

    page = client.get(f"/admin/returns/{authorised['id']}/label")

    assert page.status_code == 200
    assert "<svg" in page.text and token in page.text
    assert "Étiquette retour" in page.text
    expected = {"png": "image/png", "svg": "image/svg+xml", "pdf": "application/pdf"}
    starts = {"png": b"\x89PNG", "svg": b"<?xml", "pdf": b"%PDF"}
    files = {}
    for fmt, media_type in expected.items():
        link = f"/admin/returns/{authorised['id']}/label.{fmt}"
        assert f'href="{link}"' in page.text
        files[fmt] = client.get(link)
        assert files[fmt].status_code == 200, fmt
        assert files[fmt].headers["content-type"] == media_type
        assert files[fmt].content.startswith(starts[fmt])
    assert token.encode() in files["svg"].content
    api = client.get(f"/v1/returns/{authorised['id']}/label.png", headers=auth(shop.reviewer))
    assert files["png"].content == api.content


def test_a_counter_return_has_no_label_and_an_unknown_one_no_page(platform, client, shop, late):
    assert client.get(f"/admin/returns/{late['id']}/label").status_code == 409
    assert client.get(f"/admin/returns/{late['id']}/label.gif").status_code == 404
    unknown = client.get("/admin/returns/01NOPE")
    assert unknown.status_code == 404
    assert "Retour inconnu" in unknown.text


def test_the_return_page_shows_lines_reasons_and_history_in_the_head_office_zone(
    platform, client, shop, late
):
    page = client.get(f"/admin/returns/{late['id']}")

    assert page.status_code == 200
    assert "Trop petit" in page.text and "Jamais porté" in page.text
    assert "pas encore contrôlé" in page.text
    assert "À valider par le siège" in page.text
    assert "UTC" not in page.text
    assert 'name="confirm" value="yes" required' in page.text
