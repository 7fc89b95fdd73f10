// 8-bit matmul for inference: C[M,N] = A[M,K] · Wᵀ (+ bias) (+ C), W an nn.Linear weight
// ([N, K], a row per output) stored in 8 bits.
//
// Each row of A is quantized on the fly to signed 8 bits (symmetric, scale max|a|/127).
// The weights come prepared by prepareInt8Weights: 7 bits per value (scale max|w|/63
// per row) plus 64, so every stored byte is in 1..127, rows padded to a multiple of 16
// bytes with 64 (a zero). That is what the relaxed-SIMD dot product
// i32x4.relaxed_dot_i8x16_i7x16_add_s needs to be exact and deterministic (its second
// operand in 0..127; pairs of products stay within i16), 16 multiply-adds in one
// instruction. The +64 comes back out exactly: Σ a·(w + 64) = Σ a·w + 64·Σ a.
// The SIMD128 build computes the same integer sums with i32x4.dot_i16x8_s, and the
// float epilogue is the same in both: results are bit-identical across builds, thread
// counts and summation orders (integer sums are exact).
import { workspaceBytes, workspacePtr } from "./workspace";

// Bytes of workspace per quantized row: the row itself, padded.
@inline function padded(k: i32): i32 {
  return (k + 15) & ~15;
}

// Quantizes one row of W (f32, k values) into dst: round(w / s) + 64 with s =
// max|w| / 63, padding 64. Returns s (0 for a zero row).
export function prepareInt8Weights(
  w: usize, ldw: i32, rows: i32, k: i32, dst: usize, scales: usize,
): void {
  const kp = padded(k);
  for (let r = 0; r < rows; r++) {
    const src = w + (<usize> r * <usize> ldw << 2);
    const out = dst + <usize> r * <usize> kp;
    let m: f32 = 0;
    for (let p = 0; p < k; p++) m = max(m, abs(load<f32>(src + (<usize> p << 2))));
    const s: f32 = m / 63;
    const inv: f32 = m > 0 ? <f32> 63 / m : 0;
    for (let p = 0; p < k; p++) {
      const q = <i32> nearest(load<f32>(src + (<usize> p << 2)) * inv);
      store<u8>(out + p, <u8> (min(63, max(-63, q)) + 64));
    }
    for (let p = k; p < kp; p++) store<u8>(out + p, 64);
    store<f32>(scales + (<usize> r << 2), s);
  }
}

// Quantizes row a (k floats) into dst as signed bytes, padding zeros; returns the scale
// max|a| / 127 and writes Σ q to sumOut. A row holding NaN or ±∞ returns NaN.
@inline function quantizeRow(a: usize, k: i32, dst: usize, sumOut: usize): f32 {
  let mv = f32x4.splat(0);
  let p = 0;
  for (; p + 4 <= k; p += 4) mv = f32x4.max(mv, f32x4.abs(v128.load(a + (<usize> p << 2))));
  let m = max(
    max(f32x4.extract_lane(mv, 0), f32x4.extract_lane(mv, 1)),
    max(f32x4.extract_lane(mv, 2), f32x4.extract_lane(mv, 3)),
  );
  for (; p < k; p++) m = max(m, abs(load<f32>(a + (<usize> p << 2))));
  if (!isFinite(m)) return NaN;
  const inv = f32x4.splat(m > 0 ? <f32> 127 / m : 0);
  let sum = i32x4.splat(0);
  p = 0;
  for (; p + 16 <= k; p += 16) {
    const s = a + (<usize> p << 2);
    const q0 = i32x4.trunc_sat_f32x4_s(f32x4.nearest(f32x4.mul(v128.load(s), inv)));
    const q1 = i32x4.trunc_sat_f32x4_s(f32x4.nearest(f32x4.mul(v128.load(s, 16), inv)));
    const q2 = i32x4.trunc_sat_f32x4_s(f32x4.nearest(f32x4.mul(v128.load(s, 32), inv)));
    const q3 = i32x4.trunc_sat_f32x4_s(f32x4.nearest(f32x4.mul(v128.load(s, 48), inv)));
    sum = i32x4.add(sum, i32x4.add(i32x4.add(q0, q1), i32x4.add(q2, q3)));
    v128.store(
      dst + p,
      i8x16.narrow_i16x8_s(i16x8.narrow_i32x4_s(q0, q1), i16x8.narrow_i32x4_s(q2, q3)),
    );
  }
  let total = i32x4.extract_lane(sum, 0) + i32x4.extract_lane(sum, 1) +
    i32x4.extract_lane(sum, 2) + i32x4.extract_lane(sum, 3);
  const invS = f32x4.extract_lane(inv, 0);
  for (; p < k; p++) {
    const q = <i32> nearest(load<f32>(a + (<usize> p << 2)) * invS);
    store<i8>(dst + p, <i8> q);
    total += q;
  }
  for (; p < padded(k); p++) store<i8>(dst + p, 0);
  store<i32>(sumOut, total);
  return m / 127;
}

// Values j.. j+cols-1 of a float array as four lanes, the first repeated past cols.
@inline function lanes4(p: usize, j: i32, cols: i32): v128 {
  const at = p + (<usize> j << 2);
  if (cols == 4) return v128.load(at);
  const v0 = load<f32>(at);
  let v = f32x4.splat(v0);
  if (cols > 1) v = f32x4.replace_lane(v, 1, load<f32>(at, 4));
  if (cols > 2) v = f32x4.replace_lane(v, 2, load<f32>(at, 8));
  return v;
}

// 16 products of x (signed bytes) and w (bytes in 0..127), summed into acc's lanes.
@inline function dotAdd(x: v128, w: v128, acc: v128): v128 {
  if (ASC_FEATURE_RELAXED_SIMD) return i32x4.relaxed_dot_i8x16_i7x16_add_s(x, w, acc);
  const lo = i32x4.dot_i16x8_s(i16x8.extend_low_i8x16_s(x), i16x8.extend_low_i8x16_u(w));
  const hi = i32x4.dot_i16x8_s(i16x8.extend_high_i8x16_s(x), i16x8.extend_high_i8x16_u(w));
  return i32x4.add(acc, i32x4.add(lo, hi));
}

// Rows of A are quantized into the workspace in groups of up to this many.
const ROWS_PER_GROUP: i32 = 64;

export function matmulInt8(
  a: usize, lda: i32, w: usize, wScales: usize, bias: usize, c: usize, ldc: i32,
  m: i32, n: i32, k: i32, accumulate: i32,
): void {
  const kp = padded(k);
  const stride = <usize> kp;
  const group = <i32> min(<usize> ROWS_PER_GROUP, (workspaceBytes - 16) / (8 + stride));
  const sums = workspacePtr;
  const scales = sums + (<usize> group << 2);
  const tmp = scales + (<usize> group << 2);
  const rowsQ = tmp + 16;
  const bias64 = i32x4.splat(64);
  for (let i0 = 0; i0 < m; i0 += group) {
    const mg = min(group, m - i0);
    for (let i = 0; i < mg; i++) {
      const s = quantizeRow(
        a + (<usize> (i0 + i) * <usize> lda << 2), k, rowsQ + <usize> i * stride,
        sums + (<usize> i << 2),
      );
      store<f32>(scales + (<usize> i << 2), s);
    }
    for (let j = 0; j < n; j += 4) {
      const cols = min(4, n - j);
      const w0 = w + <usize> j * stride;
      const w1 = cols > 1 ? w0 + stride : w0;
      const w2 = cols > 2 ? w0 + 2 * stride : w0;
      const w3 = cols > 3 ? w0 + 3 * stride : w0;
      // The four weight rows' scales and biases (a partial group repeats its first).
      const ws = lanes4(wScales, j, cols);
      const bv = bias ? lanes4(bias, j, cols) : f32x4.splat(0);
      for (let i = 0; i < mg; i++) {
        const x = rowsQ + <usize> i * stride;
        let s0 = i32x4.splat(0), s1 = i32x4.splat(0), s2 = i32x4.splat(0), s3 = i32x4.splat(0);
        for (let p = 0; p < kp; p += 16) {
          const xv = v128.load(x + p);
          s0 = dotAdd(xv, v128.load(w0 + p), s0);
          s1 = dotAdd(xv, v128.load(w1 + p), s1);
          s2 = dotAdd(xv, v128.load(w2 + p), s2);
          s3 = dotAdd(xv, v128.load(w3 + p), s3);
        }
        // Lane q of d: the total of s_q (exact integers, any order).
        const u0 = i32x4.shuffle(s0, s1, 0, 4, 1, 5), u1 = i32x4.shuffle(s2, s3, 0, 4, 1, 5);
        const u2 = i32x4.shuffle(s0, s1, 2, 6, 3, 7), u3 = i32x4.shuffle(s2, s3, 2, 6, 3, 7);
        let d = i32x4.add(
          i32x4.add(i32x4.shuffle(u0, u1, 0, 1, 4, 5), i32x4.shuffle(u0, u1, 2, 3, 6, 7)),
          i32x4.add(i32x4.shuffle(u2, u3, 0, 1, 4, 5), i32x4.shuffle(u2, u3, 2, 3, 6, 7)),
        );
        d = i32x4.sub(d, i32x4.mul(bias64, i32x4.splat(load<i32>(sums + (<usize> i << 2)))));
        const sa = load<f32>(scales + (<usize> i << 2));
        let r = f32x4.mul(f32x4.convert_i32x4_s(d), f32x4.mul(f32x4.splat(sa), ws));
        const dst = c + (<usize> (i0 + i) * <usize> ldc + <usize> j << 2);
        if (cols == 4) {
          if (accumulate) r = f32x4.add(r, v128.load(dst));
          if (bias) r = f32x4.add(r, bv);
          v128.store(dst, r);
        } else {
          // Through the workspace's scratch lanes: the same float operations as above.
          if (accumulate) {
            for (let q = 0; q < cols; q++) store<f32>(tmp + (<usize> q << 2), load<f32>(dst + (<usize> q << 2)));
            r = f32x4.add(r, v128.load(tmp));
          }
          if (bias) r = f32x4.add(r, bv);
          v128.store(tmp, r);
          for (let q = 0; q < cols; q++) store<f32>(dst + (<usize> q << 2), load<f32>(tmp + (<usize> q << 2)));
        }
      }
    }
  }
}

// Workspace matmulInt8 needs for at least one row of k values.
export function int8WorkspaceBytes(k: i32): i32 {
  return 16 + 8 + padded(k);
}
