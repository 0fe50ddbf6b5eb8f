"""Re-wrap a database's credential for another API key, on this machine.

The server only ever sees the new envelope: the data key is unwrapped with a
key that already has access and wrapped for the new one here (PBKDF2 runs
locally), so sharing and rotation need no trust in the server.
"""

from __future__ import annotations

import json
from typing import Any

from conexor.cli.client import ApiClient
from conexor.crypto import AadContext, ApiKey, Envelope, add_wrap

__all__ = ["share_database"]


def share_database(api: ApiClient, name: str, holder: ApiKey, new_key: ApiKey) -> dict[str, Any]:
    """Add a wrap for ``new_key`` to the database's envelope, opened with ``holder``."""
    current = api.request("GET", f"/databases/{name}/envelope")
    envelope = Envelope.from_json(json.dumps(current["envelope"]))
    if envelope.wrap_for(new_key.key_id) is not None:
        return {"name": name, "key_ids": list(envelope.key_ids)}
    ctx = AadContext(
        org_id=current["org_id"], database_id=current["id"], revision=current["revision"]
    )
    shared = add_wrap(envelope, holder, new_key, ctx)
    result: dict[str, Any] = api.request(
        "PUT",
        f"/databases/{name}/envelope",
        json={"revision": current["revision"], "envelope": json.loads(shared.to_json())},
    )
    return result
