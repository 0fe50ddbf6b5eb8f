"""The root of every error conexor raises on purpose.

Each package has its own ``errors.py`` that subclasses :class:`ConexorError`
(``docs/errors.md`` lists every code; a test keeps the two in step)::

    ConexorError
     ├── ConfigError                 config
     ├── CryptoError                 crypto.errors
     │    ├── DecryptionFailed, MalformedEnvelope, WeakKdfParams
     │    └── MalformedApiKey
     ├── SandboxError                sandbox.errors
     │    ├── QueryRejected, QueryTimeout, QueryFailed, InvalidLimits, InvalidPolicy
     │    └── DatabaseUnreachable, DatabaseAuthFailed, UnsupportedDatabaseUrl
     ├── AuditError                  audit.errors
     │    ├── ChainBroken, AuditWriteFailed, MalformedRecord, UnknownFormat
     │    └── CheckpointMismatch, BadSignature, MalformedCheckpoint, InvalidProof
     ├── SchemaError                 schema.errors
     │    └── MalformedSchema, SchemaTooLarge, IntrospectionFailed
     ├── StoreError                  store.errors
     │    └── NotFound, Conflict
     ├── AuthError                   server.errors
     │    └── InvalidApiKey, RateLimited, Forbidden
     ├── BadRequest                  server.errors
     ├── InvalidArguments            tools.arguments
     ├── ToolError                   tools.errors
     │    └── InvalidToolDefinition, ToolsetRestricted
     ├── AgentError                  agent.errors
     │    ├── ProtocolError, AgentUnavailable, JobLogDamaged
     │    └── AgentJobFailed         backends.agent
     ├── InvalidAgentToken           crypto.agenttokens
     ├── ForwardError                forward.errors
     ├── SelfcheckError              selfcheck.errors
     └── CliError                    cli.client

``public`` is a one-line message that is always safe to show a user: it names
settings and objects, never values such as URLs, passwords or keys. ``code`` is
a stable identifier that scripts and docs can rely on.
"""

from __future__ import annotations

__all__ = ["ConexorError"]


class ConexorError(Exception):
    """Base class; ``public`` is safe to show, ``code`` is stable."""

    code: str = "error"
    default_public: str = "the request failed"

    def __init__(self, public: str | None = None) -> None:
        self.public = public or self.default_public
        super().__init__(self.public)
