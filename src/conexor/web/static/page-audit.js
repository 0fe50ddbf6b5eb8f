// Audit: the organisation's trail as a filterable, paged table, a chart of
// calls over time, exports in every format, and verification done here in the
// page: every record hash recomputed, the Merkle root compared with the latest
// signed checkpoint, and the checkpoint's Ed25519 signature checked.

import { api, fetchBlob, fetchText } from "./api.js";
import { verifyTrail } from "./auditverify.js";
import { callsChart } from "./chart.js";
import { dataTable, h, notice, saveFile, when } from "./dom.js";

const FORMATS = [
  ["jsonl", "JSON Lines (verifiable)"],
  ["csv", "CSV"],
  ["cef", "CEF"],
  ["syslog", "Syslog (RFC 5424)"],
  ["ocsf", "OCSF"],
];
const PAGE_SIZE = 50;
const FETCH_PAGE = 5000;

async function loadAll() {
  const records = [];
  let after = 0;
  for (;;) {
    const page = await api("GET", `/audit?after_seq=${after}&limit=${FETCH_PAGE}`);
    records.push(...page.records);
    after = page.next_after_seq;
    if (page.done) return records;
  }
}

function matches(record, filters) {
  if (filters.tool && record.tool !== filters.tool) return false;
  if (filters.user && record.user !== filters.user && record.user_id !== filters.user) return false;
  if (filters.database && record.database !== filters.database) return false;
  if (filters.outcome && record.outcome !== filters.outcome) return false;
  if (filters.since && new Date(record.ts) < new Date(filters.since)) return false;
  if (filters.until && new Date(record.ts) >= new Date(filters.until)) return false;
  return true;
}

function distinct(records, field) {
  return [...new Set(records.map((r) => r[field]).filter((v) => v !== null && v !== undefined))].sort();
}

export async function render(main) {
  const records = await loadAll();
  const state = { page: 0, filters: {}, groupBy: "tool" };
  const verification = h("div", { id: "verification", class: "card" }, notice("info", "Verifying the trail in this browser…"));
  const chartBox = h("div", { id: "chart", class: "card" });
  const tableBox = h("div", { id: "audit-table-box" });
  const exportStatus = h("div", { id: "export-status" });

  const select = (id, label, field) =>
    h(
      "div",
      { class: "field" },
      h("label", { for: id }, label),
      h("select", { id, "data-filter": field }, h("option", { value: "" }, "all"), distinct(records, field).map((v) => h("option", { value: v }, v))),
    );
  const dateInput = (id, label, field) => h("div", { class: "field" }, h("label", { for: id }, label), h("input", { type: "datetime-local", id, "data-filter": field }));
  const filters = h(
    "form",
    { class: "filters", id: "audit-filters" },
    select("filter-tool", "Tool", "tool"),
    select("filter-user", "User", "user"),
    select("filter-database", "Database", "database"),
    select("filter-outcome", "Outcome", "outcome"),
    dateInput("filter-since", "From", "since"),
    dateInput("filter-until", "Until", "until"),
  );
  filters.addEventListener("change", () => {
    for (const el of filters.querySelectorAll("[data-filter]")) {
      state.filters[el.dataset.filter] = el.value || null;
    }
    state.page = 0;
    redraw();
  });

  const groupToggle = h(
    "select",
    { id: "chart-group" },
    h("option", { value: "tool" }, "by tool"),
    h("option", { value: "user" }, "by user"),
    h("option", { value: "outcome" }, "by outcome"),
  );
  groupToggle.addEventListener("change", () => {
    state.groupBy = groupToggle.value;
    redraw();
  });

  function redraw() {
    const kept = records.filter((r) => matches(r, state.filters));
    chartBox.replaceChildren(
      h("div", { class: "row spread" }, h("h2", {}, "Calls over time"), groupToggle),
      kept.length ? callsChart(kept, state.groupBy) : h("p", { class: "muted" }, "No calls match."),
    );
    const newestFirst = kept.slice().reverse();
    const pages = Math.max(1, Math.ceil(newestFirst.length / PAGE_SIZE));
    state.page = Math.min(state.page, pages - 1);
    const shown = newestFirst.slice(state.page * PAGE_SIZE, (state.page + 1) * PAGE_SIZE);
    tableBox.replaceChildren(
      dataTable(
        ["#", "Time", "User", "Client", "Tool", "Database", "Outcome", "Rows", "ms", "Query hash"],
        shown.map((r) => [
          r.seq,
          when(r.ts),
          r.user,
          [r.client_name, r.client_version].filter(Boolean).join(" "),
          r.tool,
          r.database,
          h("span", { class: `outcome ${r.outcome}` }, r.outcome + (r.error_code ? ` (${r.error_code})` : "")),
          r.row_count,
          r.duration_us === null || r.duration_us === undefined ? "" : (r.duration_us / 1000).toFixed(1),
          r.query_hash ? h("code", { title: r.query_hash }, r.query_hash.slice(0, 12)) : "",
        ]),
        { id: "audit-table" },
      ),
      h(
        "div",
        { class: "pager" },
        h("button", { type: "button", class: "small secondary", id: "page-newer", disabled: state.page === 0, onclick: () => { state.page -= 1; redraw(); } }, "← Newer"),
        h("span", { id: "page-info" }, `Page ${state.page + 1} of ${pages} · ${kept.length} of ${records.length} records`),
        h("button", { type: "button", class: "small secondary", id: "page-older", disabled: state.page >= pages - 1, onclick: () => { state.page += 1; redraw(); } }, "Older →"),
      ),
    );
  }

  const exportButtons = h(
    "div",
    { class: "row wrap", id: "export-buttons" },
    FORMATS.map(([fmt, label]) =>
      h("button", { type: "button", class: "small secondary", "data-format": fmt, onclick: () => exportAs(fmt, state.filters, exportStatus) }, label),
    ),
  );

  main.replaceChildren(
    h("h1", {}, "Audit trail"),
    verification,
    chartBox,
    h("div", { class: "card" }, h("h2", {}, "Records"), h("p", { class: "muted small" }, "Who called which tool, with which parameters, how many rows came back and how long it took. Never the rows themselves."), filters, tableBox),
    h("div", { class: "card" }, h("h2", {}, "Export"), h("p", { class: "muted small" }, "Downloads the records matching the user, database and time filters above."), exportButtons, exportStatus),
  );
  redraw();
  await verify(records, verification);
}

async function exportAs(fmt, filters, status) {
  const query = new URLSearchParams({ format: fmt });
  for (const name of ["user", "database"]) if (filters[name]) query.set(name, filters[name]);
  for (const name of ["since", "until"]) if (filters[name]) query.set(name, new Date(filters[name]).toISOString());
  status.replaceChildren(notice("info", `Exporting ${fmt}…`));
  try {
    const blob = await fetchBlob(`/api/v1/audit/export?${query}`);
    const extension = { jsonl: "jsonl", csv: "csv", cef: "cef.log", syslog: "syslog.log", ocsf: "ocsf.jsonl" }[fmt];
    saveFile(`conexor-audit.${extension}`, blob);
    status.replaceChildren(notice("ok", `Downloaded conexor-audit.${extension} (${blob.size} bytes).`));
  } catch (error) {
    status.replaceChildren(notice("error", error.message));
  }
}

async function verify(records, box) {
  const [{ checkpoints }, key] = await Promise.all([api("GET", "/audit/checkpoints?limit=1"), fetchText("/.well-known/conexor-audit-key")]);
  const keyText = key.trim();
  const issue = h("button", {
    type: "button",
    class: "small secondary",
    id: "issue-checkpoint",
    onclick: async () => {
      await api("POST", "/audit/checkpoints");
      const fresh = await loadAll();
      await verify(fresh, box);
    },
  }, "Issue a checkpoint now");
  const keyLine = h("p", { class: "small" }, "Signing key: ", h("code", { id: "audit-key" }, keyText), " — compare it with the key you pinned.");
  if (!checkpoints.length) {
    box.replaceChildren(h("h2", {}, "Verification"), notice("info", `${records.length} records; no signed checkpoint yet.`), keyLine, issue);
    return;
  }
  const checkpoint = checkpoints[0];
  const download = h("button", {
    type: "button",
    class: "small",
    id: "download-checkpoint",
    onclick: () => saveFile("conexor-checkpoint.txt", new Blob([checkpoint], { type: "text/plain" })),
  }, "Download checkpoint");
  let status;
  try {
    const result = await verifyTrail(records, checkpoint, keyText);
    status = notice("ok", `Verified in this browser: ${records.length} records recomputed and chained; the checkpoint of ${result.size} records is signed by the key below and its Merkle root matches.`);
    status.id = "verified";
  } catch (error) {
    status = notice("error", `Verification FAILED: ${error.message}`);
    status.id = "verify-failed";
  }
  box.replaceChildren(
    h("h2", {}, "Verification"),
    status,
    h("details", {}, h("summary", {}, "Latest signed checkpoint"), h("pre", { id: "checkpoint-text" }, checkpoint)),
    keyLine,
    h("div", { class: "row wrap" }, download, issue),
  );
}
