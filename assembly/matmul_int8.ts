// 8-bit matmul for inference: C[M,N] = A[M,K] · Wᵀ (+ bias) (+ C), W an nn.Linear weight
// ([N, K], a row per output) stored in 8 bits.
//
// The weights come prepared by prepareInt8Weights: per row, round(w / s) in -127..127
// with s = max|w| / 127 (for an 8-bit checkpoint, exactly its stored values), rows padded
// with zeros to a multiple of 16 bytes. Each row of A is quantized on the fly the same
// way, into 16-bit lanes, and i32x4.dot_i16x8_s multiplies and pairs them. Integer sums
// are exact, so the result does not depend on their order: the same bits in every build
// and at any thread count. (The relaxed i8×i7 dot product would do 16 products in one
// instruction but needs one operand in 7 bits; 7-bit weights cost 0.2 BLEU with beam 4
// on the test split, and whole sentences decoded no faster here.)
import { workspaceBytes, workspacePtr } from "./workspace";

// Values per quantized row: k, padded to whole vectors.
@inline function padded(k: i32): i32 {
  return (k + 15) & ~15;
}

// Quantizes rows of W (f32, k values each, row stride ldw) into dst: round(w / s) with
// s = max|w| / 127 per row (into scales; 0 for a zero row), zero padding.
export function prepareInt8Weights(
  w: usize, ldw: i32, rows: i32, k: i32, dst: usize, scales: usize,
): void {
  const kp = padded(k);
  for (let r = 0; r < rows; r++) {
    const src = w + (<usize> r * <usize> ldw << 2);
    const out = dst + <usize> r * <usize> kp;
    let m: f32 = 0;
    for (let p = 0; p < k; p++) m = max(m, abs(load<f32>(src + (<usize> p << 2))));
    const s: f32 = m / 127;
    const inv: f32 = m > 0 ? <f32> 127 / m : 0;
    for (let p = 0; p < k; p++) {
      const q = <i32> nearest(load<f32>(src + (<usize> p << 2)) * inv);
      store<i8>(out + p, <i8> min(127, max(-127, q)));
    }
    for (let p = k; p < kp; p++) store<i8>(out + p, 0);
    store<f32>(scales + (<usize> r << 2), s);
  }
}

// Quantizes row a (k floats) into dst as 16-bit round(a / s), s = max|a| / 127, zero
// padding; returns s. A row holding NaN or ±∞ returns NaN.
@inline function quantizeRow(a: usize, k: i32, dst: usize): f32 {
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
  p = 0;
  for (; p + 16 <= k; p += 16) {
    const s = a + (<usize> p << 2);
    const q0 = i32x4.trunc_sat_f32x4_s(f32x4.nearest(f32x4.mul(v128.load(s), inv)));
    const q1 = i32x4.trunc_sat_f32x4_s(f32x4.nearest(f32x4.mul(v128.load(s, 16), inv)));
    const q2 = i32x4.trunc_sat_f32x4_s(f32x4.nearest(f32x4.mul(v128.load(s, 32), inv)));
    const q3 = i32x4.trunc_sat_f32x4_s(f32x4.nearest(f32x4.mul(v128.load(s, 48), inv)));
    v128.store(dst + (<usize> p << 1), i16x8.narrow_i32x4_s(q0, q1));
    v128.store(dst + (<usize> p << 1), i16x8.narrow_i32x4_s(q2, q3), 16);
  }
  const invS = f32x4.extract_lane(inv, 0);
  for (; p < k; p++) {
    const q = <i32> nearest(load<f32>(a + (<usize> p << 2)) * invS);
    store<i16>(dst + (<usize> p << 1), <i16> q);
  }
  for (; p < padded(k); p++) store<i16>(dst + (<usize> p << 1), 0);
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

// 16 products of x (two vectors of 8 i16) and w (16 signed bytes), summed into acc's lanes.
@inline function dotAdd(xl: v128, xh: v128, w: v128, acc: v128): v128 {
  const lo = i32x4.dot_i16x8_s(xl, i16x8.extend_low_i8x16_s(w));
  const hi = i32x4.dot_i16x8_s(xh, i16x8.extend_high_i8x16_s(w));
  return i32x4.add(acc, i32x4.add(lo, hi));
}

// Lane q of the result: the total of s_q's four lanes (exact integers, any order).
@inline function hsum4(s0: v128, s1: v128, s2: v128, s3: v128): v128 {
  const u0 = i32x4.shuffle(s0, s1, 0, 4, 1, 5), u1 = i32x4.shuffle(s2, s3, 0, 4, 1, 5);
  const u2 = i32x4.shuffle(s0, s1, 2, 6, 3, 7), u3 = i32x4.shuffle(s2, s3, 2, 6, 3, 7);
  return i32x4.add(
    i32x4.add(i32x4.shuffle(u0, u1, 0, 1, 4, 5), i32x4.shuffle(u0, u1, 2, 3, 6, 7)),
    i32x4.add(i32x4.shuffle(u2, u3, 0, 1, 4, 5), i32x4.shuffle(u2, u3, 2, 3, 6, 7)),
  );
}

// Scales row i's four integer totals d into C (+ C) (+ bias): the same float operations
// for whole and partial groups of columns, so a column's bits do not depend on its group.
@inline function store4(
  d: v128, sa: f32, ws: v128, bv: v128, bias: usize, dst: usize, cols: i32, accumulate: i32,
  tmp: usize,
): void {
  let r = f32x4.mul(f32x4.convert_i32x4_s(d), f32x4.mul(f32x4.splat(sa), ws));
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

// Widens four weight rows (kp bytes each) into 16-bit lanes, interleaved by eight values:
// values p..p+7 of rows 0..3 are 64 bytes in a row, so the tiles read one stream.
@inline function widenPanel(w0: usize, w1: usize, w2: usize, w3: usize, kp: i32, dst: usize): void {
  for (let p = 0; p < kp; p += 16) {
    const o = dst + (<usize> p << 3);
    const v0 = v128.load(w0 + p), v1 = v128.load(w1 + p);
    const v2 = v128.load(w2 + p), v3 = v128.load(w3 + p);
    v128.store(o, i16x8.extend_low_i8x16_s(v0));
    v128.store(o, i16x8.extend_low_i8x16_s(v1), 16);
    v128.store(o, i16x8.extend_low_i8x16_s(v2), 32);
    v128.store(o, i16x8.extend_low_i8x16_s(v3), 48);
    v128.store(o, i16x8.extend_high_i8x16_s(v0), 64);
    v128.store(o, i16x8.extend_high_i8x16_s(v1), 80);
    v128.store(o, i16x8.extend_high_i8x16_s(v2), 96);
    v128.store(o, i16x8.extend_high_i8x16_s(v3), 112);
  }
}

// Rows of A are quantized into the workspace in groups of up to this many; each group
// widens a panel of four weight rows once and runs it against all of its rows.
const ROWS_PER_GROUP: i32 = 64;

// Kernel names say the register tile (rows × columns), the ISA and what the weights are
// read as: _i8 extends each weight vector as it goes (one row: nothing to reuse), _i16
// runs against a panel widened once per group (a batch: the widening is shared).
export function matmulInt8(
  a: usize, lda: i32, w: usize, wScales: usize, bias: usize, c: usize, ldc: i32,
  m: i32, n: i32, k: i32, accumulate: i32,
): void {
  const kp = padded(k);
  const stride = <usize> kp;
  const panelBytes = 8 * stride; // four rows of kp 16-bit values
  const group = <i32> min(
    <usize> ROWS_PER_GROUP, (workspaceBytes - 16 - panelBytes) / (4 + 2 * stride),
  );
  const scales = workspacePtr;
  const tmp = scales + (<usize> group << 2);
  const panel = tmp + 16;
  const rowsQ = panel + panelBytes;
  for (let i0 = 0; i0 < m; i0 += group) {
    const mg = min(group, m - i0);
    for (let i = 0; i < mg; i++) {
      const s = quantizeRow(
        a + (<usize> (i0 + i) * <usize> lda << 2), k, rowsQ + 2 * <usize> i * stride,
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
      const out = c + (<usize> i0 * <usize> ldc + <usize> j << 2);
      const ldcBytes = <usize> ldc << 2;
      if (mg == 1) {
        qs8_gemm_1x4__wasmsimd_i8(rowsQ, w0, w1, w2, w3, kp, load<f32>(scales), ws, bv, bias, out, cols, accumulate, tmp);
        continue;
      }
      widenPanel(w0, w1, w2, w3, kp, panel);
      let i = 0;
      for (; i + 2 <= mg; i += 2) {
        qs8_gemm_2x4__wasmsimd_i16(
          rowsQ + 2 * <usize> i * stride, 2 * stride, panel, kp, scales + (<usize> i << 2), ws, bv, bias,
          out + <usize> i * ldcBytes, ldcBytes, cols, accumulate, tmp,
        );
      }
      if (i < mg) {
        qs8_gemm_1x4__wasmsimd_i16(
          rowsQ + 2 * <usize> i * stride, panel, kp, load<f32>(scales + (<usize> i << 2)), ws, bv,
          bias, out + <usize> i * ldcBytes, cols, accumulate, tmp,
        );
      }
    }
  }
}

// Fields of one product in a list for matmulInt8List: matmulInt8's arguments, as i32.
const LIST_FIELDS: i32 = 11;

// Products first..first+count-1 of the list at `table` (LIST_FIELDS i32 each, in
// matmulInt8's order), one after the other: many small products (a batch's sentences,
// each against its own shortlist) in one call, which threads can share by ranges.
export function matmulInt8List(table: usize, first: i32, count: i32): void {
  for (let i = first; i < first + count; i++) {
    const r = table + (<usize> (i * LIST_FIELDS) << 2);
    matmulInt8(
      load<u32>(r), load<i32>(r, 4), load<u32>(r, 8), load<u32>(r, 12), load<u32>(r, 16),
      load<u32>(r, 20), load<i32>(r, 24), load<i32>(r, 28), load<i32>(r, 32), load<i32>(r, 36),
      load<i32>(r, 40),
    );
  }
}

// One quantized row x against four 8-bit weight rows, widened on the fly.
@inline function qs8_gemm_1x4__wasmsimd_i8(
  x: usize, w0: usize, w1: usize, w2: usize, w3: usize, kp: i32, sa: f32, ws: v128, bv: v128,
  bias: usize, dst: usize, cols: i32, accumulate: i32, tmp: usize,
): void {
  let s0 = i32x4.splat(0), s1 = i32x4.splat(0), s2 = i32x4.splat(0), s3 = i32x4.splat(0);
  for (let p = 0; p < kp; p += 16) {
    const xl = v128.load(x + (<usize> p << 1)), xh = v128.load(x + (<usize> p << 1), 16);
    s0 = dotAdd(xl, xh, v128.load(w0 + p), s0);
    s1 = dotAdd(xl, xh, v128.load(w1 + p), s1);
    s2 = dotAdd(xl, xh, v128.load(w2 + p), s2);
    s3 = dotAdd(xl, xh, v128.load(w3 + p), s3);
  }
  store4(hsum4(s0, s1, s2, s3), sa, ws, bv, bias, dst, cols, accumulate, tmp);
}

// One quantized row x against a widened panel of four weight rows.
@inline function qs8_gemm_1x4__wasmsimd_i16(
  x: usize, panel: usize, kp: i32, sa: f32, ws: v128, bv: v128,
  bias: usize, dst: usize, cols: i32, accumulate: i32, tmp: usize,
): void {
  let s0 = i32x4.splat(0), s1 = i32x4.splat(0), s2 = i32x4.splat(0), s3 = i32x4.splat(0);
  const end = x + (<usize> kp << 1);
  let w = panel;
  for (let xp = x; xp < end; xp += 16, w += 64) {
    const xv = v128.load(xp);
    s0 = i32x4.add(s0, i32x4.dot_i16x8_s(xv, v128.load(w)));
    s1 = i32x4.add(s1, i32x4.dot_i16x8_s(xv, v128.load(w, 16)));
    s2 = i32x4.add(s2, i32x4.dot_i16x8_s(xv, v128.load(w, 32)));
    s3 = i32x4.add(s3, i32x4.dot_i16x8_s(xv, v128.load(w, 48)));
  }
  store4(hsum4(s0, s1, s2, s3), sa, ws, bv, bias, dst, cols, accumulate, tmp);
}

// Two quantized rows (xStride bytes apart) against a widened panel: each weight vector
// loaded once for both rows, eight accumulators.
@inline function qs8_gemm_2x4__wasmsimd_i16(
  x: usize, xStride: usize, panel: usize, kp: i32, sa: usize, ws: v128, bv: v128,
  bias: usize, dst: usize, ldc: usize, cols: i32, accumulate: i32, tmp: usize,
): void {
  let a0 = i32x4.splat(0), a1 = i32x4.splat(0), a2 = i32x4.splat(0), a3 = i32x4.splat(0);
  let b0 = i32x4.splat(0), b1 = i32x4.splat(0), b2 = i32x4.splat(0), b3 = i32x4.splat(0);
  const end = x + (<usize> kp << 1);
  let w = panel;
  for (let xp = x; xp < end; xp += 16, w += 64) {
    const xv = v128.load(xp), yv = v128.load(xp + xStride);
    const v0 = v128.load(w);
    a0 = i32x4.add(a0, i32x4.dot_i16x8_s(xv, v0));
    b0 = i32x4.add(b0, i32x4.dot_i16x8_s(yv, v0));
    const v1 = v128.load(w, 16);
    a1 = i32x4.add(a1, i32x4.dot_i16x8_s(xv, v1));
    b1 = i32x4.add(b1, i32x4.dot_i16x8_s(yv, v1));
    const v2 = v128.load(w, 32);
    a2 = i32x4.add(a2, i32x4.dot_i16x8_s(xv, v2));
    b2 = i32x4.add(b2, i32x4.dot_i16x8_s(yv, v2));
    const v3 = v128.load(w, 48);
    a3 = i32x4.add(a3, i32x4.dot_i16x8_s(xv, v3));
    b3 = i32x4.add(b3, i32x4.dot_i16x8_s(yv, v3));
  }
  store4(hsum4(a0, a1, a2, a3), load<f32>(sa), ws, bv, bias, dst, cols, accumulate, tmp);
  store4(hsum4(b0, b1, b2, b3), load<f32>(sa, 4), ws, bv, bias, dst + ldc, cols, accumulate, tmp);
}

// Workspace matmulInt8 needs for at least one row of k values.
export function int8WorkspaceBytes(k: i32): i32 {
  return 16 + 8 * padded(k) + 4 + 2 * padded(k);
}
