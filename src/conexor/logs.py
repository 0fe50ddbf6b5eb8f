"""Logging that cannot leak credentials: every line passes a redacting formatter.

Secrets are kept out of log calls in the first place; this is the net under
that rule. It rewrites, in the fully formatted line (tracebacks included):
the user-info part of any URL (``scheme://user:password@host`` becomes
``scheme://***@host``) and anything shaped like a conexor API key.
"""

from __future__ import annotations

import logging
import re
import sys

__all__ = ["API_KEY_PATTERN", "RedactingFormatter", "configure_logging", "redact_secrets"]

API_KEY_PATTERN = re.compile(r"cnx_[0-9A-Za-z]{12}_[0-9A-Za-z]{49}")
_URL_USERINFO = re.compile(r"(?P<scheme>\b[A-Za-z][A-Za-z0-9+.-]*://)(?P<userinfo>[^/\s@]*)@")
_FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"


def redact_secrets(text: str) -> str:
    """``text`` with URL credentials and API-key-shaped strings replaced by ``***``."""
    text = _URL_USERINFO.sub(lambda m: f"{m.group('scheme')}***@", text)
    return API_KEY_PATTERN.sub("cnx_***", text)


class RedactingFormatter(logging.Formatter):
    """A formatter whose every output line has been through :func:`redact_secrets`."""

    def format(self, record: logging.LogRecord) -> str:
        """Format as usual, then redact the whole line, traceback included."""
        return redact_secrets(super().format(record))


def configure_logging(level: int = logging.INFO) -> None:
    """Send all logs (uvicorn's included) to stderr through the redacting formatter."""
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(RedactingFormatter(_FORMAT))
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
