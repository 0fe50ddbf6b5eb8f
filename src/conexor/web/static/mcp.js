// A minimal MCP client over Streamable HTTP for the "try it" panel: the page
// talks to /mcp exactly like any AI client does (initialize, tools/list,
// tools/call), so what it shows is what an assistant with this key gets, and
// every call lands in the audit trail under the client name below.
//
// The official TypeScript SDK needs a bundler and its dependencies; these
// three JSON-RPC requests over fetch are all the dashboard uses.

import { key } from "./session.js";

const CLIENT_INFO = { name: "conexor-dashboard", version: "1" };
const PROTOCOL_VERSION = "2025-11-25";

export class McpError extends Error {
  constructor(message, code = null) {
    super(message);
    this.name = "McpError";
    this.code = code;
  }
}

export class McpClient {
  constructor() {
    this.sessionId = null;
    this.protocolVersion = PROTOCOL_VERSION;
    this.nextId = 1;
  }

  async #post(payload) {
    const headers = {
      "Content-Type": "application/json",
      Accept: "application/json, text/event-stream",
      Authorization: `Bearer ${key()}`,
      "MCP-Protocol-Version": this.protocolVersion,
    };
    if (this.sessionId) headers["Mcp-Session-Id"] = this.sessionId;
    const response = await fetch("/mcp", {
      method: "POST",
      headers,
      body: JSON.stringify(payload),
      credentials: "omit",
      cache: "no-store",
      referrerPolicy: "no-referrer",
    });
    if (response.status === 202) return null;
    if (!response.ok) {
      let message = `the MCP endpoint answered ${response.status}`;
      try {
        const body = await response.json();
        message = body.error_description || body.error?.message || message;
      } catch {
        // keep the status line
      }
      throw new McpError(message);
    }
    const sid = response.headers.get("mcp-session-id");
    if (sid) this.sessionId = sid;
    const reply = await response.json();
    if (reply.error) throw new McpError(reply.error.message, reply.error.code);
    return reply.result;
  }

  async #request(method, params = {}) {
    return this.#post({ jsonrpc: "2.0", id: this.nextId++, method, params });
  }

  /** Open a session (initialize + initialized). */
  async connect() {
    const result = await this.#request("initialize", {
      protocolVersion: PROTOCOL_VERSION,
      capabilities: {},
      clientInfo: CLIENT_INFO,
    });
    this.protocolVersion = result.protocolVersion || PROTOCOL_VERSION;
    await this.#post({ jsonrpc: "2.0", method: "notifications/initialized" });
    return result;
  }

  /** Every tool this key sees, following pagination. */
  async listTools() {
    const tools = [];
    let cursor;
    do {
      const page = await this.#request("tools/list", cursor ? { cursor } : {});
      tools.push(...page.tools);
      cursor = page.nextCursor;
    } while (cursor);
    return tools;
  }

  /** Call a tool; the result's isError says whether the server refused or failed it. */
  async callTool(name, args) {
    return this.#request("tools/call", { name, arguments: args });
  }

  /** End the session on the server (best effort). */
  async close() {
    if (!this.sessionId) return;
    const sessionId = this.sessionId;
    this.sessionId = null;
    try {
      await fetch("/mcp", {
        method: "DELETE",
        headers: {
          Authorization: `Bearer ${key()}`,
          "Mcp-Session-Id": sessionId,
          "MCP-Protocol-Version": this.protocolVersion,
        },
        credentials: "omit",
      });
    } catch {
      // the server forgets idle sessions anyway
    }
  }
}
