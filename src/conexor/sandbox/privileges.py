"""Can the role we connect as write? The last layer of the sandbox.

A read-only transaction stops honest mistakes, but a role that may write is
one bug away from writing. ``conexor db test`` prints these findings as
warnings; an empty list means the role looked read-only. :func:`role_report`
adds the other powers worth a warning (reading server files, signalling other
sessions) and the exact SQL that creates a read-only role for the database.

- PostgreSQL: superuser and role attributes (CREATEROLE, CREATEDB,
  BYPASSRLS), membership in built-in roles that write files, run programs or
  write all data, INSERT/UPDATE (any column), DELETE and TRUNCATE on any
  table or view, UPDATE on sequences, CREATE on schemas and the database.
  The TEMP privilege every role has by default is not reported.
- MySQL/MariaDB: ``SHOW GRANTS`` parsed for anything beyond SELECT, SHOW VIEW
  and USAGE, ``WITH GRANT OPTION``, and granted roles (not inspected further).
  Only the privilege names and their scope are reported, never the lines
  themselves (MariaDB prints password hashes in them).
- SQLite: whether the database file is writable by this process.
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Final, TypeVar

from sqlalchemy import Connection, Engine, text
from sqlalchemy import exc as sa_exc

from conexor.sandbox.connect import CONNECT_ERRORS, connection_error
from conexor.sandbox.dialects import Dialect
from conexor.sandbox.errors import QueryFailed
from conexor.sandbox.scrub import sqlstate_of

__all__ = ["READ_ONLY_ROLE", "RoleReport", "role_report", "write_privileges"]

#: The role name the recommended GRANTs create; rename it freely.
READ_ONLY_ROLE: Final = "conexor_readonly"
_PASSWORD_PLACEHOLDER: Final = "<choose a strong password>"  # noqa: S105 - a placeholder

_EXAMPLES: Final = 3
_T = TypeVar("_T")

_PG_ROLE = text(
    "SELECT rolsuper, rolcreaterole, rolcreatedb, rolbypassrls"
    " FROM pg_roles WHERE rolname = current_user"
)

_PG_BUILTIN_ROLES = text(
    "SELECT r FROM unnest(ARRAY['pg_write_server_files', 'pg_execute_server_program',"
    " 'pg_write_all_data']) AS r"
    " WHERE EXISTS (SELECT 1 FROM pg_roles WHERE rolname = r)"
    " AND pg_has_role(current_user, r, 'USAGE') ORDER BY r"
)

_PG_TABLE_PRIVILEGES = text(
    "SELECT p.priv, count(*),"
    " (array_agg(quote_ident(n.nspname) || '.' || quote_ident(c.relname)"
    "  ORDER BY n.nspname, c.relname))[1:3]"
    " FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace"
    " CROSS JOIN (VALUES ('INSERT'), ('UPDATE'), ('DELETE'), ('TRUNCATE')) AS p(priv)"
    " WHERE c.relkind IN ('r', 'p', 'v', 'm', 'f')"
    " AND n.nspname NOT IN ('pg_catalog', 'information_schema')"
    r" AND n.nspname NOT LIKE 'pg\_toast%' AND n.nspname NOT LIKE 'pg\_temp%'"
    " AND CASE WHEN c.relkind NOT IN ('r', 'p', 'v', 'm', 'f') THEN false"
    "  WHEN p.priv IN ('INSERT', 'UPDATE') THEN has_any_column_privilege(c.oid, p.priv)"
    "  ELSE has_table_privilege(c.oid, p.priv) END"
    " GROUP BY p.priv ORDER BY min(array_position("
    "  ARRAY['INSERT', 'UPDATE', 'DELETE', 'TRUNCATE'], p.priv))"
)

_PG_SEQUENCES = text(
    "SELECT count(*) FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace"
    " WHERE n.nspname NOT IN ('pg_catalog', 'information_schema')"
    # CASE, because the planner may evaluate the privilege check before the
    # relkind test, and has_sequence_privilege fails on anything else.
    " AND CASE WHEN c.relkind = 'S' THEN has_sequence_privilege(c.oid, 'UPDATE') END"
)

_PG_SCHEMAS = text(
    "SELECT quote_ident(nspname) FROM pg_namespace"
    " WHERE nspname NOT IN ('pg_catalog', 'information_schema')"
    r" AND nspname NOT LIKE 'pg\_%'"
    " AND has_schema_privilege(oid, 'CREATE') ORDER BY nspname"
)

_PG_DATABASE = text("SELECT has_database_privilege(current_database(), 'CREATE')")


_PG_OTHER_POWERS = text(
    "SELECT r FROM unnest(ARRAY['pg_read_server_files', 'pg_signal_backend',"
    " 'pg_read_all_data']) AS r"
    " WHERE EXISTS (SELECT 1 FROM pg_roles WHERE rolname = r)"
    " AND pg_has_role(current_user, r, 'USAGE') ORDER BY r"
)

_PG_GRANT_TARGETS = text(
    "SELECT current_database(), coalesce(array_agg(quote_ident(n.nspname) ORDER BY n.nspname)"
    " FILTER (WHERE n.nspname IS NOT NULL), ARRAY[]::text[])"
    " FROM pg_namespace n"
    " WHERE n.nspname NOT IN ('pg_catalog', 'information_schema')"
    r" AND n.nspname NOT LIKE 'pg\_%'"
    " AND EXISTS (SELECT 1 FROM pg_class c WHERE c.relnamespace = n.oid"
    " AND c.relkind IN ('r', 'p', 'v', 'm', 'f'))"
)

_PG_POWERS: Final = {
    "pg_read_server_files": "the role is a member of pg_read_server_files: it can read files on"
    " the database server",
    "pg_signal_backend": "the role is a member of pg_signal_backend: it can cancel or terminate"
    " other sessions",
    "pg_read_all_data": "the role is a member of pg_read_all_data: it can read every table,"
    " whatever the grants",
}


@dataclass(frozen=True)
class RoleReport:
    """What the connected role could do beyond reading, and how to make one that cannot.

    ``findings`` are human-readable warnings (empty: the role looked read-only);
    ``grants`` is the SQL an administrator runs to create a read-only role for
    this database (the password is a placeholder to replace).
    """

    findings: list[str]
    grants: list[str]


def _translated(run: Callable[[Connection], _T], engine: Engine) -> _T:
    try:
        with engine.connect() as conn:
            try:
                return run(conn)
            finally:
                conn.rollback()
    except sa_exc.DBAPIError as exc:
        if exc.connection_invalidated or sqlstate_of(exc) is None:
            raise connection_error(exc) from None
        raise QueryFailed(sqlstate_of(exc)) from None
    except CONNECT_ERRORS as exc:
        raise connection_error(exc) from None


def write_privileges(engine: Engine, dialect: Dialect) -> list[str]:
    """Return one human-readable line per way the connected role can write.

    Raises :class:`DatabaseUnreachable`, :class:`DatabaseAuthFailed` or
    :class:`QueryFailed` if the check itself cannot run.
    """
    if dialect == "sqlite":
        return _sqlite_findings(engine)
    if dialect == "postgresql":
        return _translated(_pg_findings, engine)
    return _translated(_mysql_findings, engine)


def role_report(engine: Engine, dialect: Dialect) -> RoleReport:
    """Every warning about the connected role, and the GRANTs for a read-only one.

    Raises like :func:`write_privileges`.
    """
    if dialect == "sqlite":
        return RoleReport(findings=_sqlite_findings(engine), grants=_sqlite_grants())
    if dialect == "postgresql":
        return _translated(_pg_report, engine)
    return _translated(_mysql_report, engine)


def _quote_pg(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _pg_report(conn: Connection) -> RoleReport:
    findings = _pg_findings(conn)
    superuser = any("superuser" in line for line in findings)
    if not superuser:
        for (name,) in conn.execute(_PG_OTHER_POWERS):
            findings.append(_PG_POWERS[name])
    database, schemas = conn.execute(_PG_GRANT_TARGETS).one()
    role = READ_ONLY_ROLE
    grants = [
        f"CREATE ROLE {role} LOGIN PASSWORD '{_PASSWORD_PLACEHOLDER}'"
        " NOSUPERUSER NOCREATEDB NOCREATEROLE NOBYPASSRLS;",
        f"ALTER ROLE {role} SET default_transaction_read_only = on;",
        f"GRANT CONNECT ON DATABASE {_quote_pg(database)} TO {role};",
    ]
    for schema in schemas or ["public"]:
        grants += [
            f"GRANT USAGE ON SCHEMA {schema} TO {role};",
            f"GRANT SELECT ON ALL TABLES IN SCHEMA {schema} TO {role};",
            f"ALTER DEFAULT PRIVILEGES IN SCHEMA {schema} GRANT SELECT ON TABLES TO {role};",
        ]
    return RoleReport(findings=findings, grants=grants)


def _mysql_report(conn: Connection) -> RoleReport:
    findings = _mysql_findings(conn)
    database = conn.exec_driver_sql("SELECT DATABASE()").scalar()
    target = "`" + str(database).replace("`", "``") + "`.*" if database else "*.*"
    user = f"'{READ_ONLY_ROLE}'@'%'"
    grants = [
        f"CREATE USER {user} IDENTIFIED BY '{_PASSWORD_PLACEHOLDER}';",
        f"GRANT SELECT, SHOW VIEW ON {target} TO {user};",
    ]
    return RoleReport(findings=findings, grants=grants)


def _sqlite_grants() -> list[str]:
    return [
        "-- SQLite has no roles: make the database file read-only for the account that runs"
        " conexor (chmod 0444 FILE), and keep its directory unwritable too.",
    ]


def _count(n: int, noun: str) -> str:
    return f"{n} {noun}" if n == 1 else f"{n} {noun}s"


def _pg_findings(conn: Connection) -> list[str]:
    findings: list[str] = []
    role = conn.execute(_PG_ROLE).one_or_none()
    if role is not None:
        superuser, createrole, createdb, bypassrls = role
        if superuser:
            # A superuser passes every privilege check; listing tables adds nothing.
            return ["the role is a superuser: it can write anything and turn off read-only mode"]
        if createrole:
            findings.append("the role can create roles (CREATEROLE)")
        if createdb:
            findings.append("the role can create databases (CREATEDB)")
        if bypassrls:
            findings.append("the role bypasses row-level security (BYPASSRLS)")
    for (name,) in conn.execute(_PG_BUILTIN_ROLES):
        findings.append(f"the role is a member of {name}")
    for priv, count, examples in conn.execute(_PG_TABLE_PRIVILEGES):
        shown = ", ".join(examples[:_EXAMPLES])
        more = ", ..." if count > _EXAMPLES else ""
        findings.append(f"the role can {priv} on {_count(count, 'table')} ({shown}{more})")
    sequences = conn.execute(_PG_SEQUENCES).scalar_one()
    if sequences:
        findings.append(f"the role can UPDATE {_count(sequences, 'sequence')}")
    schemas = [name for (name,) in conn.execute(_PG_SCHEMAS)]
    if schemas:
        findings.append(f"the role can CREATE objects in schema {', '.join(schemas)}")
    if conn.execute(_PG_DATABASE).scalar_one():
        findings.append("the role can CREATE schemas in the database")
    return findings


_READ_ONLY_PRIVILEGES: Final = frozenset({"SELECT", "SHOW VIEW", "USAGE"})
_GRANT_ON = re.compile(
    r"^GRANT\s+(?P<privs>.+?)\s+ON\s+"
    r"(?P<scope>(?:(?:FUNCTION|PROCEDURE|PACKAGE(?:\s+BODY)?)\s+)?\S+)\s+TO\s",
    re.IGNORECASE | re.DOTALL,
)
_GRANT_ROLE = re.compile(r"^GRANT\s+(?P<roles>.+?)\s+TO\s", re.IGNORECASE | re.DOTALL)
_COLUMN_LIST = re.compile(r"\s*\(.*\)\s*$", re.DOTALL)
_SAFE_NAME = re.compile(r"^[\w`'@%.*$\- ]{1,200}$")


def _split_top_level(privs: str) -> list[str]:
    """Split on commas that are not inside a column list."""
    parts: list[str] = []
    depth = 0
    current = ""
    for char in privs:
        if char == "(":
            depth += 1
        elif char == ")":
            depth = max(0, depth - 1)
        if char == "," and depth == 0:
            parts.append(current)
            current = ""
        else:
            current += char
    parts.append(current)
    return [part.strip() for part in parts if part.strip()]


def _safe(name: str) -> str:
    return name if _SAFE_NAME.match(name) else "(an object)"


def _mysql_findings(conn: Connection) -> list[str]:
    findings: list[str] = []
    for (line,) in conn.exec_driver_sql("SHOW GRANTS"):
        grant = str(line)
        match = _GRANT_ON.match(grant)
        if match is None:
            role = _GRANT_ROLE.match(grant)
            if role is not None:
                findings.append(
                    f"the user is granted role {_safe(role.group('roles'))};"
                    " its privileges were not checked"
                )
            continue
        scope = _safe(match.group("scope"))
        privileges = [
            _COLUMN_LIST.sub("", part).upper() for part in _split_top_level(match.group("privs"))
        ]
        writes = [p for p in privileges if p not in _READ_ONLY_PRIVILEGES]
        if writes:
            findings.append(f"the user has {', '.join(_safe(p) for p in writes)} on {scope}")
        if re.search(r"\bWITH\s+GRANT\s+OPTION\b", grant, re.IGNORECASE):
            findings.append(f"the user can grant its privileges on {scope} to others")
    return findings


def _sqlite_findings(engine: Engine) -> list[str]:
    try:
        with engine.connect() as conn:
            rows = conn.exec_driver_sql("PRAGMA database_list").all()
    except CONNECT_ERRORS as exc:
        raise connection_error(exc) from None
    findings: list[str] = []
    for _seq, name, path in rows:
        if path and os.access(path, os.W_OK):
            findings.append(
                f"the {name} database file is writable by this process"
                " (conexor opens it read-only, but a read-only file is safer)"
            )
    return findings
