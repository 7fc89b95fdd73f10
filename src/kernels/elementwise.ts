// Residual add, scaling, bias gradients, squared norms and dropout.
import type { Tensor } from "../runtime/runtime.ts";
import { ShapeError } from "../errors.ts";
import {
  checkContiguous,
  checkFinite,
  checkInMemory,
  checkSameRuntime,
  checkSameShape,
  checkShape,
} from "./_check.ts";
import { splitRange, threadsFor } from "./_split.ts";

// Time per element in multiply-adds (threadsFor's unit, 0.02 ns), measured on 640×128
// tensors (AMD EPYC, 2026-11-30): add 0.19 ns, sumRows 0.14, dropout 0.95 (the random
// numbers), its backward 0.25.
const ADD_COST = 10;
const SUM_ROWS_COST = 8;
const DROPOUT_COST = 48;
const DROPOUT_BACKWARD_COST = 12;

/** y = a + b (y may be a or b). */
export function addInto(a: Tensor, b: Tensor, y: Tensor): void {
  checkSameShape("add", ["a", "b", "y"], [a, b, y]);
  for (const [n, t] of [["a", a], ["b", b], ["y", y]] as const) checkContiguous("add", n, t);
  checkSameRuntime("add", [a, b, y]);
  const threads = threadsFor(a.rt, ADD_COST * a.size);
  a.rt.parallel(
    "add",
    splitRange(a.size, threads, 16).map((
      [i0, i1],
    ) => [a.ptr + 4 * i0, b.ptr + 4 * i0, y.ptr + 4 * i0, i1 - i0]),
  );
}

/** x *= alpha. */
export function scaleInPlace(x: Tensor, alpha: number): void {
  checkContiguous("scale", "x", x);
  checkInMemory("scale", "x", x);
  checkFinite("scale", "alpha", alpha);
  x.rt.kernels.scale(x.ptr, x.size, alpha);
}

/** db (+)= column sums of dy: the gradient of a bias added to each row. */
export function sumRowsInto(dy: Tensor, db: Tensor, accumulate = false): void {
  checkContiguous("sumRows", "dy", dy);
  checkInMemory("sumRows", "dy", dy);
  checkShape("sumRows", "db", db, 1, dy.cols);
  checkSameRuntime("sumRows", [dy, db]);
  // By columns: each thread sums whole columns, rows in order.
  const threads = threadsFor(dy.rt, SUM_ROWS_COST * dy.size);
  dy.rt.parallel(
    "sumRows",
    splitRange(dy.cols, threads, 4).map(([c0, c1]) => [
      dy.ptr + 4 * c0,
      db.ptr + 4 * c0,
      dy.rows,
      c1 - c0,
      dy.cols,
      accumulate ? 1 : 0,
    ]),
  );
}

/** Σ x², accumulated in f64 over f32 partial sums of 4096 values. */
export function sumSquares(x: Tensor): number {
  checkContiguous("sumSquares", "x", x);
  checkInMemory("sumSquares", "x", x);
  const rt = x.rt;
  const threads = threadsFor(rt, x.size);
  if (threads === 1) return rt.kernels.sumSquares(x.ptr, x.size, 0);
  // Threads take whole 4096-value chunks and store each chunk's sum; the chunks are
  // added here in order, exactly as the one-thread kernel adds them.
  const chunks = Math.ceil(x.size / 4096);
  const mark = rt.mark();
  try {
    const partials = rt.allocBytes(8 * chunks, false);
    rt.parallel(
      "sumSquares",
      splitRange(chunks, threads).map(([c0, c1]) => [
        x.ptr + 4 * 4096 * c0,
        Math.min(x.size, 4096 * c1) - 4096 * c0,
        partials + 8 * c0,
      ]),
    );
    const p = new Float64Array(rt.memory.buffer, partials, chunks);
    let total = 0;
    for (let i = 0; i < chunks; i++) total += p[i];
    return total;
  } finally {
    rt.release(mark);
  }
}

function checkDropout(K: string, x: Tensor, y: Tensor, mask: number, p: number): void {
  checkSameShape(K, ["x", "y"], [x, y]);
  checkContiguous(K, "x", x);
  checkContiguous(K, "y", y);
  checkSameRuntime(K, [x, y]);
  if (!(p >= 0 && p < 1)) throw new ShapeError(`${K}: p must be in [0, 1), got ${p}`);
  if (mask < 0 || mask + x.size > x.rt.memory.buffer.byteLength) {
    throw new ShapeError(`${K}: the mask (${x.size} bytes) lies outside memory`);
  }
}

/** What {@linkcode dropoutInto} fuses in front of and behind the dropout. */
export interface DropoutFusion {
  /** Put x through relu first: y = dropout(relu(x)). */
  relu?: boolean;
  /** Add the dropped x to this tensor: y = residual + dropout(x) (a residual branch). */
  residual?: Tensor;
}

/**
 * Inverted dropout with a mask of x.size bytes at `mask`; same seed, same mask. With
 * `fuse`, the relu before it or the residual add after it happen in the same pass, with
 * the same values as the separate kernels.
 */
export function dropoutInto(
  x: Tensor,
  y: Tensor,
  mask: number,
  p: number,
  seed: number,
  fuse: DropoutFusion = {},
): void {
  checkDropout("dropout", x, y, mask, p);
  const r = fuse.residual;
  if (r && fuse.relu) {
    throw new ShapeError("dropout: fuse relu or a residual add, not both");
  }
  if (r) {
    checkSameShape("dropout", ["x", "residual"], [x, r]);
    checkContiguous("dropout", "residual", r);
    checkSameRuntime("dropout", [x, r]);
  }
  const threads = threadsFor(x.rt, DROPOUT_COST * x.size);
  x.rt.parallel(
    "dropoutForward",
    splitRange(x.size, threads, 16).map(([i0, i1]) => [
      x.ptr + 4 * i0,
      y.ptr + 4 * i0,
      mask + i0,
      i1 - i0,
      p,
      seed >>> 0,
      i0,
      fuse.relu ? 1 : 0,
      r ? r.ptr + 4 * i0 : 0,
    ]),
  );
}

/**
 * dx = dy·mask/(1 − p); with `reluInput` (the forward's x, when it fused relu), also
 * relu's backward: dx = 0 where reluInput ≤ 0.
 */
export function dropoutBackwardInto(
  dy: Tensor,
  mask: number,
  dx: Tensor,
  p: number,
  reluInput?: Tensor,
): void {
  checkDropout("dropoutBackward", dy, dx, mask, p);
  if (reluInput) {
    checkSameShape("dropoutBackward", ["dy", "reluInput"], [dy, reluInput]);
    checkContiguous("dropoutBackward", "reluInput", reluInput);
    checkSameRuntime("dropoutBackward", [dy, reluInput]);
  }
  const threads = threadsFor(dy.rt, DROPOUT_BACKWARD_COST * dy.size);
  dy.rt.parallel(
    "dropoutBackward",
    splitRange(dy.size, threads, 16).map((
      [i0, i1],
    ) => [
      dy.ptr + 4 * i0,
      mask + i0,
      dx.ptr + 4 * i0,
      i1 - i0,
      p,
      reluInput ? reluInput.ptr + 4 * i0 : 0,
    ]),
  );
}
