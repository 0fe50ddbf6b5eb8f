"""The checkpointer's cached Merkle state never outlives the history it was built from.

Regression: after the store was rolled back and refilled while the server kept
running, the next checkpoint was signed over the cached old history.
"""

from __future__ import annotations

import dataclasses
import hashlib
from pathlib import Path

from sqlalchemy import text

from conexor.audit import SignerKey, parse_checkpoint
from conexor.audit.merkle import root
from conexor.server.checkpoints import Checkpointer
from conexor.store import Accounts, AuditLog, migrate, open_store_engine
from tests.audit.audit_factory import make_draft


def test_checkpoint_after_a_rollback_covers_what_the_store_holds(tmp_path: Path) -> None:
    engine = open_store_engine(f"sqlite:///{tmp_path / 'store.db'}")
    migrate(engine)
    org = (
        Accounts(engine)
        .create_org_with_user(
            org_name="o", email="a@example.com", key_id="A" * 12, salt=b"s" * 16, digest=b"d" * 32
        )
        .org_id
    )
    audit = AuditLog(engine)
    signer = SignerKey("test.example/audit", hashlib.sha256(b"cache-test").digest())
    checkpointer = Checkpointer(
        audit, signer, every_records=1, every_seconds=1, heartbeat_seconds=1
    )
    for i in range(5):
        audit.append(dataclasses.replace(make_draft(i), org_id=org))
    checkpointer.issue(org)

    # The operator restores an older backup (3 records), and new calls refill seq 4 and 5.
    with engine.begin() as conn:
        for trigger in ("no_update", "no_delete"):
            conn.execute(text(f"DROP TRIGGER IF EXISTS audit_records_{trigger}"))
        conn.execute(text("DELETE FROM audit_records WHERE seq > 3"))
        head = conn.execute(
            text("SELECT record_hash FROM audit_records WHERE seq = 3")
        ).scalar_one()
        conn.execute(text("UPDATE audit_heads SET seq = 3, head_hash = :h"), {"h": head})
    for i in range(7, 9):
        audit.append(dataclasses.replace(make_draft(i), org_id=org))

    cp = checkpointer.issue(org)
    assert cp is not None and cp.size == 5
    held = audit.record_hashes(org, after_seq=0, upto_seq=5)
    assert parse_checkpoint(cp.to_text()).root == root(held)
    engine.dispose()
