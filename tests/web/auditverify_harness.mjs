// Runs the dashboard's audit verification module under Node for the Python tests.
//
// stdin:  {"ops": [{"op": "<exported function>", "args": [...]}, ...]}
// stdout: {"results": [{"ok": value} | {"error": {code, name, message, ...}}, ...]}
//
// One process runs a whole batch, in order, because starting Node costs far
// more than any one check. Uint8Array values come back as lowercase hex. An
// exception that is not an AuditVerifyError is reported with code
// "js_exception", so a bug fails a test instead of passing as a rejection.

import * as audit from "../../src/conexor/web/static/auditverify.js";

const OPS = new Set([
  "recordHash",
  "verifyChain",
  "merkleRoot",
  "parseVerifierKey",
  "parseCheckpoint",
  "verifyCheckpoint",
  "verifyTrail",
]);

function plain(value) {
  if (value instanceof Uint8Array) {
    return Array.from(value, (b) => b.toString(16).padStart(2, "0")).join("");
  }
  if (Array.isArray(value)) return value.map(plain);
  if (value !== null && typeof value === "object") {
    const out = {};
    for (const [k, v] of Object.entries(value)) out[k] = plain(v);
    return out;
  }
  return value;
}

function failure(err) {
  if (err instanceof audit.AuditVerifyError) {
    const out = { code: err.code, name: err.name, message: err.message };
    for (const k of ["seq", "step", "damage", "firstBad", "size"]) {
      if (k in err) out[k] = err[k];
    }
    return out;
  }
  return { code: "js_exception", name: String(err && err.name), message: String(err && err.message) };
}

async function readStdin() {
  const chunks = [];
  for await (const chunk of process.stdin) chunks.push(chunk);
  return Buffer.concat(chunks).toString("utf8");
}

const request = JSON.parse(await readStdin());
const results = [];
for (const { op, args } of request.ops) {
  if (!OPS.has(op)) {
    results.push({ error: { code: "js_exception", name: "Harness", message: `unknown op ${op}` } });
    continue;
  }
  try {
    results.push({ ok: plain(await audit[op](...args)) });
  } catch (err) {
    results.push({ error: failure(err) });
  }
}
process.stdout.write(JSON.stringify({ results }));
