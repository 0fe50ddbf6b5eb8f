"""The server's persistent state: accounts, sealed databases, the audit chain."""

from conexor.store.accounts import ROLES, Accounts, KeyRecord, Principal, Role, UserRecord
from conexor.store.agenttokens import AgentTokenRecord, AgentTokens
from conexor.store.auditlog import AuditLog
from conexor.store.databases import DatabaseRecord, Databases, NewDatabase
from conexor.store.engine import migrate, open_store_engine
from conexor.store.errors import Conflict, NotFound, StoreError

__all__ = [
    "ROLES",
    "Accounts",
    "AgentTokenRecord",
    "AgentTokens",
    "AuditLog",
    "Conflict",
    "DatabaseRecord",
    "Databases",
    "KeyRecord",
    "NewDatabase",
    "NotFound",
    "Principal",
    "Role",
    "StoreError",
    "UserRecord",
    "migrate",
    "open_store_engine",
]
