"""Who may call which REST route: one table, checked for every authenticated request.

admin manages databases, tools, keys and users; member queries (and manages
its own keys); auditor reads the audit trail and nothing else. A route the
table does not name is admin-only, so a new route is closed until it is listed.
Routes that act on "own" things (revoking a key, re-wrapping for a key)
additionally check ownership for non-admins where they run.
"""

from __future__ import annotations

from conexor.server.errors import Forbidden
from conexor.store import Role

__all__ = ["authorize", "required_roles"]

_ALL: frozenset[Role] = frozenset({"admin", "member", "auditor"})
_QUERY: frozenset[Role] = frozenset({"admin", "member"})
_AUDIT: frozenset[Role] = frozenset({"admin", "auditor"})
_ADMIN: frozenset[Role] = frozenset({"admin"})

_API = "/api/v1"
#: (method, route template) -> roles; "*" matches any method.
_ROUTES: dict[tuple[str, str], frozenset[Role]] = {
    ("GET", "/me"): _ALL,
    ("GET", "/keys"): _ALL,
    ("POST", "/keys"): _ALL,
    ("POST", "/keys/{key_id}/revoke"): _ALL,
    ("GET", "/databases"): _QUERY,
    ("POST", "/databases"): _ADMIN,
    ("DELETE", "/databases/{name}"): _ADMIN,
    ("GET", "/databases/{name}/envelope"): _QUERY,
    ("PUT", "/databases/{name}/envelope"): _QUERY,
    ("POST", "/databases/{name}/access"): _QUERY,
    ("POST", "/databases/{name}/test"): _QUERY,
    ("GET", "/databases/{name}/policy"): _QUERY,
    ("PUT", "/databases/{name}/policy"): _ADMIN,
    ("GET", "/databases/{name}/agent-tokens"): _QUERY,
}
#: Route template prefixes -> roles by method ("GET" or "*").
_PREFIXES: tuple[tuple[str, str, frozenset[Role]], ...] = (
    ("*", "/audit", _AUDIT),
    ("GET", "/tools", _QUERY),
    ("*", "/users", _ADMIN),
)


def required_roles(method: str, template: str) -> frozenset[Role]:
    """The roles allowed to call ``method`` on the route ``template`` (admin-only by default)."""
    path = template.removeprefix(_API)
    exact = _ROUTES.get((method, path))
    if exact is not None:
        return exact
    for rule_method, prefix, roles in _PREFIXES:
        if (path == prefix or path.startswith(prefix + "/")) and rule_method in ("*", method):
            return roles
    return _ADMIN


def authorize(role: Role, method: str, template: str) -> None:
    """Raise Forbidden unless ``role`` may call the route."""
    if role not in required_roles(method, template):
        raise Forbidden(f"your role ({role}) may not do this; ask an admin of your organisation")
