// Verifying the audit trail in the browser, so that "verified" on the
// dashboard never rests on the server's own word. Everything the server sends
// (records, checkpoints, even the key it publishes) is treated as untrusted
// input and checked exactly as `conexor audit verify` checks it:
//
//   record_hash = SHA-256("conexor/audit/v1" 0x00 || prev_hash bytes || JCS(body))
//   Merkle root = RFC 6962 tree over the 32 raw bytes of each record_hash
//   checkpoint  = C2SP signed note: origin, size, root, time, previous,
//                 blank line, Ed25519 signature lines
//
// docs/audit.md describes the format byte by byte. Parsers mirror the Python
// ones (conexor.audit) so both accept and reject the same texts, and errors
// carry the same codes and messages. Messages name records, sizes, fields and
// key names, never values: parameters may hold SQL the user would not want
// echoed. Only standard Web APIs are used (crypto.subtle, TextEncoder,
// atob/btoa), so the module runs unchanged in a browser and in Node 20.

const GENESIS = "0".repeat(64);
// The domain prefix keeps these hashes apart from any other SHA-256 use.
const DOMAIN = new TextEncoder().encode("conexor/audit/v1\u0000");
// Integers beyond this are not read exactly by every JSON parser (I-JSON).
const MAX_INT = Number.MAX_SAFE_INTEGER;
const MAX_PARAM_DEPTH = 32;
// Checkpoints are small; the Python parser counts this limit in code points.
const MAX_CHECKPOINT_CHARS = 16 * 1024;
const MAX_SIGNATURES = 64;
const MAX_SIZE = (1n << 63n) - 1n;
const ALG_ED25519 = 0x01;
// Hashes are computed this many at a time: WebCrypto is asynchronous, and
// awaiting one digest at a time would make a long trail crawl.
const BATCH = 1024;

// Every field an exported record has; the hashed body is all but record_hash.
const RECORD_FIELDS = [
  "seq", "ts", "org_id", "user_id", "user", "api_key_id", "client_name",
  "client_version", "model", "tool", "params", "database", "mode", "outcome",
  "error_code", "row_count", "query_hash", "duration_us", "prev_hash", "record_hash",
];
const BODY_FIELDS = RECORD_FIELDS.filter((name) => name !== "record_hash");
const REQUIRED_TEXT = ["org_id", "user_id", "user", "tool"];
const OPTIONAL_TEXT = ["api_key_id", "client_name", "client_version", "model", "database", "error_code"];

const HEX64 = /^[0-9a-f]{64}$/;
const HEX = /^(?:[0-9a-f]{2})*$/;
// ASCII digits only: a time written with other digits is not the text that was hashed.
const TS = /^([0-9]{4})-([0-9]{2})-([0-9]{2})T([0-9]{2}):([0-9]{2}):([0-9]{2})\.[0-9]{6}Z$/;
const LONE_SURROGATE = /\p{Cs}/u;
const SIZE = /^(?:0|[1-9][0-9]{0,18})$/;
// Printable text without control characters: origins are one line.
const LINE = /^[^\x00-\x1f\x7f]+$/;
const CONTROL = /[\x00-\x09\x0b-\x1f\x7f]/;
// A key name is printable ASCII without spaces or "+" (the field separator).
const KEY_NAME = /^[!-*,-~]+$/;
const KEY_ID = /^[0-9a-f]{8}$/;
const SIG_LINE = /^\u2014 ([!-*,-~]+) ([A-Za-z0-9+/=]+)$/;
const BASE64 = /^[A-Za-z0-9+/]*={0,2}$/;
// The characters Python's str.strip() removes (which differ from String.trim:
// no U+FEFF, but U+001C..U+001F and U+0085), so both read the same key text.
const PY_SPACE = "\t\n\v\f\r\x1c-\x1f \x85\xa0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000";
const PY_STRIP = new RegExp(`^[${PY_SPACE}]+|[${PY_SPACE}]+$`, "g");

/**
 * Why verification failed. `code` matches the server's error codes where one
 * exists (audit_chain_broken, audit_checkpoint_mismatch, audit_bad_signature,
 * audit_malformed_checkpoint, audit_malformed_record); the others are
 * audit_bad_input (a caller's mistake), audit_no_checkpoint and
 * audit_unsupported (the browser lacks WebCrypto or Ed25519). Chain errors
 * also carry `seq`, `step`, `damage` and `firstBad`; checkpoint mismatches
 * carry `damage`, `size` and `seq`.
 */
export class AuditVerifyError extends Error {
  /**
   * @param {string} code
   * @param {string} message  one line, without record values or key material
   * @param {{seq?: number, step?: string, damage?: string, firstBad?: number, size?: number}} [details]
   */
  constructor(code, message, details = {}) {
    super(message);
    this.name = "AuditVerifyError";
    this.code = code;
    for (const name of ["seq", "step", "damage", "firstBad", "size"]) {
      if (details[name] !== undefined) this[name] = details[name];
    }
  }
}

const malformedRecord = (message) => new AuditVerifyError("audit_malformed_record", message);
const malformedCheckpoint = (message) => new AuditVerifyError("audit_malformed_checkpoint", message);
const badInput = (message) => new AuditVerifyError("audit_bad_input", message);

// ---------------------------------------------------------------- bytes

function subtle() {
  // crypto.subtle exists only in secure contexts (HTTPS or localhost).
  const s = globalThis.crypto && globalThis.crypto.subtle;
  if (!s) throw new AuditVerifyError("audit_unsupported", "this browser offers no WebCrypto here (it needs HTTPS)");
  return s;
}

function concat(parts) {
  let length = 0;
  for (const p of parts) length += p.length;
  const out = new Uint8Array(length);
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

async function sha256(...parts) {
  return new Uint8Array(await subtle().digest("SHA-256", concat(parts)));
}

// Many independent digests, a batch at a time, results in input order.
async function sha256All(inputs) {
  const out = new Array(inputs.length);
  for (let i = 0; i < inputs.length; i += BATCH) {
    const chunk = inputs.slice(i, i + BATCH).map((parts) => sha256(...parts));
    const done = await Promise.all(chunk);
    for (let j = 0; j < done.length; j++) out[i + j] = done[j];
  }
  return out;
}

function toHex(bytes) {
  let out = "";
  for (const b of bytes) out += b.toString(16).padStart(2, "0");
  return out;
}

function fromHex(hex) {
  const out = new Uint8Array(hex.length / 2);
  for (let i = 0; i < out.length; i++) out[i] = parseInt(hex.slice(2 * i, 2 * i + 2), 16);
  return out;
}

function b64encode(bytes) {
  let bin = "";
  for (const b of bytes) bin += String.fromCharCode(b);
  return btoa(bin);
}

// Standard base64 with padding, and only its one canonical spelling: the
// same bytes must never have two texts, or a signature could be re-spelled.
// Which texts are "not base64" and which merely "not canonical" follows
// Python's base64.b64decode(validate=True), so both name the same error (the
// verdict is the same either way: only canonical text is accepted). It
// decodes when the padding exactly completes the last group, and tolerates
// padding after complete groups except in an otherwise empty text.
function b64decode(text, size, what) {
  if (!BASE64.test(text)) throw malformedCheckpoint(`${what} is not base64`);
  const data = text.replace(/=+$/, "");
  const open = data.length % 4;
  const pads = text.length - data.length;
  const complete = open === 0 ? pads === 0 || data.length > 0 : open + pads === 4;
  if (!complete) {
    throw malformedCheckpoint(`${what} is not base64`);
  }
  const bin = atob(data + "==".slice(0, (4 - open) % 4));
  const bytes = Uint8Array.from(bin, (c) => c.charCodeAt(0));
  if (b64encode(bytes) !== text) throw malformedCheckpoint(`${what} is not canonical base64`);
  if (size !== null && bytes.length !== size) throw malformedCheckpoint(`${what} must be ${size} bytes`);
  return bytes;
}

function sameBytes(a, b) {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

function codePoints(text) {
  let n = 0;
  for (const _ of text) n++;
  return n;
}

// ---------------------------------------------------------------- records

function isPlainObject(value) {
  if (value === null || typeof value !== "object" || Array.isArray(value)) return false;
  const proto = Object.getPrototypeOf(value);
  return proto === Object.prototype || proto === null;
}

function isDaysInMonth(y, m, d) {
  const leap = y % 4 === 0 && (y % 100 !== 0 || y % 400 === 0);
  const days = [31, leap ? 29 : 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31][m - 1];
  return d >= 1 && d <= days;
}

function checkTs(value) {
  if (typeof value !== "string") throw malformedRecord("audit record field ts must be text");
  const m = TS.exec(value);
  if (m === null) throw malformedRecord("audit record field ts is not RFC 3339 UTC with microseconds");
  const [y, mo, d, h, mi, s] = m.slice(1).map(Number);
  if (y < 1 || mo < 1 || mo > 12 || !isDaysInMonth(y, mo, d) || h > 23 || mi > 59 || s > 59) {
    throw malformedRecord("audit record field ts is not a valid time");
  }
}

function checkText(value, name, optional, nonempty) {
  if (value === null && optional) return;
  if (typeof value !== "string") throw malformedRecord(`audit record field ${name} must be text`);
  if (nonempty && value === "") throw malformedRecord(`audit record field ${name} must not be empty`);
  // A lone surrogate has no UTF-8 form, so it could never have been hashed.
  if (LONE_SURROGATE.test(value)) throw malformedRecord(`audit record field ${name} is not valid Unicode`);
}

function checkInt(value, name, optional, minimum) {
  if (value === null && optional) return;
  if (typeof value !== "number" || !Number.isInteger(value)) {
    throw malformedRecord(`audit record field ${name} must be an integer`);
  }
  if (value < minimum || value > MAX_INT) throw malformedRecord(`audit record field ${name} is out of range`);
}

function checkHex(value, name, optional) {
  if (value === null && optional) return;
  if (typeof value !== "string" || !HEX64.test(value)) {
    throw malformedRecord(`audit record field ${name} must be 64 lowercase hex digits`);
  }
}

// Float-free JSON, as the server records it: a number that is not a safe
// integer cannot be what the server hashed.
function checkJson(value, depth) {
  if (depth > MAX_PARAM_DEPTH) throw malformedRecord("audit record field params is nested too deeply");
  if (value === null || typeof value === "boolean") return;
  if (typeof value === "number" && Number.isInteger(value)) {
    if (Math.abs(value) > MAX_INT) throw malformedRecord("audit record field params holds an integer out of range");
    return;
  }
  if (typeof value === "string") {
    if (LONE_SURROGATE.test(value)) throw malformedRecord("audit record field params is not valid Unicode");
    return;
  }
  if (Array.isArray(value)) {
    for (const item of value) checkJson(item, depth + 1);
    return;
  }
  if (isPlainObject(value)) {
    for (const key of Object.keys(value)) {
      if (LONE_SURROGATE.test(key)) throw malformedRecord("audit record field params is not valid Unicode");
      checkJson(value[key], depth + 1);
    }
    return;
  }
  throw malformedRecord(
    "audit record field params holds a value that is not float-free JSON; " +
      "pass tool arguments through normalize_params",
  );
}

// The checks of conexor.audit.record_from_dict and AuditRecord, in the same
// order, so a record the CLI refuses is refused here with the same message.
function checkRecord(rec, withHash) {
  if (!isPlainObject(rec)) throw malformedRecord("an audit record must be a JSON object");
  const keys = new Set(Object.keys(rec));
  const wanted = withHash ? RECORD_FIELDS : BODY_FIELDS;
  const missing = wanted.filter((name) => !keys.has(name)).sort();
  if (missing.length) throw malformedRecord(`audit record lacks field ${missing[0]}`);
  for (const key of keys) {
    if (!RECORD_FIELDS.includes(key)) throw malformedRecord("audit record has an unknown field");
  }
  checkTs(rec.ts);
  for (const name of REQUIRED_TEXT) checkText(rec[name], name, false, true);
  for (const name of OPTIONAL_TEXT) checkText(rec[name], name, true, false);
  if (!isPlainObject(rec.params)) throw malformedRecord("audit record field params must be a JSON object");
  checkJson(rec.params, 0);
  if (rec.mode !== null && rec.mode !== "cloud" && rec.mode !== "agent") {
    throw malformedRecord("audit record field mode must be cloud, agent or null");
  }
  if (!["ok", "rejected", "error"].includes(rec.outcome)) {
    throw malformedRecord("audit record field outcome must be ok, rejected or error");
  }
  checkInt(rec.row_count, "row_count", true, 0);
  checkHex(rec.query_hash, "query_hash", true);
  checkInt(rec.duration_us, "duration_us", false, 0);
  checkInt(rec.seq, "seq", false, 1);
  checkHex(rec.prev_hash, "prev_hash", false);
  if (withHash) checkHex(rec.record_hash, "record_hash", false);
}

// RFC 8785 for float-free JSON. Sorting with the default comparison orders
// keys by UTF-16 code unit, which is what RFC 8785 prescribes, and
// JSON.stringify escapes strings exactly as RFC 8785 does (it is defined in
// terms of ECMAScript). Building text, not objects, also keeps a "__proto__"
// key an ordinary key.
function canonical(value) {
  if (value === null) return "null";
  if (typeof value === "boolean") return value ? "true" : "false";
  if (typeof value === "number") return String(value);
  if (typeof value === "string") return JSON.stringify(value);
  if (Array.isArray(value)) return `[${value.map(canonical).join(",")}]`;
  const keys = Object.keys(value).sort();
  return `{${keys.map((k) => `${JSON.stringify(k)}:${canonical(value[k])}`).join(",")}}`;
}

function bodyBytes(rec, seq = rec.seq) {
  const body = {};
  for (const name of BODY_FIELDS) body[name] = name === "seq" ? seq : rec[name];
  return new TextEncoder().encode(canonical(body));
}

function hashInput(rec, seq = rec.seq) {
  return [DOMAIN, fromHex(rec.prev_hash), bodyBytes(rec, seq)];
}

/**
 * The record hash of one record, as lowercase hex. `record_hash` itself, if
 * present, is ignored; every other field must be present and well-formed.
 * @param {Record<string, any>} record  a record as GET /api/v1/audit returns it
 * @returns {Promise<string>}
 */
export async function recordHash(record) {
  checkRecord(record, false);
  return toHex(await sha256(...hashInput(record)));
}

// ---------------------------------------------------------------- Merkle

async function leafHashes(leaves) {
  const zero = new Uint8Array([0x00]);
  return sha256All(leaves.map((leaf) => [zero, leaf]));
}

// The tree over m leaf hashes, bottom-up: level k+1 pairs the neighbours of
// level k, and an odd last node is carried up unchanged. Each level's hashes
// run concurrently. levels[k][j] covers leaves [j * 2^k, (j + 1) * 2^k), so
// it is the perfect subtree of those leaves whenever that range ends <= m.
async function merkleLevels(leafHashList) {
  const one = new Uint8Array([0x01]);
  const levels = [leafHashList];
  for (let level = leafHashList; level.length > 1; ) {
    const pairs = [];
    for (let i = 0; i + 1 < level.length; i += 2) pairs.push([one, level[i], level[i + 1]]);
    const next = await sha256All(pairs);
    if (level.length % 2) next.push(level[level.length - 1]);
    levels.push(next);
    level = next;
  }
  return levels;
}

// RFC 6962 MTH of the first `size` leaves (size <= m): the perfect subtrees
// of size's binary digits, largest first, folded right to left, which is the
// same as splitting at the largest power of two below the size. One tree
// thus answers every checkpoint's size with a handful of extra hashes.
async function prefixRoot(levels, size) {
  if (size === 0) return sha256();
  const parts = [];
  let offset = 0;
  for (let k = levels.length - 1; k >= 0; k--) {
    const width = 2 ** k;
    if (offset + width <= size) {
      parts.push(levels[k][offset / width]);
      offset += width;
    }
  }
  const one = new Uint8Array([0x01]);
  let root = parts.pop();
  while (parts.length) root = await sha256(one, parts.pop(), root);
  return root;
}

/**
 * RFC 6962 Merkle tree hash over leaf data given as hex (for the audit trail,
 * each leaf is a record's 32-byte record_hash). The empty tree's root is
 * SHA-256 of nothing.
 * @param {string[]} hashesHex
 * @returns {Promise<Uint8Array>}
 */
export async function merkleRoot(hashesHex) {
  if (!Array.isArray(hashesHex)) throw badInput("the Merkle leaves must be a list");
  for (const hex of hashesHex) {
    if (typeof hex !== "string" || !HEX.test(hex)) throw badInput("a Merkle leaf is not lowercase hex");
  }
  return prefixRoot(await merkleLevels(await leafHashes(hashesHex.map(fromHex))), hashesHex.length);
}

// ---------------------------------------------------------------- keys

function pyStrip(text) {
  return text.replace(PY_STRIP, "");
}

async function keyIdOf(name, publicKey) {
  const id = await sha256(new TextEncoder().encode(`${name}\n`), new Uint8Array([ALG_ED25519]), publicKey);
  return id.slice(0, 4);
}

/**
 * Parse a signed-note verifier key, `name+keyid+base64(0x01 || public key)`,
 * as served at /.well-known/conexor-audit-key. Asynchronous because the key
 * id must be recomputed (SHA-256) and match.
 * @param {string} text
 * @returns {Promise<{name: string, keyId: Uint8Array, keyIdHex: string, publicKey: Uint8Array, text: string}>}
 */
export async function parseVerifierKey(text) {
  if (typeof text !== "string") throw malformedCheckpoint("verifier key must be text");
  // The base64 part may itself contain "+": split off only the two fields before it.
  const stripped = pyStrip(text);
  const first = stripped.indexOf("+");
  const second = first < 0 ? -1 : stripped.indexOf("+", first + 1);
  if (second < 0) throw malformedCheckpoint("verifier key must be name+keyid+key");
  const name = stripped.slice(0, first);
  const hexId = stripped.slice(first + 1, second);
  const blob = stripped.slice(second + 1);
  if (!KEY_NAME.test(name) || name.length > 256) {
    throw malformedCheckpoint("key name must be printable ASCII without spaces or '+'");
  }
  if (!KEY_ID.test(hexId)) throw malformedCheckpoint("verifier key id must be 8 lowercase hex digits");
  const data = b64decode(blob, null, "verifier key");
  if (data.length !== 33 || data[0] !== ALG_ED25519) throw malformedCheckpoint("verifier key is not an Ed25519 key");
  const publicKey = data.slice(1);
  const keyId = await keyIdOf(name, publicKey);
  if (toHex(keyId) !== hexId) throw malformedCheckpoint("verifier key id does not match the key");
  return { name, keyId, keyIdHex: hexId, publicKey, text: `${name}+${hexId}+${blob}` };
}

// ---------------------------------------------------------------- checkpoints

function parseSignatures(text) {
  if (!text) throw malformedCheckpoint("checkpoint has no signature line");
  const lines = text.split("\n");
  if (lines[lines.length - 1] !== "") throw malformedCheckpoint("checkpoint must end with a newline");
  lines.pop();
  if (lines.length > MAX_SIGNATURES) throw malformedCheckpoint("checkpoint has too many signature lines");
  return lines.map((line) => {
    const m = SIG_LINE.exec(line);
    if (m === null) throw malformedCheckpoint("checkpoint signature line is malformed");
    const blob = b64decode(m[2], null, "checkpoint signature");
    if (blob.length < 5) throw malformedCheckpoint("checkpoint signature is too short");
    const keyId = blob.slice(0, 4);
    return { name: m[1], keyId, keyIdHex: toHex(keyId), signature: blob.slice(4) };
  });
}

/**
 * Parse a signed checkpoint strictly (the form only; see verifyCheckpoint).
 * `size` is exact up to 2^53 - 1; `sizeText` is always exact. `body` is the
 * signed message (lines 1 to 5 with their newlines).
 * @param {string} text
 * @returns {{origin: string, size: number, sizeText: string, root: Uint8Array, rootB64: string,
 *   time: string, previous: Uint8Array, previousB64: string, body: string,
 *   signatures: {name: string, keyId: Uint8Array, keyIdHex: string, signature: Uint8Array}[]}}
 */
export function parseCheckpoint(text) {
  if (typeof text !== "string") throw malformedCheckpoint("checkpoint must be text");
  if (text.length > MAX_CHECKPOINT_CHARS && codePoints(text) > MAX_CHECKPOINT_CHARS) {
    throw malformedCheckpoint("checkpoint is too large");
  }
  if (CONTROL.test(text)) throw malformedCheckpoint("checkpoint holds control characters");
  if (LONE_SURROGATE.test(text)) throw malformedCheckpoint("checkpoint is not valid Unicode");
  const cut = text.indexOf("\n\n");
  if (cut < 0) throw malformedCheckpoint("checkpoint lacks the blank line before its signatures");
  const body = text.slice(0, cut + 1);
  const lines = body.split("\n").slice(0, -1);
  if (lines.length !== 5) throw malformedCheckpoint("checkpoint body must have origin, size, root, time, previous");
  const [origin, sizeText, rootB64, timeLine, prevLine] = lines;
  if (!SIZE.test(sizeText)) throw malformedCheckpoint("checkpoint size is not a decimal number");
  const root = b64decode(rootB64, 32, "checkpoint root");
  if (!timeLine.startsWith("time ")) throw malformedCheckpoint("checkpoint line 4 must be the time extension");
  const time = timeLine.slice(5);
  try {
    checkTs(time);
  } catch {
    throw malformedCheckpoint("checkpoint time is not RFC 3339 UTC");
  }
  if (!prevLine.startsWith("previous ")) {
    throw malformedCheckpoint("checkpoint line 5 must be the previous extension");
  }
  const previousB64 = prevLine.slice(9);
  const previous = b64decode(previousB64, 32, "checkpoint previous hash");
  const signatures = parseSignatures(text.slice(cut + 2));
  if (!LINE.test(origin) || pyStrip(origin) !== origin) {
    throw malformedCheckpoint("checkpoint origin must be one printable line");
  }
  if (BigInt(sizeText) > MAX_SIZE) throw malformedCheckpoint("checkpoint size is out of range");
  // Only one spelling per checkpoint: what would be written is what was read.
  const rebuilt = `${origin}\n${sizeText}\n${b64encode(root)}\ntime ${time}\nprevious ${b64encode(previous)}\n`;
  if (rebuilt !== body) throw malformedCheckpoint("checkpoint is not in canonical form");
  const size = Number(sizeText);
  return { origin, size, sizeText, root, rootB64, time, previous, previousB64, body, signatures };
}

async function importEd25519(publicKey) {
  const s = subtle();
  try {
    return await s.importKey("raw", publicKey, { name: "Ed25519" }, false, ["verify"]);
  } catch (err) {
    if (err && err.name === "NotSupportedError") {
      throw new AuditVerifyError("audit_unsupported", "this browser cannot check Ed25519 signatures");
    }
    // A public key that is not a curve point: nothing can be validly signed by it.
    return null;
  }
}

async function ed25519Valid(publicKey, message, signature) {
  if (signature.length !== 64) return false;
  const key = await importEd25519(publicKey);
  if (key === null) return false;
  const s = subtle();
  try {
    return await s.verify({ name: "Ed25519" }, key, signature, message);
  } catch (err) {
    if (err && err.name === "NotSupportedError") {
      throw new AuditVerifyError("audit_unsupported", "this browser cannot check Ed25519 signatures");
    }
    return false;
  }
}

// conexor.audit.verify_checkpoint: the first signature line with the key's
// name and id decides; other signers' lines (witnesses) are ignored.
async function checkSignature(cp, key) {
  const message = new TextEncoder().encode(cp.body);
  for (const sig of cp.signatures) {
    if (sig.name === key.name && sameBytes(sig.keyId, key.keyId)) {
      if (await ed25519Valid(key.publicKey, message, sig.signature)) return;
      throw new AuditVerifyError(
        "audit_bad_signature",
        `checkpoint of size ${cp.sizeText} has an invalid signature by key ${key.name}`,
      );
    }
  }
  throw new AuditVerifyError("audit_bad_signature", `checkpoint of size ${cp.sizeText} is not signed by key ${key.name}`);
}

/**
 * Parse a checkpoint and check that it carries a valid Ed25519 signature by
 * the given verifier key; throws otherwise.
 * @param {string} checkpointText
 * @param {string} verifierKeyText
 * @returns {Promise<ReturnType<typeof parseCheckpoint>>}
 */
export async function verifyCheckpoint(checkpointText, verifierKeyText) {
  const key = await parseVerifierKey(verifierKeyText);
  const cp = parseCheckpoint(checkpointText);
  await checkSignature(cp, key);
  return cp;
}

// ---------------------------------------------------------------- the chain

function chainBroken(seq, step, damage, firstBad) {
  let message = `audit trail broken at record ${seq} (${step}): ${damage.replaceAll("_", " ")}`;
  if (firstBad !== seq) message += ` at ${firstBad}`;
  return new AuditVerifyError("audit_chain_broken", message, { seq, step, damage, firstBad });
}

function mismatch(damage, size, seq, message) {
  return new AuditVerifyError("audit_checkpoint_mismatch", message, { damage, size, seq });
}

function rewritten(size, lo) {
  return mismatch(
    "trail_rewritten",
    size,
    lo,
    `audit trail rewritten since the checkpoint of size ${size}: the Merkle root differs; ` +
      `the first changed record is between ${lo} and ${size}`,
  );
}

// Records are checked for form in order, up to the first malformed one, and
// only that prefix is hashed. Reading past it (in the walk, or when peeking
// one ahead to name damage) raises its error, exactly where the CLI, which
// parses records as it streams them, would.
async function prepare(records) {
  if (!Array.isArray(records)) throw badInput("the records must be a list");
  let bad = records.length;
  let badError = null;
  for (let i = 0; i < records.length; i++) {
    try {
      checkRecord(records[i], true);
    } catch (err) {
      bad = i;
      badError = err;
      break;
    }
  }
  const computed = (await sha256All(records.slice(0, bad).map((rec) => hashInput(rec)))).map(toHex);
  const cursor = {
    pos: 0,
    /** The index of the next record, or null at the end. */
    next() {
      if (this.pos >= records.length) return null;
      if (this.pos === bad) {
        throw new AuditVerifyError(badError.code, `record at position ${bad + 1}: ${badError.message}`);
      }
      return this.pos++;
    },
  };
  return { computed, cursor, wellFormed: bad };
}

// conexor.audit.chain.diagnose: the most likely damage at the first failing
// record, peeking at most one record ahead. The position is exact either way.
async function diagnose(records, computed, expected, step, i, cursor, beforePrev) {
  const rec = records[i];
  let damage;
  let firstBad = expected;
  const consistentAs = async (seq) =>
    seq >= 1 && seq <= MAX_INT && toHex(await sha256(...hashInput(rec, seq))) === rec.record_hash;
  if (step === "record_hash") {
    damage = "field_modified";
  } else if (step === "seq") {
    if (rec.seq < expected) {
      // Its number is already taken: an extra copy or an inserted record.
      damage = "record_inserted";
    } else {
      const n = cursor.next();
      damage = n !== null && records[n].seq === expected ? "records_swapped" : "record_deleted";
    }
  } else {
    const n = cursor.next();
    if (n !== null && rec.prev_hash === records[n].record_hash) {
      // It links to the record after it: the two changed places.
      damage = "records_swapped";
    } else if (computed[i] === rec.record_hash) {
      if (beforePrev !== null && rec.prev_hash === beforePrev) {
        // It links past the record before it: that one does not belong.
        damage = "record_inserted";
        firstBad = expected - 1;
      } else if (beforePrev !== null) {
        // It links to a record no longer there: the one before was replaced.
        damage = "field_modified";
        firstBad = expected - 1;
      } else {
        damage = "record_deleted";
      }
    } else if (await consistentAs(rec.seq + 1)) {
      // Renumbered down after the records before it were removed.
      damage = "record_deleted";
    } else if (await consistentAs(rec.seq - 1)) {
      // Renumbered up to make room for a record inserted before it.
      damage = "record_inserted";
      firstBad = expected - 1;
    } else {
      damage = "field_modified";
    }
  }
  return chainBroken(expected, step, damage, firstBad);
}

// One pass over the records: seq, link and hash of each (conexor.audit.verify),
// with `atSize(n)` called once n records are known good. `atSize` may return
// an error to throw instead of continuing; it gets the cursor and state so it
// can peek at the next record the way verify_trail does.
async function walk(records, prepared, startSeq, startPrev, atSize) {
  const { computed, cursor } = prepared;
  let expected = startSeq;
  let prev = startPrev;
  let before = null;
  for (let i = cursor.next(); i !== null; i = cursor.next()) {
    const rec = records[i];
    // (1) seq is gap-free: the record sits where its number says.
    if (rec.seq !== expected) throw await diagnose(records, computed, expected, "seq", i, cursor, before);
    // (2) prev_hash links to the previous record_hash (1).
    if (rec.prev_hash !== prev) throw await diagnose(records, computed, expected, "prev_hash", i, cursor, before);
    // (3) record_hash recomputes from prev_hash (2) and the body.
    if (computed[i] !== rec.record_hash) {
      throw await diagnose(records, computed, expected, "record_hash", i, cursor, before);
    }
    before = prev;
    prev = rec.record_hash;
    if (atSize) {
      const error = await atSize(expected, { cursor, before, prev, computed });
      if (error) throw error;
    }
    expected += 1;
  }
  return { count: expected - startSeq, firstSeq: startSeq, lastSeq: expected - 1, head: prev };
}

/**
 * Check that records link into an intact chain: ascending seq without gaps,
 * each prev_hash the previous record_hash, each record_hash recomputed. Without
 * `prevHash` the records must start at seq 1 (after GENESIS); with it they
 * continue from that trusted hash, at `startSeq` (default: the first record's
 * seq). Throws AuditVerifyError at the first bad record.
 * @param {Record<string, any>[]} records
 * @param {{prevHash?: string, startSeq?: number}} [options]
 * @returns {Promise<{count: number, firstSeq: number, lastSeq: number, head: string}>}
 */
export async function verifyChain(records, { prevHash, startSeq } = {}) {
  if (prevHash !== undefined && (typeof prevHash !== "string" || !HEX64.test(prevHash))) {
    throw badInput("prevHash must be 64 lowercase hex digits");
  }
  let start = startSeq;
  if (start === undefined) {
    const first = Array.isArray(records) && records.length ? records[0] : null;
    start = prevHash === undefined || first === null || !Number.isSafeInteger(first?.seq) ? 1 : first.seq;
  }
  if (!Number.isSafeInteger(start) || start < 1) throw badInput("startSeq must be a positive integer");
  if (prevHash === undefined && start !== 1) throw badInput("records after seq 1 need the prevHash they continue from");
  return walk(records, await prepare(records), start, prevHash ?? GENESIS, null);
}

// ---------------------------------------------------------------- the trail

function sizeKey(a, b) {
  const x = BigInt(a.sizeText);
  const y = BigInt(b.sizeText);
  return x < y ? -1 : x > y ? 1 : 0;
}

/**
 * The whole check the dashboard shows as "verified", the same as
 * `conexor audit verify`: every record of the organisation from seq 1, the
 * chain intact, every checkpoint validly signed by the pinned key and for one
 * log, no two checkpoints of one size with different roots, and at each
 * checkpoint's size the Merkle root of the records so far equal to the signed
 * root; a checkpoint larger than the trail means records were cut off.
 * A checkpoint's `previous` line (the hash of the checkpoint before it) is
 * not checkable from records and is not checked, as in the CLI.
 * @param {Record<string, any>[]} records  all records, ascending from seq 1
 * @param {string | string[]} checkpointText  one checkpoint, or several (any order)
 * @param {string} verifierKeyText  the pinned verifier key
 * @param {{origin?: string}} [options]  the origin the checkpoints must name
 * @returns {Promise<{verified: true, size: number, count: number, firstSeq: number, lastSeq: number,
 *   head: string, root: string, checkpointRoot: string, origin: string, time: string,
 *   checkpoints: number[], keyName: string, keyId: string}>}
 */
export async function verifyTrail(records, checkpointText, verifierKeyText, { origin } = {}) {
  const texts = Array.isArray(checkpointText) ? checkpointText : [checkpointText];
  if (texts.length === 0) throw new AuditVerifyError("audit_no_checkpoint", "there is no checkpoint to verify against");
  const key = await parseVerifierKey(verifierKeyText);
  const cps = texts.map(parseCheckpoint);
  // (1) Every checkpoint is signed by the pinned key.
  for (const cp of cps) await checkSignature(cp, key);
  // (2) They all describe one log.
  const origins = new Set(cps.map((cp) => cp.origin));
  if (origin !== undefined) origins.add(origin);
  const sorted = [...cps].sort(sizeKey);
  if (origins.size > 1) {
    throw mismatch("wrong_log", sorted[0].size, 1, "the checkpoints are not all for this organisation's audit log");
  }
  // (3) No split view: one root per size.
  const roots = new Map();
  for (const cp of sorted) {
    const known = roots.get(cp.sizeText);
    if (known === undefined) roots.set(cp.sizeText, cp.root);
    else if (!sameBytes(known, cp.root)) {
      throw mismatch(
        "split_view",
        cp.size,
        cp.size,
        `split view: two checkpoints of size ${cp.sizeText} have different roots; ` +
          "the log showed different histories to different readers",
      );
    }
  }
  const targets = [...roots.keys()];
  const checked = [];
  let lastGood = 0;
  const prepared = await prepare(records);
  // The tree over every well-formed record's claimed hash, built when a root
  // is first needed; it is only ever asked about records already verified.
  let levels = null;
  const rootAt = async (n) => {
    if (n === 0) return sha256();
    if (levels === null) {
      const claimed = records.slice(0, prepared.wellFormed).map((rec) => fromHex(rec.record_hash));
      levels = await merkleLevels(await leafHashes(claimed));
    }
    return prefixRoot(levels, n);
  };
  // (4) A checkpoint of size 0 compares before any record is read.
  if (targets.length && targets[0] === "0") {
    if (!sameBytes(await rootAt(0), roots.get("0"))) throw rewritten(0, 1);
    checked.push(0);
    targets.shift();
  }
  // (5) The chain, and (6) at each checkpoint's size the root so far.
  const result = await walk(records, prepared, 1, GENESIS, async (n, { cursor, before, prev, computed }) => {
    if (!targets.length || targets[0] !== String(n)) return null;
    if (!sameBytes(await rootAt(n), roots.get(targets[0]))) {
      // A record inserted or swapped at the checkpoint's edge breaks the next
      // link; naming that is more precise than "rewritten".
      const nxt = cursor.next();
      if (nxt !== null && records[nxt].seq !== n + 1) {
        return diagnose(records, computed, n + 1, "seq", nxt, cursor, before);
      }
      if (nxt !== null && records[nxt].prev_hash !== prev) {
        return diagnose(records, computed, n + 1, "prev_hash", nxt, cursor, before);
      }
      return rewritten(n, lastGood + 1);
    }
    checked.push(n);
    targets.shift();
    lastGood = n;
    return null;
  });
  // (7) A checkpoint beyond the end means records were cut off.
  if (targets.length) {
    const size = targets[targets.length - 1];
    const last = result.lastSeq;
    throw mismatch(
      "tail_truncated",
      Number(size),
      last + 1,
      `audit trail truncated: it ends at record ${last} but a checkpoint covers ${size} records; ` +
        `records ${last + 1} to ${size} are missing`,
    );
  }
  // The newest of the largest checkpoints (idle heartbeats repeat a size).
  const largest = sorted.filter((cp) => cp.sizeText === sorted[sorted.length - 1].sizeText);
  const newest = largest.reduce((a, b) => (b.time > a.time ? b : a));
  return {
    verified: true,
    size: newest.size,
    count: result.count,
    firstSeq: result.firstSeq,
    lastSeq: result.lastSeq,
    head: result.head,
    root: toHex(await rootAt(result.count)),
    checkpointRoot: toHex(newest.root),
    origin: newest.origin,
    time: newest.time,
    checkpoints: checked,
    keyName: key.name,
    keyId: key.keyIdHex,
  };
}
