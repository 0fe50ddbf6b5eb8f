"""Errors of named and generated tools::

    ToolError (tool_error)
     ├── InvalidToolDefinition (invalid_tool_definition)  a definition or tools file is refused
     └── ToolsetRestricted (toolset_restricted)  a toolset-limited key tried to change tools

Argument errors at call time are :class:`conexor.tools.arguments.InvalidArguments`.
Messages name the tool and the field, never a parameter's value.
"""

from __future__ import annotations

from conexor.errors import ConexorError

__all__ = ["InvalidToolDefinition", "ToolError", "ToolsetRestricted"]


class ToolError(ConexorError):
    """Base of the tool-definition errors."""

    code = "tool_error"
    default_public = "the tool definition was refused"


class InvalidToolDefinition(ToolError):
    """A tool definition (or a tools file) is malformed, inconsistent or refused by the sandbox."""

    code = "invalid_tool_definition"
    default_public = "invalid tool definition"


class ToolsetRestricted(ToolError):
    """A key limited to toolsets may use tools but not change them, nor any key's toolsets."""

    code = "toolset_restricted"
    default_public = "this API key is limited to toolsets and cannot change tools or toolsets"
