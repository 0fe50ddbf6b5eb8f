"""Process hardening for the server and the agent: no core dumps, no ptrace by peers.

Both processes hold secrets in memory for a while (API keys presented on a
request, derived keys, decrypted connection URLs, the agent's URL). A core
dump would write them to disk and a same-user debugger could read them. On
Linux, ``prctl(PR_SET_DUMPABLE, 0)`` turns off core dumps and ptrace
attachment by non-root processes of the same user; the soft core-size limit
is set to zero as well. Elsewhere this is a no-op, and the docs say to run
with ``ulimit -c 0``.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import resource
import sys

__all__ = ["is_dumpable", "make_undumpable"]

_PR_SET_DUMPABLE = 4
_PR_GET_DUMPABLE = 3


def _libc() -> ctypes.CDLL | None:
    if not sys.platform.startswith("linux"):
        return None
    name = ctypes.util.find_library("c")
    return ctypes.CDLL(name, use_errno=True) if name else None


def make_undumpable() -> bool:
    """Forbid core dumps and same-user ptrace of this process; True when it took effect."""
    try:
        _soft, hard = resource.getrlimit(resource.RLIMIT_CORE)
        resource.setrlimit(resource.RLIMIT_CORE, (0, hard))
    except (ValueError, OSError):
        pass
    libc = _libc()
    if libc is None:
        return False
    return int(libc.prctl(_PR_SET_DUMPABLE, 0, 0, 0, 0)) == 0


def is_dumpable() -> bool | None:
    """Whether this process may dump core (None where that cannot be asked)."""
    libc = _libc()
    if libc is None:
        return None
    return bool(libc.prctl(_PR_GET_DUMPABLE, 0, 0, 0, 0))
