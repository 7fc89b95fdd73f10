/**
 * The loss curve as a small standalone SVG: training loss (averaged between
 * evaluations) and validation loss against the step.
 * @module
 */

/** One point of the curve. */
export interface CurvePoint {
  step: number;
  train: number;
  validation?: number;
}

/** An SVG line chart of training and validation loss. */
export function lossCurveSvg(points: readonly CurvePoint[], title: string): string {
  const W = 640, H = 360, L = 56, R = 16, T = 36, B = 40;
  const steps = points.map((p) => p.step);
  const values = points.flatMap((p) => [p.train, p.validation ?? p.train]).filter(Number.isFinite);
  const x0 = Math.min(...steps, 0), x1 = Math.max(...steps, 1);
  const y0 = 0, y1 = Math.max(...values, 1) * 1.05;
  const x = (s: number) => L + ((s - x0) / (x1 - x0 || 1)) * (W - L - R);
  const y = (v: number) => T + (1 - (v - y0) / (y1 - y0 || 1)) * (H - T - B);
  const line = (key: "train" | "validation", color: string) => {
    const pts = points.filter((p) => Number.isFinite(p[key] ?? NaN));
    if (!pts.length) return "";
    const d = pts.map((p, i) => `${i ? "L" : "M"}${x(p.step).toFixed(1)},${y(p[key]!).toFixed(1)}`)
      .join(" ");
    return `<path d="${d}" fill="none" stroke="${color}" stroke-width="2"/>`;
  };
  const ticks: string[] = [];
  for (let i = 0; i <= 4; i++) {
    const v = y0 + ((y1 - y0) * i) / 4;
    ticks.push(
      `<line x1="${L}" x2="${W - R}" y1="${y(v).toFixed(1)}" y2="${
        y(v).toFixed(1)
      }" stroke="#ddd"/>` +
        `<text x="${L - 6}" y="${(y(v) + 4).toFixed(1)}" text-anchor="end">${v.toFixed(1)}</text>`,
    );
    const s = Math.round(x0 + ((x1 - x0) * i) / 4);
    ticks.push(`<text x="${x(s).toFixed(1)}" y="${H - B + 16}" text-anchor="middle">${s}</text>`);
  }
  const esc = (s: string) => s.replace(/&/g, "&amp;").replace(/</g, "&lt;");
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" font-family="sans-serif" font-size="12">
<rect width="${W}" height="${H}" fill="white"/>
<text x="${W / 2}" y="20" text-anchor="middle" font-size="14">${esc(title)}</text>
${ticks.join("\n")}
<text x="${W / 2}" y="${H - 6}" text-anchor="middle">step</text>
${line("train", "#1f77b4")}
${line("validation", "#d62728")}
<text x="${W - R - 150}" y="${T + 14}" fill="#1f77b4">training loss</text>
<text x="${W - R - 150}" y="${T + 30}" fill="#d62728">validation loss</text>
</svg>
`;
}
