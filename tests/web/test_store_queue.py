"""The store's queue made for a French store: each row names its customer and shows the
pickup code; handing over asks for the code or an identity document; putting back on the
shelf asks to confirm; a purchase says what happened and moves to "done today"; phones read
the French way."""

from __future__ import annotations

import re
from datetime import datetime, timedelta

import pytest
from fastapi.testclient import TestClient

from omnicanal.fulfilment.states import Action
from omnicanal.orders import service as orders
from omnicanal.orders.schemas import CheckoutIn
from omnicanal.platform.clock import utcnow
from omnicanal.platform.wiring import Platform
from tests.builders import receive, snapshot
from tests.web.test_french_pages import english_words
from tests.web.test_store_pages import lyon, sign_in, zoe  # noqa: F401
from tests.web.test_store_selling import DESK, fulfilment_status

PAID = {"payment": {"provider": "adyen", "reference": "psp_3", "status": "authorised"}}


def order_for(
    platform: Platform,
    sku: str,
    method: str = "pickup",
    *,
    customer_ref: str | None = "zoe",
    sent_home_to: str | None = None,
    **choice: object,
) -> str:
    """An order collected or tried on at Lyon for ``customer_ref`` (with a second unit sent
    to ``sent_home_to``'s home, if named); the at-store fulfilment's id."""
    at_store = {
        "sku": sku,
        "quantity": 1,
        "fulfilment": {"method": method, "location": "LYON", **choice},
    }
    body: dict[str, object] = {
        "lines": [at_store],
        "customer_ref": customer_ref,
        **({} if method == "reserve_and_try" else PAID),
    }
    if sent_home_to is not None:
        body["lines"] = [at_store, {"sku": sku, "quantity": 1, "fulfilment": {"method": "ship"}}]
        body["delivery_address"] = {"name": sent_home_to, "line1": "1 rue Mercière", "city": "Lyon"}
    with platform.db.transaction() as session:
        placed = orders.checkout(session, data=CheckoutIn.model_validate(body), actor=DESK)
    return next(f.id for f in placed.fulfilments if f.method == method)


def move(
    platform: Platform, fulfilment_id: str, *actions: Action, now: datetime | None = None
) -> None:
    for action in actions:
        with platform.db.transaction() as session:
            orders.act(session, fulfilment_id=fulfilment_id, action=action, actor=DESK, now=now)


def view(platform: Platform, fulfilment_id: str):  # type: ignore[no-untyped-def]
    with platform.db.reading() as session:
        return orders.get_fulfilment_view(session, fulfilment_id=fulfilment_id)


def step(client: TestClient, fulfilment_id: str, action: str, **fields: str):  # type: ignore[no-untyped-def]
    """Press a row's step button as the page draws it: its CSRF token and its step key."""
    page = client.get("/store/queue/LYON").text
    csrf = re.search(r'name="csrf" value="([^"]+)"', page)
    key = re.search(rf'name="step_key" value="([^"]+-{fulfilment_id}-{action})"', page)
    assert csrf is not None
    form = {"csrf": csrf.group(1), **({"step_key": key.group(1)} if key else {}), **fields}
    return client.post(
        f"/store/queue/LYON/fulfilments/{fulfilment_id}/{action}",
        data=form,
        follow_redirects=False,
    )


def french(page: str) -> list[str]:
    """The English words of a page, but the test store's own name ("Store LYON")."""
    return english_words(page.replace("Store LYON", "Magasin Lyon"))


def section(page: str, title_id: str) -> str:
    start = page.index(f'id="{title_id}"')
    end = page.find("</section>", start)
    return page[start:end]


@pytest.fixture
def ready(lyon, client, zoe):  # noqa: F811
    """Zoé's pickup, ready at Lyon; Léa of the Lyon store signed in."""
    fulfilment_id = order_for(lyon, zoe)
    move(lyon, fulfilment_id, Action.pick, Action.ready)
    sign_in(client, "lea@example.fr")
    return fulfilment_id


# --- who, and the code ------------------------------------------------------------------------


def test_each_row_names_its_customer_and_shows_its_pickup_code(lyon, client, zoe):  # noqa: F811
    """By the delivery address's name, else the profile the order names, else "Client sans
    nom"."""
    receive(lyon, zoe, "LYON", 2)
    hers = order_for(lyon, zoe)
    camille = order_for(lyon, zoe, customer_ref=None, sent_home_to="Camille")
    nobody = order_for(lyon, zoe, customer_ref=None)
    sign_in(client, "lea@example.fr")

    page = client.get("/store/queue/LYON").text

    rows = {
        fid: page[
            page.index(f'id="row-{fid}"') : page.index("</tr>", page.index(f'id="row-{fid}"'))
        ]
        for fid in (hers, camille, nobody)
    }
    assert '<strong class="customer">Zoé</strong>' in rows[hers]
    assert '<strong class="customer">Camille</strong>' in rows[camille]
    assert '<strong class="customer">Client sans nom</strong>' in rows[nobody]
    for fid, row in rows.items():
        code = view(lyon, fid).pickup_code
        assert code and f'<code class="pickup-code">{code}</code>' in row
    assert french(page) == []


# --- handing over -----------------------------------------------------------------------------


def test_a_pickup_is_handed_over_on_its_code_typed_in_lower_case_with_spaces(lyon, client, ready):  # noqa: F811
    code = view(lyon, ready).pickup_code.lower()

    handed = step(client, ready, "collect", pickup_code=f" {code[:3]} {code[3:]} ")

    assert handed.status_code == 303, handed.text
    assert handed.headers["location"] == f"/store/queue/LYON?done={ready}"
    assert fulfilment_status(lyon, ready) == "collected"
    page = client.get(handed.headers["location"]).text
    order_id = view(lyon, ready).order_id
    assert "Remis : la commande" in page and f'href="/store/orders/{order_id}"' in page
    assert f'id="row-{ready}"' in section(page, "done-title")
    assert f'id="row-{ready}"' not in section(page, "waiting-title")
    assert french(page) == []


def test_a_wrong_pickup_code_is_refused_in_french_and_nothing_is_handed_over(lyon, client, ready):  # noqa: F811
    code = view(lyon, ready).pickup_code
    wrong = "ABCDEF" if code != "ABCDEF" else "GHJKLM"
    before = snapshot(lyon)

    refused = step(client, ready, "collect", pickup_code=wrong)

    assert refused.status_code == 422
    assert "Ce code de retrait n\u2019est pas celui de la commande" in refused.text
    assert fulfilment_status(lyon, ready) == "ready_for_pickup"
    assert snapshot(lyon) == before
    assert french(refused.text) == []


def test_a_handover_needs_the_code_or_an_identity_document_named(lyon, client, ready):  # noqa: F811
    before = snapshot(lyon)

    bare = step(client, ready, "collect")
    unnamed = step(client, ready, "collect", identity_checked="yes", identity_document="")

    assert bare.status_code == unnamed.status_code == 422
    assert "ou cochez « Pièce d\u2019identité vérifiée »" in bare.text
    assert "Choisissez la pièce d\u2019identité que vous avez vérifiée" in unnamed.text
    assert snapshot(lyon) == before
    assert french(bare.text) == french(unnamed.text) == []

    checked = step(client, ready, "collect", identity_checked="yes", identity_document="passport")

    assert checked.status_code == 303, checked.text
    assert fulfilment_status(lyon, ready) == "collected"
    with lyon.db.reading() as session:
        order = orders.get_order(session, order_id=view(lyon, ready).order_id)
    collected = next(h for h in order.history if h.to_status == "collected")
    assert collected.reason == "identity document checked: passport"


# --- putting back on the shelf -----------------------------------------------------------------


def test_putting_a_hold_back_on_the_shelf_asks_to_confirm(lyon, client, zoe):  # noqa: F811
    held = order_for(lyon, zoe, "reserve_and_try", reserve_days=2)
    sign_in(client, "lea@example.fr")
    page = client.get("/store/queue/LYON").text
    assert re.search(r'name="confirm" value="yes" required', section(page, "try-title"))
    before = snapshot(lyon)

    unconfirmed = step(client, held, "release")

    assert unconfirmed.status_code == 422
    assert "Cochez la case pour confirmer la remise en rayon" in unconfirmed.text
    assert fulfilment_status(lyon, held) == "held"
    assert snapshot(lyon) == before

    confirmed = step(client, held, "release", confirm="yes")

    assert confirmed.status_code == 303, confirmed.text
    assert fulfilment_status(lyon, held) == "released"
    assert (
        "Remis en rayon : les articles de la commande"
        in client.get(confirmed.headers["location"]).text
    )


def test_an_uncollected_pickup_goes_back_on_the_shelf_only_once_its_window_is_over(
    lyon,  # noqa: F811
    client,
    zoe,  # noqa: F811
):
    waiting = order_for(lyon, zoe)
    move(lyon, waiting, Action.pick, Action.ready)
    overdue = order_for(lyon, zoe)
    move(lyon, overdue, Action.pick)
    move(lyon, overdue, Action.ready, now=utcnow() - timedelta(days=8))
    sign_in(client, "lea@example.fr")

    page = client.get("/store/queue/LYON").text
    assert f"/fulfilments/{overdue}/expire" in page
    assert f"/fulfilments/{waiting}/expire" not in page
    early = step(client, waiting, "expire", confirm="yes")
    assert early.status_code == 409
    assert "Cette commande est gardée pour son client" in early.text
    assert fulfilment_status(lyon, waiting) == "ready_for_pickup"

    put_back = step(client, overdue, "expire", confirm="yes")

    assert put_back.status_code == 303, put_back.text
    assert fulfilment_status(lyon, overdue) == "expired"


# --- bought: what happened --------------------------------------------------------------------


def test_a_bought_hold_is_said_and_moves_to_done_today_with_its_order(lyon, client, zoe):  # noqa: F811
    held = order_for(lyon, zoe, "reserve_and_try", reserve_days=2)
    move(lyon, held, Action.try_on)
    sign_in(client, "lea@example.fr")
    page = client.get("/store/queue/LYON").text
    key = re.search(rf'name="step_key" value="([^"]+-{held}-buy)"', page)
    csrf = re.search(r'name="csrf" value="([^"]+)"', page)
    assert key is not None and csrf is not None
    form = {"csrf": csrf.group(1), "step_key": key.group(1), "payment_reference": "TPE-0042"}
    path = f"/store/queue/LYON/fulfilments/{held}/buy"

    bought = client.post(path, data=form, follow_redirects=False)

    assert bought.status_code == 303, bought.text
    page = client.get(bought.headers["location"]).text
    order_id = view(lyon, held).order_id
    assert "Vendu : la commande" in page and "est payée" in page
    done = section(page, "done-title")
    assert f'id="row-{held}"' in done and f'href="/store/orders/{order_id}"' in done
    assert "Acheté" in done
    assert f'id="row-{held}"' not in section(page, "try-title")
    assert french(page) == []

    # A double tap replays the first answer: no second sale, no error page.
    before = snapshot(lyon)
    again = client.post(path, data=form, follow_redirects=False)
    assert (again.status_code, again.headers["location"]) == (303, bought.headers["location"])
    assert snapshot(lyon) == before
    # The same form sent with another receipt is refused: it was used already.
    reused = client.post(path, data={**form, "payment_reference": "TPE-9999"})
    assert reused.status_code == 409
    assert "Ce formulaire a déjà servi pour une autre étape" in reused.text
    with lyon.db.reading() as session:
        assert orders.get_order(session, order_id=order_id).payment.reference == "TPE-0042"


# --- phones -----------------------------------------------------------------------------------


def test_phone_numbers_read_the_french_way_on_the_customer_page(lyon, client, zoe):  # noqa: F811
    sign_in(client, "lea@example.fr")
    search = client.get("/store/customers", params={"q": "zoe@example.fr"})
    profile = re.search(r'href="(/store/customers/[0-9A-Z]{26})"', search.text)
    assert profile is not None

    page = client.get(profile.group(1)).text

    assert "06 12 34 56 78" in page
    assert "+33612345678" not in page
