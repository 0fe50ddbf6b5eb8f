"""Users and roles through the CLI, REST and MCP: admin manages, member queries, auditor audits."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from mcp import MCPError

from conexor.server.roles import required_roles
from tests.conftest import LiveServer
from tests.integration.cli import add_db, call, run_cli, signup
from tests.integration.test_cloud_flow import make_sqlite


def _env(server: LiveServer, key: str) -> dict[str, str]:
    return {"CONEXOR_SERVER": server.url, "CONEXOR_API_KEY": key}


def test_roles_end_to_end(live_server: LiveServer, tmp_path: Path) -> None:
    admin = signup(live_server.url)["api_key"]
    assert add_db(live_server.url, admin, "shop", make_sqlite(tmp_path / "shop.db")).returncode == 0
    env = _env(live_server, admin)
    member = json.loads(run_cli("users", "invite", "max@example.com", "--json", env=env).stdout)
    auditor = json.loads(
        run_cli("users", "invite", "ida@example.com", "--role", "auditor", "--json", env=env).stdout
    )
    assert member["user"]["role"] == "member" and auditor["user"]["role"] == "auditor"
    users = json.loads(run_cli("users", "list", "--json", env=env).stdout)["users"]
    assert [(u["email"], u["role"]) for u in users] == [
        ("alice@example.com", "admin"),
        ("max@example.com", "member"),
        ("ida@example.com", "auditor"),
    ]

    # The member queries once the database is shared with its key; it manages nothing.
    share = {**env, "CONEXOR_SHARE_KEY": member["api_key"]}
    run_cli("db", "share", "shop", env=share)
    m_env = _env(live_server, member["api_key"])
    result = call(
        live_server.url, member["api_key"], "query", {"database": "shop", "sql": "SELECT 1 AS x"}
    )
    assert not result.is_error
    refused = run_cli("db", "remove", "shop", env=m_env, check=False)
    assert refused.returncode == 1
    assert "your role (member) may not do this" in refused.stderr
    assert run_cli("audit", "export", env=m_env, check=False).returncode == 1
    own = json.loads(run_cli("keys", "create", "--json", env=m_env).stdout)
    assert run_cli("keys", "revoke", own["key_id"], env=m_env).returncode == 0
    admin_id = admin.split("_")[1]
    theirs = run_cli("keys", "revoke", admin_id, env=m_env, check=False)
    assert "only an admin may act on another user's key" in theirs.stderr
    listed = json.loads(run_cli("keys", "list", "--json", env=m_env).stdout)["keys"]
    assert admin_id not in {k["key_id"] for k in listed}

    # The auditor reads the trail and nothing else; MCP refuses it outright.
    a_env = _env(live_server, auditor["api_key"])
    exported = run_cli("audit", "export", env=a_env)
    assert '"tool":"query"' in exported.stdout
    assert run_cli("db", "list", env=a_env, check=False).returncode == 1
    with pytest.raises(ExceptionGroup) as group:
        call(live_server.url, auditor["api_key"], "list_databases", {})
    assert group.value.subgroup(lambda e: isinstance(e, MCPError)) is not None

    # Roles change; the organisation always keeps an admin.
    last = run_cli("users", "role", "alice@example.com", "member", env=env, check=False)
    assert "must keep at least one admin" in last.stderr
    run_cli("users", "role", "max@example.com", "admin", env=env)
    assert run_cli("db", "list", env=m_env).returncode == 0
    assert run_cli("users", "role", "alice@example.com", "member", env=env).returncode == 0
    demoted = run_cli("users", "list", env=env, check=False)
    assert demoted.returncode == 1 and "your role (member)" in demoted.stderr
    bad = run_cli("users", "invite", "x@example.com", "--role", "root", env=m_env, check=False)
    assert bad.stderr.strip() == "error: unknown role 'root'; choose admin, member or auditor"


@pytest.mark.parametrize(
    ("method", "path", "roles"),
    [
        ("GET", "/api/v1/audit", {"admin", "auditor"}),
        ("GET", "/api/v1/audit/export", {"admin", "auditor"}),
        ("POST", "/api/v1/audit/checkpoints", {"admin", "auditor"}),
        ("POST", "/api/v1/databases", {"admin"}),
        ("GET", "/api/v1/databases", {"admin", "member"}),
        ("PUT", "/api/v1/databases/{name}/policy", {"admin"}),
        ("GET", "/api/v1/users", {"admin"}),
        ("GET", "/api/v1/me", {"admin", "member", "auditor"}),
        ("DELETE", "/api/v1/something/new", {"admin"}),  # unlisted: closed by default
    ],
)
def test_role_table(method: str, path: str, roles: set[str]) -> None:
    assert set(required_roles(method, path)) == roles
