// matmul: C[M,N] = alpha * op(A)[M,K] * op(B)[K,N] (+ bias[N]) (+ C if accumulate)
// op(X) is X or its transpose; all matrices row-major with leading dimensions.
//
// The product paths live in files named after their micro-kernels, `<type>_gemm_<MR>x<NR>
// __<isa>` as XNNPACK names them (wasmsimd: 128-bit SIMD, whose multiply-adds are fused in
// the relaxed-SIMD build): f32_gemm_3x12.ts (this dispatcher's), f32_gemm_4x8.ts
// (attention's), f32_gemm_few_rows.ts (1x4 and 1x16, no packing); gemm_blocking.ts holds the
// blocking they share.
//
// Goto/BLIS structure: B is packed into KC x NR micro-panels, A into MR x KC strips, and a
// register-blocked micro-kernel walks them. Deno's V8 checks every wasm memory access
// explicitly (no trap handler: a compare and a branch per load, and a `lea` for each distinct
// offset), so a micro-kernel wants few loads and few broadcasts per multiply-add:
// - the plain matmul's is 3x12 (f32_gemm_3x12__wasmsimd): per k step three B vectors, one vector
//   holding three A values and three shuffles broadcasting them, nine multiply-adds;
//   9 accumulators + 5 = 14 of the 15 registers V8 allocates; two k steps a pass. Against
//   the 4x8 one used before (three loads, four shuffles for eight multiply-adds, one step a
//   pass) it measured 1.06x on the training shapes (AMD EPYC Zen 4), 85% of the multiply-add
//   peak against 73-78%. Its loop is 64 instructions per 18 multiply-adds (read with gdb,
//   docs/kernels.md); with the bounds checks turned off it is 38 and no faster, so the
//   instruction count is not what holds it there.
// - attention's small products keep the 4x8 kernel (f32_gemm_4x8__wasmsimd, f32_gemm_4x8.ts) and its packing, whose
//   layout the fused attention kernels read directly.
// Tried and slower: 4x12 (17 names: spills), 6x8 with broadcast loads, 5x8 unrolled by two,
// unrolling without the exit test between the halves (V8 then hoists the second half's
// loads and runs out of registers: 0.6x), 3x12 with broadcast loads (0.89x), 3x12 reading
// an unpacked A from its rows (16 live vectors: 0.77x), 2x16 (0.95x); four k steps a pass
// measured the same as two. The summation order of every output is the same in
// all of them (over k, in order, from zero, in KC blocks): the same bits.
import { workspacePtr } from "./workspace";
import { KC, MC, NC } from "./gemm_blocking";
import { at } from "./simd_math";
import { f32_gemm_few_rows } from "./f32_gemm_few_rows";
import { gemmTile, GN, GR, GR_SLOT, packA3, packB12 } from "./f32_gemm_3x12";
import { PACK_MR, PACK_NR } from "./f32_gemm_4x8";

// Below this many rows of A, f32_gemm_few_rows (no packing) runs instead. (Up to 7 rows it
// would also be faster than packing, by up to 40%, but training with short sequences
// goes through here too, and changing a path changes the bits: the shipped model would
// no longer be what its recipe trains.)
const FEW_ROWS: i32 = 4;
const GEMM_A_FLOATS: i32 = MC / GR * GR_SLOT * KC;

// Bytes of workspace matmul needs: packed A block, packed B panel, one edge tile, for the
// plain matmul's layout and for attention's (4x8 strips and panels), whichever is larger.
export const MATMUL_WORKSPACE_BYTES: usize = <usize> max(
  GEMM_A_FLOATS + KC * NC + GR * GN,
  MC * KC + KC * NC + PACK_MR * PACK_NR,
) << 2;

// The register tile of matmul's micro-kernel, for the host's splitting of a product over
// threads (whole strips of rows, whole panels of columns per thread).
export const MATMUL_TILE_ROWS: i32 = GR;
export const MATMUL_TILE_COLS: i32 = GN;

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
    f32_gemm_few_rows(a, b, c, bias, m, n, k, lda, ldb, ldc, transB, alpha, accumulate);
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

