// Calls to this server's REST API. The key goes only in the Authorization
// header; requests never carry cookies or a referrer, and errors surface as
// the server's one-line message.

import { key } from "./session.js";

export class ApiError extends Error {
  /**
   * @param {number} status
   * @param {string} code
   * @param {string} message
   */
  constructor(status, code, message) {
    super(message);
    this.name = "ApiError";
    this.status = status;
    this.code = code;
  }
}

function headers(extra = {}, apiKey = key()) {
  const out = { Accept: "application/json", ...extra };
  if (apiKey) out.Authorization = `Bearer ${apiKey}`;
  return out;
}

async function failure(response) {
  let code = "http_error";
  let message = `the server answered ${response.status}`;
  try {
    const body = await response.json();
    if (body && body.error) {
      code = body.error.code || code;
      message = body.error.message || message;
    }
  } catch {
    // not JSON: keep the status line
  }
  return new ApiError(response.status, code, message);
}

/**
 * Call /api/v1 and return the parsed JSON reply.
 * @param {string} method
 * @param {string} path  below /api/v1, e.g. "/databases"
 * @param {any} [body]
 * @param {{apiKey?: string}} [options]  another key than the session's (rotation)
 */
export async function api(method, path, body, options = {}) {
  const init = {
    method,
    headers: headers(body === undefined ? {} : { "Content-Type": "application/json" }, options.apiKey ?? key()),
    credentials: "omit",
    cache: "no-store",
    referrerPolicy: "no-referrer",
  };
  if (body !== undefined) init.body = JSON.stringify(body);
  const response = await fetch(`/api/v1${path}`, init);
  if (!response.ok) throw await failure(response);
  return response.json();
}

/** GET a file-like reply (exports) as a Blob. */
export async function fetchBlob(path) {
  const response = await fetch(path, {
    headers: headers({ Accept: "*/*" }),
    credentials: "omit",
    cache: "no-store",
    referrerPolicy: "no-referrer",
  });
  if (!response.ok) throw await failure(response);
  return response.blob();
}

/** GET a public text resource of this server (no key needed). */
export async function fetchText(path) {
  const response = await fetch(path, { credentials: "omit", cache: "no-store" });
  if (!response.ok) throw await failure(response);
  return response.text();
}

/** Path segment encoding for database names and ids. */
export function seg(value) {
  return encodeURIComponent(value);
}
