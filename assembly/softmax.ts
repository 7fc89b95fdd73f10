// softmax over rows: y[r, :] = exp(s·x[r, :] - max) / sum, for rows of `cols` values.
// -inf entries are masked (weight 0); a row with no finite entry gives zeros, not NaN.
import {
  at,
  EXP_C1,
  EXP_C2,
  EXP_C3,
  EXP_C4,
  EXP_C5,
  EXP_LN2_HI,
  EXP_LN2_LO,
  EXP_LOG2E,
  EXP_MIN_X,
  expS,
  expV,
  hmax,
  hsum,
} from "./simd_math";

// One row: y[0..n) = softmax(scale * x[0..n)), y[n..total) = 0. x and y may alias.
export function softmaxRow(x: usize, y: usize, n: i32, total: i32, scale: f32): void {
  let m: f32 = -Infinity;
  let i = 0;
  if (n >= 4) {
    let vm = v128.load(x);
    for (i = 4; i + 4 <= n; i += 4) vm = f32x4.max(vm, v128.load(at(x, i)));
    m = hmax(vm);
  }
  for (; i < n; i++) m = max(m, load<f32>(at(x, i)));
  if (m == -Infinity || isNaN(m)) {
    memory.fill(y, 0, <usize> total << 2);
    return;
  }
  const minX = f32x4.splat(EXP_MIN_X), log2e = f32x4.splat(EXP_LOG2E);
  const ln2Hi = f32x4.splat(EXP_LN2_HI), ln2Lo = f32x4.splat(EXP_LN2_LO);
  const c1 = f32x4.splat(EXP_C1), c2 = f32x4.splat(EXP_C2), c3 = f32x4.splat(EXP_C3);
  const c4 = f32x4.splat(EXP_C4), c5 = f32x4.splat(EXP_C5);
  const one = f32x4.splat(1), bias = i32x4.splat(127);
  const vmax = f32x4.splat(m), vscale = f32x4.splat(scale);
  let vsum = f32x4.splat(0);
  for (i = 0; i + 4 <= n; i += 4) {
    const t = f32x4.mul(f32x4.sub(v128.load(at(x, i)), vmax), vscale);
    const e = expV(t, minX, log2e, ln2Hi, ln2Lo, c5, c4, c3, c2, c1, one, bias);
    v128.store(at(y, i), e);
    vsum = f32x4.add(vsum, e);
  }
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
