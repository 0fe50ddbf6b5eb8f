"""Rebuild ``envelope-v1.json``, the credential envelope test vectors.

Every "random" input (API key secrets, data keys, nonces, salts) is derived
from a fixed label with SHA-256, so running this script twice gives the same
file byte for byte. Invalid cases are built by editing a valid envelope in a
named way; the expected error is declared here, by construction, and the
script refuses to write a file if the Python implementation disagrees.

Usage (with conexor importable, e.g. installed in the virtualenv)::

    python tests/vectors/generate_envelope_v1.py           # rewrite the file
    python tests/vectors/generate_envelope_v1.py --check   # exit 1 if stale
"""

from __future__ import annotations

import argparse
import hashlib
import json
import sys
from pathlib import Path
from typing import Any

from conexor.crypto import (
    AadContext,
    ApiKey,
    CryptoError,
    Envelope,
    unseal,
)
from conexor.crypto import kdf as kdf_module
from conexor.crypto.apikeys import _make_api_key
from conexor.crypto.encoding import b64url_decode, b64url_encode
from conexor.crypto.envelope import _add_wrap, _content_aad, _seal, _wrap_aad, remove_wrap

VECTOR_FILE = Path(__file__).with_name("envelope-v1.json")
ITERATIONS = kdf_module.DEFAULT_ITERATIONS
_LABEL_PREFIX = b"conexor/envelope-v1/vectors/"


def det(label: str, size: int) -> bytes:
    """Fixed pseudo-random bytes: the first ``size`` bytes of SHA-256(prefix || label)."""
    digest = hashlib.sha256(_LABEL_PREFIX + label.encode("utf-8")).digest()
    assert size <= len(digest)
    return digest[:size]


# Keys. "impostor" shares alice's key id but has another secret.
ALICE = _make_api_key(key_id="vecAlice0001", secret=det("key/alice", 32))
BOB = _make_api_key(key_id="vecBob000002", secret=det("key/bob", 32))
CAROL = _make_api_key(key_id="vecCarol0003", secret=det("key/carol", 32))
MALLORY = _make_api_key(key_id="vecMallory04", secret=det("key/mallory", 32))
IMPOSTOR = _make_api_key(key_id="vecAlice0001", secret=det("key/impostor", 32))

CTX_SALES = AadContext(org_id="org_7Hq2xK", database_id="db_3kP9sales", revision=1)
CTX_WAREHOUSE = AadContext(org_id="org_7Hq2xK", database_id="db_Wh42", revision=7)
CTX_UNICODE = AadContext(org_id="org-Zürich", database_id="db/ü 1", revision=0)


def ctx_json(ctx: AadContext) -> dict[str, Any]:
    return {
        "org_id": ctx.org_id,
        "database_id": ctx.database_id,
        "revision": ctx.revision,
        "purpose": ctx.purpose,
    }


def seal_case(
    case_id: str, comment: str, plaintext: bytes, keys: list[ApiKey], ctx: AadContext
) -> tuple[dict[str, Any], Envelope]:
    dek = det(f"{case_id}/dek", 32)
    nonce = det(f"{case_id}/nonce", 12)
    salts = [det(f"{case_id}/salt/{k.key_id}", 16) for k in keys]
    wrap_nonces = [det(f"{case_id}/wrap-nonce/{k.key_id}", 12) for k in keys]
    env = _seal(
        plaintext,
        keys,
        ctx,
        dek=dek,
        nonce=nonce,
        salts=salts,
        wrap_nonces=wrap_nonces,
        iterations=ITERATIONS,
    )
    content_aad = _content_aad(ctx)
    wrap_aads = [_wrap_aad(ctx, k.key_id, ITERATIONS, s) for k, s in zip(keys, salts, strict=True)]
    keks = [
        kdf_module.derive_kek(k.text.encode("ascii"), s, ITERATIONS)
        for k, s in zip(keys, salts, strict=True)
    ]
    case = {
        "id": case_id,
        "comment": comment,
        "result": "valid",
        "keys": [k.text for k in keys],
        "ctx": ctx_json(ctx),
        "plaintext_hex": plaintext.hex(),
        "dek_hex": dek.hex(),
        "nonce_hex": nonce.hex(),
        "salts_hex": [s.hex() for s in salts],
        "wrap_nonces_hex": [n.hex() for n in wrap_nonces],
        "iterations": ITERATIONS,
        "intermediate": {
            "content_aad": content_aad.decode("utf-8"),
            "content_aad_hex": content_aad.hex(),
            "wrap_aads": [a.decode("utf-8") for a in wrap_aads],
            "wrap_aads_hex": [a.hex() for a in wrap_aads],
            "keks_hex": [k.hex() for k in keks],
        },
        "envelope": env.to_json(),
    }
    return case, env


def unseal_case(
    case_id: str, comment: str, envelope: str, key: ApiKey, ctx: AadContext, plaintext: bytes
) -> dict[str, Any]:
    return {
        "id": case_id,
        "comment": comment,
        "result": "valid",
        "key": key.text,
        "ctx": ctx_json(ctx),
        "envelope": envelope,
        "plaintext_hex": plaintext.hex(),
    }


def invalid_case(
    case_id: str, comment: str, envelope: str, key: ApiKey, ctx: AadContext, error: str
) -> dict[str, Any]:
    return {
        "id": case_id,
        "comment": comment,
        "result": "invalid",
        "key": key.text,
        "ctx": ctx_json(ctx),
        "envelope": envelope,
        "error": error,
    }


def compact(document: Any) -> str:
    return json.dumps(document, separators=(",", ":"), ensure_ascii=True)


def edit(env: Envelope, change: Any) -> str:
    """Apply ``change`` to a deep copy of the envelope's JSON document."""
    document = json.loads(env.to_json())
    change(document)
    return compact(document)


def flip_b64(text: str, byte_index: int) -> str:
    data = bytearray(b64url_decode(text))
    data[byte_index] ^= 0x01
    return b64url_encode(bytes(data))


def resize_b64(text: str, size: int) -> str:
    return b64url_encode(b64url_decode(text)[:size])


def set_unused_bit(text: str) -> str:
    """Flip the lowest bit of the last character of a 16-byte value (22 characters).

    22 characters carry 132 bits for 128 bits of data, so that bit is unused.
    """
    alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
    assert len(text) == 22
    return text[:-1] + alphabet[alphabet.index(text[-1]) ^ 1]


def set_in(path: list[str | int], value: Any) -> Any:
    def change(document: Any) -> None:
        target = document
        for step in path[:-1]:
            target = target[step]
        target[path[-1]] = value

    return change


def build() -> dict[str, Any]:
    """Build the whole vector document."""
    pg_url = b"postgresql://reader:s3cr3t-Pa55@db.example.com:5432/sales?sslmode=require"
    my_url = "mysql://analyst:pässwörd@10.0.0.5:3306/warehouse?charset=utf8mb4".encode()

    seal_one, env_one = seal_case(
        "seal-one-key", "One key, ASCII PostgreSQL URL.", pg_url, [ALICE], CTX_SALES
    )
    seal_two, env_two = seal_case(
        "seal-two-keys",
        "Two keys; the plaintext has non-ASCII UTF-8; revision 7.",
        my_url,
        [ALICE, BOB],
        CTX_WAREHOUSE,
    )
    seal_empty, _ = seal_case(
        "seal-empty-plaintext-unicode-context",
        "Empty plaintext (ciphertext is the tag alone); non-ASCII org and database ids in the "
        "AAD, which RFC 8785 writes as raw UTF-8; revision 0.",
        b"",
        [BOB],
        CTX_UNICODE,
    )

    added = _add_wrap(
        env_one,
        ALICE,
        CAROL,
        CTX_SALES,
        salt=det("add-wrap/salt", 16),
        nonce=det("add-wrap/nonce", 12),
        iterations=ITERATIONS,
    )
    removed = remove_wrap(env_two, ALICE.key_id)
    reordered_doc = json.loads(env_two.to_json())
    reordered = json.dumps(
        {
            "wraps": [dict(reversed(list(w.items()))) for w in reversed(reordered_doc["wraps"])],
            "ct": reordered_doc["ct"],
            "nonce": reordered_doc["nonce"],
            "alg": reordered_doc["alg"],
            "v": reordered_doc["v"],
        },
        indent=1,
    )

    unseal_cases = [
        unseal_case(
            "unseal-first-key",
            "seal-two-keys opened with the first key.",
            env_two.to_json(),
            ALICE,
            CTX_WAREHOUSE,
            my_url,
        ),
        unseal_case(
            "unseal-second-key",
            "seal-two-keys opened with the second key.",
            env_two.to_json(),
            BOB,
            CTX_WAREHOUSE,
            my_url,
        ),
        unseal_case(
            "unseal-member-order-and-whitespace",
            "Parsers must accept members in any order and insignificant whitespace.",
            reordered,
            BOB,
            CTX_WAREHOUSE,
            my_url,
        ),
        unseal_case(
            "unseal-after-add-wrap",
            "seal-one-key shared with a third key (salt and nonce from labels add-wrap/*); "
            "opened with the new key.",
            added.to_json(),
            CAROL,
            CTX_SALES,
            pg_url,
        ),
        unseal_case(
            "unseal-after-remove-wrap",
            "seal-two-keys with the first key's wrap removed; the second key still opens it.",
            removed.to_json(),
            BOB,
            CTX_WAREHOUSE,
            my_url,
        ),
    ]

    two = env_two
    two_json = env_two.to_json()
    two_doc = json.loads(two_json)
    other_ctx = CTX_WAREHOUSE
    invalid_cases = [
        # Tampering and wrong keys: all the same opaque decryption failure.
        invalid_case(
            "tampered-ciphertext",
            "First ciphertext byte flipped.",
            edit(two, lambda d: d.update(ct=flip_b64(d["ct"], 0))),
            ALICE,
            other_ctx,
            "decryption_failed",
        ),
        invalid_case(
            "tampered-tag",
            "Last byte of the GCM tag flipped.",
            edit(two, lambda d: d.update(ct=flip_b64(d["ct"], -1))),
            ALICE,
            other_ctx,
            "decryption_failed",
        ),
        invalid_case(
            "tampered-content-nonce",
            "Content nonce byte flipped.",
            edit(two, lambda d: d.update(nonce=flip_b64(d["nonce"], 0))),
            ALICE,
            other_ctx,
            "decryption_failed",
        ),
        invalid_case(
            "tampered-wrapped-dek",
            "A byte of the first wrap's wrapped DEK flipped.",
            edit(two, lambda d: d["wraps"][0].update(wdek=flip_b64(d["wraps"][0]["wdek"], 5))),
            ALICE,
            other_ctx,
            "decryption_failed",
        ),
        invalid_case(
            "wrong-key-no-wrap",
            "A valid key that the envelope has no wrap for.",
            two_json,
            MALLORY,
            other_ctx,
            "decryption_failed",
        ),
        invalid_case(
            "wrong-key-same-key-id",
            "A key with the first wrap's key id but a different secret.",
            two_json,
            IMPOSTOR,
            other_ctx,
            "decryption_failed",
        ),
        invalid_case(
            "wrong-org",
            "Context names another organisation.",
            two_json,
            ALICE,
            AadContext("org_OTHER1", CTX_WAREHOUSE.database_id, CTX_WAREHOUSE.revision),
            "decryption_failed",
        ),
        invalid_case(
            "wrong-database",
            "Context names another database of the same organisation.",
            two_json,
            ALICE,
            AadContext(CTX_WAREHOUSE.org_id, CTX_SALES.database_id, CTX_WAREHOUSE.revision),
            "decryption_failed",
        ),
        invalid_case(
            "wrong-revision",
            "Context names an older revision (a replayed ciphertext).",
            two_json,
            ALICE,
            AadContext(CTX_WAREHOUSE.org_id, CTX_WAREHOUSE.database_id, 6),
            "decryption_failed",
        ),
        invalid_case(
            "wrong-purpose",
            "Context names another purpose.",
            two_json,
            ALICE,
            AadContext(
                CTX_WAREHOUSE.org_id,
                CTX_WAREHOUSE.database_id,
                CTX_WAREHOUSE.revision,
                purpose="agent-token",
            ),
            "decryption_failed",
        ),
        invalid_case(
            "swapped-wrap-key-ids",
            "The two wraps' kid fields exchanged; the first key now finds the second key's wrap.",
            edit(
                two,
                lambda d: (
                    set_in(["wraps", 0, "kid"], BOB.key_id)(d),
                    set_in(["wraps", 1, "kid"], ALICE.key_id)(d),
                ),
            ),
            ALICE,
            other_ctx,
            "decryption_failed",
        ),
        invalid_case(
            "swapped-wrap-salts",
            "The two wraps' salts exchanged.",
            edit(
                two,
                lambda d: (
                    d["wraps"][0].update(salt=two_doc["wraps"][1]["salt"]),
                    d["wraps"][1].update(salt=two_doc["wraps"][0]["salt"]),
                ),
            ),
            ALICE,
            other_ctx,
            "decryption_failed",
        ),
        invalid_case(
            "raised-iterations",
            "iter rewritten to 600001: within bounds, but the wrap AAD binds the original count.",
            edit(two, set_in(["wraps", 0, "iter"], ITERATIONS + 1)),
            ALICE,
            other_ctx,
            "decryption_failed",
        ),
        # KDF bounds, checked before deriving anything.
        invalid_case(
            "lowered-iterations",
            "iter rewritten to 1000; refused before any derivation.",
            edit(two, set_in(["wraps", 0, "iter"], 1000)),
            ALICE,
            other_ctx,
            "kdf_params_rejected",
        ),
        invalid_case(
            "iterations-just-below-minimum",
            "iter rewritten to 599999.",
            edit(two, set_in(["wraps", 0, "iter"], kdf_module.MIN_ITERATIONS - 1)),
            ALICE,
            other_ctx,
            "kdf_params_rejected",
        ),
        invalid_case(
            "iterations-above-maximum",
            "iter rewritten to 5000001 (denial-of-service guard).",
            edit(two, set_in(["wraps", 0, "iter"], kdf_module.MAX_ITERATIONS + 1)),
            ALICE,
            other_ctx,
            "kdf_params_rejected",
        ),
        # Malformed envelopes: rejected by the parser.
        invalid_case(
            "unknown-version",
            "v is 2.",
            edit(two, set_in(["v"], 2)),
            ALICE,
            other_ctx,
            "envelope_malformed",
        ),
        invalid_case(
            "version-as-string",
            'v is the string "1".',
            edit(two, set_in(["v"], "1")),
            ALICE,
            other_ctx,
            "envelope_malformed",
        ),
        invalid_case(
            "unknown-algorithm",
            "alg is A128GCM.",
            edit(two, set_in(["alg"], "A128GCM")),
            ALICE,
            other_ctx,
            "envelope_malformed",
        ),
        invalid_case(
            "unknown-kdf",
            "A wrap's kdf is argon2id.",
            edit(two, set_in(["wraps", 0, "kdf"], "argon2id")),
            ALICE,
            other_ctx,
            "envelope_malformed",
        ),
        invalid_case(
            "iterations-as-string",
            'iter is the string "600000".',
            edit(two, set_in(["wraps", 0, "iter"], str(ITERATIONS))),
            ALICE,
            other_ctx,
            "envelope_malformed",
        ),
        invalid_case(
            "base64-with-padding",
            "The salt keeps its '=' padding (base64url must be unpadded).",
            edit(two, lambda d: d["wraps"][0].update(salt=d["wraps"][0]["salt"] + "==")),
            ALICE,
            other_ctx,
            "envelope_malformed",
        ),
        invalid_case(
            "base64-standard-alphabet",
            "The ciphertext uses '+' and '/' from the standard alphabet.",
            edit(two, lambda d: d.update(ct="+/" + d["ct"][2:])),
            ALICE,
            other_ctx,
            "envelope_malformed",
        ),
        invalid_case(
            "base64-non-canonical-trailing-bits",
            "The salt's last character has non-zero unused bits (decodes to the same bytes "
            "in lenient decoders).",
            edit(
                two,
                lambda d: d["wraps"][0].update(salt=set_unused_bit(d["wraps"][0]["salt"])),
            ),
            ALICE,
            other_ctx,
            "envelope_malformed",
        ),
        invalid_case(
            "truncated-nonce",
            "Content nonce of 11 bytes.",
            edit(two, lambda d: d.update(nonce=resize_b64(d["nonce"], 11))),
            ALICE,
            other_ctx,
            "envelope_malformed",
        ),
        invalid_case(
            "truncated-wrap-nonce",
            "Wrap nonce of 11 bytes.",
            edit(two, lambda d: d["wraps"][0].update(nonce=resize_b64(d["wraps"][0]["nonce"], 11))),
            ALICE,
            other_ctx,
            "envelope_malformed",
        ),
        invalid_case(
            "truncated-salt",
            "Salt of 15 bytes.",
            edit(two, lambda d: d["wraps"][0].update(salt=resize_b64(d["wraps"][0]["salt"], 15))),
            ALICE,
            other_ctx,
            "envelope_malformed",
        ),
        invalid_case(
            "truncated-wrapped-dek",
            "Wrapped DEK of 47 bytes.",
            edit(two, lambda d: d["wraps"][0].update(wdek=resize_b64(d["wraps"][0]["wdek"], 47))),
            ALICE,
            other_ctx,
            "envelope_malformed",
        ),
        invalid_case(
            "ciphertext-shorter-than-tag",
            "Ciphertext of 15 bytes.",
            edit(two, lambda d: d.update(ct=resize_b64(d["ct"], 15))),
            ALICE,
            other_ctx,
            "envelope_malformed",
        ),
        invalid_case(
            "duplicate-key-id",
            "Both wraps carry the first key's id.",
            edit(two, set_in(["wraps", 1, "kid"], ALICE.key_id)),
            ALICE,
            other_ctx,
            "envelope_malformed",
        ),
        invalid_case(
            "key-id-not-base62",
            "A wrap's kid contains '-'.",
            edit(two, set_in(["wraps", 1, "kid"], "vecBob-00002")),
            ALICE,
            other_ctx,
            "envelope_malformed",
        ),
        invalid_case(
            "no-wraps",
            "wraps is empty.",
            edit(two, set_in(["wraps"], [])),
            ALICE,
            other_ctx,
            "envelope_malformed",
        ),
        invalid_case(
            "missing-member",
            "alg is missing.",
            edit(two, lambda d: d.pop("alg")),
            ALICE,
            other_ctx,
            "envelope_malformed",
        ),
        invalid_case(
            "unknown-member",
            "An extra top-level member.",
            edit(two, set_in(["note"], "hello")),
            ALICE,
            other_ctx,
            "envelope_malformed",
        ),
        invalid_case(
            "not-an-object",
            "The envelope is a JSON array.",
            compact([two_doc]),
            ALICE,
            other_ctx,
            "envelope_malformed",
        ),
        invalid_case(
            "not-json",
            "Truncated JSON text.",
            two_json[:-2],
            ALICE,
            other_ctx,
            "envelope_malformed",
        ),
    ]
    return {
        "description": (
            "Credential envelope v1 test vectors; see docs/envelope.md and "
            "tests/vectors/README.md. Generated by tests/vectors/generate_envelope_v1.py; "
            "do not edit by hand. API keys here are test values only."
        ),
        "version": 1,
        "seal": [seal_one, seal_two, seal_empty],
        "unseal": unseal_cases,
        "invalid": invalid_cases,
    }


def ctx_from(case: dict[str, Any]) -> AadContext:
    c = case["ctx"]
    return AadContext(c["org_id"], c["database_id"], c["revision"], c["purpose"])


def self_check(document: dict[str, Any]) -> None:
    """Refuse to emit vectors that the Python implementation disagrees with."""
    from conexor.crypto import parse_api_key

    for case in document["unseal"]:
        env = Envelope.from_json(case["envelope"])
        got = unseal(env, parse_api_key(case["key"]), ctx_from(case))
        if got.hex() != case["plaintext_hex"]:
            raise SystemExit(f"{case['id']}: unexpected plaintext")
    for case in document["invalid"]:
        try:
            env = Envelope.from_json(case["envelope"])
            unseal(env, parse_api_key(case["key"]), ctx_from(case))
        except CryptoError as exc:
            if exc.code != case["error"]:
                raise SystemExit(
                    f"{case['id']}: got {exc.code}, declared {case['error']}"
                ) from None
        else:
            raise SystemExit(f"{case['id']}: unexpectedly valid")


def render(document: dict[str, Any]) -> str:
    return json.dumps(document, indent=2, ensure_ascii=False) + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--check", action="store_true", help="exit 1 if the file is stale")
    args = parser.parse_args(argv)
    document = build()
    self_check(document)
    text = render(document)
    if args.check:
        current = VECTOR_FILE.read_text(encoding="utf-8") if VECTOR_FILE.exists() else ""
        if current != text:
            print(f"{VECTOR_FILE.name} is stale; rerun without --check", file=sys.stderr)
            return 1
        return 0
    VECTOR_FILE.write_text(text, encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
