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


def test_agent_tokens_are_redacted_and_the_pattern_matches_real_tokens() -> None:
    from conexor.crypto.agenttokens import generate_agent_token
    from conexor.logs import AGENT_TOKEN_PATTERN

    for _ in range(50):
        token = generate_agent_token().text
        assert AGENT_TOKEN_PATTERN.fullmatch(token)
        assert not API_KEY_PATTERN.search(token)
        out = redact_secrets(f"< authorization: Bearer {token}")
        assert token not in out and token.split("_")[2] not in out


_password_with_at = st.text(
    alphabet=string.ascii_letters + string.digits + "@!$&", min_size=8, max_size=30
).filter(lambda p: "@" in p)


@given(password=_password_with_at, host=st.sampled_from(["db", "10.0.0.5", "db.internal:5432"]))
def test_an_unencoded_at_sign_in_the_password_does_not_leak_its_tail(
    password: str, host: str
) -> None:
    line = f"OperationalError: connection to postgresql://app:{password}@{host}/sales failed"
    out = redact_secrets(line)
    assert f"postgresql://***@{host}/sales failed" in out
    assert password not in out


@given(password=st.text(alphabet=string.ascii_letters + string.digits + "!#%&-", min_size=8))
def test_libpq_keyword_passwords_are_redacted(password: str) -> None:
    out = redact_secrets(f'invalid dsn: "host=db user=app password={password} dbname=x"')
    assert password not in out
    assert "password=***" in out


@given(
    template=st.sampled_from(
        [
            "(psycopg.OperationalError) could not connect to {url}\n(Background: https://sqlalche.me/e/20/e3q8)",
            "Could not parse SQLAlchemy URL from string '{url}'",
            'FATAL:  password authentication failed ("{url}")',
            'Traceback (most recent call last):\n  File "x.py", line 1\nValueError: bad url <{url}>',
        ]
    ),
    scheme=_scheme,
    user=_userinfo.filter(lambda u: "@" not in u),
    password=st.text(
        alphabet=string.ascii_letters + string.digits + "-._~%!$&()*+,;=:@", min_size=1, max_size=30
    ),
)
def test_credentialed_urls_in_driver_messages_never_reach_a_log_line(
    template: str, scheme: str, user: str, password: str
) -> None:
    secret = f"pw{password}"
    record = logging.LogRecord(
        "sqlalchemy",
        logging.ERROR,
        __file__,
        1,
        template.format(url=f"{scheme}://{user}:{secret}@db:5432/x"),
        None,
        None,
    )
    assert secret not in RedactingFormatter("%(levelname)s %(message)s").format(record)


def test_json_format_is_one_redacted_object_per_line() -> None:
    import io
    import json
    import logging

    from conexor.logs import JsonFormatter

    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(JsonFormatter())
    logger = logging.getLogger("conexor.test.json")
    logger.addHandler(handler)
    logger.propagate = False
    try:
        logger.warning("connect to postgresql://bob:hunter2@db/x failed")
        try:
            raise ValueError("password=hunter2")
        except ValueError:
            logger.exception("boom")
    finally:
        logger.removeHandler(handler)
    lines = stream.getvalue().splitlines()
    assert len(lines) == 2
    first, second = (json.loads(line) for line in lines)
    assert first["level"] == "WARNING" and first["logger"] == "conexor.test.json"
    assert first["message"] == "connect to postgresql://***@db/x failed"
    assert "hunter2" not in stream.getvalue()
    assert "ValueError" in second["exc"]
