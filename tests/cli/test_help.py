"""``omnicanal … --help`` tells a newcomer what to type, for every command and group."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import typer
from typer.testing import CliRunner

from omnicanal.cli.main import app

# Python type names in angle brackets, as some typer releases print them after an option
# (`--name <str>`, even `--help <bool>`): noise where the help should say what to type.
TYPE_PLACEHOLDER = re.compile(r"<(?:bool|str|int|float|datetime|path|Path|list\[[^\]]*\])>")


def _commands(command: Any, path: tuple[str, ...] = ()) -> Iterator[tuple[tuple[str, ...], Any]]:
    """Every command and group under ``command`` with the words that reach it."""
    yield path, command
    for name, child in sorted(getattr(command, "commands", {}).items()):
        if not child.hidden:
            yield from _commands(child, (*path, name))


def test_every_command_has_a_help_text_and_no_type_placeholders_in_its_help() -> None:
    """The whole command tree: each `--help` answers, describes the command, and shows
    metavars (TEXT, SCOPE, WHEN) rather than Python types."""
    runner = CliRunner()
    tree = list(_commands(typer.main.get_command(app)))
    undescribed, noisy = [], []

    for path, command in tree:
        result = runner.invoke(app, [*path, "--help"], env={"COLUMNS": "120"})
        assert result.exit_code == 0, (path, result.output)
        if not (command.help or command.short_help or "").strip():
            undescribed.append(" ".join(path) or "omnicanal")
        if TYPE_PLACEHOLDER.search(result.output):
            noisy.append((" ".join(path), TYPE_PLACEHOLDER.findall(result.output)))

    assert len(tree) > 40  # the walk reached the subcommands, not just the top
    assert undescribed == []
    assert noisy == []
