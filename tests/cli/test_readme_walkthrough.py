"""The README's curl walkthrough runs as written, from an empty data directory."""

from __future__ import annotations

import json
import os
import re
import shutil
import signal
import subprocess
from pathlib import Path

import pytest

from tests.conftest import free_port

ROOT = Path(__file__).resolve().parents[2]
BLOCK = re.compile(r"```bash\n(# walkthrough\n.*?)```", re.DOTALL)


def walkthrough() -> str:
    """The fenced bash block of README.md that starts with ``# walkthrough``."""
    (block,) = BLOCK.findall((ROOT / "README.md").read_text(encoding="utf-8"))
    return block


@pytest.mark.skipif(shutil.which("curl") is None, reason="the walkthrough needs curl")
@pytest.mark.skipif(
    not (ROOT / ".venv" / "bin" / "omnicanal").exists(),
    reason="the walkthrough runs .venv/bin/omnicanal: install the clone as the README says",
)
def test_the_readme_walkthrough_opens_a_store_stocks_a_dress_and_holds_one(tmp_path) -> None:
    """Only the data directory and the port differ from what a newcomer pastes; each step
    answers (curl -f stops the script otherwise) and the last says eleven are left to sell."""
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith("OMNICANAL_") or key == "OMNICANAL_RATE_LIMIT_PER_MINUTE"
    }
    env.update(OMNICANAL_DATA_DIR=str(tmp_path / "data"), PORT=str(free_port()))
    script = tmp_path / "walkthrough.sh"
    script.write_text(walkthrough(), encoding="utf-8")

    process = subprocess.Popen(
        ["bash", str(script)],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        start_new_session=True,
    )
    try:
        # A generous bound for a loaded machine; the script waits on /healthz itself.
        output, _ = process.communicate(timeout=240)
    finally:
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()

    log = tmp_path / "data" / "serve.log"
    assert process.returncode == 0, output + (log.read_text() if log.exists() else "")
    answers = [json.loads(line) for line in output.splitlines() if line[:1] in "{["]
    health, store, product, (receipt,), stock, before, held, after = answers
    assert health["status"] == "ok"
    assert (store["code"], store["channels"], store["address"]["city"]) == (
        "LYON-01",
        ["web", "store"],
        "Lyon",
    )
    assert [variant["sku"] for variant in product["variants"]] == ["ROBE-LIN-S", "ROBE-LIN-M"]
    assert (receipt["on_hand_after"], stock["available"]) == (12, 12)
    assert (held["status"], held["channel"]) == ("active", "web")
    assert [before["items"][0]["available"], after["items"][0]["available"]] == [12, 11]
