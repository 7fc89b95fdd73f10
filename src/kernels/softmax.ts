// softmax over rows, and its backward.
import type { Tensor } from "../runtime/runtime.ts";
import { checkContiguous, checkSameRuntime, checkSameShape } from "./_check.ts";
import { splitRange, threadsFor } from "./_split.ts";

/** y = softmax(x) row by row (-inf entries get weight 0; an all -inf row gives zeros). */
export function softmaxInto(x: Tensor, y: Tensor): void {
  checkSameShape("softmax", ["x", "y"], [x, y]);
  checkContiguous("softmax", "x", x);
  checkContiguous("softmax", "y", y);
  checkSameRuntime("softmax", [x, y]);
  const threads = threadsFor(x.rt, 8 * x.size); // an exp is worth about 8 multiply-adds
  x.rt.parallel(
    "softmaxForward",
    splitRange(x.rows, threads).map(([r0, r1]) => [
      x.ptr + 4 * r0 * x.cols,
      y.ptr + 4 * r0 * x.cols,
      r1 - r0,
      x.cols,
    ]),
  );
}

/** dx = y ⊙ (dy − rowsum(y ⊙ dy)), from the forward output y. */
export function softmaxBackwardInto(y: Tensor, dy: Tensor, dx: Tensor): void {
  const K = "softmaxBackward";
  checkSameShape(K, ["y", "dy", "dx"], [y, dy, dx]);
  for (const [n, t] of [["y", y], ["dy", dy], ["dx", dx]] as const) checkContiguous(K, n, t);
  checkSameRuntime(K, [y, dy, dx]);
  y.rt.kernels.softmaxBackward(y.ptr, dy.ptr, dx.ptr, y.rows, y.cols);
}
