// One Adam/AdamW step over a contiguous parameter region.
import type { Tensor } from "../runtime/runtime.ts";
import { ShapeError } from "../errors.ts";
import { checkContiguous, checkFinite, checkSameRuntime, checkSameShape } from "./_check.ts";
import { splitRange, threadsFor } from "./_split.ts";

/** Hyper-parameters of Adam (defaults: the paper's β 0.9/0.98, ε 1e-9). */
export interface AdamHyper {
  lr: number;
  beta1?: number;
  beta2?: number;
  eps?: number;
  weightDecay?: number;
  /** AdamW: decay the weights directly instead of adding wd·p to the gradient. */
  decoupled?: boolean;
}

/** Updates params, m, v in place for step number `step` (1-based). */
export function adamStepInto(
  params: Tensor,
  grads: Tensor,
  m: Tensor,
  v: Tensor,
  step: number,
  h: AdamHyper,
): void {
  const K = "adam";
  const names = ["params", "grads", "m", "v"];
  const ts = [params, grads, m, v];
  checkSameShape(K, names, ts);
  ts.forEach((t, i) => checkContiguous(K, names[i], t));
  checkSameRuntime(K, ts);
  if (!Number.isInteger(step) || step < 1) {
    throw new ShapeError(`${K}: step must be an integer >= 1, got ${step}`);
  }
  const beta1 = h.beta1 ?? 0.9, beta2 = h.beta2 ?? 0.98, eps = h.eps ?? 1e-9;
  const wd = h.weightDecay ?? 0;
  for (const [n, x] of [["lr", h.lr], ["beta1", beta1], ["beta2", beta2], ["eps", eps]] as const) {
    checkFinite(K, n, x);
  }
  checkFinite(K, "weightDecay", wd);
  // As torch.optim.Adam: bias corrections in double precision.
  const bc1 = 1 - beta1 ** step;
  const bc2 = 1 - beta2 ** step;
  // Element-wise, so split in ranges: any split gives the same values.
  const threads = threadsFor(params.rt, 10 * params.size);
  params.rt.parallel(
    "adamStep",
    splitRange(params.size, threads, 16).map(([i0, i1]) => [
      params.ptr + 4 * i0,
      grads.ptr + 4 * i0,
      m.ptr + 4 * i0,
      v.ptr + 4 * i0,
      i1 - i0,
      h.lr,
      beta1,
      beta2,
      eps,
      wd,
      h.decoupled ? 1 : 0,
      h.lr / bc1,
      Math.sqrt(bc2),
    ]),
  );
}
