// Fused scaled dot-product attention, 8 query rows per lane block, forward and backward:
//   P = softmax(scale · Q Kᵀ + mask),  O = P V,  for every (batch, head)
// Q rows are (b·seqQ + i) with row stride ldq floats, head h at column h·dHead; K, V, O
// likewise. P is [batch, heads, seqQ, seqK]. The blocked path (attention_blocked.ts)
// computes the same bits for decoding steps and sequences longer than one packed block.
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
import { attentionBackwardBlocked, attentionForwardBlocked } from "./attention_blocked";

// Query rows per fused block: two vectors, one row per lane.
const LANES: i32 = 8;

// Fused attention works row-per-lane: a block of 8 queries is two vectors, so the scores
// of one key for the whole block are two vectors (Sᵀ), and the softmax over keys runs
// down the columns with no horizontal reductions or row tails. The scores, weights and
// output of a block stay in a few KiB of workspace; P is written once, for the backward.
// It computes exactly the blocked path's operations per value (each dot product in
// order from zero, the softmax's max, exp, partial sums and 1/sum in the same order),
// so it gives the same bits: a model trains the same weights whichever path runs.
// Sizes: dHead and seqK up to PACK_K_MAX (the blocked path's single packed block).
export function attentionForward(
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
  // The blocked path runs few-row queries (decoding steps) through other matmul
  // kernels; the fused one reproduces the packed ones.
  if (seqQ < 4 || dHead > PACK_K_MAX || seqK > PACK_K_MAX) {
    attentionForwardBlocked(
      q, k, v, out, probs, batch, heads, seqQ, seqK, dHead, ldq, ldk, ldv, ldo, causal, keyLens, scale,
    );
    return;
  }
  const offset = seqK - seqQ;
  const qT = workspacePtr; // dHead × 8: the block's queries, one per lane
  const sT = qT + (<usize> (dHead * LANES) << 2); // (seqK + 8) × 8: scores, then weights
  const sums = sT + (<usize> ((seqK + 8) * LANES) << 2); // 8 partial sums × 8 lanes
  const kPacked = workspacePtr + PACK_B_OFFSET; // K as 4-key strips (packRowsA)
  for (let b = 0; b < batch; b++) {
    const keyLen = keyLenOf(keyLens, b, seqK);
    for (let h = 0; h < heads; h++) {
      const qb = at(q, b * seqQ * ldq + h * dHead);
      const kb = at(k, b * seqK * ldk + h * dHead);
      const vb = at(v, b * seqK * ldv + h * dHead);
      const ob = at(out, b * seqQ * ldo + h * dHead);
      const pb = at(probs, (b * heads + h) * seqQ * seqK);
      if (keyLen > 0) packRowsA(kb, ldk, keyLen, dHead, kPacked);
      for (let i0 = 0; i0 < seqQ; i0 += LANES) {
        const rows = min(LANES, seqQ - i0);
        const nk = visibleKeys(i0 + rows - 1, keyLen, causal, offset);
        if (nk == 0) {
          for (let r = 0; r < rows; r++) {
            memory.fill(at(pb, (i0 + r) * seqK), 0, <usize> seqK << 2);
            memory.fill(at(ob, (i0 + r) * ldo), 0, <usize> dHead << 2);
          }
          continue;
        }
        packQueries(at(qb, i0 * ldq), ldq, rows, dHead, qT);
        // Keys each lane's row sees; causal rows see more further down, so the first
        // row sees the fewest: `seen` keys are visible to all.
        const n0 = laneKeys(0, i0, rows, keyLen, causal, offset);
        const n1 = laneKeys(4, i0, rows, keyLen, causal, offset);
        const seen = visibleKeys(i0, keyLen, causal, offset);
        blockScores(qT, kPacked, dHead, nk, sT, seen, sums);
        blockSoftmax(sT, sums, nk, i0, rows, keyLen, causal, offset, scale, n0, n1, seen);
        normalizeWeights(sT, sums, at(pb, i0 * seqK), seqK, rows, nk, n0, n1, seen);
        blockOutput(sT, vb, ldv, dHead, nk, at(ob, i0 * ldo), ldo, rows);
      }
    }
  }
}

// qT[d·8 + r] = Q[r, d] for r < rows, 0 for the lanes of missing rows.
@inline function packQueries(qb: usize, ldq: i32, rows: i32, dHead: i32, qT: usize): void {
  if (rows == LANES) {
    transpose4Rows(qb, ldq, dHead, qT, LANES << 2);
    transpose4Rows(at(qb, 4 * ldq), ldq, dHead, qT + 16, LANES << 2);
    return;
  }
  memory.fill(qT, 0, <usize> (dHead * LANES) << 2);
  for (let r = 0; r < rows; r++) {
    const src = at(qb, r * ldq);
    const dst = at(qT, r);
    for (let d = 0; d < dHead; d++) store<f32>(dst + (<usize> (d * LANES) << 2), load<f32>(at(src, d)));
  }
}

// sT[j·8 + r] = Σ_d K[j, d]·Q[r, d] for the block's nk keys, each sum a chain of
// multiply-adds in d from zero (the packed matmul's order): per step one vector of four
// keys' values broadcast by shuffles against the two vectors of the block's queries,
// eight accumulators. A last partial strip's extra keys land in sT's padding. With
// `maxes`, also the lanes' largest scores over the strips below `seen` (keys every row
// of the block sees), as the softmax's max starts. K comes packed by packRowsA (4-key
// strips). The steps are matmul's f32_gemm_4x8__wasmsimd; calling it and reading each strip back for
// the max was 3% slower at (32, 64, 32).
function blockScores(
  qT: usize, kPacked: usize, dHead: i32, nk: i32, sT: usize, seen: i32, maxes: usize,
): void {
  let a = kPacked;
  let dst = sT;
  const negInf = f32x4.splat(-Infinity);
  let m0 = negInf, m1 = negInf;
  for (let j = 0; j < nk; j += 4) {
    let c00 = f32x4.splat(0), c01 = f32x4.splat(0), c10 = f32x4.splat(0), c11 = f32x4.splat(0);
    let c20 = f32x4.splat(0), c21 = f32x4.splat(0), c30 = f32x4.splat(0), c31 = f32x4.splat(0);
    let bp = qT;
    for (let d = 0; d < dHead; d++) {
      const b0 = v128.load(bp), b1 = v128.load(bp, 16);
      const av = v128.load(a);
      let k = i32x4.shuffle(av, av, 0, 0, 0, 0);
      c00 = madd(k, b0, c00);
      c01 = madd(k, b1, c01);
      k = i32x4.shuffle(av, av, 1, 1, 1, 1);
      c10 = madd(k, b0, c10);
      c11 = madd(k, b1, c11);
      k = i32x4.shuffle(av, av, 2, 2, 2, 2);
      c20 = madd(k, b0, c20);
      c21 = madd(k, b1, c21);
      k = i32x4.shuffle(av, av, 3, 3, 3, 3);
      c30 = madd(k, b0, c30);
      c31 = madd(k, b1, c31);
      a += 16;
      bp += 32;
    }
    v128.store(dst, c00);
    v128.store(dst, c01, 16);
    v128.store(dst, c10, 32);
    v128.store(dst, c11, 48);
    v128.store(dst, c20, 64);
    v128.store(dst, c21, 80);
    v128.store(dst, c30, 96);
    v128.store(dst, c31, 112);
    if (j + 4 <= seen) {
      m0 = f32x4.pmax(m0, f32x4.pmax(f32x4.pmax(c00, c10), f32x4.pmax(c20, c30)));
      m1 = f32x4.pmax(m1, f32x4.pmax(f32x4.pmax(c01, c11), f32x4.pmax(c21, c31)));
    }
    dst += 128;
  }
  if (maxes) {
    v128.store(maxes, m0);
    v128.store(maxes, m1, 16);
  }
}

// Lanes whose row sees key j: j < n (n per lane).
@inline function visible(j: i32, n: v128): v128 {
  return i32x4.lt_s(i32x4.splat(j), n);
}

// The keys each lane's row sees (0 for lanes past the block's rows), for lanes l0..l0+3.
@inline function laneKeys(l0: i32, i0: i32, rows: i32, keyLen: i32, causal: i32, offset: i32): v128 {
  let n = i32x4.splat(0);
  n = i32x4.replace_lane(n, 0, l0 < rows ? visibleKeys(i0 + l0, keyLen, causal, offset) : 0);
  n = i32x4.replace_lane(n, 1, l0 + 1 < rows ? visibleKeys(i0 + l0 + 1, keyLen, causal, offset) : 0);
  n = i32x4.replace_lane(n, 2, l0 + 2 < rows ? visibleKeys(i0 + l0 + 2, keyLen, causal, offset) : 0);
  n = i32x4.replace_lane(n, 3, l0 + 3 < rows ? visibleKeys(i0 + l0 + 3, keyLen, causal, offset) : 0);
  return n;
}

// Scores in sT → attention weights in place, as softmaxRowWith computes each row: the max
// of the visible scores, e = exp((s − max)·scale), the sum of the e's in eight partial
// sums (key j in sum j mod 8, up to the row's last multiple of 4), combined as
// ((s0+s4)+(s1+s5))+((s2+s6)+(s3+s7)), then the row's last 1-3 keys one by one, and
// e·(1/sum). Invisible keys get exactly 0. Keys every row of the block sees (j < seen)
// skip the masks; lanes past the block's rows compute values nobody stores.
function blockSoftmax(
  sT: usize, sums: usize, nk: i32, i0: i32, rows: i32, keyLen: i32, causal: i32, offset: i32,
  scale: f32, n0: v128, n1: v128, seen: i32,
): void {
  const negInf = f32x4.splat(-Infinity);
  // blockScores took the max over the whole strips below `seen`.
  let m0 = v128.load(sums), m1 = v128.load(sums, 16);
  let j = seen & ~3;
  for (; j < seen; j++) {
    const p = sT + (<usize> (j * LANES) << 2);
    m0 = f32x4.pmax(m0, v128.load(p));
    m1 = f32x4.pmax(m1, v128.load(p, 16));
  }
  for (; j < nk; j++) {
    const p = sT + (<usize> (j * LANES) << 2);
    m0 = f32x4.pmax(m0, v128.bitselect(v128.load(p), negInf, visible(j, n0)));
    m1 = f32x4.pmax(m1, v128.bitselect(v128.load(p, 16), negInf, visible(j, n1)));
  }
  // A row with no finite score gives zeros (its inverse sum is set to 0 below); its
  // max is taken as 0 so that exp sees -inf, not NaN.
  const empty0 = f32x4.eq(m0, negInf), empty1 = f32x4.eq(m1, negInf);
  m0 = v128.andnot(m0, empty0);
  m1 = v128.andnot(m1, empty1);
  const minX = v128.load32_splat(EXP_TABLE), log2e = v128.load32_splat(EXP_TABLE, 4);
  const magic = v128.load32_splat(EXP_TABLE, 8), negLn2Hi = v128.load32_splat(EXP_TABLE, 12);
  const negLn2Lo = v128.load32_splat(EXP_TABLE, 16), c1 = v128.load32_splat(EXP_TABLE, 20);
  const c2 = v128.load32_splat(EXP_TABLE, 24), c3 = v128.load32_splat(EXP_TABLE, 28);
  const c4 = v128.load32_splat(EXP_TABLE, 32), c5 = v128.load32_splat(EXP_TABLE, 36);
  const vscale = f32x4.splat(scale);
  // Keys every row sees first (no masks: fewer live registers), then the rest.
  const all = min(seen, nk);
  for (j = 0; j < all; j++) {
    const p = sT + (<usize> (j * LANES) << 2);
    const t0 = f32x4.mul(f32x4.sub(v128.load(p), m0), vscale);
    const t1 = f32x4.mul(f32x4.sub(v128.load(p, 16), m1), vscale);
    v128.store(p, expV(t0, minX, log2e, magic, negLn2Hi, negLn2Lo, c5, c4, c3, c2, c1));
    v128.store(p, expV(t1, minX, log2e, magic, negLn2Hi, negLn2Lo, c5, c4, c3, c2, c1), 16);
  }
  for (; j < nk; j++) {
    const p = sT + (<usize> (j * LANES) << 2);
    const t0 = f32x4.mul(f32x4.sub(v128.load(p), m0), vscale);
    const t1 = f32x4.mul(f32x4.sub(v128.load(p, 16), m1), vscale);
    const e0 = expV(t0, minX, log2e, magic, negLn2Hi, negLn2Lo, c5, c4, c3, c2, c1);
    const e1 = expV(t1, minX, log2e, magic, negLn2Hi, negLn2Lo, c5, c4, c3, c2, c1);
    v128.store(p, v128.and(e0, visible(j, n0)));
    v128.store(p, v128.and(e1, visible(j, n1)), 16);
  }
  const seen8 = seen & ~7;
  v128.store(sums, laneSums(sT, nk, seen8, v128.and(n0, i32x4.splat(-4))));
  v128.store(sums, laneSums(sT + 16, nk, seen8, v128.and(n1, i32x4.splat(-4))), 16);
  // The last 1-3 keys of each row, one at a time.
  for (let r = 0; r < rows; r++) {
    const n = visibleKeys(i0 + r, keyLen, causal, offset);
    let sum = load<f32>(at(sums, r));
    for (let jj = n & ~3; jj < n; jj++) sum += load<f32>(at(sT, jj * LANES + r));
    store<f32>(at(sums, r), sum);
  }
  // The inverse sums, for normalizeWeights.
  const one = f32x4.splat(1);
  v128.store(sums, v128.andnot(f32x4.div(one, v128.load(sums)), empty0));
  v128.store(sums, v128.andnot(f32x4.div(one, v128.load(sums, 16)), empty1), 16);
}

// e·(1/sum) in sT (for the output) and in the block's rows of P (row-major, stride
// seqK, zeros past nk) by 4×4 transposes; inverse sums in sums[0..8).
function normalizeWeights(
  sT: usize, sums: usize, pRow: usize, seqK: i32, rows: i32, nk: i32, n0: v128, n1: v128,
  seen: i32,
): void {
  const inv0 = v128.load(sums), inv1 = v128.load(sums, 16);
  let j = 0;
  for (; j + 4 <= nk; j += 4) {
    const p = sT + (<usize> (j * LANES) << 2);
    let a0 = f32x4.mul(v128.load(p), inv0), b0 = f32x4.mul(v128.load(p, 16), inv1);
    let a1 = f32x4.mul(v128.load(p, 32), inv0), b1 = f32x4.mul(v128.load(p, 48), inv1);
    let a2 = f32x4.mul(v128.load(p, 64), inv0), b2 = f32x4.mul(v128.load(p, 80), inv1);
    let a3 = f32x4.mul(v128.load(p, 96), inv0), b3 = f32x4.mul(v128.load(p, 112), inv1);
    if (j + 3 >= seen) {
      // A NaN row (inverse sum NaN) keeps zeros where it sees nothing.
      a0 = v128.and(a0, visible(j, n0));
      b0 = v128.and(b0, visible(j, n1));
      a1 = v128.and(a1, visible(j + 1, n0));
      b1 = v128.and(b1, visible(j + 1, n1));
      a2 = v128.and(a2, visible(j + 2, n0));
      b2 = v128.and(b2, visible(j + 2, n1));
      a3 = v128.and(a3, visible(j + 3, n0));
      b3 = v128.and(b3, visible(j + 3, n1));
    }
    v128.store(p, a0);
    v128.store(p, b0, 16);
    v128.store(p, a1, 32);
    v128.store(p, b1, 48);
    v128.store(p, a2, 64);
    v128.store(p, b2, 80);
    v128.store(p, a3, 96);
    v128.store(p, b3, 112);
    storeColumns4(at(pRow, j), seqK, min(4, rows), a0, a1, a2, a3);
    if (rows > 4) storeColumns4(at(pRow, 4 * seqK + j), seqK, rows - 4, b0, b1, b2, b3);
  }
  for (; j < nk; j++) {
    const p = sT + (<usize> (j * LANES) << 2);
    const y0 = v128.and(f32x4.mul(v128.load(p), inv0), visible(j, n0));
    const y1 = v128.and(f32x4.mul(v128.load(p, 16), inv1), visible(j, n1));
    v128.store(p, y0);
    v128.store(p, y1, 16);
    for (let r = 0; r < min(4, rows); r++) store<f32>(at(pRow, r * seqK + j), lane(y0, r));
    for (let r = 4; r < rows; r++) store<f32>(at(pRow, r * seqK + j), lane(y1, r - 4));
  }
  if (nk < seqK) {
    for (let r = 0; r < rows; r++) memory.fill(at(pRow, r * seqK + nk), 0, <usize> (seqK - nk) << 2);
  }
}

// Four lanes' sums of e over keys j < q (q per lane, a multiple of 4) as eight partial
// sums, key j into sum j mod 8, combined ((s0+s4)+(s1+s5))+((s2+s6)+(s3+s7)). Keys below
// `full` (a multiple of 8 every lane counts) need no mask; sT has 8 rows of padding.
@inline function laneSums(e: usize, nk: i32, full: i32, q: v128): v128 {
  let s0 = f32x4.splat(0), s1 = f32x4.splat(0), s2 = f32x4.splat(0), s3 = f32x4.splat(0);
  let s4 = f32x4.splat(0), s5 = f32x4.splat(0), s6 = f32x4.splat(0), s7 = f32x4.splat(0);
  let j = 0;
  let p = e;
  for (; j < full; j += 8) {
    s0 = f32x4.add(s0, v128.load(p));
    s1 = f32x4.add(s1, v128.load(p, 32));
    s2 = f32x4.add(s2, v128.load(p, 64));
    s3 = f32x4.add(s3, v128.load(p, 96));
    s4 = f32x4.add(s4, v128.load(p, 128));
    s5 = f32x4.add(s5, v128.load(p, 160));
    s6 = f32x4.add(s6, v128.load(p, 192));
    s7 = f32x4.add(s7, v128.load(p, 224));
    p += 256;
  }
  for (; j < nk; j += 8) {
    s0 = f32x4.add(s0, v128.and(v128.load(p), visible(j, q)));
    s1 = f32x4.add(s1, v128.and(v128.load(p, 32), visible(j + 1, q)));
    s2 = f32x4.add(s2, v128.and(v128.load(p, 64), visible(j + 2, q)));
    s3 = f32x4.add(s3, v128.and(v128.load(p, 96), visible(j + 3, q)));
    s4 = f32x4.add(s4, v128.and(v128.load(p, 128), visible(j + 4, q)));
    s5 = f32x4.add(s5, v128.and(v128.load(p, 160), visible(j + 5, q)));
    s6 = f32x4.add(s6, v128.and(v128.load(p, 192), visible(j + 6, q)));
    s7 = f32x4.add(s7, v128.and(v128.load(p, 224), visible(j + 7, q)));
    p += 256;
  }
  return f32x4.add(
    f32x4.add(f32x4.add(s0, s4), f32x4.add(s1, s5)),
    f32x4.add(f32x4.add(s2, s6), f32x4.add(s3, s7)),
  );
}

// P rows i0.. of the block, row-major with stride seqK: 4×4 transposes of sT, zeros past nk.
function storeWeights(sT: usize, pRow: usize, seqK: i32, rows: i32, nk: i32): void {
  for (let half = 0; half < rows; half += 4) {
    const lanes = min(4, rows - half);
    const src = at(sT, half);
    let j = 0;
    for (; j + 4 <= nk; j += 4) {
      const s = src + (<usize> (j * LANES) << 2);
      const r0 = v128.load(s), r1 = v128.load(s, 32), r2 = v128.load(s, 64), r3 = v128.load(s, 96);
      const t0 = i32x4.shuffle(r0, r1, 0, 4, 1, 5);
      const t1 = i32x4.shuffle(r2, r3, 0, 4, 1, 5);
      const t2 = i32x4.shuffle(r0, r1, 2, 6, 3, 7);
      const t3 = i32x4.shuffle(r2, r3, 2, 6, 3, 7);
      const d = at(pRow, half * seqK + j);
      const rs = <usize> seqK << 2;
      v128.store(d, i32x4.shuffle(t0, t1, 0, 1, 4, 5));
      if (lanes > 1) v128.store(d + rs, i32x4.shuffle(t0, t1, 2, 3, 6, 7));
      if (lanes > 2) v128.store(d + 2 * rs, i32x4.shuffle(t2, t3, 0, 1, 4, 5));
      if (lanes > 3) v128.store(d + 3 * rs, i32x4.shuffle(t2, t3, 2, 3, 6, 7));
    }
    for (let r = 0; r < lanes; r++) {
      const d = at(pRow, (half + r) * seqK);
      for (let jj = j; jj < nk; jj++) store<f32>(at(d, jj), load<f32>(at(src, jj * LANES + r)));
      if (nk < seqK) memory.fill(at(d, nk), 0, <usize> (seqK - nk) << 2);
    }
  }
}

// O[r, c] = Σ_j P[r, j]·V[j, c] for the block's rows, each a chain of multiply-adds in j
// from zero: four columns at a time from one vector load of V's row by shuffles, eight
// rows per pair of accumulators, then 4×4 transposes into O's rows.
function blockOutput(
  sT: usize, vb: usize, ldv: i32, dHead: i32, nk: i32, ob: usize, ldo: i32, rows: i32,
): void {
  let c = 0;
  for (; c + 4 <= dHead; c += 4) {
    let a00 = f32x4.splat(0), a01 = f32x4.splat(0), a10 = f32x4.splat(0), a11 = f32x4.splat(0);
    let a20 = f32x4.splat(0), a21 = f32x4.splat(0), a30 = f32x4.splat(0), a31 = f32x4.splat(0);
    let vp = at(vb, c);
    let pp = sT;
    const step = <usize> ldv << 2;
    for (let j = 0; j < nk; j++) {
      const vv = v128.load(vp);
      const p0 = v128.load(pp), p1 = v128.load(pp, 16);
      let s = i32x4.shuffle(vv, vv, 0, 0, 0, 0);
      a00 = madd(s, p0, a00); a01 = madd(s, p1, a01);
      s = i32x4.shuffle(vv, vv, 1, 1, 1, 1);
      a10 = madd(s, p0, a10); a11 = madd(s, p1, a11);
      s = i32x4.shuffle(vv, vv, 2, 2, 2, 2);
      a20 = madd(s, p0, a20); a21 = madd(s, p1, a21);
      s = i32x4.shuffle(vv, vv, 3, 3, 3, 3);
      a30 = madd(s, p0, a30); a31 = madd(s, p1, a31);
      vp += step;
      pp += 32;
    }
    storeColumns4(at(ob, c), ldo, min(4, rows), a00, a10, a20, a30);
    if (rows > 4) storeColumns4(at(ob, 4 * ldo + c), ldo, rows - 4, a01, a11, a21, a31);
  }
  for (; c < dHead; c++) {
    let a0 = f32x4.splat(0), a1 = f32x4.splat(0);
    for (let j = 0; j < nk; j++) {
      const s = v128.load32_splat(at(vb, j * ldv + c));
      const pp = sT + (<usize> (j * LANES) << 2);
      a0 = madd(s, v128.load(pp), a0);
      a1 = madd(s, v128.load(pp, 16), a1);
    }
    for (let r = 0; r < min(4, rows); r++) store<f32>(at(ob, r * ldo + c), lane(a0, r));
    for (let r = 4; r < rows; r++) store<f32>(at(ob, r * ldo + c), lane(a1, r - 4));
  }
}

@inline function lane(v: v128, i: i32): f32 {
  return i == 0 ? f32x4.extract_lane(v, 0) : i == 1 ? f32x4.extract_lane(v, 1) : i == 2
    ? f32x4.extract_lane(v, 2)
    : f32x4.extract_lane(v, 3);
}

// Four column vectors (column c holds rows 0-3) → up to four rows of 4 values at o.
@inline function storeColumns4(o: usize, ldo: i32, rows: i32, c0: v128, c1: v128, c2: v128, c3: v128): void {
  const t0 = i32x4.shuffle(c0, c1, 0, 4, 1, 5);
  const t1 = i32x4.shuffle(c2, c3, 0, 4, 1, 5);
  const t2 = i32x4.shuffle(c0, c1, 2, 6, 3, 7);
  const t3 = i32x4.shuffle(c2, c3, 2, 6, 3, 7);
  const rs = <usize> ldo << 2;
  v128.store(o, i32x4.shuffle(t0, t1, 0, 1, 4, 5));
  if (rows > 1) v128.store(o + rs, i32x4.shuffle(t0, t1, 2, 3, 6, 7));
  if (rows > 2) v128.store(o + 2 * rs, i32x4.shuffle(t2, t3, 0, 1, 4, 5));
  if (rows > 3) v128.store(o + 3 * rs, i32x4.shuffle(t2, t3, 2, 3, 6, 7));
}

// Fused backward, row-per-lane like the forward, for the same shapes (and seqQ up to
// PACK_K_MAX). For each block of 8 queries: dPᵀ = V·dOᵀ like the forward's scores (V as
// 4-key strips), dS = P ⊙ (dP − rowsum(P ⊙ dP)) down the lanes, dQ = scale·dS·K (Kᵀ as
// 4-column strips times the block's dSᵀ), dS saved row-major in scratch. Then per
// (batch, head) dK = scale·dSᵀQ and dV = Pᵀ·dO, each sum over all queries in one chain.
// Every value is the same chain of operations as in the blocked path: the same bits.
export function attentionBackward(
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
  const strips = (seqK + 3) / 4 * 4; // keys rounded up to whole 4-key strips
  const panels = (dHead + PACK_NR - 1) / PACK_NR * PACK_NR;
  const cStrips = (dHead + 3) / 4 * 4;
  // Region B holds V and Kᵀ strips during the blocks, then Q and dO panels, beside the
  // strips of dSᵀ and Pᵀ.
  const stage1 = strips * dHead + cStrips * seqK;
  const stage2 = panels * seqQ * 2;
  const fits = 2 * strips * seqQ + max(stage1, stage2) <= PACK_B_FLOATS;
  if (seqQ < 4 || dHead > PACK_K_MAX || seqK > PACK_K_MAX || seqQ > PACK_K_MAX || !fits) {
    attentionBackwardBlocked(
      q, k, v, probs, dout, dq, dk, dv, scratch, batch, heads, seqQ, seqK, dHead, ldq, ldk, ldv,
      ldo, causal, keyLens, scale,
    );
    return;
  }
  const offset = seqK - seqQ;
  const doT = workspacePtr; // dHead × 8: the block's rows of dO, one per lane
  const pT = doT + (<usize> (dHead * LANES) << 2); // (seqK + 8) × 8: P, one row per lane
  const dsT = pT + (<usize> ((seqK + 8) * LANES) << 2); // (seqK + 8) × 8: dP, then dS
  const tile = dsT + (<usize> ((seqK + 8) * LANES) << 2); // 4 × 8
  const dsStrips = workspacePtr + PACK_B_OFFSET;
  const pStrips = dsStrips + (<usize> (strips * seqQ) << 2);
  const vStrips = pStrips + (<usize> (strips * seqQ) << 2);
  const kStrips = vStrips + (<usize> (strips * dHead) << 2);
  const qPanels = vStrips;
  const doPanels = qPanels + (<usize> (panels * seqQ) << 2);
  for (let b = 0; b < batch; b++) {
    const keyLen = keyLenOf(keyLens, b, seqK);
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
      packRowsA(vb, ldv, nk, dHead, vStrips);
      packColumnsA(kb, ldk, dHead, nk, kStrips);
      for (let i0 = 0; i0 < seqQ; i0 += LANES) {
        const rows = min(LANES, seqQ - i0);
        const nkB = visibleKeys(i0 + rows - 1, keyLen, causal, offset);
        const dsRow = at(scratch, i0 * seqK);
        if (nkB == 0) {
          for (let r = 0; r < rows; r++) {
            memory.fill(at(dqb, (i0 + r) * ldq), 0, <usize> dHead << 2);
            memory.fill(at(dsRow, r * seqK), 0, <usize> nk << 2);
          }
          continue;
        }
        packQueries(at(dob, i0 * ldo), ldo, rows, dHead, doT);
        loadWeights(at(pb, i0 * seqK), seqK, rows, nkB, pT);
        blockScores(doT, vStrips, dHead, nkB, dsT, 0, 0);
        blockSoftmaxBackward(pT, dsT, nkB, i0, rows, keyLen, causal, offset);
        storeWeights(dsT, dsRow, seqK, rows, nkB);
        if (nkB < nk) {
          for (let r = 0; r < rows; r++) memory.fill(at(dsRow, r * seqK + nkB), 0, <usize> (nk - nkB) << 2);
        }
        blockQueryGrads(kStrips, nk, dsT, nkB, dHead, scale, at(dqb, i0 * ldq), ldq, rows, tile);
      }
      // dK = scale·dSᵀQ and dV = Pᵀ·dO over all queries at once.
      packColumnsA(scratch, seqK, nk, seqQ, dsStrips);
      packColumnsA(pb, seqK, nk, seqQ, pStrips);
      packPanelsB(qb, ldq, 0, seqQ, dHead, qPanels);
      packPanelsB(dob, ldo, 0, seqQ, dHead, doPanels);
      keyGrads(dsStrips, qPanels, seqQ, nk, dHead, dkb, ldk, scale, causal, offset, tile);
      keyGrads(pStrips, doPanels, seqQ, nk, dHead, dvb, ldv, 1, causal, offset, tile);
    }
  }
}

// C[nk, dHead] = alpha·Aᵀ·B over the seqQ queries: A as 4-key strips of dS or P, B as
// 8-column panels of Q or dO. Causal queries before a key's first viewer hold exact
// zeros for it, which leave a sum that starts from zero unchanged: each strip's chain
// starts at the first query that sees its first key.
function keyGrads(
  ap: usize, bp: usize, seqQ: i32, nk: i32, dHead: i32, c: usize, ldc: i32, alpha: f32,
  causal: i32, offset: i32, tile: usize,
): void {
  for (let j0 = 0; j0 < nk; j0 += PACK_MR) {
    const i0 = causal ? min(seqQ - 1, max(0, j0 - offset)) : 0;
    const kc = seqQ - i0;
    const a = ap + (<usize> (j0 * seqQ + i0 * PACK_MR) << 2);
    const mr = min(PACK_MR, nk - j0);
    for (let c0 = 0; c0 < dHead; c0 += PACK_NR) {
      const nr = min(PACK_NR, dHead - c0);
      const b = bp + (<usize> (c0 * seqQ + i0 * PACK_NR) << 2);
      const dst = at(c, j0 * ldc + c0);
      if (mr == PACK_MR && nr == PACK_NR) {
        f32_gemm_4x8__wasmsimd(kc, a, b, dst, ldc, alpha, false, 0);
      } else {
        f32_gemm_4x8__wasmsimd(kc, a, b, tile, PACK_NR, alpha, false, 0);
        for (let r = 0; r < mr; r++) memory.copy(at(dst, r * ldc), at(tile, r * PACK_NR), <usize> nr << 2);
      }
    }
  }
}

// P rows of a block (row-major, stride seqK) → pT[j·8 + r] for j < nk; lanes past the
// block's rows are 0.
function loadWeights(pRow: usize, seqK: i32, rows: i32, nk: i32, pT: usize): void {
  if (rows < LANES) memory.fill(pT, 0, <usize> (nk * LANES) << 2);
  for (let half = 0; half < rows; half += 4) {
    const lanes = min(4, rows - half);
    const dst = at(pT, half);
    let j = 0;
    if (lanes == 4) {
      transpose4Rows(at(pRow, half * seqK), seqK, nk & ~3, dst, LANES << 2);
      j = nk & ~3;
    }
    for (let r = 0; r < lanes; r++) {
      const src = at(pRow, (half + r) * seqK);
      for (let jj = j; jj < nk; jj++) store<f32>(at(dst, jj * LANES + r), load<f32>(at(src, jj)));
    }
  }
}

// dP in dsT → dS in place, as softmaxBackwardRow computes each row: dot = Σ P·dP in four
// partial sums (key j in sum j mod 4, up to the row's last multiple of 4), combined
// (s0+s1)+(s2+s3), then the row's last 1-3 keys one by one; dS = P·(dP − dot)·1, and 0
// for the keys the row does not see.
function blockSoftmaxBackward(
  pT: usize, dsT: usize, nk: i32, i0: i32, rows: i32, keyLen: i32, causal: i32, offset: i32,
): void {
  const n0 = laneKeys(0, i0, rows, keyLen, causal, offset);
  const n1 = laneKeys(4, i0, rows, keyLen, causal, offset);
  const q0 = v128.and(n0, i32x4.splat(-4)), q1 = v128.and(n1, i32x4.splat(-4));
  let a0 = f32x4.splat(0), a1 = f32x4.splat(0), a2 = f32x4.splat(0), a3 = f32x4.splat(0);
  let b0 = f32x4.splat(0), b1 = f32x4.splat(0), b2 = f32x4.splat(0), b3 = f32x4.splat(0);
  // sT-style padding: P and dP rows up to nk + 3 exist (pT is zeroed past what is read).
  for (let j = 0; j < nk; j += 4) {
    const p = pT + (<usize> (j * LANES) << 2), d = dsT + (<usize> (j * LANES) << 2);
    a0 = f32x4.add(a0, v128.and(f32x4.mul(v128.load(p), v128.load(d)), visible(j, q0)));
    b0 = f32x4.add(b0, v128.and(f32x4.mul(v128.load(p, 16), v128.load(d, 16)), visible(j, q1)));
    a1 = f32x4.add(a1, v128.and(f32x4.mul(v128.load(p, 32), v128.load(d, 32)), visible(j + 1, q0)));
    b1 = f32x4.add(b1, v128.and(f32x4.mul(v128.load(p, 48), v128.load(d, 48)), visible(j + 1, q1)));
    a2 = f32x4.add(a2, v128.and(f32x4.mul(v128.load(p, 64), v128.load(d, 64)), visible(j + 2, q0)));
    b2 = f32x4.add(b2, v128.and(f32x4.mul(v128.load(p, 80), v128.load(d, 80)), visible(j + 2, q1)));
    a3 = f32x4.add(a3, v128.and(f32x4.mul(v128.load(p, 96), v128.load(d, 96)), visible(j + 3, q0)));
    b3 = f32x4.add(b3, v128.and(f32x4.mul(v128.load(p, 112), v128.load(d, 112)), visible(j + 3, q1)));
  }
  const sums = tileSums(dsT, nk);
  v128.store(sums, f32x4.add(f32x4.add(a0, a1), f32x4.add(a2, a3)));
  v128.store(sums, f32x4.add(f32x4.add(b0, b1), f32x4.add(b2, b3)), 16);
  for (let r = 0; r < rows; r++) {
    const n = visibleKeys(i0 + r, keyLen, causal, offset);
    let dot = load<f32>(at(sums, r));
    for (let j = n & ~3; j < n; j++) {
      dot += load<f32>(at(pT, j * LANES + r)) * load<f32>(at(dsT, j * LANES + r));
    }
    store<f32>(at(sums, r), dot);
  }
  const dot0 = v128.load(sums), dot1 = v128.load(sums, 16);
  for (let j = 0; j < nk; j++) {
    const p = pT + (<usize> (j * LANES) << 2), d = dsT + (<usize> (j * LANES) << 2);
    const g0 = f32x4.mul(v128.load(p), f32x4.sub(v128.load(d), dot0));
    const g1 = f32x4.mul(v128.load(p, 16), f32x4.sub(v128.load(d, 16), dot1));
    v128.store(d, v128.and(g0, visible(j, n0)));
    v128.store(d, v128.and(g1, visible(j, n1)), 16);
  }
}

// Scratch for 8 lanes' sums just past the block's rows of dsT (inside its padding).
@inline function tileSums(dsT: usize, nk: i32): usize {
  return dsT + (<usize> (((nk + 3) & ~3) * LANES) << 2);
}

// dQ rows of the block = scale·dS·K: Kᵀ strips of 4 columns (stripK keys each) times
// dSᵀ (the block's 8-lane panel, nk keys) by the 4×8 micro-kernel into a 4×8 tile,
// stored transposed.
function blockQueryGrads(
  kStrips: usize, stripK: i32, dsT: usize, nk: i32, dHead: i32, scale: f32, dqRow: usize,
  ldq: i32, rows: i32, tile: usize,
): void {
  for (let c0 = 0; c0 < dHead; c0 += PACK_MR) {
    f32_gemm_4x8__wasmsimd(nk, kStrips + (<usize> (c0 * stripK) << 2), dsT, tile, LANES, scale, false, 0);
    const cols = min(PACK_MR, dHead - c0);
    for (let r = 0; r < rows; r++) {
      const dst = at(dqRow, r * ldq + c0);
      for (let c = 0; c < cols; c++) store<f32>(at(dst, c), load<f32>(at(tile, c * LANES + r)));
    }
  }
}
