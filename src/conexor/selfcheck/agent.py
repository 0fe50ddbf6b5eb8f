"""An on-premise agent run inside the self-check process, for the agent-mode flows.

It is the real agent loop (:func:`conexor.agent.runner.run_agent`) on an
event loop in a background thread; the connection URL stays in this process,
exactly as with ``conexor agent``.
"""

from __future__ import annotations

import contextlib
from concurrent.futures import CancelledError, Future
from contextlib import AbstractContextManager
from types import TracebackType

from anyio.from_thread import BlockingPortal, start_blocking_portal

from conexor.agent.runner import AgentConfig, run_agent

__all__ = ["InProcessAgent"]


class InProcessAgent:
    """Run an agent for ``database_url`` with ``token`` until the context exits."""

    def __init__(self, server: str, token: str, database_url: str) -> None:
        self._config = AgentConfig(
            server=server, token=token, database_url=database_url, max_backoff_s=2.0
        )
        self._portal_cm: AbstractContextManager[BlockingPortal] | None = None
        self._future: Future[None] | None = None

    def __repr__(self) -> str:
        return "InProcessAgent(token='***', database_url='***')"

    def __enter__(self) -> InProcessAgent:
        self._portal_cm = start_blocking_portal(name="conexor-selfcheck-agent")
        portal = self._portal_cm.__enter__()
        self._future = portal.start_task_soon(run_agent, self._config)
        return self

    @property
    def stopped(self) -> bool:
        """True once the agent loop ended (e.g. its token was revoked)."""
        return self._future is not None and self._future.done()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        if self._future is not None and not self._future.done():
            self._future.cancel()
        if self._future is not None:
            # exception() returns the loop's error (a revoked token ends it: expected at
            # clean-up) rather than raising it.
            with contextlib.suppress(CancelledError, TimeoutError):
                self._future.exception(timeout=10)
        if self._portal_cm is not None:
            self._portal_cm.__exit__(None, None, None)
