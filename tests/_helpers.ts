// Test helpers: tolerance comparison that names the worst element, a seeded PRNG,
// and central finite differences.
import { AssertionError } from "node:assert/strict";

/** Options for assertClose: |a − e| <= atol + rtol·|e| element-wise. */
export interface CloseOptions {
  rtol?: number;
  atol?: number;
  /** Per-element bound, replacing atol + rtol·|e| where given. */
  bound?: (i: number, expected: number) => number;
  label?: string;
  /** Shape to print indices as (row, col). */
  cols?: number;
}

export function assertClose(
  actual: ArrayLike<number>,
  expected: ArrayLike<number>,
  opts: CloseOptions = {},
): void {
  const label = opts.label ?? "values";
  if (actual.length !== expected.length) {
    throw new AssertionError({
      message: `${label}: length ${actual.length} != expected ${expected.length}`,
    });
  }
  const rtol = opts.rtol ?? 1e-5, atol = opts.atol ?? 0;
  let worst = -1, worstRatio = 0;
  for (let i = 0; i < actual.length; i++) {
    const a = actual[i], e = expected[i];
    const bound = opts.bound ? opts.bound(i, e) : atol + rtol * Math.abs(e);
    const diff = Math.abs(a - e);
    const same = a === e || (Number.isNaN(a) && Number.isNaN(e));
    const ratio = same ? 0 : Number.isFinite(diff) ? diff / Math.max(bound, 1e-300) : Infinity;
    if (ratio > worstRatio) {
      worstRatio = ratio;
      worst = i;
    }
  }
  if (worstRatio > 1) {
    const at = opts.cols ? `(${Math.floor(worst / opts.cols)}, ${worst % opts.cols})` : `${worst}`;
    throw new AssertionError({
      message: `${label}: element ${at} is ${actual[worst]}, expected ${expected[worst]} ` +
        `(diff ${Math.abs(actual[worst] - expected[worst]).toExponential(3)}, ` +
        `${worstRatio.toFixed(1)}× the tolerance)`,
    });
  }
}

/** Mulberry32: a small seeded PRNG so every test sees the same numbers. */
export function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** n uniform values in [-scale, scale). */
export function randomArray(n: number, seed: number, scale = 1): Float32Array {
  const r = rng(seed);
  const out = new Float32Array(n);
  for (let i = 0; i < n; i++) out[i] = (r() * 2 - 1) * scale;
  return out;
}

/** Central differences of f at x (f64): (f(x + h·e_i) − f(x − h·e_i)) / 2h for each i. */
export function numericGradient(
  f: (x: Float64Array) => number,
  x: ArrayLike<number>,
  h = 1e-5,
): Float64Array {
  const xs = Float64Array.from(x);
  const g = new Float64Array(xs.length);
  for (let i = 0; i < xs.length; i++) {
    const v = xs[i];
    xs[i] = v + h;
    const fp = f(xs);
    xs[i] = v - h;
    const fm = f(xs);
    xs[i] = v;
    g[i] = (fp - fm) / (2 * h);
  }
  return g;
}

/** Σ w_i·y_i: turns a vector output into the scalar loss whose gradient dy = w. */
export function dot(w: ArrayLike<number>, y: ArrayLike<number>): number {
  let s = 0;
  for (let i = 0; i < w.length; i++) s += w[i] * y[i];
  return s;
}

/**
 * The sizes every kernel test sweeps: every size from 1 to 2·8+1 (the edges of the 4×8
 * matmul tile, the 8-lane attention block and the 4-lane vectors), and awkward large ones.
 */
export const AWKWARD = [
  ...Array.from({ length: 17 }, (_, i) => i + 1),
  31,
  63,
  64,
  65,
  127,
  129,
  257,
];

/** Asserts that fn throws, optionally an instance of cls, with a message matching msg. */
export function assertThrows(
  fn: () => unknown,
  // deno-lint-ignore no-explicit-any
  clsOrMsg?: (new (...args: any[]) => Error) | RegExp | string,
  msg?: RegExp | string,
): Error {
  // deno-lint-ignore no-explicit-any
  let cls: (new (...args: any[]) => Error) | undefined;
  if (typeof clsOrMsg === "function") cls = clsOrMsg;
  else msg = clsOrMsg;
  try {
    fn();
  } catch (e) {
    if (!(e instanceof Error)) throw new AssertionError({ message: `threw a non-Error: ${e}` });
    const what = `${e.name}: ${e.message}`;
    if (cls && !(e instanceof cls)) {
      throw new AssertionError({ message: `threw ${what}; expected ${cls.name}` });
    }
    if (typeof msg === "string" && !e.message.includes(msg)) {
      throw new AssertionError({ message: `message "${e.message}" does not include "${msg}"` });
    }
    if (msg instanceof RegExp && !msg.test(e.message)) {
      throw new AssertionError({ message: `message "${e.message}" does not match ${msg}` });
    }
    return e;
  }
  throw new AssertionError({ message: "expected the function to throw" });
}
