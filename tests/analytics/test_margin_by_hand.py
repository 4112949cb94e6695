"""The contribution margin from purchase costs set by head office: the orders placed once
every SKU has a cost, less what their units cost, computed by hand."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from omnicanal.analytics import measures
from omnicanal.analytics.kpis import Scope
from omnicanal.platform.wiring import Platform
from tests.builders import auth, make_key, make_location, receive
from tests.orders.builders import checkout_body, line
from tests.pricing.builders import make_sku


def _order(client, key: str, *lines: dict[str, object]) -> dict[str, object]:  # type: ignore[no-untyped-def]
    response = client.post("/v1/orders", json=checkout_body(*lines), headers=auth(key))
    assert response.status_code == 201, response.text
    return dict(response.json())


def _margin(platform: Platform) -> float | None:
    platform.relay().drain()
    today = datetime.now(ZoneInfo(platform.settings.business_time_zone)).date()
    with platform.db.reading() as session:
        (figure,) = measures.figures(session, Scope(today, today), ["contribution_margin"])
    assert figure.currency == "EUR"
    return figure.value


def test_the_margin_is_the_kept_sales_less_the_purchase_cost_of_their_units(platform, client):
    """Costs: dress 31.20, jumper 20.00; the scarf has none. Kept: 2 dresses + 1 jumper =
    209.70 less 2 x 31.20 + 20.00 = 82.40: 127.30. Left out: a cancelled order, an order
    with the scarf. A later cost change leaves the orders placed before it as they were."""
    make_location(platform, "WH-CENTRE", kind="warehouse", channels=("web",))
    dress, jumper, scarf = (
        make_sku(platform, "ROBE-LIN-38", 7990),
        make_sku(platform, "PULL-MERINOS-M", 4990),
        make_sku(platform, "ECHARPE-SOIE", 3500),
    )
    for sku in (dress, jumper, scarf):
        receive(platform, sku, "WH-CENTRE", 10)
    head_office = auth(make_key(platform, "web", scopes=["pricing:write"]))
    for sku, cost in ((dress, 3120), (jumper, 2000)):
        answer = client.put(
            f"/v1/prices/{sku}/cost", json={"cost_minor": cost}, headers=head_office
        )
        assert answer.status_code == 200, answer.text
    platform.relay().drain()
    shop = make_key(platform, "web")

    kept = _order(client, shop, line(dress, 2), line(jumper, 1))
    cancelled = _order(client, shop, line(jumper, 3))
    _order(client, shop, line(dress, 1), line(scarf, 1))
    cancel = client.post(f"/v1/orders/{cancelled['id']}/cancel", headers=auth(shop))
    assert cancel.status_code == 200, cancel.text

    assert kept["total_minor"] == 2 * 7990 + 4990
    assert _margin(platform) == 2 * 7990 + 4990 - (2 * 3120 + 2000)

    client.put(f"/v1/prices/{dress}/cost", json={"cost_minor": 5000}, headers=head_office)
    assert _margin(platform) == 12730


def test_without_any_cost_there_is_no_margin_to_show(platform, client):
    """Sales but no purchase cost: the margin is unknown (None), not the sales."""
    make_location(platform, "WH-CENTRE", kind="warehouse", channels=("web",))
    dress = make_sku(platform, "ROBE-LIN-38", 7990)
    receive(platform, dress, "WH-CENTRE", 5)

    _order(client, make_key(platform, "web"), line(dress, 1))

    assert _margin(platform) is None
