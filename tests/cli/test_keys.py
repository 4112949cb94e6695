"""``omnicanal keys create`` makes keys that the API accepts."""

from __future__ import annotations

from fastapi.testclient import TestClient
from typer.testing import CliRunner

from omnicanal.api.app import create_app
from omnicanal.cli.main import app
from omnicanal.platform.config import Settings
from omnicanal.platform.wiring import build_platform
from tests.builders import make_location


def test_a_store_key_from_the_cli_reads_stock_and_is_bound_to_its_store(tmp_path):
    url = f"sqlite:///{tmp_path / 'cli.db'}"
    env = {"OMNICANAL_DATABASE_URL": url}
    platform = build_platform(Settings(database_url=url))
    from omnicanal.platform import migrate

    migrate.prepare(platform.db)
    make_location(platform, "LYON-01")

    result = CliRunner().invoke(
        app, ["keys", "create", "--channel", "store", "--location", "LYON-01"], env=env
    )

    assert result.exit_code == 0, result.output
    secret = next(word for word in result.output.split() if word.startswith("oc_store_"))
    with TestClient(create_app(platform, background=False)) as client:
        response = client.get(
            "/v1/locations/LYON-01", headers={"Authorization": f"Bearer {secret}"}
        )
        assert response.status_code == 200
    platform.close()


def test_a_store_key_without_its_store_is_refused(tmp_path):
    env = {"OMNICANAL_DATABASE_URL": f"sqlite:///{tmp_path / 'cli.db'}"}

    result = CliRunner().invoke(app, ["keys", "create", "--channel", "store"], env=env)

    assert result.exit_code == 2
    assert "invalid_input" in result.output
