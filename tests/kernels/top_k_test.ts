import { deepEqual, equal, ok } from "node:assert/strict";
import { Runtime } from "../../src/runtime/runtime.ts";
import { topKInto } from "../../src/kernels/top_k.ts";
import { ShapeError } from "../../src/errors.ts";
import { assertThrows, randomArray } from "../_helpers.ts";
import { refTopK } from "../reference.ts";

function run(rt: Runtime, x: Float32Array, rows: number, cols: number, k: number, pad = 0) {
  const mark = rt.mark();
  const t = rt.tensor(rows, cols + pad).colSlice(0, cols).set(x);
  const idx = rt.ints(rows * k), lse = rt.tensor(rows, 1);
  topKInto(t, k, idx, lse);
  const out = { idx: Array.from(idx.toArray()), lse: Array.from(lse.toArray()) };
  rt.release(mark);
  return out;
}

function check(rt: Runtime, x: Float32Array, rows: number, cols: number, k: number, pad = 0) {
  const got = run(rt, x, rows, cols, k, pad), want = refTopK(x, rows, cols, k);
  const what = `${rows}×${cols}, k ${k}`;
  deepEqual(got.idx, want.idx, `indices of ${what}`);
  got.lse.forEach((v, r) => {
    const w = want.lse[r];
    if (!Number.isFinite(w)) return equal(v, w, `lse of ${what}, row ${r}`);
    ok(
      Math.abs(v - w) <= 2e-6 * Math.max(1, Math.abs(w)),
      `lse of ${what}, row ${r}: ${v} vs ${w}`,
    );
  });
}

Deno.test("topK equals the reference on awkward shapes (1…9 columns, tails of 1–3, k past the row)", () => {
  const rt = new Runtime();
  for (const cols of [1, 2, 3, 4, 5, 7, 8, 9, 31, 33, 1000, 8000]) {
    for (const k of [1, 2, 3, 8, 9]) {
      const rows = cols > 100 ? 3 : 5;
      check(rt, randomArray(rows * cols, cols * 13 + k, 6), rows, cols, k, k % 2);
    }
  }
});

Deno.test("topK: ties go to the lower index; -inf and NaN rows; large values", () => {
  const rt = new Runtime();
  // Many equal values: the lower indices come first.
  const ties = Float32Array.from({ length: 40 }, (_, i) => (i % 5 === 0 ? 2 : i % 3));
  check(rt, ties, 2, 20, 6);
  // A NaN is never chosen; the row's lse is NaN.
  const nan = Float32Array.from([1, NaN, 3, 2, NaN, 0, -1, 5]);
  const got = run(rt, nan, 1, 8, 3);
  deepEqual(got.idx, [7, 2, 3]);
  ok(Number.isNaN(got.lse[0]));
  // All -inf: indices in order, lse -inf.
  check(rt, new Float32Array(9).fill(-Infinity), 1, 9, 2);
  // All NaN: nothing chosen, lse NaN. A +inf: chosen first, lse +inf.
  const allNaN = run(rt, new Float32Array(6).fill(NaN), 1, 6, 2);
  deepEqual(allNaN.idx, [-1, -1]);
  ok(Number.isNaN(allNaN.lse[0]));
  const inf = run(rt, Float32Array.from([1, Infinity, 3, 2, 0]), 1, 5, 2);
  deepEqual(inf.idx, [1, 2]);
  equal(inf.lse[0], Infinity);
  // -0 and +0 as the largest: the same lse whichever comes first.
  const zeros = run(rt, Float32Array.from([-0, -1, 0, -2]), 1, 4, 1).lse[0];
  equal(run(rt, Float32Array.from([0, -1, -0, -2]), 1, 4, 1).lse[0], zeros);
  ok(Math.abs(zeros - Math.log(2 + Math.exp(-1) + Math.exp(-2))) < 1e-6);
  // Values far from 0 do not overflow the sum.
  check(rt, Float32Array.from({ length: 50 }, (_, i) => 80 + i * 0.5), 1, 50, 4);
  check(rt, Float32Array.from({ length: 50 }, (_, i) => -300 - i), 1, 50, 4);
});

Deno.test("topK gives the same bits on 1 and 2 threads", async () => {
  const one = new Runtime(), two = new Runtime({ threads: 2 });
  await two.ready();
  const jobs = two.workerJobs;
  const x = randomArray(64 * 8000, 9, 8);
  // The calling thread may take both jobs before the worker wakes: try a few times.
  for (let i = 0; i < 20 && two.workerJobs === jobs; i++) {
    await two.ready();
    deepEqual(run(two, x, 64, 8000, 8), run(one, x, 64, 8000, 8));
  }
  ok(two.workerJobs > jobs, "no job ran on the worker");
  two.close();
});

Deno.test("topK checks its buffers", () => {
  const rt = new Runtime();
  const x = rt.tensor(2, 10);
  assertThrows(() => topKInto(x, 0, rt.ints(2)), ShapeError, /k must be/);
  assertThrows(() => topKInto(x, 3, rt.ints(5)), ShapeError, /idx holds 5/);
  assertThrows(() => topKInto(x, 1, rt.ints(2), rt.tensor(3, 1)), ShapeError, /lse has shape/);
});
