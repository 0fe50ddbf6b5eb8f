"""The agent channel's messages: typed, versioned JSON frames, nothing else.

The channel is no tunnel: there is no message that opens a socket, forwards a
port or names another host. The server can send only ``welcome``, ``job`` and
``heartbeat``; the agent only ``hello``, ``schema``, ``result``, ``error`` and
``heartbeat``. Anything else, or any frame over the size limit, is a
``ProtocolError`` and closes the connection.

Version 2 adds bound parameters to ``job`` (named tools): the SQL holds
positional placeholders and ``params`` the values, which the agent's driver
binds. An agent says ``v: 2`` in its hello when it understands them; the
server sends a version-2 job only to such an agent, and every other frame
stays at version 1, so older agents keep working for plain queries.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    TypeAdapter,
    ValidationError,
    model_validator,
)

from conexor.agent.errors import ProtocolError

__all__ = [
    "MAX_FRAME_BYTES",
    "MAX_PARAMS",
    "VERSION",
    "AgentMessage",
    "ErrorMsg",
    "Heartbeat",
    "Hello",
    "Job",
    "ParamValue",
    "Result",
    "SchemaMsg",
    "ServerMessage",
    "Welcome",
    "dump",
    "parse_agent_message",
    "parse_server_message",
]

VERSION = 2
#: Most bound parameters one job may carry (an IN list counts each value).
MAX_PARAMS = 1000

ParamValue = str | int | float | bool | None
MAX_FRAME_BYTES = 64 * 1024 * 1024


class _Msg(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)
    v: Literal[1, 2] = 1


class Hello(_Msg):
    """Agent -> server, first frame: which dialect it serves and its version.

    ``v`` is the newest protocol version the agent speaks (2: bound parameters).
    """

    v: Literal[1, 2] = 2
    type: Literal["hello"] = "hello"
    dialect: Literal["postgresql", "mysql", "sqlite"]
    agent_version: str = Field(max_length=64)


class Welcome(_Msg):
    """Server -> agent: the connection is accepted for this database."""

    type: Literal["welcome"] = "welcome"
    database: str = Field(max_length=64)
    agent_id: str = Field(max_length=64)


class SchemaMsg(_Msg):
    """Agent -> server: schema metadata (never rows) and the role check."""

    type: Literal["schema"] = "schema"
    snapshot: dict[str, Any]
    warnings: list[str] = Field(default_factory=list, max_length=100)


class Job(_Msg):
    """Server -> agent: run one read-only query under this policy.

    Version 2 may carry ``params``, bound by the agent's driver to the
    statement's positional placeholders; version 1 never does.
    """

    v: Literal[1, 2] = 1
    type: Literal["job"] = "job"
    id: str = Field(max_length=64)
    sql: str = Field(max_length=200_000)
    max_rows: int | None = Field(default=None, ge=1, le=10_000)
    policy: dict[str, Any]
    params: list[ParamValue] | None = Field(default=None, max_length=MAX_PARAMS)

    @model_validator(mode="after")
    def _params_need_v2(self) -> Job:
        if self.params is not None and self.v < 2:
            raise ValueError("bound parameters need protocol version 2")
        for value in self.params or ():
            if isinstance(value, str) and len(value) > 100_000:
                raise ValueError("a bound parameter is too long")
        return self


class Result(_Msg):
    """Agent -> server: at most the rows the job asked for."""

    type: Literal["result"] = "result"
    id: str = Field(max_length=64)
    columns: list[str]
    rows: list[list[Any]]
    row_count: int = Field(ge=0)
    truncated: bool


class ErrorMsg(_Msg):
    """Agent -> server: the job failed or was refused; the message is safe to show."""

    type: Literal["error"] = "error"
    id: str = Field(max_length=64)
    code: str = Field(max_length=64)
    message: str = Field(max_length=500)
    rule: str | None = Field(default=None, max_length=64)


class Heartbeat(_Msg):
    """Either way: I am alive."""

    type: Literal["heartbeat"] = "heartbeat"


AgentMessage = Annotated[
    Hello | SchemaMsg | Result | ErrorMsg | Heartbeat, Field(discriminator="type")
]
ServerMessage = Annotated[Welcome | Job | Heartbeat, Field(discriminator="type")]
_AGENT: TypeAdapter[Hello | SchemaMsg | Result | ErrorMsg | Heartbeat] = TypeAdapter(AgentMessage)
_SERVER: TypeAdapter[Welcome | Job | Heartbeat] = TypeAdapter(ServerMessage)


def _parse(adapter: TypeAdapter[Any], frame: str | bytes) -> Any:
    if len(frame) > MAX_FRAME_BYTES:
        raise ProtocolError("agent message too large")
    try:
        return adapter.validate_json(frame)
    except ValidationError:
        raise ProtocolError() from None


def parse_agent_message(frame: str | bytes) -> Hello | SchemaMsg | Result | ErrorMsg | Heartbeat:
    """What the server accepts from an agent; anything else raises ProtocolError."""
    return _parse(_AGENT, frame)  # type: ignore[no-any-return]


def parse_server_message(frame: str | bytes) -> Welcome | Job | Heartbeat:
    """What the agent accepts from the server; anything else raises ProtocolError."""
    return _parse(_SERVER, frame)  # type: ignore[no-any-return]


def dump(message: _Msg) -> str:
    """The frame for ``message``; a job without parameters keeps the version-1 shape."""
    if isinstance(message, Job) and message.params is None:
        return message.model_dump_json(exclude={"params"})
    return message.model_dump_json()
