"""Logging that cannot leak credentials: every line passes a redacting formatter.

Secrets are kept out of log calls in the first place; this is the net under
that rule. It rewrites, in the fully formatted line (tracebacks included):
the user-info part of any URL (``scheme://user:password@host`` becomes
``scheme://***@host``, up to the last ``@`` so a password holding one does not
leave its tail behind), libpq-style ``password=...`` values, and anything
shaped like a conexor API key or agent token.
"""

from __future__ import annotations

import json
import logging
import os
import re
import sys
from datetime import UTC, datetime

__all__ = [
    "AGENT_TOKEN_PATTERN",
    "API_KEY_PATTERN",
    "JsonFormatter",
    "RedactingFormatter",
    "configure_logging",
    "redact_secrets",
]

API_KEY_PATTERN = re.compile(r"cnx_[0-9A-Za-z]{12}_[0-9A-Za-z]{49}")
AGENT_TOKEN_PATTERN = re.compile(r"cnxa_[0-9A-Za-z]{12}_[0-9A-Za-z]{49}")
# Greedy up to the last "@" before the path: "u:p@ss@host" hides "u:p@ss".
_URL_USERINFO = re.compile(r"(?P<scheme>\b[A-Za-z][A-Za-z0-9+.-]*://)(?P<userinfo>[^/\s]*)@")
_KV_PASSWORD = re.compile(r"""(?P<key>\bpassword\s*=\s*)(?:'[^']*'|"[^"]*"|[^\s'"]+)""", re.I)
_FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"


def redact_secrets(text: str) -> str:
    """``text`` with URL credentials, passwords, API keys and agent tokens replaced by ``***``."""
    text = _URL_USERINFO.sub(lambda m: f"{m.group('scheme')}***@", text)
    text = _KV_PASSWORD.sub(lambda m: f"{m.group('key')}***", text)
    text = AGENT_TOKEN_PATTERN.sub("cnxa_***", text)
    return API_KEY_PATTERN.sub("cnx_***", text)


class RedactingFormatter(logging.Formatter):
    """A formatter whose every output line has been through :func:`redact_secrets`."""

    def format(self, record: logging.LogRecord) -> str:
        """Format as usual, then redact the whole line, traceback included."""
        return redact_secrets(super().format(record))


class JsonFormatter(logging.Formatter):
    """One JSON object per line, for log shippers; every text field redacted like the rest.

    Fields: ``ts`` (UTC, ISO 8601), ``level``, ``logger``, ``message`` and, for
    exceptions, ``exc`` (the formatted traceback).
    """

    def format(self, record: logging.LogRecord) -> str:
        """The record as compact JSON, redacted field by field."""
        entry: dict[str, str] = {
            "ts": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": redact_secrets(record.getMessage()),
        }
        if record.exc_info:
            entry["exc"] = redact_secrets(self.formatException(record.exc_info))
        return json.dumps(entry, ensure_ascii=False)


def configure_logging(level: int = logging.INFO, fmt: str | None = None) -> None:
    """Send all logs (uvicorn's included) to stderr through a redacting formatter.

    ``fmt`` is ``text`` (default) or ``json``; unset, ``CONEXOR_LOG_FORMAT`` decides.
    """
    fmt = fmt or os.environ.get("CONEXOR_LOG_FORMAT", "text")
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(JsonFormatter() if fmt == "json" else RedactingFormatter(_FORMAT))
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level)
    for name in ("uvicorn", "uvicorn.error", "uvicorn.access"):
        logger = logging.getLogger(name)
        logger.handlers.clear()
        logger.propagate = True
    # The SQL parser logs statements it cannot fully parse; statements stay out of the log.
    logging.getLogger("sqlglot").setLevel(logging.ERROR)
    # The HTTP client logs every request URL, long-poll session ids included.
    logging.getLogger("httpx2").setLevel(logging.WARNING)
