// topK over rows of logits: each row's k largest entries (indices, largest first, the
// lower index first among equal values) and, optionally, the log of its softmax's
// denominator, log Σ exp(x). Decoding's last step (greedy: k = 1; beam search: 2·beam)
// runs here instead of over the whole vocabulary in JavaScript.
import { at, EXP_TABLE, expV, hsum, rowMax } from "./simd_math";

// One row: idx[0..k) its k best (fewer when n < k: the rest -1). A NaN entry is never
// chosen (every comparison with it is false).
@inline function topRow(x: usize, n: i32, k: i32, idx: usize): void {
  let count = 0;
  let floor: f32 = -Infinity; // the smallest value kept, once k are kept
  let i = 0;
  for (; i < n; i += 4) {
    // Four at a time: most of a row is below the floor, and one compare skips it.
    if (count == k && i + 4 <= n) {
      const v = v128.load(at(x, i));
      if (!v128.any_true(f32x4.gt(v, f32x4.splat(floor)))) continue;
    }
    const end = min(i + 4, n);
    for (let j = i; j < end; j++) {
      const v = load<f32>(at(x, j));
      if (count == k && !(v > floor)) continue;
      if (!(v >= -Infinity)) continue; // NaN
      let p = count < k ? count : k - 1;
      // Shift down the kept entries smaller than v (equal ones stay ahead of it).
      while (p > 0 && load<f32>(at(x, load<i32>(at(idx, p - 1)))) < v) {
        store<i32>(at(idx, p), load<i32>(at(idx, p - 1)));
        p--;
      }
      store<i32>(at(idx, p), j);
      if (count < k) count++;
      if (count == k) floor = load<f32>(at(x, load<i32>(at(idx, k - 1))));
    }
  }
  for (let q = count; q < k; q++) store<i32>(at(idx, q), -1);
}

// log Σ exp(x[0..n)) as exp(x - m) summed in four lanes, in one fixed order, m the row's
// largest value (-inf for an empty row; a NaN in the row makes the sum NaN whatever m is).
@inline function logSumExp(x: usize, n: i32, m: f32): f32 {
  if (!(m > -Infinity) || m == Infinity) return m; // empty, all -inf, NaN or +inf
  const minX = v128.load32_splat(EXP_TABLE), log2e = v128.load32_splat(EXP_TABLE, 4);
  const magic = v128.load32_splat(EXP_TABLE, 8), hi = v128.load32_splat(EXP_TABLE, 12);
  const lo = v128.load32_splat(EXP_TABLE, 16), c1 = v128.load32_splat(EXP_TABLE, 20);
  const c2 = v128.load32_splat(EXP_TABLE, 24), c3 = v128.load32_splat(EXP_TABLE, 28);
  const c4 = v128.load32_splat(EXP_TABLE, 32), c5 = v128.load32_splat(EXP_TABLE, 36);
  const vm = f32x4.splat(m);
  let s0 = f32x4.splat(0), s1 = f32x4.splat(0);
  let i = 0;
  for (; i + 8 <= n; i += 8) {
    const a = f32x4.sub(v128.load(at(x, i)), vm), b = f32x4.sub(v128.load(at(x, i), 16), vm);
    s0 = f32x4.add(s0, expV(a, minX, log2e, magic, hi, lo, c5, c4, c3, c2, c1));
    s1 = f32x4.add(s1, expV(b, minX, log2e, magic, hi, lo, c5, c4, c3, c2, c1));
  }
  // The tail through the same vector exp, padded with -inf (exp 0).
  for (; i < n; i += 4) {
    let v = f32x4.splat(-Infinity);
    const end = min(4, n - i);
    for (let q = 0; q < end; q++) {
      const e = load<f32>(at(x, i + q));
      if (q == 0) v = f32x4.replace_lane(v, 0, e);
      else if (q == 1) v = f32x4.replace_lane(v, 1, e);
      else if (q == 2) v = f32x4.replace_lane(v, 2, e);
      else v = f32x4.replace_lane(v, 3, e);
    }
    s0 = f32x4.add(s0, expV(f32x4.sub(v, vm), minX, log2e, magic, hi, lo, c5, c4, c3, c2, c1));
  }
  return m + <f32> Math.log(<f64> hsum(f32x4.add(s0, s1)));
}

export function topK(
  x: usize, rows: i32, cols: i32, ldx: i32, k: i32, idx: usize, lse: usize,
): void {
  for (let r = 0; r < rows; r++) {
    const row = x + (<usize> r * <usize> ldx << 2);
    const best = idx + (<usize> r * <usize> k << 2);
    topRow(row, cols, k, best);
    if (!lse) continue;
    // The best entry topRow found is the row's largest (NaN skipped); with none (an empty
    // row or only NaN) the maximum is taken over the row.
    const first = load<i32>(best);
    const m = first >= 0 ? load<f32>(at(row, first)) : rowMax(row, cols);
    store<f32>(at(lse, r), logSumExp(row, cols, m));
  }
}
