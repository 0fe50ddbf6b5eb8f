"""Execution backends: one interface, ``run(sql, limits)``, for cloud and agent mode.

The direct backend holds an engine (on the server in cloud mode, in the agent in
agent mode); every other line of the query path is shared.
"""

from conexor.backends.base import Backend
from conexor.backends.direct import DirectBackend

__all__ = ["Backend", "DirectBackend"]
