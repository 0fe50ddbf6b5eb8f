// The dashboard shell: sign-in, navigation and the hash router. Each page is
// a module exporting `render(main)`; the URL fragment names the page and
// nothing else (never a key, never a query string).

import { ApiError, api } from "./api.js";
import { h, notice } from "./dom.js";
import * as session from "./session.js";
import * as databases from "./page-databases.js";
import * as tools from "./page-tools.js";
import * as audit from "./page-audit.js";
import * as keys from "./page-keys.js";

// Which roles see which page (the server enforces the same rules on every request).
const PAGES = {
  databases: { title: "Databases", module: databases, roles: ["admin", "member"] },
  tools: { title: "Tools", module: tools, roles: ["admin", "member"] },
  audit: { title: "Audit", module: audit, roles: ["admin", "auditor"] },
  keys: { title: "API keys", module: keys, roles: ["admin", "member", "auditor"] },
};

function visiblePages() {
  const role = session.whoami()?.role || "admin";
  return Object.entries(PAGES).filter(([, page]) => page.roles.includes(role));
}

const main = document.getElementById("main");
const nav = document.getElementById("nav");
const who = document.getElementById("who");

function currentPage() {
  const name = location.hash.replace(/^#\/?/, "");
  const visible = visiblePages().map(([page]) => page);
  return visible.includes(name) ? name : visible[0];
}

function renderNav(active) {
  nav.replaceChildren(
    ...visiblePages().map(([name, page]) =>
      h("a", { href: `#/${name}`, class: name === active ? "active" : null, "aria-current": name === active ? "page" : null }, page.title),
    ),
  );
  const me = session.whoami();
  who.replaceChildren(
    h("span", { class: "muted" }, `${me.user.email} (${me.role}) · ${me.org.name} · key ${me.key_id}`),
    h("button", { type: "button", class: "link", id: "sign-out", onclick: signOut }, "Sign out"),
  );
}

async function route() {
  if (!session.key()) {
    nav.replaceChildren();
    who.replaceChildren();
    renderSignIn();
    return;
  }
  const name = currentPage();
  renderNav(name);
  document.title = `${PAGES[name].title} · conexor`;
  main.replaceChildren(h("p", { class: "muted" }, "Loading…"));
  try {
    await PAGES[name].module.render(main);
  } catch (error) {
    if (error instanceof ApiError && error.status === 401) {
      signOut();
      main.prepend(notice("error", "The API key was refused (revoked or mistyped). Sign in again."));
      return;
    }
    main.replaceChildren(notice("error", error.message || String(error)));
  }
}

function signOut() {
  session.signOut();
  go("");
}

/** Show the page at `hash`, rendering it once: a hash change routes by itself. */
function go(hash) {
  const current = location.hash === "#" ? "" : location.hash;
  if (current === hash) {
    route();
  } else {
    location.hash = hash; // the hashchange listener calls route()
  }
}

function renderSignIn() {
  document.title = "Sign in · conexor";
  const status = h("div", { id: "sign-in-status" });
  const keyInput = h("input", {
    type: "password",
    id: "api-key",
    name: "api-key",
    autocomplete: "off",
    spellcheck: "false",
    required: true,
    placeholder: "cnx_…",
  });
  const remember = h("input", { type: "checkbox", id: "remember" });
  const form = h(
    "form",
    { id: "sign-in", class: "card narrow" },
    h("h1", {}, "Sign in"),
    h("label", { for: "api-key" }, "API key"),
    keyInput,
    h("label", { class: "check" }, remember, " Keep the key in this tab until it closes (sessionStorage)"),
    h("button", { type: "submit" }, "Sign in"),
    status,
    h(
      "p",
      { class: "muted small" },
      "The key stays in this page's memory and is sent only as an Authorization header to this server. ",
      "Connection strings you add are encrypted here, in the browser, before upload.",
    ),
  );
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    const text = keyInput.value.trim();
    status.replaceChildren();
    try {
      const me = await api("GET", "/me", undefined, { apiKey: text });
      session.signIn(text, me, remember.checked);
      keyInput.value = "";
      go(`#/${currentPage()}`);
    } catch (error) {
      status.replaceChildren(notice("error", error.message));
    }
  });
  main.replaceChildren(form, renderSignUp());
  keyInput.focus();
}

function renderSignUp() {
  const email = h("input", { type: "email", id: "signup-email", required: true, autocomplete: "email" });
  const org = h("input", { type: "text", id: "signup-org", placeholder: "optional" });
  const status = h("div", { id: "signup-status" });
  const form = h(
    "form",
    { id: "sign-up", class: "card narrow" },
    h("h2", {}, "New here? Create an organisation"),
    h("label", { for: "signup-email" }, "E-mail"),
    email,
    h("label", { for: "signup-org" }, "Organisation"),
    org,
    h("button", { type: "submit", class: "secondary" }, "Create and show my API key"),
    status,
  );
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    status.replaceChildren();
    try {
      const body = { email: email.value };
      if (org.value.trim()) body.org = org.value.trim();
      const created = await api("POST", "/signup", body, { apiKey: null });
      status.replaceChildren(
        notice("ok", "Your API key is shown only now. Store it in a password manager, then sign in with it."),
        h("code", { class: "secret", id: "signup-key" }, created.api_key),
      );
    } catch (error) {
      status.replaceChildren(notice("error", error.message));
    }
  });
  return form;
}

async function start() {
  const stored = session.restore();
  if (stored) {
    try {
      const me = await api("GET", "/me");
      session.signIn(stored, me, true);
    } catch {
      session.signOut();
    }
  }
  window.addEventListener("hashchange", route);
  route();
}

/** Re-render the current page (after a change that affects it). */
export function refresh() {
  return route();
}

start();
