"""Server and agent processes refuse core dumps and same-user ptrace (Linux)."""

from __future__ import annotations

import subprocess
import sys

import pytest


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="prctl is Linux-only")
def test_make_undumpable_in_a_fresh_process() -> None:
    code = (
        "import resource\n"
        "from conexor.hardening import is_dumpable, make_undumpable\n"
        "before = is_dumpable()\n"
        "ok = make_undumpable()\n"
        "print(before, ok, is_dumpable(), resource.getrlimit(resource.RLIMIT_CORE)[0])\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.split() == ["True", "True", "False", "0"]
