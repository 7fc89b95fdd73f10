// Residual add, scaling, bias gradients, squared norms and dropout.
import type { Tensor } from "../runtime/tensor.ts";
import { ShapeError } from "../errors.ts";
import {
  checkContiguous,
  checkFinite,
  checkInMemory,
  checkSameRuntime,
  checkSameShape,
  checkShape,
} from "./_check.ts";

/** y = a + b (y may be a or b). */
export function addInto(a: Tensor, b: Tensor, y: Tensor): void {
  checkSameShape("add", ["a", "b", "y"], [a, b, y]);
  for (const [n, t] of [["a", a], ["b", b], ["y", y]] as const) checkContiguous("add", n, t);
  checkSameRuntime("add", [a, b, y]);
  a.rt.kernels.add(a.ptr, b.ptr, y.ptr, a.size);
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
  dy.rt.kernels.sumRows(dy.ptr, db.ptr, dy.rows, dy.cols, accumulate ? 1 : 0);
}

/** Σ x², accumulated in f64 over f32 partial sums. */
export function sumSquares(x: Tensor): number {
  checkContiguous("sumSquares", "x", x);
  checkInMemory("sumSquares", "x", x);
  return x.rt.kernels.sumSquares(x.ptr, x.size);
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

/** Inverted dropout with a mask of x.size bytes at `mask`; same seed, same mask. */
export function dropoutInto(x: Tensor, y: Tensor, mask: number, p: number, seed: number): void {
  checkDropout("dropout", x, y, mask, p);
  x.rt.kernels.dropoutForward(x.ptr, y.ptr, mask, x.size, p, seed >>> 0);
}

/** dx = dy·mask/(1 − p). */
export function dropoutBackwardInto(dy: Tensor, mask: number, dx: Tensor, p: number): void {
  checkDropout("dropoutBackward", dy, dx, mask, p);
  dy.rt.kernels.dropoutBackward(dy.ptr, mask, dx.ptr, dy.size, p);
}
