// softmax over rows: y[r, :] = exp(s·x[r, :] - max) / sum, for rows of `cols` values.
// -inf entries are masked (weight 0); a row with no finite entry gives zeros; a row
// holding NaN gives NaN.
import { at, EXP_TABLE, expS, expV, hsum, rowMax } from "./simd_math";

// One row: y[0..n) = softmax(scale * x[0..n)), y[n..total) = 0. x and y may alias.
export function softmaxRow(x: usize, y: usize, n: i32, total: i32, scale: f32): void {
  softmaxRowWith(
    x, y, n, total, scale,
    v128.load32_splat(EXP_TABLE), v128.load32_splat(EXP_TABLE, 4),
    v128.load32_splat(EXP_TABLE, 8), v128.load32_splat(EXP_TABLE, 12),
    v128.load32_splat(EXP_TABLE, 16), v128.load32_splat(EXP_TABLE, 20),
    v128.load32_splat(EXP_TABLE, 24), v128.load32_splat(EXP_TABLE, 28),
    v128.load32_splat(EXP_TABLE, 32), v128.load32_splat(EXP_TABLE, 36),
  );
}

// softmaxRow with exp's constants given: a caller with many short rows (attention)
// loads them once, not once a row.
@inline export function softmaxRowWith(
  x: usize, y: usize, n: i32, total: i32, scale: f32,
  minX: v128, log2e: v128, magic: v128, negLn2Hi: v128, negLn2Lo: v128,
  c1: v128, c2: v128, c3: v128, c4: v128, c5: v128,
): void {
  const m = rowMax(x, n);
  let i = 0;
  if (m == -Infinity) {
    memory.fill(y, 0, <usize> total << 2);
    return;
  }
  if (isNaN(m)) {
    // A NaN input makes the whole row NaN, as the definition does (a NaN that rowMax
    // skipped poisons the sum below the same way).
    for (i = 0; i < n; i++) store<f32>(at(y, i), NaN);
    if (total > n) memory.fill(at(y, n), 0, <usize> (total - n) << 2);
    return;
  }
  const vmax = f32x4.splat(m), vscale = f32x4.splat(scale);
  let vsum = f32x4.splat(0), vsum2 = f32x4.splat(0);
  // Two vectors a step, two partial sums: the exp chains of both overlap. The common
  // scale = 1 (plain softmax) skips the multiply.
  if (scale == 1) {
    for (i = 0; i + 8 <= n; i += 8) {
      const e0 = expV(
        f32x4.sub(v128.load(at(x, i)), vmax), minX, log2e, magic, negLn2Hi, negLn2Lo, c5, c4, c3, c2, c1,
      );
      const e1 = expV(
        f32x4.sub(v128.load(at(x, i), 16), vmax), minX, log2e, magic, negLn2Hi, negLn2Lo, c5, c4, c3, c2, c1,
      );
      v128.store(at(y, i), e0);
      v128.store(at(y, i), e1, 16);
      vsum = f32x4.add(vsum, e0);
      vsum2 = f32x4.add(vsum2, e1);
    }
  } else {
    for (i = 0; i + 8 <= n; i += 8) {
      const t0 = f32x4.mul(f32x4.sub(v128.load(at(x, i)), vmax), vscale);
      const t1 = f32x4.mul(f32x4.sub(v128.load(at(x, i), 16), vmax), vscale);
      const e0 = expV(t0, minX, log2e, magic, negLn2Hi, negLn2Lo, c5, c4, c3, c2, c1);
      const e1 = expV(t1, minX, log2e, magic, negLn2Hi, negLn2Lo, c5, c4, c3, c2, c1);
      v128.store(at(y, i), e0);
      v128.store(at(y, i), e1, 16);
      vsum = f32x4.add(vsum, e0);
      vsum2 = f32x4.add(vsum2, e1);
    }
  }
  for (; i + 4 <= n; i += 4) {
    const t = f32x4.mul(f32x4.sub(v128.load(at(x, i)), vmax), vscale);
    const e = expV(t, minX, log2e, magic, negLn2Hi, negLn2Lo, c5, c4, c3, c2, c1);
    v128.store(at(y, i), e);
    vsum = f32x4.add(vsum, e);
  }
  vsum = f32x4.add(vsum, vsum2);
  let sum = hsum(vsum);
  for (; i < n; i++) {
    const e = expS((load<f32>(at(x, i)) - m) * scale);
    store<f32>(at(y, i), e);
    sum += e;
  }
  const inv: f32 = 1 / sum;
  const vinv = f32x4.splat(inv);
  for (i = 0; i + 4 <= n; i += 4) v128.store(at(y, i), f32x4.mul(v128.load(at(y, i)), vinv));
  for (; i < n; i++) store<f32>(at(y, i), load<f32>(at(y, i)) * inv);
  if (total > n) memory.fill(at(y, n), 0, <usize> (total - n) << 2);
}

export function softmaxForward(x: usize, y: usize, rows: i32, cols: i32): void {
  for (let r = 0; r < rows; r++) {
    const off = r * cols;
    softmaxRow(at(x, off), at(y, off), cols, cols, 1);
  }
}

// One row's backward: dx = y ⊙ (dy − Σ y⊙dy) · scale, for n entries (dx may alias dy).
export function softmaxBackwardRow(y: usize, dy: usize, dx: usize, n: i32, scale: f32): void {
  let vdot = f32x4.splat(0);
  let i = 0;
  for (; i + 4 <= n; i += 4) {
    vdot = f32x4.add(vdot, f32x4.mul(v128.load(at(y, i)), v128.load(at(dy, i))));
  }
  let dot = hsum(vdot);
  for (; i < n; i++) dot += load<f32>(at(y, i)) * load<f32>(at(dy, i));
  const vd = f32x4.splat(dot), vs = f32x4.splat(scale);
  for (i = 0; i + 4 <= n; i += 4) {
    const g = f32x4.mul(v128.load(at(y, i)), f32x4.sub(v128.load(at(dy, i)), vd));
    v128.store(at(dx, i), f32x4.mul(g, vs));
  }
  for (; i < n; i++) {
    store<f32>(at(dx, i), load<f32>(at(y, i)) * (load<f32>(at(dy, i)) - dot) * scale);
  }
}

// dx[rows, cols] from y (the forward output) and dy.
export function softmaxBackward(y: usize, dy: usize, dx: usize, rows: i32, cols: i32): void {
  for (let r = 0; r < rows; r++) {
    const off = r * cols;
    softmaxBackwardRow(at(y, off), at(dy, off), at(dx, off), cols, 1);
  }
}
