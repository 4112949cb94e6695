"""``omnicanal db upgrade`` makes a database a newcomer can use at once."""

from __future__ import annotations

from fastapi.testclient import TestClient
from typer.testing import CliRunner

from omnicanal.api.app import create_app
from omnicanal.bootstrap import build_platform
from omnicanal.cli.main import app
from omnicanal.platform.config import Settings
from tests.builders import auth, make_key


def test_a_freshly_upgraded_database_has_the_five_standard_channels_to_open_a_store_on(
    tmp_path,
):
    """No channel to declare first: a location fulfilling the web shop opens straight away,
    and the channel lists it."""
    url = f"sqlite:///{tmp_path / 'omnicanal.db'}"
    upgraded = CliRunner().invoke(
        app,
        ["db", "upgrade"],
        env={"OMNICANAL_DATABASE_URL": url, "OMNICANAL_DATA_DIR": str(tmp_path)},
    )
    assert upgraded.exit_code == 0, upgraded.output
    platform = build_platform(Settings(database_url=url, data_dir=tmp_path))
    try:
        with TestClient(create_app(platform, background=False)) as client:
            admin = auth(make_key(platform, "web", scopes=["admin"]))
            opened = client.post(
                "/v1/locations",
                json={
                    "code": "LYON-01",
                    "name": "Lyon Presqu'île",
                    "kind": "store",
                    "address": {"city": "Lyon", "latitude": 45.764, "longitude": 4.8357},
                    "channels": ["web"],
                },
                headers=admin,
            )
            channels = client.get("/v1/channels", headers=admin).json()
    finally:
        platform.close()

    assert opened.status_code == 201, opened.text
    assert {channel["code"]: channel["locations"] for channel in channels} == {
        "web": ["LYON-01"],
        "app": [],
        "store": [],
        "call_centre": [],
        "marketplace": [],
    }
