// Scaled dot-product attention by blocks of query rows over the packed matmul kernels,
// forward and backward: the path for decoding steps (one query row) and for sequences
// longer than one packed block. The fused path (attention_fused8.ts) gives the same bits.
// Causal rows are processed in blocks and never touch keys past the block's limit.
import {
  gemmPacked, f32_gemm_4x8__wasmsimd, PACK_B_FLOATS, PACK_B_OFFSET, PACK_K_MAX, PACK_MR, PACK_NR,
  packColumnsA,
  packPanelsB, packRowsA, transpose4Rows,
} from "./f32_gemm_4x8";
import { matmul } from "./matmul";
import { workspacePtr } from "./workspace";
import { softmaxBackwardRow, softmaxRowWith } from "./softmax";
import { at, EXP_TABLE, expV, madd } from "./simd_math";
import { keyLenOf, visibleKeys, zeroUnseen } from "./attention_masks";

// Query rows per block of the blocked path: one micro-kernel strip, so causal blocks
// skip the most keys.
const ROW_BLOCK: i32 = PACK_MR;

// The blocked path: 4-row blocks through matmul's packed kernels, the softmax row by
// row. It runs what the fused path does not take (decoding steps, long sequences); tests
// check the fused path against it bit for bit.
export function attentionForwardBlocked(
  q: usize,
  k: usize,
  v: usize,
  out: usize,
  probs: usize,
  batch: i32,
  heads: i32,
  seqQ: i32,
  seqK: i32,
  dHead: i32,
  ldq: i32,
  ldk: i32,
  ldv: i32,
  ldo: i32,
  causal: i32,
  keyLens: usize,
  scale: f32,
): void {
  const offset = seqK - seqQ;
  // exp's constants, loaded once for every row of every (batch, head).
  const minX = v128.load32_splat(EXP_TABLE), log2e = v128.load32_splat(EXP_TABLE, 4);
  const magic = v128.load32_splat(EXP_TABLE, 8), negLn2Hi = v128.load32_splat(EXP_TABLE, 12);
  const negLn2Lo = v128.load32_splat(EXP_TABLE, 16), c1 = v128.load32_splat(EXP_TABLE, 20);
  const c2 = v128.load32_splat(EXP_TABLE, 24), c3 = v128.load32_splat(EXP_TABLE, 28);
  const c4 = v128.load32_splat(EXP_TABLE, 32), c5 = v128.load32_splat(EXP_TABLE, 36);
  for (let b = 0; b < batch; b++) {
    const keyLen = keyLenOf(keyLens, b, seqK);
    for (let h = 0; h < heads; h++) {
      const qb = at(q, b * seqQ * ldq + h * dHead);
      const kb = at(k, b * seqK * ldk + h * dHead);
      const vb = at(v, b * seqK * ldv + h * dHead);
      const ob = at(out, b * seqQ * ldo + h * dHead);
      const pb = at(probs, (b * heads + h) * seqQ * seqK);
      // Pack K (as Kᵀ panels) and V once for all row blocks when they fit the workspace.
      const kPanels = (keyLen + PACK_NR - 1) / PACK_NR * PACK_NR;
      const vPanels = (dHead + PACK_NR - 1) / PACK_NR * PACK_NR;
      const packed = seqQ >= 4 && dHead <= PACK_K_MAX && keyLen <= PACK_K_MAX &&
        kPanels * dHead + vPanels * keyLen <= PACK_B_FLOATS && keyLen > 0;
      const pa = workspacePtr;
      const pk = workspacePtr + PACK_B_OFFSET;
      const pv = pk + (<usize> (kPanels * dHead) << 2);
      if (packed) {
        packPanelsB(kb, ldk, 1, dHead, keyLen, pk);
        packPanelsB(vb, ldv, 0, keyLen, dHead, pv);
      }
      for (let i0 = 0; i0 < seqQ; i0 += ROW_BLOCK) {
        const rows = min(ROW_BLOCK, seqQ - i0);
        const nk = visibleKeys(i0 + rows - 1, keyLen, causal, offset);
        const pRow = at(pb, i0 * seqK);
        if (nk > 0) {
          if (packed) {
            packRowsA(at(qb, i0 * ldq), ldq, rows, dHead, pa);
            gemmPacked(pa, pk, dHead, dHead, rows, nk, pRow, seqK);
          } else {
            matmul(at(qb, i0 * ldq), kb, pRow, 0, rows, nk, dHead, ldq, ldk, seqK, 0, 1, 1, 0);
          }
        }
        for (let r = 0; r < rows; r++) {
          const pr = at(pRow, r * seqK);
          softmaxRowWith(
            pr, pr, visibleKeys(i0 + r, keyLen, causal, offset), seqK, scale,
            minX, log2e, magic, negLn2Hi, negLn2Lo, c1, c2, c3, c4, c5,
          );
        }
        const oRow = at(ob, i0 * ldo);
        if (nk > 0) {
          if (packed) {
            packRowsA(pRow, seqK, rows, nk, pa);
            gemmPacked(pa, pv, keyLen, nk, rows, dHead, oRow, ldo);
          } else {
            matmul(pRow, vb, oRow, 0, rows, dHead, nk, seqK, ldv, ldo, 0, 0, 1, 0);
          }
        } else {
          for (let r = 0; r < rows; r++) memory.fill(at(oRow, r * ldo), 0, <usize> dHead << 2);
        }
      }
    }
  }
}

// dQ, dK, dV (overwritten, same strides as Q, K, V) from dO and the saved P.
// scratch holds seqQ·seqK floats for dP/dS of one (batch, head).
//   dP = dO Vᵀ;  dS = P ⊙ (dP − rowsum(P ⊙ dP));  dQ = scale·dS K;  dK = scale·dSᵀ Q;
//   dV = Pᵀ dO.  Masked entries have P = 0, so they get no gradient.
export function attentionBackwardBlocked(
  q: usize,
  k: usize,
  v: usize,
  probs: usize,
  dout: usize,
  dq: usize,
  dk: usize,
  dv: usize,
  scratch: usize,
  batch: i32,
  heads: i32,
  seqQ: i32,
  seqK: i32,
  dHead: i32,
  ldq: i32,
  ldk: i32,
  ldv: i32,
  ldo: i32,
  causal: i32,
  keyLens: usize,
  scale: f32,
): void {
  const offset = seqK - seqQ;
  for (let b = 0; b < batch; b++) {
    const keyLen = keyLenOf(keyLens, b, seqK);
    // Keys any query of this batch row can see; beyond them P is zero.
    const nk = visibleKeys(seqQ - 1, keyLen, causal, offset);
    for (let h = 0; h < heads; h++) {
      const qb = at(q, b * seqQ * ldq + h * dHead);
      const kb = at(k, b * seqK * ldk + h * dHead);
      const vb = at(v, b * seqK * ldv + h * dHead);
      const dqb = at(dq, b * seqQ * ldq + h * dHead);
      const dkb = at(dk, b * seqK * ldk + h * dHead);
      const dvb = at(dv, b * seqK * ldv + h * dHead);
      const dob = at(dout, b * seqQ * ldo + h * dHead);
      const pb = at(probs, (b * heads + h) * seqQ * seqK);
      if (zeroUnseen(dqb, dkb, dvb, nk, seqQ, seqK, dHead, ldq, ldk, ldv)) continue;
      // dP[seqQ, nk] in scratch (row stride seqK), then dS in place.
      matmul(dob, vb, scratch, 0, seqQ, nk, dHead, ldo, ldv, seqK, 0, 1, 1, 0);
      for (let i = 0; i < seqQ; i++) {
        const n = visibleKeys(i, keyLen, causal, offset);
        const row = at(scratch, i * seqK);
        softmaxBackwardRow(at(pb, i * seqK), row, row, n, 1);
        if (n < nk) memory.fill(at(row, n), 0, <usize> (nk - n) << 2);
      }
      matmul(scratch, kb, dqb, 0, seqQ, dHead, nk, seqK, ldk, ldq, 0, 0, scale, 0);
      matmul(scratch, qb, dkb, 0, nk, dHead, seqQ, seqK, ldq, ldk, 1, 0, scale, 0);
      matmul(pb, dob, dvb, 0, nk, dHead, seqQ, seqK, ldo, ldv, 1, 0, 1, 0);
    }
  }
}
