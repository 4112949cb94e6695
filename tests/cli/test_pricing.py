"""``omnicanal pricing override|overrides|end-override``: a channel price from the command line,
through the same use cases and audit log as ``/v1/pricing/overrides``."""

from __future__ import annotations

import re

from sqlalchemy import select
from typer.testing import CliRunner

from omnicanal.cli.main import app
from omnicanal.platform.audit import AuditEntry
from omnicanal.platform.wiring import Platform
from omnicanal.pricing import overrides
from tests.builders import auth, make_key, make_location, make_product, snapshot


def _cli(platform: Platform, *args: str):  # type: ignore[no-untyped-def]
    env = {
        "OMNICANAL_DATABASE_URL": platform.settings.resolved_database_url(),
        "OMNICANAL_DATA_DIR": str(platform.settings.data_dir),
        "COLUMNS": "200",
    }
    return CliRunner().invoke(app, ["pricing", *args], env=env)


def test_a_channel_price_is_set_listed_and_ended_from_the_cli_and_audited(platform, client):
    """The app sells the dress at 39,90 instead of 49,90 until the operator ends it; the API
    reads the same override, and the audit log names the operator for both writes."""
    make_location(platform, "LYON-01")
    (sku,) = make_product(platform, "ROBE-LIN")

    set_ = _cli(
        platform, "override", sku, "--channel", "app", "--price", "39,90", "--reason", "Lancement"
    )
    listed = _cli(platform, "overrides", "--active")
    seen = client.get(
        "/v1/pricing/overrides",
        params={"sku": sku},
        headers=auth(make_key(platform, "web", scopes=["pricing:read"])),
    ).json()
    override_id = re.search(r"\b([0-9A-Z]{26})\b", set_.output)

    assert set_.exit_code == 0, set_.output
    assert override_id is not None and override_id.group(1) in listed.output
    assert [(o["channel"], o["price_minor"], o["list_price_minor"]) for o in seen] == [
        ("app", 3990, 4990)
    ]
    ended = _cli(platform, "end-override", seen[0]["id"], "--reason", "fin du lancement")
    assert ended.exit_code == 0, ended.output
    assert "1 override(s)" not in _cli(platform, "overrides", "--active").output
    with platform.db.reading() as session:
        (after,) = overrides.list_overrides(session, currency="EUR", sku=sku)
        logged = session.execute(
            select(AuditEntry.operation, AuditEntry.actor, AuditEntry.resource_id).order_by(
                AuditEntry.at
            )
        ).all()
    assert (after.ended_by, after.end_reason) == ("operator:cli", "fin du lancement")
    assert [(operation.split(":")[0], actor) for operation, actor, _ in logged] == [
        ("set_price_override", "operator:cli"),
        ("end_price_override", "operator:cli"),
    ]
    assert {resource for *_, resource in logged} == {seen[0]["id"]}


def test_a_bad_price_or_an_unknown_channel_is_refused_and_sets_nothing(platform):
    """Three decimals, a negative price or a channel nobody declared: status 2, a sentence
    saying why, and no override written."""
    make_location(platform, "LYON-01")
    (sku,) = make_product(platform, "ROBE-LIN")
    before = snapshot(platform)

    answers = [
        _cli(platform, "override", sku, "--channel", channel, "--price", price, "--reason", "test")
        for channel, price in (("app", "39.999"), ("app", "-1"), ("teleshopping", "39.90"))
    ]

    assert [answer.exit_code for answer in answers] == [2, 2, 2]
    assert "2 decimals at most" in answers[0].output
    assert "unknown_channel" in answers[2].output
    assert snapshot(platform) == before
