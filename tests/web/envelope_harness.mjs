// Drives the dashboard's envelope module for the Python tests.
//
// Protocol: each line on stdin is one JSON request {"ops": [op, ...]}; the
// reply is one JSON line {"results": [result, ...]} in the same order. A
// result is {"ok": value} or {"error": {name, code, message, envelopeError}}.
// The ops of one request run concurrently, because PBKDF2 dominates and
// WebCrypto runs derivations on a thread pool. The process serves requests
// until stdin closes, so one process can answer many small requests.
//
// Byte values travel as lowercase hex. Contexts use the Python names
// (org_id, database_id, revision, purpose) and are mapped here, so the
// module itself only knows its own naming.

import { createInterface } from "node:readline";

const envelope = await import(new URL("../../src/conexor/web/static/envelope.js", import.meta.url));
const {
  EnvelopeError,
  addWrap,
  addWrapWith,
  contentAad,
  envelopeToJson,
  parseApiKey,
  parseEnvelope,
  removeWrap,
  seal,
  sealWith,
  unseal,
  unsealText,
  wrapAad,
} = envelope;

const fromHex = (hex) => Uint8Array.from(hex.match(/../g) ?? [], (b) => parseInt(b, 16));
const toHex = (bytes) => Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");

// Python context names to the module's; anything else is passed through so
// tests can send deliberately broken contexts.
function context(ctx) {
  if (ctx === null || typeof ctx !== "object" || Array.isArray(ctx)) return ctx;
  const out = { orgId: ctx.org_id, databaseId: ctx.database_id, revision: ctx.revision };
  if ("purpose" in ctx) out.purpose = ctx.purpose;
  return out;
}

function plaintext(op) {
  return "plaintext_hex" in op ? fromHex(op.plaintext_hex) : op.plaintext_text;
}

const OPS = {
  info: () => ({
    exports: Object.keys(envelope).sort(),
    constants: {
      DEFAULT_ITERATIONS: envelope.DEFAULT_ITERATIONS,
      MIN_ITERATIONS: envelope.MIN_ITERATIONS,
      MAX_ITERATIONS: envelope.MAX_ITERATIONS,
      PURPOSE_CONNECTION_URL: envelope.PURPOSE_CONNECTION_URL,
    },
    errorIsError: new EnvelopeError("crypto_error", "m") instanceof Error,
    errorName: new EnvelopeError("crypto_error", "m").name,
  }),
  parse_api_key: (op) => {
    const key = parseApiKey(op.text);
    return {
      key_id: key.keyId,
      text_matches: key.text === op.text,
      serialised: JSON.stringify(key),
      frozen: Object.isFrozen(key),
    };
  },
  parse: (op) => {
    const env = parseEnvelope(op.envelope);
    const frozen = Object.isFrozen(env) && Object.isFrozen(env.wraps);
    return { json: envelopeToJson(env), frozen };
  },
  to_json: (op) => envelopeToJson(op.envelope),
  content_aad: (op) => toHex(contentAad(context(op.ctx))),
  wrap_aad: (op) => toHex(wrapAad(context(op.ctx), op.kid, op.iterations, op.salt)),
  seal_with: async (op) =>
    envelopeToJson(
      await sealWith(plaintext(op), op.keys, context(op.ctx), {
        dek: fromHex(op.dek_hex),
        nonce: fromHex(op.nonce_hex),
        salts: op.salts_hex.map(fromHex),
        wrapNonces: op.wrap_nonces_hex.map(fromHex),
        iterations: op.iterations,
      }),
    ),
  seal: async (op) =>
    envelopeToJson(
      await seal(plaintext(op), op.keys, context(op.ctx), "iterations" in op ? op : {}),
    ),
  // The envelope is passed as JSON text, so unseal parses it itself.
  unseal: async (op) => toHex(await unseal(op.envelope, op.key, context(op.ctx))),
  // Parse first, then open the parsed object: both entry points are exercised.
  unseal_parsed: async (op) =>
    toHex(await unseal(parseEnvelope(op.envelope), op.key, context(op.ctx))),
  unseal_text: async (op) => unsealText(op.envelope, op.key, context(op.ctx)),
  add_wrap: async (op) =>
    envelopeToJson(
      await addWrap(
        op.envelope,
        op.holder,
        op.new_key,
        context(op.ctx),
        "iterations" in op ? op : {},
      ),
    ),
  add_wrap_with: async (op) =>
    envelopeToJson(
      await addWrapWith(op.envelope, op.holder, op.new_key, context(op.ctx), {
        salt: fromHex(op.salt_hex),
        nonce: fromHex(op.nonce_hex),
        iterations: op.iterations,
      }),
    ),
  remove_wrap: (op) => envelopeToJson(removeWrap(op.envelope, op.key_id)),
};

async function run(op) {
  try {
    const handler = OPS[op.op];
    if (handler === undefined) throw new Error(`unknown op ${op.op}`);
    return { ok: await handler(op) };
  } catch (err) {
    return {
      error: {
        name: err?.name ?? null,
        code: err?.code ?? null,
        message: String(err?.message ?? err),
        envelopeError: err instanceof EnvelopeError,
      },
    };
  }
}

for await (const line of createInterface({ input: process.stdin, crlfDelay: Infinity })) {
  if (line.trim() === "") continue;
  const request = JSON.parse(line);
  const results = await Promise.all(request.ops.map(run));
  process.stdout.write(`${JSON.stringify({ results })}\n`);
}
