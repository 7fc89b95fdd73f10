// relu and gelu (exact erf form), forward and backward.
import type { Tensor } from "../runtime/tensor.ts";
import { checkContiguous, checkSameRuntime, checkSameShape } from "./_check.ts";

/** The activations the feed-forward sublayer can use. */
export type Activation = "relu" | "gelu";

function check(K: string, names: string[], ts: Tensor[]): void {
  checkSameShape(K, names, ts);
  ts.forEach((t, i) => checkContiguous(K, names[i], t));
  checkSameRuntime(K, ts);
}

/** y = act(x). */
export function activationInto(kind: Activation, x: Tensor, y: Tensor): void {
  check(kind, ["x", "y"], [x, y]);
  if (kind === "relu") x.rt.kernels.reluForward(x.ptr, y.ptr, x.size);
  else x.rt.kernels.geluForward(x.ptr, y.ptr, x.size);
}

/** dx = dy · act'(x), x the forward input (dx may be dy). */
export function activationBackwardInto(kind: Activation, dy: Tensor, x: Tensor, dx: Tensor): void {
  check(`${kind}Backward`, ["x", "dy", "dx"], [x, dy, dx]);
  if (kind === "relu") x.rt.kernels.reluBackward(dy.ptr, x.ptr, dx.ptr, x.size);
  else x.rt.kernels.geluBackward(dy.ptr, x.ptr, dx.ptr, x.size);
}
