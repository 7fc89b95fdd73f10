// The parameter region: aligned layout, views by handle or name, the gradient region of
// the same layout, and 8-bit copies that follow the weights after an update.
import { deepEqual, equal, ok, throws } from "node:assert/strict";
import { layoutParams, ParamStore } from "../../src/model/params.ts";
import { Runtime } from "../../src/runtime/runtime.ts";
import type { ParamSpec } from "../../src/model/config.ts";

const specs: ParamSpec[] = [
  { name: "a", shape: [3], init: "ones" },
  { name: "w", shape: [5, 8], init: "xavier" },
  { name: "b", shape: [5], init: "zeros" },
];

Deno.test("every tensor starts 16-byte aligned", () => {
  const { entries, floats } = layoutParams(specs);
  deepEqual(entries.map((e) => e.offset), [0, 4, 44]);
  equal(floats, 52);
});

Deno.test("views by handle and by name are the same memory; init by kind", () => {
  const rt = new Runtime({ threads: 1 });
  const p = new ParamStore(rt, specs);
  p.initialize(() => 0.75);
  deepEqual([...p.get("a").view()], [1, 1, 1]);
  deepEqual([...p.get(specs[2]).view()], [0, 0, 0, 0, 0]);
  equal(p.get(specs[1]).ptr, p.get("w").ptr);
  const limit = Math.sqrt(6 / 13);
  ok(p.get("w").view().every((v) => Math.abs(v - 0.5 * limit) < 1e-6));
  equal(p.grad("w").rows, 5);
  equal(p.parameterCount, 3 + 40 + 5);
  throws(() => p.get("nope"), /No parameter named "nope"/);
});

Deno.test("8-bit copies are redone after the weights change", () => {
  const rt = new Runtime({ threads: 1 });
  const p = new ParamStore(rt, specs);
  p.initialize(() => 0.5);
  p.useInt8(true);
  const w = p.get("w"), q = p.int8For(w)!;
  ok(q);
  equal(p.int8For(p.get("a")), undefined); // vectors stay 32-bit
  const before = rt.u8.slice(q.ptr, q.ptr + q.stride);
  w.view().fill(-1);
  p.weightsChanged();
  const again = p.int8For(w)!;
  const after = rt.u8.slice(again.ptr, again.ptr + again.stride);
  ok(before.some((v, i) => v !== after[i]), "requantized");
  equal(p.int8For(w.rowSlice(1, 3))!.rows, 2);
});

Deno.test("int8For answers by the view: its rows, their slices, and nothing for other tensors", () => {
  const rt = new Runtime({ threads: 1 });
  const p = new ParamStore(rt, specs);
  p.initialize(() => 0.5);
  p.useInt8(true);
  const w = p.get("w"), whole = p.int8For(w)!;
  for (let i = 0; i < 3; i++) equal(p.int8For(w), whole); // asked again: the same copy
  const rows = p.int8For(w.rowSlice(1, 3))!;
  equal(rows.rows, 2);
  equal(rows.ptr, whole.ptr + whole.stride);
  // A view at the same first float but fewer rows, or with other columns, is not the answer
  // remembered for the whole matrix.
  equal(p.int8For(w.rowSlice(0, 1))!.rows, 1);
  equal(p.int8For(w.colSlice(0, 2)), undefined);
  equal(p.int8For(w), whole);
  equal(p.int8For(rt.tensor(w.rows, w.cols)), undefined); // not a parameter
  p.useInt8(false);
  equal(p.int8For(w), undefined);
});
