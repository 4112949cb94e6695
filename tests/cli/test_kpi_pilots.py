"""``omnicanal kpi pilot``: an operator defines a pilot from a preset, lists the pilots, reads
one's verdict, finds control stores and stops a pilot."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from typer.testing import CliRunner

from omnicanal.bootstrap import build_platform
from omnicanal.cli.kpi_pilots import app
from omnicanal.platform import audit, migrate
from omnicanal.platform.clock import simulated
from omnicanal.platform.config import Settings
from tests.analytics.pilot_builders import END, START, flat, identification_history, make_stores

AFTER = (END + timedelta(days=1)).isoformat()


def _chain(tmp_path):  # type: ignore[no-untyped-def]
    """Two pilot stores lifting identification from 50 % to 60 %, two flat controls."""
    url = f"sqlite:///{tmp_path / 'cli.db'}"
    platform = build_platform(Settings(database_url=url, data_dir=tmp_path))
    migrate.prepare(platform.db)
    make_stores(platform, "P1", "P2", "C1", "C2")
    for store in ("P1", "P2"):
        identification_history(platform, store, flat(0.50) + flat(0.60))
    for store in ("C1", "C2"):
        identification_history(platform, store, flat(0.40, 56))
    env = {"OMNICANAL_DATABASE_URL": url, "OMNICANAL_DATA_DIR": str(tmp_path), "COLUMNS": "200"}
    return platform, env


def _create(env, *extra: str):  # type: ignore[no-untyped-def]
    return CliRunner().invoke(
        app,
        [
            "create",
            "scan-carte",
            "--name",
            "Scan de la carte",
            "--preset",
            "customer_identification",
            "--stores",
            "P1,P2",
            "--start",
            START.isoformat(),
            *extra,
        ],
        env=env,
    )


def test_create_from_a_preset_chooses_controls_and_prints_the_pilot(tmp_path):
    """No control named: C1 and C2 are chosen; the pilot and its audit entry are written."""
    platform, env = _chain(tmp_path)

    result = _create(env, "--control-count", "2")

    assert result.exit_code == 0, result.output
    assert "store_identification_rate (better up)" in result.output
    assert "C1, C2 (chosen by similarity)" in result.output
    assert "2026-02-02 to 2026-03-01" in result.output
    with platform.db.reading() as session:
        entries = audit.list_entries(session, what="pilot")
    assert [(entry.actor, entry.resource_type) for entry in entries] == [("operator:cli", "pilot")]
    platform.close()


def test_show_prints_the_means_the_effect_and_the_decision(tmp_path):
    """After the end: +10 points, success, and the French sentence."""
    platform, env = _chain(tmp_path)
    _create(env, "--controls", "C1,C2")

    result = CliRunner().invoke(app, ["show", "scan-carte", "--today", AFTER], env=env)

    assert result.exit_code == 0, result.output
    for expected in ("50.00%", "60.00%", "+10.00 pt", "success", "finished", "Réussite"):
        assert expected in result.output
    platform.close()


def test_list_and_stop(tmp_path):
    """The list shows the pilot running; once stopped, it reads stopped."""
    platform, env = _chain(tmp_path)
    _create(env, "--controls", "C1,C2")
    running = START.isoformat()

    listed = CliRunner().invoke(app, ["list", "--today", running], env=env)
    with simulated(datetime(2026, 2, 5, 10, tzinfo=UTC)):
        stopped = CliRunner().invoke(app, ["stop", "scan-carte", "--reason", "panne"], env=env)
    again = CliRunner().invoke(app, ["list", "--today", running], env=env)

    assert listed.exit_code == 0 and "running" in listed.output and "P1, P2" in listed.output
    assert stopped.exit_code == 0 and "stopped: panne" in stopped.output
    assert "stopped" in again.output
    platform.close()


def test_controls_ranks_the_other_stores(tmp_path):
    """The two controls with their distance, level and sales."""
    platform, env = _chain(tmp_path)

    result = CliRunner().invoke(
        app,
        [
            "controls",
            "--stores",
            "P1",
            "--metric",
            "store_identification_rate",
            "--from",
            "2026-01-05",
            "--to",
            "2026-02-01",
        ],
        env=env,
    )

    assert result.exit_code == 0, result.output
    assert "C1" in result.output and "C2" in result.output and "Magasin C1" in result.output
    platform.close()


def test_a_refused_pilot_is_an_error_with_its_code(tmp_path):
    """A wrong-side threshold, an unknown pilot, a malformed date: exit 2 and the code."""
    platform, env = _chain(tmp_path)

    wrong = _create(env, "--controls", "C1", "--success", "-0.05")
    unknown = CliRunner().invoke(app, ["show", "nope"], env=env)
    malformed = _create(env, "--end", "demain")

    assert wrong.exit_code == 2 and "threshold_wrong_side" in wrong.output
    assert unknown.exit_code == 2 and "unknown_pilot" in unknown.output
    assert malformed.exit_code == 2 and "validation_error" in malformed.output
    platform.close()


def test_presets_lists_the_seeds_three_tests(tmp_path):
    """The three presets with their metric."""
    result = CliRunner().invoke(app, ["presets"], env={"COLUMNS": "200"})

    assert result.exit_code == 0
    for code in ("realtime_availability", "customer_identification", "consistent_messages"):
        assert code in result.output
