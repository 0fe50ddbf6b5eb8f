"""Errors of the forward package.

::

    ConexorError
     └── ForwardError          forward_failed   a batch was not delivered, or the
                                                 target URL or state file is unusable

Messages name the target by scheme, host and port and the state file by its
path; they never carry a token, a message body or a record value.
"""

from __future__ import annotations

from conexor.errors import ConexorError

__all__ = ["ForwardError"]


class ForwardError(ConexorError):
    """Forwarding could not go on; nothing after the last accepted batch counts as sent."""

    code = "forward_failed"
    default_public = "the audit records could not be forwarded"
