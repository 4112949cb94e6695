"""``omnicanal keys create|list|revoke|rotate``: keys the API accepts until they are revoked."""

from __future__ import annotations

import re
from datetime import timedelta

from fastapi.testclient import TestClient
from sqlalchemy import select
from typer.testing import CliRunner

from omnicanal.api.app import create_app
from omnicanal.bootstrap import build_platform
from omnicanal.cli.main import app
from omnicanal.platform.audit import AuditEntry
from omnicanal.platform.auth import ApiKey, authenticate_and_note_use, list_api_keys
from omnicanal.platform.clock import as_utc, utcnow
from omnicanal.platform.config import Settings
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


def _cli_platform(tmp_path):  # type: ignore[no-untyped-def]
    url = f"sqlite:///{tmp_path / 'cli.db'}"
    platform = build_platform(Settings(database_url=url))
    from omnicanal.platform import migrate

    migrate.prepare(platform.db)
    make_location(platform, "LYON-01")
    return platform, {"OMNICANAL_DATABASE_URL": url}


def _create(env, *args: str) -> tuple[str, str]:  # type: ignore[no-untyped-def]
    result = CliRunner().invoke(app, ["keys", "create", *args], env=env)
    assert result.exit_code == 0, result.output
    key_id = re.search(r"key id\s*│?\s*([0-9A-Z]{26})", result.output)
    secret = next(word for word in result.output.split() if word.startswith("oc_"))
    assert key_id is not None, result.output
    return key_id.group(1), secret


def test_keys_list_shows_every_key_and_when_it_was_last_used_never_its_secret(tmp_path):
    platform, env = _cli_platform(tmp_path)
    key_id, secret = _create(env, "--channel", "web", "--name", "boutique")
    with TestClient(create_app(platform, background=False)) as client:
        client.get("/v1/locations/LYON-01", headers={"Authorization": f"Bearer {secret}"})
    with platform.db.reading() as session:
        used = session.get(ApiKey, key_id).last_used_at

    listed = CliRunner().invoke(app, ["keys", "list"], env={**env, "COLUMNS": "250"})

    assert listed.exit_code == 0, listed.output
    assert key_id in listed.output and "boutique" in listed.output
    assert secret not in listed.output
    assert used is not None
    assert used.strftime("%Y-%m-%d %H:%M") in listed.output
    platform.close()


def test_the_last_use_of_a_key_is_written_at_most_once_a_minute(tmp_path):
    platform, env = _cli_platform(tmp_path)
    key_id, secret = _create(env, "--channel", "web")
    start = utcnow()

    authenticate_and_note_use(platform.db, secret, now=start)
    authenticate_and_note_use(platform.db, secret, now=start + timedelta(seconds=30))
    with platform.db.reading() as session:
        first = as_utc(session.get(ApiKey, key_id).last_used_at)
    authenticate_and_note_use(platform.db, secret, now=start + timedelta(seconds=61))
    with platform.db.reading() as session:
        second = as_utc(session.get(ApiKey, key_id).last_used_at)

    assert first == start
    assert second == start + timedelta(seconds=61)
    platform.close()


def test_a_revoked_key_is_refused_at_its_next_request(tmp_path):
    platform, env = _cli_platform(tmp_path)
    key_id, secret = _create(env, "--channel", "web")
    headers = {"Authorization": f"Bearer {secret}"}
    with TestClient(create_app(platform, background=False)) as client:
        assert client.get("/v1/locations/LYON-01", headers=headers).status_code == 200

        revoked = CliRunner().invoke(app, ["keys", "revoke", key_id], env=env)
        again = CliRunner().invoke(app, ["keys", "revoke", key_id], env=env)

        assert revoked.exit_code == 0, revoked.output
        assert again.exit_code == 2 and "api_key_revoked" in again.output
        refused = client.get("/v1/locations/LYON-01", headers=headers)
        assert refused.status_code == 401
        assert refused.json()["code"] == "unauthenticated"
    platform.close()


def test_a_rotated_key_is_replaced_by_a_new_one_with_the_same_store_and_scopes(tmp_path):
    platform, env = _cli_platform(tmp_path)
    key_id, old = _create(env, "--channel", "store", "--location", "LYON-01")

    rotated = CliRunner().invoke(app, ["keys", "rotate", key_id], env=env)

    assert rotated.exit_code == 0, rotated.output
    new = next(word for word in rotated.output.split() if word.startswith("oc_store_"))
    with TestClient(create_app(platform, background=False)) as client:
        assert (
            client.get(
                "/v1/locations/LYON-01", headers={"Authorization": f"Bearer {old}"}
            ).status_code
            == 401
        )
        assert (
            client.get(
                "/v1/locations/LYON-01", headers={"Authorization": f"Bearer {new}"}
            ).status_code
            == 200
        )
    with platform.db.reading() as session:
        keys = {key.id: key for key in list_api_keys(session)}
    replacement = next(key for key in keys.values() if key.id != key_id)
    assert keys[key_id].revoked_at is not None
    assert (replacement.channel, replacement.location_code, replacement.scopes) == (
        "store",
        "LYON-01",
        keys[key_id].scopes,
    )
    with platform.db.reading() as session:
        operations = session.scalars(select(AuditEntry.operation)).all()
    assert operations == [f"api_key:{key_id}:rotate"]
    platform.close()


def test_revoking_an_unknown_key_is_refused_and_changes_nothing(tmp_path):
    platform, env = _cli_platform(tmp_path)
    key_id, _ = _create(env, "--channel", "web")

    result = CliRunner().invoke(app, ["keys", "revoke", "0" * 26], env=env)

    assert result.exit_code == 2
    assert "unknown_api_key" in result.output
    with platform.db.reading() as session:
        assert session.get(ApiKey, key_id).revoked_at is None
    platform.close()
