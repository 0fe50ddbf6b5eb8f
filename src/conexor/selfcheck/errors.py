"""Errors of ``conexor selfcheck``: one type, one safe line."""

from __future__ import annotations

from conexor.errors import ConexorError

__all__ = ["SelfcheckError"]


class SelfcheckError(ConexorError):
    """The self-check could not run a step (the message names the step, never a secret)."""

    code = "selfcheck_error"
    default_public = "the self-check could not run"
