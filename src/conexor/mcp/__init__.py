"""The MCP endpoint: API-key auth, per-caller tool listing, audited tool calls, a client."""
