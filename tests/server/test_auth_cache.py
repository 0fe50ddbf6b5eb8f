"""Authentication and the tool registry read the store once per key, not once per call."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import anyio
import pytest
from sqlalchemy import Engine, event

from conexor.config import Secret
from conexor.crypto import generate_api_key, generate_pepper, make_verifier
from conexor.server.auth import Authenticator
from conexor.server.errors import InvalidApiKey
from conexor.server.ratelimit import FailureLimiter
from conexor.store import Accounts, Databases, Principal, migrate, open_store_engine
from conexor.store.readcache import ReadCache
from conexor.store.tools import Tools
from conexor.tools.registry import Registry


@pytest.fixture
def store(tmp_path: Path) -> Iterator[Engine]:
    engine = open_store_engine(f"sqlite:///{tmp_path / 'store.db'}")
    migrate(engine)
    yield engine
    engine.dispose()


class Statements:
    """Counts the SQL statements the store receives."""

    def __init__(self, engine: Engine) -> None:
        self.count = 0
        event.listen(engine, "before_cursor_execute", self._seen)

    def _seen(self, *_args: object) -> None:
        self.count += 1


def _account(store: Engine, pepper: bytes) -> tuple[str, Principal]:
    key = generate_api_key()
    verifier = make_verifier(key, pepper)
    principal = Accounts(store).create_org_with_user(
        org_name="Acme",
        email="a@example.com",
        key_id=key.key_id,
        salt=verifier.salt,
        digest=verifier.digest,
    )
    return key.text, principal


def test_second_authentication_reads_nothing_and_a_drop_sees_revocation(store: Engine) -> None:
    pepper = generate_pepper()
    text, principal = _account(store, pepper)
    cache = ReadCache(ttl_s=60.0)
    auth = Authenticator(Accounts(store), Secret(pepper), FailureLimiter(100), cache)
    statements = Statements(store)

    assert auth.authenticate_cached(text, "c") is None  # nothing cached yet: read the store
    assert auth.authenticate(text, "c").principal == principal
    first = statements.count
    assert first > 0
    assert auth.authenticate(text, "c").principal == principal
    cached = auth.authenticate_cached(text, "c")
    assert cached is not None and cached.principal == principal
    assert statements.count == first  # served from memory

    with pytest.raises(InvalidApiKey):  # the secret is still checked on a hit
        auth.authenticate_cached(text[:-10] + "A" * 10, "c")

    Accounts(store).revoke(principal, principal.key_id)
    cache.clear()  # what every change does (the invalidator)
    with pytest.raises(InvalidApiKey):
        auth.authenticate(text, "c")


def test_tool_lookup_reads_the_store_once_per_key(store: Engine) -> None:
    _, principal = _account(store, generate_pepper())
    registry = Registry(Tools(store), Databases(store), ReadCache(ttl_s=60.0))
    statements = Statements(store)

    async def twice() -> None:
        for _ in range(2):
            assert await registry.find(principal, "query") is not None
            assert [t.spec.name for t in await registry.for_key(principal)][:1] == [
                "list_databases"
            ]

    anyio.run(twice)
    reads = statements.count
    anyio.run(twice)
    assert statements.count == reads
