/**
 * The kernels for plain Float32Array users: each call copies its inputs into a shared
 * wasm runtime, runs the kernel and copies the result out. For repeated work on the
 * same data, use a {@linkcode Runtime} and tensors instead, which copy nothing.
 * @module
 */
import { Runtime } from "../runtime/runtime.ts";
import { ShapeError } from "../errors.ts";
import { matmulInto } from "./matmul.ts";
import { softmaxInto } from "./softmax.ts";
import { attentionInto } from "./attention.ts";
import { layerNormInto } from "./layernorm.ts";
import { checkDim } from "./_check.ts";

let shared: Runtime | undefined;

function withRuntime<T>(f: (rt: Runtime) => T): T {
  shared ??= new Runtime();
  const mark = shared.mark();
  try {
    return f(shared);
  } finally {
    shared.release(mark);
  }
}

function checkLength(kernel: string, name: string, x: ArrayLike<number>, n: number): void {
  if (x.length !== n) {
    throw new ShapeError(`${kernel}: ${name} has ${x.length} elements, expected ${n}`);
  }
}

/** Options of {@linkcode matmul}. */
export interface MatmulArrayOptions {
  /** `a` holds Aᵀ, stored as [k, m]. */
  transA?: boolean;
  /** `b` holds Bᵀ, stored as [n, k]. */
  transB?: boolean;
  /** Scale of the product (default 1). */
  alpha?: number;
  /** A row of n values added to every row of the result. */
  bias?: Float32Array;
}

/**
 * Matrix product C[m, n] = alpha · op(A)[m, k] · op(B)[k, n] (+ bias), row-major.
 *
 * @example
 * ```ts
 * import { ok as assert } from "node:assert/strict";
 * import { matmul } from "@vamos/transformer";
 * const a = new Float32Array([1, 2, 3, 4, 5, 6]); // 2×3
 * const b = new Float32Array([1, 0, 0, 1, 1, 1]); // 3×2
 * const c = matmul(a, b, 2, 3, 2);
 * assert(c[0] === 4 && c[1] === 5 && c[2] === 10 && c[3] === 11);
 * ```
 */
export function matmul(
  a: Float32Array,
  b: Float32Array,
  m: number,
  k: number,
  n: number,
  options: MatmulArrayOptions = {},
): Float32Array {
  const K = "matmul";
  checkDim(K, "m", m);
  checkDim(K, "k", k);
  checkDim(K, "n", n);
  checkLength(K, "a", a, m * k);
  checkLength(K, "b", b, k * n);
  if (options.bias) checkLength(K, "bias", options.bias, n);
  return withRuntime((rt) => {
    const ta = options.transA ? rt.tensor(k, m) : rt.tensor(m, k);
    const tb = options.transB ? rt.tensor(n, k) : rt.tensor(k, n);
    ta.set(a);
    tb.set(b);
    const c = rt.tensor(m, n);
    const bias = options.bias ? rt.tensor(1, n).set(options.bias) : undefined;
    matmulInto(ta, tb, c, { ...options, bias });
    return c.toArray();
  });
}

/**
 * Row-wise softmax of a rows × cols matrix; -Infinity entries are masked out, and a
 * row with nothing but -Infinity gives zeros.
 *
 * @example
 * ```ts
 * import { ok as assert } from "node:assert/strict";
 * import { softmax } from "@vamos/transformer";
 * const p = softmax(new Float32Array([0, 0, 1, -Infinity]), 2, 2);
 * assert(Math.abs(p[0] - 0.5) < 1e-6 && p[2] === 1 && p[3] === 0);
 * ```
 */
export function softmax(x: Float32Array, rows: number, cols: number): Float32Array {
  checkDim("softmax", "rows", rows);
  checkDim("softmax", "cols", cols);
  checkLength("softmax", "x", x, rows * cols);
  return withRuntime((rt) => {
    const t = rt.tensor(rows, cols).set(x);
    softmaxInto(t, t);
    return t.toArray();
  });
}

/** Options of {@linkcode attention}. */
export interface AttentionArrayOptions {
  /** Sequences in the batch (default 1). */
  batch?: number;
  /** Attention heads. */
  heads: number;
  /** Query positions per sequence. */
  seqQ: number;
  /** Key/value positions per sequence. */
  seqK: number;
  /** Values per head. */
  dHead: number;
  /** Mask future keys (decoder self-attention). */
  causal?: boolean;
  /** Multiplier of Q·Kᵀ; default 1/√dHead. */
  scale?: number;
  /** Per sequence, the number of real keys (the rest is padding). */
  keyLengths?: ArrayLike<number>;
}

/**
 * Multi-head scaled dot-product attention. q is [batch·seqQ, heads·dHead], k and v are
 * [batch·seqK, heads·dHead] (head h in columns h·dHead…); returns the output (shaped
 * like q) and the attention weights [batch, heads, seqQ, seqK].
 *
 * @example
 * ```ts
 * import { ok as assert } from "node:assert/strict";
 * import { attention } from "@vamos/transformer";
 * const q = new Float32Array([1, 0, 0, 1]); // 2 positions, 1 head of 2 values
 * const { output, weights } = attention(q, q, q, { heads: 1, seqQ: 2, seqK: 2, dHead: 2, causal: true });
 * assert(weights[1] === 0); // position 0 cannot see position 1
 * assert(output[0] === 1 && output[1] === 0);
 * ```
 */
export function attention(
  q: Float32Array,
  k: Float32Array,
  v: Float32Array,
  options: AttentionArrayOptions,
): { output: Float32Array; weights: Float32Array } {
  const K = "attention";
  const batch = options.batch ?? 1;
  const { heads, seqQ, seqK, dHead } = options;
  for (const [name, x] of Object.entries({ batch, heads, seqQ, seqK, dHead })) {
    checkDim(K, name, x);
  }
  const width = heads * dHead;
  checkLength(K, "q", q, batch * seqQ * width);
  checkLength(K, "k", k, batch * seqK * width);
  checkLength(K, "v", v, batch * seqK * width);
  if (options.keyLengths) {
    checkLength(K, "keyLengths", options.keyLengths, batch);
    for (let b = 0; b < batch; b++) {
      const n = options.keyLengths[b];
      if (!Number.isInteger(n) || n < 0 || n > seqK) {
        throw new ShapeError(
          `${K}: keyLengths[${b}] is ${n}; it must be an integer from 0 to seqK (${seqK})`,
        );
      }
    }
  }
  return withRuntime((rt) => {
    const tq = rt.tensor(batch * seqQ, width).set(q);
    const tk = rt.tensor(batch * seqK, width).set(k);
    const tv = rt.tensor(batch * seqK, width).set(v);
    const out = rt.tensor(batch * seqQ, width);
    const probs = rt.tensor(batch * heads * seqQ, seqK);
    const keyLens = options.keyLengths ? rt.ints(batch).set(options.keyLengths) : undefined;
    attentionInto(tq, tk, tv, out, probs, {
      batch,
      heads,
      seqQ,
      seqK,
      causal: options.causal,
      keyLens,
      scale: options.scale ?? 1 / Math.sqrt(dHead),
    });
    return { output: out.toArray(), weights: probs.toArray() };
  });
}

/**
 * Layer normalization of each row of a rows × cols matrix:
 * (x − mean)/√(var + eps)·gamma + beta, gamma and beta of length cols.
 *
 * @example
 * ```ts
 * import { ok as assert } from "node:assert/strict";
 * import { layerNorm } from "@vamos/transformer";
 * const y = layerNorm(new Float32Array([1, 3]), 1, 2, new Float32Array([1, 1]), new Float32Array([0, 0]));
 * assert(Math.abs(y[0] + 1) < 1e-4 && Math.abs(y[1] - 1) < 1e-4);
 * ```
 */
export function layerNorm(
  x: Float32Array,
  rows: number,
  cols: number,
  gamma: Float32Array,
  beta: Float32Array,
  eps = 1e-5,
): Float32Array {
  const K = "layerNorm";
  checkDim(K, "rows", rows);
  checkDim(K, "cols", cols);
  checkLength(K, "x", x, rows * cols);
  checkLength(K, "gamma", gamma, cols);
  checkLength(K, "beta", beta, cols);
  return withRuntime((rt) => {
    const t = rt.tensor(rows, cols).set(x);
    const y = rt.tensor(rows, cols);
    layerNormInto(
      t,
      y,
      rt.tensor(1, cols).set(gamma),
      rt.tensor(1, cols).set(beta),
      rt.tensor(rows, 1),
      rt.tensor(rows, 1),
      eps,
    );
    return y.toArray();
  });
}
