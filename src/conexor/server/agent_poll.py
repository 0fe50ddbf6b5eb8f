"""The long-poll transport for agents whose network blocks WebSockets.

Same messages as the WebSocket channel (``agent/protocol.py``), carried in
plain HTTPS requests the agent makes — outbound only, proxy-friendly:

- ``POST /agent/poll/hello``: a ``hello`` frame in, a session id and ``welcome`` out;
- ``GET /agent/poll/receive?session=…&wait=25``: waits for jobs, returns them;
- ``POST /agent/poll/send?session=…``: ``schema``, ``result`` and ``error`` frames.

Every request carries the agent token. A revoked token or a removed database
answers 410 with the close code, and the agent stops.
"""

# No "from __future__ import annotations": FastAPI inspects these signatures at runtime.

from typing import Annotated, Any

from fastapi import APIRouter, Header, Query, Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field

from conexor.agent.errors import AgentUnavailable, ProtocolError
from conexor.crypto.agenttokens import InvalidAgentToken
from conexor.server.agenthub import AgentHub

__all__ = ["build_agent_poll_router"]

MAX_WAIT_S = 30.0


class Frames(BaseModel):
    frames: list[str] = Field(max_length=1000)


class HelloIn(BaseModel):
    frame: str = Field(max_length=4096)


def _token(authorization: str | None) -> str:
    if authorization and authorization[:7].lower() == "bearer ":
        return authorization[7:]
    return ""


def _client(request: Request) -> str:
    return request.client.host if request.client else "?"


def _refused(exc: Exception) -> JSONResponse:
    if isinstance(exc, InvalidAgentToken):
        return JSONResponse({"error": {"code": exc.code, "message": exc.public}}, status_code=401)
    if isinstance(exc, AgentUnavailable):
        return JSONResponse({"error": {"code": exc.code, "message": exc.public}}, status_code=409)
    assert isinstance(exc, ProtocolError)
    return JSONResponse({"error": {"code": exc.code, "message": exc.public}}, status_code=400)


def build_agent_poll_router(hub: AgentHub) -> APIRouter:
    """The three long-poll routes, bound to the agent hub."""
    router = APIRouter(prefix="/agent/poll", include_in_schema=False)
    Auth = Annotated[str | None, Header()]

    @router.post("/hello", response_model=None)
    async def hello(request: Request, body: HelloIn, authorization: Auth = None) -> Any:
        try:
            session, welcome = await hub.poll_hello(
                _token(authorization), _client(request), body.frame
            )
        except (InvalidAgentToken, AgentUnavailable, ProtocolError) as exc:
            return _refused(exc)
        return {"session": session, "frames": [welcome]}

    @router.get("/receive", response_model=None)
    async def receive(
        request: Request,
        session: Annotated[str, Query(max_length=64)],
        wait: Annotated[float, Query(ge=0, le=MAX_WAIT_S)] = 25.0,
        authorization: Auth = None,
    ) -> Any:
        try:
            frames, code = await hub.poll_receive(
                _token(authorization), _client(request), session, wait
            )
        except (InvalidAgentToken, AgentUnavailable, ProtocolError) as exc:
            return _refused(exc)
        if code is not None and not frames:
            return JSONResponse(
                {
                    "error": {"code": "agent_closed", "message": "the connection was closed"},
                    "close": code,
                },
                status_code=410,
            )
        return {"frames": frames}

    @router.post("/send", response_model=None)
    async def send(
        request: Request,
        body: Frames,
        session: Annotated[str, Query(max_length=64)],
        authorization: Auth = None,
    ) -> Any:
        try:
            await hub.poll_send(_token(authorization), _client(request), session, body.frames)
        except (InvalidAgentToken, AgentUnavailable, ProtocolError) as exc:
            return _refused(exc)
        return {"ok": True}

    return router
