// Tools: the catalog this key sees over MCP, and a "try it" panel that calls
// a tool through /mcp from this page, as an AI client would.

import { api } from "./api.js";
import { dataTable, h, notice } from "./dom.js";
import { McpClient } from "./mcp.js";

let client = null;

async function connected() {
  if (!client) {
    client = new McpClient();
    await client.connect();
  }
  return client;
}

export async function render(main) {
  let tools;
  try {
    tools = await (await connected()).listTools();
  } catch (error) {
    client = null; // a stale session (server restart): start over next time
    throw error;
  }
  const { databases } = await api("GET", "/databases");
  const panel = h("div", { id: "try-panel" });
  const list = h(
    "div",
    { class: "tool-list", id: "tools" },
    tools.map((tool) =>
      h(
        "article",
        { class: "card tool", "data-tool": tool.name },
        h("h3", {}, h("code", {}, tool.name)),
        h("p", {}, (tool.description || "").split("\n")[0]),
        h("button", { type: "button", class: "small", onclick: () => tryTool(tool, databases, panel) }, "Try it"),
      ),
    ),
  );
  main.replaceChildren(
    h("h1", {}, "Tools"),
    h("p", { class: "muted" }, `What an AI client connected with this key sees: ${tools.length} tools on ${databases.length} database(s).`),
    list,
    panel,
  );
}

function inputFor(name, schema, required, databases) {
  const id = `arg-${name}`;
  let input;
  if (name === "database" && databases.length) {
    input = h("select", { id, name }, databases.map((db) => h("option", { value: db.name }, db.name)));
  } else if (name === "sql") {
    input = h("textarea", { id, name, rows: 4, spellcheck: "false", class: "mono" });
  } else {
    const numeric = schema.type === "integer" || schema.type === "number";
    input = h("input", { id, name, type: numeric ? "number" : "text", required: required || null });
  }
  return h(
    "div",
    { class: "field" },
    h("label", { for: id }, name, required ? "" : " (optional)"),
    input,
    schema.description ? h("p", { class: "muted small" }, schema.description) : null,
  );
}

function tryTool(tool, databases, panel) {
  const schema = tool.inputSchema || { properties: {} };
  const required = new Set(schema.required || []);
  const props = Object.entries(schema.properties || {});
  const result = h("div", { id: "try-result" });
  const form = h(
    "form",
    { class: "card", id: "try-form" },
    h("h2", {}, "Try ", h("code", {}, tool.name)),
    props.map(([name, prop]) => inputFor(name, prop, required.has(name), databases)),
    h("button", { type: "submit", id: "try-run" }, "Call"),
    result,
  );
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    const args = {};
    for (const [name, prop] of props) {
      const value = form.elements[name].value;
      if (value === "" && !required.has(name)) continue;
      args[name] = prop.type === "integer" || prop.type === "number" ? Number(value) : value;
    }
    result.replaceChildren(notice("info", "Calling…"));
    try {
      const reply = await (await connected()).callTool(tool.name, args);
      result.replaceChildren(...renderResult(reply));
    } catch (error) {
      client = null;
      result.replaceChildren(notice("error", error.message));
    }
  });
  panel.replaceChildren(form);
  form.scrollIntoView({ block: "nearest" });
}

function renderResult(reply) {
  const text = (reply.content || []).filter((c) => c.type === "text").map((c) => c.text).join("\n");
  if (reply.isError) return [notice("error", text || "the call failed")];
  const data = reply.structuredContent;
  if (data && Array.isArray(data.columns) && Array.isArray(data.rows)) {
    const columns = data.columns.map((c) => (typeof c === "string" ? c : c.name));
    return [
      notice("ok", `${data.row_count} row(s)${data.truncated ? ", truncated at the row cap" : ""}.`),
      h("div", { class: "scroll" }, dataTable(columns, data.rows, { id: "result-table" })),
    ];
  }
  return [h("pre", { class: "result-text", id: "result-text" }, text)];
}
