"""Head office's pages at a laptop's 1440 x 900 in a real headless Chromium: the
where-is-this-SKU table beside its map, and the ranked stock alerts, fit without a
horizontal scroll bar. Screenshots go to ``artifacts/screenshots`` (or
``$OMNICANAL_TEST_ARTIFACTS``)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from omnicanal.inventory import service as inventory
from omnicanal.inventory.schemas import MovementIn, MovementKind, ReservationIn
from omnicanal.platform.actors import OPERATOR
from omnicanal.staff import service as staff
from tests.builders import make_location, make_product
from tests.conftest import LiveServer, make_platform
from tests.web.test_browser import ARTIFACTS, PASSWORD, _audit, _sign_in, browser  # noqa: F401

LAPTOP = {"width": 1440, "height": 900}

# The demo chain's places: the longest codes and city names the table has to hold.
PLACES = (
    ("PARIS-01", "Paris", 48.8603, 2.3431),
    ("LYON-01", "Lyon", 45.7623, 4.8361),
    ("MARSEILLE-01", "Marseille", 43.2925, 5.3781),
    ("TOULOUSE-01", "Toulouse", 43.6035, 1.4453),
    ("BORDEAUX-01", "Bordeaux", 44.8380, -0.5735),
    ("LILLE-01", "Lille", 50.6365, 3.0640),
    ("NANTES-01", "Nantes", 47.2130, -1.5610),
    ("STRASBOURG-01", "Strasbourg", 48.5833, 7.7466),
    ("NICE-01", "Nice", 43.7005, 7.2660),
    ("MONTPELLIER-01", "Montpellier", 43.6110, 3.8767),
    ("RENNES-01", "Rennes", 48.1113, -1.6800),
    ("GRENOBLE-01", "Grenoble", 45.1885, 5.7245),
    ("WH-SAINT-PRIEST", "Saint-Priest", 45.6960, 4.9440),
    ("WH-SARAN", "Saran", 47.9500, 1.8700),
)

# Horizontal overflow of the page and of every scrolling box, as [what, scroll, client].
OVERFLOW = """() => {
  const found = [];
  const root = document.documentElement;
  if (root.scrollWidth > root.clientWidth) found.push(["page", root.scrollWidth, root.clientWidth]);
  document.querySelectorAll(".scroll").forEach((box, index) => {
    if (box.scrollWidth > box.clientWidth)
      found.push([".scroll " + index, box.scrollWidth, box.clientWidth]);
  });
  return found;
}"""


@pytest.fixture
def chain(tmp_path, request) -> Iterator[tuple[str, str]]:  # type: ignore[no-untyped-def]
    """Fourteen places holding hundreds of a dress, some of it reserved, a bag in three sizes
    low everywhere, and head office."""
    platform = make_platform("sqlite", tmp_path, request)
    for code, city, latitude, longitude in PLACES:
        kind = "warehouse" if code.startswith("WH-") else "store"
        make_location(
            platform,
            code,
            kind=kind,
            latitude=latitude,
            longitude=longitude,
            city=city,
            name=f"Maison Lumière {city}",
        )
    (dress,) = make_product(platform, "ROB-127", sizes=("M",))
    bags = make_product(platform, "SAC-BANDOULIERE", sizes=("S", "M", "L"))
    with platform.db.transaction() as session:
        for index, (code, *_) in enumerate(PLACES):
            for bag in bags:  # low everywhere, one sold
                for kind, quantity in ((MovementKind.receipt, 2), (MovementKind.sale, 1)):
                    inventory.record_movement(
                        session,
                        data=MovementIn(sku=bag, location=code, kind=kind, quantity=quantity),
                        actor=OPERATOR,
                    )
            inventory.record_movement(
                session,
                data=MovementIn(
                    sku=dress, location=code, kind=MovementKind.receipt, quantity=100 + index
                ),
                actor=OPERATOR,
            )
            inventory.reserve(
                session,
                data=ReservationIn(sku=dress, quantity=12, location=code, channel="web"),
                actor=OPERATOR,
                default_ttl_seconds=3600,
            )
        staff.create_staff(
            session,
            email="siege@maison-lumiere.example",
            password=PASSWORD,
            role=staff.Role.head_office,
            location_code=None,
            name="Siège",
        )
    with LiveServer(platform) as server:
        yield server.url, dress
    platform.close()


def test_the_where_is_this_sku_table_fits_a_1440_screen(chain, browser):  # noqa: F811
    url, dress = chain
    context = browser.new_context(base_url=url, viewport=LAPTOP, locale="fr-FR")
    page = context.new_page()
    _sign_in(page, "siege@maison-lumiere.example")

    page.goto(f"/admin/stock/sku?q={dress}")
    overflow = page.evaluate(OVERFLOW)
    problems = _audit(page)
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "admin-sku-1440.png"), full_page=True)
    cells = page.locator(".map-and-table tbody tr").count()
    map_width = page.evaluate("document.querySelector('.map svg').getBoundingClientRect().width")
    context.close()

    assert overflow == []
    assert problems == []  # labelled, contrasted, one h1
    assert cells == len(PLACES)
    assert map_width > 400  # the map keeps a readable size beside the table


def test_the_ranked_alerts_fit_a_1440_screen(chain, browser):  # noqa: F811
    url, _ = chain
    context = browser.new_context(base_url=url, viewport=LAPTOP, locale="fr-FR")
    page = context.new_page()
    _sign_in(page, "siege@maison-lumiere.example")

    page.goto("/admin/stock/alerts")
    overflow = page.evaluate(OVERFLOW)
    problems = _audit(page)
    page.goto("/admin/stock/LYON-01")
    problems += _audit(page)
    page.goto("/admin/stock/alerts")
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "admin-alerts-1440.png"), full_page=True)
    lines = page.locator("table.alerts tbody tr").count()
    context.close()

    assert lines == 3 * len(PLACES)
    assert overflow == []
    assert problems == []
