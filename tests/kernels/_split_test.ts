// How work is split over threads: ranges that cover [0, n) once, aligned starts, no empty
// range, and one thread for work too small to share.
import { deepEqual, equal, ok } from "node:assert/strict";
import { jobsFor, MIN_WORK_PER_THREAD, splitRange, threadsFor } from "../../src/kernels/_split.ts";
import { Runtime } from "../../src/runtime/runtime.ts";

Deno.test("splitRange covers [0, n) in aligned, non-empty pieces", () => {
  for (const [n, parts, align] of [[10, 3, 1], [100, 4, 12], [5, 8, 1], [13, 2, 4], [1, 4, 3]]) {
    const r = splitRange(n, parts, align);
    equal(r[0][0], 0);
    equal(r.at(-1)![1], n);
    for (let i = 0; i < r.length; i++) {
      ok(r[i][1] > r[i][0]);
      equal(r[i][0] % align, 0);
      if (i) equal(r[i][0], r[i - 1][1]);
    }
    ok(r.length <= parts);
  }
  deepEqual(splitRange(0, 4), []);
});

Deno.test("small work stays on one thread; jobs are twice the threads", () => {
  const rt = new Runtime({ threads: 1 });
  equal(threadsFor(rt, MIN_WORK_PER_THREAD * 100), 1);
  equal(jobsFor(1), 1);
  equal(jobsFor(2), 4);
});
