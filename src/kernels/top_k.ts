// The k largest entries of each row of logits, and log Σ exp of the row: decoding's
// choice of next tokens (greedy: k = 1; beam search: 2·beam) in one call over a batch.
import type { IntBuffer, Tensor } from "../runtime/runtime.ts";
import { ShapeError } from "../errors.ts";
import { checkDim, checkInMemory, checkShape } from "./_check.ts";
import { splitRange, threadsFor } from "./_split.ts";

/**
 * For each row r of `x` [rows, cols]: `idx[r·k .. r·k + k)` gets the indices of its k
 * largest entries, largest first, the lower index first among equal values (-1 past
 * `cols`; NaN entries are never chosen); `lse[r, 0]`, when given, gets log Σ exp(x[r, :])
 * in f32. The same bits at any thread count.
 */
export function topKInto(x: Tensor, k: number, idx: IntBuffer, lse?: Tensor): void {
  const K = "topK";
  checkDim(K, "k", k);
  checkInMemory(K, "x", x);
  if (idx.length < x.rows * k) {
    throw new ShapeError(`${K}: idx holds ${idx.length} entries, expected ${x.rows * k}`);
  }
  if (idx.rt !== x.rt) throw new ShapeError(`${K}: idx belongs to another Runtime`);
  if (lse) {
    checkShape(K, "lse", lse, x.rows, 1);
    if (lse.rt !== x.rt) throw new ShapeError(`${K}: lse belongs to another Runtime`);
  }
  // An exp and a compare per entry: worth about 8 multiply-adds each.
  const threads = threadsFor(x.rt, 8 * x.rows * x.cols);
  x.rt.parallel(
    "topK",
    splitRange(x.rows, threads).map(([r0, r1]) => [
      x.ptr + 4 * r0 * x.ld,
      r1 - r0,
      x.cols,
      x.ld,
      k,
      idx.ptr + 4 * r0 * k,
      lse ? lse.ptr + 4 * r0 * lse.ld : 0,
    ]),
  );
}
