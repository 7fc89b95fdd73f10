// The plain matmul's micro-kernel, 3x12 (f32_gemm_3x12__wasmsimd; 3x8 and 3x4 for the
// last panels), over A packed as 3-row strips of 4-float slots and B as 12-column panels.
import { KC } from "./gemm_blocking";
import { at, madd } from "./simd_math";
import { storeRow, transpose4Rows } from "./f32_gemm_4x8";

// A strips of three rows, each k step a 4-float slot (the fourth lane unused), B panels
// of twelve columns.
export const GR: i32 = 3;
export const GR_SLOT: i32 = 4;
export const GN: i32 = 12;

// Packs rows [i0, i0+mc) x cols [p0, p0+kc) of op(A) into GR-row strips for
// f32_gemm_3x12__wasmsimd: each k step one 4-float slot holding the three rows' values (the fourth
// lane is never read by an output), zero padded past the last row.
export function packA3(
  a: usize,
  lda: i32,
  transA: i32,
  i0: i32,
  mc: i32,
  p0: i32,
  kc: i32,
  dst: usize,
): void {
  const slot = <usize> GR_SLOT << 2;
  for (let ir = 0; ir < mc; ir += GR) {
    const mr = min(GR, mc - ir);
    const i = i0 + ir;
    if (mr == GR && transA) {
      // Aᵀ stored: the three values of one k are contiguous. A vector load reads a fourth
      // value, which must still be inside the row.
      let src = at(a, p0 * lda + i);
      const step = <usize> lda << 2;
      if (i + GR_SLOT <= lda) {
        for (let p = 0; p < kc; p++) {
          v128.store(dst + <usize> p * slot, v128.load(src));
          src += step;
        }
      } else {
        for (let p = 0; p < kc; p++) {
          const d = dst + <usize> p * slot;
          store<f32>(d, load<f32>(src));
          store<f32>(d, load<f32>(src, 4), 4);
          store<f32>(d, load<f32>(src, 8), 8);
          src += step;
        }
      }
    } else if (mr == GR) {
      // Rows of A are contiguous along k: transpose them four k at a time, the third row
      // standing in for the missing fourth.
      const r0 = at(a, i * lda + p0);
      transpose4Ptrs(r0, r0 + (<usize> lda << 2), r0 + (<usize> lda << 3), kc, dst, slot);
    } else {
      for (let p = 0; p < kc; p++) {
        for (let r = 0; r < GR_SLOT; r++) {
          let v: f32 = 0;
          if (r < mr) {
            const kk = p0 + p;
            v = transA ? load<f32>(at(a, kk * lda + i + r)) : load<f32>(at(a, (i + r) * lda + kk));
          }
          store<f32>(dst + <usize> p * slot + (<usize> r << 2), v);
        }
      }
    }
    dst += <usize> kc * slot;
  }
}

// transpose4Rows with rows r0, r1, r2 and r2 again as the fourth (see packA3).
@inline function transpose4Ptrs(r0: usize, r1: usize, r2: usize, kc: i32, dst: usize, dstStride: usize): void {
  let p = 0;
  for (; p + 4 <= kc; p += 4) {
    const o = <usize> p << 2;
    const x0 = v128.load(r0 + o), x1 = v128.load(r1 + o), x2 = v128.load(r2 + o);
    const t0 = i32x4.shuffle(x0, x1, 0, 4, 1, 5);
    const t1 = i32x4.shuffle(x2, x2, 0, 4, 1, 5);
    const t2 = i32x4.shuffle(x0, x1, 2, 6, 3, 7);
    const t3 = i32x4.shuffle(x2, x2, 2, 6, 3, 7);
    const d = dst + <usize> p * dstStride;
    v128.store(d, i32x4.shuffle(t0, t1, 0, 1, 4, 5));
    v128.store(d + dstStride, i32x4.shuffle(t0, t1, 2, 3, 6, 7));
    v128.store(d + 2 * dstStride, i32x4.shuffle(t2, t3, 0, 1, 4, 5));
    v128.store(d + 3 * dstStride, i32x4.shuffle(t2, t3, 2, 3, 6, 7));
  }
  for (; p < kc; p++) {
    const o = <usize> p << 2;
    const d = dst + <usize> p * dstStride;
    store<f32>(d, load<f32>(r0 + o));
    store<f32>(d, load<f32>(r1 + o), 4);
    store<f32>(d, load<f32>(r2 + o), 8);
    store<f32>(d, load<f32>(r2 + o), 12);
  }
}

// Packs rows [p0, p0+kc) x cols [j0, j0+nc) of op(B) into GN-column micro-panels.
export function packB12(
  b: usize,
  ldb: i32,
  transB: i32,
  p0: i32,
  kc: i32,
  j0: i32,
  nc: i32,
  dst: usize,
): void {
  const panel = <usize> GN << 2;
  for (let jr = 0; jr < nc; jr += GN) {
    const nr = min(GN, nc - jr);
    if (transB) {
      // Bᵀ stored: transpose 4 rows of it at a time; a partial group goes scalar.
      let g = 0;
      for (; g + 4 <= nr; g += 4) {
        transpose4Rows(at(b, (j0 + jr + g) * ldb + p0), ldb, kc, dst + (<usize> g << 2), panel);
      }
      if (g < GN) {
        for (let p = 0; p < kc; p++) {
          const d = dst + <usize> p * panel;
          for (let c = g; c < GN; c++) {
            store<f32>(at(d, c), c < nr ? load<f32>(at(b, (j0 + jr + c) * ldb + p0 + p)) : 0);
          }
        }
      }
    } else {
      let src = at(b, p0 * ldb + j0 + jr);
      const step = <usize> ldb << 2;
      if (nr == GN) {
        for (let p = 0; p < kc; p++) {
          const d = dst + <usize> p * panel;
          v128.store(d, v128.load(src));
          v128.store(d, v128.load(src, 16), 16);
          v128.store(d, v128.load(src, 32), 32);
          src += step;
        }
      } else {
        for (let p = 0; p < kc; p++) {
          const d = dst + <usize> p * panel;
          let c = 0;
          for (; c + 4 <= nr; c += 4) v128.store(at(d, c), v128.load(at(src, c)));
          for (; c < GN; c++) store<f32>(at(d, c), c < nr ? load<f32>(at(src, c)) : 0);
          src += step;
        }
      }
    }
    dst += <usize> kc * panel;
  }
}

// Stores one accumulator row of GN = 12: c = alpha*acc (+ c) (+ bias).
@inline function storeRow12(
  c: usize,
  x0: v128,
  x1: v128,
  x2: v128,
  valpha: v128,
  add: bool,
  bias: usize,
): void {
  let r0 = f32x4.mul(x0, valpha);
  let r1 = f32x4.mul(x1, valpha);
  let r2 = f32x4.mul(x2, valpha);
  if (add) {
    r0 = f32x4.add(r0, v128.load(c));
    r1 = f32x4.add(r1, v128.load(c, 16));
    r2 = f32x4.add(r2, v128.load(c, 32));
  }
  if (bias) {
    r0 = f32x4.add(r0, v128.load(bias));
    r1 = f32x4.add(r1, v128.load(bias, 16));
    r2 = f32x4.add(r2, v128.load(bias, 32));
  }
  v128.store(c, r0);
  v128.store(c, r1, 16);
  v128.store(c, r2, 32);
}

// The plain matmul's 3x12 micro-kernel over kc packed steps. Per step: three B vectors and
// one A slot, three shuffles, nine multiply-adds. Against 4x8 (three loads and four
// shuffles for eight), a step issues fewer instructions per multiply-add: each load of
// V8's wasm carries an explicit bounds check (compare and branch) and the loop one stack
// check, and the 4x8 loop was issue-bound, not multiply-add-bound. 9 accumulators + 5 =
// 14 registers of the 15 V8 allocates. Same summation order (over k, from zero).
function f32_gemm_3x12__wasmsimd(
  kc: i32,
  ap: usize,
  bp: usize,
  c: usize,
  ldc: i32,
  alpha: f32,
  add: bool,
  bias: usize,
): void {
  let c00 = f32x4.splat(0), c01 = f32x4.splat(0), c02 = f32x4.splat(0);
  let c10 = f32x4.splat(0), c11 = f32x4.splat(0), c12 = f32x4.splat(0);
  let c20 = f32x4.splat(0), c21 = f32x4.splat(0), c22 = f32x4.splat(0);
  const end = ap + (<usize> kc << 4);
  const last = end - (GR_SLOT << 2);
  // Two k steps per pass: the loop's own instructions (V8's stack check on the back edge,
  // the pointer updates) are paid once per two. The exit test between the halves keeps
  // V8 from hoisting the second half's loads above the first's multiply-adds, which ran
  // out of registers (spills: 0.6x).
  for (;;) {
    let b0 = v128.load(bp), b1 = v128.load(bp, 16), b2 = v128.load(bp, 32);
    let av = v128.load(ap);
    let a = i32x4.shuffle(av, av, 0, 0, 0, 0);
    c00 = madd(a, b0, c00);
    c01 = madd(a, b1, c01);
    c02 = madd(a, b2, c02);
    a = i32x4.shuffle(av, av, 1, 1, 1, 1);
    c10 = madd(a, b0, c10);
    c11 = madd(a, b1, c11);
    c12 = madd(a, b2, c12);
    a = i32x4.shuffle(av, av, 2, 2, 2, 2);
    c20 = madd(a, b0, c20);
    c21 = madd(a, b1, c21);
    c22 = madd(a, b2, c22);
    if (ap >= last) break;
    b0 = v128.load(bp, 48);
    b1 = v128.load(bp, 64);
    b2 = v128.load(bp, 80);
    av = v128.load(ap, 16);
    a = i32x4.shuffle(av, av, 0, 0, 0, 0);
    c00 = madd(a, b0, c00);
    c01 = madd(a, b1, c01);
    c02 = madd(a, b2, c02);
    a = i32x4.shuffle(av, av, 1, 1, 1, 1);
    c10 = madd(a, b0, c10);
    c11 = madd(a, b1, c11);
    c12 = madd(a, b2, c12);
    a = i32x4.shuffle(av, av, 2, 2, 2, 2);
    c20 = madd(a, b0, c20);
    c21 = madd(a, b1, c21);
    c22 = madd(a, b2, c22);
    ap += 2 * GR_SLOT << 2;
    bp += 2 * GN << 2;
    if (ap >= end) break;
  }
  const valpha = f32x4.splat(alpha);
  const stride = <usize> ldc << 2;
  storeRow12(c, c00, c01, c02, valpha, add, bias);
  c += stride;
  storeRow12(c, c10, c11, c12, valpha, add, bias);
  c += stride;
  storeRow12(c, c20, c21, c22, valpha, add, bias);
}

// The last panel of a product whose width is not a multiple of 12: 8 or 4 of its columns
// (the packed panel is 12 wide; the rest is zero padding), so a 128-wide product does not
// spend a third of its last panel on padding. Same steps as f32_gemm_3x12__wasmsimd per output.
function f32_gemm_3x8__wasmsimd(
  kc: i32,
  ap: usize,
  bp: usize,
  c: usize,
  ldc: i32,
  alpha: f32,
  add: bool,
  bias: usize,
): void {
  let c00 = f32x4.splat(0), c01 = f32x4.splat(0);
  let c10 = f32x4.splat(0), c11 = f32x4.splat(0);
  let c20 = f32x4.splat(0), c21 = f32x4.splat(0);
  const end = ap + (<usize> kc << 4);
  while (ap < end) {
    const b0 = v128.load(bp), b1 = v128.load(bp, 16);
    const av = v128.load(ap);
    let a = i32x4.shuffle(av, av, 0, 0, 0, 0);
    c00 = madd(a, b0, c00);
    c01 = madd(a, b1, c01);
    a = i32x4.shuffle(av, av, 1, 1, 1, 1);
    c10 = madd(a, b0, c10);
    c11 = madd(a, b1, c11);
    a = i32x4.shuffle(av, av, 2, 2, 2, 2);
    c20 = madd(a, b0, c20);
    c21 = madd(a, b1, c21);
    ap += GR_SLOT << 2;
    bp += GN << 2;
  }
  const valpha = f32x4.splat(alpha);
  const stride = <usize> ldc << 2;
  storeRow(c, c00, c01, valpha, add, bias);
  c += stride;
  storeRow(c, c10, c11, valpha, add, bias);
  c += stride;
  storeRow(c, c20, c21, valpha, add, bias);
}

function f32_gemm_3x4__wasmsimd(
  kc: i32,
  ap: usize,
  bp: usize,
  c: usize,
  ldc: i32,
  alpha: f32,
  add: bool,
  bias: usize,
): void {
  let c0 = f32x4.splat(0), c1 = f32x4.splat(0), c2 = f32x4.splat(0);
  const end = ap + (<usize> kc << 4);
  while (ap < end) {
    const b0 = v128.load(bp);
    const av = v128.load(ap);
    c0 = madd(i32x4.shuffle(av, av, 0, 0, 0, 0), b0, c0);
    c1 = madd(i32x4.shuffle(av, av, 1, 1, 1, 1), b0, c1);
    c2 = madd(i32x4.shuffle(av, av, 2, 2, 2, 2), b0, c2);
    ap += GR_SLOT << 2;
    bp += GN << 2;
  }
  const valpha = f32x4.splat(alpha);
  const stride = <usize> ldc << 2;
  for (let r = 0; r < GR; r++) {
    let v = f32x4.mul(r == 0 ? c0 : r == 1 ? c1 : c2, valpha);
    if (add) v = f32x4.add(v, v128.load(c));
    if (bias) v = f32x4.add(v, v128.load(bias));
    v128.store(c, v);
    c += stride;
  }
}

// One 3-row strip by one panel of nr ≤ 12 columns, through the narrowest kernel that
// covers them; written straight to C when the tile is whole, staged in `tile` otherwise.
@inline export function gemmTile(
  kc: i32, ap: usize, bp: usize, cij: usize, ldc: i32, alpha: f32, add: bool, biasJ: usize,
  mr: i32, nr: i32, tile: usize,
): void {
  const width = nr > 8 ? 12 : nr > 4 ? 8 : 4;
  if (mr == GR && nr == width) {
    if (width == 12) f32_gemm_3x12__wasmsimd(kc, ap, bp, cij, ldc, alpha, add, biasJ);
    else if (width == 8) f32_gemm_3x8__wasmsimd(kc, ap, bp, cij, ldc, alpha, add, biasJ);
    else f32_gemm_3x4__wasmsimd(kc, ap, bp, cij, ldc, alpha, add, biasJ);
    return;
  }
  if (width == 12) f32_gemm_3x12__wasmsimd(kc, ap, bp, tile, GN, alpha, false, 0);
  else if (width == 8) f32_gemm_3x8__wasmsimd(kc, ap, bp, tile, GN, alpha, false, 0);
  else f32_gemm_3x4__wasmsimd(kc, ap, bp, tile, GN, alpha, false, 0);
  for (let r = 0; r < mr; r++) {
    const src = at(tile, r * GN);
    const dst = at(cij, r * ldc);
    let q = 0;
    for (; q + 4 <= nr; q += 4) {
      let v = v128.load(at(src, q));
      if (add) v = f32x4.add(v, v128.load(at(dst, q)));
      if (biasJ) v = f32x4.add(v, v128.load(at(biasJ, q)));
      v128.store(at(dst, q), v);
    }
    for (; q < nr; q++) {
      let v = load<f32>(at(src, q));
      if (add) v += load<f32>(at(dst, q));
      if (biasJ) v += load<f32>(at(biasJ, q));
      store<f32>(at(dst, q), v);
    }
  }
}

