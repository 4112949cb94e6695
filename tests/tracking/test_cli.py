"""``omnicanal tracking keys …`` makes write keys that the tracking API accepts."""

from __future__ import annotations

from fastapi.testclient import TestClient
from typer.testing import CliRunner

from omnicanal.api.app import create_app
from omnicanal.cli.main import app
from tests.builders import make_location
from tests.customers.support import basic


def _env(platform) -> dict[str, str]:
    return {"OMNICANAL_DATABASE_URL": platform.db.url.render_as_string(hide_password=False)}


def test_a_write_key_from_the_cli_is_accepted_by_the_tracking_api(platform):
    make_location(platform, "LYON-01")

    result = CliRunner().invoke(
        app,
        [
            "tracking",
            "keys",
            "create",
            "--source",
            "store",
            "--name",
            "Caisses Lyon",
            "--location",
            "LYON-01",
        ],
        env=_env(platform),
    )

    assert result.exit_code == 0, result.output
    key = next(word for word in result.output.split() if word.startswith("wk_store_"))
    with TestClient(create_app(platform, background=False)) as client:
        response = client.post(
            "/v1/track", json={"anonymousId": "c", "event": "Till Sale"}, headers=basic(key)
        )
    assert response.status_code == 200, response.text
    listed = CliRunner().invoke(app, ["tracking", "keys", "list"], env=_env(platform))
    assert "Caisses Lyon" in listed.output
    assert "LYON-01" in listed.output


def test_a_revoked_write_key_from_the_cli_is_refused(platform):
    created = CliRunner().invoke(
        app, ["tracking", "keys", "create", "--source", "web"], env=_env(platform)
    )
    key = next(word for word in created.output.split() if word.startswith("wk_web_"))
    source_id = created.output.split("source id")[1].split()[1]

    revoked = CliRunner().invoke(app, ["tracking", "keys", "revoke", source_id], env=_env(platform))

    assert revoked.exit_code == 0, revoked.output
    with TestClient(create_app(platform, background=False)) as client:
        response = client.post("/v1/page", json={"anonymousId": "c"}, headers=basic(key))
    assert response.status_code == 401


def test_a_store_source_for_an_unknown_store_is_refused(platform):
    result = CliRunner().invoke(
        app,
        ["tracking", "keys", "create", "--source", "store", "--location", "NOWHERE"],
        env=_env(platform),
    )

    assert result.exit_code == 2
    assert "unknown" in result.output.lower()
