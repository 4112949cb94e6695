"""``omnicanal keys scopes`` and ``keys create --scope admin``: scopes a newcomer can find."""

from __future__ import annotations

import re

import pytest
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from omnicanal.api.app import create_app
from omnicanal.bootstrap import build_platform
from omnicanal.cli.main import app
from omnicanal.platform import migrate
from omnicanal.platform.auth import SCOPES, list_api_keys, resolve_scopes
from omnicanal.platform.config import Settings
from omnicanal.platform.errors import InvalidInput
from tests.builders import make_location

WIDE = {"COLUMNS": "250"}


def _cli_platform(tmp_path):  # type: ignore[no-untyped-def]
    url = f"sqlite:///{tmp_path / 'cli.db'}"
    platform = build_platform(Settings(database_url=url))
    migrate.prepare(platform.db)
    make_location(platform, "LYON-01")
    return platform, {"OMNICANAL_DATABASE_URL": url, **WIDE}


def _flat(output: str) -> str:
    """The output with its line folds and runs of spaces made single spaces."""
    return " ".join(output.split())


def _secret(output: str) -> str:
    return next(word for word in output.split() if word.startswith("oc_"))


def test_keys_scopes_lists_every_scope_with_its_meaning_and_the_admin_preset():
    result = CliRunner().invoke(app, ["keys", "scopes"], env=WIDE)

    assert result.exit_code == 0, result.output
    rows = {
        match.group(1): match.group(2).strip()
        for match in re.finditer(r"│ (\S+)\s+│ (.+?) │", result.output)
    }
    assert {scope: rows.get(scope) for scope in SCOPES} == SCOPES
    assert f"admin: all {len(SCOPES)} scopes" in _flat(result.output)


def test_keys_scopes_says_which_channels_hold_a_scope_by_default():
    result = CliRunner().invoke(app, ["keys", "scopes"], env=WIDE)

    lines = {line.split("│")[1].strip(): line for line in result.output.splitlines() if "│" in line}
    assert lines["network:write"].rstrip("│ ").endswith("-")
    assert "marketplace" in lines["catalog:read"]
    assert "marketplace" not in lines["network:read"]


def test_an_admin_key_holds_every_scope_and_may_change_a_location(tmp_path):
    platform, env = _cli_platform(tmp_path)

    admin = CliRunner().invoke(
        app, ["keys", "create", "--channel", "web", "--scope", "admin"], env=env
    )
    usual = CliRunner().invoke(app, ["keys", "create", "--channel", "web"], env=env)

    assert admin.exit_code == 0, admin.output
    assert usual.exit_code == 0, usual.output
    with platform.db.reading() as session:
        scopes = sorted(key.scopes for key in list_api_keys(session))
    assert sorted(SCOPES) in scopes
    with TestClient(create_app(platform, background=False)) as client:
        renamed = client.patch(
            "/v1/locations/LYON-01",
            json={"name": "Lyon Part-Dieu"},
            headers={"Authorization": f"Bearer {_secret(admin.output)}"},
        )
        refused = client.patch(
            "/v1/locations/LYON-01",
            json={"name": "Lyon Bellecour"},
            headers={"Authorization": f"Bearer {_secret(usual.output)}"},
        )
    assert renamed.status_code == 200, renamed.text
    assert renamed.json()["name"] == "Lyon Part-Dieu"
    assert refused.status_code == 403
    assert refused.json()["required_scope"] == "network:write"
    platform.close()


@pytest.mark.parametrize("asked", [["*"], ["admin", "catalog:wrte"]])
def test_an_unknown_scope_is_refused_with_the_valid_ones_and_no_key_is_made(tmp_path, asked):
    platform, env = _cli_platform(tmp_path)
    unknown = asked[-1]

    result = CliRunner().invoke(
        app,
        ["keys", "create", "--channel", "web", *(arg for s in asked for arg in ("--scope", s))],
        env=env,
    )

    assert result.exit_code == 2, result.output
    said = _flat(result.output)
    assert f"invalid_input: Unknown scope(s): {unknown}. Valid scopes: catalog:read," in said
    assert all(scope in said for scope in SCOPES)
    assert "(omnicanal keys scopes lists them with their meaning)" in said
    with platform.db.reading() as session:
        assert list_api_keys(session) == []
    platform.close()


def test_resolve_scopes_spells_out_admin_and_keeps_named_scopes():
    assert resolve_scopes(["admin"]) == sorted(SCOPES)
    assert resolve_scopes(["orders:read", "catalog:read", "orders:read"]) == [
        "catalog:read",
        "orders:read",
    ]


def test_resolve_scopes_refuses_a_wildcard_and_names_only_the_unknown_ones():
    with pytest.raises(InvalidInput) as refused:
        resolve_scopes(["catalog:read", "*", "everything"])

    assert refused.value.detail.startswith("Unknown scope(s): *, everything. Valid scopes: ")
    assert refused.value.field == "scope"
    assert refused.value.extra["valid_scopes"] == [*SCOPES, "admin"]


def test_keys_create_help_names_the_admin_preset_and_the_scopes_command():
    result = CliRunner().invoke(app, ["keys", "create", "--help"], env=WIDE)

    said = _flat(result.output)
    assert result.exit_code == 0
    assert "SCOPE" in said and "list[str]" not in said
    assert "'admin' for every scope" in said
    assert "'omnicanal keys scopes' lists them" in said
