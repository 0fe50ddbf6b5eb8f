// Calls over time as stacked SVG bars, one colour per tool, user or outcome.
// Drawn with plain SVG elements: no chart library, nothing inline for the CSP.

import { h, s } from "./dom.js";

const PALETTE = ["#2563eb", "#16a34a", "#d97706", "#dc2626", "#7c3aed", "#0891b2", "#db2777", "#65a30d", "#475569", "#ea580c"];
const STEPS_S = [60, 300, 900, 3600, 3 * 3600, 6 * 3600, 86400, 7 * 86400, 30 * 86400];
const MIN_BARS = 12;
const WIDTH = 760;
const HEIGHT = 220;
const PAD = { left: 40, right: 10, top: 10, bottom: 36 };

function bucketSeconds(spanS) {
  return STEPS_S.find((step) => spanS / step <= 48) || STEPS_S[STEPS_S.length - 1];
}

function label(ms, stepS) {
  const date = new Date(ms);
  if (stepS >= 86400) return date.toLocaleDateString();
  return date.toLocaleTimeString([], { hour: "2-digit", minute: "2-digit" });
}

/**
 * @param {Array<object>} records  audit records (REST shape), oldest first
 * @param {string} field  "tool", "user" or "outcome"
 */
export function callsChart(records, field) {
  const times = records.map((r) => Date.parse(r.ts));
  const first = Math.min(...times);
  const last = Math.max(...times);
  const stepS = bucketSeconds(Math.max(1, (last - first) / 1000));
  const stepMs = stepS * 1000;
  // At least MIN_BARS buckets, ending at the last call, so a burst reads as a burst.
  const end = Math.floor(last / stepMs) * stepMs;
  const start = Math.min(Math.floor(first / stepMs) * stepMs, end - (MIN_BARS - 1) * stepMs);
  const count = Math.round((end - start) / stepMs) + 1;
  const series = [...new Set(records.map((r) => String(r[field] ?? "—")))].sort();
  const colour = new Map(series.map((name, i) => [name, PALETTE[i % PALETTE.length]]));
  const buckets = Array.from({ length: count }, () => new Map());
  records.forEach((r, i) => {
    const bucket = buckets[Math.floor((times[i] - start) / stepMs)];
    const key = String(r[field] ?? "—");
    bucket.set(key, (bucket.get(key) || 0) + 1);
  });
  const peak = Math.max(1, ...buckets.map((b) => [...b.values()].reduce((a, n) => a + n, 0)));
  const plotW = WIDTH - PAD.left - PAD.right;
  const plotH = HEIGHT - PAD.top - PAD.bottom;
  const barW = plotW / count;
  const bars = [];
  buckets.forEach((bucket, i) => {
    let y = PAD.top + plotH;
    for (const name of series) {
      const n = bucket.get(name) || 0;
      if (!n) continue;
      const height = (n / peak) * plotH;
      y -= height;
      bars.push(
        s("rect", { x: PAD.left + i * barW + 1, y, width: Math.max(1, barW - 2), height, fill: colour.get(name) },
          s("title", {}, `${label(start + i * stepMs, stepS)} · ${name}: ${n}`)),
      );
    }
  });
  const ticks = [0, Math.ceil(peak / 2), peak];
  const axis = [
    s("line", { x1: PAD.left, y1: PAD.top + plotH, x2: WIDTH - PAD.right, y2: PAD.top + plotH, class: "axis" }),
    ...ticks.map((t) => s("text", { x: PAD.left - 6, y: PAD.top + plotH - (t / peak) * plotH + 4, "text-anchor": "end", class: "tick" }, String(t))),
    s("text", { x: PAD.left, y: HEIGHT - 8, class: "tick" }, label(start, stepS)),
    s("text", { x: WIDTH - PAD.right, y: HEIGHT - 8, "text-anchor": "end", class: "tick" }, label(start + (count - 1) * stepMs, stepS)),
  ];
  const svg = s("svg", { viewBox: `0 0 ${WIDTH} ${HEIGHT}`, role: "img", "aria-label": `Calls over time by ${field}`, class: "chart", id: "calls-chart" }, axis, bars);
  const legend = h(
    "ul",
    { class: "legend" },
    series.map((name) => h("li", {}, s("svg", { viewBox: "0 0 10 10", class: "swatch" }, s("rect", { width: 10, height: 10, fill: colour.get(name) })), name)),
  );
  return h("div", {}, svg, legend, h("p", { class: "muted small" }, `Bars are ${stepS >= 86400 ? stepS / 86400 + " day" : stepS >= 3600 ? stepS / 3600 + " h" : stepS / 60 + " min"} wide.`));
}
