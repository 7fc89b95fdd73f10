// Cross-entropy fused with log-softmax: label smoothing, ignored labels, mean.
import type { IntBuffer, Tensor } from "../runtime/runtime.ts";
import { ShapeError } from "../errors.ts";
import { checkContiguous, checkInMemory, checkSameShape } from "./_check.ts";
import { splitRange, threadsFor } from "./_split.ts";

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
    const y = v[(labels.ptr >>> 2) + r];
    if (y !== ignore && (y < 0 || y >= logits.cols)) {
      throw new ShapeError(`${K}: label ${y} in row ${r} is outside [0, ${logits.cols})`);
    }
  }
  let count = 0;
  for (let r = 0; r < labels.length; r++) if (v[(labels.ptr >>> 2) + r] !== ignore) count++;
  if (count === 0) {
    dlogits?.zero();
    return 0;
  }
  // Rows are split across threads; each row's loss is kept, and they are summed here in
  // row order, so the mean does not depend on the split.
  const rt = logits.rt;
  const mark = rt.mark();
  try {
    const rowLoss = rt.allocBytes(8 * logits.rows, false);
    const threads = threadsFor(rt, 12 * logits.size);
    rt.parallel(
      "crossEntropy",
      splitRange(logits.rows, threads).map(([r0, r1]) => [
        logits.ptr + 4 * r0 * logits.cols,
        labels.ptr + 4 * r0,
        dlogits ? dlogits.ptr + 4 * r0 * logits.cols : 0,
        r1 - r0,
        logits.cols,
        smoothing,
        ignore,
        count,
        rowLoss + 8 * r0,
      ]),
    );
    const losses = new Float64Array(rt.memory.buffer, rowLoss, logits.rows);
    let total = 0;
    for (let r = 0; r < logits.rows; r++) total += losses[r];
    return total / count;
  } finally {
    rt.release(mark);
  }
}
