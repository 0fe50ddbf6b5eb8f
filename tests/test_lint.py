"""House style is part of the build: ruff and mypy --strict must pass."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent


def _run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(args, cwd=ROOT, capture_output=True, text=True, check=False)


def test_ruff() -> None:
    proc = _run(str(BIN / "ruff"), "check", "src", "tests", "bench", "docs")
    assert proc.returncode == 0, proc.stdout[-3000:]
    fmt = _run(str(BIN / "ruff"), "format", "--check", "src", "tests", "bench", "docs")
    assert fmt.returncode == 0, fmt.stdout[-3000:]


def test_mypy_strict() -> None:
    proc = _run(str(BIN / "mypy"), "--strict", "src")
    assert proc.returncode == 0, proc.stdout[-3000:]
