// matmul: C[M,N] = alpha · op(A) · op(B) (+ bias[N]) (+ C when accumulating).
import type { Tensor } from "../runtime/tensor.ts";
import { ShapeError } from "../errors.ts";
import { checkFinite, checkInMemory, checkSameRuntime, checkShape, shapeOf } from "./_check.ts";

/** Options of {@linkcode matmulInto}. */
export interface MatmulOptions {
  /** Use Aᵀ instead of A. */
  transA?: boolean;
  /** Use Bᵀ instead of B. */
  transB?: boolean;
  /** Scale of the product (default 1). */
  alpha?: number;
  /** Add the product to C instead of overwriting it. */
  accumulate?: boolean;
  /** A [1, N] row added to every row of C. */
  bias?: Tensor;
}

/** C = alpha·op(A)·op(B) (+ bias) (+ C), on tensors of one runtime. */
export function matmulInto(a: Tensor, b: Tensor, c: Tensor, opts: MatmulOptions = {}): void {
  const K = "matmul";
  const m = opts.transA ? a.cols : a.rows;
  const k = opts.transA ? a.rows : a.cols;
  const kb = opts.transB ? b.cols : b.rows;
  const n = opts.transB ? b.rows : b.cols;
  if (k !== kb) {
    throw new ShapeError(
      `${K}: inner dimensions differ: op(A) is [${m}, ${k}] (A ${shapeOf(a)}${
        opts.transA ? "ᵀ" : ""
      }), op(B) is [${kb}, ${n}] (B ${shapeOf(b)}${opts.transB ? "ᵀ" : ""})`,
    );
  }
  checkInMemory(K, "A", a);
  checkInMemory(K, "B", b);
  checkShape(K, "C", c, m, n);
  const ts = [a, b, c];
  if (opts.bias) {
    checkShape(K, "bias", opts.bias, 1, n);
    ts.push(opts.bias);
  }
  checkSameRuntime(K, ts);
  const alpha = opts.alpha ?? 1;
  checkFinite(K, "alpha", alpha);
  a.rt.kernels.matmul(
    a.ptr,
    b.ptr,
    c.ptr,
    opts.bias?.ptr ?? 0,
    m,
    n,
    k,
    a.ld,
    b.ld,
    c.ld,
    opts.transA ? 1 : 0,
    opts.transB ? 1 : 0,
    alpha,
    opts.accumulate ? 1 : 0,
  );
}
