// Cross-entropy fused with log-softmax: label smoothing, ignored labels, mean.
import type { IntBuffer, Tensor } from "../runtime/tensor.ts";
import { ShapeError } from "../errors.ts";
import { checkContiguous, checkInMemory, checkSameShape } from "./_check.ts";

/**
 * Mean cross-entropy over rows whose label is not `ignoreIndex` (0 if there are
 * none); writes d(loss)/d(logits) into dlogits when given.
 */
export function crossEntropyInto(
  logits: Tensor,
  labels: IntBuffer,
  dlogits: Tensor | undefined,
  opts: { smoothing?: number; ignoreIndex?: number } = {},
): number {
  const K = "crossEntropy";
  checkContiguous(K, "logits", logits);
  checkInMemory(K, "logits", logits);
  if (dlogits) {
    checkSameShape(K, ["logits", "dlogits"], [logits, dlogits]);
    checkContiguous(K, "dlogits", dlogits);
  }
  const smoothing = opts.smoothing ?? 0;
  if (!(smoothing >= 0 && smoothing <= 1)) {
    throw new ShapeError(`${K}: label smoothing must be in [0, 1], got ${smoothing}`);
  }
  const ignore = opts.ignoreIndex ?? -100;
  if (labels.length !== logits.rows) {
    throw new ShapeError(`${K}: ${labels.length} labels for ${logits.rows} rows of logits`);
  }
  const v = labels.rt.i32;
  for (let r = 0; r < labels.length; r++) {
    const y = v[(labels.ptr >> 2) + r];
    if (y !== ignore && (y < 0 || y >= logits.cols)) {
      throw new ShapeError(`${K}: label ${y} in row ${r} is outside [0, ${logits.cols})`);
    }
  }
  return logits.rt.kernels.crossEntropy(
    logits.ptr,
    labels.ptr,
    dlogits?.ptr ?? 0,
    logits.rows,
    logits.cols,
    smoothing,
    ignore,
  );
}
