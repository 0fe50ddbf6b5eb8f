"""The MCP tools a caller sees: catalog, argument validation, built-in implementations."""
