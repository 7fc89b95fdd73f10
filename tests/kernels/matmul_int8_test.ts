import { deepEqual, equal, ok } from "node:assert/strict";
import { Runtime } from "../../src/runtime/runtime.ts";
import { Int8Weights, matmulInt8Into, matmulInt8ListInto } from "../../src/kernels/matmul_int8.ts";
import { matmulInto } from "../../src/kernels/matmul.ts";
import { ShapeError } from "../../src/errors.ts";
import { assertThrows, randomArray } from "../_helpers.ts";
import { refMatmulInt8 } from "../reference.ts";

const SHAPES: [number, number, number][] = [
  [1, 1, 1],
  [1, 15, 3],
  [1, 16, 4],
  [1, 17, 5],
  [2, 33, 7],
  [3, 192, 9],
  [5, 200, 130],
  [1, 768, 193],
  [70, 31, 6],
  [129, 65, 17],
];

function run(
  rt: Runtime,
  m: number,
  k: number,
  n: number,
  o: { bias?: boolean; accumulate?: boolean; pad?: number } = {},
) {
  const seed = m * 7919 + k * 31 + n;
  const pad = o.pad ?? 0;
  // Rows of very different sizes, and an outlier, as layer outputs have.
  const a = randomArray(m * k, seed, 3);
  for (let i = 0; i < m; i++) a[i * k + (i % k)] *= 5;
  const w = randomArray(n * k, seed + 1, 0.2);
  const c0 = randomArray(m * n, seed + 2);
  const bias = o.bias ? randomArray(n, seed + 3) : undefined;
  const mark = rt.mark();
  const ta = rt.tensor(m, k + pad).colSlice(0, k).set(a);
  const tw = rt.tensor(n, k + pad).colSlice(pad, k + pad).set(w);
  const tc = rt.tensor(m, n + pad).colSlice(0, n).set(c0);
  const tb = bias ? rt.tensor(1, n).set(bias) : undefined;
  matmulInt8Into(ta, Int8Weights.from(tw), tc, { bias: tb, accumulate: o.accumulate });
  const got = tc.toArray();
  // The f32 product, for how far 8 bits are from it.
  const tf = rt.tensor(m, n);
  matmulInto(ta, tw, tf, { transB: true, bias: tb });
  const exact = tf.toArray();
  rt.release(mark);
  const expected = refMatmulInt8(a, w, m, k, n, { bias, c: o.accumulate ? c0 : undefined });
  return { got, expected, exact, c0, a, w };
}

for (const variant of ["simd128", "relaxed-simd"] as const) {
  Deno.test(`matmulInt8 (${variant}) equals the integer reference bit for bit`, () => {
    const rt = new Runtime({ variant });
    for (const [m, k, n] of SHAPES) {
      for (
        const o of [{}, { bias: true }, { accumulate: true, pad: 3 }, {
          bias: true,
          accumulate: true,
        }]
      ) {
        const { got, expected } = run(rt, m, k, n, o);
        deepEqual(got, expected, `shape ${m}×${k}×${n} ${JSON.stringify(o)}`);
      }
    }
  });
}

// The kernels' register tiles: one row against four weight rows (a lone row, or the last
// of an odd group), two rows against four (a widened panel in the SIMD128 build, the
// stored bytes in the relaxed one); rows in groups of 64.
for (const variant of ["simd128", "relaxed-simd"] as const) {
  Deno.test(`matmulInt8 (${variant}) on every tile edge: 1…2·tile+1 rows and columns, group edges`, () => {
    const rt = new Runtime({ variant });
    for (const k of [1, 8, 9, 17, 40]) {
      for (let m = 1; m <= 5; m++) {
        for (let n = 1; n <= 9; n++) {
          for (const o of [{}, { bias: true, accumulate: true, pad: 1 }]) {
            const { got, expected } = run(rt, m, k, n, o);
            deepEqual(got, expected, `shape ${m}×${k}×${n} ${JSON.stringify(o)}`);
          }
        }
      }
    }
    for (const m of [63, 64, 65, 128, 129]) {
      const { got, expected } = run(rt, m, 33, 9, { bias: true });
      deepEqual(got, expected, `shape ${m}×33×9`);
    }
  });
}

Deno.test("matmulInt8: rows without negatives keep 128 levels of [0, max]; one-signed rows", () => {
  const rt = new Runtime();
  const m = 6, k = 37, n = 5;
  const a = randomArray(m * k, 11, 2);
  for (let p = 0; p < k; p++) {
    a[p] = Math.abs(a[p]); // ReLU output
    a[k + p] = -Math.abs(a[k + p]); // all negative: z = 127
    a[2 * k + p] = 0.5; // one value: one code
  }
  const w = randomArray(n * k, 12, 0.3);
  const ta = rt.tensor(m, k).set(a), tc = rt.tensor(m, n);
  matmulInt8Into(ta, Int8Weights.from(rt.tensor(n, k).set(w)), tc);
  deepEqual(tc.toArray(), refMatmulInt8(a, w, m, k, n));
});

Deno.test("matmulInt8: a row's result does not depend on the rows beside it", () => {
  const rt = new Runtime();
  const m = 67, k = 50, n = 13;
  const a = rt.tensor(m, k).set(randomArray(m * k, 3, 2));
  const w = Int8Weights.from(rt.tensor(n, k).set(randomArray(n * k, 4, 0.3)));
  const all = rt.tensor(m, n);
  matmulInt8Into(a, w, all);
  const whole = all.toArray();
  for (const [r0, r1] of [[0, 1], [5, 6], [3, 8], [60, 67]]) {
    const part = rt.tensor(r1 - r0, n);
    matmulInt8Into(a.rowSlice(r0, r1), w, part);
    deepEqual(part.toArray(), whole.slice(r0 * n, r1 * n), `rows ${r0}..${r1 - 1}`);
  }
});

Deno.test("matmulInt8 is within its quantization error of the f32 product", () => {
  const rt = new Runtime();
  for (const [m, k, n] of SHAPES) {
    const { got, exact, a, w } = run(rt, m, k, n);
    for (let i = 0; i < m; i++) {
      let lo = 0, hi = 0, al1 = 0;
      for (let p = 0; p < k; p++) {
        [lo, hi] = [Math.min(lo, a[i * k + p]), Math.max(hi, a[i * k + p])];
        al1 += Math.abs(a[i * k + p]);
      }
      const range = hi - lo;
      for (let j = 0; j < n; j++) {
        let wmax = 0, wl1 = 0;
        for (let p = 0; p < k; p++) {
          wmax = Math.max(wmax, Math.abs(w[j * k + p]));
          wl1 += Math.abs(w[j * k + p]);
        }
        // Each a within range/254 (its 127 steps) and each w within wmax/254 of its value.
        const bound = (range / 254) * wl1 + (wmax / 254) * (al1 + k * range / 254) + 1e-5;
        const err = Math.abs(got[i * n + j] - exact[i * n + j]);
        ok(err <= bound, `${m}×${k}×${n} [${i},${j}]: error ${err} > ${bound}`);
      }
    }
  }
});

Deno.test("matmulInt8 gives the same bits on 1 and 2 threads and in both builds", async () => {
  const one = new Runtime({ variant: "simd128" });
  const two = new Runtime({ threads: 2 });
  const jobs = two.workerJobs;
  for (
    const [m, k, n] of [[1, 192, 8000], [4, 768, 192], [64, 192, 576], [5, 33, 9], [
      65,
      40,
      130,
    ]] as const
  ) {
    await two.ready(); // idle workers stop after a while; this restarts them
    deepEqual(run(two, m, k, n, { bias: true }).got, run(one, m, k, n, { bias: true }).got);
  }
  ok(two.workerJobs > jobs, "no job ran on the worker");
  two.close();
});

for (const variant of ["simd128", "relaxed-simd"] as const) {
  Deno.test(`matmulInt8 (${variant}): rows holding NaN or ±∞ anywhere give NaN; zero and vanishing rows give the bias`, () => {
    // 23 values a row: a block of 16, a vector of 4 and 3 single values are read apart.
    const k = 23, rt = new Runtime({ variant });
    const wf = rt.tensor(3, k).set(randomArray(3 * k, 5)), w = Int8Weights.from(wf);
    const rows = [[3, NaN], [7, Infinity], [18, -Infinity], [19, NaN], [21, NaN], [22, Infinity]];
    const m = rows.length + 3, a = rt.tensor(m, k).set(randomArray(m * k, 6));
    const f = rt.f32, at = a.ptr >>> 2;
    rows.forEach(([p, x], i) => f[at + i * k + p] = x);
    f.fill(0, at + rows.length * k, at + (rows.length + 1) * k);
    // Ranges whose 127 / range overflows f32: all codes of zero.
    for (let p = 0; p < k; p++) f[at + (rows.length + 1) * k + p] = (p % 3 - 1) * 1e-38;
    for (let p = 0; p < k; p++) f[at + (rows.length + 2) * k + p] = p % 2 ? 1e-44 : 0;
    const c = rt.tensor(m, 3), bias = rt.tensor(1, 3).set([1, 2, 3]);
    matmulInt8Into(a, w, c, { bias });
    const out = Array.from(c.toArray());
    for (let i = 0; i < rows.length; i++) {
      ok(out.slice(3 * i, 3 * i + 3).every(Number.isNaN), `row ${i} (${rows[i]}): ${out}`);
    }
    deepEqual(out.slice(3 * rows.length), [1, 2, 3, 1, 2, 3, 1, 2, 3]);
    const tail = a.toArray().slice(rows.length * k);
    const ref = refMatmulInt8(tail, wf.toArray(), 3, k, 3, { bias: bias.toArray() });
    deepEqual(out.slice(3 * rows.length), Array.from(ref));
  });
}

Deno.test("matmulInt8 checks shapes and row slices", () => {
  const rt = new Runtime();
  const w = Int8Weights.from(rt.tensor(6, 10).set(randomArray(60, 7)));
  assertThrows(() => matmulInt8Into(rt.tensor(2, 9), w, rt.tensor(2, 6)), ShapeError, /inner/);
  assertThrows(() => matmulInt8Into(rt.tensor(2, 10), w, rt.tensor(2, 5)), ShapeError, /C has/);
  assertThrows(() => w.rowSlice(4, 7), RangeError, /within/);
  // A slice is the same as preparing those rows alone.
  const full = rt.tensor(6, 10).set(randomArray(60, 7));
  const a = rt.tensor(2, 10).set(randomArray(20, 8));
  const c1 = rt.tensor(2, 4), c2 = rt.tensor(2, 4);
  matmulInt8Into(a, w.rowSlice(2, 6), c1);
  matmulInt8Into(a, Int8Weights.from(full.rowSlice(2, 6)), c2);
  deepEqual(c1.toArray(), c2.toArray());
  equal(w.rowSlice(2, 6).rows, 4);
});

Deno.test("matmulInt8List: each product equals the integer reference, on 1 and 2 threads", async () => {
  // Products of awkward shapes side by side, as a batch's sentences against their own
  // shortlists, with and without bias and accumulation.
  const shapes: [number, number, number][] = [
    [1, 224, 460],
    [4, 224, 301],
    [1, 17, 5],
    [9, 33, 7],
    [3, 1, 1],
    [2, 224, 1],
    [65, 40, 130],
  ];
  for (const threads of [1, 2]) {
    const rt = new Runtime({ threads, poison: true });
    await rt.ready();
    const jobs = rt.workerJobs;
    // Repeated so that on 2 threads the list is worth splitting.
    const all = [...shapes, ...shapes, ...shapes];
    const cases = all.map(([m, k, n], i) => {
      const a = randomArray(m * k, 100 + i, 3), w = randomArray(n * k, 200 + i, 0.2);
      const c0 = randomArray(m * n, 300 + i), bias = i % 2 ? randomArray(n, 400 + i) : undefined;
      const accumulate = i % 3 === 0;
      const c = rt.tensor(m, n + 3).colSlice(0, n).set(c0);
      return {
        m,
        k,
        n,
        a,
        w,
        c0,
        bias,
        accumulate,
        product: {
          a: rt.tensor(m, k).set(a),
          w: Int8Weights.from(rt.tensor(n, k).set(w)),
          c,
          bias: bias && rt.tensor(1, n).set(bias),
          accumulate,
        },
      };
    });
    // A worker that is late takes nothing (the caller empties the queue): on 2 threads the
    // call is repeated, each time checked, until a worker has taken part (at most 50 times).
    for (let round = 0; round < (threads === 2 ? 50 : 1); round++) {
      cases.forEach((x) => x.product.c.set(x.c0));
      matmulInt8ListInto(cases.map((x) => x.product));
      cases.forEach((x, i) => {
        const expected = refMatmulInt8(x.a, x.w, x.m, x.k, x.n, {
          bias: x.bias,
          c: x.accumulate ? x.c0 : undefined,
        });
        deepEqual(x.product.c.toArray(), expected, `product ${i}, ${threads} thread(s)`);
      });
      if (rt.workerJobs > jobs) break;
    }
    if (threads === 2) ok(rt.workerJobs > jobs, "no product ran on the worker");
    matmulInt8ListInto([]); // nothing to do
    assertThrows(
      () => matmulInt8ListInto([cases[1].product, { ...cases[0].product, c: rt.tensor(1, 3) }]),
      ShapeError,
      /matmulInt8List: C has/,
    );
    rt.close();
  }
});
