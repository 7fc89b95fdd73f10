// 8-bit inference matmul: C = A·Wᵀ (+ bias) (+ C) with W prepared once in 8 bits.
import type { Runtime, Tensor } from "../runtime/runtime.ts";
import { ShapeError } from "../errors.ts";
import { checkInMemory, checkSameRuntime, checkShape, shapeOf } from "./_check.ts";
import { jobsFor, splitRange, threadsFor } from "./_split.ts";

/**
 * A weight matrix W [rows, cols] (nn.Linear's [out, in]) prepared for
 * {@linkcode matmulInt8Into}: each row in 8 bits (-127..127) with one scale, max|w|/127,
 * and the sum of its 8-bit values, rows padded with zeros to 16 bytes. For an 8-bit
 * checkpoint these are the stored values. Rows of it can be used on their own
 * ({@linkcode Int8Weights.rowSlice}).
 */
export class Int8Weights {
  /** Bytes per stored row (cols rounded up to 16). */
  readonly stride: number;
  constructor(
    readonly rt: Runtime,
    /** Byte offset of row 0. */
    readonly ptr: number,
    /** Byte offset of row 0's f32 scale. */
    readonly scales: number,
    /** Byte offset of row 0's i32 sum of its 8-bit values. */
    readonly sums: number,
    readonly rows: number,
    readonly cols: number,
  ) {
    this.stride = Math.ceil(cols / 16) * 16;
  }

  /** Prepares `w` (f32, [out, in]) in fresh memory of its runtime. */
  static from(w: Tensor): Int8Weights {
    checkInMemory("int8 weights", "W", w);
    const rt = w.rt, stride = Math.ceil(w.cols / 16) * 16;
    const ptr = rt.allocBytes(w.rows * stride, false);
    const scales = rt.allocBytes(w.rows * 4, false), sums = rt.allocBytes(w.rows * 4, false);
    rt.kernels.prepareInt8Weights(w.ptr, w.ld, w.rows, w.cols, ptr, scales, sums);
    return new Int8Weights(rt, ptr, scales, sums, w.rows, w.cols);
  }

  /** Rows [r0, r1), as a view. */
  rowSlice(r0: number, r1: number): Int8Weights {
    if (!(Number.isInteger(r0) && Number.isInteger(r1) && 0 <= r0 && r0 < r1 && r1 <= this.rows)) {
      throw new RangeError(`Rows [${r0}, ${r1}) are not within the ${this.rows} rows`);
    }
    return new Int8Weights(
      this.rt,
      this.ptr + r0 * this.stride,
      this.scales + 4 * r0,
      this.sums + 4 * r0,
      r1 - r0,
      this.cols,
    );
  }
}

/** Options of {@linkcode matmulInt8Into}. */
export interface MatmulInt8Options {
  /** A [1, N] row added to every row of C. */
  bias?: Tensor;
  /** Add the product to C instead of overwriting it. */
  accumulate?: boolean;
}

/**
 * C [M, N] = A [M, K] · Wᵀ (+ bias) (+ C) with W [N, K] in 8 bits: each row of A is
 * quantized on the fly to 128 levels between its minimum and maximum (with zero among
 * them; a row without negatives gets 128 levels of [0, max], as in 8 bits), products are
 * summed exactly in integers and scaled back to f32. Results do not depend on the thread
 * count or the SIMD build.
 */
export function matmulInt8Into(
  a: Tensor,
  w: Int8Weights,
  c: Tensor,
  opts: MatmulInt8Options = {},
): void {
  const args = productArgs("matmulInt8", a, w, c, opts);
  const rt = a.rt, m = a.rows, n = w.rows, k = a.cols;
  const threads = threadsFor(rt, m * n * k);
  const job = (i0: number, i1: number, j0: number, j1: number) => [
    args[0] + 4 * i0 * a.ld,
    args[1],
    args[2] + j0 * w.stride,
    args[3] + 4 * j0,
    args[4] + 4 * j0,
    args[5] && args[5] + 4 * j0,
    args[6] + 4 * (i0 * c.ld + j0),
    args[7],
    i1 - i0,
    j1 - j0,
    k,
    args[11],
  ];
  // A batch's rows are split: each job quantizes only its own rows, and with two jobs per
  // thread a worker that starts late takes fewer. A few rows split the columns instead,
  // also in two jobs per thread (every job then quantizes the rows again, 0.1 µs a row).
  let jobs: number[][];
  if (threads > 1 && m >= 8 * threads) {
    jobs = splitRange(m, jobsFor(threads), 2).map(([i0, i1]) => job(i0, i1, 0, n));
  } else if (threads > 1 && n >= 16 * threads) {
    jobs = splitRange(n, jobsFor(threads), 8).map(([j0, j1]) => job(0, m, j0, j1));
  } else jobs = [job(0, m, 0, n)];
  rt.parallel("matmulInt8", jobs);
}

/** One product of {@linkcode matmulInt8ListInto}: C = A·Wᵀ (+ bias) (+ C). */
export interface Int8Product extends MatmulInt8Options {
  a: Tensor;
  w: Int8Weights;
  c: Tensor;
}

// Fields of a product in the kernel's list (matmulInt8's arguments).
const LIST_FIELDS = 12;

/**
 * Runs many independent 8-bit products in one kernel call, each exactly as
 * {@linkcode matmulInt8Into} would (the same bits); threads share them by ranges of the
 * list rather than each product by columns, so products too small to split (a batch's
 * sentences, each against its own shortlist) still run on every thread.
 */
export function matmulInt8ListInto(products: readonly Int8Product[]): void {
  if (products.length === 0) return;
  if (products.length === 1) {
    const [p] = products;
    return matmulInt8Into(p.a, p.w, p.c, p);
  }
  const rt = products[0].a.rt;
  const rows = products.map((p) => productArgs("matmulInt8List", p.a, p.w, p.c, p));
  const work = products.map((p) => p.a.rows * p.w.rows * p.a.cols);
  const mark = rt.mark();
  try {
    const table = rt.ints(rows.length * LIST_FIELDS).set(rows.flat());
    const total = work.reduce((x, y) => x + y, 0);
    const threads = threadsFor(rt, total);
    const jobs: number[][] = [];
    // Ranges of about equal work, two per thread: the threads take them from a queue.
    const parts = threads === 1 ? 1 : Math.min(products.length, 2 * threads);
    let first = 0, done = 0;
    for (let j = 1; j <= parts; j++) {
      let end = first;
      while (end < products.length && (end === first || done + work[end] <= (total * j) / parts)) {
        done += work[end++];
      }
      if (j === parts) end = products.length;
      if (end > first) jobs.push([table.ptr, first, end - first]);
      first = end;
    }
    rt.parallel("matmulInt8List", jobs);
  } finally {
    rt.release(mark);
  }
}

// Checks one product and returns matmulInt8's arguments for the whole of it.
function productArgs(
  K: string,
  a: Tensor,
  w: Int8Weights,
  c: Tensor,
  opts: MatmulInt8Options,
): number[] {
  if (a.cols !== w.cols) {
    throw new ShapeError(
      `${K}: inner dimensions differ: A is ${shapeOf(a)}, W is [${w.rows}, ${w.cols}]`,
    );
  }
  checkInMemory(K, "A", a);
  const m = a.rows, n = w.rows, k = a.cols;
  checkShape(K, "C", c, m, n);
  const ts = [a, c];
  if (opts.bias) {
    checkShape(K, "bias", opts.bias, 1, n);
    ts.push(opts.bias);
  }
  checkSameRuntime(K, ts);
  if (w.rt !== a.rt) throw new ShapeError(`${K}: W belongs to another Runtime`);
  if (a.rt.kernels.int8WorkspaceBytes(k) > a.rt.workspaceBytes) {
    throw new ShapeError(`${K}: rows of ${k} values do not fit the kernel workspace`);
  }
  const bias = opts.bias?.ptr ?? 0, acc = opts.accumulate ? 1 : 0;
  return [a.ptr, a.ld, w.ptr, w.scales, w.sums, bias, c.ptr, c.ld, m, n, k, acc];
}
