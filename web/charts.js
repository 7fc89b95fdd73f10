// @ts-check
/// <reference lib="dom" />
// Small SVG and table helpers for the playground's pictures: line charts with axes and
// ticks, a scatter plot whose labels never overlap, bar charts and number tables. Every
// chart is an <svg role="img"> scaled to its box, so it fits a phone's width.
const SVG = "http://www.w3.org/2000/svg";

/**
 * An SVG element with attributes (and text).
 * @param {string} tag
 * @param {Record<string, string | number>} [attrs]
 * @param {string} [text]
 * @returns {SVGElement}
 */
export function svg(tag, attrs = {}, text) {
  const el = /** @type {SVGElement} */ (document.createElementNS(SVG, tag));
  for (const [k, v] of Object.entries(attrs)) el.setAttribute(k, String(v));
  if (text !== undefined) el.textContent = text;
  return el;
}

/**
 * An HTML element with properties and children.
 * @template {keyof HTMLElementTagNameMap} K
 * @param {K} tag
 * @param {Partial<Record<string, unknown>>} [props]
 * @param {(Node | string)[]} children
 * @returns {HTMLElementTagNameMap[K]}
 */
export function html(tag, props = {}, ...children) {
  const el = Object.assign(document.createElement(tag), props);
  el.append(...children);
  return el;
}

/**
 * About `n` round tick values covering [lo, hi] (1, 2 or 5 times a power of ten apart).
 * @param {number} lo
 * @param {number} hi
 * @returns {number[]}
 */
export function ticks(lo, hi, n = 5) {
  if (!(hi > lo)) return [lo];
  const raw = (hi - lo) / n;
  const p = 10 ** Math.floor(Math.log10(raw));
  const step = [1, 2, 5, 10].map((m) => m * p).find((s) => s >= raw) ?? 10 * p;
  const out = [];
  for (let v = Math.ceil(lo / step) * step; v <= hi + step * 1e-9; v += step) {
    out.push(Math.abs(v) < step * 1e-9 ? 0 : v);
  }
  return out;
}

/** @param {number} v */
const tickText = (v) => (Math.abs(v) >= 1000 ? v.toLocaleString("en-US") : String(+v.toFixed(3)));

/**
 * A frame with x and y axes, ticks and their numbers; returns the scales.
 * @param {SVGElement} root
 * @param {{ width: number, height: number, x0: number, x1: number, y0: number, y1: number,
 *   xLabel?: string, yLabel?: string, xTicks?: number[], left?: number }} f
 */
function frame(root, { width, height, x0, x1, y0, y1, xLabel, yLabel, xTicks, left = 44 }) {
  const m = { left, right: 12, top: 12, bottom: 38 };
  /** @param {number} x */
  const X = (x) => m.left + ((x - x0) / (x1 - x0 || 1)) * (width - m.left - m.right);
  /** @param {number} y */
  const Y = (y) => height - m.bottom - ((y - y0) / (y1 - y0 || 1)) * (height - m.top - m.bottom);
  root.append(
    svg("line", { x1: m.left, y1: Y(y0), x2: width - m.right, y2: Y(y0), class: "axis" }),
    svg("line", { x1: m.left, y1: m.top, x2: m.left, y2: height - m.bottom, class: "axis" }),
  );
  for (const v of xTicks ?? ticks(x0, x1)) {
    root.append(
      svg("line", { x1: X(v), y1: Y(y0), x2: X(v), y2: Y(y0) + 4, class: "axis" }),
      svg("text", { x: X(v), y: Y(y0) + 15, "text-anchor": "middle", class: "tick" }, tickText(v)),
    );
  }
  for (const v of ticks(y0, y1, 4)) {
    root.append(
      svg("line", { x1: m.left - 4, y1: Y(v), x2: m.left, y2: Y(v), class: "axis" }),
      svg("text", { x: m.left - 6, y: Y(v) + 4, "text-anchor": "end", class: "tick" }, tickText(v)),
    );
  }
  root.append(
    svg(
      "text",
      { x: (m.left + width - m.right) / 2, y: height - 6, "text-anchor": "middle" },
      xLabel,
    ),
    svg("text", {
      x: 12,
      y: (m.top + height - m.bottom) / 2,
      "text-anchor": "middle",
      transform: `rotate(-90 12 ${(m.top + height - m.bottom) / 2})`,
    }, yLabel),
  );
  return { X, Y };
}

/**
 * A line chart of [x, y] points with axes and ticks; the last value is said below it.
 * @param {[number, number][]} points
 * @param {{ width?: number, height?: number, xLabel?: string, yLabel?: string }} [o]
 */
export function lineChart(
  points,
  { width = 560, height = 230, xLabel = "step", yLabel = "loss" } = {},
) {
  const root = svg("svg", {
    viewBox: `0 0 ${width} ${height}`,
    role: "img",
    "aria-label": `${yLabel} by ${xLabel}`,
  });
  const xs = points.map((p) => p[0]), ys = points.map((p) => p[1]);
  const x1 = Math.max(...xs, 1), y1 = Math.max(...ys, 1e-9);
  const { X, Y } = frame(root, { width, height, x0: 0, x1, y0: 0, y1, xLabel, yLabel });
  if (points.length) {
    root.append(svg("polyline", {
      points: points.map((p) => `${X(p[0]).toFixed(1)},${Y(p[1]).toFixed(1)}`).join(" "),
      class: "curve-line",
    }));
  }
  const last = points.at(-1);
  return html(
    "figure",
    { className: "chart" },
    root,
    html("figcaption", {
      textContent: last ? `${yLabel} ${last[1].toFixed(3)} at ${xLabel} ${last[0]}.` : "",
    }),
  );
}

/** @typedef {{ x: number, y: number, w: number, h: number }} Box */

/**
 * Whether two boxes intersect.
 * @param {Box} a
 * @param {Box} b
 */
const hits = (a, b) => a.x < b.x + b.w && b.x < a.x + a.w && a.y < b.y + b.h && b.y < a.y + a.h;

/**
 * A scatter plot of labelled points (circles for one kind, squares for the other). Each
 * label takes the first place around its point that overlaps no other label or point;
 * labels that find none are listed under the chart instead.
 * @param {{ x: number, y: number, text: string, kind: "a" | "b", highlight?: boolean }[]} points
 * @param {{ width?: number, height?: number, xLabel?: string, yLabel?: string,
 *   label: string }} o
 */
export function scatter(points, { width = 280, height = 240, xLabel, yLabel, label }) {
  const root = svg("svg", {
    viewBox: `0 0 ${width} ${height}`,
    role: "img",
    "aria-label": label ?? "",
  });
  const lim = Math.max(1e-9, ...points.flatMap((p) => [Math.abs(p.x), Math.abs(p.y)])) * 1.25;
  const step = ticks(-lim, lim, 4);
  const { X, Y } = frame(root, {
    width,
    height,
    x0: -lim,
    x1: lim,
    y0: -lim,
    y1: lim,
    xLabel,
    yLabel,
    xTicks: step,
    left: 48,
  });
  const charW = 7, lineH = 13;
  const taken = points.map((p) => ({ x: X(p.x) - 6, y: Y(p.y) - 6, w: 12, h: 12 }));
  /** @type {string[]} */
  const unplaced = [];
  for (const p of points) {
    const cx = X(p.x), cy = Y(p.y);
    root.append(
      p.kind === "a"
        ? svg("circle", { cx, cy, r: 5, class: `en${p.highlight ? " highlight" : ""}` })
        : svg("rect", {
          x: cx - 5,
          y: cy - 5,
          width: 10,
          height: 10,
          class: `es${p.highlight ? " highlight" : ""}`,
        }),
    );
  }
  for (const p of points) {
    const cx = X(p.x), cy = Y(p.y);
    const w = p.text.length * charW, h = lineH;
    /** @type {[number, number][]} */
    const spots = [];
    for (const r of [9, 18, 30, 44]) {
      spots.push(
        [cx + r, cy - h / 2],
        [cx - r - w, cy - h / 2],
        [cx - w / 2, cy - r - h],
        [cx - w / 2, cy + r],
        [cx + r * 0.7, cy - r * 0.7 - h],
        [cx - r * 0.7 - w, cy + r * 0.7],
        [cx + r * 0.7, cy + r * 0.7],
        [cx - r * 0.7 - w, cy - r * 0.7 - h],
      );
    }
    const box = spots.map(([x, y]) => ({ x, y, w, h })).find((b) =>
      b.x >= 0 && b.y >= 0 && b.x + b.w <= width && b.y + b.h <= height - 40 &&
      !taken.some((t) => hits(t, b))
    );
    if (!box) {
      unplaced.push(p.text);
      continue;
    }
    taken.push(box);
    root.append(svg("text", { x: box.x, y: box.y + h - 2, class: "point-label" }, p.text));
    if (Math.hypot(box.x + w / 2 - cx, box.y + h / 2 - cy) > 20) {
      const ax = Math.max(box.x, Math.min(cx, box.x + w)),
        ay = Math.max(box.y, Math.min(cy, box.y + h));
      root.append(svg("line", { x1: cx, y1: cy, x2: ax, y2: ay, class: "leader" }));
    }
  }
  return { root, unplaced };
}

/**
 * Horizontal bars of values in [0, 1] (softmax weights, probabilities): one row per
 * label, its percentage at the bar's end, the row `highlight` marked.
 * @param {{ label: string, value: number, text: string }[]} rows
 * @param {{ label?: string, highlight?: number, note?: string }} [o]
 */
export function bars(rows, { label, highlight, note } = {}) {
  const rowH = 22,
    labelW = Math.min(140, 16 + 7 * Math.max(...rows.map((r) => r.label.length))),
    width = 360;
  const height = rows.length * rowH + 30;
  const root = svg("svg", {
    viewBox: `0 0 ${width} ${height}`,
    role: "img",
    "aria-label": label ?? "",
  });
  const barW = width - labelW - 60;
  rows.forEach((r, i) => {
    const y = 4 + i * rowH;
    root.append(
      svg("text", {
        x: labelW - 6,
        y: y + 14,
        "text-anchor": "end",
        class: i === highlight ? "strong" : "",
      }, r.label),
      svg("rect", {
        x: labelW,
        y: y + 3,
        width: Math.max(1, r.value * barW),
        height: rowH - 8,
        class: i === highlight ? "bar chosen" : "bar",
      }),
      svg("text", { x: labelW + r.value * barW + 4, y: y + 14, class: "tick value" }, r.text),
    );
  });
  const y = 4 + rows.length * rowH;
  root.append(svg("line", { x1: labelW, y1: y, x2: labelW + barW, y2: y, class: "axis" }));
  for (const v of [0, 0.5, 1]) {
    root.append(
      svg(
        "text",
        { x: labelW + v * barW, y: y + 14, "text-anchor": "middle", class: "tick" },
        `${100 * v}%`,
      ),
    );
  }
  return html(
    "figure",
    { className: "chart" },
    root,
    ...(note ? [html("figcaption", { textContent: note })] : []),
  );
}

/** A token as shown on the page: the tokenizer's word-start mark "▁" as "␣". */
/** @param {string} token */
export const shown = (token) => token.replaceAll("▁", "␣");

/** Numbers as text: two decimals, no "-0.00". */
/** @param {number} x */
export const num = (x) => {
  const s = x.toFixed(2);
  return s === "-0.00" ? "0.00" : s;
};

/** A vector as text: its first `n` values, and how many it has. */
/**
 * @param {number[]} v
 * @param {number} [n]
 */
export const vector = (v, n = 2) =>
  `[${v.slice(0, n).map(num).join(", ")}${v.length > n ? `, … ${v.length}` : ""}]`;

/**
 * A table: a header row and body rows of strings (or nodes); `shade(i, j)` in [0, 1]
 * colours a cell as the heat-map does.
 * @param {string[]} head
 * @param {(string | Node)[][]} body
 * @param {{ caption?: string, shade?: (i: number, j: number) => number | undefined,
 *   className?: string }} [o]
 */
export function table(head, body, { caption, shade, className = "numbers" } = {}) {
  const t = html("table", { className });
  if (caption) t.createCaption().textContent = caption;
  const hr = t.createTHead().insertRow();
  for (const h of head) hr.append(html("th", { scope: "col", textContent: h }));
  const tb = t.createTBody();
  body.forEach((cells, i) => {
    const r = tb.insertRow();
    cells.forEach((c, j) => {
      const cell = j === 0 ? html("th", { scope: "row" }) : r.insertCell();
      if (j === 0) r.append(cell);
      cell.append(c);
      const p = j > 0 && shade ? shade(i, j - 1) : undefined;
      if (p !== undefined) {
        cell.style.background = `hsl(212 75% ${Math.round(97 - 57 * p)}%)`;
        cell.style.color = p > 0.55 ? "#fff" : "#111";
      }
    });
  });
  return t;
}
