"""The MCP endpoint: tool listing and tool calls, each call audited before it answers.

Built on the SDK's low-level ``Server`` because the catalog is per caller and
arguments must be validated here (the low-level server does not validate).
The catalog holds the built-in tools and the organisation's named and
generated tools (:class:`conexor.tools.registry.Registry`); every call is
audited under the tool's own name with its arguments. When tools change,
connected clients are told (:class:`conexor.mcp.notify.CatalogNotifier`).
Every call, allowed, rejected or failed, writes exactly one audit record, and
no result leaves before its record is durably stored (fail closed).
"""

from __future__ import annotations

import logging
import secrets
import time
from datetime import UTC, datetime
from typing import Any, cast

import anyio.to_thread
import mcp.types as types
from mcp.server import Server
from mcp.server.context import ServerRequestContext
from mcp.server.lowlevel.server import NotificationOptions
from mcp.server.models import InitializationOptions

from conexor import __version__
from conexor.audit.errors import AuditWriteFailed
from conexor.audit.record import AuditDraft, Outcome
from conexor.errors import ConexorError
from conexor.mcp.auth import current_caller
from conexor.mcp.notify import CatalogNotifier
from conexor.sandbox import InvalidLimits, QueryRejected
from conexor.schema import as_text
from conexor.server.auth import Authenticated
from conexor.store import AuditLog, NotFound
from conexor.tools.arguments import InvalidArguments, validate_arguments
from conexor.tools.builtin import BuiltinTools, CallFacts
from conexor.tools.catalog import tool_spec
from conexor.tools.registry import Registry
from conexor.tools.runner import ToolRunner

__all__ = ["MODEL_HEADER", "MODEL_META_KEYS", "build_mcp_server"]

log = logging.getLogger("conexor.mcp")

MODEL_HEADER = "x-conexor-model"
MODEL_META_KEYS = ("conexor.io/model", "model")
WITHHELD = "the audit record could not be written, so the result was withheld"
_REJECTIONS = (QueryRejected, InvalidArguments, InvalidLimits, NotFound)


class _GatewayServer(Server[Any]):
    # The HTTP transport never passes NotificationOptions; advertise listChanged here.
    def create_initialization_options(
        self,
        notification_options: NotificationOptions | None = None,
        experimental_capabilities: dict[str, dict[str, Any]] | None = None,
        extensions: dict[str, dict[str, Any]] | None = None,
    ) -> InitializationOptions:
        return super().create_initialization_options(
            notification_options or NotificationOptions(tools_changed=True),
            experimental_capabilities,
            extensions,
        )


def build_mcp_server(
    tools: BuiltinTools,
    audit: AuditLog,
    registry: Registry,
    runner: ToolRunner,
    notifier: CatalogNotifier,
) -> Server[Any]:
    """Wire the tool handlers to the catalog, the tool runners and the audit log."""

    async def list_tools(
        ctx: ServerRequestContext[Any, Any], params: types.PaginatedRequestParams | None
    ) -> types.ListToolsResult:
        caller = current_caller()
        notifier.remember(caller.principal.org_id, ctx)
        catalog = await registry.for_key(caller.principal)
        return types.ListToolsResult(
            tools=[
                types.Tool(
                    name=t.spec.name,
                    title=t.spec.title,
                    description=t.spec.description,
                    input_schema=dict(t.spec.input_schema),
                    annotations=types.ToolAnnotations(read_only_hint=True, open_world_hint=False),
                )
                for t in catalog
            ]
        )

    def input_schema(name: str) -> dict[str, Any] | None:
        # Sync and on the event loop: only the built-ins' fixed schemas, no store read.
        # Named tools check their own arguments with one-line messages.
        spec = tool_spec(name)
        return dict(spec.input_schema) if spec else None

    async def listen(
        ctx: ServerRequestContext[Any, Any], params: types.SubscriptionsListenRequestParams
    ) -> types.SubscriptionsListenResult:
        caller = current_caller()
        return await notifier.listen(caller.principal.org_id, ctx, params)

    async def call_tool(
        ctx: ServerRequestContext[Any, Any], params: types.CallToolRequestParams
    ) -> types.CallToolResult:
        started = time.perf_counter()
        caller = current_caller()
        args: dict[str, Any] = dict(params.arguments or {})
        facts = CallFacts()
        outcome: Outcome = "ok"
        error_code: str | None = None
        result: types.CallToolResult
        try:
            tool = await registry.find(caller.principal, params.name)
            if tool is None:
                raise InvalidArguments(f"unknown tool {params.name[:64]!r}; call tools/list")
            if tool.kind == "builtin":
                validate_arguments(tool.spec.input_schema, args)
                output = await tools.call(params.name, args, caller, facts)
            else:
                output = await runner.run(tool, args, caller, facts)
            result = _success(output.structured)
        except ConexorError as exc:
            outcome = "rejected" if isinstance(exc, _REJECTIONS) else "error"
            # A rejection records the rule it broke, e.g. deny.data_modifying_cte.
            error_code = exc.rule if isinstance(exc, QueryRejected) else exc.code
            result = _error(exc.public)
        except Exception:  # the last-line handler: the traceback goes to the log only
            ref = secrets.token_hex(3)
            log.exception("internal error in tool %s (ref %s)", params.name[:64], ref)
            outcome, error_code = "error", "internal_error"
            result = _error(f"internal error (ref {ref})")
        draft = _draft(ctx, caller, params, args, facts, outcome, error_code, started)
        try:
            await anyio.to_thread.run_sync(audit.append, draft)
        except AuditWriteFailed:
            log.error("audit write failed for org %s; result withheld", caller.principal.org_id)
            return _error(WITHHELD)
        return result

    return _GatewayServer(
        "conexor",
        version=__version__,
        instructions=(
            "Query the organisation's SQL databases read-only. Prefer a purpose-built tool"
            " when one fits. Otherwise start with list_databases, then list_tables (or"
            " search_schema on large databases) and describe_table, then query with one SELECT."
        ),
        on_list_tools=list_tools,
        on_call_tool=call_tool,
        on_subscriptions_listen=listen,
        get_tool_input_schema=input_schema,
    )


def _success(structured: dict[str, object]) -> types.CallToolResult:
    """A successful result in its wire form, as a plain dict.

    The SDK turns a returned model into a dict, validates that against the
    protocol version's schema, dumps it again and then encodes it; with a
    1,000-row result each pass costs milliseconds. Handing it the dict skips
    the first. The SDK takes a dict from any handler (``_dump_result``),
    although the handler's declared return type names only the model.
    """
    wire = {
        "content": [{"type": "text", "text": as_text(structured)}],
        "structuredContent": structured,
        "resultType": "complete",  # required from 2026-07-28; older surfaces drop it
    }
    return cast(types.CallToolResult, wire)


def _error(text: str) -> types.CallToolResult:
    return types.CallToolResult(content=[types.TextContent(type="text", text=text)], is_error=True)


def _draft(
    ctx: ServerRequestContext[Any, Any],
    caller: Authenticated,
    params: types.CallToolRequestParams,
    args: dict[str, Any],
    facts: CallFacts,
    outcome: Outcome,
    error_code: str | None,
    started: float,
) -> AuditDraft:
    client = ctx.session.client_params.client_info if ctx.session.client_params else None
    p = caller.principal
    return AuditDraft(
        ts=datetime.now(UTC),
        org_id=p.org_id,
        user_id=p.user_id,
        user=p.email,
        api_key_id=p.key_id,
        client_name=_short(client.name) if client else None,
        client_version=_short(client.version) if client else None,
        model=_model(ctx, params),
        tool=params.name[:64],
        params=args,
        database=facts.database,
        mode=facts.mode,
        outcome=outcome,
        error_code=error_code,
        row_count=facts.row_count,
        query_hash=facts.query_hash,
        duration_us=int((time.perf_counter() - started) * 1_000_000),
    )


def _model(ctx: ServerRequestContext[Any, Any], params: types.CallToolRequestParams) -> str | None:
    if ctx.request is not None:
        header = ctx.request.headers.get(MODEL_HEADER)
        if header:
            return _short(header)
    meta = params.meta or {}
    for key in MODEL_META_KEYS:
        value = meta.get(key)
        if isinstance(value, str) and value:
            return _short(value)
    return None


def _short(value: str | None) -> str | None:
    """At most 200 characters; an empty string is recorded as absent."""
    return value[:200] if value else None
