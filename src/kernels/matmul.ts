// matmul: C[M,N] = alpha · op(A) · op(B) (+ bias[N]) (+ C when accumulating).
import type { Runtime, Tensor } from "../runtime/runtime.ts";
import { ShapeError } from "../errors.ts";
import { checkFinite, checkInMemory, checkSameRuntime, checkShape, shapeOf } from "./_check.ts";
import { jobsFor, splitRange, threadsFor } from "./_split.ts";

// Fewer rows of C than this per thread are not split by rows (nor, with more columns than
// rows, by columns: then at least 16 columns per thread).
const MIN_ROWS_PER_THREAD = 8;

// matmul's register tile, as the wasm module exports it (read once per module instance: a
// global's value is a call into the engine).
const tiles = new WeakMap<object, { rows: number; cols: number }>();
function tileOf(k: Runtime["kernels"]): { rows: number; cols: number } {
  let t = tiles.get(k);
  if (!t) {
    t = { rows: Number(k.MATMUL_TILE_ROWS.value), cols: Number(k.MATMUL_TILE_COLS.value) };
    tiles.set(k, t);
  }
  return t;
}

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
  const { m, n, k } = checkMatmul(a, b, c, opts);
  const alpha = opts.alpha ?? 1;
  checkFinite(K, "alpha", alpha);
  const ta = opts.transA ? 1 : 0, tb = opts.transB ? 1 : 0, acc = opts.accumulate ? 1 : 0;
  const bias = opts.bias?.ptr ?? 0;
  const job = (ap: number, bp: number, cp: number, biasp: number, mm: number, nn: number) => [
    ap,
    bp,
    cp,
    biasp,
    mm,
    nn,
    k,
    a.ld,
    b.ld,
    c.ld,
    ta,
    tb,
    alpha,
    acc,
  ];
  const threads = threadsFor(a.rt, m * n * k);
  const parts = jobsFor(threads);
  // Whole micro-kernel tiles per thread: the kernel's own register tile.
  const { rows: tileRows, cols: tileCols } = tileOf(a.rt.kernels);
  const byColumns = () =>
    a.rt.parallel(
      "matmul",
      splitRange(n, parts, tileCols).map(([j0, j1]) =>
        job(
          a.ptr,
          b.ptr + 4 * (tb ? j0 * b.ld : j0),
          c.ptr + 4 * j0,
          bias && bias + 4 * j0,
          m,
          j1 - j0,
        )
      ),
    );
  if (threads > 1 && m >= MIN_ROWS_PER_THREAD * threads && n > m && n >= 16 * threads) {
    // Each thread packs all of op(A) when the columns are split, all of op(B) when the
    // rows are: split the wider side.
    byColumns();
  } else if (threads > 1 && m >= MIN_ROWS_PER_THREAD * threads) {
    // By rows of C: rows of op(A) are rows of A, or columns of A stored transposed.
    a.rt.parallel(
      "matmul",
      splitRange(m, parts, tileRows).map(([i0, i1]) =>
        job(a.ptr + 4 * (ta ? i0 : i0 * a.ld), b.ptr, c.ptr + 4 * i0 * c.ld, bias, i1 - i0, n)
      ),
    );
  } else if (threads > 1 && n >= 2 * tileCols * threads) {
    // By columns of C (few rows, as in decoding): columns of op(B) and of the bias.
    byColumns();
  } else {
    a.rt.kernels.matmul(a.ptr, b.ptr, c.ptr, bias, m, n, k, a.ld, b.ld, c.ld, ta, tb, alpha, acc);
  }
}

// The product's shape, [m, k]·[k, n], after checking the operands agree with it.
function checkMatmul(
  a: Tensor,
  b: Tensor,
  c: Tensor,
  opts: MatmulOptions,
): { m: number; n: number; k: number } {
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
  return { m, n, k };
}
