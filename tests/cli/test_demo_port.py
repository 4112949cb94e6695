"""``omnicanal demo`` says at once when it cannot serve, and what it does with a full database."""

from __future__ import annotations

import socket

from typer.testing import CliRunner

from omnicanal.bootstrap import build_platform
from omnicanal.cli.demo import port_problem
from omnicanal.cli.main import app
from omnicanal.network import service as network
from omnicanal.platform import migrate
from omnicanal.platform.config import Settings
from tests.builders import make_location


def _flat(output: str) -> str:
    return " ".join(output.split())


def _listening() -> socket.socket:
    """A socket of the test's own, listening on a free port of 127.0.0.1."""
    held = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    held.bind(("127.0.0.1", 0))
    held.listen()
    return held


def test_the_demo_on_a_busy_port_fails_at_once_and_builds_nothing(tmp_path):
    database = tmp_path / "demo.db"
    env = {"OMNICANAL_DATABASE_URL": f"sqlite:///{database}", "OMNICANAL_DATA_DIR": str(tmp_path)}
    with _listening() as held:
        port = held.getsockname()[1]

        result = CliRunner().invoke(app, ["demo", "--port", str(port)], env=env)

    assert result.exit_code == 2, result.output
    assert (
        f"port_unavailable: Port {port} on 127.0.0.1 is already in use: stop what listens "
        "there, or choose another with --port." in _flat(result.output)
    )
    assert not database.exists()


def test_a_port_is_free_once_its_listener_has_closed():
    with _listening() as held:
        port = held.getsockname()[1]
        assert port_problem("127.0.0.1", port) is not None

    assert port_problem("127.0.0.1", port) is None


def test_a_port_out_of_range_is_refused_with_a_sentence():
    assert port_problem("127.0.0.1", 70000) == (
        "70000 is not a port number (0 to 65535); choose another with --port."
    )


def test_a_second_demo_without_serving_says_the_data_is_there_and_how_to_serve_it(tmp_path):
    url = f"sqlite:///{tmp_path / 'demo.db'}"
    platform = build_platform(Settings(database_url=url))
    migrate.prepare(platform.db)
    make_location(platform, "LYON-01")
    env = {"OMNICANAL_DATABASE_URL": url, "OMNICANAL_DATA_DIR": str(tmp_path)}

    # The port is busy, but a demo that does not serve does not need it.
    with _listening() as held:
        result = CliRunner().invoke(
            app, ["demo", "--no-serve", "--port", str(held.getsockname()[1])], env=env
        )

    said = _flat(result.output)
    assert result.exit_code == 0, result.output
    assert "The database already holds data (1 location), so no demo was built" in said
    assert "nothing was changed. Serve it with 'omnicanal serve'." in said
    assert "serving it as it is" not in said
    with platform.db.reading() as session:
        assert [place.code for place in network.list_locations(session)] == ["LYON-01"]
    platform.close()
