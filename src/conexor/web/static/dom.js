// Building the page from elements and text nodes only. Nothing here ever
// assigns innerHTML: database names, column values and error messages come
// from outside, and as text nodes they can never become markup or script.

/**
 * Create an element. Attributes starting with "on" become listeners; `false`
 * and null attributes are left out; children may be nodes, strings or arrays.
 * @param {string} tag
 * @param {Record<string, any>} [attrs]
 * @param {...any} children
 * @returns {HTMLElement}
 */
export function h(tag, attrs = {}, ...children) {
  const el = document.createElement(tag);
  setAttributes(el, attrs);
  append(el, children);
  return el;
}

const SVG_NS = "http://www.w3.org/2000/svg";

/**
 * Create an SVG element (for the audit chart).
 * @param {string} tag
 * @param {Record<string, any>} [attrs]
 * @param {...any} children
 * @returns {SVGElement}
 */
export function s(tag, attrs = {}, ...children) {
  const el = document.createElementNS(SVG_NS, tag);
  setAttributes(el, attrs);
  append(el, children);
  return el;
}

function setAttributes(el, attrs) {
  for (const [name, value] of Object.entries(attrs || {})) {
    if (value === null || value === undefined || value === false) continue;
    if (name.startsWith("on") && typeof value === "function") {
      el.addEventListener(name.slice(2), value);
    } else if (name === "class") {
      el.setAttribute("class", value);
    } else {
      el.setAttribute(name, value === true ? "" : String(value));
    }
  }
}

function append(el, children) {
  for (const child of children.flat(Infinity)) {
    if (child === null || child === undefined || child === false) continue;
    el.append(child instanceof Node ? child : String(child));
  }
}

/**
 * A short status line: kind is "ok", "error" or "info".
 * @param {string} kind
 * @param {string} text
 */
export function notice(kind, text) {
  return h("p", { class: `notice ${kind}`, role: kind === "error" ? "alert" : "status" }, text);
}

/** Format an ISO time for a table cell, in the viewer's locale and zone. */
export function when(iso) {
  const date = new Date(iso);
  return Number.isNaN(date.getTime()) ? String(iso) : date.toLocaleString();
}

/**
 * A table from column names and rows of plain values.
 * @param {string[]} columns
 * @param {any[][]} rows
 */
export function dataTable(columns, rows, attrs = {}) {
  return h(
    "table",
    { class: "data", ...attrs },
    h("thead", {}, h("tr", {}, columns.map((c) => h("th", { scope: "col" }, c)))),
    h(
      "tbody",
      {},
      rows.map((row) => h("tr", {}, row.map((cell) => h("td", {}, cellText(cell))))),
    ),
  );
}

function cellText(value) {
  if (value === null || value === undefined) return h("span", { class: "null" }, "NULL");
  if (value instanceof Node) return value;
  if (typeof value === "object") return JSON.stringify(value);
  return String(value);
}

/** Offer text as a file download without a round trip (blob URL, revoked at once). */
export function saveFile(name, blob) {
  const url = URL.createObjectURL(blob);
  const link = h("a", { href: url, download: name, class: "hidden" });
  document.body.append(link);
  link.click();
  link.remove();
  setTimeout(() => URL.revokeObjectURL(url), 0);
}
