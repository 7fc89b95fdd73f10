// 8-bit matmul for inference: C[M,N] = A[M,K] · Wᵀ (+ bias) (+ C), W an nn.Linear weight
// ([N, K], a row per output) stored in 8 bits.
//
// The weights come prepared by prepareInt8Weights: per row, round(w / s) in -127..127
// with s = max|w| / 127 (for an 8-bit checkpoint, exactly its stored values), rows padded
// with zeros to a multiple of 16 bytes, and the row's integer sum. Each row of A is
// quantized on the fly to 7-bit unsigned codes u = round(a / s) + z in 0..127: s spans
// [min(a, 0), max(a, 0)] in 127 steps and z is the code of 0 (0 for a row without
// negatives, which then gets exactly the 127 steps of max|a| it had in 8 bits). Then
// Σ a·w = s · (Σ u·w − z · Σ w). Codes under 128 are what the relaxed i8×i7 dot product
// takes: 16 products in one instruction (one VNNI instruction where the CPU has it, a
// pair that cannot saturate with these ranges where it has not). The SIMD128 build forms
// the same integer sums with 16-bit dot products. Integer sums are exact, so the result
// does not depend on their order: the same bits in both builds and at any thread count.
import { workspaceBytes, workspacePtr } from "./workspace";

// Whether rows of A are stored as bytes for the relaxed dot product (the relaxed build)
// or as 16-bit lanes for i32x4.dot_i16x8_s (the SIMD128 build).
const RELAXED_DOT: bool = ASC_FEATURE_RELAXED_SIMD;

// Values per quantized row: k, padded to whole vectors.
@inline function padded(k: i32): i32 {
  return (k + 15) & ~15;
}

// Bytes per stored value of a quantized row of A.
const A_BYTES: i32 = RELAXED_DOT ? 1 : 2;

// Quantizes rows of W (f32, k values each, row stride ldw) into dst: round(w / s) with
// s = max|w| / 127 per row (into scales; 0 for a zero row), zero padding, and each row's
// sum of its 8-bit values (into sums, i32).
export function prepareInt8Weights(
  w: usize, ldw: i32, rows: i32, k: i32, dst: usize, scales: usize, sums: usize,
): void {
  const kp = padded(k);
  for (let r = 0; r < rows; r++) {
    const src = w + (<usize> r * <usize> ldw << 2);
    const out = dst + <usize> r * <usize> kp;
    let m: f32 = 0;
    for (let p = 0; p < k; p++) m = max(m, abs(load<f32>(src + (<usize> p << 2))));
    const s: f32 = m / 127;
    const inv: f32 = m > 0 ? <f32> 127 / m : 0;
    let sum = 0;
    for (let p = 0; p < k; p++) {
      const q = min(127, max(-127, <i32> nearest(load<f32>(src + (<usize> p << 2)) * inv)));
      store<i8>(out + p, <i8> q);
      sum += q;
    }
    for (let p = k; p < kp; p++) store<i8>(out + p, 0);
    store<f32>(scales + (<usize> r << 2), s);
    store<i32>(sums + (<usize> r << 2), sum);
  }
}

// 1.5 · 2^23: a float in [-2^22, 2^22] added to it rounds to an integer, to even as
// nearest() does, and that integer is the sum's low bits less ROUND_BITS.
const ROUND_MAGIC: f32 = 12582912.0;
const ROUND_BITS: i32 = 0x4b400000;

// Four lanes of round(v · inv) + z (within -129..256 for a finite row; clamped to codes
// after narrowing, once per 8 or 16 lanes). The rounding is the magic number's add, not
// nearest() and trunc_sat (about ten instructions on x64 without AVX-512 for what is here
// two): |v · inv| ≤ 128.
@inline function round4(v: v128, inv: v128, off: v128): v128 {
  return i32x4.sub(f32x4.add(f32x4.mul(v, inv), f32x4.splat(ROUND_MAGIC)), off);
}

// The smallest and largest of four lanes.
@inline function lanesMin(v: v128): f32 {
  return min(
    min(f32x4.extract_lane(v, 0), f32x4.extract_lane(v, 1)),
    min(f32x4.extract_lane(v, 2), f32x4.extract_lane(v, 3)),
  );
}
@inline function lanesMax(v: v128): f32 {
  return max(
    max(f32x4.extract_lane(v, 0), f32x4.extract_lane(v, 1)),
    max(f32x4.extract_lane(v, 2), f32x4.extract_lane(v, 3)),
  );
}

// Quantizes row a (k floats) into dst as codes (see the top of the file), zero padding;
// stores the zero code at zp and returns the scale. A row holding NaN or ±∞ returns NaN.
// The range is found with pmin/pmax (one instruction each; f32x4.min and max are a
// sequence that keeps NaN) in four chains, so no chain waits on another's latency; NaN is
// found instead by the exponent field, all ones only for NaN and ±∞.
@inline function quantizeRow(a: usize, k: i32, dst: usize, zp: usize): f32 {
  const zero = f32x4.splat(0), expMask = i32x4.splat(0x7f800000);
  let lo0 = zero, lo1 = zero, lo2 = zero, lo3 = zero;
  let hi0 = zero, hi1 = zero, hi2 = zero, hi3 = zero;
  let ex = i32x4.splat(0);
  let p = 0;
  for (; p + 16 <= k; p += 16) {
    const s = a + (<usize> p << 2);
    const v0 = v128.load(s), v1 = v128.load(s, 16), v2 = v128.load(s, 32), v3 = v128.load(s, 48);
    lo0 = f32x4.pmin(lo0, v0);
    lo1 = f32x4.pmin(lo1, v1);
    lo2 = f32x4.pmin(lo2, v2);
    lo3 = f32x4.pmin(lo3, v3);
    hi0 = f32x4.pmax(hi0, v0);
    hi1 = f32x4.pmax(hi1, v1);
    hi2 = f32x4.pmax(hi2, v2);
    hi3 = f32x4.pmax(hi3, v3);
    ex = i32x4.max_u(ex, i32x4.max_u(
      i32x4.max_u(v128.and(v0, expMask), v128.and(v1, expMask)),
      i32x4.max_u(v128.and(v2, expMask), v128.and(v3, expMask)),
    ));
  }
  for (; p + 4 <= k; p += 4) {
    const v = v128.load(a + (<usize> p << 2));
    lo0 = f32x4.pmin(lo0, v);
    hi0 = f32x4.pmax(hi0, v);
    ex = i32x4.max_u(ex, v128.and(v, expMask));
  }
  const lov = f32x4.pmin(f32x4.pmin(lo0, lo1), f32x4.pmin(lo2, lo3));
  const hiv = f32x4.pmax(f32x4.pmax(hi0, hi1), f32x4.pmax(hi2, hi3));
  let lo = lanesMin(lov), hi = lanesMax(hiv);
  for (; p < k; p++) {
    const x = load<f32>(a + (<usize> p << 2));
    lo = min(lo, x);
    hi = max(hi, x);
  }
  const range = hi - lo;
  if (!isFinite(range) || v128.any_true(i32x4.eq(ex, expMask))) {
    store<i32>(zp, 0);
    return NaN;
  }
  // A range under 127 / f32's largest (about 4e-37) would make invS infinite: such a row
  // is all codes of zero.
  let invS: f32 = range > 0 ? <f32> 127 / range : 0;
  if (!isFinite(invS)) invS = 0;
  const z = <i32> nearest(-lo * invS);
  store<i32>(zp, z);
  const inv = f32x4.splat(invS), off = i32x4.splat(ROUND_BITS - z);
  p = 0;
  for (; p + 16 <= k; p += 16) {
    const s = a + (<usize> p << 2);
    const q0 = round4(v128.load(s), inv, off), q1 = round4(v128.load(s, 16), inv, off);
    const q2 = round4(v128.load(s, 32), inv, off), q3 = round4(v128.load(s, 48), inv, off);
    const h0 = i16x8.narrow_i32x4_s(q0, q1), h1 = i16x8.narrow_i32x4_s(q2, q3);
    if (RELAXED_DOT) {
      // narrow_u takes negatives to 0.
      v128.store(dst + <usize> p, i8x16.min_u(i8x16.narrow_i16x8_u(h0, h1), i8x16.splat(127)));
    } else {
      const lo = i16x8.splat(0), top = i16x8.splat(127);
      v128.store(dst + (<usize> p << 1), i16x8.min_s(i16x8.max_s(h0, lo), top));
      v128.store(dst + (<usize> p << 1), i16x8.min_s(i16x8.max_s(h1, lo), top), 16);
    }
  }
  for (; p < padded(k); p++) {
    const q = p < k
      ? min(127, max(0, <i32> nearest(load<f32>(a + (<usize> p << 2)) * invS) + z))
      : 0;
    if (RELAXED_DOT) store<u8>(dst + <usize> p, <u8> q);
    else store<i16>(dst + (<usize> p << 1), <i16> q);
  }
  return range / 127;
}

// Values j.. j+cols-1 of an array of 32-bit values (f32 or i32, moved as bits) as four
// lanes, the first repeated past cols.
@inline function lanes4(p: usize, j: i32, cols: i32): v128 {
  const at = p + (<usize> j << 2);
  if (cols == 4) return v128.load(at);
  let v = i32x4.splat(load<i32>(at));
  if (cols > 1) v = i32x4.replace_lane(v, 1, load<i32>(at, 4));
  if (cols > 2) v = i32x4.replace_lane(v, 2, load<i32>(at, 8));
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

// The columns a row's results are stored in: four weight rows' scales, biases and sums,
// how many of the four are real, and the options; kept in the workspace (COLUMNS_BYTES).
@unmanaged class Columns {
  ws: v128 = f32x4.splat(0);
  bv: v128 = f32x4.splat(0);
  sums: v128 = i32x4.splat(0);
  bias: usize = 0;
  cols: i32 = 4;
  accumulate: i32 = 0;
}

// Scales row i's four integer totals u·w (codes of zero code z) into C (+ C) (+ bias):
// the same float operations for whole and partial groups of columns, so a column's bits
// do not depend on its group.
@inline function store4(uw: v128, z: i32, sa: f32, o: Columns, dst: usize): void {
  const d = i32x4.sub(uw, i32x4.mul(i32x4.splat(z), o.sums));
  const ws = o.ws, bv = o.bv, bias = o.bias, cols = o.cols, accumulate = o.accumulate;
  const tmp = changetype<usize>(o) + COLUMNS_BYTES - 16; // the record's scratch lanes
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
// runs every panel of four weight rows against all of its rows.
const ROWS_PER_GROUP: i32 = 64;

// Workspace bytes for the Columns record and the scratch lanes after it.
const COLUMNS_BYTES: usize = 128;

// Kernel names say the register tile (rows × columns), the ISA and what the weights are
// read as: _i8 extends each weight vector as it goes (one row: nothing to reuse), _i16
// runs against a panel widened once per group (a batch: the widening is shared), _dot
// reads them as they are stored, for the relaxed dot product.
export function matmulInt8(
  a: usize, lda: i32, w: usize, wScales: usize, wSums: usize, bias: usize, c: usize,
  ldc: i32, m: i32, n: i32, k: i32, accumulate: i32,
): void {
  const kp = padded(k);
  const stride = <usize> kp;
  const rowBytes = <usize> A_BYTES * stride;
  const panelBytes: usize = RELAXED_DOT ? 0 : 8 * stride; // four rows of kp 16-bit values
  const group = <i32> min(
    <usize> ROWS_PER_GROUP, (workspaceBytes - COLUMNS_BYTES - panelBytes) / (8 + rowBytes),
  );
  // The workspace is 16-byte aligned: the record, its scratch lanes, the panel, then
  // the rows' codes, scales and zero codes.
  const o = changetype<Columns>(workspacePtr);
  const panel = workspacePtr + COLUMNS_BYTES;
  const rowsQ = panel + panelBytes;
  const scales = rowsQ + <usize> group * rowBytes;
  const zeros = scales + (<usize> group << 2);
  o.bias = bias;
  o.accumulate = accumulate;
  const ldcBytes = <usize> ldc << 2;
  for (let i0 = 0; i0 < m; i0 += group) {
    const mg = min(group, m - i0);
    for (let i = 0; i < mg; i++) {
      const s = quantizeRow(
        a + (<usize> (i0 + i) * <usize> lda << 2), k, rowsQ + <usize> i * rowBytes,
        zeros + (<usize> i << 2),
      );
      store<f32>(scales + (<usize> i << 2), s);
    }
    for (let j = 0; j < n; j += 4) {
      const cols = min(4, n - j);
      const w0 = w + <usize> j * stride;
      const w1 = cols > 1 ? w0 + stride : w0;
      const w2 = cols > 2 ? w0 + 2 * stride : w0;
      const w3 = cols > 3 ? w0 + 3 * stride : w0;
      // The four weight rows' scales, biases and sums (a partial group repeats its first).
      o.cols = cols;
      o.ws = lanes4(wScales, j, cols);
      o.bv = bias ? lanes4(bias, j, cols) : f32x4.splat(0);
      o.sums = lanes4(wSums, j, cols);
      const out = c + (<usize> i0 * <usize> ldc + <usize> j << 2);
      if (RELAXED_DOT) {
        let i = 0;
        for (; i + 2 <= mg; i += 2) {
          qs8_gemm_2x4__wasmrelaxedsimd_dot(
            rowsQ + <usize> i * rowBytes, rowBytes, w0, w1, w2, w3, kp,
            scales + (<usize> i << 2), zeros + (<usize> i << 2), o, out + <usize> i * ldcBytes,
            ldcBytes,
          );
        }
        if (i < mg) {
          qs8_gemm_1x4__wasmrelaxedsimd_dot(
            rowsQ + <usize> i * rowBytes, w0, w1, w2, w3, kp, load<f32>(scales + (<usize> i << 2)),
            load<i32>(zeros + (<usize> i << 2)), o, out + <usize> i * ldcBytes,
          );
        }
        continue;
      }
      if (mg == 1) {
        qs8_gemm_1x4__wasmsimd_i8(rowsQ, w0, w1, w2, w3, kp, load<f32>(scales), load<i32>(zeros), o, out);
        continue;
      }
      widenPanel(w0, w1, w2, w3, kp, panel);
      let i = 0;
      for (; i + 2 <= mg; i += 2) {
        qs8_gemm_2x4__wasmsimd_i16(
          rowsQ + <usize> i * rowBytes, rowBytes, panel, kp, scales + (<usize> i << 2),
          zeros + (<usize> i << 2), o, out + <usize> i * ldcBytes, ldcBytes,
        );
      }
      if (i < mg) {
        qs8_gemm_1x4__wasmsimd_i16(
          rowsQ + <usize> i * rowBytes, panel, kp, load<f32>(scales + (<usize> i << 2)),
          load<i32>(zeros + (<usize> i << 2)), o, out + <usize> i * ldcBytes,
        );
      }
    }
  }
}

// Fields of one product in a list for matmulInt8List: matmulInt8's arguments, as i32.
const LIST_FIELDS: i32 = 12;

// Products first..first+count-1 of the list at `table` (LIST_FIELDS i32 each, in
// matmulInt8's order), one after the other: many small products (a batch's sentences,
// each against its own shortlist) in one call, which threads can share by ranges.
export function matmulInt8List(table: usize, first: i32, count: i32): void {
  for (let i = first; i < first + count; i++) {
    const r = table + (<usize> (i * LIST_FIELDS) << 2);
    matmulInt8(
      load<u32>(r), load<i32>(r, 4), load<u32>(r, 8), load<u32>(r, 12), load<u32>(r, 16),
      load<u32>(r, 20), load<u32>(r, 24), load<i32>(r, 28), load<i32>(r, 32), load<i32>(r, 36),
      load<i32>(r, 40), load<i32>(r, 44),
    );
  }
}

// The relaxed dot product of 16 weights (signed bytes) and 16 codes (0..127), added to acc.
@inline function dot16(w: v128, x: v128, acc: v128): v128 {
  return i32x4.relaxed_dot_i8x16_i7x16_add_s(w, x, acc);
}

// One row of codes x against four 8-bit weight rows, read as stored. Two accumulators
// per weight row: with four, a lone row waits on the dot product's latency.
@inline function qs8_gemm_1x4__wasmrelaxedsimd_dot(
  x: usize, w0: usize, w1: usize, w2: usize, w3: usize, kp: i32, sa: f32, z: i32, o: Columns,
  dst: usize,
): void {
  let s0 = i32x4.splat(0), s1 = i32x4.splat(0), s2 = i32x4.splat(0), s3 = i32x4.splat(0);
  let t0 = i32x4.splat(0), t1 = i32x4.splat(0), t2 = i32x4.splat(0), t3 = i32x4.splat(0);
  let p = 0;
  for (; p + 32 <= kp; p += 32) {
    const xv = v128.load(x + p), yv = v128.load(x + p, 16);
    s0 = dot16(v128.load(w0 + p), xv, s0);
    t0 = dot16(v128.load(w0 + p, 16), yv, t0);
    s1 = dot16(v128.load(w1 + p), xv, s1);
    t1 = dot16(v128.load(w1 + p, 16), yv, t1);
    s2 = dot16(v128.load(w2 + p), xv, s2);
    t2 = dot16(v128.load(w2 + p, 16), yv, t2);
    s3 = dot16(v128.load(w3 + p), xv, s3);
    t3 = dot16(v128.load(w3 + p, 16), yv, t3);
  }
  if (p < kp) {
    const xv = v128.load(x + p);
    s0 = dot16(v128.load(w0 + p), xv, s0);
    s1 = dot16(v128.load(w1 + p), xv, s1);
    s2 = dot16(v128.load(w2 + p), xv, s2);
    s3 = dot16(v128.load(w3 + p), xv, s3);
  }
  store4(
    hsum4(i32x4.add(s0, t0), i32x4.add(s1, t1), i32x4.add(s2, t2), i32x4.add(s3, t3)), z, sa, o,
    dst,
  );
}

// Two rows of codes (xStride bytes apart) against four weight rows: each weight vector
// loaded once for both rows, eight accumulators.
@inline function qs8_gemm_2x4__wasmrelaxedsimd_dot(
  x: usize, xStride: usize, w0: usize, w1: usize, w2: usize, w3: usize, kp: i32, sa: usize,
  zs: usize, o: Columns, dst: usize, ldc: usize,
): void {
  let a0 = i32x4.splat(0), a1 = i32x4.splat(0), a2 = i32x4.splat(0), a3 = i32x4.splat(0);
  let b0 = i32x4.splat(0), b1 = i32x4.splat(0), b2 = i32x4.splat(0), b3 = i32x4.splat(0);
  const y = x + xStride;
  let p = 0;
  // 32 bytes per iteration: the second half's addresses are the first's plus an offset
  // the load carries, so half the address arithmetic and loop control.
  for (; p + 32 <= kp; p += 32) {
    const x0 = v128.load(x + p), y0 = v128.load(y + p);
    const x1 = v128.load(x + p, 16), y1 = v128.load(y + p, 16);
    const v0 = v128.load(w0 + p), u0 = v128.load(w0 + p, 16);
    a0 = dot16(u0, x1, dot16(v0, x0, a0));
    b0 = dot16(u0, y1, dot16(v0, y0, b0));
    const v1 = v128.load(w1 + p), u1 = v128.load(w1 + p, 16);
    a1 = dot16(u1, x1, dot16(v1, x0, a1));
    b1 = dot16(u1, y1, dot16(v1, y0, b1));
    const v2 = v128.load(w2 + p), u2 = v128.load(w2 + p, 16);
    a2 = dot16(u2, x1, dot16(v2, x0, a2));
    b2 = dot16(u2, y1, dot16(v2, y0, b2));
    const v3 = v128.load(w3 + p), u3 = v128.load(w3 + p, 16);
    a3 = dot16(u3, x1, dot16(v3, x0, a3));
    b3 = dot16(u3, y1, dot16(v3, y0, b3));
  }
  if (p < kp) {
    const xv = v128.load(x + p), yv = v128.load(y + p);
    const v0 = v128.load(w0 + p);
    a0 = dot16(v0, xv, a0);
    b0 = dot16(v0, yv, b0);
    const v1 = v128.load(w1 + p);
    a1 = dot16(v1, xv, a1);
    b1 = dot16(v1, yv, b1);
    const v2 = v128.load(w2 + p);
    a2 = dot16(v2, xv, a2);
    b2 = dot16(v2, yv, b2);
    const v3 = v128.load(w3 + p);
    a3 = dot16(v3, xv, a3);
    b3 = dot16(v3, yv, b3);
  }
  store4(hsum4(a0, a1, a2, a3), load<i32>(zs), load<f32>(sa), o, dst);
  store4(hsum4(b0, b1, b2, b3), load<i32>(zs, 4), load<f32>(sa, 4), o, dst + ldc);
}

// One row of codes x (16-bit lanes) against four 8-bit weight rows, widened on the fly.
@inline function qs8_gemm_1x4__wasmsimd_i8(
  x: usize, w0: usize, w1: usize, w2: usize, w3: usize, kp: i32, sa: f32, z: i32, o: Columns,
  dst: usize,
): void {
  let s0 = i32x4.splat(0), s1 = i32x4.splat(0), s2 = i32x4.splat(0), s3 = i32x4.splat(0);
  for (let p = 0; p < kp; p += 16) {
    const xl = v128.load(x + (<usize> p << 1)), xh = v128.load(x + (<usize> p << 1), 16);
    s0 = dotAdd(xl, xh, v128.load(w0 + p), s0);
    s1 = dotAdd(xl, xh, v128.load(w1 + p), s1);
    s2 = dotAdd(xl, xh, v128.load(w2 + p), s2);
    s3 = dotAdd(xl, xh, v128.load(w3 + p), s3);
  }
  store4(hsum4(s0, s1, s2, s3), z, sa, o, dst);
}

// One row of codes x against a widened panel of four weight rows.
@inline function qs8_gemm_1x4__wasmsimd_i16(
  x: usize, panel: usize, kp: i32, sa: f32, z: i32, o: Columns, dst: usize,
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
  store4(hsum4(s0, s1, s2, s3), z, sa, o, dst);
}

// Two rows of codes (xStride bytes apart) against a widened panel: each weight vector
// loaded once for both rows, eight accumulators.
@inline function qs8_gemm_2x4__wasmsimd_i16(
  x: usize, xStride: usize, panel: usize, kp: i32, sa: usize, zs: usize, o: Columns,
  dst: usize, ldc: usize,
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
  store4(hsum4(a0, a1, a2, a3), load<i32>(zs), load<f32>(sa), o, dst);
  store4(hsum4(b0, b1, b2, b3), load<i32>(zs, 4), load<f32>(sa, 4), o, dst + ldc);
}

// Workspace matmulInt8 needs for at least one row of k values.
export function int8WorkspaceBytes(k: i32): i32 {
  return <i32> COLUMNS_BYTES + 8 * padded(k) + 8 + 2 * padded(k);
}
