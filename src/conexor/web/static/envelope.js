// Credential envelope, version 1, for the dashboard.
//
// The dashboard seals a database connection string in the browser, so the
// server stores a credential it cannot read on its own. This module follows
// docs/envelope.md byte for byte and produces and accepts exactly what the
// command line tool (conexor.crypto.envelope) does; the shared vector file
// tests/vectors/envelope-v1.json proves it.
//
// Recipe: a random 256-bit data key (DEK) encrypts the plaintext with
// AES-256-GCM. For each authorised API key the DEK is wrapped with
// AES-256-GCM under a key-encryption key (KEK) derived from the full key text
// with PBKDF2-HMAC-SHA256. Associated data binds the ciphertext to the
// organisation, database, revision and purpose, and each wrap to its key id
// and KDF parameters.
//
// Only standard Web APIs are used (crypto.subtle, crypto.getRandomValues,
// TextEncoder, TextDecoder), so the same file runs in the browser and in
// Node. KEKs are derived as non-extractable CryptoKeys that can only wrap and
// unwrap keys, and an opened DEK stays inside WebCrypto: the raw DEK exists in
// script memory only while sealing, and is zeroed afterwards.
//
// The envelope object used throughout mirrors the JSON document:
//   {v: 1, alg: "A256GCM", nonce, ct,
//    wraps: [{kid, kdf: "pbkdf2-sha256", iter, salt, nonce, wdek}, ...]}
// with byte fields as canonical unpadded base64url. Objects this module
// returns are frozen; functions that change an envelope return a new one.

/** Iterations used for new wraps. */
export const DEFAULT_ITERATIONS = 600000;
/** Fewest iterations accepted, for new wraps and stored ones alike. */
export const MIN_ITERATIONS = 600000;
/** Most iterations accepted; above this a stored wrap is a denial of service. */
export const MAX_ITERATIONS = 5000000;
/** Purpose of a sealed database connection string. */
export const PURPOSE_CONNECTION_URL = "connection-url";
/** Largest plaintext `seal` accepts, in bytes. */
export const MAX_PLAINTEXT = 16 * 1024;
/** Largest envelope JSON `parseEnvelope` reads, in UTF-8 bytes. */
export const MAX_ENVELOPE_BYTES = 64 * 1024;
/** Most API keys one envelope can be wrapped for. */
export const MAX_WRAPS = 64;

const VERSION = 1;
const ALG = "A256GCM";
const KDF_NAME = "pbkdf2-sha256";
const DEK_SIZE = 32;
const NONCE_SIZE = 12;
const SALT_SIZE = 16;
const TAG_SIZE = 16;
const WRAPPED_DEK_SIZE = DEK_SIZE + TAG_SIZE;
// The parser range-checks `iter` only loosely; opening enforces the real
// bounds, so an operator can tell an attack on the KDF from corruption.
const MAX_ITER_FIELD = 2 ** 31 - 1;
const MAX_CONTEXT_TEXT = 256;

const ENVELOPE_FIELDS = ["v", "alg", "nonce", "ct", "wraps"];
const WRAP_FIELDS = ["kid", "kdf", "iter", "salt", "nonce", "wdek"];

const API_KEY_PREFIX = "cnx_";
const KEY_ID_LENGTH = 12;
const SECRET_LENGTH = 43;
const CHECKSUM_LENGTH = 6;
const SECRET_START = API_KEY_PREFIX.length + KEY_ID_LENGTH + 1;
const CHECKSUM_START = SECRET_START + SECRET_LENGTH;
const API_KEY_LENGTH = CHECKSUM_START + CHECKSUM_LENGTH;
const SECRET_LIMIT = 1n << 256n;

const BASE62 = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";
const BASE62_RE = /^[0-9A-Za-z]*$/;
const B64URL = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
const B64URL_RE = /^[A-Za-z0-9_-]*$/;
// With the u flag a well-formed surrogate pair is one astral code point, so
// this matches only unpaired surrogates, which UTF-8 cannot encode.
const LONE_SURROGATE_RE = /\p{Cs}/u;

// Public messages; they name fields, never values, keys or plaintext.
const DECRYPTION_FAILED = "the stored credential could not be decrypted with this API key";
const INVALID_CONTEXT = "the encryption context is invalid";

/**
 * The one error class this module throws. `code` is stable:
 * "envelope_malformed", "decryption_failed", "kdf_params_rejected",
 * "crypto_error", or "invalid_api_key" for key text that is not a
 * well-formed conexor API key (the code the Python implementation uses).
 */
export class EnvelopeError extends Error {
  /**
   * @param {string} code
   * @param {string} message one line, safe to show
   */
  constructor(code, message) {
    super(message);
    this.name = "EnvelopeError";
    this.code = code;
  }
}

function malformed(what) {
  throw new EnvelopeError("envelope_malformed", `the encrypted credential is malformed (${what})`);
}

function refused(message) {
  throw new EnvelopeError("crypto_error", message);
}

// One error for every way opening can fail, so a caller learns nothing about
// which it was.
function decryptionFailed() {
  return new EnvelopeError("decryption_failed", DECRYPTION_FAILED);
}

function subtle() {
  const api = globalThis.crypto && globalThis.crypto.subtle;
  if (!api) {
    // Browsers hide WebCrypto outside secure contexts.
    refused("WebCrypto is unavailable (the page must be served over HTTPS or from localhost)");
  }
  return api;
}

function randomBytes(size) {
  return globalThis.crypto.getRandomValues(new Uint8Array(size));
}

const encoder = new TextEncoder();

// -- encodings --------------------------------------------------------------

function b64urlEncode(bytes) {
  let out = "";
  let i = 0;
  for (; i + 3 <= bytes.length; i += 3) {
    const n = (bytes[i] << 16) | (bytes[i + 1] << 8) | bytes[i + 2];
    out += B64URL[n >> 18] + B64URL[(n >> 12) & 63] + B64URL[(n >> 6) & 63] + B64URL[n & 63];
  }
  const rest = bytes.length - i;
  if (rest === 1) {
    const n = bytes[i] << 16;
    out += B64URL[n >> 18] + B64URL[(n >> 12) & 63];
  } else if (rest === 2) {
    const n = (bytes[i] << 16) | (bytes[i + 1] << 8);
    out += B64URL[n >> 18] + B64URL[(n >> 12) & 63] + B64URL[(n >> 6) & 63];
  }
  return out;
}

// Strict unpadded base64url: returns null for any spelling but the one
// canonical form (padding, foreign characters, length 1 mod 4, non-zero
// unused bits), so an encoded field cannot be mutated into another string
// that decodes to the same bytes.
function b64urlDecode(text) {
  if (typeof text !== "string" || !B64URL_RE.test(text) || text.length % 4 === 1) {
    return null;
  }
  const out = new Uint8Array(Math.floor((text.length * 3) / 4));
  let bits = 0;
  let count = 0;
  let j = 0;
  for (let i = 0; i < text.length; i++) {
    bits = (bits << 6) | B64URL.indexOf(text[i]);
    count += 6;
    if (count >= 8) {
      count -= 8;
      out[j++] = (bits >> count) & 0xff;
      bits &= (1 << count) - 1;
    }
  }
  // Leftover bits must be zero; re-encoding is the simplest proof.
  return b64urlEncode(out) === text ? out : null;
}

// Decode a field the validator has already proven canonical.
function bytesOf(text) {
  return /** @type {Uint8Array} */ (b64urlDecode(text));
}

function base62Encode(value, width) {
  let out = "";
  for (let v = value; v > 0; v = Math.floor(v / 62)) out = BASE62[v % 62] + out;
  return out.padStart(width, "0");
}

const CRC_TABLE = (() => {
  const table = new Uint32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    table[n] = c >>> 0;
  }
  return table;
})();

function crc32(ascii) {
  let crc = 0xffffffff;
  for (let i = 0; i < ascii.length; i++) {
    crc = CRC_TABLE[(crc ^ ascii.charCodeAt(i)) & 0xff] ^ (crc >>> 8);
  }
  return (crc ^ 0xffffffff) >>> 0;
}

// -- API keys ---------------------------------------------------------------

/**
 * Parse API key text exactly as given, with the rules of the Python
 * implementation: `cnx_<12 base62 key id>_<43 base62 secret><6 base62
 * checksum>`, the secret below 2^256, and the checksum the base62 CRC32 of
 * everything before it. Nothing is trimmed. The returned `text` is the
 * secret; it is a non-enumerable property so that logging or serialising the
 * object does not print it.
 *
 * @param {string} text
 * @returns {{text: string, keyId: string}}
 * @throws {EnvelopeError} code "invalid_api_key"
 */
export function parseApiKey(text) {
  const bad = () => new EnvelopeError("invalid_api_key", "invalid API key");
  if (typeof text !== "string" || text.length !== API_KEY_LENGTH) throw bad();
  if (!text.startsWith(API_KEY_PREFIX) || text[SECRET_START - 1] !== "_") throw bad();
  const keyId = text.slice(API_KEY_PREFIX.length, SECRET_START - 1);
  const secret = text.slice(SECRET_START, CHECKSUM_START);
  const checksum = text.slice(CHECKSUM_START);
  if (!BASE62_RE.test(keyId) || !BASE62_RE.test(secret) || !BASE62_RE.test(checksum)) {
    throw bad();
  }
  // One spelling per secret: 43 base62 digits can exceed 256 bits.
  let value = 0n;
  for (const ch of secret) value = value * 62n + BigInt(BASE62.indexOf(ch));
  if (value >= SECRET_LIMIT) throw bad();
  // The checksum catches typos before any slow derivation; it is not a MAC.
  const expected = base62Encode(crc32(text.slice(0, CHECKSUM_START)), CHECKSUM_LENGTH);
  let diff = 0;
  for (let i = 0; i < CHECKSUM_LENGTH; i++) diff |= expected.charCodeAt(i) ^ checksum.charCodeAt(i);
  if (diff !== 0) throw bad();
  const key = { keyId };
  Object.defineProperty(key, "text", { value: text, enumerable: false });
  return Object.freeze(/** @type {{text: string, keyId: string}} */ (key));
}

// -- context and associated data ------------------------------------------------

/**
 * @typedef {object} Context where an envelope belongs, from the server's own row
 * @property {string} orgId organisation id, 1 to 256 characters
 * @property {string} databaseId database id, 1 to 256 characters
 * @property {number} revision credential revision, integer 0 to 2^53 - 1
 * @property {string} [purpose] defaults to PURPOSE_CONNECTION_URL
 */

// Lengths count Unicode code points, as the Python implementation does, not
// UTF-16 units; text that UTF-8 cannot encode is refused.
function isContextText(text) {
  if (typeof text !== "string" || LONE_SURROGATE_RE.test(text)) return false;
  let n = 0;
  for (const _ of text) {
    if (++n > MAX_CONTEXT_TEXT) return false;
  }
  return n > 0;
}

function checkContext(ctx) {
  if (ctx === null || typeof ctx !== "object") refused(INVALID_CONTEXT);
  const { orgId, databaseId, revision } = ctx;
  const purpose = ctx.purpose === undefined ? PURPOSE_CONNECTION_URL : ctx.purpose;
  if (!isContextText(orgId) || !isContextText(databaseId) || !isContextText(purpose)) {
    refused(INVALID_CONTEXT);
  }
  // 2^53 - 1 is the largest revision that survives a JSON round trip here.
  if (!Number.isSafeInteger(revision) || revision < 0) refused(INVALID_CONTEXT);
  return { orgId, databaseId, revision, purpose };
}

// RFC 8785 canonical JSON sorts members and writes no whitespace. Inserting
// the members in sorted order makes JSON.stringify write the same bytes,
// because every value is a string or a safe integer and JSON.stringify
// escapes strings the way RFC 8785 does.
function contentAadOf(c) {
  const doc = {
    db: c.databaseId,
    org: c.orgId,
    part: "content",
    purpose: c.purpose,
    rev: c.revision,
    v: VERSION,
  };
  return encoder.encode(JSON.stringify(doc));
}

function wrapAadOf(c, keyId, iterations, salt) {
  const doc = {
    db: c.databaseId,
    iter: iterations,
    kdf: KDF_NAME,
    kid: keyId,
    org: c.orgId,
    part: "wrap",
    purpose: c.purpose,
    rev: c.revision,
    salt,
    v: VERSION,
  };
  return encoder.encode(JSON.stringify(doc));
}

/**
 * The content associated data for a context: its exact bytes, for checking
 * this implementation against others.
 *
 * @param {Context} ctx
 * @returns {Uint8Array}
 * @throws {EnvelopeError} code "crypto_error" for an invalid context
 */
export function contentAad(ctx) {
  return contentAadOf(checkContext(ctx));
}

/**
 * The wrap associated data for a context, key id, iteration count and
 * base64url salt, as exact bytes. The key id, count and salt are used as given.
 *
 * @param {Context} ctx
 * @param {string} keyId
 * @param {number} iterations
 * @param {string} salt base64url of the 16-byte salt
 * @returns {Uint8Array}
 * @throws {EnvelopeError} code "crypto_error" for an invalid context
 */
export function wrapAad(ctx, keyId, iterations, salt) {
  return wrapAadOf(checkContext(ctx), keyId, iterations, salt);
}

// -- parsing and serialising ------------------------------------------------------

function isObject(value) {
  return value !== null && typeof value === "object" && !Array.isArray(value);
}

function hasExactly(doc, names) {
  const own = Object.keys(doc);
  return own.length === names.length && names.every((n) => Object.hasOwn(doc, n));
}

function fieldBytes(value, what) {
  const bytes = b64urlDecode(value);
  if (bytes === null) malformed(what);
  return bytes;
}

function parseWrap(item) {
  if (!isObject(item) || !hasExactly(item, WRAP_FIELDS)) malformed("wrap members");
  if (item.kdf !== KDF_NAME) malformed("unsupported key derivation");
  const { kid, iter } = item;
  if (typeof kid !== "string") malformed("wrap key id");
  if (typeof iter !== "number" || !Number.isInteger(iter)) malformed("wrap iteration count");
  const salt = fieldBytes(item.salt, "wrap salt");
  const nonce = fieldBytes(item.nonce, "wrap nonce");
  const wdek = fieldBytes(item.wdek, "wrapped data key");
  if (kid.length !== KEY_ID_LENGTH || !BASE62_RE.test(kid)) malformed("wrap key id");
  if (iter < 1 || iter > MAX_ITER_FIELD) malformed("wrap iteration count");
  if (salt.length !== SALT_SIZE) malformed("wrap salt");
  if (nonce.length !== NONCE_SIZE) malformed("wrap nonce");
  if (wdek.length !== WRAPPED_DEK_SIZE) malformed("wrapped data key");
  return Object.freeze({
    kid,
    kdf: KDF_NAME,
    iter,
    salt: item.salt,
    nonce: item.nonce,
    wdek: item.wdek,
  });
}

// Checks a document in the order the Python parser does, so both report the
// same field for the same damage, and returns a fresh frozen envelope.
function validate(doc) {
  if (!isObject(doc)) malformed("not an object");
  // Version first, so a future format gets the clearest refusal.
  if (!Object.hasOwn(doc, "v") || doc.v !== VERSION) malformed("unsupported version");
  if (!hasExactly(doc, ENVELOPE_FIELDS)) malformed("envelope members");
  if (doc.alg !== ALG) malformed("unsupported algorithm");
  const { wraps } = doc;
  if (!Array.isArray(wraps) || wraps.length < 1 || wraps.length > MAX_WRAPS) malformed("wraps");
  const nonce = fieldBytes(doc.nonce, "nonce");
  const ct = fieldBytes(doc.ct, "ciphertext");
  const parsed = wraps.map(parseWrap);
  if (nonce.length !== NONCE_SIZE) malformed("nonce");
  if (ct.length < TAG_SIZE || ct.length > MAX_PLAINTEXT + TAG_SIZE) malformed("ciphertext");
  if (new Set(parsed.map((w) => w.kid)).size !== parsed.length) malformed("duplicate wrap key id");
  return freezeEnvelope(doc.nonce, doc.ct, parsed);
}

function freezeEnvelope(nonce, ct, wraps) {
  return Object.freeze({ v: VERSION, alg: ALG, nonce, ct, wraps: Object.freeze([...wraps]) });
}

/**
 * @typedef {object} Wrap
 * @property {string} kid
 * @property {string} kdf
 * @property {number} iter
 * @property {string} salt
 * @property {string} nonce
 * @property {string} wdek
 */

/**
 * @typedef {object} Envelope
 * @property {number} v
 * @property {string} alg
 * @property {string} nonce
 * @property {string} ct
 * @property {ReadonlyArray<Wrap>} wraps
 */

/**
 * Parse untrusted envelope JSON (a string, or its UTF-8 bytes) and apply
 * every validation rule of docs/envelope.md. Members may come in any order
 * with insignificant whitespace. JSON.parse cannot see duplicate member names
 * or integral numbers written with a fraction (600000.0); the Python parser
 * also refuses those.
 *
 * @param {string | Uint8Array} jsonText
 * @returns {Envelope}
 * @throws {EnvelopeError} code "envelope_malformed"
 */
export function parseEnvelope(jsonText) {
  let text = jsonText;
  if (text instanceof Uint8Array) {
    if (text.length > MAX_ENVELOPE_BYTES) malformed("too large");
    try {
      // ignoreBOM keeps a byte order mark, which then fails as JSON, as in Python.
      text = new TextDecoder("utf-8", { fatal: true, ignoreBOM: true }).decode(text);
    } catch {
      malformed("not UTF-8");
    }
  } else if (typeof text === "string") {
    // UTF-8 is never shorter than UTF-16, so long text is refused before encoding it.
    if (text.length > MAX_ENVELOPE_BYTES || encoder.encode(text).length > MAX_ENVELOPE_BYTES) {
      malformed("too large");
    }
  } else {
    malformed("not text");
  }
  let doc;
  try {
    doc = JSON.parse(text);
  } catch {
    malformed("not JSON");
  }
  return validate(doc);
}

// Accept a parsed envelope or its JSON, and re-check objects built elsewhere.
function envelopeOf(envelope) {
  if (typeof envelope === "string" || envelope instanceof Uint8Array) {
    return parseEnvelope(envelope);
  }
  return validate(envelope);
}

/**
 * Serialise compactly with the fixed member order of the Python
 * implementation (v, alg, nonce, ct, wraps; kid, kdf, iter, salt, nonce,
 * wdek), so both write identical text. The envelope is validated first.
 *
 * @param {Envelope} envelope
 * @returns {string}
 * @throws {EnvelopeError} code "envelope_malformed"
 */
export function envelopeToJson(envelope) {
  const env = validate(envelope);
  // validate() rebuilt the object with members in output order.
  return JSON.stringify(env);
}

// -- cryptography ------------------------------------------------------------------

function gcm(iv, additionalData) {
  return { name: "AES-GCM", iv, additionalData, tagLength: TAG_SIZE * 8 };
}

function checkIterations(iterations) {
  const weak = (m) => new EnvelopeError("kdf_params_rejected", m);
  if (typeof iterations !== "number" || !Number.isInteger(iterations)) {
    throw weak("the key derivation iteration count must be an integer");
  }
  if (iterations < MIN_ITERATIONS) {
    throw weak("the key derivation iteration count is below the minimum");
  }
  if (iterations > MAX_ITERATIONS) {
    throw weak("the key derivation iteration count is above the maximum");
  }
}

// Anything WebCrypto rejects is the environment failing, not the envelope;
// callers get this module's error class either way.
async function webCrypto(promise) {
  try {
    return await promise;
  } catch {
    return refused("the browser's cryptography failed");
  }
}

// When opening, WebCrypto reports a failed tag check as OperationError. Any
// other failure must not read as a wrong key.
async function opening(promise) {
  try {
    return await promise;
  } catch (err) {
    if (err && err.name === "OperationError") throw decryptionFailed();
    return refused("the browser's cryptography failed");
  }
}

// The KEK can only wrap and unwrap keys, and never leaves WebCrypto.
async function deriveKek(key, salt, iterations) {
  // The bounds hold before any derivation, for new and stored wraps alike.
  checkIterations(iterations);
  const api = subtle();
  const password = encoder.encode(key.text);
  const material = await webCrypto(api.importKey("raw", password, "PBKDF2", false, ["deriveKey"]));
  return webCrypto(
    api.deriveKey(
      { name: "PBKDF2", hash: "SHA-256", salt, iterations },
      material,
      { name: "AES-GCM", length: DEK_SIZE * 8 },
      false,
      ["wrapKey", "unwrapKey"],
    ),
  );
}

async function wrapFor(dekKey, key, c, salt, nonce, iterations) {
  const kek = await deriveKek(key, salt, iterations);
  const saltText = b64urlEncode(salt);
  const aad = wrapAadOf(c, key.keyId, iterations, saltText);
  const wrapped = await webCrypto(subtle().wrapKey("raw", dekKey, kek, gcm(nonce, aad)));
  const wdek = new Uint8Array(wrapped);
  return Object.freeze({
    kid: key.keyId,
    kdf: KDF_NAME,
    iter: iterations,
    salt: saltText,
    nonce: b64urlEncode(nonce),
    wdek: b64urlEncode(wdek),
  });
}

// Unwrap the DEK for `key`. No wrap, a wrong key and a wrong context all
// end in the same error; out-of-bounds iterations are refused before deriving.
async function openDek(env, key, c, extractable) {
  const wrap = env.wraps.find((w) => w.kid === key.keyId);
  if (wrap === undefined) throw decryptionFailed();
  const kek = await deriveKek(key, bytesOf(wrap.salt), wrap.iter);
  const aad = wrapAadOf(c, wrap.kid, wrap.iter, wrap.salt);
  const params = gcm(bytesOf(wrap.nonce), aad);
  return opening(
    subtle().unwrapKey("raw", bytesOf(wrap.wdek), kek, params, "AES-GCM", extractable, [
      "decrypt",
    ]),
  );
}

async function openContent(dekKey, env, c) {
  const params = gcm(bytesOf(env.nonce), contentAadOf(c));
  return new Uint8Array(await opening(subtle().decrypt(params, dekKey, bytesOf(env.ct))));
}

function parseKeys(apiKeys) {
  if (!Array.isArray(apiKeys)) refused("a credential must be encrypted for 1 to 64 API keys");
  return apiKeys.map(parseApiKey);
}

function plaintextBytes(plaintext) {
  if (plaintext instanceof Uint8Array) return plaintext;
  if (typeof plaintext === "string") {
    // TextEncoder would silently replace unpaired surrogates; refuse instead
    // of sealing something other than what the user typed.
    if (LONE_SURROGATE_RE.test(plaintext)) refused("the credential is not valid Unicode text");
    return encoder.encode(plaintext);
  }
  return refused("the credential must be text or bytes");
}

function checkMaterial(value, size) {
  if (!(value instanceof Uint8Array) || value.length !== size) {
    refused("the random input has the wrong size");
  }
}

// -- sealing and opening ----------------------------------------------------------

/**
 * Deterministic twin of `seal`: every random value is an argument. Only for
 * reproducing test vectors; never reuse a DEK, nonce or salt.
 *
 * @param {Uint8Array | string} plaintext bytes, or text sealed as UTF-8
 * @param {string[]} apiKeys API key texts, distinct key ids
 * @param {Context} ctx
 * @param {{dek: Uint8Array, nonce: Uint8Array, salts: Uint8Array[],
 *          wrapNonces: Uint8Array[], iterations?: number}} material
 *   32-byte DEK, 12-byte content nonce, one 16-byte salt and one 12-byte
 *   wrap nonce per key
 * @returns {Promise<Envelope>}
 * @throws {EnvelopeError}
 */
export async function sealWith(plaintext, apiKeys, ctx, material) {
  const c = checkContext(ctx);
  const keys = parseKeys(apiKeys);
  const data = plaintextBytes(plaintext);
  const { dek, nonce, salts, wrapNonces, iterations = DEFAULT_ITERATIONS } = material;
  if (data.length > MAX_PLAINTEXT) refused("the credential is too long to encrypt (limit 16 KiB)");
  if (keys.length < 1 || keys.length > MAX_WRAPS) {
    refused("a credential must be encrypted for 1 to 64 API keys");
  }
  if (new Set(keys.map((k) => k.keyId)).size !== keys.length) {
    refused("the same API key id appears twice");
  }
  if (!Array.isArray(salts) || salts.length !== keys.length) {
    refused("one salt and one wrap nonce per key");
  }
  if (!Array.isArray(wrapNonces) || wrapNonces.length !== keys.length) {
    refused("one salt and one wrap nonce per key");
  }
  checkMaterial(dek, DEK_SIZE);
  checkMaterial(nonce, NONCE_SIZE);
  salts.forEach((s) => checkMaterial(s, SALT_SIZE));
  wrapNonces.forEach((n) => checkMaterial(n, NONCE_SIZE));
  checkIterations(iterations);
  const api = subtle();
  // Extractable only so that wrapKey can encrypt it under each KEK.
  const dekKey = await webCrypto(api.importKey("raw", dek, "AES-GCM", true, ["encrypt"]));
  const content = gcm(nonce, contentAadOf(c));
  const ct = new Uint8Array(await webCrypto(api.encrypt(content, dekKey, data)));
  // The derivations are independent; WebCrypto runs them off the main thread.
  const wraps = await Promise.all(
    keys.map((key, i) => wrapFor(dekKey, key, c, salts[i], wrapNonces[i], iterations)),
  );
  return freezeEnvelope(b64urlEncode(nonce), b64urlEncode(ct), wraps);
}

/**
 * Encrypt `plaintext` (at most 16 KiB) so that each API key can open it.
 * Draws a fresh DEK, content nonce, and per-key salt and wrap nonce on every
 * call, and runs PBKDF2 once per key.
 *
 * @param {Uint8Array | string} plaintext bytes, or text sealed as UTF-8
 * @param {string[]} apiKeys API key texts, 1 to 64, distinct key ids
 * @param {Context} ctx
 * @param {{iterations?: number}} [options]
 * @returns {Promise<Envelope>}
 * @throws {EnvelopeError}
 */
export async function seal(plaintext, apiKeys, ctx, { iterations = DEFAULT_ITERATIONS } = {}) {
  const count = Array.isArray(apiKeys) ? apiKeys.length : 0;
  const dek = randomBytes(DEK_SIZE);
  try {
    return await sealWith(plaintext, apiKeys, ctx, {
      dek,
      nonce: randomBytes(NONCE_SIZE),
      salts: Array.from({ length: count }, () => randomBytes(SALT_SIZE)),
      wrapNonces: Array.from({ length: count }, () => randomBytes(NONCE_SIZE)),
      iterations,
    });
  } finally {
    // WebCrypto holds its own copy; do not leave the raw key in script memory.
    dek.fill(0);
  }
}

/**
 * Decrypt an envelope with one API key for the row described by `ctx`.
 * No wrap for the key, a wrong key, tampering and a wrong context all raise
 * "decryption_failed" with the same message; a wrap whose iteration count is
 * out of bounds raises "kdf_params_rejected" before any derivation.
 *
 * @param {Envelope | string} envelope parsed, or its JSON
 * @param {string} apiKeyText
 * @param {Context} ctx
 * @returns {Promise<Uint8Array>}
 * @throws {EnvelopeError}
 */
export async function unseal(envelope, apiKeyText, ctx) {
  const env = envelopeOf(envelope);
  const key = parseApiKey(apiKeyText);
  const c = checkContext(ctx);
  const dekKey = await openDek(env, key, c, false);
  return openContent(dekKey, env, c);
}

/**
 * `unseal`, decoding the plaintext as UTF-8 (a byte order mark is kept).
 *
 * @param {Envelope | string} envelope
 * @param {string} apiKeyText
 * @param {Context} ctx
 * @returns {Promise<string>}
 * @throws {EnvelopeError} also "crypto_error" when the plaintext is not UTF-8
 */
export async function unsealText(envelope, apiKeyText, ctx) {
  const bytes = await unseal(envelope, apiKeyText, ctx);
  try {
    return new TextDecoder("utf-8", { fatal: true, ignoreBOM: true }).decode(bytes);
  } catch {
    return refused("the credential is not UTF-8 text");
  }
}

// -- sharing and revoking -----------------------------------------------------------

/**
 * Deterministic twin of `addWrap`: the new wrap's salt and nonce are arguments.
 *
 * @param {Envelope | string} envelope
 * @param {string} holderKeyText a key that can open the envelope
 * @param {string} newKeyText the key to share with
 * @param {Context} ctx
 * @param {{salt: Uint8Array, nonce: Uint8Array, iterations?: number}} material
 * @returns {Promise<Envelope>}
 * @throws {EnvelopeError}
 */
export async function addWrapWith(envelope, holderKeyText, newKeyText, ctx, material) {
  const env = envelopeOf(envelope);
  const holder = parseApiKey(holderKeyText);
  const newKey = parseApiKey(newKeyText);
  const c = checkContext(ctx);
  const { salt, nonce, iterations = DEFAULT_ITERATIONS } = material;
  if (env.wraps.some((w) => w.kid === newKey.keyId)) {
    refused("this API key already has access to the credential");
  }
  if (env.wraps.length >= MAX_WRAPS) {
    refused("a credential can be shared with at most 64 API keys");
  }
  checkIterations(iterations);
  checkMaterial(salt, SALT_SIZE);
  checkMaterial(nonce, NONCE_SIZE);
  // Extractable only so that wrapKey can encrypt it under the new KEK.
  const dekKey = await openDek(env, holder, c, true);
  // Prove the DEK opens the content before handing it to another key.
  await openContent(dekKey, env, c);
  const wrap = await wrapFor(dekKey, newKey, c, salt, nonce, iterations);
  return freezeEnvelope(env.nonce, env.ct, [...env.wraps, wrap]);
}

/**
 * Share the credential with another API key, using a key that can already
 * open it to unwrap the DEK. Ciphertext and DEK are unchanged; a wrap with a
 * fresh salt and nonce is appended. Refuses ("crypto_error") a key that
 * already has a wrap.
 *
 * @param {Envelope | string} envelope
 * @param {string} holderKeyText
 * @param {string} newKeyText
 * @param {Context} ctx
 * @param {{iterations?: number}} [options]
 * @returns {Promise<Envelope>}
 * @throws {EnvelopeError}
 */
export async function addWrap(
  envelope,
  holderKeyText,
  newKeyText,
  ctx,
  { iterations = DEFAULT_ITERATIONS } = {},
) {
  return addWrapWith(envelope, holderKeyText, newKeyText, ctx, {
    salt: randomBytes(SALT_SIZE),
    nonce: randomBytes(NONCE_SIZE),
    iterations,
  });
}

/**
 * Return the envelope without the wrap for `keyId`. Needs no key. Refuses
 * ("crypto_error") an unknown key id and the last wrap, which would leave a
 * credential nobody can open. Removing a wrap does not unsee a password the
 * key already decrypted: rotate the database password too.
 *
 * @param {Envelope | string} envelope
 * @param {string} keyId
 * @returns {Envelope}
 * @throws {EnvelopeError}
 */
export function removeWrap(envelope, keyId) {
  const env = envelopeOf(envelope);
  if (!env.wraps.some((w) => w.kid === keyId)) {
    refused("this API key has no access to the credential");
  }
  if (env.wraps.length === 1) refused("cannot remove the last API key from a credential");
  return freezeEnvelope(
    env.nonce,
    env.ct,
    env.wraps.filter((w) => w.kid !== keyId),
  );
}
