"""Rebuild docs/cli.md from the CLI itself: `python docs/generate_cli.py` (`--check` to compare)."""

from __future__ import annotations

import contextlib
import io
import os
import sys
from pathlib import Path
from typing import Any

# Fixed rendering, whatever the terminal: set before typer and rich are imported.
os.environ.update({"COLUMNS": "100", "NO_COLOR": "1", "TERM": "dumb"})
os.environ.pop("FORCE_COLOR", None)

import typer.main

from conexor.cli.main import app

TARGET = Path(__file__).with_name("cli.md")


def _walk(command: Any, path: list[str]) -> list[tuple[list[str], Any]]:
    found = [(path, command)]
    for name in sorted(getattr(command, "commands", {})):
        found += _walk(command.commands[name], [*path, name])
    return found


def render() -> str:
    """The CLI reference as Markdown: one section per command with its --help text."""
    root = typer.main.get_command(app)
    parts = [
        "# CLI reference",
        "",
        "Generated from the code by `python docs/generate_cli.py`; a test keeps it current.",
        "",
    ]
    for path, command in _walk(root, ["conexor"]):
        ctx = command.context_class(
            command, info_name=" ".join(path), terminal_width=100, max_content_width=100
        )
        buffer = io.StringIO()
        with contextlib.redirect_stdout(buffer):
            text = command.get_help(ctx)
        help_text = "\n".join(line.rstrip() for line in (text or buffer.getvalue()).splitlines())
        parts += [f"## `{' '.join(path)}`", "", "```", help_text.strip("\n"), "```", ""]
    return "\n".join(parts)


if __name__ == "__main__":
    text = render()
    if "--check" in sys.argv:
        sys.exit(0 if TARGET.read_text() == text else 1)
    TARGET.write_text(text)
