// Databases: list, add (the connection string is sealed here with WebCrypto
// and only the envelope is uploaded), test, policy, agent tokens, remove.

import { api, seg } from "./api.js";
import { dataTable, h, notice, when } from "./dom.js";
import { envelopeToJson, seal } from "./envelope.js";
import * as session from "./session.js";

/** The SQL dialect a connection URL speaks, from its scheme (the server checks again). */
export function dialectOfUrl(url) {
  const scheme = url.trim().split("://", 1)[0].toLowerCase();
  if (!url.includes("://")) return null;
  const backend = scheme.split("+", 1)[0];
  if (backend === "postgresql" || backend === "postgres") return "postgresql";
  if (backend === "mysql" || backend === "mariadb") return "mysql";
  if (backend === "sqlite") return "sqlite";
  return null;
}

export async function render(main) {
  const { databases } = await api("GET", "/databases");
  const output = h("div", { id: "db-output" });
  const rows = databases.map((db) => [
    h("strong", {}, db.name),
    db.dialect,
    db.mode,
    db.tables,
    db.max_rows,
    `${db.timeout_s} s`,
    when(db.created_at),
    h(
      "span",
      { class: "actions" },
      h("button", { type: "button", class: "small", "data-action": "test", "data-db": db.name, onclick: () => testDatabase(db, output) }, "Test"),
      h("button", { type: "button", class: "small secondary", "data-action": "policy", "data-db": db.name, onclick: () => editPolicy(db, output) }, "Policy"),
      db.mode === "agent"
        ? h("button", { type: "button", class: "small secondary", "data-action": "agents", "data-db": db.name, onclick: () => agentTokens(db, output) }, "Agents")
        : null,
      h("button", { type: "button", class: "small danger", "data-action": "remove", "data-db": db.name, onclick: () => removeDatabase(db, main) }, "Remove"),
    ),
  ]);
  main.replaceChildren(
    h("h1", {}, "Databases"),
    databases.length
      ? dataTable(["Name", "Dialect", "Mode", "Tables", "Row cap", "Timeout", "Added", ""], rows, { id: "databases" })
      : h("p", { class: "muted", id: "databases" }, "No databases yet. Add one below."),
    output,
    addForm(main),
  );
}

function addForm(main) {
  const name = h("input", { type: "text", id: "db-name", required: true, pattern: "[A-Za-z][A-Za-z0-9_\\-]{0,63}", placeholder: "sales" });
  const mode = h("select", { id: "db-mode" }, h("option", { value: "cloud" }, "cloud — encrypted here, queried by the server"), h("option", { value: "agent" }, "agent — the connection string never leaves your network"));
  const url = h("input", { type: "password", id: "db-url", autocomplete: "off", spellcheck: "false", placeholder: "postgresql://reader:…@db.internal:5432/sales" });
  const dialect = h("select", { id: "db-dialect" }, ["postgresql", "mysql", "sqlite"].map((d) => h("option", { value: d }, d)));
  const urlRow = h("div", { class: "field", id: "db-url-row" }, h("label", { for: "db-url" }, "Connection string"), url, h("p", { class: "muted small" }, "Sealed in this browser with AES-256-GCM under a key derived from your API key (PBKDF2, 600,000 iterations). Only the ciphertext is uploaded; the server opens it in memory, with your key, to read the schema and to run queries."));
  const dialectRow = h("div", { class: "field hidden", id: "db-dialect-row" }, h("label", { for: "db-dialect" }, "Dialect"), dialect);
  const status = h("div", { id: "db-add-status" });
  const button = h("button", { type: "submit", id: "db-add" }, "Add database");
  mode.addEventListener("change", () => {
    const agent = mode.value === "agent";
    urlRow.classList.toggle("hidden", agent);
    dialectRow.classList.toggle("hidden", !agent);
  });
  const form = h(
    "form",
    { id: "add-database", class: "card" },
    h("h2", {}, "Add a database"),
    h("div", { class: "field" }, h("label", { for: "db-name" }, "Name"), name),
    h("div", { class: "field" }, h("label", { for: "db-mode" }, "Mode"), mode),
    urlRow,
    dialectRow,
    button,
    status,
  );
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    status.replaceChildren(notice("info", mode.value === "cloud" ? "Encrypting in the browser and reading the schema…" : "Registering…"));
    button.disabled = true;
    try {
      const added = mode.value === "cloud" ? await addCloud(name.value, url.value) : await addAgent(name.value, dialect.value);
      url.value = "";
      await render(main);
      document.getElementById("db-output").replaceChildren(...added);
    } catch (error) {
      status.replaceChildren(notice("error", error.message));
    } finally {
      button.disabled = false;
    }
  });
  return form;
}

async function addCloud(name, url) {
  const dialect = dialectOfUrl(url);
  if (!dialect) throw new Error("the connection string must start with postgresql://, mysql://, mariadb:// or sqlite:///");
  const me = session.whoami();
  const id = crypto.randomUUID();
  const envelope = await seal(url, [session.key()], { orgId: me.org.id, databaseId: id, revision: 1 });
  const result = await api("POST", "/databases", {
    id,
    name,
    dialect,
    mode: "cloud",
    envelope: JSON.parse(envelopeToJson(envelope)),
  });
  return [
    notice("ok", `Added ${result.name} (${result.dialect}, ${result.tables} tables). The server holds only the ciphertext.`),
    ...warnings(result.warnings, result.grants),
  ];
}

async function addAgent(name, dialect) {
  const result = await api("POST", "/databases", {
    id: crypto.randomUUID(),
    name,
    dialect,
    mode: "agent",
  });
  return [notice("ok", `Added ${result.name} (${dialect}, agent mode).`), agentInstructions(result.agent_token)];
}

function agentInstructions(token) {
  const command =
    `CONEXOR_AGENT_TOKEN='${token}' CONEXOR_DB_URL='<connection string>' conexor agent --server ${location.origin}`;
  return h(
    "div",
    { class: "card", id: "agent-token" },
    h("p", {}, "Agent token, shown only now. Inside your network, run:"),
    h("pre", { class: "secret" }, h("code", { id: "agent-command" }, command)),
    h("button", { type: "button", class: "small secondary", onclick: () => navigator.clipboard.writeText(command) }, "Copy command"),
    h("p", { class: "muted small" }, "The agent connects out to this server; the connection string stays in that shell's environment."),
  );
}

function warnings(findings = [], grants = []) {
  if (!findings || !findings.length) return [];
  return [
    h("div", { class: "notice warn", id: "db-warnings" }, h("p", {}, "The connected role can do more than read:"), h("ul", {}, findings.map((f) => h("li", {}, f)))),
    grants && grants.length ? h("details", {}, h("summary", {}, "GRANTs for a read-only role"), h("pre", {}, grants.join("\n"))) : null,
  ];
}

async function testDatabase(db, output) {
  output.replaceChildren(notice("info", `Testing ${db.name}…`));
  try {
    const result = await api("POST", `/databases/${seg(db.name)}/test`);
    const via = db.mode === "agent" ? `${result.agents} agent(s) connected` : "reached from the server";
    output.replaceChildren(notice("ok", `${db.name}: connection works (${via}).`), ...warnings(result.warnings, result.grants));
  } catch (error) {
    output.replaceChildren(notice("error", `${db.name}: ${error.message}`));
  }
}

async function removeDatabase(db, main) {
  if (!confirm(`Remove ${db.name}? Its encrypted credential and schema metadata are deleted; the audit trail stays.`)) return;
  try {
    await api("DELETE", `/databases/${seg(db.name)}`);
    await render(main);
    document.getElementById("db-output").replaceChildren(notice("ok", `Removed ${db.name}.`));
  } catch (error) {
    document.getElementById("db-output").replaceChildren(notice("error", error.message));
  }
}

function lines(text) {
  return text
    .split("\n")
    .map((line) => line.trim())
    .filter(Boolean);
}

async function editPolicy(db, output) {
  const { policy } = await api("GET", `/databases/${seg(db.name)}/policy`);
  const field = (id, label, input, help) => h("div", { class: "field" }, h("label", { for: id }, label), input, help ? h("p", { class: "muted small" }, help) : null);
  const maxRows = h("input", { type: "number", id: "policy-max-rows", min: 1, value: policy.max_rows });
  const maxBytes = h("input", { type: "number", id: "policy-max-bytes", min: 1, value: policy.max_bytes });
  const timeout = h("input", { type: "number", id: "policy-timeout", min: 0.1, step: "any", value: policy.timeout_s });
  const denied = h("textarea", { id: "policy-denied", rows: 4 });
  denied.value = policy.denied_columns.join("\n");
  const tables = h("textarea", { id: "policy-tables", rows: 3 });
  tables.value = (policy.allowed_tables || []).join("\n");
  const schemas = h("textarea", { id: "policy-schemas", rows: 2 });
  schemas.value = (policy.allowed_schemas || []).join("\n");
  const status = h("div", { id: "policy-status" });
  const form = h(
    "form",
    { class: "card", id: "policy-form" },
    h("h2", {}, `Policy of ${db.name}`),
    field("policy-denied", "Denied columns", denied, "One per line: table.column, or schema.table.column. Queries that read them are refused."),
    field("policy-tables", "Allowed tables", tables, "One per line; empty allows every table."),
    field("policy-schemas", "Allowed schemas", schemas, "One per line; empty allows every schema."),
    h("div", { class: "row" }, field("policy-max-rows", "Row cap", maxRows), field("policy-max-bytes", "Byte cap", maxBytes), field("policy-timeout", "Timeout (s)", timeout)),
    h("button", { type: "submit" }, "Save policy"),
    status,
  );
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    const next = {
      ...policy,
      denied_columns: lines(denied.value),
      allowed_tables: lines(tables.value).length ? lines(tables.value) : null,
      allowed_schemas: lines(schemas.value).length ? lines(schemas.value) : null,
      max_rows: Number(maxRows.value),
      max_bytes: Number(maxBytes.value),
      timeout_s: Number(timeout.value),
    };
    try {
      await api("PUT", `/databases/${seg(db.name)}/policy`, { policy: next });
      status.replaceChildren(notice("ok", "Saved. The next query is checked against it."));
    } catch (error) {
      status.replaceChildren(notice("error", error.message));
    }
  });
  output.replaceChildren(form);
}

async function agentTokens(db, output) {
  const data = await api("GET", `/databases/${seg(db.name)}/agent-tokens`);
  const box = h("div", { class: "card", id: "agent-tokens" });
  const rows = data.tokens.map((t) => [
    h("code", {}, t.token_id),
    when(t.created_at),
    t.revoked ? "revoked" : "active",
    t.revoked
      ? ""
      : h("button", {
          type: "button",
          class: "small danger",
          onclick: async () => {
            await api("DELETE", `/databases/${seg(db.name)}/agent-tokens/${seg(t.token_id)}`);
            await agentTokens(db, output);
          },
        }, "Revoke"),
  ]);
  box.append(
    h("h2", {}, `Agents of ${db.name}`),
    h("p", {}, `${data.connected} agent(s) connected now.`),
    dataTable(["Token", "Created", "State", ""], rows),
    h("button", {
      type: "button",
      class: "secondary",
      onclick: async () => {
        const created = await api("POST", `/databases/${seg(db.name)}/agent-tokens`);
        await agentTokens(db, output);
        output.append(agentInstructions(created.agent_token));
      },
    }, "New agent token"),
  );
  output.replaceChildren(box);
}
