"""The store's queue in a real headless Chromium, on a phone (390 px) and a tablet (1024 px).

At both widths the page never scrolls sideways and every step button lies inside the screen
(its rows become cards on the phone). Léa, a clerk in Lyon, hands a pickup over on the code
the customer reads out, is stopped from putting a hold back on the shelf until she ticks the
confirmation, and sells a tried dress: the queue says so and lists it under "done today".
Screenshots go where the other browser tests write theirs.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass

import pytest

from omnicanal.fulfilment.states import Action
from omnicanal.orders import service as orders
from omnicanal.orders.schemas import CheckoutIn
from omnicanal.platform.wiring import Platform
from omnicanal.staff import service as staff
from tests.builders import make_location, make_product, receive
from tests.conftest import LiveServer, make_platform
from tests.web.test_browser import (
    ARTIFACTS,
    PASSWORD,
    WEB,
    _audit,
    _identify,
    _sign_in,
    browser,  # noqa: F401  (the module's Chromium)
    playwright_api,
)

TABLET = {"width": 1024, "height": 768}
PHONE = {"width": 390, "height": 844}
PAID = {"provider": "adyen", "reference": "psp_7", "status": "authorised"}

# Every step button's box, after scrolling it into view, against the screen's (a scroll
# stops on whole pixels: a box may end a fraction of one below the fold).
OUTSIDE = """
(buttons) => buttons
  .map((button) => {
    const box = button.getBoundingClientRect();
    const inside = box.left >= 0 && box.top >= -1 && box.right <= window.innerWidth
      && box.bottom <= window.innerHeight + 1;
    return inside ? null : `${button.textContent.trim()} at ${JSON.stringify(box)}`;
  })
  .filter(Boolean)
"""


@dataclass
class Queue:
    url: str
    platform: Platform
    arrived: str
    ready: str
    to_buy: str
    to_put_back: str


def _checkout(platform: Platform, sku: str, method: str, **more: object) -> str:
    body: dict[str, object] = {
        "lines": [
            {"sku": sku, "quantity": 1, "fulfilment": {"method": method, "location": "LYON-01"}}
        ],
        "customer_ref": "zoe.martin",
        **more,
    }
    with platform.db.transaction() as session:
        order = orders.checkout(session, data=CheckoutIn.model_validate(body), actor=WEB)
    return order.fulfilments[0].id


def _move(platform: Platform, fulfilment_id: str, *actions: Action) -> None:
    for action in actions:
        with platform.db.transaction() as session:
            orders.act(session, fulfilment_id=fulfilment_id, action=action, actor=WEB)


@pytest.fixture
def queue(tmp_path, request) -> Iterator[Queue]:  # type: ignore[no-untyped-def]
    """Lyon République's queue: Zoé Martin arrived for one pickup, another waits ready, one
    to pick, a dress she tried and one she holds, a parcel to send to another customer's
    home; Léa, a clerk in Lyon."""
    platform = make_platform("sqlite", tmp_path, request)
    make_location(platform, "LYON-01", name="Lyon République", latitude=45.7623, longitude=4.8361)
    dress, trousers = make_product(platform, "ROBE-LIN", sizes=("S", "M"))
    receive(platform, dress, "LYON-01", 10)
    receive(platform, trousers, "LYON-01", 10)
    _identify(platform)
    arrived = _checkout(platform, dress, "pickup", payment=PAID)
    _move(platform, arrived, Action.pick, Action.ready, Action.check_in)
    ready = _checkout(platform, trousers, "pickup", payment=PAID)
    _move(platform, ready, Action.pick, Action.ready)
    _checkout(platform, dress, "pickup", payment=PAID)
    to_buy = _checkout(platform, trousers, "reserve_and_try")
    _move(platform, to_buy, Action.try_on)
    to_put_back = _checkout(platform, dress, "reserve_and_try")
    parcel = CheckoutIn.model_validate(
        {
            "lines": [{"sku": trousers, "quantity": 1, "fulfilment": {"method": "ship"}}],
            "delivery_address": {
                "name": "Marie-Amélie de La Tour d'Auvergne-Lauraguais",
                "line1": "221 avenue Jean Jaurès",
                "postcode": "69007",
                "city": "Lyon",
                "latitude": 45.74,
                "longitude": 4.84,
            },
            "payment": PAID,
        }
    )
    with platform.db.transaction() as session:
        orders.checkout(session, data=parcel, actor=WEB)
        staff.create_staff(
            session,
            email="lea@maison-lumiere.example",
            password=PASSWORD,
            role=staff.Role.clerk,
            location_code="LYON-01",
            name="Léa",
        )
    with LiveServer(platform) as server:
        yield Queue(server.url, platform, arrived, ready, to_buy, to_put_back)
    platform.close()


def _fits(page, name: str) -> list[str]:  # type: ignore[no-untyped-def]
    """What does not fit the screen: a sideways scroll, a step button off screen."""
    problems = []
    width = page.viewport_size["width"]
    scroll_width = page.evaluate("document.documentElement.scrollWidth")
    if scroll_width > width:
        problems.append(f"{name}: the page is {scroll_width} px wide at {width} px")
    buttons = page.locator("main form.step button")
    assert buttons.count() > 0
    for index in range(buttons.count()):
        button = buttons.nth(index)
        button.scroll_into_view_if_needed()
        problems += [f"{name}: {text}" for text in button.evaluate_all(OUTSIDE)]
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=True)
    return problems


def _code(platform: Platform, fulfilment_id: str) -> str:
    with platform.db.reading() as session:
        code = orders.get_fulfilment_view(session, fulfilment_id=fulfilment_id).pickup_code
    assert code is not None
    return code


def _status(platform: Platform, fulfilment_id: str) -> str:
    with platform.db.reading() as session:
        return orders.get_fulfilment_view(session, fulfilment_id=fulfilment_id).status


@pytest.mark.parametrize("size", [PHONE, TABLET], ids=["phone-390", "tablet-1024"])
def test_the_queue_fits_the_screen_with_every_step_button_on_it(queue, browser, size):  # noqa: F811
    context = browser.new_context(base_url=queue.url, viewport=size, locale="fr-FR")
    page = context.new_page()
    _sign_in(page, "lea@maison-lumiere.example")
    page.goto("/store/queue/LYON-01")
    name = f"store-queue-{size['width']}"

    problems = _fits(page, name)
    problems += _audit(page)

    # Each row names its customer and shows the code the customer will read out.
    row = page.locator(f"#row-{queue.arrived}")
    playwright_api.expect(row).to_contain_text("Zoé Martin")
    playwright_api.expect(row.locator(".pickup-code")).to_have_text(
        _code(queue.platform, queue.arrived)
    )
    # A long name wraps in its card or its cell; it does not widen the page.
    picking = page.locator("section", has=page.locator("#pick-title"))
    playwright_api.expect(picking).to_contain_text("Marie-Amélie de La Tour")
    context.close()
    assert problems == []


def test_a_clerk_hands_over_puts_back_and_sells_from_her_phone(queue, browser):  # noqa: F811
    expect = playwright_api.expect
    context = browser.new_context(base_url=queue.url, viewport=PHONE, locale="fr-FR")
    page = context.new_page()
    _sign_in(page, "lea@maison-lumiere.example")
    page.goto("/store/queue/LYON-01")

    # The customer reads her code out; the clerk types it as she hears it.
    code = _code(queue.platform, queue.arrived).lower()
    row = page.locator(f"#row-{queue.arrived}")
    row.get_by_label("Code de retrait montré par le client").fill(f"{code[:3]} {code[3:]}")
    row.get_by_role("button", name="Remettre au client").click()
    expect(page.get_by_role("status")).to_contain_text("Remis : la commande")
    expect(page.locator("section", has=page.locator("#done-title"))).to_contain_text("Zoé Martin")
    assert _status(queue.platform, queue.arrived) == "collected"
    problems = _fits(page, "store-queue-handed-over-390")

    # Putting a hold back on the shelf: nothing happens until the box is ticked.
    row = page.locator(f"#row-{queue.to_put_back}")
    row.get_by_role("button", name="Remettre en rayon").click()
    expect(page).to_have_url(re.compile(r"/store/queue/LYON-01\?done="))
    assert _status(queue.platform, queue.to_put_back) == "held"
    row.get_by_label("Confirmer : le client ne le prend pas").check()
    row.get_by_role("button", name="Remettre en rayon").click()
    expect(page.get_by_role("status")).to_contain_text("Remis en rayon")
    assert _status(queue.platform, queue.to_put_back) == "released"

    # The tried dress is bought: the queue says it, and lists it under "done today".
    row = page.locator(f"#row-{queue.to_buy}")
    row.get_by_label("Numéro du ticket du terminal de paiement").fill("TPE-LYON-0042")
    row.get_by_role("button", name="Acheté").click()
    expect(page.get_by_role("status")).to_contain_text("Vendu : la commande")
    done = page.locator("section", has=page.locator("#done-title"))
    expect(done.locator(f"#row-{queue.to_buy}")).to_contain_text("Acheté")
    assert _status(queue.platform, queue.to_buy) == "bought"
    problems += _fits(page, "store-queue-sold-390")
    problems += _audit(page)
    context.close()
    assert problems == []
