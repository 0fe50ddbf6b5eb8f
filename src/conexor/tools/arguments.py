"""Validate tool arguments against a tool's JSON Schema, with one-line messages.

jsonschema's own messages can quote whole argument values (a 100 KB SQL text);
these name the argument and the rule instead.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from jsonschema import Draft202012Validator
from jsonschema.exceptions import ValidationError

from conexor.errors import ConexorError

__all__ = ["InvalidArguments", "validate_arguments"]


class InvalidArguments(ConexorError):
    """The arguments do not match the tool's schema."""

    code = "invalid_arguments"
    default_public = "invalid arguments"


def validate_arguments(schema: Mapping[str, Any], arguments: Mapping[str, Any]) -> None:
    """Raise InvalidArguments naming the first problem, or return None."""
    validator = Draft202012Validator(schema)
    error = next(iter(sorted(validator.iter_errors(arguments), key=lambda e: list(e.path))), None)
    if error is not None:
        raise InvalidArguments(_describe(error, schema))


def _describe(error: ValidationError, schema: Mapping[str, Any]) -> str:
    name = ".".join(str(p) for p in error.path) or None
    rule = error.validator
    instance: Any = error.instance
    if rule == "required":
        required: list[str] = list(error.validator_value)  # type: ignore[arg-type]
        missing = [r for r in required if r not in instance]
        return f"missing required argument {missing[0]!r}" if missing else "missing argument"
    if rule == "additionalProperties":
        allowed = sorted(schema.get("properties", {}))
        extra = sorted(set(instance) - set(allowed))
        shown = ", ".join(repr(e[:40]) for e in extra[:3])
        return f"unknown argument {shown}; allowed: {', '.join(allowed) or 'none'}"
    if name is None:
        return "arguments must be an object"
    prop = schema.get("properties", {}).get(name, {})
    if rule == "type":
        return f"argument {name!r} must be of type {error.validator_value}"
    if rule in ("minimum", "maximum"):
        return f"argument {name!r} must be between {prop.get('minimum')} and {prop.get('maximum')}"
    if rule in ("minLength", "maxLength"):
        if rule == "minLength":
            return f"argument {name!r} must not be empty"
        return f"argument {name!r} is longer than {prop.get('maxLength')} characters"
    return f"argument {name!r} is invalid ({rule})"
