"""One typed ``Settings`` for the server, built from flags, then ``CONEXOR_*`` env, then defaults.

This is the only module (besides typer's ``envvar=`` in ``cli/``) that reads the
environment; everything else receives a ``Settings`` or a narrower value.
"""

from __future__ import annotations

import base64
import binascii
import os
import secrets
import stat
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from conexor.audit.errors import AuditError
from conexor.audit.notekey import SignerKey, generate_signer, parse_signer
from conexor.errors import ConexorError

__all__ = ["ConfigError", "Secret", "Settings", "load_pepper", "load_signing_key"]

PEPPER_FILE = "pepper"
STORE_FILE = "conexor.db"
SIGNING_KEY_FILE = "audit-signing.key"
DEFAULT_KEY_NAME = "conexor-audit"


class ConfigError(ConexorError):
    """A setting is missing or invalid; the message names the setting, never its value."""

    code = "config_error"


class Secret:
    """A string that never shows itself in a repr, a log line or a traceback."""

    __slots__ = ("_value",)

    def __init__(self, value: bytes) -> None:
        self._value = value

    def reveal(self) -> bytes:
        """Return the secret; call only where it is used, never to print it."""
        return self._value

    def __repr__(self) -> str:
        return "Secret('***')"

    __str__ = __repr__


@dataclass(frozen=True)
class Settings:
    """Everything the server needs, fixed at start-up and passed down."""

    data_dir: Path
    store_url: str
    pepper: Secret = field(repr=False)
    host: str = "127.0.0.1"
    port: int = 8080
    public_url: str | None = None
    kek_cache_ttl_s: float = 300.0
    engine_idle_s: float = 300.0
    default_max_rows: int = 1000
    default_timeout_s: float = 30.0
    auth_failures_per_minute: int = 20
    allowed_hosts: tuple[str, ...] = ()
    audit_signer: SignerKey | None = field(default=None, repr=False)
    checkpoint_every_records: int = 1000
    checkpoint_every_seconds: float = 60.0
    checkpoint_heartbeat_seconds: float = 3600.0
    audit_forward: str | None = None
    audit_forward_ca: Path | None = None
    hec_token: Secret | None = field(default=None, repr=False)
    #: Directories whose SQLite files cloud-mode databases may name (none by default).
    sqlite_dirs: tuple[Path, ...] = ()
    #: The bus between replicas (``redis://`` or ``rediss://``); None for a single process.
    redis_url: str | None = field(default=None, repr=False)

    @classmethod
    def build(
        cls,
        *,
        data_dir: Path,
        store_url: str | None = None,
        host: str = "127.0.0.1",
        port: int = 8080,
        environ: Mapping[str, str] | None = None,
        sqlite_dirs: tuple[Path, ...] | None = None,
        redis_url: str | None = None,
    ) -> Settings:
        """Resolve settings: explicit arguments win, then ``CONEXOR_*`` env, then defaults."""
        env = os.environ if environ is None else environ
        data_dir = data_dir.expanduser().resolve()
        data_dir.mkdir(parents=True, exist_ok=True, mode=0o700)
        url = store_url or env.get("CONEXOR_STORE_URL") or f"sqlite:///{data_dir / STORE_FILE}"
        allowed = tuple(h for h in env.get("CONEXOR_ALLOWED_HOSTS", "").split(",") if h)
        return cls(
            data_dir=data_dir,
            store_url=url,
            pepper=load_pepper(data_dir, env),
            host=host,
            port=port,
            public_url=env.get("CONEXOR_PUBLIC_URL") or None,
            kek_cache_ttl_s=_float(env, "CONEXOR_KEK_CACHE_TTL", 300.0),
            engine_idle_s=_float(env, "CONEXOR_ENGINE_IDLE_TIMEOUT", 300.0),
            default_max_rows=int(_float(env, "CONEXOR_DEFAULT_MAX_ROWS", 1000)),
            default_timeout_s=_float(env, "CONEXOR_QUERY_TIMEOUT", 30.0),
            auth_failures_per_minute=int(_float(env, "CONEXOR_AUTH_FAILURES_PER_MINUTE", 20)),
            allowed_hosts=allowed,
            audit_signer=load_signing_key(data_dir, env),
            checkpoint_every_records=int(_float(env, "CONEXOR_CHECKPOINT_RECORDS", 1000)),
            checkpoint_every_seconds=_float(env, "CONEXOR_CHECKPOINT_SECONDS", 60.0),
            checkpoint_heartbeat_seconds=_float(env, "CONEXOR_CHECKPOINT_HEARTBEAT", 3600.0),
            audit_forward=env.get("CONEXOR_AUDIT_FORWARD") or None,
            audit_forward_ca=Path(ca) if (ca := env.get("CONEXOR_AUDIT_FORWARD_CA")) else None,
            hec_token=Secret(tok.encode()) if (tok := env.get("CONEXOR_HEC_TOKEN")) else None,
            sqlite_dirs=_sqlite_dirs(sqlite_dirs, env),
            redis_url=redis_url or env.get("CONEXOR_REDIS_URL") or None,
        )


def _sqlite_dirs(given: tuple[Path, ...] | None, env: Mapping[str, str]) -> tuple[Path, ...]:
    """Resolved directories whose files cloud-mode SQLite URLs may name (see ``SqliteFiles``)."""
    if given is None:
        raw = env.get("CONEXOR_SQLITE_DIRS", "")
        given = tuple(Path(p) for p in raw.split(os.pathsep) if p.strip())
    return tuple(p.expanduser().resolve() for p in given)


def _float(env: Mapping[str, str], name: str, default: float) -> float:
    raw = env.get(name)
    if raw is None or raw == "":
        return default
    try:
        value = float(raw)
    except ValueError:
        raise ConfigError(f"{name} must be a number") from None
    if value <= 0:
        raise ConfigError(f"{name} must be positive")
    return value


def load_pepper(data_dir: Path, env: Mapping[str, str]) -> Secret:
    """Return the server pepper: ``CONEXOR_PEPPER`` (base64) or a 0600 file beside the store.

    The pepper keys the API-key hashes. It lives outside the store so that a
    copy of the store alone cannot even test guesses against the hashes.
    """
    raw = env.get("CONEXOR_PEPPER")
    if raw:
        try:
            value = base64.b64decode(raw, validate=True)
        except (binascii.Error, ValueError):
            raise ConfigError("CONEXOR_PEPPER must be base64") from None
        if len(value) < 32:
            raise ConfigError("CONEXOR_PEPPER must hold at least 32 bytes")
        return Secret(value)
    path = data_dir / PEPPER_FILE
    if not path.exists():
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "wb") as out:
            out.write(secrets.token_bytes(32))
    mode = stat.S_IMODE(path.stat().st_mode)
    if mode & 0o077:
        raise ConfigError(
            f"the pepper file in the data directory must have mode 0600, not {mode:o}"
        )
    value = path.read_bytes()
    if len(value) < 32:
        raise ConfigError("the pepper file in the data directory is too short")
    return Secret(value)


def load_signing_key(data_dir: Path, env: Mapping[str, str]) -> SignerKey:
    """The audit checkpoint signing key: ``CONEXOR_AUDIT_SIGNING_KEY`` or a 0600 file.

    The key signs checkpoints that customers keep outside the server; keep it
    on another host than the store (pass it through the environment from a
    secret manager) so that a copy of the store cannot forge checkpoints.
    """
    raw = env.get("CONEXOR_AUDIT_SIGNING_KEY")
    if raw:
        try:
            return parse_signer(raw)
        except AuditError:
            raise ConfigError("CONEXOR_AUDIT_SIGNING_KEY is not a signing key") from None
    path = data_dir / SIGNING_KEY_FILE
    if not path.exists():
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w", encoding="ascii") as out:
            out.write(generate_signer(DEFAULT_KEY_NAME).to_text() + "\n")
    mode = stat.S_IMODE(path.stat().st_mode)
    if mode & 0o077:
        raise ConfigError(
            f"the audit signing key file in the data directory must have mode 0600, not {mode:o}"
        )
    try:
        return parse_signer(path.read_text(encoding="ascii"))
    except (AuditError, UnicodeDecodeError):
        raise ConfigError("the audit signing key file in the data directory is malformed") from None
