// matmul: C[M,N] = alpha * op(A)[M,K] * op(B)[K,N] (+ bias[N]) (+ C if accumulate)
// op(X) is X or its transpose; all matrices row-major with leading dimensions.
//
// Goto/BLIS structure: B is packed into KC x NR micro-panels, A into MR x KC strips, and a
// register-blocked micro-kernel walks them. Deno's V8 checks every wasm memory access
// explicitly (no trap handler: a compare and a branch per load, and a `lea` for each distinct
// offset), so a micro-kernel wants few loads and few broadcasts per multiply-add:
// - the plain matmul's is 3x12 (gemmKernel3x12): per k step three B vectors, one vector
//   holding three A values and three shuffles broadcasting them, nine multiply-adds;
//   9 accumulators + 5 = 14 of the 15 registers V8 allocates; two k steps a pass. Against
//   the 4x8 one used before (three loads, four shuffles for eight multiply-adds, one step a
//   pass) it measured 1.06x on the training shapes (AMD EPYC Zen 4), 85% of the multiply-add
//   peak against 73-78%. Its loop is 64 instructions per 18 multiply-adds (read with gdb,
//   docs/kernels.md); with the bounds checks turned off it is 38 and no faster, so the
//   instruction count is not what holds it there.
// - attention's small products keep the 4x8 kernel (kernel4x8) and its packing, whose
//   layout the fused attention kernels read directly.
// Tried and slower: 4x12 (17 names: spills), 6x8 with broadcast loads, 5x8 unrolled by two,
// unrolling without the exit test between the halves (V8 then hoists the second half's
// loads and runs out of registers: 0.6x), 3x12 with broadcast loads (0.89x), 3x12 reading
// an unpacked A from its rows (16 live vectors: 0.77x), 2x16 (0.95x); four k steps a pass
// measured the same as two. The summation order of every output is the same in
// all of them (over k, in order, from zero, in KC blocks): the same bits.
import { workspacePtr } from "./workspace";
import { hsum, madd } from "./simd_math";

// Attention's micro-kernel (kernel4x8) and packing.
const MR: i32 = 4;
const NR: i32 = 8;
// Below this many rows of A, matmulFewRows (no packing) runs instead. (Up to 7 rows it
// would also be faster than packing, by up to 40%, but training with short sequences
// goes through here too, and changing a path changes the bits: the shipped model would
// no longer be what its recipe trains.)
const FEW_ROWS: i32 = 4;
const KC: i32 = 256;
const MC: i32 = 120; // 120 x 256 floats of A = 120 KiB, sits in L2 (a multiple of MR)
const NC: i32 = 1032; // 256 x 1032 floats of B (86 micro-panels) = 1 MiB, in L2


// The plain matmul's micro-kernel is 3x12 (gemmKernel3x12): A strips of three rows, each k
// step a 4-float slot (the fourth lane unused), B panels of twelve columns.
const GR: i32 = 3;
const GR_SLOT: i32 = 4;
const GN: i32 = 12;
const GEMM_A_FLOATS: i32 = MC / GR * GR_SLOT * KC;

// Bytes of workspace matmul needs: packed A block, packed B panel, one edge tile, for the
// plain matmul's layout and for attention's (4x8 strips and panels), whichever is larger.
export const MATMUL_WORKSPACE_BYTES: usize = <usize> max(
  GEMM_A_FLOATS + KC * NC + GR * GN,
  MC * KC + KC * NC + MR * NR,
) << 2;

@inline function at(p: usize, i: i32): usize {
  return p + (<usize> i << 2);
}

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
function packA(
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
function packB(
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
@inline function storeRow(
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
export function kernel4x8(
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

// Few rows (decoding one token per sentence): no packing, which would cost as much as
// the product itself. With B stored transposed (the weights of a Linear layer), four
// dot products at a time over contiguous rows of B; otherwise sixteen columns of C at a
// time, accumulated in registers.
function matmulFewRows(
  a: usize, b: usize, c: usize, bias: usize,
  m: i32, n: i32, k: i32, lda: i32, ldb: i32, ldc: i32,
  transB: i32, alpha: f32, accumulate: i32,
): void {
  for (let i = 0; i < m; i++) {
    const ar = at(a, i * lda);
    const cr = at(c, i * ldc);
    if (transB) {
      for (let j = 0; j < n; j += 4) {
        const cols = min(4, n - j);
        const b0 = at(b, j * ldb);
        const b1 = cols > 1 ? at(b, (j + 1) * ldb) : b0;
        const b2 = cols > 2 ? at(b, (j + 2) * ldb) : b0;
        const b3 = cols > 3 ? at(b, (j + 3) * ldb) : b0;
        let s0 = f32x4.splat(0), s1 = f32x4.splat(0), s2 = f32x4.splat(0), s3 = f32x4.splat(0);
        let p = 0;
        for (; p + 4 <= k; p += 4) {
          const x = v128.load(at(ar, p));
          s0 = madd(x, v128.load(at(b0, p)), s0);
          s1 = madd(x, v128.load(at(b1, p)), s1);
          s2 = madd(x, v128.load(at(b2, p)), s2);
          s3 = madd(x, v128.load(at(b3, p)), s3);
        }
        if (cols == 4) {
          // The four sums at once: transpose s0..s3 so lane q holds column q's partial
          // sums, then (l0 + l1) + (l2 + l3) per lane: hsum's order, hsum's bits.
          const u0 = i32x4.shuffle(s0, s1, 0, 4, 1, 5), u1 = i32x4.shuffle(s2, s3, 0, 4, 1, 5);
          const u2 = i32x4.shuffle(s0, s1, 2, 6, 3, 7), u3 = i32x4.shuffle(s2, s3, 2, 6, 3, 7);
          const l0 = i32x4.shuffle(u0, u1, 0, 1, 4, 5), l1 = i32x4.shuffle(u0, u1, 2, 3, 6, 7);
          const l2 = i32x4.shuffle(u2, u3, 0, 1, 4, 5), l3 = i32x4.shuffle(u2, u3, 2, 3, 6, 7);
          let d = f32x4.add(f32x4.add(l0, l1), f32x4.add(l2, l3));
          for (; p < k; p++) {
            let bv = f32x4.splat(load<f32>(at(b0, p)));
            bv = f32x4.replace_lane(bv, 1, load<f32>(at(b1, p)));
            bv = f32x4.replace_lane(bv, 2, load<f32>(at(b2, p)));
            bv = f32x4.replace_lane(bv, 3, load<f32>(at(b3, p)));
            d = f32x4.add(d, f32x4.mul(f32x4.splat(load<f32>(at(ar, p))), bv));
          }
          d = f32x4.mul(f32x4.splat(alpha), d);
          const dst = at(cr, j);
          if (accumulate) d = f32x4.add(d, v128.load(dst));
          if (bias) d = f32x4.add(d, v128.load(at(bias, j)));
          v128.store(dst, d);
          continue;
        }
        let d0 = hsum(s0), d1 = hsum(s1), d2 = hsum(s2), d3 = hsum(s3);
        for (; p < k; p++) {
          const x = load<f32>(at(ar, p));
          d0 += x * load<f32>(at(b0, p));
          d1 += x * load<f32>(at(b1, p));
          d2 += x * load<f32>(at(b2, p));
          d3 += x * load<f32>(at(b3, p));
        }
        for (let q = 0; q < cols; q++) {
          let v = alpha * (q == 0 ? d0 : q == 1 ? d1 : q == 2 ? d2 : d3);
          const dst = at(cr, j + q);
          if (accumulate) v += load<f32>(dst);
          if (bias) v += load<f32>(at(bias, j + q));
          store<f32>(dst, v);
        }
      }
    } else {
      const valpha = f32x4.splat(alpha);
      let j = 0;
      for (; j + 16 <= n; j += 16) {
        let c0 = f32x4.splat(0), c1 = f32x4.splat(0), c2 = f32x4.splat(0), c3 = f32x4.splat(0);
        let bp = at(b, j);
        const step = <usize> ldb << 2;
        for (let p = 0; p < k; p++) {
          const x = v128.load32_splat(at(ar, p));
          c0 = madd(x, v128.load(bp), c0);
          c1 = madd(x, v128.load(bp, 16), c1);
          c2 = madd(x, v128.load(bp, 32), c2);
          c3 = madd(x, v128.load(bp, 48), c3);
          bp += step;
        }
        const dst = at(cr, j);
        let r0 = f32x4.mul(c0, valpha), r1 = f32x4.mul(c1, valpha);
        let r2 = f32x4.mul(c2, valpha), r3 = f32x4.mul(c3, valpha);
        if (accumulate) {
          r0 = f32x4.add(r0, v128.load(dst));
          r1 = f32x4.add(r1, v128.load(dst, 16));
          r2 = f32x4.add(r2, v128.load(dst, 32));
          r3 = f32x4.add(r3, v128.load(dst, 48));
        }
        if (bias) {
          const bb = at(bias, j);
          r0 = f32x4.add(r0, v128.load(bb));
          r1 = f32x4.add(r1, v128.load(bb, 16));
          r2 = f32x4.add(r2, v128.load(bb, 32));
          r3 = f32x4.add(r3, v128.load(bb, 48));
        }
        v128.store(dst, r0);
        v128.store(dst, r1, 16);
        v128.store(dst, r2, 32);
        v128.store(dst, r3, 48);
      }
      for (; j < n; j++) {
        let d: f32 = 0;
        for (let p = 0; p < k; p++) d += load<f32>(at(ar, p)) * load<f32>(at(b, p * ldb + j));
        let v = alpha * d;
        const dst = at(cr, j);
        if (accumulate) v += load<f32>(dst);
        if (bias) v += load<f32>(at(bias, j));
        store<f32>(dst, v);
      }
    }
  }
}

// Packs rows [i0, i0+mc) x cols [p0, p0+kc) of op(A) into GR-row strips for
// gemmKernel3x12: each k step one 4-float slot holding the three rows' values (the fourth
// lane is never read by an output), zero padded past the last row.
function packA3(
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
function packB12(
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
function gemmKernel3x12(
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
// spend a third of its last panel on padding. Same steps as gemmKernel3x12 per output.
function gemmKernel3x8(
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

function gemmKernel3x4(
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
@inline function gemmTile(
  kc: i32, ap: usize, bp: usize, cij: usize, ldc: i32, alpha: f32, add: bool, biasJ: usize,
  mr: i32, nr: i32, tile: usize,
): void {
  const width = nr > 8 ? 12 : nr > 4 ? 8 : 4;
  if (mr == GR && nr == width) {
    if (width == 12) gemmKernel3x12(kc, ap, bp, cij, ldc, alpha, add, biasJ);
    else if (width == 8) gemmKernel3x8(kc, ap, bp, cij, ldc, alpha, add, biasJ);
    else gemmKernel3x4(kc, ap, bp, cij, ldc, alpha, add, biasJ);
    return;
  }
  if (width == 12) gemmKernel3x12(kc, ap, bp, tile, GN, alpha, false, 0);
  else if (width == 8) gemmKernel3x8(kc, ap, bp, tile, GN, alpha, false, 0);
  else gemmKernel3x4(kc, ap, bp, tile, GN, alpha, false, 0);
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

export function matmul(
  a: usize,
  b: usize,
  c: usize,
  bias: usize,
  m: i32,
  n: i32,
  k: i32,
  lda: i32,
  ldb: i32,
  ldc: i32,
  transA: i32,
  transB: i32,
  alpha: f32,
  accumulate: i32,
): void {
  if (m < FEW_ROWS && !transA) {
    matmulFewRows(a, b, c, bias, m, n, k, lda, ldb, ldc, transB, alpha, accumulate);
    return;
  }
  const packedA = workspacePtr;
  const packedB = packedA + (<usize> GEMM_A_FLOATS << 2);
  const tile = packedB + (<usize> (KC * NC) << 2);
  for (let jc = 0; jc < n; jc += NC) {
    const nc = min(NC, n - jc);
    for (let pc = 0; pc < k; pc += KC) {
      const kc = min(KC, k - pc);
      const add = accumulate != 0 || pc > 0;
      const withBias = pc == 0 ? bias : 0;
      packB12(b, ldb, transB, pc, kc, jc, nc, packedB);
      for (let ic = 0; ic < m; ic += MC) {
        const mc = min(MC, m - ic);
        packA3(a, lda, transA, ic, mc, pc, kc, packedA);
        for (let jr = 0; jr < nc; jr += GN) {
          const nr = min(GN, nc - jr);
          const bp = packedB + (<usize> (jr * kc) << 2);
          const biasJ = withBias ? at(withBias, jc + jr) : 0;
          for (let ir = 0; ir < mc; ir += GR) {
            const mr = min(GR, mc - ir);
            const ap = packedA + (<usize> (ir / GR * GR_SLOT * kc) << 2);
            const cij = at(c, (ic + ir) * ldc + jc + jr);
            gemmTile(kc, ap, bp, cij, ldc, alpha, add, biasJ, mr, nr, tile);
          }
        }
      }
    }
  }
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
        kernel4x8(kc, a, b, cij, ldc, 1, false, 0);
      } else {
        kernel4x8(kc, a, b, tile, NR, 1, false, 0);
        for (let r = 0; r < mr; r++) memory.copy(at(cij, r * ldc), at(tile, r * NR), <usize> nr << 2);
      }
    }
  }
}

// Packing entry points for attention (same layouts as matmul's).
export function packRowsA(a: usize, lda: i32, rows: i32, kc: i32, dst: usize): void {
  packA(a, lda, 0, 0, rows, 0, kc, dst);
}

// op(A) = Aᵀ: `cols` columns of a stored A (row stride lda) as MR-row strips of kc steps.
export function packColumnsA(a: usize, lda: i32, cols: i32, kc: i32, dst: usize): void {
  packA(a, lda, 1, 0, cols, 0, kc, dst);
}

export function packPanelsB(b: usize, ldb: i32, transB: i32, kc: i32, n: i32, dst: usize): void {
  packB(b, ldb, transB, 0, kc, 0, n, dst);
}

export const PACK_A_OFFSET: usize = 0;
export const PACK_B_OFFSET: usize = <usize> (MC * KC) << 2;
export const PACK_B_FLOATS: i32 = KC * NC;
export const PACK_A_ROWS: i32 = MC;
export const PACK_K_MAX: i32 = KC;
export const PACK_MR: i32 = MR;
export const PACK_NR: i32 = NR;
