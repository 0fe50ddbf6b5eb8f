"""The answer to "may this SQL run?", and the stable rule ids it can carry."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final

__all__ = ["RULES", "Verdict", "deny"]

# Stable rule ids; docs/sandbox.md lists them and the audit trail records them.
RULES: Final = (
    "allow.select",
    "deny.too_long",
    "deny.nul_character",
    "deny.empty",
    "deny.parse_error",
    "deny.executable_comment",
    "deny.multiple_statements",
    "deny.not_read_only",
    "deny.data_modifying_cte",
    "deny.select_into",
    "deny.locking_clause",
    "deny.explain_analyze",
    "deny.function_not_allowed",
    "deny.function_shadowed",
    "deny.operator_not_allowed",
    "deny.type_not_allowed",
    "deny.variable_assignment",
    "deny.schema_not_allowed",
    "deny.table_not_allowed",
    "deny.column_denied",
    "deny.schema_unknown",
    "deny.parameter_mismatch",
)


@dataclass(frozen=True)
class Verdict:
    """The answer to "may this SQL run?".

    ``rule`` is a stable id from :data:`RULES`; ``reason`` is one line that is
    safe to show and, where possible, says how to write the query instead;
    ``normalized`` is the canonical rendering of the statement (keywords and
    whitespace normalised, comments dropped) that the audit trail hashes. It
    is empty when the SQL did not parse.
    """

    allowed: bool
    rule: str
    reason: str
    normalized: str


def deny(rule: str, reason: str, normalized: str = "") -> Verdict:
    """A deny verdict; ``rule`` must be one of :data:`RULES`."""
    assert rule in RULES, rule
    return Verdict(allowed=False, rule=rule, reason=reason, normalized=normalized)
