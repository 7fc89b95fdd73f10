import { Runtime } from "../../src/runtime/runtime.ts";
import { matmulInto } from "../../src/kernels/matmul.ts";
import { ShapeError } from "../../src/errors.ts";
import { assertClose, assertThrows, AWKWARD, randomArray } from "../_helpers.ts";
import { refMatmul, refMatmulAbs } from "../reference.ts";

// f32 rounding errors of a K-term dot product grow like √K; the bound is 2e-6·√K times
// Σ|a·b| (about 34 ulps per √K), far below what a wrong element or tile would give.
function checkMatmul(
  rt: Runtime,
  m: number,
  k: number,
  n: number,
  o: {
    transA?: boolean;
    transB?: boolean;
    alpha?: number;
    accumulate?: boolean;
    bias?: boolean;
    pad?: number;
  },
) {
  const seed = m * 1_000_003 + k * 1009 + n;
  const pad = o.pad ?? 0;
  const a = randomArray(m * k, seed);
  const b = randomArray(k * n, seed + 1);
  const c0 = randomArray(m * n, seed + 2);
  const bias = o.bias ? randomArray(n, seed + 3) : undefined;
  const mark = rt.mark();
  const [ar, ac] = o.transA ? [k, m] : [m, k];
  const [br, bc] = o.transB ? [n, k] : [k, n];
  // Leading dimensions wider than the matrix, to catch stride mistakes.
  const ta = rt.tensor(ar, ac + pad).colSlice(0, ac).set(a);
  const tb = rt.tensor(br, bc + pad).colSlice(pad, bc + pad).set(b);
  const tc = rt.tensor(m, n + pad).colSlice(0, n).set(c0);
  const tbias = bias ? rt.tensor(1, n).set(bias) : undefined;
  matmulInto(ta, tb, tc, { ...o, bias: tbias });
  const expected = refMatmul(a, b, m, k, n, { ...o, bias });
  if (o.accumulate) { for (let i = 0; i < m * n; i++) expected[i] += c0[i]; }
  const scale = refMatmulAbs(a, b, m, k, n, o);
  const alpha = Math.abs(o.alpha ?? 1);
  assertClose(tc.toArray(), expected, {
    bound: (i) => 2e-6 * Math.sqrt(k) * (alpha * scale[i] + 1) + 1e-7,
    label: `matmul ${m}×${k}×${n} ${JSON.stringify(o)}`,
    cols: n,
  });
  rt.release(mark);
}

for (const variant of ["simd128", "relaxed-simd"] as const) {
  Deno.test(`matmul (${variant}) matches the reference on awkward shapes`, () => {
    const rt = new Runtime({ variant });
    for (const s of AWKWARD) {
      checkMatmul(rt, s, 7, 5, {});
      checkMatmul(rt, 5, s, 7, {});
      checkMatmul(rt, 7, 5, s, {});
      if (s <= 129) checkMatmul(rt, s, s, s, {});
    }
  });

  Deno.test(`matmul (${variant}) transposes, alpha, bias, accumulate and strides`, () => {
    const rt = new Runtime({ variant });
    for (const transA of [false, true]) {
      for (const transB of [false, true]) {
        for (const [m, k, n] of [[1, 1, 1], [3, 17, 5], [17, 31, 13], [65, 63, 129], [4, 12, 24]]) {
          checkMatmul(rt, m, k, n, { transA, transB });
          checkMatmul(rt, m, k, n, { transA, transB, alpha: -0.5, bias: true, pad: 3 });
          checkMatmul(rt, m, k, n, { transA, transB, accumulate: true, pad: 1 });
        }
      }
    }
  });

  Deno.test(`matmul (${variant}) edge strips and panels of every width, transposed`, () => {
    // The micro-kernel takes 3 rows by 12 columns: every remainder of both, with each
    // operand stored either way, and leading dimensions that end right after the matrix
    // (a transposed A's vector loads must not read past its row).
    const rt = new Runtime({ variant, poison: true });
    for (const transA of [false, true]) {
      for (const transB of [false, true]) {
        for (let s = 1; s <= 26; s++) {
          checkMatmul(rt, s, 9, 14, { transA, transB });
          checkMatmul(rt, 7, 6, s, { transA, transB, bias: true, accumulate: true });
          checkMatmul(rt, s, s, s, { transA, transB, pad: s % 3 });
        }
      }
    }
  });

  Deno.test(`matmul (${variant}) crosses every cache block (130×520×1100)`, () => {
    const rt = new Runtime({ variant });
    checkMatmul(rt, 130, 520, 1100, { bias: true, accumulate: true });
    checkMatmul(rt, 129, 257, 1033, { transA: true, transB: true });
  });
}

Deno.test("matmul rejects mismatched shapes with a clear error", () => {
  const rt = new Runtime();
  const a = rt.tensor(2, 3), b = rt.tensor(4, 5), c = rt.tensor(2, 5);
  assertThrows(() => matmulInto(a, b, c), ShapeError, "inner dimensions differ");
  assertThrows(
    () => matmulInto(a, rt.tensor(3, 5), rt.tensor(3, 5)),
    /C has shape \[3, 5\], expected \[2, 5\]/,
  );
  assertThrows(
    () => matmulInto(a, rt.tensor(3, 5), c, { bias: rt.tensor(1, 4) }),
    /bias has shape \[1, 4\], expected \[1, 5\]/,
  );
  assertThrows(() => matmulInto(a, rt.tensor(3, 5), c, { alpha: NaN }), /alpha must be a finite/);
  const other = new Runtime();
  assertThrows(() => matmulInto(a, other.tensor(3, 5), c), /same Runtime/);
});
