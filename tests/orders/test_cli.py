"""``omnicanal orders``: an operator reads an order, the latest orders and the pickup waits."""

from __future__ import annotations

from typer.testing import CliRunner

from omnicanal.bootstrap import build_platform
from omnicanal.cli.main import app
from omnicanal.fulfilment.schemas import ActionIn
from omnicanal.fulfilment.states import Action
from omnicanal.orders import service as orders
from omnicanal.platform import migrate
from omnicanal.platform.config import Settings
from tests.orders.builders import WEB, line, make_shop, place


def _shop_with_a_collected_order(tmp_path):  # type: ignore[no-untyped-def]
    url = f"sqlite:///{tmp_path / 'cli.db'}"
    platform = build_platform(Settings(database_url=url))
    migrate.prepare(platform.db)
    shop = make_shop(platform)
    order = place(platform, line(shop.robe, 1, "pickup", location="LYON-01"), customer_ref="C-1")
    handover = ActionIn(pickup_code=order.fulfilments[0].pickup_code)
    for action in (Action.pick, Action.ready, Action.check_in, Action.collect):
        with platform.db.transaction() as session:
            orders.act(
                session,
                fulfilment_id=order.fulfilments[0].id,
                action=action,
                actor=WEB,
                data=handover if action is Action.collect else None,
            )
    platform.close()
    return {"OMNICANAL_DATABASE_URL": url, "COLUMNS": "200"}, order


def test_orders_show_prints_the_status_lines_fulfilments_and_history(tmp_path):
    env, order = _shop_with_a_collected_order(tmp_path)
    result = CliRunner().invoke(app, ["orders", "show", order.id], env=env)
    assert result.exit_code == 0, result.output
    for expected in (
        f"Order {order.id}",
        "completed",
        "ROBE-ALMA-M",
        "pickup",
        "LYON-01",
        "ready_for_pickup",
        "checked_in",
        "collected",
        "49,90 EUR",
        "Why these locations",
    ):
        assert expected in result.output


def test_orders_show_of_an_unknown_order_says_so(tmp_path):
    env, _ = _shop_with_a_collected_order(tmp_path)
    result = CliRunner().invoke(app, ["orders", "show", "NOPE"], env=env)
    assert result.exit_code == 2
    assert "unknown_order" in result.output


def test_orders_list_and_pickup_waits_summarise_the_activity(tmp_path):
    env, order = _shop_with_a_collected_order(tmp_path)
    listed = CliRunner().invoke(app, ["orders", "list", "--customer", "C-1"], env=env)
    assert listed.exit_code == 0, listed.output
    assert order.id in listed.output
    waits = CliRunner().invoke(app, ["orders", "pickup-waits"], env=env)
    assert waits.exit_code == 0, waits.output
    assert "LYON-01" in waits.output
    assert "all stores" in waits.output
