// API keys: create, list, revoke, and rotate the key in use. Rotation
// re-wraps every database's data key here in the browser (unwrap with the old
// key, wrap for the new one); the server receives only the new envelopes.

import { api, seg } from "./api.js";
import { dataTable, h, notice, when } from "./dom.js";
import { addWrap, envelopeToJson, parseEnvelope } from "./envelope.js";
import * as session from "./session.js";

export async function render(main) {
  const { keys } = await api("GET", "/keys");
  const current = session.whoami().key_id;
  const output = h("div", { id: "keys-output" });
  const rows = keys.map((k) => [
    h("code", {}, k.key_id),
    k.label || h("span", { class: "muted" }, "—"),
    when(k.created_at),
    k.revoked ? "revoked" : k.key_id === current ? "active (this session)" : "active",
    k.revoked || k.key_id === current
      ? ""
      : h("button", { type: "button", class: "small danger", "data-action": "revoke", "data-key": k.key_id, onclick: () => revoke(k.key_id, main, output) }, "Revoke"),
  ]);
  const label = h("input", { type: "text", id: "key-label", placeholder: "what the key is for", maxlength: 200 });
  const create = h("form", { class: "card", id: "create-key" }, h("h2", {}, "Create a key"), h("div", { class: "field" }, h("label", { for: "key-label" }, "Label"), label), h("button", { type: "submit" }, "Create key"), h("p", { class: "muted small" }, "A new key sees no database until you share one with it (conexor db share)."));
  create.addEventListener("submit", async (event) => {
    event.preventDefault();
    try {
      const created = await api("POST", "/keys", { label: label.value });
      await render(main);
      document.getElementById("keys-output").replaceChildren(shownOnce("New API key", created.api_key));
    } catch (error) {
      output.replaceChildren(notice("error", error.message));
    }
  });
  const rotate = h(
    "div",
    { class: "card", id: "rotate" },
    h("h2", {}, "Rotate this key"),
    h("p", {}, `Creates a new key, re-wraps every cloud database's credential for it in this browser, moves agent-mode databases to it, then revokes key ${current}. This session switches to the new key.`),
    h("button", { type: "button", id: "rotate-key", onclick: () => rotateKey(main) }, "Rotate key"),
  );
  main.replaceChildren(h("h1", {}, "API keys"), dataTable(["Key id", "Label", "Created", "State", ""], rows, { id: "keys" }), output, create, rotate);
}

function shownOnce(title, text) {
  return h(
    "div",
    { class: "card", id: "new-key" },
    notice("ok", `${title}, shown only now. Store it in a password manager.`),
    h("code", { class: "secret", id: "new-key-text" }, text),
    h("button", { type: "button", class: "small secondary", onclick: () => navigator.clipboard.writeText(text) }, "Copy"),
  );
}

async function revoke(keyId, main, output) {
  if (!confirm(`Revoke key ${keyId}? Requests with it fail at once. Revoking cannot unsee a password: rotate the passwords of databases it could open.`)) return;
  try {
    const result = await api("POST", `/keys/${seg(keyId)}/revoke`);
    await render(main);
    document.getElementById("keys-output").replaceChildren(notice("ok", `Revoked ${keyId}; removed its access to ${result.databases_unwrapped} database(s).`));
  } catch (error) {
    output.replaceChildren(notice("error", error.message));
  }
}

async function rotateKey(main) {
  const output = document.getElementById("keys-output");
  const oldKey = session.key();
  const oldId = session.whoami().key_id;
  output.replaceChildren(notice("info", "Rotating: re-wrapping credentials in this browser…"));
  try {
    const created = await api("POST", "/keys", { label: "rotated" });
    const newKey = created.api_key;
    const { databases } = await api("GET", "/databases");
    const moved = [];
    for (const db of databases) {
      if (db.mode === "cloud") {
        const current = await api("GET", `/databases/${seg(db.name)}/envelope`);
        const ctx = { orgId: current.org_id, databaseId: current.id, revision: current.revision };
        const envelope = parseEnvelope(JSON.stringify(current.envelope));
        const shared = await addWrap(envelope, oldKey, newKey, ctx);
        await api("PUT", `/databases/${seg(db.name)}/envelope`, { revision: current.revision, envelope: JSON.parse(envelopeToJson(shared)) });
      } else {
        await api("POST", `/databases/${seg(db.name)}/access`, { key_id: created.key_id });
      }
      moved.push(db.name);
    }
    await api("POST", `/keys/${seg(oldId)}/revoke`, undefined, { apiKey: newKey });
    const me = await api("GET", "/me", undefined, { apiKey: newKey });
    session.replaceKey(newKey, me);
    await render(main);
    document.getElementById("keys-output").replaceChildren(
      shownOnce(`Rotated: ${moved.length} database(s) moved, key ${oldId} revoked. Your new API key`, newKey),
    );
    document.getElementById("who").querySelector("span").textContent = `${me.user.email} (${me.role}) · ${me.org.name} · key ${me.key_id}`;
  } catch (error) {
    output.replaceChildren(notice("error", `Rotation stopped: ${error.message}`));
  }
}
