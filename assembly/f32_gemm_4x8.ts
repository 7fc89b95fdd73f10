// Attention's f32 product: the 4x8 micro-kernel (f32_gemm_4x8__wasmsimd) over A packed as
// 4-row strips and B as 8-column panels; packing K and V once per (batch, head) and reusing
// them for every row block is what the plain matmul cannot do. The fused attention kernels
// read these layouts directly.
import { workspacePtr } from "./workspace";
import { at, madd } from "./simd_math";
import { KC, MC, NC } from "./gemm_blocking";

const MR: i32 = 4;
const NR: i32 = 8;

// Transposes 4 source rows (row stride ld floats) over kc columns: for each column p,
// the 4 values go to dst + p·dstStride as one vector. 4x4 blocks by shuffles.
@inline export function transpose4Rows(src: usize, ld: i32, kc: i32, dst: usize, dstStride: usize): void {
  const rs = <usize> ld << 2;
  let p = 0;
  for (; p + 4 <= kc; p += 4) {
    const s = src + (<usize> p << 2);
    const r0 = v128.load(s), r1 = v128.load(s + rs);
    const r2 = v128.load(s + 2 * rs), r3 = v128.load(s + 3 * rs);
    const t0 = i32x4.shuffle(r0, r1, 0, 4, 1, 5);
    const t1 = i32x4.shuffle(r2, r3, 0, 4, 1, 5);
    const t2 = i32x4.shuffle(r0, r1, 2, 6, 3, 7);
    const t3 = i32x4.shuffle(r2, r3, 2, 6, 3, 7);
    const d = dst + <usize> p * dstStride;
    v128.store(d, i32x4.shuffle(t0, t1, 0, 1, 4, 5));
    v128.store(d + dstStride, i32x4.shuffle(t0, t1, 2, 3, 6, 7));
    v128.store(d + 2 * dstStride, i32x4.shuffle(t2, t3, 0, 1, 4, 5));
    v128.store(d + 3 * dstStride, i32x4.shuffle(t2, t3, 2, 3, 6, 7));
  }
  for (; p < kc; p++) {
    const s = src + (<usize> p << 2);
    const d = dst + <usize> p * dstStride;
    store<f32>(d, load<f32>(s));
    store<f32>(d, load<f32>(s + rs), 4);
    store<f32>(d, load<f32>(s + 2 * rs), 8);
    store<f32>(d, load<f32>(s + 3 * rs), 12);
  }
}

// Packs rows [i0, i0+mc) x cols [p0, p0+kc) of op(A) into MR-row strips (the MR values
// of one k together), zero padded.
function packA4x8(
  a: usize,
  lda: i32,
  transA: i32,
  i0: i32,
  mc: i32,
  p0: i32,
  kc: i32,
  dst: usize,
): void {
  const strideK = <usize> MR << 2;
  for (let ir = 0; ir < mc; ir += MR) {
    const mr = min(MR, mc - ir);
    if (mr == MR) {
      if (transA) {
        // Aᵀ stored: the MR values of one k are contiguous.
        let src = at(a, p0 * lda + i0 + ir);
        const step = <usize> lda << 2;
        for (let p = 0; p < kc; p++) {
          const d = dst + <usize> p * strideK;
          v128.store(d, v128.load(src));
          src += step;
        }
      } else {
        const r0 = at(a, (i0 + ir) * lda + p0);
        transpose4Rows(r0, lda, kc, dst, strideK);
      }
      dst += <usize> kc * strideK;
      continue;
    }
    for (let p = 0; p < kc; p++) {
      for (let r = 0; r < MR; r++) {
        let v: f32 = 0;
        if (r < mr) {
          const i = i0 + ir + r;
          const kk = p0 + p;
          v = transA ? load<f32>(at(a, kk * lda + i)) : load<f32>(at(a, i * lda + kk));
        }
        store<f32>(dst, v);
        dst += 4;
      }
    }
  }
}

// Packs rows [p0, p0+kc) x cols [j0, j0+nc) of op(B) into NR-column micro-panels.
function packB4x8(
  b: usize,
  ldb: i32,
  transB: i32,
  p0: i32,
  kc: i32,
  j0: i32,
  nc: i32,
  dst: usize,
): void {
  const panel = <usize> NR << 2;
  for (let jr = 0; jr < nc; jr += NR) {
    const nr = min(NR, nc - jr);
    if (transB) {
      // Bᵀ stored: transpose 4 rows of it at a time; a partial group goes scalar.
      let g = 0;
      for (; g + 4 <= nr; g += 4) {
        transpose4Rows(at(b, (j0 + jr + g) * ldb + p0), ldb, kc, dst + (<usize> g << 2), panel);
      }
      for (let p = 0; p < kc; p++) {
        const d = dst + <usize> p * panel;
        for (let c = g; c < NR; c++) {
          store<f32>(at(d, c), c < nr ? load<f32>(at(b, (j0 + jr + c) * ldb + p0 + p)) : 0);
        }
      }
    } else {
      // Rows of B are contiguous: vector copies, then the tail of a partial panel.
      let src = at(b, p0 * ldb + j0 + jr);
      const step = <usize> ldb << 2;
      for (let p = 0; p < kc; p++) {
        const d = dst + <usize> p * panel;
        let c = 0;
        for (; c + 4 <= nr; c += 4) v128.store(at(d, c), v128.load(at(src, c)));
        for (; c < NR; c++) store<f32>(at(d, c), c < nr ? load<f32>(at(src, c)) : 0);
        src += step;
      }
    }
    dst += <usize> kc * panel;
  }
}

// Stores one accumulator row of NR = 8: c = alpha*acc (+ c) (+ bias).
@inline export function storeRow(
  c: usize,
  x0: v128,
  x1: v128,
  valpha: v128,
  add: bool,
  bias: usize,
): void {
  let r0 = f32x4.mul(x0, valpha);
  let r1 = f32x4.mul(x1, valpha);
  if (add) {
    r0 = f32x4.add(r0, v128.load(c));
    r1 = f32x4.add(r1, v128.load(c, 16));
  }
  if (bias) {
    r0 = f32x4.add(r0, v128.load(bias));
    r1 = f32x4.add(r1, v128.load(bias, 16));
  }
  v128.store(c, r0);
  v128.store(c, r1, 16);
}

// 4x8 micro-kernel over kc packed steps, for attention (see the top of the file): per
// step two B vectors and one vector of four A values broadcast by shuffles, eight
// multiply-adds. Writes a full tile to c (row stride ldc floats); the caller stages
// partial tiles.
export function f32_gemm_4x8__wasmsimd(
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
  let c30 = f32x4.splat(0), c31 = f32x4.splat(0);
  for (let p = 0; p < kc; p++) {
    const b0 = v128.load(bp, 0), b1 = v128.load(bp, 16);
    const av = v128.load(ap, 0);
    let a = i32x4.shuffle(av, av, 0, 0, 0, 0);
    c00 = madd(a, b0, c00);
    c01 = madd(a, b1, c01);
    a = i32x4.shuffle(av, av, 1, 1, 1, 1);
    c10 = madd(a, b0, c10);
    c11 = madd(a, b1, c11);
    a = i32x4.shuffle(av, av, 2, 2, 2, 2);
    c20 = madd(a, b0, c20);
    c21 = madd(a, b1, c21);
    a = i32x4.shuffle(av, av, 3, 3, 3, 3);
    c30 = madd(a, b0, c30);
    c31 = madd(a, b1, c31);
    ap += MR << 2;
    bp += NR << 2;
  }
  const valpha = f32x4.splat(alpha);
  const stride = <usize> ldc << 2;
  storeRow(c, c00, c01, valpha, add, bias);
  c += stride;
  storeRow(c, c10, c11, valpha, add, bias);
  c += stride;
  storeRow(c, c20, c21, valpha, add, bias);
  c += stride;
  storeRow(c, c30, c31, valpha, add, bias);

}

// For attention: C[rows, n] = A·B with A packed as MR-row strips of kc steps and B as
// NR-column panels holding `panelK` steps each, of which the first kc are used. Packing
// K and V once per (batch, head) and reusing them for every row block is what the
// plain matmul cannot do.
export function gemmPacked(
  ap: usize, bp: usize, panelK: i32, kc: i32, rows: i32, n: i32, c: usize, ldc: i32,
): void {
  const tile = workspacePtr + (<usize> (MC * KC + KC * NC) << 2);
  for (let jr = 0; jr < n; jr += NR) {
    const nr = min(NR, n - jr);
    const b = bp + (<usize> (jr * panelK) << 2);
    for (let ir = 0; ir < rows; ir += MR) {
      const mr = min(MR, rows - ir);
      const a = ap + (<usize> (ir * kc) << 2);
      const cij = at(c, ir * ldc + jr);
      if (mr == MR && nr == NR) {
        f32_gemm_4x8__wasmsimd(kc, a, b, cij, ldc, 1, false, 0);
      } else {
        f32_gemm_4x8__wasmsimd(kc, a, b, tile, NR, 1, false, 0);
        for (let r = 0; r < mr; r++) memory.copy(at(cij, r * ldc), at(tile, r * NR), <usize> nr << 2);
      }
    }
  }
}

// Packing entry points for attention (same layouts as matmul's).
export function packRowsA(a: usize, lda: i32, rows: i32, kc: i32, dst: usize): void {
  packA4x8(a, lda, 0, 0, rows, 0, kc, dst);
}

// op(A) = Aᵀ: `cols` columns of a stored A (row stride lda) as MR-row strips of kc steps.
export function packColumnsA(a: usize, lda: i32, cols: i32, kc: i32, dst: usize): void {
  packA4x8(a, lda, 1, 0, cols, 0, kc, dst);
}

export function packPanelsB(b: usize, ldb: i32, transB: i32, kc: i32, n: i32, dst: usize): void {
  packB4x8(b, ldb, transB, 0, kc, 0, n, dst);
}

export const PACK_A_OFFSET: usize = 0;
export const PACK_B_OFFSET: usize = <usize> (MC * KC) << 2;
export const PACK_B_FLOATS: i32 = KC * NC;
export const PACK_A_ROWS: i32 = MC;
export const PACK_K_MAX: i32 = KC;
export const PACK_MR: i32 = MR;
export const PACK_NR: i32 = NR;
