// Attention for one decoding step: one query per row, keys and values found by index.
import type { IntBuffer, Tensor } from "../runtime/runtime.ts";
import { ShapeError } from "../errors.ts";
import { checkDim, checkFinite, checkInMemory, checkSameRuntime, checkShape } from "./_check.ts";
import { jobsFor, splitRange, threadsFor } from "./_split.ts";

/**
 * Where each query row of {@linkcode attentionDecodeInto} finds its keys and values: key j
 * of row r is row `base[r] + table[r·stride + j]` of `kv`, for j < `keyLens[r]`.
 */
export interface DecodeKeys {
  /** Keys in columns [0, d) and values in [d, 2d) of each row, d being Q's columns. */
  kv: Tensor;
  /** Per query row, the kv row its indices count from. */
  base: IntBuffer;
  /** Per query row, `stride` indices; with stride 0 every row reads the same list. */
  table: IntBuffer;
  stride: number;
  /** Per query row, how many keys it attends to. */
  keyLens: IntBuffer;
}

const K = "attentionDecode";
// Time per unit (a query's multiply-add with one key's key or value) in multiply-adds of
// the 8-bit products, threadsFor's unit: measured 6–8 units/ns against the products'
// 56 MAC/ns (a decoding step's shapes, Intel Xeon, 2026-12-08). Counted as one, a step's
// attention of 50 µs ran on one thread.
const UNIT_COST = 8;

/**
 * out [R, d] = per row and head, softmax(scale · q·kⱼ) · V over the row's keys (see
 * {@linkcode DecodeKeys}); a row without keys gets zeros. Rows are computed on their own:
 * the same bits in any batch and at any thread count. Every index is checked first, unless
 * `checked` is what {@linkcode checkDecodeKeys} returned for these same keys and rows
 * (layers that share the indices check them once).
 */
export function attentionDecodeInto(
  q: Tensor,
  keys: DecodeKeys,
  out: Tensor,
  heads: number,
  scale: number,
  checked?: CheckedKeys,
): void {
  const rows = q.rows, d = q.cols, rt = q.rt;
  checkDim(K, "heads", heads);
  checkFinite(K, "scale", scale);
  if (d % heads !== 0) {
    throw new ShapeError(`${K}: Q has ${d} columns, not a multiple of ${heads} heads`);
  }
  checkInMemory(K, "Q", q);
  checkShape(K, "out", out, rows, d);
  checkInMemory(K, "kv", keys.kv);
  if (keys.kv.cols !== 2 * d) {
    throw new ShapeError(`${K}: kv has ${keys.kv.cols} columns, expected ${2 * d} (K then V)`);
  }
  checkSameRuntime(K, [q, out, keys.kv]);
  const most = checked?.keys === keys && checked.rows === rows
    ? checked.maxKeys
    : checkDecodeKeys(keys, rows).maxKeys;
  const threads = Math.min(rows, threadsFor(rt, UNIT_COST * rows * 2 * d * most));
  rt.parallel(
    "attentionDecode",
    splitRange(rows, jobsFor(threads)).map(([r0, r1]) => [
      q.ptr + 4 * r0 * q.ld,
      q.ld,
      keys.kv.ptr,
      keys.kv.ld,
      d,
      keys.base.ptr + 4 * r0,
      keys.table.ptr + 4 * r0 * keys.stride,
      keys.stride,
      keys.keyLens.ptr + 4 * r0,
      out.ptr + 4 * r0 * out.ld,
      out.ld,
      r1 - r0,
      heads,
      d / heads,
      scale,
    ]),
  );
}

/**
 * What {@linkcode checkDecodeKeys} found: that `keys` hold only indices inside their kv for
 * their first `rows` rows, and the most keys a row has.
 */
export interface CheckedKeys {
  keys: DecodeKeys;
  rows: number;
  maxKeys: number;
}

/**
 * Checks that every key the first `rows` rows of `keys` read lies in kv and that their
 * scores fit the workspace (throws a ShapeError naming the first that does not). Layers
 * that attend through the same indices check them once and pass the result to
 * {@linkcode attentionDecodeInto}; the indices must not change in between.
 */
export function checkDecodeKeys(keys: DecodeKeys, rows: number): CheckedKeys {
  const rt = keys.kv.rt;
  if ([keys.base, keys.table, keys.keyLens].some((b) => b.rt !== rt)) {
    throw new ShapeError(`${K}: an index buffer is elsewhere`);
  }
  if (keys.base.length < rows || keys.keyLens.length < rows) {
    throw new ShapeError(`${K}: base and keyLens need ${rows} entries`);
  }
  if (!Number.isInteger(keys.stride) || keys.stride < 0) {
    throw new ShapeError(`${K}: stride must be a non-negative integer, got ${keys.stride}`);
  }
  const workspaceFloats = rt.workspaceBytes >>> 2;
  const i32 = rt.i32, kvRows = keys.kv.rows;
  const lens = keys.keyLens.ptr >>> 2, base = keys.base.ptr >>> 2, table = keys.table.ptr >>> 2;
  let maxKeys = 0;
  for (let r = 0; r < rows; r++) {
    const n = i32[lens + r], b = i32[base + r], from = table + r * keys.stride;
    if (!(n >= 0 && n <= workspaceFloats && r * keys.stride + n <= keys.table.length)) {
      throw new ShapeError(`${K}: row ${r} has ${n} keys, outside 0..its table's entries`);
    }
    for (let j = 0; j < n; j++) {
      const row = b + i32[from + j];
      if (!(row >= 0 && row < kvRows)) {
        throw new ShapeError(
          `${K}: key ${j} of row ${r} is kv row ${row}, outside 0..${kvRows - 1}`,
        );
      }
    }
    maxKeys = Math.max(maxKeys, n);
  }
  return { keys, rows, maxKeys };
}
