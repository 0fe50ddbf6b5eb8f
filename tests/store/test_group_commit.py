"""Group commit of audit records: shared transactions, the same guarantees.

Concurrent appends share one transaction, yet every caller gets back its own
record only after that record is committed, the chain stays gap-free, and a
failed commit fails every call in the batch (fail closed).
"""

from __future__ import annotations

import dataclasses
import threading
from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest
from sqlalchemy import Engine, event, text

from conexor.audit import AuditWriteFailed, verify
from conexor.store import Accounts, AuditLog, migrate, open_store_engine
from tests.audit.audit_factory import make_draft
from tests.services import unique


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def engine(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Engine]:
    if request.param == "sqlite":
        store = open_store_engine(f"sqlite:///{tmp_path / 'store.db'}")
        migrate(store)
        yield store
        store.dispose()
        return
    admin: psycopg.Connection = request.getfixturevalue("pg_admin")
    name = unique("cnx_gc")
    admin.execute(f"CREATE DATABASE {name}")
    store = open_store_engine(f"postgresql+psycopg://postgres@127.0.0.1:5432/{name}")
    try:
        migrate(store)
        yield store
    finally:
        store.dispose()
        admin.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")


def _orgs(engine: Engine, n: int) -> list[str]:
    accounts = Accounts(engine)
    return [
        accounts.create_org_with_user(
            org_name=f"o{i}",
            email=f"{unique('u')}@example.com",
            key_id=unique("k")[:12].ljust(12, "x").replace("_", "x"),
            salt=b"s" * 16,
            digest=b"d" * 32,
        ).org_id
        for i in range(n)
    ]


def test_concurrent_appends_stay_gap_free_per_org(engine: Engine) -> None:
    orgs = _orgs(engine, 2)
    audit = AuditLog(engine)
    returned: list[tuple[str, int]] = []
    start = threading.Barrier(12)

    def caller(n: int) -> None:
        start.wait()
        for i in range(15):
            draft = dataclasses.replace(make_draft(n * 100 + i), org_id=orgs[n % 2])
            record = audit.append(draft)
            returned.append((record.org_id, record.seq))

    threads = [threading.Thread(target=caller, args=(n,)) for n in range(12)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(120)
    assert len(returned) == len(set(returned)) == 180
    for org in orgs:
        trail = list(audit.iter_all(org))
        assert [r.seq for r in trail] == list(range(1, 91))
        verify(trail)  # raises on any broken link or hash
        assert {seq for o, seq in returned if o == org} == set(range(1, 91))


def test_callers_share_a_transaction_and_return_after_it_commits(engine: Engine) -> None:
    (org,) = _orgs(engine, 1)
    commits: list[int] = []
    event.listen(engine, "commit", lambda _conn: commits.append(1))
    audit = AuditLog(engine)
    first_in = threading.Event()
    release = threading.Event()
    original = audit._write

    def slow_write(batch):  # type: ignore[no-untyped-def]
        first_in.set()
        release.wait(30)  # the others queue up meanwhile
        return original(batch)

    audit._write = slow_write  # type: ignore[method-assign]
    done: list[int] = []

    def caller(i: int) -> None:
        done.append(audit.append(dataclasses.replace(make_draft(i), org_id=org)).seq)

    leader = threading.Thread(target=caller, args=(0,))
    leader.start()
    assert first_in.wait(30)
    followers = [threading.Thread(target=caller, args=(i,)) for i in range(1, 9)]
    for t in followers:
        t.start()
    while len(audit._queue) < 8:  # all eight are waiting behind the leader's transaction
        threading.Event().wait(0.01)
    assert done == []  # nobody returns before its record is committed
    before = len(commits)
    release.set()
    for t in [leader, *followers]:
        t.join(60)
    assert sorted(done) == list(range(1, 10))
    assert len(commits) - before == 2  # the leader's, then one for all eight followers


def test_a_failed_commit_fails_every_call_in_the_batch(engine: Engine) -> None:
    (org,) = _orgs(engine, 1)
    audit = AuditLog(engine)
    audit.append(dataclasses.replace(make_draft(0), org_id=org))
    with engine.begin() as conn:  # the store now refuses new audit rows
        if engine.dialect.name == "sqlite":
            conn.execute(
                text(
                    "CREATE TRIGGER refuse BEFORE INSERT ON audit_records "
                    "BEGIN SELECT RAISE(ABORT, 'refused'); END"
                )
            )
        else:
            conn.execute(
                text(
                    "CREATE FUNCTION refuse() RETURNS trigger LANGUAGE plpgsql AS "
                    "$$ BEGIN RAISE EXCEPTION 'refused'; END $$"
                )
            )
            conn.execute(
                text(
                    "CREATE TRIGGER refuse BEFORE INSERT ON audit_records "
                    "FOR EACH ROW EXECUTE FUNCTION refuse()"
                )
            )
    errors: list[BaseException] = []

    def caller(i: int) -> None:
        try:
            audit.append(dataclasses.replace(make_draft(i), org_id=org))
        except AuditWriteFailed as exc:
            errors.append(exc)

    threads = [threading.Thread(target=caller, args=(i,)) for i in range(1, 7)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert len(errors) == 6
    assert [r.seq for r in audit.iter_all(org)] == [1]


def test_an_unknown_organisation_fails_only_its_own_call(engine: Engine) -> None:
    (org,) = _orgs(engine, 1)
    audit = AuditLog(engine)
    with pytest.raises(AuditWriteFailed):
        audit.append(dataclasses.replace(make_draft(0), org_id="no-such-org"))
    assert audit.append(dataclasses.replace(make_draft(1), org_id=org)).seq == 1
