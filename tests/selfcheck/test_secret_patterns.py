"""The regular expressions docs/api-keys.md gives secret scanners match real keys and tokens."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from conexor.crypto import generate_api_key
from conexor.crypto.agenttokens import generate_agent_token
from conexor.logs import AGENT_TOKEN_PATTERN, API_KEY_PATTERN

DOC = (Path(__file__).resolve().parents[2] / "docs" / "api-keys.md").read_text()


def _documented(secret: str) -> re.Pattern[str]:
    row = re.search(rf"^\| {secret} \| `([^`]+)` \|", DOC, re.M)
    assert row, f"no pattern row for {secret}"
    return re.compile(row.group(1))


def _scanner() -> Any:
    block = DOC.split("```python\nimport re\nimport zlib\n", 1)[1].split("```", 1)[0]
    namespace: dict[str, Any] = {}
    exec("import re\nimport zlib\n" + block, namespace)
    return namespace["conexor_secrets"]


def test_documented_patterns_match_generated_secrets_and_not_each_other() -> None:
    key_re, token_re, either = (
        _documented("API key"),
        _documented("agent token"),
        _documented("either"),
    )
    assert key_re.pattern == API_KEY_PATTERN.pattern
    assert token_re.pattern == AGENT_TOKEN_PATTERN.pattern
    for _ in range(200):
        key, token = generate_api_key().text, generate_agent_token().text
        assert key_re.fullmatch(key) and not token_re.search(key)
        assert token_re.fullmatch(token) and not key_re.search(token)
        assert either.search(f"leaked: {key}.") and either.search(f"token={token}\n")


def test_the_documented_checksum_check_finds_real_secrets_only() -> None:
    conexor_secrets = _scanner()
    key, token = generate_api_key().text, generate_agent_token().text
    typo = key[:-7] + ("B" if key[-7] != "B" else "C") + key[-6:]
    text = f"config:\n  key: {key}\n  agent: {token}\n  old: {typo}\n"
    assert conexor_secrets(text) == [key, token]
