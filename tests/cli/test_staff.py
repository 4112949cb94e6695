"""``omnicanal staff …`` and ``omnicanal audit list``: passwords never on the command line."""

from __future__ import annotations

import pytest
from sqlalchemy import select
from typer.testing import CliRunner

from omnicanal.bootstrap import build_platform
from omnicanal.cli.main import app
from omnicanal.platform import migrate
from omnicanal.platform.config import Settings
from omnicanal.staff import sessions
from omnicanal.staff.models import Staff
from tests.builders import make_location

PASSWORD = "correct horse battery"
WIDE = {"COLUMNS": "250"}


@pytest.fixture
def cli(tmp_path):
    """A migrated SQLite database with the Lyon store, and the environment naming it."""
    url = f"sqlite:///{tmp_path / 'cli.db'}"
    platform = build_platform(Settings(database_url=url))
    migrate.prepare(platform.db)
    make_location(platform, "LYON-01")
    yield platform, {"OMNICANAL_DATABASE_URL": url, **WIDE}
    platform.close()


def create(env, *args, password_input=f"{PASSWORD}\n"):  # type: ignore[no-untyped-def]
    return CliRunner().invoke(
        app,
        ["staff", "create", "--role", "clerk", "--location", "LYON-01", *args],
        input=password_input,
        env=env,
    )


def sign_in(platform, password=PASSWORD):  # type: ignore[no-untyped-def]
    with platform.db.transaction() as session:
        return sessions.sign_in(
            session, email="lea@example.fr", password=password, address="10.0.0.1"
        )


def test_staff_create_reads_the_password_from_stdin(cli):
    platform, env = cli

    result = create(env, "--email", "lea@example.fr", "--password-stdin")

    assert result.exit_code == 0, result.output
    assert PASSWORD not in result.output
    assert sign_in(platform).cookie is not None


def test_staff_create_asks_for_the_password_twice_at_a_hidden_prompt(cli):
    platform, env = cli

    result = create(env, "--email", "lea@example.fr", password_input=f"{PASSWORD}\n{PASSWORD}\n")

    assert result.exit_code == 0, result.output
    assert PASSWORD not in result.output
    assert sign_in(platform).cookie is not None


def test_a_password_given_as_an_argument_is_not_accepted(cli):
    platform, env = cli

    result = create(env, "--email", "lea@example.fr", "--password", PASSWORD)

    assert result.exit_code == 2
    with platform.db.reading() as session:
        assert session.scalars(select(Staff)).all() == []


def test_a_common_password_is_refused_and_creates_nothing(cli):
    platform, env = cli

    result = create(
        env, "--email", "lea@example.fr", "--password-stdin", password_input="password1234\n"
    )

    assert result.exit_code == 2
    assert "weak_password" in result.output
    with platform.db.reading() as session:
        assert session.scalars(select(Staff)).all() == []


def test_staff_list_reset_password_and_disable(cli):
    platform, env = cli
    create(env, "--email", "lea@example.fr", "--name", "Léa", "--password-stdin")
    before = sign_in(platform)

    listed = CliRunner().invoke(app, ["staff", "list"], env=env)
    reset = CliRunner().invoke(
        app,
        ["staff", "reset-password", "lea@example.fr", "--password-stdin"],
        input="another long phrase\n",
        env=env,
    )

    assert listed.exit_code == 0, listed.output
    assert "lea@example.fr" in listed.output and "LYON-01" in listed.output
    assert reset.exit_code == 0, reset.output
    with platform.db.reading() as session:
        assert sessions.read_session(session, before.cookie) is None
    assert sign_in(platform, password="another long phrase").cookie is not None

    disabled = CliRunner().invoke(app, ["staff", "disable", "lea@example.fr"], env=env)

    assert disabled.exit_code == 0, disabled.output
    assert sign_in(platform, password="another long phrase").cookie is None
    audit = CliRunner().invoke(app, ["audit", "list", "--what", "staff"], env=env)
    assert audit.exit_code == 0, audit.output
    for operation in ("create", "reset_password", "disable"):
        assert operation in audit.output


def test_disabling_an_unknown_account_says_so(cli):
    _, env = cli

    result = CliRunner().invoke(app, ["staff", "disable", "nobody@example.fr"], env=env)

    assert result.exit_code == 2
    assert "unknown_staff" in result.output
