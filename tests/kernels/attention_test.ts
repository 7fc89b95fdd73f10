import { Runtime } from "../../src/runtime/runtime.ts";
import type { Tensor } from "../../src/runtime/runtime.ts";
import { attentionBackwardInto, attentionInto } from "../../src/kernels/attention.ts";
import { attention } from "../../src/kernels/arrays.ts";
import { ShapeError } from "../../src/errors.ts";
import { deepStrictEqual as assertEquals } from "node:assert/strict";
import { assertClose, assertThrows, dot, numericGradient, randomArray, rng } from "../_helpers.ts";
import { refAttention, type RefAttentionShape } from "../reference.ts";

// Scores are dot products over dHead terms, then softmax and a weighted sum over seqK:
// f32 errors stay below 1e-5 relative to values of order 1.
const TOL = { rtol: 1e-5, atol: 2e-6 };

function run(rt: Runtime, s: RefAttentionShape, seed: number) {
  const w = s.heads * s.dHead;
  const q = randomArray(s.batch * s.seqQ * w, seed, 2);
  const k = randomArray(s.batch * s.seqK * w, seed + 1, 2);
  const v = randomArray(s.batch * s.seqK * w, seed + 2);
  // Q, K, V as column slices of one packed [rows, 3w] buffer when shapes allow, as the
  // model's fused in-projection produces them.
  const packed = s.seqQ === s.seqK;
  const buf = packed ? rt.tensor(s.batch * s.seqQ, 3 * w + 1) : undefined;
  const tq = (buf ? buf.colSlice(0, w) : rt.tensor(s.batch * s.seqQ, w)).set(q);
  const tk = (buf ? buf.colSlice(w, 2 * w) : rt.tensor(s.batch * s.seqK, w)).set(k);
  const tv = (buf ? buf.colSlice(2 * w, 3 * w) : rt.tensor(s.batch * s.seqK, w)).set(v);
  const out = rt.tensor(s.batch * s.seqQ, w);
  const probs = rt.tensor(s.batch * s.heads * s.seqQ, s.seqK);
  const keyLens = s.keyLens ? rt.ints(s.batch).set(s.keyLens) : undefined;
  const shape = { ...s, keyLens };
  attentionInto(tq, tk, tv, out, probs, shape);
  return { q, k, v, tq, tk, tv, out, probs, shape, buf };
}

const SHAPES: RefAttentionShape[] = [
  { batch: 1, heads: 1, seqQ: 1, seqK: 1, dHead: 1, scale: 1 },
  { batch: 2, heads: 1, seqQ: 3, seqK: 3, dHead: 2, scale: 1, causal: true },
  { batch: 2, heads: 3, seqQ: 5, seqK: 7, dHead: 5, scale: 0.4 },
  {
    batch: 3,
    heads: 2,
    seqQ: 17,
    seqK: 17,
    dHead: 7,
    scale: 0.3,
    causal: true,
    keyLens: [17, 9, 1],
  },
  { batch: 2, heads: 4, seqQ: 33, seqK: 33, dHead: 16, scale: 0.25, causal: true },
  { batch: 2, heads: 2, seqQ: 1, seqK: 9, dHead: 8, scale: 0.35, causal: true, keyLens: [9, 4] },
  { batch: 2, heads: 2, seqQ: 20, seqK: 13, dHead: 32, scale: 0.18, keyLens: [13, 5] },
  { batch: 1, heads: 2, seqQ: 65, seqK: 65, dHead: 3, scale: 0.6, causal: true },
];

Deno.test("attention forward matches the reference: causal, padding, heads, strides", () => {
  const rt = new Runtime();
  SHAPES.forEach((s, i) => {
    const r = run(rt, s, 100 + i);
    const ref = refAttention(r.q, r.k, r.v, s);
    const label = JSON.stringify(s);
    assertClose(r.out.toArray(), ref.out, { ...TOL, label: `out ${label}` });
    assertClose(r.probs.toArray(), ref.probs, { ...TOL, label: `probs ${label}`, cols: s.seqK });
  });
});

Deno.test("attention with every key masked gives zero output, not NaN", () => {
  const rt = new Runtime();
  const s = { batch: 2, heads: 1, seqQ: 3, seqK: 3, dHead: 4, scale: 1, keyLens: [0, 3] };
  const r = run(rt, s, 7);
  const out = r.out.toArray();
  for (let i = 0; i < 12; i++) if (out[i] !== 0) throw new Error(`out[${i}] = ${out[i]}`);
  assertClose(out, refAttention(r.q, r.k, r.v, s).out, TOL);
});

Deno.test("attention backward matches finite differences of the reference", () => {
  const rt = new Runtime();
  // Finite differences run the f64 reference once per input element: small shapes.
  const shapes = [...SHAPES.slice(0, 4), SHAPES[5], {
    batch: 2,
    heads: 2,
    seqQ: 6,
    seqK: 6,
    dHead: 5,
    scale: 0.5,
    causal: true,
    keyLens: [6, 3],
  }];
  for (const [i, s] of shapes.entries()) {
    const r = run(rt, s, 200 + i);
    const w = s.heads * s.dHead;
    const g = randomArray(s.batch * s.seqQ * w, 300 + i);
    const dOut = rt.tensor(s.batch * s.seqQ, w).set(g);
    const dbuf = r.buf ? rt.tensor(r.buf.rows, r.buf.cols) : undefined;
    const dq = dbuf ? dbuf.colSlice(0, w) : rt.tensor(r.tq.rows, w);
    const dk = dbuf ? dbuf.colSlice(w, 2 * w) : rt.tensor(r.tk.rows, w);
    const dv = dbuf ? dbuf.colSlice(2 * w, 3 * w) : rt.tensor(r.tv.rows, w);
    const scratch = rt.tensor(s.seqQ, s.seqK);
    attentionBackwardInto(r.tq, r.tk, r.tv, r.probs, dOut, dq, dk, dv, scratch, r.shape);
    const loss = (q: ArrayLike<number>, k: ArrayLike<number>, v: ArrayLike<number>) =>
      dot(g, refAttention(q, k, v, s).out);
    const label = JSON.stringify(s);
    const tol = { rtol: 1e-3, atol: 1e-5 };
    assertClose(dq.toArray(), numericGradient((x) => loss(x, r.k, r.v), r.q), {
      ...tol,
      label: `dQ ${label}`,
    });
    assertClose(dk.toArray(), numericGradient((x) => loss(r.q, x, r.v), r.k), {
      ...tol,
      label: `dK ${label}`,
    });
    assertClose(dv.toArray(), numericGradient((x) => loss(r.q, r.k, x), r.v), {
      ...tol,
      label: `dV ${label}`,
    });
  }
});

Deno.test("fused attention gives the blocked path's bits, forward and backward, both builds", () => {
  // A model trains the same weights whichever path runs, so the fused kernels must repeat
  // the blocked ones' arithmetic exactly: compare every bit of O, P, dQ, dK and dV.
  const bits = (t: Tensor) => new Uint32Array(t.toArray().buffer);
  for (const variant of ["simd128", "relaxed-simd"] as const) {
    const rt = new Runtime({ variant });
    const r = rng(7);
    for (let t = 0; t < 60; t++) {
      const pick = <T>(xs: T[]) => xs[Math.floor(r() * xs.length)];
      const batch = 1 + Math.floor(r() * 3), heads = pick([1, 2, 3]);
      const seqQ = 4 + Math.floor(r() * 37), cross = r() < 0.3;
      const seqK = cross ? 1 + Math.floor(r() * 40) : seqQ;
      const dHead = pick([1, 3, 4, 5, 8, 17, 32, 48]);
      const causal = !cross && r() < 0.6;
      const w = heads * dHead;
      const big = r() < 0.2 ? 30 : 2; // large scores: weights that underflow to 0
      const lens = Array.from({ length: batch }, () => Math.floor(r() * (seqK + 1)));
      const keyLens = r() < 0.5 ? rt.ints(batch).set(lens) : undefined;
      const scale = r() < 0.2 ? 1 : 1 / Math.sqrt(dHead);
      const shape = { batch, heads, seqQ, seqK, causal, scale, keyLens };
      const label = `${variant} ${JSON.stringify({ ...shape, keyLens: keyLens ? lens : "all" })}`;
      // Q, K, V and their gradients with row strides wider than the heads.
      const rowsOf = (n: number, seed: number, s = 1) =>
        rt.tensor(n, w + 1).set(randomArray(n * (w + 1), seed, s)).colSlice(0, w);
      const q = rowsOf(batch * seqQ, t, big), k = rowsOf(batch * seqK, t + 100, big);
      const v = rowsOf(batch * seqK, t + 200), dOut = rowsOf(batch * seqQ, t + 300);
      const filled = (rows: number, ld: number) =>
        rt.tensor(rows, ld).set(new Float32Array(rows * ld).fill(7)).colSlice(0, w);
      const runs = [0, 1].map(() => ({
        out: filled(batch * seqQ, w),
        probs: rt.tensor(batch * heads * seqQ, seqK),
        dq: filled(batch * seqQ, w + 1),
        dk: filled(batch * seqK, w + 1),
        dv: filled(batch * seqK, w + 1),
        scratch: rt.tensor(seqQ, seqK),
      }));
      const tail = [batch, heads, seqQ, seqK, dHead, q.ld, k.ld, v.ld] as const;
      const masks = [causal ? 1 : 0, keyLens ? keyLens.ptr : 0, scale] as const;
      const [f, b] = runs;
      attentionInto(q, k, v, f.out, f.probs, shape);
      attentionBackwardInto(q, k, v, f.probs, dOut, f.dq, f.dk, f.dv, f.scratch, shape);
      rt.kernels.attentionForwardBlocked(
        q.ptr,
        k.ptr,
        v.ptr,
        b.out.ptr,
        b.probs.ptr,
        ...tail,
        b.out.ld,
        ...masks,
      );
      rt.kernels.attentionBackwardBlocked(
        q.ptr,
        k.ptr,
        v.ptr,
        b.probs.ptr,
        dOut.ptr,
        b.dq.ptr,
        b.dk.ptr,
        b.dv.ptr,
        b.scratch.ptr,
        ...tail,
        dOut.ld,
        ...masks,
      );
      for (const name of ["out", "probs", "dq", "dk", "dv"] as const) {
        assertEquals(bits(f[name]), bits(b[name]), `${name} ${label}`);
      }
    }
  }
});

Deno.test("attention rejects bad shapes with the kernel's name", () => {
  const rt = new Runtime();
  const q = rt.tensor(4, 6), p = rt.tensor(4 * 2, 4);
  const s = { batch: 1, heads: 4, seqQ: 4, seqK: 4, scale: 1 };
  assertThrows(() => attentionInto(q, q, q, q, p, s), ShapeError, "not a multiple of 4 heads");
  assertThrows(
    () => attentionInto(q, rt.tensor(3, 6), q, q, p, { ...s, heads: 2 }),
    "attention: K has shape [3, 6], expected [4, 6]",
  );
  assertThrows(
    () => attentionInto(q, q, q, q, rt.tensor(8, 4), { ...s, heads: 2, batch: 0 }),
    /batch must be a positive integer/,
  );
  assertThrows(
    () => attentionInto(q, q, q, q, rt.tensor(8, 4), { ...s, heads: 2, scale: Infinity }),
    /scale must be a finite/,
  );
  for (const bad of [5, -3, 100]) {
    assertThrows(
      () =>
        attentionInto(q, q, q, q, rt.tensor(8, 4), {
          ...s,
          heads: 2,
          keyLens: rt.ints(1).set([bad]),
        }),
      ShapeError,
      `keyLens[0] is ${bad}, outside 0..4`,
    );
  }
});

Deno.test("attention on arrays: keyLengths must be whole numbers of real keys", () => {
  const q = new Float32Array(2 * 4 * 2).fill(0.5);
  const shape = { heads: 1, seqQ: 4, seqK: 4, dHead: 2, batch: 2 };
  for (const bad of [100, -3, 2.7, NaN]) {
    assertThrows(
      () => attention(q, q, q, { ...shape, keyLengths: [2, bad] }),
      ShapeError,
      `keyLengths[1] is ${bad}`,
    );
  }
  const ok = attention(q, q, q, { ...shape, keyLengths: [2, 0] });
  assertClose(ok.output.subarray(8), new Float32Array(8), { rtol: 0 }); // no keys: zeros
});
