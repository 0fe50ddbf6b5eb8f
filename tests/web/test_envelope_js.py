"""The dashboard's envelope module (WebCrypto, run in Node) against Python and the vectors.

Every test drives the real ``src/conexor/web/static/envelope.js`` through
``envelope_harness.mjs`` in one Node process shared by the module: the vector
file must be reproduced byte for byte, each side must open what the other
seals, shares and revokes, and the parsers must agree on every input. PBKDF2
at 600,000 iterations dominates the run time, so derivations are batched into
few requests that Node runs concurrently, and Python works while Node does.
"""

from __future__ import annotations

import hashlib
import json
import queue
import re
import secrets
import shutil
import subprocess
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from conexor.crypto import (
    AadContext,
    ApiKey,
    CryptoError,
    DecryptionFailed,
    Envelope,
    MalformedEnvelope,
    WeakKdfParams,
    add_wrap,
    generate_api_key,
    parse_api_key,
    remove_wrap,
    seal,
    unseal,
)
from conexor.crypto import kdf as kdf_module
from conexor.crypto.apikeys import _checksum
from conexor.crypto.encoding import BASE62_ALPHABET, b64url_encode, base62_encode_int
from conexor.crypto.envelope import _content_aad, _wrap_aad
from tests.services import unavailable

ROOT = Path(__file__).resolve().parents[2]
HARNESS = Path(__file__).with_name("envelope_harness.mjs")
VECTORS: dict[str, Any] = json.loads(
    (ROOT / "tests" / "vectors" / "envelope-v1.json").read_text(encoding="utf-8")
)
REPLY_TIMEOUT_S = 120
MAX_SAFE_INTEGER = 2**53 - 1
Result = dict[str, Any]


# -- the Node process -----------------------------------------------------------


class Harness:
    """One Node process running the harness: a JSON line in, a JSON line out."""

    def __init__(self, node: str) -> None:
        self._proc = subprocess.Popen(
            [node, str(HARNESS)],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            encoding="utf-8",
            cwd=ROOT,
        )
        self._replies: queue.Queue[str] = queue.Queue()
        self._stderr: list[str] = []
        self._pending = 0
        threading.Thread(target=self._pump_stdout, daemon=True).start()
        threading.Thread(target=self._pump_stderr, daemon=True).start()

    def _pump_stdout(self) -> None:
        stream = self._proc.stdout
        if stream is not None:
            for line in stream:
                self._replies.put(line)
        self._replies.put("")  # end of output

    def _pump_stderr(self) -> None:
        stream = self._proc.stderr
        if stream is not None:
            self._stderr.extend(stream)

    def submit(self, ops: list[dict[str, Any]]) -> None:
        """Send a request without waiting, so Python can work meanwhile."""
        # A test that failed between submit and collect leaves a reply behind.
        while self._pending:
            self.collect()
        stdin = self._proc.stdin
        assert stdin is not None
        stdin.write(json.dumps({"ops": ops}) + "\n")
        stdin.flush()
        self._pending += 1

    def collect(self) -> list[Result]:
        """Wait for the reply to the oldest request."""
        try:
            line = self._replies.get(timeout=REPLY_TIMEOUT_S)
        except queue.Empty:
            pytest.fail(f"no reply from Node within {REPLY_TIMEOUT_S} s")
        self._pending -= 1
        if not line:
            pytest.fail("Node exited: " + "".join(self._stderr)[-3000:])
        results: list[Result] = json.loads(line)["results"]
        return results

    def run(self, ops: list[dict[str, Any]]) -> list[Result]:
        self.submit(ops)
        return self.collect()

    def close(self) -> None:
        if self._proc.stdin is not None:
            self._proc.stdin.close()
        try:
            self._proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self._proc.kill()
            self._proc.wait()


@pytest.fixture(scope="module")
def node() -> Iterator[Harness]:
    path = shutil.which("node")
    if path is None:
        unavailable("Node.js")
    version = subprocess.run([path, "--version"], capture_output=True, text=True, check=False)
    match = re.match(r"v(\d+)\.", version.stdout)
    if match is None or int(match.group(1)) < 20:
        unavailable("Node.js 20 or later")
    harness = Harness(path)
    try:
        yield harness
    finally:
        harness.close()


def ok(result: Result) -> Any:
    """The value of a successful op; fail with the module's error otherwise."""
    if "error" in result:
        pytest.fail(f"the module raised {result['error']}")
    return result["ok"]


def error(result: Result) -> tuple[str, str]:
    """The (code, message) of a failed op; every failure must be an EnvelopeError."""
    if "ok" in result:
        pytest.fail(f"expected an error, got {result['ok']!r}")
    err = result["error"]
    assert err["envelopeError"], err
    assert err["name"] == "EnvelopeError", err
    return err["code"], err["message"]


def outcome(result: Result) -> tuple[str, Any]:
    """("ok", value) or ("error", message) of an op, for comparing with Python."""
    if "ok" in result:
        return "ok", result["ok"]
    return "error", error(result)[1]


def ctx_json(ctx: AadContext) -> dict[str, Any]:
    return {
        "org_id": ctx.org_id,
        "database_id": ctx.database_id,
        "revision": ctx.revision,
        "purpose": ctx.purpose,
    }


def ctx_of(case: dict[str, Any]) -> AadContext:
    c = case["ctx"]
    return AadContext(c["org_id"], c["database_id"], c["revision"], c["purpose"])


def python_error(fn: Any) -> tuple[str, str]:
    """(code, public message) of the CryptoError ``fn`` raises."""
    with pytest.raises(CryptoError) as info:
        fn()
    return info.value.code, info.value.public


def visible_to_json_parse(text: str) -> bool:
    """False when the text holds damage JSON.parse cannot see (docs/envelope.md).

    That is a duplicate member name, or an integral number written with a
    fraction or exponent (``600000.0``), which JSON.parse reads as an integer.
    """

    class Invisible(Exception):
        pass

    def pairs(items: list[tuple[str, Any]]) -> dict[str, Any]:
        if len({name for name, _ in items}) != len(items):
            raise Invisible
        return dict(items)

    def number(token: str) -> float:
        if float(token).is_integer():
            raise Invisible
        return float(token)

    try:
        json.loads(text, object_pairs_hook=pairs, parse_float=number)
    except Invisible:
        return False
    except (ValueError, RecursionError):
        return True
    return True


# -- the module's surface ------------------------------------------------------------


def test_exports_and_constants(node: Harness) -> None:
    info = ok(node.run([{"op": "info"}])[0])
    required = {
        "EnvelopeError",
        "DEFAULT_ITERATIONS",
        "MIN_ITERATIONS",
        "MAX_ITERATIONS",
        "PURPOSE_CONNECTION_URL",
        "parseApiKey",
        "parseEnvelope",
        "envelopeToJson",
        "seal",
        "sealWith",
        "unseal",
        "unsealText",
        "addWrap",
        "addWrapWith",
        "removeWrap",
    }
    assert required <= set(info["exports"])
    assert info["constants"] == {
        "DEFAULT_ITERATIONS": kdf_module.DEFAULT_ITERATIONS,
        "MIN_ITERATIONS": kdf_module.MIN_ITERATIONS,
        "MAX_ITERATIONS": kdf_module.MAX_ITERATIONS,
        "PURPOSE_CONNECTION_URL": AadContext("o", "d", 0).purpose,
    }
    assert info["errorIsError"]
    assert info["errorName"] == "EnvelopeError"


# -- the vector file -------------------------------------------------------------------


def _det(label: str, size: int) -> bytes:
    """The vector generator's fixed bytes for a label (tests/vectors/README.md)."""
    return hashlib.sha256(b"conexor/envelope-v1/vectors/" + label.encode()).digest()[:size]


def _case(section: str, case_id: str) -> dict[str, Any]:
    return next(c for c in VECTORS[section] if c["id"] == case_id)


@pytest.fixture(scope="module")
def vector_results(node: Harness) -> dict[str, Result]:
    """Every vector operation in one request, keyed by a name."""
    ops: dict[str, dict[str, Any]] = {}
    for case in VECTORS["seal"]:
        ops[f"seal/{case['id']}"] = {
            "op": "seal_with",
            **{
                name: case[name]
                for name in (
                    "keys",
                    "ctx",
                    "plaintext_hex",
                    "dek_hex",
                    "nonce_hex",
                    "salts_hex",
                    "wrap_nonces_hex",
                    "iterations",
                )
            },
        }
        ops[f"content-aad/{case['id']}"] = {"op": "content_aad", "ctx": case["ctx"]}
        for i, (text, salt) in enumerate(zip(case["keys"], case["salts_hex"], strict=True)):
            ops[f"wrap-aad/{case['id']}/{i}"] = {
                "op": "wrap_aad",
                "ctx": case["ctx"],
                "kid": parse_api_key(text).key_id,
                "iterations": case["iterations"],
                "salt": b64url_encode(bytes.fromhex(salt)),
            }
    for case in VECTORS["unseal"]:
        # Opens the parsed object; the invalid cases below open JSON text.
        ops[f"unseal/{case['id']}"] = {
            "op": "unseal_parsed",
            "envelope": case["envelope"],
            "key": case["key"],
            "ctx": case["ctx"],
        }
        ops[f"parse/{case['id']}"] = {"op": "parse", "envelope": case["envelope"]}
    for case in VECTORS["invalid"]:
        ops[f"invalid/{case['id']}"] = {
            "op": "unseal",
            "envelope": case["envelope"],
            "key": case["key"],
            "ctx": case["ctx"],
        }
        ops[f"invalid-parse/{case['id']}"] = {"op": "parse", "envelope": case["envelope"]}
    # The sharing vectors: seal-one-key shared with the add-wrap salt and nonce,
    # and seal-two-keys without its first wrap.
    one, two = _case("seal", "seal-one-key"), _case("seal", "seal-two-keys")
    ops["add-wrap"] = {
        "op": "add_wrap_with",
        "envelope": one["envelope"],
        "holder": one["keys"][0],
        "new_key": _case("unseal", "unseal-after-add-wrap")["key"],
        "ctx": one["ctx"],
        "salt_hex": _det("add-wrap/salt", 16).hex(),
        "nonce_hex": _det("add-wrap/nonce", 12).hex(),
        "iterations": one["iterations"],
    }
    ops["remove-wrap"] = {
        "op": "remove_wrap",
        "envelope": two["envelope"],
        "key_id": parse_api_key(two["keys"][0]).key_id,
    }
    return dict(zip(ops, node.run(list(ops.values())), strict=True))


def _ids(section: str) -> list[str]:
    return [case["id"] for case in VECTORS[section]]


@pytest.mark.parametrize("case", VECTORS["seal"], ids=_ids("seal"))
def test_seal_vector_reproduced_byte_for_byte(
    case: dict[str, Any], vector_results: dict[str, Result]
) -> None:
    assert ok(vector_results[f"seal/{case['id']}"]) == case["envelope"]
    middle = case["intermediate"]
    assert ok(vector_results[f"content-aad/{case['id']}"]) == middle["content_aad_hex"]
    for i, expected in enumerate(middle["wrap_aads_hex"]):
        assert ok(vector_results[f"wrap-aad/{case['id']}/{i}"]) == expected


@pytest.mark.parametrize("case", VECTORS["unseal"], ids=_ids("unseal"))
def test_unseal_vector(case: dict[str, Any], vector_results: dict[str, Result]) -> None:
    assert ok(vector_results[f"unseal/{case['id']}"]) == case["plaintext_hex"]
    parsed = ok(vector_results[f"parse/{case['id']}"])
    assert parsed["json"] == Envelope.from_json(case["envelope"]).to_json()
    assert parsed["frozen"]


def _python_outcome(case: dict[str, Any]) -> tuple[str, str]:
    """What Python raises for an invalid vector, found without running the KDF."""
    try:
        env = Envelope.from_json(case["envelope"])
    except MalformedEnvelope as exc:
        return exc.code, exc.public
    wrap = env.wrap_for(parse_api_key(case["key"]).key_id)
    if wrap is not None:
        try:
            kdf_module.check_iterations(wrap.iterations)
        except WeakKdfParams as exc:
            return exc.code, exc.public
    return DecryptionFailed.code, DecryptionFailed().public


@pytest.mark.parametrize("case", VECTORS["invalid"], ids=_ids("invalid"))
def test_invalid_vector(case: dict[str, Any], vector_results: dict[str, Result]) -> None:
    if not visible_to_json_parse(case["envelope"]):
        pytest.skip("JSON.parse cannot see this damage (docs/envelope.md)")
    expected = _python_outcome(case)
    assert expected[0] == case["error"]
    # Same code and the same one-line message as Python.
    assert error(vector_results[f"invalid/{case['id']}"]) == expected
    parsed = vector_results[f"invalid-parse/{case['id']}"]
    if case["error"] == "envelope_malformed":
        assert error(parsed) == expected
    else:
        assert ok(parsed)["json"] == Envelope.from_json(case["envelope"]).to_json()


def test_every_decryption_failure_reads_the_same(vector_results: dict[str, Result]) -> None:
    messages = {
        error(vector_results[f"invalid/{case['id']}"])
        for case in VECTORS["invalid"]
        if case["error"] == "decryption_failed"
    }
    assert messages == {("decryption_failed", DecryptionFailed().public)}


def test_sharing_vectors_reproduced_byte_for_byte(vector_results: dict[str, Result]) -> None:
    assert ok(vector_results["add-wrap"]) == _case("unseal", "unseal-after-add-wrap")["envelope"]
    removed = _case("unseal", "unseal-after-remove-wrap")["envelope"]
    assert ok(vector_results["remove-wrap"]) == removed


# -- Python and the module open each other's envelopes --------------------------------------


@pytest.fixture(scope="module")
def exchange(node: Harness) -> dict[str, Any]:
    """Fresh keys and envelopes sealed, shared and revoked on both sides.

    Python derives while Node does: first Node seals while Python seals and
    shares, then Node opens, shares and revokes Python's envelopes while
    Python opens Node's.
    """
    alice, bob, carol = generate_api_key(), generate_api_key(), generate_api_key()
    ctx = AadContext(
        org_id=f"org_{secrets.token_hex(4)}",
        database_id='db "ünïcode" 🚀',
        revision=secrets.randbelow(MAX_SAFE_INTEGER + 1),
    )
    plaintext = f"postgresql://reader:{secrets.token_urlsafe(16)}@db.example.com/sales".encode()
    c = ctx_json(ctx)
    node.submit(
        [
            {
                "op": "seal",
                "plaintext_text": plaintext.decode(),
                "keys": [alice.text, bob.text],
                "ctx": c,
            }
        ]
    )
    py_env = seal(plaintext, [alice], ctx)
    py_shared = add_wrap(py_env, alice, bob, ctx)
    py_binary = seal(b"\xff\xfe\x00", [alice], ctx)
    (js_seal,) = node.collect()
    names = [
        "js-opens-python",
        "js-opens-python-share",
        "js-parses-python",
        "js-parses-python-share",
        "js-add-wrap",
        "js-remove-wrap",
        "js-opens-binary-as-text",
    ]
    node.submit(
        [
            {"op": "unseal", "envelope": py_env.to_json(), "key": alice.text, "ctx": c},
            {"op": "unseal_text", "envelope": py_shared.to_json(), "key": bob.text, "ctx": c},
            {"op": "parse", "envelope": py_env.to_json()},
            {"op": "parse", "envelope": py_shared.to_json()},
            {
                "op": "add_wrap",
                "envelope": py_env.to_json(),
                "holder": alice.text,
                "new_key": carol.text,
                "ctx": c,
            },
            {"op": "remove_wrap", "envelope": py_shared.to_json(), "key_id": alice.key_id},
            {"op": "unseal_text", "envelope": py_binary.to_json(), "key": alice.text, "ctx": c},
        ]
    )
    js_env = Envelope.from_json(ok(js_seal))
    py_opens_js = unseal(js_env, bob, ctx)
    results = node.collect()
    return {
        "keys": (alice, bob, carol),
        "ctx": ctx,
        "plaintext": plaintext,
        "py_env": py_env,
        "py_shared": py_shared,
        "js-seal": js_seal,
        "py-opens-js": py_opens_js,
        **dict(zip(names, results, strict=True)),
    }


def test_python_seal_opens_in_js(exchange: dict[str, Any]) -> None:
    assert ok(exchange["js-opens-python"]) == exchange["plaintext"].hex()
    # unsealText refuses a plaintext that is not UTF-8 rather than mangle it.
    assert error(exchange["js-opens-binary-as-text"])[0] == "crypto_error"


def test_python_add_wrap_opens_in_js(exchange: dict[str, Any]) -> None:
    assert ok(exchange["js-opens-python-share"]) == exchange["plaintext"].decode()


def test_js_writes_python_envelopes_back_unchanged(exchange: dict[str, Any]) -> None:
    assert ok(exchange["js-parses-python"])["json"] == exchange["py_env"].to_json()
    assert ok(exchange["js-parses-python-share"])["json"] == exchange["py_shared"].to_json()


def test_js_seal_opens_in_python(exchange: dict[str, Any]) -> None:
    alice, bob, _ = exchange["keys"]
    text = ok(exchange["js-seal"])
    env = Envelope.from_json(text)
    assert env.to_json() == text
    assert env.key_ids == (alice.key_id, bob.key_id)
    assert {w.iterations for w in env.wraps} == {kdf_module.DEFAULT_ITERATIONS}
    assert len({w.salt for w in env.wraps}) == len({w.nonce for w in env.wraps}) == 2
    assert exchange["py-opens-js"] == exchange["plaintext"]


def test_js_add_wrap_opens_in_python(exchange: dict[str, Any]) -> None:
    alice, _, carol = exchange["keys"]
    env = Envelope.from_json(ok(exchange["js-add-wrap"]))
    original = exchange["py_env"]
    assert env.key_ids == (alice.key_id, carol.key_id)
    assert (env.nonce, env.ciphertext, env.wraps[0]) == (
        original.nonce,
        original.ciphertext,
        original.wraps[0],
    )
    assert unseal(env, carol, exchange["ctx"]) == exchange["plaintext"]


def test_js_remove_wrap_leaves_an_envelope_python_parses(exchange: dict[str, Any]) -> None:
    alice, bob, _ = exchange["keys"]
    text = ok(exchange["js-remove-wrap"])
    env = Envelope.from_json(text)
    # Byte-identical to Python's revocation, whose remaining wrap Node opened above.
    assert text == remove_wrap(exchange["py_shared"], alice.key_id).to_json()
    assert env.key_ids == (bob.key_id,)
    with pytest.raises(DecryptionFailed):
        unseal(env, alice, exchange["ctx"])


# -- refusals: same code and message as Python, before any derivation ------------------


def test_refusals_match_python(node: Harness) -> None:
    one = _case("seal", "seal-one-key")
    alice = parse_api_key(one["keys"][0])
    env = Envelope.from_json(one["envelope"])
    ctx = ctx_of(one)
    c = one["ctx"]
    other = generate_api_key()
    many = [generate_api_key() for _ in range(65)]

    def js_seal(keys: list[ApiKey], **extra: Any) -> dict[str, Any]:
        op = {"op": "seal", "plaintext_hex": "", "keys": [k.text for k in keys], "ctx": c}
        return {**op, **extra}

    cases: list[tuple[dict[str, Any], Any]] = [
        (
            js_seal([alice], plaintext_hex="00" * 16385),
            lambda: seal(b"\0" * 16385, [alice], ctx),
        ),
        (js_seal([]), lambda: seal(b"", [], ctx)),
        (js_seal(many), lambda: seal(b"", many, ctx)),
        (js_seal([alice, alice]), lambda: seal(b"", [alice, alice], ctx)),
        *[
            (js_seal([alice], iterations=n), lambda n=n: seal(b"", [alice], ctx, iterations=n))
            for n in (1000, 599_999, 5_000_001, 600_000.5, "600000")
        ],
        (
            js_seal([alice], ctx={**c, "org_id": ""}),
            lambda: AadContext("", ctx.database_id, ctx.revision),
        ),
        (
            js_seal([alice], ctx={**c, "revision": 2**53}),
            lambda: AadContext(ctx.org_id, ctx.database_id, 2**53),
        ),
        (
            js_seal([alice], ctx={**c, "purpose": "x" * 257}),
            lambda: AadContext(ctx.org_id, ctx.database_id, 1, "x" * 257),
        ),
        (
            {**js_seal([alice]), "keys": [alice.text + " "]},
            lambda: parse_api_key(alice.text + " "),
        ),
        (
            {"op": "unseal", "envelope": one["envelope"], "key": other.text, "ctx": c},
            lambda: unseal(env, other, ctx),
        ),
        (
            {"op": "unseal", "envelope": one["envelope"], "key": alice.text[:-1], "ctx": c},
            lambda: parse_api_key(alice.text[:-1]),
        ),
        (
            {
                "op": "add_wrap",
                "envelope": one["envelope"],
                "holder": alice.text,
                "new_key": alice.text,
                "ctx": c,
            },
            lambda: add_wrap(env, alice, alice, ctx),
        ),
        (
            {
                "op": "add_wrap",
                "envelope": one["envelope"],
                "holder": alice.text,
                "new_key": other.text,
                "ctx": c,
                "iterations": 1000,
            },
            lambda: add_wrap(env, alice, other, ctx, iterations=1000),
        ),
        (
            {"op": "remove_wrap", "envelope": one["envelope"], "key_id": alice.key_id},
            lambda: remove_wrap(env, alice.key_id),
        ),
        (
            {"op": "remove_wrap", "envelope": one["envelope"], "key_id": other.key_id},
            lambda: remove_wrap(env, other.key_id),
        ),
    ]
    results = node.run([op for op, _ in cases])
    for (op, fn), result in zip(cases, results, strict=True):
        assert error(result) == python_error(fn), op["op"]


def test_module_only_refusals(node: Harness) -> None:
    one = _case("seal", "seal-one-key")
    doc = json.loads(one["envelope"])
    results = node.run(
        [
            # TextEncoder would silently replace an unpaired surrogate.
            {"op": "seal", "plaintext_text": "pw\ud800", "keys": one["keys"], "ctx": one["ctx"]},
            {"op": "seal", "plaintext_hex": "", "keys": one["keys"][0], "ctx": one["ctx"]},
            {"op": "seal", "plaintext_hex": "", "keys": one["keys"], "ctx": None},
            # envelopeToJson checks objects built by hand.
            {"op": "to_json", "envelope": {**doc, "wraps": []}},
            {"op": "to_json", "envelope": {**doc, "extra": 1}},
            {"op": "to_json", "envelope": doc},
        ]
    )
    assert [error(r)[0] for r in results[:5]] == [
        "crypto_error",
        "crypto_error",
        "crypto_error",
        "envelope_malformed",
        "envelope_malformed",
    ]
    assert ok(results[5]) == one["envelope"]


def test_size_limit_counts_utf8_bytes(node: Harness) -> None:
    text = _case("seal", "seal-one-key")["envelope"]
    at_limit = text + " " * (64 * 1024 - len(text))
    texts = [at_limit, at_limit + " ", "é" * 40_000, "😀" * 20_000]
    results = node.run([{"op": "parse", "envelope": t} for t in texts])
    for t, result in zip(texts, results, strict=True):
        try:
            expected: tuple[str, Any] = ("ok", Envelope.from_json(t).to_json())
        except MalformedEnvelope as exc:
            expected = ("error", exc.public)
        got = outcome(result)
        assert (got[0], got[1]["json"] if got[0] == "ok" else got[1]) == expected


# -- properties: the parsers and the associated data agree with Python -------------------


BASE_TEXT = _case("seal", "seal-two-keys")["envelope"]
WRAP_FIELDS = ("kid", "kdf", "iter", "salt", "nonce", "wdek")
PATHS: list[tuple[str | int, ...]] = [
    ("v",),
    ("alg",),
    ("nonce",),
    ("ct",),
    ("wraps",),
    ("wraps", 0),
    ("wraps", 1),
    *[("wraps", i, name) for i in (0, 1) for name in WRAP_FIELDS],
]
_scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(2**64), max_value=2**64),
    st.sampled_from([0, 1, 2, 599_999, 600_000, 5_000_001, 2**31 - 1, 2**31, 2**53 + 1]),
    # Integral floats are left out: JSON.parse reads 600000.0 as an integer.
    st.floats(allow_nan=False, allow_infinity=False).filter(lambda x: not x.is_integer()),
    st.text(max_size=16),
    st.text(alphabet="ABCxyz019-_=+/ ", max_size=70),
    st.binary(max_size=70).map(b64url_encode),
    st.text(alphabet=BASE62_ALPHABET, min_size=11, max_size=13),
    st.sampled_from(["A256GCM", "pbkdf2-sha256", "vecAlice0001", "vecBob000002"]),
)
_json_values = st.recursive(
    _scalars,
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=5), inner),
    max_leaves=6,
)


def _set_unused_bits(text: str) -> str:
    """Spell the same bytes with non-zero unused bits; with none to set, break the length."""
    if len(text) % 4 == 0:
        return text + "A"  # now 1 mod 4
    alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
    return text[:-1] + alphabet[alphabet.index(text[-1]) | 1]


@st.composite
def mutated_envelopes(draw: st.DrawFn) -> str:
    kind = draw(st.sampled_from(["set", "delete", "add", "unused-bits", "wraps", "char"]))
    if kind == "char":
        index = draw(st.integers(min_value=0, max_value=len(BASE_TEXT) - 1))
        return BASE_TEXT[:index] + draw(st.characters()) + BASE_TEXT[index + 1 :]
    doc = json.loads(BASE_TEXT)
    if kind == "wraps":
        pick = draw(st.lists(st.sampled_from([0, 1]), max_size=66))
        doc["wraps"] = [doc["wraps"][i] for i in pick]
    elif kind == "unused-bits":
        name = draw(st.sampled_from(["nonce", "ct", "salt", "wnonce", "wdek"]))
        target = doc if name in ("nonce", "ct") else doc["wraps"][0]
        field = "nonce" if name == "wnonce" else name
        target[field] = _set_unused_bits(target[field])
    else:
        path = draw(st.sampled_from(PATHS))
        target = doc
        for step in path[:-1]:
            target = target[step]
        if kind == "set":
            target[path[-1]] = draw(_json_values)
        elif kind == "delete" and isinstance(target, dict):
            del target[path[-1]]
        elif kind == "add":
            inner = target[path[-1]]
            container = inner if isinstance(inner, dict) else target
            if isinstance(container, dict):
                container[draw(st.text(max_size=6))] = draw(_scalars)
    return json.dumps(doc, indent=draw(st.sampled_from([None, 1])))


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(text=mutated_envelopes())
def test_parser_agrees_with_python(node: Harness, text: str) -> None:
    assume(visible_to_json_parse(text))
    try:
        expected: tuple[str, Any] = ("ok", Envelope.from_json(text).to_json())
    except MalformedEnvelope as exc:
        expected = ("error", exc.public)
    kind, value = outcome(node.run([{"op": "parse", "envelope": text}])[0])
    assert (kind, value["json"] if kind == "ok" else value) == expected


def _key_body(key_id: str, secret: int) -> str:
    return f"cnx_{key_id}_{base62_encode_int(secret, 43)}"


KEY_TEXTS = [generate_api_key().text for _ in range(3)]


@st.composite
def api_key_texts(draw: st.DrawFn) -> str:
    base = draw(st.sampled_from(KEY_TEXTS))
    kind = draw(st.sampled_from(["same", "replace", "cut", "insert", "secret", "random"]))
    if kind == "same":
        return base
    if kind == "replace":
        i = draw(st.integers(min_value=0, max_value=len(base) - 1))
        return base[:i] + draw(st.characters()) + base[i + 1 :]
    if kind == "cut":
        i = draw(st.integers(min_value=0, max_value=len(base) - 1))
        return base[:i] + base[i + 1 :]
    if kind == "insert":
        i = draw(st.integers(min_value=0, max_value=len(base)))
        return base[:i] + draw(st.characters()) + base[i:]
    if kind == "secret":
        # A valid checksum over a secret at or beyond 2^256: one spelling per secret.
        key_id = draw(st.text(alphabet=BASE62_ALPHABET, min_size=12, max_size=12))
        secret = draw(
            st.integers(min_value=2**256 - 3, max_value=2**256 + 3)
            | st.integers(min_value=0, max_value=62**43 - 1)
        )
        body = _key_body(key_id, secret)
        return body + _checksum(body)
    return draw(st.text(max_size=70))


@settings(max_examples=200, deadline=None)
@given(text=api_key_texts())
def test_api_key_parser_agrees_with_python(node: Harness, text: str) -> None:
    try:
        expected: tuple[str, Any] = ("ok", parse_api_key(text).key_id)
    except CryptoError as exc:
        expected = ("error", (exc.code, exc.public))
    result = node.run([{"op": "parse_api_key", "text": text}])[0]
    if expected[0] == "error":
        assert ("error", error(result)) == expected
        return
    parsed = ok(result)
    assert parsed["key_id"] == expected[1]
    assert parsed["text_matches"]
    assert parsed["frozen"]
    # The key text is the secret: serialising the parsed key must not print it.
    assert parsed["serialised"] == json.dumps({"keyId": expected[1]}, separators=(",", ":"))


def _no_surrogate_pair(text: str) -> bool:
    # Two unpaired surrogates side by side travel through JSON as one character.
    return re.search("[\ud800-\udbff][\udc00-\udfff]", text) is None


_context_texts = st.one_of(
    st.text(max_size=12),
    st.text(alphabet=st.characters(codec="utf-8") | st.sampled_from("😀𝄞é"), max_size=260),
    st.text(
        alphabet=st.characters(codec="utf-8") | st.sampled_from("😀"), min_size=250, max_size=270
    ),
    st.text(alphabet=st.characters(categories=["Cs"]) | st.sampled_from("ab😀"), max_size=5).filter(
        _no_surrogate_pair
    ),
    st.integers(),
    st.none(),
)
_revisions = st.one_of(
    st.integers(min_value=0, max_value=MAX_SAFE_INTEGER),
    st.integers(min_value=-3, max_value=3),
    st.integers(min_value=MAX_SAFE_INTEGER - 2, max_value=MAX_SAFE_INTEGER + 3),
    st.booleans(),
    st.floats(allow_nan=False, allow_infinity=False).filter(lambda x: not x.is_integer()),
    st.text(max_size=3),
    st.none(),
)


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(org=_context_texts, db=_context_texts, revision=_revisions, purpose=_context_texts)
def test_context_checks_and_associated_data_agree_with_python(
    node: Harness, org: Any, db: Any, revision: Any, purpose: Any
) -> None:
    salt = bytes(range(16))
    ctx = {"org_id": org, "database_id": db, "revision": revision}
    if purpose is not None:  # None stands for "left out": the default purpose
        ctx["purpose"] = purpose
    try:
        context = AadContext(**ctx)
    except CryptoError as exc:
        expected: list[tuple[str, Any]] = [("error", exc.public)] * 2
    else:
        expected = [
            ("ok", _content_aad(context).hex()),
            ("ok", _wrap_aad(context, "vecAlice0001", 600_000, salt).hex()),
        ]
    results = node.run(
        [
            {"op": "content_aad", "ctx": ctx},
            {
                "op": "wrap_aad",
                "ctx": ctx,
                "kid": "vecAlice0001",
                "iterations": 600_000,
                "salt": b64url_encode(salt),
            },
        ]
    )
    assert [outcome(r) for r in results] == expected


# -- property: random round trips in both directions -----------------------------------------


ROUND_TRIP_KEYS = (generate_api_key(), generate_api_key())
_round_trip_cases = st.tuples(
    st.binary(max_size=200),
    st.text(min_size=1, max_size=256),
    st.text(min_size=1, max_size=256),
    st.integers(min_value=0, max_value=MAX_SAFE_INTEGER),
    st.just("connection-url") | st.text(min_size=1, max_size=40),
)


def _plaintext_input(data: bytes) -> dict[str, str]:
    # UTF-8 plaintexts go in as text, to cover both input types.
    try:
        return {"plaintext_text": data.decode("utf-8")}
    except UnicodeDecodeError:
        return {"plaintext_hex": data.hex()}


@settings(
    max_examples=2,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
@given(cases=st.lists(_round_trip_cases, min_size=5, max_size=5))
def test_random_round_trips_in_both_directions(
    node: Harness, cases: list[tuple[bytes, str, str, int, str]]
) -> None:
    """Even cases are sealed by Node and opened by Python, odd ones the other way."""
    runs = [
        (plaintext, ROUND_TRIP_KEYS[i % 2], AadContext(org, db, rev, purpose))
        for i, (plaintext, org, db, rev, purpose) in enumerate(cases)
    ]
    to_python, to_node = runs[0::2], runs[1::2]
    # Node seals while Python seals.
    node.submit(
        [
            {"op": "seal", **_plaintext_input(p), "keys": [k.text], "ctx": ctx_json(c)}
            for p, k, c in to_python
        ]
    )
    py_sealed = [seal(p, [k], c).to_json() for p, k, c in to_node]
    js_sealed = [ok(r) for r in node.collect()]
    # Node opens Python's while Python opens Node's.
    node.submit(
        [
            {"op": "unseal", "envelope": text, "key": k.text, "ctx": ctx_json(c)}
            for text, (_, k, c) in zip(py_sealed, to_node, strict=True)
        ]
    )
    py_opened = [
        unseal(Envelope.from_json(text), k, c)
        for text, (_, k, c) in zip(js_sealed, to_python, strict=True)
    ]
    js_opened = [ok(r) for r in node.collect()]
    assert py_opened == [p for p, _, _ in to_python]
    assert js_opened == [p.hex() for p, _, _ in to_node]
