"""Agent-channel errors::

AgentError (agent_error)
 ├── ProtocolError (agent_protocol_error)     a frame that is not a well-formed, versioned message
 └── AgentUnavailable (agent_unavailable)     no agent connected, or it vanished mid-job
"""

from __future__ import annotations

from conexor.errors import ConexorError

__all__ = ["AgentError", "AgentUnavailable", "ProtocolError"]


class AgentError(ConexorError):
    """Something about the agent channel prevents the request."""

    code = "agent_error"


class ProtocolError(AgentError):
    """The frame is not a well-formed message of this protocol version."""

    code = "agent_protocol_error"
    default_public = "malformed agent message"


class AgentUnavailable(AgentError):
    """No agent can serve the job (none connected, or it disconnected or timed out)."""

    code = "agent_unavailable"
    default_public = "no agent is connected for this database"
