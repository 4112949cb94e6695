"""Every file the package reads at run time ships in its wheel."""

from __future__ import annotations

import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
PACKAGE = ROOT / "src" / "omnicanal"
CODE = {".py", ".pyc", ".pyi"}


def test_every_data_file_of_the_package_is_in_its_package_data():
    """A template, a style sheet or a translation that no package-data pattern names is left
    out of an installed wheel, and its page fails there while the tests pass here."""
    patterns = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["setuptools"][
        "package-data"
    ]["omnicanal"]
    data = [
        path.relative_to(PACKAGE)
        for path in PACKAGE.rglob("*")
        if path.is_file() and path.suffix not in CODE and "__pycache__" not in path.parts
    ]

    left_out = [
        str(path)
        for path in data
        if not any(len(path.parts) == len(Path(p).parts) and path.match(p) for p in patterns)
    ]

    assert data
    assert left_out == []
