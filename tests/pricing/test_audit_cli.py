"""``omnicanal pricing audit`` prints the SKUs priced differently across channels, and why."""

from __future__ import annotations

from typer.testing import CliRunner

from omnicanal.bootstrap import build_platform
from omnicanal.cli.main import app
from omnicanal.platform import migrate
from omnicanal.platform.config import Settings
from tests.pricing.builders import make_sku, set_override


def test_the_audit_prints_each_overridden_sku_with_its_channels_prices_and_reason(tmp_path):
    url = f"sqlite:///{tmp_path / 'cli.db'}"
    platform = build_platform(Settings(database_url=url))
    migrate.prepare(platform.db)
    make_sku(platform, "ROBE-M", 4990)
    make_sku(platform, "JEAN-40", 7990)
    override = set_override(platform, "ROBE-M", "store", 3990, reason="Fin de série")
    platform.close()

    result = CliRunner().invoke(
        app, ["pricing", "audit"], env={"OMNICANAL_DATABASE_URL": url, "COLUMNS": "200"}
    )

    assert result.exit_code == 0, result.output
    assert "ROBE-M" in result.output
    assert "JEAN-40" not in result.output
    assert "39,90 EUR" in result.output and "49,90 EUR" in result.output
    assert f"override {override.id}: Fin de série" in result.output
    assert "1 SKU(s) priced differently across 5 channel(s)." in result.output


def test_the_audit_refuses_a_currency_that_is_not_iso_4217(tmp_path):
    url = f"sqlite:///{tmp_path / 'cli.db'}"
    platform = build_platform(Settings(database_url=url))
    migrate.prepare(platform.db)
    platform.close()

    result = CliRunner().invoke(
        app, ["pricing", "audit", "--currency", "EURO"], env={"OMNICANAL_DATABASE_URL": url}
    )

    assert result.exit_code == 2
    assert "invalid_currency" in result.output
