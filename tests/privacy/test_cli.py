"""``omnicanal customers export|erase`` and ``omnicanal privacy sweep``."""

from __future__ import annotations

import json

from typer.testing import CliRunner

from omnicanal.cli.main import app
from tests.builders import snapshot
from tests.privacy.test_rights import ZOE_NEEDLES, build_scene, hits


def test_the_cli_exports_a_person_found_by_phone_then_erases_her(platform, client, tmp_path):
    """The export file holds her orders; after the erasure, no table names her."""
    scene = build_scene(platform, client)
    env = {"OMNICANAL_DATABASE_URL": str(platform.settings.database_url)}
    output = tmp_path / "zoe.json"
    runner = CliRunner()

    exported = runner.invoke(
        app, ["customers", "export", "--phone", "06 12 34 56 78", "-o", str(output)], env=env
    )
    erased = runner.invoke(
        app, ["customers", "erase", "--email", "zoe.martin@exemple.fr", "--yes"], env=env
    )
    swept = runner.invoke(app, ["privacy", "sweep"], env=env)

    assert exported.exit_code == 0, exported.output
    assert json.loads(output.read_text())["person"]["profile_id"] == scene.zoe
    assert erased.exit_code == 0, erased.output
    assert swept.exit_code == 0, swept.output
    assert hits(platform, ZOE_NEEDLES) == []


def test_the_cli_refuses_an_unknown_person_and_changes_nothing(platform, client):
    """An e-mail nobody has: exit code 2, the reason, nothing erased."""
    build_scene(platform, client)
    env = {"OMNICANAL_DATABASE_URL": str(platform.settings.database_url)}
    before = snapshot(platform)

    result = CliRunner().invoke(
        app, ["customers", "erase", "--email", "personne@exemple.fr", "--yes"], env=env
    )

    assert result.exit_code == 2
    assert "unknown_identifier" in result.output
    assert snapshot(platform) == before
