"""The docs match the code: CLI reference, error codes, MCP tools, settings."""

from __future__ import annotations

import importlib
import os
import pkgutil
import re
import subprocess
import sys
from pathlib import Path

import conexor
from conexor.errors import ConexorError
from conexor.tools.catalog import BUILTIN_TOOLS

ROOT = Path(__file__).resolve().parent.parent


def _all_error_classes() -> list[type[ConexorError]]:
    for module in pkgutil.walk_packages(conexor.__path__, "conexor."):
        if ".migrations" not in module.name:
            importlib.import_module(module.name)
    found: list[type[ConexorError]] = []
    todo: list[type[ConexorError]] = [ConexorError]
    while todo:
        cls = todo.pop()
        found.append(cls)
        todo += cls.__subclasses__()
    return found


def test_cli_reference_is_current() -> None:
    env = {**os.environ, "COLUMNS": "60"}  # the generator must not depend on the terminal
    proc = subprocess.run(
        [sys.executable, str(ROOT / "docs" / "generate_cli.py"), "--check"], env=env, check=False
    )
    assert proc.returncode == 0, "docs/cli.md is stale: run python docs/generate_cli.py"


def test_every_error_code_is_documented() -> None:
    text = (ROOT / "docs" / "errors.md").read_text()
    documented = set(re.findall(r"^\| `([a-z_]+)` \|", text, re.M))
    codes = {cls.code for cls in _all_error_classes()}
    assert codes == documented


def test_every_error_class_is_in_the_tree() -> None:
    tree = conexor.errors.__doc__ or ""
    missing = [c.__name__ for c in _all_error_classes() if c.__name__ not in tree]
    assert missing == []


def test_every_tool_is_in_the_readme() -> None:
    readme = (ROOT / "README.md").read_text()
    assert all(f"`{t.name}" in readme for t in BUILTIN_TOOLS)


def test_every_setting_is_documented() -> None:
    source = (ROOT / "src" / "conexor" / "config.py").read_text()
    operations = (ROOT / "docs" / "operations.md").read_text()
    names = set(re.findall(r'"(CONEXOR_[A-Z_]+)"', source))
    assert names
    assert sorted(n for n in names if n not in operations) == []


def test_readme_opens_with_the_two_commands() -> None:
    lines = (ROOT / "README.md").read_text().splitlines()
    block = lines[lines.index("```sh") + 1 : lines.index("```")]
    assert [line.split("#")[0].strip() for line in block] == ["make run", "make test"]
