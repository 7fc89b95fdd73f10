// The loss curve: an SVG with a line for the training loss, one for validation when
// there are validation points, and no NaN coordinates whatever the points.
import { equal, ok } from "node:assert/strict";
import { lossCurveSvg } from "../../src/train/loss_curve.ts";

Deno.test("training and validation lines, a title, finite coordinates", () => {
  const svg = lossCurveSvg([
    { step: 100, train: 5.1 },
    { step: 200, train: 3.2, validation: 3.5 },
    { step: 300, train: 2.4, validation: 2.9 },
  ], "translator: loss by step");
  ok(svg.startsWith("<svg"));
  ok(svg.includes("translator: loss by step"));
  equal((svg.match(/<path /g) ?? []).length, 2);
  ok(!svg.includes("NaN"));
});

Deno.test("no points, or a non-finite loss, still make a chart", () => {
  for (const points of [[], [{ step: 1, train: NaN }], [{ step: 0, train: Infinity }]]) {
    const svg = lossCurveSvg(points, "empty");
    ok(svg.startsWith("<svg") && !svg.includes("NaN"), svg.slice(0, 200));
  }
});
