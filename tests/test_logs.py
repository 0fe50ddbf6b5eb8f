"""The redacting log formatter: no URL credentials or API keys survive a log line."""

from __future__ import annotations

import logging
import string

from hypothesis import given
from hypothesis import strategies as st

from conexor.crypto import generate_api_key
from conexor.logs import API_KEY_PATTERN, RedactingFormatter, redact_secrets

_userinfo = st.text(
    alphabet=string.ascii_letters + string.digits + "-._~%!$&'()*+,;=:", min_size=1, max_size=40
)
_scheme = st.sampled_from(
    ["postgresql", "postgresql+psycopg", "mysql", "mariadb", "https", "redis"]
)


@given(scheme=_scheme, user=_userinfo, password=_userinfo, prefix=st.text(max_size=30))
def test_url_credentials_are_redacted(scheme: str, user: str, password: str, prefix: str) -> None:
    secret = f"{user}:{password}"
    line = f"{prefix} connection to {scheme}://{secret}@db.internal:5432/sales failed"
    out = redact_secrets(line)
    assert f"{scheme}://***@db.internal:5432/sales" in out
    assert f"://{secret}@" not in out


def test_api_keys_are_redacted_and_the_pattern_matches_real_keys() -> None:
    for _ in range(50):
        key = generate_api_key().text
        assert API_KEY_PATTERN.fullmatch(key)
        assert key not in redact_secrets(f"bad key {key} given")


def test_tracebacks_are_redacted_too() -> None:
    key = generate_api_key().text
    formatter = RedactingFormatter("%(message)s")
    try:
        raise RuntimeError(f"could not connect to postgresql://app:Hunter2@db/x with {key}")
    except RuntimeError:
        import sys

        record = logging.LogRecord("t", logging.ERROR, __file__, 1, "failed", None, sys.exc_info())
    text = formatter.format(record)
    assert "Hunter2" not in text and key not in text
    assert "postgresql://***@db/x" in text
