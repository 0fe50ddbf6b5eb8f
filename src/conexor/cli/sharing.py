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


def share_database(
    api: ApiClient, name: str, holder: ApiKey, new_key: ApiKey, mode: str | None = None
) -> dict[str, Any]:
    """Let ``new_key`` use the database: a new wrap (cloud mode) or an access grant (agent mode).

    ``mode`` saves a lookup when the caller already knows it.
    """
    if mode is None:
        listed = api.request("GET", "/databases")["databases"]
        mode = next((d["mode"] for d in listed if d["name"] == name), "cloud")
    if mode == "agent":
        result: dict[str, Any] = api.request(
            "POST", f"/databases/{name}/access", json={"key_id": new_key.key_id}
        )
        return result
    current = api.request("GET", f"/databases/{name}/envelope")
    envelope = Envelope.from_json(json.dumps(current["envelope"]))
    if envelope.wrap_for(new_key.key_id) is not None:
        return {"name": name, "key_ids": list(envelope.key_ids)}
    ctx = AadContext(
        org_id=current["org_id"], database_id=current["id"], revision=current["revision"]
    )
    shared = add_wrap(envelope, holder, new_key, ctx)
    result = api.request(
        "PUT",
        f"/databases/{name}/envelope",
        json={"revision": current["revision"], "envelope": json.loads(shared.to_json())},
    )
    return result
