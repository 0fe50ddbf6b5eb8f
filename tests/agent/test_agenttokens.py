from __future__ import annotations

import contextlib

import pytest
from hypothesis import given
from hypothesis import strategies as st

from conexor.crypto import generate_api_key, parse_api_key
from conexor.crypto.agenttokens import (
    InvalidAgentToken,
    generate_agent_token,
    make_token_verifier,
    parse_agent_token,
    verify_agent_token,
)
from conexor.crypto.errors import MalformedApiKey

PEPPER = bytes(range(32))


def test_generate_parse_verify() -> None:
    token = generate_agent_token()
    assert token.text.startswith("cnxa_") and "***" in repr(token) and token.text not in repr(token)
    assert parse_agent_token(token.text) == token
    verifier = make_token_verifier(token, PEPPER)
    assert verify_agent_token(token, verifier, PEPPER)
    assert not verify_agent_token(generate_agent_token(), verifier, PEPPER)
    assert not verify_agent_token(token, verifier, bytes(32))


def test_tokens_and_api_keys_never_pass_as_each_other() -> None:
    with pytest.raises(InvalidAgentToken):
        parse_agent_token(generate_api_key().text)
    with pytest.raises(MalformedApiKey):
        parse_api_key(generate_agent_token().text)


def test_every_single_character_typo_is_caught() -> None:
    text = generate_agent_token().text
    for i in range(len(text)):
        changed = text[:i] + ("0" if text[i] != "0" else "1") + text[i + 1 :]
        with pytest.raises(InvalidAgentToken):
            parse_agent_token(changed)


@given(st.text(max_size=80))
def test_arbitrary_text_raises_only_invalid_agent_token(text: str) -> None:
    with contextlib.suppress(InvalidAgentToken):
        parse_agent_token(text)
