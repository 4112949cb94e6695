"""``omnicanal webhooks list|add|remove|rotate|deliveries|replay`` on a database of its own,
as the operator would run them on the server; each change in the audit log."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from sqlalchemy import update
from typer.testing import CliRunner

from omnicanal.bootstrap import build_platform
from omnicanal.cli.main import app
from omnicanal.platform import audit, migrate
from omnicanal.platform.config import Settings
from omnicanal.platform.wiring import Platform
from omnicanal.webhooks.models import WebhookDelivery
from tests.webhooks.builders import deliveries, relay, scan

WIDE = {"COLUMNS": "250"}


@pytest.fixture
def cli(tmp_path: Path):  # type: ignore[no-untyped-def]
    """A SQLite database the CLI and the test share, and the CLI's environment."""
    url = f"sqlite:///{tmp_path / 'cli.db'}"
    env = {
        "OMNICANAL_DATABASE_URL": url,
        "OMNICANAL_DATA_DIR": str(tmp_path),
        "OMNICANAL_WEBHOOKS_ALLOW_PRIVATE_URLS": "true",
        **WIDE,
    }
    platform = build_platform(
        Settings(database_url=url, data_dir=tmp_path, webhooks_allow_private_urls=True)
    )
    migrate.prepare(platform.db)
    yield platform, env
    platform.close()


def run(env: dict[str, str], *args: str):  # type: ignore[no-untyped-def]
    return CliRunner().invoke(app, ["webhooks", *args], env=env)


def _added(platform: Platform, env: dict[str, str]) -> tuple[str, str]:
    result = run(env, "add", "http://127.0.0.1:9/hooks", "--event", "test.*", "--event", "order.*")
    assert result.exit_code == 0, result.output
    endpoint_id = re.search(r"endpoint id\s+│?\s*(\w{26})", result.output)
    secret = re.search(r"(whsec_[A-Za-z0-9+/=]+)", result.output)
    assert endpoint_id and secret, result.output
    return endpoint_id.group(1), secret.group(1)


def test_an_endpoint_added_from_the_cli_is_listed_and_its_secret_shown_once(cli):
    platform, env = cli

    endpoint_id, secret = _added(platform, env)
    listed = run(env, "list")

    assert listed.exit_code == 0, listed.output
    assert endpoint_id in listed.output and "test.* order.*" in listed.output
    assert secret not in listed.output
    with platform.db.reading() as session:
        (entry,) = audit.list_entries(session, what="webhook_endpoint")
    assert (entry.actor, entry.resource_id) == ("operator:cli", endpoint_id)


def test_a_dead_delivery_is_listed_and_replayed_from_the_cli(cli):
    platform, env = cli
    endpoint_id, _ = _added(platform, env)
    scan(platform, ("P1", 1))
    relay(platform)
    with platform.db.transaction() as session:
        session.execute(update(WebhookDelivery).values(status="dead", dead_reason="gave_up"))
    (delivery,) = deliveries(platform)

    dead = run(env, "deliveries", endpoint_id, "--status", "dead")
    one = run(env, "replay", delivery.id)
    again = run(env, "replay", delivery.id)

    assert dead.exit_code == 0 and delivery.id in dead.output and "gave_up" in dead.output
    assert one.exit_code == 0, one.output
    assert (again.exit_code, "delivery_not_dead" in again.output) == (2, True)
    assert deliveries(platform)[0].status == "pending"
    with platform.db.transaction() as session:
        session.execute(update(WebhookDelivery).values(status="dead", dead_reason="gave_up"))
    since = run(env, "replay", "--endpoint", endpoint_id, "--since", "2000-01-01T00:00:00")
    assert since.exit_code == 0, since.output
    assert "1 deliveries will be sent again" in since.output


def test_a_secret_is_rotated_and_an_endpoint_removed_from_the_cli(cli):
    platform, env = cli
    endpoint_id, secret = _added(platform, env)

    rotated = run(env, "rotate", endpoint_id, "--overlap-hours", "2")
    removed = run(env, "remove", endpoint_id, "--yes")

    assert rotated.exit_code == 0, rotated.output
    assert "new secret: whsec_" in rotated.output and secret not in rotated.output
    assert "signs too until" in rotated.output
    assert removed.exit_code == 0, removed.output
    assert endpoint_id not in run(env, "list").output


@pytest.mark.parametrize(
    ("args", "code"),
    [
        (("add", "http://erp.example.com/h", "--event", "*"), "invalid_endpoint_url"),
        (("add", "https://erp.example.com/h", "--event", "order.teleported"), "unknown_event_type"),
        (("remove", "NOPE", "--yes"), "unknown_webhook_endpoint"),
        (("rotate", "NOPE"), "unknown_webhook_endpoint"),
        (("rotate", "NOPE", "--overlap-hours", "1000"), "validation_error"),
        (("deliveries", "NOPE"), "unknown_webhook_endpoint"),
        (("deliveries", "NOPE", "--status", "lost"), "validation_error"),
        (("replay", "NOPE"), "unknown_webhook_delivery"),
        (("replay",), "validation_error"),
        (("replay", "--endpoint", "NOPE"), "validation_error"),
        (("replay", "--endpoint", "NOPE", "--since", "2000-01-01"), "unknown_webhook_endpoint"),
    ],
)
def test_a_refused_command_says_why_and_changes_nothing(cli, args, code):
    platform, env = cli

    result = run(env, *args)

    assert result.exit_code == 2, result.output
    assert code in result.output
    with platform.db.reading() as session:
        assert audit.list_entries(session, what="webhook") == []
