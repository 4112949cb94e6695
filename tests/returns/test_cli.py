"""``omnicanal returns``: an operator lists the latest returns and reads one."""

from __future__ import annotations

from fastapi.testclient import TestClient
from typer.testing import CliRunner

from omnicanal.api.app import create_app
from omnicanal.bootstrap import build_platform
from omnicanal.cli.main import app
from omnicanal.platform import migrate
from omnicanal.platform.config import Settings
from tests.builders import auth
from tests.returns.builders import make_shop, return_body, web_order


def _two_returns(tmp_path):  # type: ignore[no-untyped-def]
    """A return taken at Lyon and refunded, and a postal one on its way."""
    url = f"sqlite:///{tmp_path / 'cli.db'}"
    platform = build_platform(Settings(database_url=url, data_dir=tmp_path))
    migrate.prepare(platform.db)
    shop = make_shop(platform)
    with TestClient(create_app(platform, background=False)) as client:
        order = web_order(client, platform, shop.web, (shop.robe_m, 2))
        taken = client.post(
            "/v1/returns", json=return_body(order, satisfaction=5), headers=auth(shop.lyon)
        ).json()
        client.post(f"/v1/returns/{taken['id']}/inspect", headers=auth(shop.lyon))
        client.post(
            f"/v1/returns/{taken['id']}/refund",
            json={"method": "original_payment", "reference": "psp_refund_7"},
            headers=auth(shop.lyon),
        )
        postal = client.post(
            "/v1/returns", json=return_body(order, method="post"), headers=auth(shop.web)
        ).json()
    platform.close()
    env = {"OMNICANAL_DATABASE_URL": url, "OMNICANAL_DATA_DIR": str(tmp_path), "COLUMNS": "220"}
    return env, taken, postal


def test_returns_show_prints_the_lines_the_refund_and_who_did_each_step(tmp_path):
    env, taken, _ = _two_returns(tmp_path)

    result = CliRunner().invoke(app, ["returns", "show", taken["id"]], env=env)

    assert result.exit_code == 0, result.output
    for expected in (
        f"Return {taken['id']}",
        "refunded",
        "ROBE-ALMA-M",
        "too_small",
        "original_payment psp_refund_7",
        "LYON-01",
        "inspected",
        "5/5",
    ):
        assert expected in result.output


def test_returns_list_filters_by_status_and_location(tmp_path):
    env, taken, postal = _two_returns(tmp_path)

    every = CliRunner().invoke(app, ["returns", "list"], env=env)
    at_lyon = CliRunner().invoke(app, ["returns", "list", "--location", "LYON-01"], env=env)
    requested = CliRunner().invoke(app, ["returns", "list", "--status", "requested"], env=env)

    assert every.exit_code == 0, every.output
    assert taken["id"] in every.output and postal["id"] in every.output
    assert taken["id"] in at_lyon.output and postal["id"] not in at_lyon.output
    assert postal["id"] in requested.output and taken["id"] not in requested.output


def test_returns_show_of_an_unknown_return_is_an_error(tmp_path):
    env, _, _ = _two_returns(tmp_path)

    result = CliRunner().invoke(app, ["returns", "show", "01NOPE"], env=env)

    assert result.exit_code == 2
    assert "unknown_return" in result.output
