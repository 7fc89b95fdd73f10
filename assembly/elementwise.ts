// Element-wise helpers: residual add, scaling, column sums (bias gradients), dropout.
import { at, hsum } from "./simd_math";

// y = a + b (y may alias a or b): the residual connection.
export function add(a: usize, b: usize, y: usize, n: i32): void {
  let i = 0;
  for (; i + 4 <= n; i += 4) {
    v128.store(at(y, i), f32x4.add(v128.load(at(a, i)), v128.load(at(b, i))));
  }
  for (; i < n; i++) store<f32>(at(y, i), load<f32>(at(a, i)) + load<f32>(at(b, i)));
}

// Zeroes n bytes at p. The runtime uses it for a shared memory, where V8's TypedArray fill
// is about a tenth as fast as the bulk-memory fill (it copies in atomic-safe pieces).
export function zeroBytes(p: usize, n: usize): void {
  memory.fill(p, 0, n);
}

// x *= alpha.
export function scale(x: usize, n: i32, alpha: f32): void {
  const va = f32x4.splat(alpha);
  let i = 0;
  for (; i + 4 <= n; i += 4) v128.store(at(x, i), f32x4.mul(v128.load(at(x, i)), va));
  for (; i < n; i++) store<f32>(at(x, i), load<f32>(at(x, i)) * alpha);
}

// db[C] (+)= Σ_r dy[r, C]: the gradient of a bias added to every row.
// (cols may be a slice of rows ld floats long, so threads can take column ranges.)
export function sumRows(
  dy: usize, db: usize, rows: i32, cols: i32, ld: i32, accumulate: i32,
): void {
  if (!accumulate) memory.fill(db, 0, <usize> cols << 2);
  for (let r = 0; r < rows; r++) {
    const row = at(dy, r * ld);
    let c = 0;
    for (; c + 4 <= cols; c += 4) {
      v128.store(at(db, c), f32x4.add(v128.load(at(db, c)), v128.load(at(row, c))));
    }
    for (; c < cols; c++) store<f32>(at(db, c), load<f32>(at(db, c)) + load<f32>(at(row, c)));
  }
}

// Σ x² over n values, in f64 across f32 vector partial sums of 4096 values each,
// so the total of a large gradient region keeps its precision. With partials ≠ 0 each
// chunk's sum is also stored there (f64), for a caller adding chunks in a fixed order.
export function sumSquares(x: usize, n: i32, partials: usize): f64 {
  let total: f64 = 0;
  for (let i0 = 0; i0 < n; i0 += 4096) {
    const end = min(n, i0 + 4096);
    let v = f32x4.splat(0);
    let i = i0;
    for (; i + 4 <= end; i += 4) {
      const a = v128.load(at(x, i));
      v = f32x4.add(v, f32x4.mul(a, a));
    }
    let s = <f64> hsum(v);
    for (; i < end; i++) {
      const a = <f64> load<f32>(at(x, i));
      s += a * a;
    }
    if (partials) store<f64>(partials + (<usize> (i0 >> 12) << 3), s);
    total += s;
  }
  return total;
}

// Counter-based hash (SplitMix32 finalizer): the value at index i depends only on
// (seed, i), so dropout masks are the same however the work is split.
@inline function hash32(seed: u32, i: u32): u32 {
  let z = seed ^ (i * 0x9e3779b9);
  z = (z ^ (z >> 16)) * 0x85ebca6b;
  z = (z ^ (z >> 13)) * 0xc2b2ae35;
  return z ^ (z >> 16);
}

// Inverted dropout: y = x·mask/(1−p); mask[i] (u8) = 1 when kept. Keep decisions come
// from hash32(seed, i) compared with p·2³²: same seed, same mask.
// (offset: the index of x[0] in the whole tensor, when threads take ranges of it.)
// Two passes over memory fused in where the model has them: with `relu`, x goes through
// relu first (the feed-forward sublayer's activation); with `residual` ≠ 0, y is that
// tensor plus the dropped x (a residual branch); one or the other, not both (relu wins).
// Each gives exactly the values of the separate kernels in turn.
export function dropoutForward(
  x: usize, y: usize, mask: usize, n: i32, p: f32, seed: u32, offset: i32, relu: i32,
  residual: usize,
): void {
  if (relu) dropoutLoop(x, y, mask, n, p, seed, offset, true, 0);
  else if (residual) dropoutLoop(x, y, mask, n, p, seed, offset, false, residual);
  else dropoutLoop(x, y, mask, n, p, seed, offset, false, 0);
}

@inline function dropoutLoop(
  x: usize, y: usize, mask: usize, n: i32, p: f32, seed: u32, offset: i32, relu: bool,
  residual: usize,
): void {
  const threshold = <u32> min<f64>(<f64> p * 4294967296.0, 4294967295.0);
  const s: f32 = p < 1 ? 1 / (1 - p) : 0;
  let i = 0;
  // Four hashes at once with the same integer steps as hash32, so every lane gets
  // exactly the scalar value: the mask does not depend on the vector width.
  const vs = f32x4.splat(s), vseed = i32x4.splat(<i32> seed), vthr = i32x4.splat(<i32> threshold);
  const golden = i32x4.splat(<i32> 0x9e3779b9), m1 = i32x4.splat(<i32> 0x85ebca6b);
  const m2 = i32x4.splat(<i32> 0xc2b2ae35), one = i32x4.splat(1);
  const zero = f32x4.splat(0);
  // i·0x9e3779b9 (mod 2³²) for the four lanes' indices, stepped by adding 4·0x9e3779b9:
  // the same products as multiplying each index, one multiply fewer per vector.
  let iGolden = i32x4.mul(i32x4.add(i32x4.splat(offset), i32x4(0, 1, 2, 3)), golden);
  const goldenStep = i32x4.mul(i32x4.splat(4), golden);
  for (; i + 4 <= n; i += 4) {
    let z = v128.xor(vseed, iGolden);
    z = i32x4.mul(v128.xor(z, i32x4.shr_u(z, 16)), m1);
    z = i32x4.mul(v128.xor(z, i32x4.shr_u(z, 13)), m2);
    z = v128.xor(z, i32x4.shr_u(z, 16));
    const keep = i32x4.ge_u(z, vthr); // all ones where kept
    let v = v128.load(at(x, i));
    if (relu) v = f32x4.pmax(v, zero);
    v = v128.and(f32x4.mul(v, vs), keep);
    if (residual) v = f32x4.add(v128.load(at(residual, i)), v);
    v128.store(at(y, i), v);
    // Lanes of 0 or 1 narrowed to four bytes.
    const bytes = i8x16.narrow_i16x8_u(i16x8.narrow_i32x4_u(v128.and(keep, one), one), one);
    store<u32>(mask + <usize> i, i32x4.extract_lane(bytes, 0));
    iGolden = i32x4.add(iGolden, goldenStep);
  }
  for (; i < n; i++) {
    const keep = hash32(seed, <u32> (i + offset)) >= threshold;
    store<u8>(mask + <usize> i, keep ? 1 : 0);
    let v = load<f32>(at(x, i));
    if (relu) v = max<f32>(v, 0);
    v = keep ? v * s : 0;
    if (residual) v = load<f32>(at(residual, i)) + v;
    store<f32>(at(y, i), v);
  }
}

// dx = dy·mask/(1−p) (dx may alias dy); with `reluInput` ≠ 0 (the forward's input to
// relu, when the forward had `relu`), also through relu's backward: 0 where it was ≤ 0.
export function dropoutBackward(
  dy: usize, mask: usize, dx: usize, n: i32, p: f32, reluInput: usize,
): void {
  if (reluInput) dropoutBackwardLoop(dy, mask, dx, n, p, reluInput);
  else dropoutBackwardLoop(dy, mask, dx, n, p, 0);
}

@inline function dropoutBackwardLoop(
  dy: usize, mask: usize, dx: usize, n: i32, p: f32, reluInput: usize,
): void {
  const s: f32 = p < 1 ? 1 / (1 - p) : 0;
  const vs = f32x4.splat(s), zero = i32x4.splat(0), fzero = f32x4.splat(0);
  let i = 0;
  for (; i + 4 <= n; i += 4) {
    const m = i32x4.extend_low_i16x8_u(i16x8.extend_low_i8x16_u(v128.load32_zero(mask + <usize> i)));
    const kept = i32x4.ne(m, zero);
    let v = v128.and(f32x4.mul(v128.load(at(dy, i)), vs), kept);
    if (reluInput) v = v128.and(v, f32x4.gt(v128.load(at(reluInput, i)), fzero));
    v128.store(at(dx, i), v);
  }
  for (; i < n; i++) {
    let v: f32 = load<u8>(mask + <usize> i) ? load<f32>(at(dy, i)) * s : 0;
    if (reluInput) v = load<f32>(at(reluInput, i)) > 0 ? v : 0;
    store<f32>(at(dx, i), v);
  }
}
