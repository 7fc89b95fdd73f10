import { Runtime } from "../../src/runtime/runtime.ts";
import {
  addInto,
  dropoutBackwardInto,
  dropoutInto,
  scaleInPlace,
  sumRowsInto,
  sumSquares,
} from "../../src/kernels/elementwise.ts";
import { activationBackwardInto, activationInto } from "../../src/kernels/activations.ts";
import { deepEqual } from "node:assert/strict";
import { assertClose, assertThrows, AWKWARD, randomArray } from "../_helpers.ts";
import { refDropoutMask } from "../reference.ts";

Deno.test("add, scale, sumRows and sumSquares match their definitions", () => {
  const rt = new Runtime();
  for (const n of [...AWKWARD, 5000]) {
    const a = randomArray(n, n), b = randomArray(n, n + 1);
    const ta = rt.tensor(1, n).set(a), tb = rt.tensor(1, n).set(b), y = rt.tensor(1, n);
    addInto(ta, tb, y);
    assertClose(y.toArray(), a.map((v, i) => v + b[i]), { rtol: 0, label: `add ${n}` });
    scaleInPlace(y, -0.5);
    assertClose(y.toArray(), a.map((v, i) => Math.fround(v + b[i]) * -0.5), { rtol: 0 });
    let ss = 0;
    for (const v of a) ss += v * v;
    // f32 partial sums of up to 4096 squares: 1e-6 relative.
    assertClose([sumSquares(ta)], [ss], { rtol: 1e-6, label: `sumSquares ${n}` });
  }
  for (const cols of [1, 3, 4, 13, 64]) {
    const rows = 7;
    const d = randomArray(rows * cols, cols);
    const td = rt.tensor(rows, cols).set(d);
    const db = rt.tensor(1, cols).set(new Float32Array(cols).fill(1));
    sumRowsInto(td, db, true);
    const expected = new Float64Array(cols).fill(1);
    for (let r = 0; r < rows; r++) for (let c = 0; c < cols; c++) expected[c] += d[r * cols + c];
    assertClose(db.toArray(), expected, { rtol: 1e-6, atol: 1e-6, label: `sumRows ${cols}` });
    sumRowsInto(td, db, false);
    assertClose(db.toArray(), expected.map((v) => v - 1), { rtol: 1e-6, atol: 1e-6 });
  }
});

Deno.test("dropout keeps about 1−p, scales by 1/(1−p), repeats with the seed", () => {
  const rt = new Runtime();
  const n = 20000, p = 0.1;
  const x = randomArray(n, 1);
  const tx = rt.tensor(1, n).set(x), y = rt.tensor(1, n), y2 = rt.tensor(1, n);
  const mask = rt.allocBytes(n), mask2 = rt.allocBytes(n);
  dropoutInto(tx, y, mask, p, 42);
  dropoutInto(tx, y2, mask2, p, 42);
  const m = rt.u8.slice(mask, mask + n);
  const kept = m.reduce((s, v) => s + v, 0);
  // Binomial(20000, 0.9): standard deviation 42; allow 5 sigma.
  if (Math.abs(kept - n * (1 - p)) > 5 * Math.sqrt(n * p * (1 - p))) {
    throw new Error(`kept ${kept} of ${n}`);
  }
  const expected = x.map((v, i) => (m[i] ? Math.fround(v * Math.fround(1 / (1 - p))) : 0));
  assertClose(y.toArray(), expected, { rtol: 1e-7, label: "dropout values" });
  assertClose(y2.toArray(), y.toArray(), { rtol: 0, label: "same seed, same output" });
  const y3 = rt.tensor(1, n);
  dropoutInto(tx, y3, mask2, p, 43);
  const same = rt.u8.slice(mask2, mask2 + n).every((v, i) => v === m[i]);
  if (same) throw new Error("a different seed gave the same mask");
  const dy = rt.tensor(1, n).set(randomArray(n, 5)), dx = rt.tensor(1, n);
  dropoutBackwardInto(dy, mask, dx, p);
  const dyv = dy.toArray();
  assertClose(dx.toArray(), dyv.map((v, i) => (m[i] ? v / (1 - p) : 0)), { rtol: 1e-6 });
  assertThrows(() => dropoutInto(tx, y, mask, 1, 1), /p must be in \[0, 1\)/);
});

Deno.test("dropout's mask is the reference hash's, lane for lane, on awkward sizes", () => {
  const rt = new Runtime();
  for (const n of [...AWKWARD, 1000]) {
    for (const p of [0.1, 0.5]) {
      const x = rt.tensor(1, n).set(randomArray(n, n, 1));
      const y = rt.tensor(1, n), mask = rt.allocBytes(n);
      dropoutInto(x, y, mask, p, 1234 + n);
      const got = rt.u8.slice(mask, mask + n);
      const want = refDropoutMask(n, p, 1234 + n);
      const bad = got.findIndex((v, i) => v !== want[i]);
      if (bad >= 0) {
        throw new Error(`n ${n}, p ${p}: mask[${bad}] = ${got[bad]}, expected ${want[bad]}`);
      }
      const xs = x.toArray(),
        ys = y.toArray(),
        s = Math.fround(1 / Math.fround(1 - Math.fround(p)));
      for (let i = 0; i < n; i++) {
        const e = want[i] ? Math.fround(xs[i] * s) : 0;
        if (ys[i] !== e) throw new Error(`n ${n}: y[${i}] = ${ys[i]}, expected ${e}`);
      }
    }
  }
});

Deno.test("dropout fused with relu or a residual add gives the separate kernels' bits", () => {
  // The fused passes must be exactly relu then dropout, and dropout then add (forward),
  // and dropout's backward then relu's (backward), on every awkward size, both builds.
  for (const variant of ["simd128", "relaxed-simd"] as const) {
    const rt = new Runtime({ variant, poison: true });
    for (const n of [...AWKWARD, 1000]) {
      const x = rt.tensor(1, n).set(randomArray(n, n + 7));
      const res = rt.tensor(1, n).set(randomArray(n, n + 8));
      const dy = rt.tensor(1, n).set(randomArray(n, n + 9));
      const seed = 77 + n, p = 0.25;
      const a = rt.tensor(1, n), ad = rt.tensor(1, n), m1 = rt.allocBytes(n);
      activationInto("relu", x, a);
      dropoutInto(a, ad, m1, p, seed);
      const fused = rt.tensor(1, n), m2 = rt.allocBytes(n);
      dropoutInto(x, fused, m2, p, seed, { relu: true });
      deepEqual(fused.toArray(), ad.toArray(), `relu + dropout, n ${n} (${variant})`);
      deepEqual(rt.u8.slice(m2, m2 + n), rt.u8.slice(m1, m1 + n));
      const da = rt.tensor(1, n);
      dropoutBackwardInto(dy, m1, da, p);
      activationBackwardInto("relu", da, x, da);
      const dFused = rt.tensor(1, n);
      dropoutBackwardInto(dy, m2, dFused, p, x);
      deepEqual(dFused.toArray(), da.toArray(), `relu + dropout backward, n ${n} (${variant})`);
      const xd = rt.tensor(1, n), sum = rt.tensor(1, n), m3 = rt.allocBytes(n);
      dropoutInto(x, xd, m3, p, seed);
      addInto(res, xd, sum);
      const fusedSum = rt.tensor(1, n), m4 = rt.allocBytes(n);
      dropoutInto(x, fusedSum, m4, p, seed, { residual: res });
      deepEqual(fusedSum.toArray(), sum.toArray(), `dropout + residual, n ${n} (${variant})`);
    }
    const x = rt.tensor(2, 3), other = rt.tensor(3, 2), y = rt.tensor(2, 3);
    assertThrows(
      () => dropoutInto(x, y, rt.allocBytes(6), 0.1, 1, { residual: other }),
      /dropout: .*residual/,
    );
    assertThrows(
      () => dropoutInto(x, y, rt.allocBytes(6), 0.1, 1, { relu: true, residual: y }),
      /dropout: fuse relu or a residual add, not both/,
    );
  }
});
